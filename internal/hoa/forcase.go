package hoa

import (
	"context"

	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/db"
	"github.com/hestami/concierge/internal/records"
)

// ApprovalsForCaseTx returns the latest limit approvals of a case that
// plan (the PDP's plan for "view" on hoa_approval) allows, oldest first,
// and whether older ones were left out, in the caller's transaction: the
// "approvals" part of case/v1/detail (internal/casedetail). The plan is
// SQL, so what the caller may not see is neither returned nor counted.
func ApprovalsForCaseTx(ctx context.Context, q db.Querier, plan *authz.Plan, caseID string, limit int) ([]Approval, bool, error) {
	return records.LatestOfCase(ctx, q, approvals, plan, caseID, "created_at", "", limit)
}
