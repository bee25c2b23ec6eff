package document

import (
	"context"
	"slices"

	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/db"
)

// ForCaseTx returns the latest limit current document versions bound to a
// case that plan (the PDP's plan for "view" on documents) allows, oldest
// first, and whether older ones were left out, in the caller's transaction:
// the "documents" part of case/v1/detail (internal/cases/detail.go's
// extension point), so that a STAFF_ONLY document never reaches the owner
// side there either.
func ForCaseTx(ctx context.Context, q db.Querier, plan *authz.Plan, caseID string, limit int) ([]Document, bool, error) {
	args := &authz.Args{}
	allowed, err := ViewFilter(plan, args)
	if err != nil {
		return nil, false, err
	}
	rows, err := q.Query(ctx, `SELECT `+columns+` FROM documents WHERE case_id = `+args.Add(caseID)+`::uuid
		AND superseded_by IS NULL AND `+allowed+` ORDER BY created_at DESC, id DESC LIMIT `+args.Add(limit+1), args.List()...)
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	out := []Document{}
	for rows.Next() {
		d, err := scan(rows)
		if err != nil {
			return nil, false, err
		}
		out = append(out, d)
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
