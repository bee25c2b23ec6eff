// Package property owns properties (domain.md §1): create, get, list, update,
// each authorized by the PDP, isolated by RLS and recorded as activity.
package property

import (
	"context"
	"strings"
	"time"

	"github.com/invopop/jsonschema"

	"github.com/hestami/concierge/internal/activity"
	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/db"
	"github.com/hestami/concierge/internal/enum"
	"github.com/hestami/concierge/internal/listing"
	"github.com/hestami/concierge/internal/records"
)

// Type is what kind of property it is.
type Type string

// Types lists every type of property.
var Types = enum.New[Type]("SINGLE_FAMILY", "CONDO", "TOWNHOUSE", "MULTI_FAMILY", "LAND", "COMMERCIAL", "OTHER").
	Stored("properties", "type")

// JSONSchema makes every Type field an enum.
func (Type) JSONSchema() *jsonschema.Schema { return Types.Schema() }

// Address is a postal address.
type Address struct {
	Line1      string `json:"line1" jsonschema:"minLength=1,maxLength=200,pattern=^[^\\x00-\\x1F\\x7F-\\x9F]*$"`
	Line2      string `json:"line2,omitempty" jsonschema:"maxLength=200,pattern=^[^\\x00-\\x1F\\x7F-\\x9F]*$"`
	City       string `json:"city" jsonschema:"minLength=1,maxLength=100,pattern=^[^\\x00-\\x1F\\x7F-\\x9F]*$"`
	Region     string `json:"region,omitempty" jsonschema:"maxLength=100,pattern=^[^\\x00-\\x1F\\x7F-\\x9F]*$"`
	PostalCode string `json:"postalCode,omitempty" jsonschema:"maxLength=20,pattern=^[^\\x00-\\x1F\\x7F-\\x9F]*$"`
	Country    string `json:"country" jsonschema:"pattern=^[A-Z]{2}$"`
}

// Property is a property record.
type Property struct {
	ID             string    `json:"id"`
	OrganizationID string    `json:"organizationId"`
	Name           string    `json:"name"`
	Type           Type      `json:"type"`
	Address        Address   `json:"address"`
	Active         bool      `json:"active"`
	CreatedAt      time.Time `json:"createdAt"`
	UpdatedAt      time.Time `json:"updatedAt"`
}

// CreateInput is what a new property needs.
type CreateInput struct {
	Name    string  `json:"name" jsonschema:"minLength=1,maxLength=200,pattern=^[^\\x00-\\x1F\\x7F-\\x9F]*$"`
	Type    Type    `json:"type"`
	Address Address `json:"address"`
}

// UpdateInput changes the fields that are set.
type UpdateInput struct {
	ID      string   `json:"id" jsonschema:"minLength=1,maxLength=100,pattern=^[^\\x00-\\x1F\\x7F-\\x9F]*$"`
	Name    *string  `json:"name,omitempty" jsonschema:"minLength=1,maxLength=200,pattern=^[^\\x00-\\x1F\\x7F-\\x9F]*$"`
	Type    *Type    `json:"type,omitempty"`
	Address *Address `json:"address,omitempty"`
	Active  *bool    `json:"active,omitempty"`
}

// ListInput filters and pages a list.
type ListInput struct {
	Limit  int    `json:"limit,omitempty" jsonschema:"minimum=1,maximum=100"`
	Cursor string `json:"cursor,omitempty" jsonschema:"maxLength=500"`
}

// Service is the property domain.
type Service struct {
	db  *db.DB
	pdp authz.Decider
}

// New returns the property service.
func New(d *db.DB, pdp authz.Decider) *Service { return &Service{db: d, pdp: pdp} }

const kind = "property"

func resourceOf(p Property) authz.Resource {
	return authz.Resource{Kind: kind, ID: p.ID, Attr: map[string]any{"org_id": p.OrganizationID}}
}

// The pipeline checked every input against its schema (required fields,
// lengths, enums, the country pattern); what the schema cannot say is that
// a value of spaces is no value.
func validateAddress(f *apperr.Fields, a Address) {
	f.Required("address.line1", a.Line1)
	f.Required("address.city", a.City)
}

// Create adds a property to the principal's active organization.
func (s *Service) Create(ctx context.Context, p authz.Principal, in CreateInput) (Property, error) {
	return db.InTenantResult(ctx, s.db, p.OrgID, func(q db.Querier) (Property, error) { return s.CreateTx(ctx, q, p, in) })
}

