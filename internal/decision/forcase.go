package decision

import (
	"context"

	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/db"
	"github.com/hestami/concierge/internal/records"
)

// MayAudit reports whether p sees the audit part of its organization's
// decisions (the PDP's "view_audit" on the ledger), for a caller that
// reads decisions through ForCaseTx.
func (s *Service) MayAudit(ctx context.Context, p authz.Principal) (bool, error) {
	return s.mayAudit(ctx, p)
}

// ForCaseTx returns the latest limit decisions about a case that plan (the
// PDP's plan for "view" on decision) allows, oldest first, and whether
// older ones were left out, in the caller's transaction: the "decisions"
// part of case/v1/detail (internal/casedetail). withAudit is MayAudit's
// answer; without it the audit part is dropped as decision/v1/get drops it.
func ForCaseTx(ctx context.Context, q db.Querier, plan *authz.Plan, caseID string, limit int, withAudit bool) ([]Decision, bool, error) {
	out, more, err := records.LatestOfCase(ctx, q, table, plan, caseID, "sequence", "", limit)
	for i := range out {
		out[i] = out[i].withAudit(withAudit)
	}
	return out, more, err
}
