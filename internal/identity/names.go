package identity

import (
	"context"

	"github.com/google/uuid"

	"github.com/hestami/concierge/internal/db"
)

// DisplayNames returns the display names of userIDs (ids that name no user
// are left out). It runs on the owner connection, so it is for the CLI only,
// which holds the owner credentials anyway, to name the actors of records the
// caller was just allowed to read; the runtime role that serves the API gets
// no way to read other users' names.
func (s *Service) DisplayNames(ctx context.Context, userIDs []string) (map[string]string, error) {
	ids := make([]string, 0, len(userIDs))
	for _, id := range userIDs {
		if uuid.Validate(id) == nil {
			ids = append(ids, id)
		}
	}
	names := make(map[string]string, len(ids))
	if len(ids) == 0 {
		return names, nil
	}
	err := s.db.InOwner(ctx, func(q db.Querier) error {
		rows, err := q.Query(ctx, `SELECT id::text, display_name FROM users WHERE id = ANY($1::uuid[])`, ids)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id, name string
			if err := rows.Scan(&id, &name); err != nil {
				return err
			}
			names[id] = name
		}
		return rows.Err()
	})
	return names, err
}
