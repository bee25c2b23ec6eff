package db_test

import (
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/db"
	"github.com/hestami/concierge/internal/testkit"
)

// pgCode returns the SQLSTATE and constraint behind err ("" when there is no
// PostgreSQL error in its chain).
func pgCode(err error) (code, constraint string) {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code, pgErr.ConstraintName
	}
	return "", ""
}

// A queued statement that violates a foreign key or a check fails at
// COMMIT with its own error (constraint name included), mapped once; it is
// never hidden behind "current transaction is aborted" (25P02).
func TestQueuedViolationSurfacesAtCommitWithItsOwnError(t *testing.T) {
	t.Parallel()
	b := testkit.Setup(t)
	orgA, _ := seedTwoTenants(t, b)
	for _, tc := range []struct {
		name, sql, wantState string
		wantCode             apperr.Code
	}{
		{"foreign key", `INSERT INTO case_status_history (organization_id, case_id, to_status, actor_kind, actor_id)
			VALUES ($1, gen_random_uuid(), 'INTAKE', 'HUMAN', gen_random_uuid())`, "23503", apperr.NotFound},
		{"check", `INSERT INTO activity_events (organization_id, entity_type, entity_id, verb, actor_kind, actor_id)
			VALUES ($1, 'case', gen_random_uuid(), 'created', 'ROBOT', gen_random_uuid())`, "23514", apperr.Validation},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := b.DB.InTenant(b.Ctx, orgA, func(q db.Querier) error {
				// A statement after the queued ones, still queued as well,
				// so everything travels with the COMMIT.
				if err := db.Queue(b.Ctx, q, tc.sql, orgA); err != nil {
					return err
				}
				return db.Queue(b.Ctx, q, `INSERT INTO case_counters (organization_id, year, last_number) VALUES ($1, 2001, 1)`, orgA)
			})
			state, constraint := pgCode(err)
			if state != tc.wantState || constraint == "" || apperr.CodeOf(err) != tc.wantCode {
				t.Fatalf("got %v (SQLSTATE %q, constraint %q, code %s), want SQLSTATE %s mapped to %s",
					err, state, constraint, apperr.CodeOf(err), tc.wantState, tc.wantCode)
			}
		})
	}
	var n int
	if err := b.DB.Owner.QueryRow(b.Ctx, `SELECT count(*) FROM case_counters`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d counters committed (%v), want none", n, err)
	}
}

// The first failing statement of a batch wins over the statements that
// the server then skipped.
func TestFirstErrorOfABatchWins(t *testing.T) {
	t.Parallel()
	b := testkit.Setup(t)
	orgA, _ := seedTwoTenants(t, b)
	err := b.DB.InTenant(b.Ctx, orgA, func(q db.Querier) error {
		if err := db.Queue(b.Ctx, q, `INSERT INTO case_counters (organization_id, year, last_number) VALUES ($1, 2002, 1), ($1, 2002, 2)`, orgA); err != nil {
			return err
		}
		var one int
		return q.QueryRow(b.Ctx, `SELECT 1 FROM properties LIMIT 1`).Scan(&one)
	})
	if state, _ := pgCode(err); state != "23505" || apperr.CodeOf(err) != apperr.Conflict {
		t.Fatalf("got %v (SQLSTATE %q), want the unique violation", err, state)
	}
}

// After a failed statement, a queued ROLLBACK TO SAVEPOINT recovers the
// transaction even when the statements queued after it have never been
// prepared on the connection (pgx prepares them before running the batch).
func TestQueuedRollbackToSavepointRecoversTheTransaction(t *testing.T) {
	t.Parallel()
	b := testkit.Setup(t)
	orgA, _ := seedTwoTenants(t, b)
	err := b.DB.InTenant(b.Ctx, orgA, func(q db.Querier) error {
		if err := db.Queue(b.Ctx, q, `SAVEPOINT attempt`); err != nil {
			return err
		}
		_, err := q.Exec(b.Ctx, `INSERT INTO activity_events (organization_id, entity_type, entity_id, verb, actor_kind, actor_id)
			VALUES ($1, 'case', gen_random_uuid(), 'created', 'ROBOT', gen_random_uuid())`, orgA)
		if state, _ := pgCode(err); state != "23514" {
			t.Errorf("failing statement: %v", err)
		}
		if err := db.Queue(b.Ctx, q, `ROLLBACK TO SAVEPOINT attempt`); err != nil {
			return err
		}
		return db.Queue(b.Ctx, q, `INSERT INTO case_counters (organization_id, year, last_number) VALUES ($1, 2003, 7) /* recovered */`, orgA)
	})
	if err != nil {
		t.Fatalf("recovery: %v", err)
	}
	var n int
	if err := b.DB.Owner.QueryRow(b.Ctx, `SELECT last_number FROM case_counters WHERE year = 2003`).Scan(&n); err != nil || n != 7 {
		t.Fatalf("recovered write: %d %v", n, err)
	}
}

// A statement error that fn swallows aborts the transaction; PostgreSQL
// answers the COMMIT with ROLLBACK, which must not be reported as success.
func TestSwallowedErrorIsNotReportedAsCommitted(t *testing.T) {
	t.Parallel()
	b := testkit.Setup(t)
	orgA, _ := seedTwoTenants(t, b)
	err := b.DB.InTenant(b.Ctx, orgA, func(q db.Querier) error {
		if _, err := q.Exec(b.Ctx, `INSERT INTO case_counters (organization_id, year, last_number) VALUES ($1, 2004, 1)`, orgA); err != nil {
			return err
		}
		_, _ = q.Exec(b.Ctx, `INSERT INTO case_counters (organization_id, year, last_number) VALUES ($1, 2004, 2)`, orgA)
		return nil
	})
	if err == nil {
		t.Fatal("a rolled-back transaction was reported as committed")
	}
	if apperr.CodeOf(err) != apperr.Internal {
		t.Fatalf("got %v (%s), want INTERNAL", err, apperr.CodeOf(err))
	}
}

// Input PostgreSQL rejects as malformed text or an impossible date is
// invalid input, not an internal error.
func TestMalformedValuesAreValidationErrors(t *testing.T) {
	t.Parallel()
	b := testkit.Setup(t)
	orgA, _ := seedTwoTenants(t, b)
	for _, tc := range []struct {
		name, sql, state string
		arg              any
	}{
		{"NUL in text", `SELECT length($1::text)`, "22021", "a\x00b"},
		{"unparsable date", `SELECT length($1::text::date::text)`, "22007", "yesterday-ish"},
		{"date out of range", `SELECT length($1::text::timestamptz::text)`, "22008", "2026-13-45"},
		{"timestamp out of range", `SELECT length($1::timestamptz::text)`, "22008", time.Date(300000, 1, 1, 0, 0, 0, 0, time.UTC)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := b.DB.InTenant(b.Ctx, orgA, func(q db.Querier) error {
				var n int
				return q.QueryRow(b.Ctx, tc.sql, tc.arg).Scan(&n)
			})
			state, _ := pgCode(err)
			if state != tc.state || apperr.CodeOf(err) != apperr.Validation {
				t.Fatalf("got %v (SQLSTATE %q, %s), want %s as VALIDATION_FAILED", err, state, apperr.CodeOf(err), tc.state)
			}
		})
	}
}
