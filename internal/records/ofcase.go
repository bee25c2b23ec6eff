package records

import (
	"context"
	"slices"

	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/db"
)

// LatestOfCase returns, in the caller's transaction, the latest limit
// records of t on one case that plan (the PDP's plan for "view" on t's kind)
// allows, oldest first, and whether older ones were left out: a part of
// case/v1/detail. The plan is SQL, so what the caller may not see is
// neither returned nor counted. order is the column "latest" is by (id
// breaks ties); where, when not "", narrows the rows further.
func LatestOfCase[T any](ctx context.Context, q db.Querier, t *Table[T], plan *authz.Plan, caseID, order, where string, limit int) ([]T, bool, error) {
	args := &authz.Args{}
	allowed, err := plan.SQL(t.Plan, args)
	if err != nil {
		return nil, false, err
	}
	if where != "" {
		allowed += ` AND (` + where + `)`
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
