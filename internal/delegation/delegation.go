// Package delegation owns delegated authority (domain.md §1): an owner
// grants a user authority of some types over some properties, optionally up
// to a monetary limit and until an expiry; the delegate accepts; the owner
// revokes. Its life is a state machine (Transitions):
//
//	| from               | allowed to                 |
//	|--------------------|----------------------------|
//	| (new)              | PENDING_ACCEPTANCE         |
//	| PENDING_ACCEPTANCE | ACTIVE, REVOKED, EXPIRED   |
//	| ACTIVE             | REVOKED, EXPIRED           |
//	| REVOKED, EXPIRED   | — (final)                  |
//
// EXPIRED is never written: a grant reads as EXPIRED from the instant its
// expiry passes, here and in the policies (which judge expiry with the
// PDP's own clock), so no job has to run.
//
// This package only records grants and hands the live ones to the pipeline
// (Grants). What a grant allows is decided by the Cerbos policies on every
// action (policies/delegation_variables.yaml); nothing here infers authority.
package delegation

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/invopop/jsonschema"
	"github.com/jackc/pgx/v5"

	"github.com/hestami/concierge/internal/activity"
	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/db"
	"github.com/hestami/concierge/internal/enum"
	"github.com/hestami/concierge/internal/listing"
	"github.com/hestami/concierge/internal/money"
	"github.com/hestami/concierge/internal/records"
	"github.com/hestami/concierge/internal/statemachine"
)

// Status is where a grant is in its life.
type Status string

const (
	PendingAcceptance Status = "PENDING_ACCEPTANCE"
	Active            Status = "ACTIVE"
	Revoked           Status = "REVOKED"
	Expired           Status = "EXPIRED" // read, never stored
)

// Statuses lists every status a grant reads as.
var Statuses = enum.New(PendingAcceptance, Active, Revoked, Expired)

// storedStatuses are those written: EXPIRED is only ever read.
var storedStatuses = enum.New(PendingAcceptance, Active, Revoked).Stored("delegations", "status")

func (Status) JSONSchema() *jsonschema.Schema { return Statuses.Schema() }

// Transitions is the grant's state machine.
var Transitions = statemachine.Table[Status]{
	PendingAcceptance: {Active, Revoked, Expired},
	Active:            {Revoked, Expired},
}

// AuthorityType is a kind of authority a grant gives.
type AuthorityType string

// AuthorityTypes lists them; FULL_AUTHORITY counts as every other.
var AuthorityTypes = enum.New[AuthorityType]("MAINTENANCE_APPROVAL", "VENDOR_SELECTION", "DOCUMENT_ACCESS",
	"CASE_MANAGEMENT", "FINANCIAL_DECISIONS", "FULL_AUTHORITY")

func (AuthorityType) JSONSchema() *jsonschema.Schema { return AuthorityTypes.Schema() }

// Delegation is one grant of authority.
type Delegation struct {
	ID             string          `json:"id"`
	OrganizationID string          `json:"organizationId"`
	GrantorID      string          `json:"grantorId"`
	DelegateID     string          `json:"delegateId"`
	AuthorityTypes []AuthorityType `json:"authorityTypes"`
	PropertyIDs    []string        `json:"propertyIds"`
	Limit          *money.Money    `json:"limit,omitempty"`
	ExpiresAt      *time.Time      `json:"expiresAt,omitempty"`
	Status         Status          `json:"status"`
	Note           string          `json:"note,omitempty"`
	GrantedAt      time.Time       `json:"grantedAt"`
	AcceptedAt     *time.Time      `json:"acceptedAt,omitempty"`
	RevokedAt      *time.Time      `json:"revokedAt,omitempty"`
	RevokedBy      *string         `json:"revokedBy,omitempty"`
	RevokeReason   string          `json:"revokeReason,omitempty"`
	UpdatedAt      time.Time       `json:"updatedAt"`
}

