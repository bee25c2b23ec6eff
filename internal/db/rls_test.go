package db_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hestami/concierge/internal/apperr"
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
	for _, want := range []string{"table leaky: row-level security is not enabled", "table half: row-level security is not forced"} {
		if !strings.Contains(joined, want) {
			t.Errorf("missing %q in:\n%s", want, joined)
		}
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
