// Package identity owns organizations, users, memberships, concierge
// engagements and API tokens, and resolves who a caller is in its active
// organization. Administration (creating organizations, users, memberships,
// tokens) is an operator act on the owner connection, and so is resolving
// an arbitrary user (--as); resolving the bearer of a token runs on the
// runtime role through SECURITY DEFINER functions keyed by the token hash.
package identity

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/db"
	"github.com/hestami/concierge/internal/enum"
)

// Organization types (domain.md §0).
var OrgTypes = enum.New("INDIVIDUAL_PROPERTY_OWNER", "TRUST_OR_LLC", "COMMUNITY_ASSOCIATION", "SERVICE_PROVIDER", "PLATFORM_OPERATOR").
	Stored("organizations", "type")

// Membership roles (domain.md §0).
var Roles = enum.New("OWNER", "CO_OWNER", "TRUSTEE_MANAGER", "DELEGATED_AGENT", "CONCIERGE_STAFF", "CONCIERGE_LEAD", "PLATFORM_ADMIN").
	Stored("memberships", "role")

// EngagementStatuses are the states of a concierge engagement.
var EngagementStatuses = enum.New("ACTIVE", "ENDED").Stored("concierge_engagements", "status")

var platformRoles = map[string]bool{"CONCIERGE_STAFF": true, "CONCIERGE_LEAD": true, "PLATFORM_ADMIN": true}

// Service is the identity domain.
type Service struct{ db *db.DB }

// New returns the identity service.
func New(d *db.DB) *Service { return &Service{db: d} }

// Organization is a tenant.
type Organization struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Type      string    `json:"type"`
	CreatedAt time.Time `json:"createdAt"`
}

// User is a person who can authenticate.
type User struct {
	ID          string    `json:"id"`
	Email       string    `json:"email"`
	DisplayName string    `json:"displayName"`
	CreatedAt   time.Time `json:"createdAt"`
}

// Membership is user × organization × role.
type Membership struct {
	ID             string    `json:"id"`
	OrganizationID string    `json:"organizationId"`
	UserID         string    `json:"userId"`
	Email          string    `json:"email"`
	Role           string    `json:"role"`
	CreatedAt      time.Time `json:"createdAt"`
}

// Engagement links an owner organization to the platform operator.
type Engagement struct {
	ID             string    `json:"id"`
	OrganizationID string    `json:"organizationId"`
	OperatorOrgID  string    `json:"operatorOrgId"`
	Status         string    `json:"status"`
	StartedAt      time.Time `json:"startedAt"`
}

