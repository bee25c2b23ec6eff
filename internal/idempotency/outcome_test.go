package idempotency_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/cases"
	"github.com/hestami/concierge/internal/db"
	"github.com/hestami/concierge/internal/idempotency"
	"github.com/hestami/concierge/internal/testkit"
)

// execTwice runs fn under key twice and returns both outcomes; the second
// must be a replay of the first.
func execTwice(t *testing.T, b *testkit.Bundle, p authz.Principal, key string, input any,
	fn func(ctx context.Context, q db.Querier) (any, error)) (first, second idempotency.Outcome) {
	t.Helper()
	fp, err := idempotency.Fingerprint(input)
	if err != nil {
		t.Fatal(err)
	}
	first, err = idempotency.Execute(b.Ctx, b.DB, p, "test/v1/op", key, fp, fn)
	if err != nil {
		t.Fatalf("first execution: %v", err)
	}
	ran := false
	second, err = idempotency.Execute(b.Ctx, b.DB, p, "test/v1/op", key, fp, func(ctx context.Context, q db.Querier) (any, error) {
		ran = true
		return nil, nil
	})
	if err != nil {
		t.Fatalf("second execution: %v", err)
	}
	if ran || !second.Replayed {
		t.Fatalf("second execution was not a replay (ran=%v): %+v", ran, second)
	}
	return first, second
}

func wantStoredError(t *testing.T, first, second idempotency.Outcome, code apperr.Code, field string) {
	t.Helper()
	for i, out := range []idempotency.Outcome{first, second} {
		if out.Err == nil || out.Err.Code != code {
			t.Fatalf("outcome %d: %+v, want %s", i, out, code)
		}
		if field != "" && (len(out.Err.Fields) != 1 || out.Err.Fields[0].Field != field) {
			t.Fatalf("outcome %d: fields %+v, want one on %s", i, out.Err.Fields, field)
		}
	}
	if first.Replayed {
		t.Fatalf("first outcome claims to be a replay: %+v", first)
	}
	if first.Err.Message != second.Err.Message {
		t.Fatalf("replayed message %q differs from %q", second.Err.Message, first.Err.Message)
	}
}

// A case on a property that does not exist, or belongs to another
// organization, is a field error on propertyId — through the real pipeline
// (pipelined savepoint, foreign key raised by PostgreSQL, rollback to the
// savepoint, record) — and a retry replays it.
func TestCreateCaseOnUnknownPropertyIsRecordedFieldError(t *testing.T) {
	t.Parallel()
	b := testkit.Setup(t)
	w := b.NewWorld()
	svc := b.Cases()
	foreign := b.NewProperty(w.ChenOwner, "Chen home").ID
	for i, prop := range []string{"00000000-0000-0000-0000-000000000000", foreign} {
		in := cases.CreateInput{PropertyID: prop, Title: "Leak"}
		first, second := execTwice(t, b, w.RiveraOwner, fmt.Sprintf("create-%d", i), in,
			func(ctx context.Context, q db.Querier) (any, error) { return svc.CreateTx(ctx, q, w.RiveraOwner, in) })
		wantStoredError(t, first, second, apperr.Validation, "propertyId")
	}
	var n int
	if err := b.DB.Owner.QueryRow(b.Ctx, `SELECT count(*) FROM cases`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d cases (%v), want none", n, err)
	}
	// The rolled-back attempts left the counter alone: the next case is number 1.
	c, err := svc.Create(b.Ctx, w.RiveraOwner, cases.CreateInput{PropertyID: b.NewProperty(w.RiveraOwner, "Rivera home").ID, Title: "Leak"})
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("CASE-%d-1", c.CreatedAt.UTC().Year()); c.Number != want {
		t.Fatalf("number %s, want %s", c.Number, want)
	}
}

// Domain errors raised by PostgreSQL itself are classified after mapping,
// so they are recorded and replayed like any other domain error.
func TestDatabaseRaisedDomainErrorsAreRecordedAndReplayed(t *testing.T) {
	t.Parallel()
	b := testkit.Setup(t)
	w := b.NewWorld()
	p := w.RiveraOwner
	cases := []struct {
		name string
		code apperr.Code
		fn   func(ctx context.Context, q db.Querier) (any, error)
	}{
		{"unique violation", apperr.Conflict, func(ctx context.Context, q db.Querier) (any, error) {
			for range 2 {
				if _, err := q.Exec(ctx, `INSERT INTO case_counters (organization_id, year, last_number) VALUES ($1, 1999, 1)`, p.OrgID); err != nil {
					return nil, err
				}
			}
			return "inserted twice", nil
		}},
		{"check violation", apperr.Validation, func(ctx context.Context, q db.Querier) (any, error) {
			_, err := q.Exec(ctx, `INSERT INTO properties (organization_id, name, type, address_line1, city, country)
				VALUES ($1, 'p', 'CONDO', 'x', 'y', 'USA')`, p.OrgID)
			return "inserted", err
		}},
		{"row-level security WITH CHECK", apperr.Forbidden, func(ctx context.Context, q db.Querier) (any, error) {
			_, err := q.Exec(ctx, `INSERT INTO properties (organization_id, name, type, address_line1, city, country)
				VALUES ($1, 'p', 'CONDO', 'x', 'y', 'US')`, w.Chen.ID)
			return "inserted elsewhere", err
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			first, second := execTwice(t, b, p, tc.name, tc.name, tc.fn)
			wantStoredError(t, first, second, tc.code, "")
		})
	}
	var n int
	if err := b.DB.Owner.QueryRow(b.Ctx, `SELECT (SELECT count(*) FROM properties) + (SELECT count(*) FROM case_counters)`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d rows written (%v), want none", n, err)
	}
}