// GrantInput grants authority to a delegated agent of the organization.
type GrantInput struct {
	DelegateID     string          `json:"delegateId" jsonschema:"format=uuid,description=the user receiving the authority (a DELEGATED_AGENT member of the organization)"`
	PropertyIDs    []string        `json:"propertyIds" jsonschema:"minItems=1,maxItems=100,uniqueItems=true,items.format=uuid"`
	AuthorityTypes []AuthorityType `json:"authorityTypes" jsonschema:"minItems=1,maxItems=6,uniqueItems=true"`
	Limit          *money.Money    `json:"limit,omitempty" jsonschema:"description=the most any single act under this grant may commit"`
	ExpiresAt      *time.Time      `json:"expiresAt,omitempty" jsonschema:"description=the instant the grant stops (RFC 3339); none: until revoked"`
	Note           string          `json:"note,omitempty" jsonschema:"maxLength=2000"`
}

// AcceptInput accepts a grant (by its delegate).
type AcceptInput struct {
	ID string `json:"id" jsonschema:"format=uuid"`
}

// RevokeInput ends a grant before its expiry.
type RevokeInput struct {
	ID     string `json:"id" jsonschema:"format=uuid"`
	Reason string `json:"reason,omitempty" jsonschema:"maxLength=2000"`
}

// ListInput filters and pages grants, newest first.
type ListInput struct {
	Status     []Status `json:"status,omitempty"`
	DelegateID string   `json:"delegateId,omitempty" jsonschema:"format=uuid"`
	PropertyID string   `json:"propertyId,omitempty" jsonschema:"format=uuid"`
	Limit      int      `json:"limit,omitempty" jsonschema:"minimum=1,maximum=100"`
	Cursor     string   `json:"cursor,omitempty" jsonschema:"maxLength=500"`
}

// Service is the delegation domain.
type Service struct {
	db  *db.DB
	pdp authz.Decider
}

// New returns the delegation service.
func New(d *db.DB, pdp authz.Decider) *Service { return &Service{db: d, pdp: pdp} }

const kind = "delegation"

func resourceOf(d Delegation) authz.Resource {
	return authz.Resource{Kind: kind, ID: d.ID, Attr: map[string]any{
		"org_id": d.OrganizationID, "grantor_id": d.GrantorID, "delegate_id": d.DelegateID, "status": string(d.Status)}}
}

// effectiveStatus is the status as read: past its expiry, a grant that was
// not revoked is EXPIRED.
const effectiveStatus = `CASE WHEN status <> 'REVOKED' AND expires_at <= now() THEN 'EXPIRED' ELSE status END`

const columns = `id, organization_id, grantor_id, delegate_id, authority_types,
	ARRAY(SELECT dp.property_id::text FROM delegation_properties dp
	      WHERE dp.organization_id = delegations.organization_id AND dp.delegation_id = delegations.id ORDER BY 1),
	limit_amount::text, limit_currency, expires_at, ` + effectiveStatus + `, note,
	granted_at, accepted_at, revoked_at, revoked_by, revoke_reason, updated_at`

func scan(r db.Row) (Delegation, error) {
	var d Delegation
	var amount, currency *string
	err := r.Scan(&d.ID, &d.OrganizationID, &d.GrantorID, &d.DelegateID, &d.AuthorityTypes, &d.PropertyIDs,
		&amount, &currency, &d.ExpiresAt, &d.Status, &d.Note,
		&d.GrantedAt, &d.AcceptedAt, &d.RevokedAt, &d.RevokedBy, &d.RevokeReason, &d.UpdatedAt)
	if amount != nil && currency != nil {
		d.Limit = &money.Money{Amount: *amount, Currency: *currency}
	}
	return d, err
}

// table is how grants are stored, authorized and listed (newest first).
var table = &records.Table[Delegation]{
	Kind: kind, Name: "delegations", Columns: columns, Scan: scan, Resource: resourceOf,
	Plan: authz.Columns{
		"request.resource.id":               "id",
		"request.resource.attr.org_id":      "organization_id",
		"request.resource.attr.grantor_id":  "grantor_id",
		"request.resource.attr.delegate_id": "delegate_id",
		"request.resource.attr.status":      "(" + effectiveStatus + ")",
	},
	Order: records.Order[Delegation]{Column: "granted_at", Key: func(d Delegation) string { return d.GrantedAt.UTC().Format(time.RFC3339Nano) }},
}

// Get returns one grant the principal may view.
func (s *Service) Get(ctx context.Context, p authz.Principal, id string) (Delegation, error) {
	return records.Get(ctx, s.db, s.pdp, p, table, id, nil)
}

