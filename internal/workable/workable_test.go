package workable_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hestami/concierge/internal/api"
	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/testkit"
	"github.com/hestami/concierge/internal/workable"
)

func TestMain(m *testing.M) { testkit.Main(m) }

// summary is an organization as the assertions compare it.
type summary struct {
	Name    string
	Roles   string
	Engaged bool
}

func summaries(l workable.List) []summary {
	out := []summary{}
	for _, o := range l.Items {
		r, _ := json.Marshal(o.Roles)
		out = append(out, summary{o.Name, string(r), o.Engaged})
	}
	return out
}

// invoke runs organization/v1/mine as the transports do: by token, with
// orgHeader as the X-Org-Id header.
func invoke(t *testing.T, b *testkit.Bundle, token, orgHeader string) (workable.List, *apperr.Error) {
	t.Helper()
	proc, _ := b.App.Registry.Lookup("organization/v1/mine")
	res := b.App.Invoker.Invoke(b.Ctx, api.Request{Procedure: proc, Token: token, OrgID: orgHeader, Input: json.RawMessage(`{}`)})
	if res.Err != nil {
		return workable.List{}, res.Err
	}
	return *res.Output.(*workable.List), nil
}

func token(t *testing.T, b *testkit.Bundle, userID string) string {
	t.Helper()
	tok, err := b.Identity.CreateToken(b.Ctx, userID, "test", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok.Token
}

// Staff see their operator and every organization that engaged it, by
// name; an owner sees its own organization only, never another; an agent
// its organization with its role. No active organization is needed, and
// one sent is ignored, whoever it names.
func TestMineListsTheOrganizationsTheCallerMayActIn(t *testing.T) {
	t.Parallel()
	b := testkit.Setup(t)
	w := b.NewWorld()
	staffTok := token(t, b, w.Staff)
	for _, header := range []string{"", w.Chen.ID, "not-a-uuid"} {
		got, err := invoke(t, b, staffTok, header)
		if err != nil {
			t.Fatalf("header %q: %v", header, err)
		}
		want := []summary{{"Oak Trust", `["CONCIERGE_STAFF"]`, true}, {"Operator", `["CONCIERGE_STAFF"]`, false}, {"Rivera", `["CONCIERGE_STAFF"]`, true}}
		if !slices.Equal(summaries(got), want) {
			t.Fatalf("staff with header %q: %+v, want %+v", header, summaries(got), want)
		}
		if got.Items[2].ID != w.Rivera.ID || got.Items[2].Kind != "INDIVIDUAL_PROPERTY_OWNER" {
			t.Fatalf("Rivera: %+v", got.Items[2])
		}
	}

	for who, tc := range map[string]struct {
		p    authz.Principal
		want []summary
	}{
		"rivera owner": {w.RiveraOwner, []summary{{"Rivera", `["OWNER"]`, false}}},
		"chen owner":   {w.ChenOwner, []summary{{"Chen LLC", `["OWNER"]`, false}}},
		"oak agent":    {w.OakAgent, []summary{{"Oak Trust", `["DELEGATED_AGENT"]`, false}}},
	} {
		got, err := invoke(t, b, token(t, b, tc.p.UserID), w.Operator.ID)
		if err != nil || !slices.Equal(summaries(got), tc.want) {
			t.Errorf("%s: %+v %v, want %+v", who, summaries(got), err, tc.want)
		}
		// The local CLI's path (a resolved principal) drops its organization too.
		local, lerr := testkit.Call[workable.List](b, tc.p, "organization/v1/mine", map[string]any{}, "")
		if lerr != nil || !slices.Equal(summaries(local), tc.want) {
			t.Errorf("%s in process: %+v %v, want %+v", who, summaries(local), lerr, tc.want)
		}
	}

	// A user with no membership: an empty list, not null.
	u, err := b.Identity.CreateUser(b.Ctx, "nobody@x.test", "Nobody")
	if err != nil {
		t.Fatal(err)
	}
	got, aerr := invoke(t, b, token(t, b, u.ID), "")
	if aerr != nil || got.Items == nil || len(got.Items) != 0 {
		t.Fatalf("nobody: %+v %v", got, aerr)
	}
	if _, aerr := invoke(t, b, "", ""); aerr == nil || aerr.Code != apperr.Unauthenticated {
		t.Fatalf("no token: %v", aerr)
	}
	if _, aerr := invoke(t, b, "hst_forged", ""); aerr == nil || aerr.Code != apperr.Unauthenticated {
		t.Fatalf("unknown token: %v", aerr)
	}

	// An ended engagement takes the organization off the staff's list.
	if _, err := b.DB.Owner.Exec(b.Ctx, `UPDATE concierge_engagements SET status = 'ENDED' WHERE organization_id = $1`, w.Oak.ID); err != nil {
		t.Fatal(err)
	}
	got, aerr = invoke(t, b, staffTok, "")
	if aerr != nil || len(got.Items) != 2 || got.Items[0].Name != "Operator" || got.Items[1].Name != "Rivera" {
		t.Fatalf("after the engagement ended: %+v %v", summaries(got), aerr)
	}
}

// The read is guarded by row-level security on the runtime role: naming a
// user shows that user's memberships, its operators' engagements and those
// organizations, nothing of other users or tenants; naming none (every
// tenant transaction) shows what it did before.
func TestRowLevelSecurityShowsOnlyTheNamedUsersOrganizations(t *testing.T) {
	t.Parallel()
	b := testkit.Setup(t)
	w := b.NewWorld()
	b.NewProperty(w.ChenOwner, "Chen house")
	read := func(userID, orgID, sql string) []string {
		t.Helper()
		var out []string
		err := pgx.BeginFunc(context.Background(), b.DB.App, func(tx pgx.Tx) error {
			if _, err := tx.Exec(b.Ctx, `SELECT set_config('hestami.user_id', $1, true), set_config('hestami.org_id', $2, true)`, userID, orgID); err != nil {
				return err
			}
			rows, err := tx.Query(b.Ctx, sql)
			if err != nil {
				return err
			}
			out, err = pgx.CollectRows(rows, pgx.RowTo[string])
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(out)
		return out
	}
	orgs := `SELECT name FROM organizations`
	if got := read(w.ChenOwner.UserID, "", orgs); !slices.Equal(got, []string{"Chen LLC"}) {
		t.Errorf("chen owner sees organizations %v", got)
	}
	if got := read(w.Staff, "", orgs); !slices.Equal(got, []string{"Oak Trust", "Operator", "Rivera"}) {
		t.Errorf("staff sees organizations %v", got)
	}
	if got := read(w.Staff, "", `SELECT role FROM memberships`); !slices.Equal(got, []string{"CONCIERGE_STAFF"}) {
		t.Errorf("staff sees memberships %v (others' included?)", got)
	}
	if got := read(w.ChenOwner.UserID, "", `SELECT organization_id::text FROM concierge_engagements`); len(got) != 0 {
		t.Errorf("an owner sees engagements %v", got)
	}
	// No tenant data without an active organization.
	if got := read(w.ChenOwner.UserID, "", `SELECT name FROM properties`); len(got) != 0 {
		t.Errorf("user-only transaction sees properties %v", got)
	}
	// A tenant transaction names no user: its organization only.
	if got := read("", w.Rivera.ID, orgs); !slices.Equal(got, []string{"Rivera"}) {
		t.Errorf("tenant transaction sees organizations %v", got)
	}
	if got := read("", "", orgs); len(got) != 0 {
		t.Errorf("no setting sees organizations %v", got)
	}
}