// IssuedToken is a token as shown once, at creation.
type IssuedToken struct {
	ID        string    `json:"id"`
	UserID    string    `json:"userId"`
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// CreateOrg creates an organization.
func (s *Service) CreateOrg(ctx context.Context, name, typ string) (Organization, error) {
	var f apperr.Fields
	f.Required("name", name)
	f.MaxLen("name", name, 200)
	f.SingleLine("name", name)
	f.Required("type", typ)
	f.OneOf("type", typ, OrgTypes.Strings())
	if err := f.Err(); err != nil {
		return Organization{}, err
	}
	var o Organization
	err := s.db.InOwner(ctx, func(q db.Querier) error {
		return q.QueryRow(ctx, `INSERT INTO organizations (name, type) VALUES ($1, $2) RETURNING id, name, type, created_at`,
			strings.TrimSpace(name), typ).Scan(&o.ID, &o.Name, &o.Type, &o.CreatedAt)
	})
	return o, err
}

// ListOrgs lists every organization (operator view).
func (s *Service) ListOrgs(ctx context.Context) ([]Organization, error) {
	var out []Organization
	err := s.db.InOwner(ctx, func(q db.Querier) error {
		rows, err := q.Query(ctx, `SELECT id, name, type, created_at FROM organizations ORDER BY created_at, id`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var o Organization
			if err := rows.Scan(&o.ID, &o.Name, &o.Type, &o.CreatedAt); err != nil {
				return err
			}
			out = append(out, o)
		}
		return rows.Err()
	})
	return out, err
}

// CreateUser creates a user.
func (s *Service) CreateUser(ctx context.Context, email, displayName string) (User, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	var f apperr.Fields
	f.Required("email", email)
	if email != "" && !strings.Contains(email, "@") {
		f.Add("email", "invalid_format", "email must be an e-mail address")
	}
	f.Required("name", displayName)
	f.MaxLen("name", displayName, 200)
	f.SingleLine("name", displayName)
	f.SingleLine("email", email)
	if err := f.Err(); err != nil {
		return User{}, err
	}
	var u User
	err := s.db.InOwner(ctx, func(q db.Querier) error {
		return q.QueryRow(ctx, `INSERT INTO users (email, display_name) VALUES ($1, $2) RETURNING id, email, display_name, created_at`,
			email, strings.TrimSpace(displayName)).Scan(&u.ID, &u.Email, &u.DisplayName, &u.CreatedAt)
	})
	if apperr.CodeOf(err) == apperr.Conflict {
		return User{}, apperr.Wrap(apperr.Conflict, err, "a user with e-mail %s already exists", email)
	}
	return u, err
}

// ListUsers lists every user (operator view).
func (s *Service) ListUsers(ctx context.Context) ([]User, error) {
	var out []User
	err := s.db.InOwner(ctx, func(q db.Querier) error {
		rows, err := q.Query(ctx, `SELECT id, email, display_name, created_at FROM users ORDER BY created_at, id`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var u User
			if err := rows.Scan(&u.ID, &u.Email, &u.DisplayName, &u.CreatedAt); err != nil {
				return err
			}
			out = append(out, u)
		}
		return rows.Err()
	})
	return out, err
}

// AddMember gives userRef (id or e-mail) a role in orgID. Platform roles are
// only held in a PLATFORM_OPERATOR organization and owner-side roles only
// outside one.
func (s *Service) AddMember(ctx context.Context, orgID, userRef, role string) (Membership, error) {
	var f apperr.Fields
	f.Required("org", orgID)
	f.Required("user", userRef)
	f.Required("role", role)
	f.OneOf("role", role, Roles.Strings())
	if orgID != "" && uuid.Validate(orgID) != nil {
		f.Add("org", "invalid_format", "org must be a UUID")
	}
	if err := f.Err(); err != nil {
		return Membership{}, err
	}
	var m Membership
	err := s.db.InOwner(ctx, func(q db.Querier) error {
		var orgType string
		if err := q.QueryRow(ctx, `SELECT type FROM organizations WHERE id = $1`, orgID).Scan(&orgType); err != nil {
			return notFound(err, "organization %s", orgID)
		}
		if platformRoles[role] != (orgType == "PLATFORM_OPERATOR") {
			return &apperr.Error{Code: apperr.Validation, Message: "the input is invalid", Fields: []apperr.FieldError{{
				Field: "role", Code: "invalid_for_org_type",
				Message: "platform roles belong to a PLATFORM_OPERATOR organization and owner-side roles to any other; " + role + " cannot be held in a " + orgType + " organization"}}}
		}
		if err := q.QueryRow(ctx, `SELECT id, email FROM users WHERE id::text = $1 OR email = lower($1)`, userRef).Scan(&m.UserID, &m.Email); err != nil {
			return notFound(err, "user %s", userRef)
		}
		return q.QueryRow(ctx, `INSERT INTO memberships (organization_id, user_id, role) VALUES ($1, $2, $3)
			RETURNING id, organization_id, role, created_at`, orgID, m.UserID, role).Scan(&m.ID, &m.OrganizationID, &m.Role, &m.CreatedAt)
	})
	if apperr.CodeOf(err) == apperr.Conflict {
		return Membership{}, apperr.Wrap(apperr.Conflict, err, "%s already has role %s in that organization", userRef, role)
	}
	return m, err
}

// ListMembers lists the memberships of one organization.
func (s *Service) ListMembers(ctx context.Context, orgID string) ([]Membership, error) {
	var out []Membership
	err := s.db.InOwner(ctx, func(q db.Querier) error {
		rows, err := q.Query(ctx, `SELECT m.id, m.organization_id, m.user_id, u.email, m.role, m.created_at
			FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.organization_id = $1 ORDER BY u.email, m.role`, orgID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var m Membership
			if err := rows.Scan(&m.ID, &m.OrganizationID, &m.UserID, &m.Email, &m.Role, &m.CreatedAt); err != nil {
				return err
			}
			out = append(out, m)
		}
		return rows.Err()
	})
	return out, err
}

// Engage records that ownerOrgID engages the platform operator operatorOrgID.
func (s *Service) Engage(ctx context.Context, ownerOrgID, operatorOrgID string) (Engagement, error) {
	var e Engagement
	err := s.db.InOwner(ctx, func(q db.Querier) error {
		var opType string
		if err := q.QueryRow(ctx, `SELECT type FROM organizations WHERE id = $1`, operatorOrgID).Scan(&opType); err != nil {
			return notFound(err, "organization %s", operatorOrgID)
		}
		if opType != "PLATFORM_OPERATOR" {
			return &apperr.Error{Code: apperr.Validation, Message: "the input is invalid", Fields: []apperr.FieldError{{Field: "operator", Code: "invalid", Message: "operator must be a PLATFORM_OPERATOR organization"}}}
		}
		return q.QueryRow(ctx, `INSERT INTO concierge_engagements (organization_id, operator_org_id) VALUES ($1, $2)
			RETURNING id, organization_id, operator_org_id, status, started_at`, ownerOrgID, operatorOrgID).
			Scan(&e.ID, &e.OrganizationID, &e.OperatorOrgID, &e.Status, &e.StartedAt)
	})
	return e, err
}

// CreateToken issues a random API token for userRef; only its hash is stored.
func (s *Service) CreateToken(ctx context.Context, userRef, name string, ttl time.Duration) (IssuedToken, error) {
	if ttl <= 0 {
		return IssuedToken{}, &apperr.Error{Code: apperr.Validation, Message: "the input is invalid", Fields: []apperr.FieldError{{Field: "ttl", Code: "invalid", Message: "ttl must be positive"}}}
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return IssuedToken{}, err
	}
	t := IssuedToken{Token: "hst_" + base64.RawURLEncoding.EncodeToString(raw)}
	err := s.db.InOwner(ctx, func(q db.Querier) error {
		if err := q.QueryRow(ctx, `SELECT id FROM users WHERE id::text = $1 OR email = lower($1)`, userRef).Scan(&t.UserID); err != nil {
			return notFound(err, "user %s", userRef)
		}
		return q.QueryRow(ctx, `INSERT INTO api_tokens (user_id, name, token_hash, expires_at) VALUES ($1, $2, $3, now() + $4::interval)
			RETURNING id, expires_at`, t.UserID, name, hashToken(t.Token), ttl.String()).Scan(&t.ID, &t.ExpiresAt)
	})
	return t, err
}

// RevokeToken revokes a token by id.
func (s *Service) RevokeToken(ctx context.Context, tokenID string) error {
	if uuid.Validate(tokenID) != nil {
		return &apperr.Error{Code: apperr.Validation, Message: "the input is invalid", Fields: []apperr.FieldError{{Field: "id", Code: "invalid_format", Message: "id must be a token id (UUID)"}}}
	}
	return s.db.InOwner(ctx, func(q db.Querier) error {
		n, err := q.Exec(ctx, `UPDATE api_tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL`, tokenID)
		if err == nil && n == 0 {
			return apperr.New(apperr.NotFound, "no active token %s", tokenID)
		}
		return err
	})
}

func hashToken(t string) []byte {
	h := sha256.Sum256([]byte(t))
	return h[:]
}

func notFound(err error, format string, args ...any) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return apperr.New(apperr.NotFound, format+" not found", args...)
	}
	return err
}

