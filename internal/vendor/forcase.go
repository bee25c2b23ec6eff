package vendor

import (
	"context"
	"slices"

	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/db"
	"github.com/hestami/concierge/internal/records"
)

// The ForCaseTx functions return the latest limit quotes, visits or
// invoices of a case that plan (the PDP's plan for "view" on the kind)
// allows, oldest first, and whether older ones were left out, in the
// caller's transaction: parts of case/v1/detail (internal/casedetail). The
// plan is SQL, so what the caller may not see is neither returned nor
// counted.

// QuotesForCaseTx is the "quotes" part.
func QuotesForCaseTx(ctx context.Context, q db.Querier, plan *authz.Plan, caseID string, limit int) ([]Quote, bool, error) {
	return forCase(ctx, q, quoteTable, plan, caseID, "created_at", limit)
}

// SchedulesForCaseTx is the "visits" part, by window start.
func SchedulesForCaseTx(ctx context.Context, q db.Querier, plan *authz.Plan, caseID string, limit int) ([]Schedule, bool, error) {
	return forCase(ctx, q, scheduleTable, plan, caseID, "window_start", limit)
}

// InvoicesForCaseTx is the "invoices" part.
func InvoicesForCaseTx(ctx context.Context, q db.Querier, plan *authz.Plan, caseID string, limit int) ([]Invoice, bool, error) {
	return forCase(ctx, q, invoiceTable, plan, caseID, "created_at", limit)
}

func forCase[T any](ctx context.Context, q db.Querier, t *records.Table[T], plan *authz.Plan, caseID, order string, limit int) ([]T, bool, error) {
	args := &authz.Args{}
	allowed, err := plan.SQL(t.Plan, args)
	if err != nil {
		return nil, false, err
	}
	rows, err := q.Query(ctx, `SELECT `+t.Columns+` FROM `+t.Name+` WHERE case_id = `+args.Add(caseID)+`::uuid AND `+allowed+
		` ORDER BY `+order+` DESC, id DESC LIMIT `+args.Add(limit+1), args.List()...)
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := t.Scan(rows)
		if err != nil {
			return nil, false, err
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, false, err
	}
	more := len(out) > limit
	if more {
		out = out[:limit]
	}
	slices.Reverse(out)
	return out, more, nil
}
