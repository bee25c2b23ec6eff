// Package portfolio owns portfolios (domain.md §2): named groups of an
// organization's properties (a property may be in several), and the owner
// summaries over a portfolio or the whole organization.
//
// Membership has set semantics: adding a property that is already a member,
// or removing one that is not, succeeds and changes nothing (no activity
// event either). A retry with another idempotency key therefore never fails,
// and "make it a member" is what a caller means.
package portfolio

import (
	"context"
	"strings"
	"time"

	"github.com/hestami/concierge/internal/activity"
	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/db"
	"github.com/hestami/concierge/internal/listing"
	"github.com/hestami/concierge/internal/records"
)

// Portfolio is a named group of properties.
type Portfolio struct {
	ID             string    `json:"id"`
	OrganizationID string    `json:"organizationId"`
	Name           string    `json:"name"`
	Description    string    `json:"description"`
	PropertyIDs    []string  `json:"propertyIds"`
	CreatedBy      string    `json:"createdBy"`
	CreatedAt      time.Time `json:"createdAt"`
	UpdatedAt      time.Time `json:"updatedAt"`
}

// CreateInput is what a new portfolio needs.
type CreateInput struct {
	Name        string `json:"name" jsonschema:"minLength=1,maxLength=200,pattern=^[^\\x00-\\x1F\\x7F-\\x9F]*$"`
	Description string `json:"description,omitempty" jsonschema:"maxLength=2000"`
}

// UpdateInput changes the fields that are set.
type UpdateInput struct {
	ID          string  `json:"id" jsonschema:"minLength=1,maxLength=100,pattern=^[^\\x00-\\x1F\\x7F-\\x9F]*$"`
	Name        *string `json:"name,omitempty" jsonschema:"minLength=1,maxLength=200,pattern=^[^\\x00-\\x1F\\x7F-\\x9F]*$"`
	Description *string `json:"description,omitempty" jsonschema:"maxLength=2000"`
}

// MemberInput names a portfolio and a property.
type MemberInput struct {
	ID         string `json:"id" jsonschema:"minLength=1,maxLength=100,pattern=^[^\\x00-\\x1F\\x7F-\\x9F]*$"`
	PropertyID string `json:"propertyId" jsonschema:"format=uuid"`
}

// ListInput pages a list.
type ListInput struct {
	Limit  int    `json:"limit,omitempty" jsonschema:"minimum=1,maximum=100"`
	Cursor string `json:"cursor,omitempty" jsonschema:"maxLength=500"`
}

// Service is the portfolio domain.
type Service struct {
	db  *db.DB
	pdp authz.Decider
}

// New returns the portfolio service.
func New(d *db.DB, pdp authz.Decider) *Service { return &Service{db: d, pdp: pdp} }

const kind = "portfolio"

func resourceOf(p Portfolio) authz.Resource {
	return authz.Resource{Kind: kind, ID: p.ID, Attr: map[string]any{"org_id": p.OrganizationID}}
}

// The members travel with every read of a portfolio, in the same statement
// (a list page is still one query).
const columns = `id, organization_id, name, description,
	ARRAY(SELECT pp.property_id::text FROM portfolio_properties pp
	      WHERE pp.organization_id = portfolios.organization_id AND pp.portfolio_id = portfolios.id
	      ORDER BY pp.added_at, pp.property_id),
	created_by, created_at, updated_at`

func scan(r db.Row) (Portfolio, error) {
	var o Portfolio
	err := r.Scan(&o.ID, &o.OrganizationID, &o.Name, &o.Description, &o.PropertyIDs, &o.CreatedBy, &o.CreatedAt, &o.UpdatedAt)
	if o.PropertyIDs == nil {
		o.PropertyIDs = []string{}
	}
	return o, err
}

// table is how portfolios are stored, authorized and listed (by name).
var table = &records.Table[Portfolio]{
	Kind: kind, Name: "portfolios", Columns: columns, Scan: scan, Resource: resourceOf,
	Plan:  authz.Columns{"request.resource.attr.org_id": "organization_id", "request.resource.id": "id"},
	Order: records.Order[Portfolio]{Column: "name", Ascending: true, Cast: "text", Key: func(p Portfolio) string { return p.Name }},
}

// Create adds a portfolio to the principal's active organization.
func (s *Service) Create(ctx context.Context, p authz.Principal, in CreateInput) (Portfolio, error) {
	return db.InTenantResult(ctx, s.db, p.OrgID, func(q db.Querier) (Portfolio, error) { return s.CreateTx(ctx, q, p, in) })
}

// CreateTx is Create inside the caller's tenant transaction.
func (s *Service) CreateTx(ctx context.Context, q db.Querier, p authz.Principal, in CreateInput) (Portfolio, error) {
	var f apperr.Fields
	f.Required("name", in.Name)
	if err := f.Err(); err != nil {
		return Portfolio{}, err
	}
	if err := s.pdp.Authorize(ctx, p, authz.Resource{Kind: kind, ID: "new", Attr: map[string]any{"org_id": p.OrgID}}, "create"); err != nil {
		return Portfolio{}, err
	}
	out, err := scan(q.QueryRow(ctx, `INSERT INTO portfolios (organization_id, name, description, created_by)
		VALUES ($1, $2, $3, $4) RETURNING `+columns,
		p.OrgID, strings.TrimSpace(in.Name), strings.TrimSpace(in.Description), p.UserID))
	if err != nil {
		return out, err
	}
	return out, activity.Record(ctx, q, p, activity.Event{EntityType: kind, EntityID: out.ID, Verb: "created", After: out})
}