// Authenticate returns the user behind a valid token.
func (s *Service) Authenticate(ctx context.Context, token string) (string, error) {
	var userID, tokenID string
	err := s.db.App.QueryRow(ctx, `SELECT user_id, token_id FROM hestami_authenticate($1)`, hashToken(token)).Scan(&userID, &tokenID)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", apperr.New(apperr.Unauthenticated, "the token is unknown, expired or revoked")
	}
	return userID, db.MapError(err)
}

// LookupUser resolves a user id or e-mail (operators' --as). It runs on the
// owner role: the runtime role may not look users up by e-mail.
func (s *Service) LookupUser(ctx context.Context, ref string) (string, error) {
	var id *string
	if err := s.db.Owner.QueryRow(ctx, `SELECT hestami_user_ref($1)`, ref).Scan(&id); err != nil {
		return "", db.MapError(err)
	}
	if id == nil {
		return "", apperr.New(apperr.Unauthenticated, "no user %q", ref)
	}
	return *id, nil
}

// Caller authenticates token and resolves its user in orgID in one round
// trip (what every API request needs).
func (s *Service) Caller(ctx context.Context, token, orgID string) (authz.Principal, error) {
	if err := validOrg(orgID); err != nil {
		return authz.Principal{}, err
	}
	p := authz.Principal{OrgID: orgID, ActorKind: authz.Human}
	var orgType *string
	err := s.db.App.QueryRow(ctx, `SELECT user_id, org_type, roles, engaged FROM hestami_caller($1, $2)`, hashToken(token), orgID).
		Scan(&p.UserID, &orgType, &p.Roles, &p.Engaged)
	if errors.Is(err, pgx.ErrNoRows) {
		return authz.Principal{}, apperr.New(apperr.Unauthenticated, "the token is unknown, expired or revoked")
	}
	if err != nil {
		return authz.Principal{}, db.MapError(err)
	}
	if orgType == nil || len(p.Roles) == 0 {
		return authz.Principal{UserID: p.UserID}, notMember(orgID)
	}
	p.OrgType = *orgType
	return p, nil
}

