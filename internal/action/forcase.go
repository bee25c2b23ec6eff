package action

import (
	"context"
	"slices"

	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/db"
)

// ViewFilter renders plan (the PDP's plan for "view" on actions) as a SQL
// condition over case_actions, for a read that another domain assembles in
// its own transaction (case/v1/detail).
func ViewFilter(plan *authz.Plan, args *authz.Args) (string, error) {
	return plan.SQL(table.Plan, args)
}

// ForCaseTx returns the latest limit actions of a case that plan allows,
// oldest first, and whether older ones were left out, in the caller's
// transaction.
func ForCaseTx(ctx context.Context, q db.Querier, plan *authz.Plan, caseID string, limit int) ([]Action, bool, error) {
	args := &authz.Args{}
	allowed, err := ViewFilter(plan, args)
	if err != nil {
		return nil, false, err
	}
	rows, err := q.Query(ctx, `SELECT `+columns+` FROM case_actions WHERE case_id = `+args.Add(caseID)+`::uuid AND `+allowed+
		` ORDER BY created_at DESC, id DESC LIMIT `+args.Add(limit+1), args.List()...)
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	out := []Action{}
	for rows.Next() {
		a, err := scan(rows)
		if err != nil {
			return nil, false, err
		}
		out = append(out, a)
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
