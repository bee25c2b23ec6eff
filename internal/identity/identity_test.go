package identity_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/testkit"
)

func TestMain(m *testing.M) { testkit.Main(m) }

func wantPermissionDenied(t *testing.T, what string, err error) {
	t.Helper()
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "42501" {
		t.Errorf("%s as the runtime role: %v, want permission denied (42501)", what, err)
	}
}

// The runtime role cannot list any user's roles or find users by e-mail:
// it resolves only the bearer of a token.
func TestRuntimeRoleCannotResolveArbitraryUsers(t *testing.T) {
	t.Parallel()
	b := testkit.Setup(t)
	w := b.NewWorld()
	var roles []string
	err := b.DB.App.QueryRow(b.Ctx, `SELECT roles FROM hestami_principal($1, $2)`, w.Staff, w.Rivera.ID).Scan(&roles)
	wantPermissionDenied(t, "hestami_principal", err)
	var id *string
	err = b.DB.App.QueryRow(b.Ctx, `SELECT hestami_user_ref($1)`, "jordan@rivera.test").Scan(&id)
	wantPermissionDenied(t, "hestami_user_ref", err)

	// An unknown token resolves to nothing, in an organization that exists.
	rows, err := b.DB.App.Query(b.Ctx, `SELECT user_id FROM hestami_caller($1, $2)`, []byte("not a token hash"), w.Rivera.ID)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for rows.Next() {
		n++
	}
	if rows.Close(); rows.Err() != nil || n != 0 {
		t.Fatalf("hestami_caller with a bad token: %d rows (%v)", n, rows.Err())
	}
	if _, err := b.Identity.Caller(b.Ctx, "hst_bogus", w.Rivera.ID); apperr.CodeOf(err) != apperr.Unauthenticated {
		t.Fatalf("Caller with a bad token: %v", err)
	}

	// A real token still resolves on the runtime role.
	tok, err := b.Identity.CreateToken(b.Ctx, "jordan@rivera.test", "t", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	p, err := b.Identity.Caller(b.Ctx, tok.Token, w.Rivera.ID)
	if err != nil || p.UserID != w.RiveraOwner.UserID || !slices.Equal(p.Roles, []string{"OWNER"}) {
		t.Fatalf("Caller: %+v %v", p, err)
	}
}

// Operator paths (--as) resolve any user, on the owner role.
func TestOperatorResolvesUsersByReference(t *testing.T) {
	t.Parallel()
	b := testkit.Setup(t)
	w := b.NewWorld()
	id, err := b.Identity.LookupUser(b.Ctx, "STAFF@op.test")
	if err != nil || id != w.Staff {
		t.Fatalf("LookupUser: %q %v, want %s", id, err, w.Staff)
	}
	if _, err := b.Identity.LookupUser(b.Ctx, "nobody@op.test"); apperr.CodeOf(err) != apperr.Unauthenticated {
		t.Fatalf("LookupUser of an unknown user: %v", err)
	}
	p, err := b.Identity.Principal(b.Ctx, w.Staff, w.Rivera.ID)
	if err != nil || !p.Engaged || !slices.Equal(p.Roles, []string{"CONCIERGE_STAFF"}) {
		t.Fatalf("staff in an engaged organization: %+v %v", p, err)
	}
	if _, err := b.Identity.Principal(b.Ctx, w.Staff, w.Chen.ID); apperr.CodeOf(err) != apperr.Forbidden {
		t.Fatalf("staff in an organization that did not engage them: %v", err)
	}
}

// Every SECURITY DEFINER function the runtime role may call takes what a
// request carries (a token hash), never an arbitrary user id or e-mail; a
// new one must be added here on purpose.
func TestRuntimeRoleCallsOnlyTokenKeyedDefinerFunctions(t *testing.T) {
	t.Parallel()
	b := testkit.Setup(t)
	rows, err := b.DB.Owner.Query(b.Ctx, `SELECT p.oid::regprocedure::text FROM pg_proc p
		JOIN pg_namespace n ON n.oid = p.pronamespace
		WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND p.prosecdef
		  AND has_function_privilege('hestami_app', p.oid, 'EXECUTE')
		ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var f string
		if err := rows.Scan(&f); err != nil {
			t.Fatal(err)
		}
		got = append(got, f)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	// Each one answers only what the request path needs: a token's bearer,
	// whether a user is concierge staff of an operator the active
	// organization engages (hestami_case_assignable), or the display name of
	// a user who may take part in the active organization's cases and NULL
	// for anyone else (hestami_case_participant_name), the display names of
	// the active organization's people (hestami_display_names, for
	// user/v1/names: members and engaged staff; anyone else names nobody)
	// — never about another
	// tenant, but for whether an id is a registered SERVICE_PROVIDER
	// organization (hestami_service_provider: service providers register to
	// be linked to, so that much is public; their names and rows are not).
	// One writes: hestami_import_quotes, the bulk quote import's writer,
	// which runs as hestami_import (no owner, no BYPASSRLS: RLS binds it to
	// the active organization) and skips only the per-row foreign-key
	// triggers, having checked the parents itself
	// (quoteimport.TestImportWriterChecksTheParents).
	want := []string{"hestami_authenticate(bytea)", "hestami_caller(bytea,uuid)", "hestami_case_assignable(uuid)",
		"hestami_case_participant_name(uuid)", "hestami_display_names(uuid[])",
		"hestami_import_quotes(uuid,uuid[],integer[],text[],uuid[],uuid[],numeric[],text[],timestamp with time zone[],text[],text[],jsonb[],boolean)",
		"hestami_service_provider(uuid)"}
	if !slices.Equal(got, want) {
		t.Fatalf("SECURITY DEFINER functions the runtime role can execute: %v, want %v", got, want)
	}
}

// Organization and user names are one line of text: a control character is
// a field error naming the field, and nothing is created.
func TestNamesRefuseControlCharacters(t *testing.T) {
	t.Parallel()
	b := testkit.Setup(t)
	for _, bad := range []string{"a\nb", "tab\there", "esc\x1b[2J", "c1\u0085"} {
		_, err := b.Identity.CreateOrg(b.Ctx, bad, "TRUST_OR_LLC")
		if e := apperr.From(err); e == nil || e.Code != apperr.Validation || len(e.Fields) != 1 || e.Fields[0].Field != "name" {
			t.Errorf("org %q: %v", bad, err)
		}
		_, err = b.Identity.CreateUser(b.Ctx, "x@example.test", bad)
		if e := apperr.From(err); e == nil || e.Code != apperr.Validation || len(e.Fields) != 1 || e.Fields[0].Field != "name" {
			t.Errorf("user %q: %v", bad, err)
		}
	}
	if _, err := b.Identity.CreateOrg(b.Ctx, "Chen 陈 LLC 🏠", "TRUST_OR_LLC"); err != nil {
		t.Fatalf("a name in any script: %v", err)
	}
	var n int
	if err := b.DB.Owner.QueryRow(b.Ctx, `SELECT count(*) FROM users WHERE email = 'x@example.test'`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("users created: %d %v", n, err)
	}
}
