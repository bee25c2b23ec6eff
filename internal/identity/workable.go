package identity

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/hestami/concierge/internal/db"
)

// Workable is an organization a user may act in, with the roles it would
// hold there: its own, or the platform roles of its operator that the
// organization engaged (Engaged).
type Workable struct {
	ID      string
	Name    string
	Type    string
	Roles   []string
	Engaged bool
}

// Workable lists the organizations userID may act in, by name: each where
// it holds a membership and each that actively engages an operator where
// it holds a platform role. The read runs on the runtime role with no
// active organization and the user named (hestami.user_id), so row-level
// security shows it that user's rows and nothing else
// (migrations/0024_workable_organizations.sql). The roles are resolved as
// hestami_caller resolves them for one organization.
func (s *Service) Workable(ctx context.Context, userID string) ([]Workable, error) {
	var out []Workable
	err := pgx.BeginFunc(ctx, s.db.App, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT set_config('hestami.user_id', $1, true)`, userID); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `WITH r AS (
				SELECT m.organization_id AS org_id, m.role, false AS via FROM memberships m WHERE m.user_id = $1
				UNION ALL
				SELECT e.organization_id, m.role, true FROM memberships m
				JOIN organizations op ON op.id = m.organization_id AND op.type = 'PLATFORM_OPERATOR'
				JOIN concierge_engagements e ON e.operator_org_id = m.organization_id AND e.status = 'ACTIVE'
				WHERE m.user_id = $1 AND m.role IN ('CONCIERGE_STAFF', 'CONCIERGE_LEAD', 'PLATFORM_ADMIN'))
			SELECT o.id, o.name, o.type, array_agg(DISTINCT r.role ORDER BY r.role), bool_or(r.via)
			FROM r JOIN organizations o ON o.id = r.org_id
			GROUP BY o.id, o.name, o.type ORDER BY o.name, o.id`, userID)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (Workable, error) {
			var w Workable
			return w, row.Scan(&w.ID, &w.Name, &w.Type, &w.Roles, &w.Engaged)
		})
		return err
	})
	return out, db.MapError(err)
}