// CreateTx is Create inside the caller's tenant transaction.
func (s *Service) CreateTx(ctx context.Context, q db.Querier, p authz.Principal, in CreateInput) (Property, error) {
	var f apperr.Fields
	f.Required("name", in.Name)
	validateAddress(&f, in.Address)
	if err := f.Err(); err != nil {
		return Property{}, err
	}
	if err := s.pdp.Authorize(ctx, p, authz.Resource{Kind: kind, ID: "new", Attr: map[string]any{"org_id": p.OrgID}}, "create"); err != nil {
		return Property{}, err
	}
	a := in.Address
	row := q.QueryRow(ctx, `INSERT INTO properties (organization_id, name, type, address_line1, address_line2, city, region, postal_code, country)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING `+columns,
		p.OrgID, strings.TrimSpace(in.Name), in.Type, a.Line1, a.Line2, a.City, a.Region, a.PostalCode, a.Country)
	out, err := scan(row)
	if err != nil {
		return out, err
	}
	return out, activity.Record(ctx, q, p, activity.Event{EntityType: kind, EntityID: out.ID, Verb: "created", After: out})
}

const columns = `id, organization_id, name, type, address_line1, address_line2, city, region, postal_code, country, active, created_at, updated_at`

func scan(r db.Row) (Property, error) {
	var o Property
	a := &o.Address
	err := r.Scan(&o.ID, &o.OrganizationID, &o.Name, &o.Type, &a.Line1, &a.Line2, &a.City, &a.Region, &a.PostalCode, &a.Country, &o.Active, &o.CreatedAt, &o.UpdatedAt)
	return o, err
}

// table is how properties are stored, authorized and listed (by name).
var table = &records.Table[Property]{
	Kind: kind, Name: "properties", Columns: columns, Scan: scan, Resource: resourceOf,
	Plan:  authz.Columns{"request.resource.attr.org_id": "organization_id", "request.resource.id": "id"},
	Order: records.Order[Property]{Column: "name", Ascending: true, Cast: "text", Key: func(p Property) string { return p.Name }},
}

func load(ctx context.Context, q db.Querier, id string, forUpdate bool) (Property, error) {
	return table.Load(ctx, q, id, forUpdate)
}

// Get returns one property.
func (s *Service) Get(ctx context.Context, p authz.Principal, id string) (Property, error) {
	return records.Get(ctx, s.db, s.pdp, p, table, id, nil)
}

// List returns the properties the principal may view, by name.
func (s *Service) List(ctx context.Context, p authz.Principal, in ListInput) (listing.Page[Property], error) {
	return records.List(ctx, s.db, s.pdp, p, table, records.Page{Limit: in.Limit, Cursor: in.Cursor}, nil)
}

// Update changes a property's fields.
func (s *Service) Update(ctx context.Context, p authz.Principal, in UpdateInput) (Property, error) {
	return db.InTenantResult(ctx, s.db, p.OrgID, func(q db.Querier) (Property, error) { return s.UpdateTx(ctx, q, p, in) })
}

// UpdateTx is Update inside the caller's tenant transaction.
func (s *Service) UpdateTx(ctx context.Context, q db.Querier, p authz.Principal, in UpdateInput) (Property, error) {
	var f apperr.Fields
	if in.Name != nil {
		f.Required("name", *in.Name)
	}
	if in.Address != nil {
		validateAddress(&f, *in.Address)
	}
	if err := f.Err(); err != nil {
		return Property{}, err
	}
	before, err := load(ctx, q, in.ID, true)
	if err != nil {
		return before, err
	}
	if err := s.pdp.Authorize(ctx, p, resourceOf(before), "view"); err != nil {
		return Property{}, table.HideForbidden(err, in.ID)
	}
	if err := s.pdp.Authorize(ctx, p, resourceOf(before), "update"); err != nil {
		return Property{}, err
	}
	after := before
	if in.Name != nil {
		after.Name = strings.TrimSpace(*in.Name)
	}
	if in.Type != nil {
		after.Type = *in.Type
	}
	if in.Address != nil {
		after.Address = *in.Address
	}
	if in.Active != nil {
		after.Active = *in.Active
	}
	a := after.Address
	out, err := scan(q.QueryRow(ctx, `UPDATE properties SET name = $2, type = $3, address_line1 = $4, address_line2 = $5, city = $6,
		region = $7, postal_code = $8, country = $9, active = $10, updated_at = now() WHERE id = $1 RETURNING `+columns,
		before.ID, after.Name, after.Type, a.Line1, a.Line2, a.City, a.Region, a.PostalCode, a.Country, after.Active))
	if err != nil {
		return out, err
	}
	return out, activity.Record(ctx, q, p, activity.Event{EntityType: kind, EntityID: out.ID, Verb: "updated", Before: before, After: out})
}
