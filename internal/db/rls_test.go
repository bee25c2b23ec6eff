package db_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/cases"
	"github.com/hestami/concierge/internal/db"
	"github.com/hestami/concierge/internal/testkit"
)

func TestMain(m *testing.M) { testkit.Main(m) }

func TestCatalogHasNoIsolationGaps(t *testing.T) {
	t.Parallel()
	b := testkit.Setup(t)
	problems, err := db.CheckIsolation(b.Ctx, b.DB.Owner)
	if err != nil {
		t.Fatal(err)
	}
	if len(problems) > 0 {
		t.Fatalf("isolation gaps:\n%s", strings.Join(problems, "\n"))
	}
}

// The catalog check must be able to fail: a new tenant table without RLS,
// or with RLS not forced, is reported.
func TestCatalogCheckReportsUnprotectedTable(t *testing.T) {
	t.Parallel()
	b := testkit.Setup(t)
	if _, err := b.DB.Owner.Exec(b.Ctx, `CREATE TABLE leaky (organization_id uuid);
		CREATE TABLE half (organization_id uuid); ALTER TABLE half ENABLE ROW LEVEL SECURITY`); err != nil {
		t.Fatal(err)
	}
	problems, err := db.CheckIsolation(b.Ctx, b.DB.Owner)
	if err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(problems, "\n")
	for _, want := range []string{"table public.leaky: row-level security is not enabled", "table public.half: row-level security is not forced"} {
		if !strings.Contains(joined, want) {
			t.Errorf("missing %q in:\n%s", want, joined)
		}
	}
}

// Tenant data can sit outside the public schema (DBOS keeps the output of
// every durable transaction in dbos.transaction_completion): the check covers
// every relation the runtime role can reach, in any schema.
func TestCatalogCheckCoversEverySchemaTheRuntimeRoleCanReach(t *testing.T) {
	t.Parallel()
	b := testkit.Setup(t)
	if _, err := b.DB.Owner.Exec(b.Ctx, `CREATE SCHEMA extra;
		CREATE TABLE extra.reachable (organization_id uuid, secret text);
		CREATE TABLE extra.unreachable (organization_id uuid, secret text);
		GRANT USAGE ON SCHEMA extra TO hestami_app;
		GRANT SELECT ON extra.reachable TO hestami_app;
		CREATE VIEW public.all_cases AS SELECT * FROM cases;
		GRANT SELECT ON public.all_cases TO hestami_app;
		CREATE VIEW public.own_cases WITH (security_invoker = true) AS SELECT * FROM cases;
		GRANT SELECT ON public.own_cases TO hestami_app;
		ALTER TABLE dbos.transaction_completion NO FORCE ROW LEVEL SECURITY`); err != nil {
		t.Fatal(err)
	}
	problems, err := db.CheckIsolation(b.Ctx, b.DB.Owner)
	if err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(problems, "\n")
	for _, want := range []string{
		"table extra.reachable: row-level security is not enabled",
		"table dbos.transaction_completion: row-level security is not forced",
		"view public.all_cases: does not run with security_invoker",
	} {
		if !strings.Contains(joined, want) {
			t.Errorf("missing %q in:\n%s", want, joined)
		}
	}
	for _, unwanted := range []string{"extra.unreachable", "own_cases", "dbos_transaction_completion_migrations", "workflow_status"} {
		if strings.Contains(joined, unwanted) {
			t.Errorf("%s reported:\n%s", unwanted, joined)
		}
	}
}

