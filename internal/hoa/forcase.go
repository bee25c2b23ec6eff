package hoa

import (
	"context"
	"slices"

	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/db"
)

// ApprovalsForCaseTx returns the latest limit approvals of a case that
// plan (the PDP's plan for "view" on hoa_approval) allows, oldest first,
// and whether older ones were left out, in the caller's transaction: the
// "approvals" part of case/v1/detail (internal/casedetail). The plan is
// SQL, so what the caller may not see is neither returned nor counted.
func ApprovalsForCaseTx(ctx context.Context, q db.Querier, plan *authz.Plan, caseID string, limit int) ([]Approval, bool, error) {
	args := &authz.Args{}
	allowed, err := plan.SQL(approvals.Plan, args)
	if err != nil {
		return nil, false, err
	}
	rows, err := q.Query(ctx, `SELECT `+approvalColumns+` FROM hoa_approvals WHERE case_id = `+args.Add(caseID)+`::uuid AND `+allowed+
		` ORDER BY created_at DESC, id DESC LIMIT `+args.Add(limit+1), args.List()...)
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	out := []Approval{}
	for rows.Next() {
		a, err := scanApproval(rows)
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
