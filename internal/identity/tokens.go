package identity

import (
	"context"
	"time"

	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/db"
)

// Token is a token as an operator lists it: never its value or hash.
type Token struct {
	ID        string     `json:"id"`
	UserID    string     `json:"userId"`
	Name      string     `json:"name"`
	CreatedAt time.Time  `json:"createdAt"`
	ExpiresAt time.Time  `json:"expiresAt"`
	RevokedAt *time.Time `json:"revokedAt,omitempty"`
}

// State is ACTIVE, EXPIRED or REVOKED at now.
func (t Token) State(now time.Time) string {
	switch {
	case t.RevokedAt != nil:
		return "REVOKED"
	case !t.ExpiresAt.After(now):
		return "EXPIRED"
	}
	return "ACTIVE"
}

// ListTokens lists the tokens of userRef (id or e-mail), oldest first,
// revoked and expired ones included so an operator can see what was issued.
func (s *Service) ListTokens(ctx context.Context, userRef string) ([]Token, error) {
	var f apperr.Fields
	f.Required("user", userRef)
	if err := f.Err(); err != nil {
		return nil, err
	}
	out := []Token{}
	err := s.db.InOwner(ctx, func(q db.Querier) error {
		var userID string
		if err := q.QueryRow(ctx, `SELECT id FROM users WHERE id::text = $1 OR email = lower($1)`, userRef).Scan(&userID); err != nil {
			return notFound(err, "user %s", userRef)
		}
		rows, err := q.Query(ctx, `SELECT id, user_id, name, created_at, expires_at, revoked_at
			FROM api_tokens WHERE user_id = $1 ORDER BY created_at, id`, userID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var t Token
			if err := rows.Scan(&t.ID, &t.UserID, &t.Name, &t.CreatedAt, &t.ExpiresAt, &t.RevokedAt); err != nil {
				return err
			}
			out = append(out, t)
		}
		return rows.Err()
	})
	return out, err
}