// List returns the grants the principal may view, newest first.
func (s *Service) List(ctx context.Context, p authz.Principal, in ListInput) (listing.Page[Delegation], error) {
	return records.List(ctx, s.db, s.pdp, p, table, records.Page{Limit: in.Limit, Cursor: in.Cursor}, func(f *records.Filters) {
		if len(in.Status) > 0 {
			f.Where(`(`+effectiveStatus+`) = ANY(?)`, in.Status)
		}
		if in.DelegateID != "" {
			f.Where(`delegate_id = ?::uuid`, in.DelegateID)
		}
		if in.PropertyID != "" {
			f.Where(`EXISTS (SELECT 1 FROM delegation_properties dp WHERE dp.delegation_id = delegations.id AND dp.property_id = ?::uuid)`, in.PropertyID)
		}
	})
}

// GrantTx records a grant, PENDING_ACCEPTANCE until its delegate accepts.
func (s *Service) GrantTx(ctx context.Context, q db.Querier, p authz.Principal, in GrantInput) (Delegation, error) {
	d := Delegation{OrganizationID: p.OrgID, GrantorID: p.UserID, DelegateID: in.DelegateID, Status: PendingAcceptance,
		AuthorityTypes: in.AuthorityTypes, PropertyIDs: in.PropertyIDs, Limit: in.Limit, ExpiresAt: in.ExpiresAt,
		Note: strings.TrimSpace(in.Note)}
	res := resourceOf(d)
	res.ID = "new"
	if err := s.pdp.Authorize(ctx, p, res, "grant"); err != nil {
		return Delegation{}, err
	}
	var f apperr.Fields
	if in.DelegateID == p.UserID {
		f.Add("delegateId", "self", "a grant is to someone else")
	}
	if in.Limit != nil {
		if e4, err := in.Limit.E4(); err != nil || e4 == 0 {
			f.Add("limit.amount", "out_of_range", "the limit must be an amount greater than 0")
		}
	}
	if in.ExpiresAt != nil && !in.ExpiresAt.After(time.Now()) {
		f.Add("expiresAt", "in_the_past", "expiresAt must be in the future")
	}
	if err := f.Err(); err != nil {
		return Delegation{}, err
	}
	// Who receives authority must be a delegated agent of this organization:
	// a grant never turns a stranger, or an owner, into one.
	var isAgent bool
	if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM memberships WHERE user_id = $1 AND role = 'DELEGATED_AGENT')`,
		in.DelegateID).Scan(&isAgent); err != nil {
		return Delegation{}, err
	}
	if !isAgent {
		return Delegation{}, apperr.Field("delegateId", "not_a_delegated_agent",
			"delegateId must be a member of this organization with the DELEGATED_AGENT role")
	}
	var missing []string
	if err := q.QueryRow(ctx, `SELECT coalesce(array_agg(x::text ORDER BY x), '{}') FROM unnest($1::uuid[]) x
		WHERE NOT EXISTS (SELECT 1 FROM properties WHERE id = x)`, in.PropertyIDs).Scan(&missing); err != nil {
		return Delegation{}, err
	}
	if len(missing) > 0 {
		return Delegation{}, apperr.Field("propertyIds", "not_found",
			"propertyIds names no property of this organization: "+strings.Join(missing, ", "))
	}
	var amount, currency *string
	if in.Limit != nil {
		amount, currency = &in.Limit.Amount, &in.Limit.Currency
	}
	var id string
	if err := q.QueryRow(ctx, `INSERT INTO delegations (organization_id, grantor_id, delegate_id, authority_types,
			limit_amount, limit_currency, expires_at, status, note)
		VALUES ($1, $2, $3, $4, $5::numeric, $6, $7, 'PENDING_ACCEPTANCE', $8) RETURNING id`,
		p.OrgID, p.UserID, in.DelegateID, in.AuthorityTypes, amount, currency, in.ExpiresAt, d.Note).Scan(&id); err != nil {
		return Delegation{}, err
	}
	if _, err := q.Exec(ctx, `INSERT INTO delegation_properties (organization_id, delegation_id, property_id)
		SELECT $1, $2, x FROM unnest($3::uuid[]) x`, p.OrgID, id, in.PropertyIDs); err != nil {
		return Delegation{}, err
	}
	out, err := table.Load(ctx, q, id, false)
	if err != nil {
		return out, err
	}
	return out, activity.Record(ctx, q, p, activity.Event{EntityType: kind, EntityID: out.ID, Verb: "granted", After: out})
}

// AcceptTx makes a pending grant ACTIVE; only its delegate accepts it.
func (s *Service) AcceptTx(ctx context.Context, q db.Querier, p authz.Principal, in AcceptInput) (Delegation, error) {
	return s.change(ctx, q, p, in.ID, "accept", Active, "accepted",
		`UPDATE delegations SET status = 'ACTIVE', accepted_at = now(), updated_at = now() WHERE id = $1`)
}

// RevokeTx ends a pending or active grant.
func (s *Service) RevokeTx(ctx context.Context, q db.Querier, p authz.Principal, in RevokeInput) (Delegation, error) {
	return s.change(ctx, q, p, in.ID, "revoke", Revoked, "revoked",
		`UPDATE delegations SET status = 'REVOKED', revoked_at = now(), revoked_by = $2, revoke_reason = $3, updated_at = now()
		WHERE id = $1`, p.UserID, strings.TrimSpace(in.Reason))
}

// change authorizes action on the locked grant, runs the state machine and
// applies update (whose $1 is the grant id).
func (s *Service) change(ctx context.Context, q db.Querier, p authz.Principal, id, action string, to Status, verb, update string,
	args ...any) (Delegation, error) {
	before, err := table.Load(ctx, q, id, true)
	if err != nil {
		return before, err
	}
	if err := s.pdp.Authorize(ctx, p, resourceOf(before), "view"); err != nil {
		return Delegation{}, table.HideForbidden(err, id)
	}
	if err := s.pdp.Authorize(ctx, p, resourceOf(before), action); err != nil {
		return Delegation{}, err
	}
	if !Transitions.Allows(before.Status, to) {
		msg := Transitions.Refusal("a grant", before.Status, to)
		if before.Status == Expired {
			msg = fmt.Sprintf("%s: it expired at %s", msg, before.ExpiresAt.UTC().Format(time.RFC3339))
		}
		return Delegation{}, apperr.New(apperr.InvalidTransition, "%s", msg)
	}
	if _, err := q.Exec(ctx, update, append([]any{before.ID}, args...)...); err != nil {
		return Delegation{}, err
	}
	out, err := table.Load(ctx, q, before.ID, false)
	if err != nil {
		return out, err
	}
	return out, activity.Record(ctx, q, p, activity.Event{EntityType: kind, EntityID: out.ID, Verb: verb, Before: before, After: out})
}

// Grants returns the accepted, unrevoked grants p holds in its active
// organization, for the PDP to judge (expiry included). In a mutation's
// transaction the grants are read FOR SHARE: a revoke waits for the act it
// races, or the act sees the revoke, never an act under a grant already
// revoked. Principals without the DELEGATED_AGENT role hold none.
func (s *Service) Grants(ctx context.Context, q db.Querier, p authz.Principal) ([]authz.Grant, error) {
	if !slices.Contains(p.Roles, "DELEGATED_AGENT") {
		return nil, nil
	}
	sql := `SELECT id, status, authority_types, expires_at, limit_amount::text, limit_currency,
			ARRAY(SELECT dp.property_id::text FROM delegation_properties dp
			      WHERE dp.organization_id = d.organization_id AND dp.delegation_id = d.id ORDER BY 1)
		FROM delegations d WHERE delegate_id = $1 AND status = 'ACTIVE' ORDER BY granted_at, id`
	read := func(q db.Querier, lock bool) ([]authz.Grant, error) {
		if lock {
			sql += ` FOR SHARE`
		}
		rows, err := q.Query(ctx, sql, p.UserID)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var grants []authz.Grant
		for rows.Next() {
			var g authz.Grant
			var amount, currency *string
			if err := rows.Scan(&g.ID, &g.Status, &g.Types, &g.ExpiresAt, &amount, &currency, &g.PropertyIDs); err != nil {
				return nil, err
			}
			if amount != nil && currency != nil {
				g.Limit = &money.Money{Amount: *amount, Currency: *currency}
			}
			grants = append(grants, g)
		}
		return grants, rows.Err()
	}
	if q != nil {
		return read(q, true)
	}
	var grants []authz.Grant
	err := s.db.InTenantRead(ctx, p.OrgID, func(q db.Querier) (err error) {
		grants, err = read(q, false)
		return err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	return grants, err
}
