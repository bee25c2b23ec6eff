package document

import (
	"context"

	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/db"
	"github.com/hestami/concierge/internal/records"
)

// ForCaseTx returns the latest limit current document versions bound to a
// case that plan (the PDP's plan for "view" on documents) allows, oldest
// first, and whether older ones were left out, in the caller's transaction:
// the "documents" part of case/v1/detail (internal/cases/detail.go's
// extension point), so that a STAFF_ONLY document never reaches the owner
// side there either.
func ForCaseTx(ctx context.Context, q db.Querier, plan *authz.Plan, caseID string, limit int) ([]Document, bool, error) {
	return records.LatestOfCase(ctx, q, table, plan, caseID, "created_at", "superseded_by IS NULL", limit)
}