// DBOS's data-source table holds the serialized result of every durable
// transaction — whole cases of every organization. The runtime role sees
// only its active organization's rows, none without one, and cannot write
// a row for another organization.
func TestDurableTransactionResultsAreTenantIsolated(t *testing.T) {
	t.Parallel()
	b := testkit.Setup(t)
	w := b.NewWorld()
	svc := b.Cases()
	for _, owner := range []authz.Principal{w.RiveraOwner, w.OakTrustee} {
		prop := b.NewProperty(owner, "home")
		c, err := svc.Create(b.Ctx, owner, cases.CreateInput{PropertyID: prop.ID, Title: "Leak"})
		if err != nil {
			t.Fatal(err)
		}
		staff := b.Principal(w.Staff, owner.OrgID)
		if _, err := svc.UpdateStatus(b.Ctx, staff, cases.UpdateStatusInput{ID: c.ID, Status: "ASSESSMENT", Reason: "triage"}, "k"); err != nil {
			t.Fatal(err)
		}
	}
	var rows, orgs int
	if err := b.DB.Owner.QueryRow(b.Ctx, `SELECT count(*), count(DISTINCT organization_id) FROM dbos.transaction_completion`).Scan(&rows, &orgs); err != nil {
		t.Fatal(err)
	}
	if rows < 2 || orgs != 2 {
		t.Fatalf("the owner sees %d completion rows of %d organizations: the test proves nothing", rows, orgs)
	}

	var seen []string
	err := b.DB.InTenant(b.Ctx, w.Rivera.ID, func(q db.Querier) error {
		// No tenant filter on purpose: RLS must supply it.
		rs, err := q.Query(b.Ctx, `SELECT organization_id::text, output FROM dbos.transaction_completion`)
		if err != nil {
			return err
		}
		defer rs.Close()
		for rs.Next() {
			var org, output string
			if err := rs.Scan(&org, &output); err != nil {
				return err
			}
			if org != w.Rivera.ID {
				t.Errorf("tenant Rivera sees a completion row of %s", org)
			}
			seen = append(seen, output)
		}
		return rs.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	var own int
	if err := b.DB.Owner.QueryRow(b.Ctx, `SELECT count(*) FROM dbos.transaction_completion WHERE organization_id = $1`, w.Rivera.ID).Scan(&own); err != nil {
		t.Fatal(err)
	}
	if own == 0 || len(seen) != own {
		t.Fatalf("tenant Rivera sees %d of its %d completion rows", len(seen), own)
	}

	var n int
	if err := b.DB.App.QueryRow(b.Ctx, `SELECT count(*) FROM dbos.transaction_completion`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("%d completion rows visible with no active organization", n)
	}

	err = b.DB.InTenant(b.Ctx, w.Rivera.ID, func(q db.Querier) error {
		_, err := q.Exec(b.Ctx, `INSERT INTO dbos.transaction_completion (workflow_id, step_id, output, organization_id)
			VALUES ('forged', 0, '{}', $1)`, w.Oak.ID)
		return err
	})
	if apperr.CodeOf(err) != apperr.Forbidden {
		t.Fatalf("a completion row for another organization: got %v, want FORBIDDEN", err)
	}
}

func TestCatalogCheckReportsBypassingRuntimeRole(t *testing.T) {
	// Not parallel: it changes the cluster-wide runtime role for a moment.
	b := testkit.Setup(t)
	super := strings.Replace(b.OwnerURL, "user=hestami_owner", "user=postgres", 1)
	pool, err := pgxpool.New(b.Ctx, super)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if _, err := pool.Exec(b.Ctx, `ALTER ROLE hestami_app BYPASSRLS`); err != nil {
		t.Fatal(err)
	}
	defer pool.Exec(context.Background(), `ALTER ROLE hestami_app NOBYPASSRLS`) //nolint:errcheck
	problems, err := db.CheckIsolation(b.Ctx, b.DB.Owner)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(problems, "\n"), "runtime role can bypass RLS") {
		t.Fatalf("bypass not reported: %v", problems)
	}
}

// seedTwoTenants creates two organizations with one property each, through
// the owner role (so the test does not depend on the code under test).
func seedTwoTenants(t *testing.T, b *testkit.Bundle) (orgA, orgB string) {
	t.Helper()
	err := b.DB.Owner.QueryRow(b.Ctx, `WITH a AS (INSERT INTO organizations (name, type) VALUES ('A', 'TRUST_OR_LLC') RETURNING id),
		b AS (INSERT INTO organizations (name, type) VALUES ('B', 'TRUST_OR_LLC') RETURNING id)
		SELECT (SELECT id FROM a), (SELECT id FROM b)`).Scan(&orgA, &orgB)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range []string{orgA, orgB} {
		if _, err := b.DB.Owner.Exec(b.Ctx, `INSERT INTO properties (organization_id, name, type, address_line1, city, country)
			VALUES ($1, 'p', 'CONDO', 'x', 'y', 'US'), ($1, 'q', 'CONDO', 'x', 'y', 'US')`, o); err != nil {
			t.Fatal(err)
		}
	}
	return orgA, orgB
}

func countProperties(t *testing.T, b *testkit.Bundle, org string) (n int, orgs []string) {
	t.Helper()
	err := b.DB.InTenant(b.Ctx, org, func(q db.Querier) error {
		// No tenant filter on purpose: RLS must supply it.
		rows, err := q.Query(b.Ctx, `SELECT DISTINCT organization_id::text FROM properties`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var o string
			if err := rows.Scan(&o); err != nil {
				return err
			}
			orgs = append(orgs, o)
		}
		return q.QueryRow(b.Ctx, `SELECT count(*) FROM properties`).Scan(&n)
	})
	if err != nil {
		t.Fatal(err)
	}
	return n, orgs
}

func TestQueryWithoutTenantFilterSeesOnlyItsTenant(t *testing.T) {
	t.Parallel()
	b := testkit.Setup(t)
	orgA, orgB := seedTwoTenants(t, b)
	n, orgs := countProperties(t, b, orgA)
	if n != 2 || len(orgs) != 1 || orgs[0] != orgA {
		t.Fatalf("tenant A saw %d rows of orgs %v", n, orgs)
	}
	n, orgs = countProperties(t, b, orgB)
	if n != 2 || len(orgs) != 1 || orgs[0] != orgB {
		t.Fatalf("tenant B saw %d rows of orgs %v", n, orgs)
	}
}

func TestRuntimeRoleCannotWriteIntoAnotherTenant(t *testing.T) {
	t.Parallel()
	b := testkit.Setup(t)
	orgA, orgB := seedTwoTenants(t, b)
	err := b.DB.InTenant(b.Ctx, orgA, func(q db.Querier) error {
		_, err := q.Exec(b.Ctx, `INSERT INTO properties (organization_id, name, type, address_line1, city, country)
			VALUES ($1, 'intruder', 'CONDO', 'x', 'y', 'US')`, orgB)
		return err
	})
	if apperr.CodeOf(err) != apperr.Forbidden {
		t.Fatalf("cross-tenant insert: got %v, want FORBIDDEN (RLS WITH CHECK)", err)
	}
	err = b.DB.InTenant(b.Ctx, orgA, func(q db.Querier) error {
		n, err := q.Exec(b.Ctx, `UPDATE properties SET name = 'stolen' WHERE organization_id = $1`, orgB)
		if err == nil && n != 0 {
			t.Errorf("updated %d rows of another tenant", n)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func onePool(t *testing.T, appURL string) *pgxpool.Pool {
	u, err := url.Parse(appURL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("pool_max_conns", "1")
	u.RawQuery = q.Encode()
	pool, err := pgxpool.New(context.Background(), u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

func TestPooledConnectionReusedByAnotherTenantSeesNothingOfThePrevious(t *testing.T) {
	t.Parallel()
	b := testkit.Setup(t)
	orgA, orgB := seedTwoTenants(t, b)
	pool := onePool(t, b.AppURL)
	single := &db.DB{Owner: b.DB.Owner, App: pool}
	var pidA, pidB int
	if err := single.InTenant(b.Ctx, orgA, func(q db.Querier) error {
		return q.QueryRow(b.Ctx, `SELECT pg_backend_pid()`).Scan(&pidA)
	}); err != nil {
		t.Fatal(err)
	}
	// The same connection, outside any transaction: the setting is gone.
	var n int
	var setting string
	if err := pool.QueryRow(b.Ctx, `SELECT count(*), current_setting('hestami.org_id', true) FROM properties`).Scan(&n, &setting); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("a reused connection without a tenant saw %d rows (setting %q)", n, setting)
	}
	if err := single.InTenant(b.Ctx, orgB, func(q db.Querier) error {
		if err := q.QueryRow(b.Ctx, `SELECT pg_backend_pid()`).Scan(&pidB); err != nil {
			return err
		}
		var other int
		if err := q.QueryRow(b.Ctx, `SELECT count(*) FROM properties WHERE organization_id = $1`, orgA).Scan(&other); err != nil {
			return err
		}
		if other != 0 {
			t.Errorf("tenant B saw %d of tenant A's rows on a reused connection", other)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if pidA != pidB {
		t.Fatalf("the pool did not reuse its connection (%d vs %d): the test proves nothing", pidA, pidB)
	}
}

func TestNoActiveOrganizationSeesNothing(t *testing.T) {
	t.Parallel()
	b := testkit.Setup(t)
	seedTwoTenants(t, b)
	tables := []string{"organizations", "memberships", "concierge_engagements", "properties", "case_counters", "cases", "case_status_history", "activity_events"}
	for _, table := range tables {
		var n int
		if err := b.DB.App.QueryRow(b.Ctx, `SELECT count(*) FROM `+table).Scan(&n); err != nil {
			t.Fatalf("%s: %v", table, err)
		}
		if n != 0 {
			t.Errorf("%s: %d rows visible with no active organization", table, n)
		}
	}
	for _, table := range []string{"users", "api_tokens", "schema_migrations"} {
		if _, err := b.DB.App.Exec(b.Ctx, `SELECT * FROM `+table); err == nil {
			t.Errorf("%s: the runtime role can read it", table)
		}
	}
	if err := b.DB.InTenant(b.Ctx, "", func(db.Querier) error { return nil }); apperr.CodeOf(err) != apperr.Validation {
		t.Errorf("InTenant without an organization: %v", err)
	}
}

// A read sends the tenant setting and its statement as one implicit
// transaction: the setting must not outlive it on the pooled connection, and
// a second statement is refused rather than run without the tenant.
func TestReadCallConfinesTheTenantToItsBatch(t *testing.T) {
	t.Parallel()
	b := testkit.Setup(t)
	orgA, _ := seedTwoTenants(t, b)
	pool := onePool(t, b.AppURL)
	single := &db.DB{Owner: b.DB.Owner, App: pool}
	var n int
	if err := single.InTenantRead(b.Ctx, orgA, func(q db.Querier) error {
		return q.QueryRow(b.Ctx, `SELECT count(*) FROM properties`).Scan(&n)
	}); err != nil || n != 2 {
		t.Fatalf("read: %d %v", n, err)
	}
	var setting string
	if err := pool.QueryRow(b.Ctx, `SELECT current_setting('hestami.org_id', true) || '', (SELECT count(*) FROM properties)`).Scan(&setting, &n); err != nil {
		t.Fatal(err)
	}
	if setting != "" || n != 0 {
		t.Fatalf("after the read the connection still has org %q and sees %d rows", setting, n)
	}
	err := single.InTenantRead(b.Ctx, orgA, func(q db.Querier) error {
		if err := q.QueryRow(b.Ctx, `SELECT 1`).Scan(&n); err != nil {
			return err
		}
		return q.QueryRow(b.Ctx, `SELECT count(*) FROM properties`).Scan(&n)
	})
	if err == nil {
		t.Fatal("a second statement in a read call ran")
	}
}

// Statements queued at the end of a transaction travel with its COMMIT; a
// failing one rolls everything back.
func TestQueuedStatementsCommitOrRollBackTogether(t *testing.T) {
	t.Parallel()
	b := testkit.Setup(t)
	orgA, _ := seedTwoTenants(t, b)
	insert := `INSERT INTO properties (organization_id, name, type, address_line1, city, country) VALUES ($1, $2, 'CONDO', 'x', 'y', $3)`
	err := b.DB.InTenant(b.Ctx, orgA, func(q db.Querier) error {
		if err := db.Queue(b.Ctx, q, insert, orgA, "queued-1", "US"); err != nil {
			return err
		}
		return db.Queue(b.Ctx, q, insert, orgA, "queued-2", "US")
	})
	if err != nil {
		t.Fatal(err)
	}
	err = b.DB.InTenant(b.Ctx, orgA, func(q db.Querier) error {
		if err := db.Queue(b.Ctx, q, insert, orgA, "queued-3", "US"); err != nil {
			return err
		}
		return db.Queue(b.Ctx, q, insert, orgA, "bad-country", "USA") // violates the CHECK
	})
	if apperr.CodeOf(err) != apperr.Validation {
		t.Fatalf("failing queued statement: %v", err)
	}
	var names []string
	rows, _ := b.DB.Owner.Query(b.Ctx, `SELECT name FROM properties WHERE name LIKE 'queued-%' ORDER BY name`)
	for rows.Next() {
		var s string
		rows.Scan(&s)
		names = append(names, s)
	}
	if strings.Join(names, ",") != "queued-1,queued-2" {
		t.Fatalf("committed: %v", names)
	}
}
