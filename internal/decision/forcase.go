package decision

import (
	"context"
	"slices"

	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/db"
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
	args := &authz.Args{}
	allowed, err := plan.SQL(table.Plan, args)
	if err != nil {
		return nil, false, err
	}
	rows, err := q.Query(ctx, `SELECT `+columns+` FROM decisions WHERE case_id = `+args.Add(caseID)+`::uuid AND `+allowed+
		` ORDER BY sequence DESC LIMIT `+args.Add(limit+1), args.List()...)
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	out := []Decision{}
	for rows.Next() {
		d, err := scan(rows)
		if err != nil {
			return nil, false, err
		}
		out = append(out, d.withAudit(withAudit))
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
