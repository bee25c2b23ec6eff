package action

import (
	"context"

	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/db"
	"github.com/hestami/concierge/internal/records"
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
	return records.LatestOfCase(ctx, q, table, plan, caseID, "created_at", "", limit)
}