// Get returns one portfolio with its member properties.
func (s *Service) Get(ctx context.Context, p authz.Principal, id string) (Portfolio, error) {
	return records.Get(ctx, s.db, s.pdp, p, table, id, nil)
}

// List returns the portfolios the principal may view, by name.
func (s *Service) List(ctx context.Context, p authz.Principal, in ListInput) (listing.Page[Portfolio], error) {
	return records.List(ctx, s.db, s.pdp, p, table, records.Page{Limit: in.Limit, Cursor: in.Cursor}, nil)
}

// lockForUpdate loads the portfolio locked and authorizes action on it; one
// the principal may not view is NOT_FOUND.
func (s *Service) lockForUpdate(ctx context.Context, q db.Querier, p authz.Principal, id, action string) (Portfolio, error) {
	before, err := table.Load(ctx, q, id, true)
	if err != nil {
		return before, err
	}
	if err := s.pdp.Authorize(ctx, p, resourceOf(before), "view"); err != nil {
		return Portfolio{}, table.HideForbidden(err, id)
	}
	if err := s.pdp.Authorize(ctx, p, resourceOf(before), action); err != nil {
		return Portfolio{}, err
	}
	return before, nil
}

// UpdateTx changes a portfolio's name or description inside the caller's
// tenant transaction.
func (s *Service) UpdateTx(ctx context.Context, q db.Querier, p authz.Principal, in UpdateInput) (Portfolio, error) {
	var f apperr.Fields
	if in.Name != nil {
		f.Required("name", *in.Name)
	}
	if err := f.Err(); err != nil {
		return Portfolio{}, err
	}
	before, err := s.lockForUpdate(ctx, q, p, in.ID, "update")
	if err != nil {
		return before, err
	}
	after := before
	if in.Name != nil {
		after.Name = strings.TrimSpace(*in.Name)
	}
	if in.Description != nil {
		after.Description = strings.TrimSpace(*in.Description)
	}
	out, err := scan(q.QueryRow(ctx, `UPDATE portfolios SET name = $2, description = $3, updated_at = now()
		WHERE id = $1 RETURNING `+columns, before.ID, after.Name, after.Description))
	if err != nil {
		return out, err
	}
	return out, activity.Record(ctx, q, p, activity.Event{EntityType: kind, EntityID: out.ID, Verb: "updated", Before: before, After: out})
}

func propertyNotFound() error {
	return apperr.Field("propertyId", "not_found", "propertyId names no property of this organization")
}

// AddPropertyTx makes a property a member of the portfolio (a no-op when it
// already is). The property must be one of the organization's: RLS hides
// the others, so another tenant's property and a missing one look alike,
// and the composite foreign key would refuse it anyway.
func (s *Service) AddPropertyTx(ctx context.Context, q db.Querier, p authz.Principal, in MemberInput) (Portfolio, error) {
	pf, err := s.lockForUpdate(ctx, q, p, in.ID, "update")
	if err != nil {
		return pf, err
	}
	var exists, added bool
	err = q.QueryRow(ctx, `WITH prop AS (SELECT id FROM properties WHERE id = $2::uuid),
		ins AS (INSERT INTO portfolio_properties (organization_id, portfolio_id, property_id, added_by)
		        SELECT $1, $3, id, $4 FROM prop ON CONFLICT DO NOTHING RETURNING 1),
		bump AS (UPDATE portfolios SET updated_at = now() WHERE id = $3 AND EXISTS (SELECT 1 FROM ins))
		SELECT EXISTS (SELECT 1 FROM prop), EXISTS (SELECT 1 FROM ins)`,
		p.OrgID, in.PropertyID, pf.ID, p.UserID).Scan(&exists, &added)
	if err != nil {
		return Portfolio{}, err
	}
	if !exists {
		return Portfolio{}, propertyNotFound()
	}
	return s.afterMembership(ctx, q, p, pf, added, "property_added")
}

// RemovePropertyTx takes a property out of the portfolio (a no-op when it
// is not a member).
func (s *Service) RemovePropertyTx(ctx context.Context, q db.Querier, p authz.Principal, in MemberInput) (Portfolio, error) {
	pf, err := s.lockForUpdate(ctx, q, p, in.ID, "update")
	if err != nil {
		return pf, err
	}
	var removed bool
	err = q.QueryRow(ctx, `WITH del AS (DELETE FROM portfolio_properties WHERE portfolio_id = $1 AND property_id = $2::uuid RETURNING 1),
		bump AS (UPDATE portfolios SET updated_at = now() WHERE id = $1 AND EXISTS (SELECT 1 FROM del))
		SELECT EXISTS (SELECT 1 FROM del)`, pf.ID, in.PropertyID).Scan(&removed)
	if err != nil {
		return Portfolio{}, err
	}
	return s.afterMembership(ctx, q, p, pf, removed, "property_removed")
}

// afterMembership reads the portfolio as changed and records the change, if
// there was one.
func (s *Service) afterMembership(ctx context.Context, q db.Querier, p authz.Principal, before Portfolio, changed bool, verb string) (Portfolio, error) {
	if !changed {
		return before, nil
	}
	out, err := table.Load(ctx, q, before.ID, false)
	if err != nil {
		return out, err
	}
	return out, activity.Record(ctx, q, p, activity.Event{EntityType: kind, EntityID: out.ID, Verb: verb,
		Before: before, After: out})
}