func notMember(orgID string) error {
	return apperr.New(apperr.Forbidden, "you are not a member of organization %s and it has no active engagement with your operator", orgID)
}

func validOrg(orgID string) error {
	if orgID == "" {
		return &apperr.Error{Code: apperr.Validation, Message: "an active organization is required",
			Fields: []apperr.FieldError{{Field: "org", Code: "required", Message: "set the active organization (--org, HESTAMI_ORG or X-Org-Id)"}}}
	}
	if uuid.Validate(orgID) != nil {
		return &apperr.Error{Code: apperr.Validation, Message: "the input is invalid",
			Fields: []apperr.FieldError{{Field: "org", Code: "invalid_format", Message: "org must be an organization id (UUID)"}}}
	}
	return nil
}

// Principal resolves what userID may be in orgID: its roles there, or its
// platform roles through an active engagement. No roles is FORBIDDEN. It is
// for operator paths (--as, seeding) and runs on the owner role: the runtime
// role resolves only the bearer of a token (Caller).
func (s *Service) Principal(ctx context.Context, userID, orgID string) (authz.Principal, error) {
	if err := validOrg(orgID); err != nil {
		return authz.Principal{}, err
	}
	p := authz.Principal{UserID: userID, OrgID: orgID, ActorKind: authz.Human}
	err := s.db.Owner.QueryRow(ctx, `SELECT org_type, roles, engaged FROM hestami_principal($1, $2)`, userID, orgID).
		Scan(&p.OrgType, &p.Roles, &p.Engaged)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && len(p.Roles) == 0) {
		return authz.Principal{}, notMember(orgID)
	}
	return p, db.MapError(err)
}
