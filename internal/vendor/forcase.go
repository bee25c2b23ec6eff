package vendor

import (
	"context"

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
	return records.LatestOfCase(ctx, q, quoteTable, plan, caseID, "created_at", "", limit)
}

// SchedulesForCaseTx is the "visits" part, by window start.
func SchedulesForCaseTx(ctx context.Context, q db.Querier, plan *authz.Plan, caseID string, limit int) ([]Schedule, bool, error) {
	return records.LatestOfCase(ctx, q, scheduleTable, plan, caseID, "window_start", "", limit)
}

// InvoicesForCaseTx is the "invoices" part.
func InvoicesForCaseTx(ctx context.Context, q db.Querier, plan *authz.Plan, caseID string, limit int) ([]Invoice, bool, error) {
	return records.LatestOfCase(ctx, q, invoiceTable, plan, caseID, "created_at", "", limit)
}
