package db_test

import (
	"strings"
	"testing"

	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/db"
	"github.com/hestami/concierge/internal/testkit"
)

// Every foreign key between tenant tables pairs organization_id with
// organization_id, for the tables of every domain, present and future.
func TestTenantForeignKeysIncludeTheOrganization(t *testing.T) {
	t.Parallel()
	b := testkit.Setup(t)
	problems, err := db.CheckTenantForeignKeys(b.Ctx, b.DB.Owner)
	if err != nil {
		t.Fatal(err)
	}
	if len(problems) > 0 {
		t.Fatalf("cross-tenant foreign keys:\n%s", strings.Join(problems, "\n"))
	}
}

// The check must be able to fail: a child table referencing its parent by
// id alone, or pairing organization_id with another column, is reported.
func TestTenantForeignKeyCheckReportsSingleColumnKey(t *testing.T) {
	t.Parallel()
	b := testkit.Setup(t)
	if _, err := b.DB.Owner.Exec(b.Ctx, `CREATE TABLE parent (organization_id uuid NOT NULL, id uuid PRIMARY KEY, other uuid, UNIQUE (organization_id, id), UNIQUE (other, id));
		CREATE TABLE child (organization_id uuid NOT NULL, parent_id uuid REFERENCES parent (id));
		CREATE TABLE crossed (organization_id uuid NOT NULL, parent_id uuid, FOREIGN KEY (organization_id, parent_id) REFERENCES parent (other, id));
		CREATE TABLE good (organization_id uuid NOT NULL, parent_id uuid, FOREIGN KEY (organization_id, parent_id) REFERENCES parent (organization_id, id))`); err != nil {
		t.Fatal(err)
	}
	problems, err := db.CheckTenantForeignKeys(b.Ctx, b.DB.Owner)
	if err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(problems, "\n")
	if len(problems) != 2 || !strings.Contains(joined, "public.child: foreign key child_parent_id_fkey references parent") ||
		!strings.Contains(joined, "public.crossed:") {
		t.Fatalf("want child and crossed reported, got:\n%s", joined)
	}
}

// A status history entry cannot point at another tenant's case, even when
// the statement names its id.
func TestHistoryCannotReferenceAnotherTenantsCase(t *testing.T) {
	t.Parallel()
	b := testkit.Setup(t)
	orgA, orgB := seedTwoTenants(t, b)
	var user string
	if err := b.DB.Owner.QueryRow(b.Ctx, `INSERT INTO users (email, display_name) VALUES ('u@b.test', 'u') RETURNING id`).Scan(&user); err != nil {
		t.Fatal(err)
	}
	var caseB string
	if err := b.DB.Owner.QueryRow(b.Ctx, `INSERT INTO cases (organization_id, property_id, number, title, category, priority, created_by)
		SELECT organization_id, id, 'CASE-1', 't', 'OTHER', 'NORMAL', $2 FROM properties WHERE organization_id = $1 LIMIT 1
		RETURNING id`, orgB, user).Scan(&caseB); err != nil {
		t.Fatal(err)
	}
	err := b.DB.InTenant(b.Ctx, orgA, func(q db.Querier) error {
		_, err := q.Exec(b.Ctx, `INSERT INTO case_status_history (organization_id, case_id, to_status, actor_kind, actor_id)
			VALUES ($1, $2, 'INTAKE', 'HUMAN', $3)`, orgA, caseB, user)
		return err
	})
	if state, constraint := pgCode(err); state != "23503" || constraint != "case_status_history_organization_id_case_id_fkey" || apperr.CodeOf(err) != apperr.NotFound {
		t.Fatalf("history entry on another tenant's case: %v (SQLSTATE %q, constraint %q)", err, state, constraint)
	}
}
