// Package hoa owns the external HOA context of a property (domain.md §7):
// what is known of its homeowners' association (name, contacts, portal),
// the rules recorded from the HOA's documents (each citing a document and a
// page), and the approvals a case needs from the HOA.
//
// Nothing here is assumed complete or correct: a context holds what someone
// recorded, and rule lists say so in their answer (Completeness). Rules are
// assistive inputs, never enforced.
//
// Every record carries the property it belongs to (property_id), for the
// PDP: the owner side and engaged staff manage contexts and rules, staff
// record approvals, and a delegated agent views all three for the
// properties a grant in force covers — and does nothing else, as no
// authority type of domain.md §1 speaks of HOA records.
//
// Approvals follow their own machine (Transitions) and move the case they
// belong to: submitting one makes the case wait on the HOA, so its work
// queue shows `HOA "<name>"` (see SubmitApprovalTx), and the HOA's decision
// ends the wait (DecideApprovalTx).
package hoa

import (
	"context"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hestami/concierge/internal/activity"
	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/cases"
	"github.com/hestami/concierge/internal/db"
	"github.com/hestami/concierge/internal/listing"
	"github.com/hestami/concierge/internal/records"
)

// Contact is someone at (or for) the HOA.
type Contact struct {
	Name  string `json:"name" jsonschema:"minLength=1,maxLength=200,pattern=^[^\\x00-\\x1F\\x7F-\\x9F]*$"`
	Role  string `json:"role,omitempty" jsonschema:"maxLength=100,pattern=^[^\\x00-\\x1F\\x7F-\\x9F]*$,description=e.g. community manager\\, board secretary"`
	Email string `json:"email,omitempty" jsonschema:"format=email,maxLength=254"`
	Phone string `json:"phone,omitempty" jsonschema:"maxLength=50,pattern=^[^\\x00-\\x1F\\x7F-\\x9F]*$"`
}

// Context is what is known of one property's HOA.
type Context struct {
	ID             string    `json:"id"`
	OrganizationID string    `json:"organizationId"`
	PropertyID     string    `json:"propertyId"`
	Name           string    `json:"name"`
	Contacts       []Contact `json:"contacts"`
	PortalURL      string    `json:"portalUrl,omitempty"`
	PortalNotes    string    `json:"portalNotes,omitempty"`
	CreatedBy      string    `json:"createdBy"`
	CreatedAt      time.Time `json:"createdAt"`
	UpdatedAt      time.Time `json:"updatedAt"`
}

// CreateContextInput records a property's HOA.
type CreateContextInput struct {
	PropertyID  string    `json:"propertyId" jsonschema:"format=uuid"`
	Name        string    `json:"name" jsonschema:"minLength=1,maxLength=200,pattern=^[^\\x00-\\x1F\\x7F-\\x9F]*$,description=the HOA's name (unique per property)"`
	Contacts    []Contact `json:"contacts,omitempty" jsonschema:"maxItems=20"`
	PortalURL   string    `json:"portalUrl,omitempty" jsonschema:"format=uri,maxLength=2000,description=the HOA's portal (http or https)"`
	PortalNotes string    `json:"portalNotes,omitempty" jsonschema:"maxLength=10000,description=how to use the portal (never a password)"`
}

// UpdateContextInput changes what is given; contacts, when given, replace
// the list.
type UpdateContextInput struct {
	ID          string     `json:"id" jsonschema:"format=uuid"`
	Name        *string    `json:"name,omitempty" jsonschema:"minLength=1,maxLength=200,pattern=^[^\\x00-\\x1F\\x7F-\\x9F]*$"`
	Contacts    *[]Contact `json:"contacts,omitempty" jsonschema:"maxItems=20"`
	PortalURL   *string    `json:"portalUrl,omitempty" jsonschema:"maxLength=2000,description=the HOA's portal (http or https; empty to remove)"`
	PortalNotes *string    `json:"portalNotes,omitempty" jsonschema:"maxLength=10000"`
}

// ListContextsInput filters and pages contexts, newest first.
type ListContextsInput struct {
	PropertyID string `json:"propertyId,omitempty" jsonschema:"format=uuid"`
	Limit      int    `json:"limit,omitempty" jsonschema:"minimum=1,maximum=100"`
	Cursor     string `json:"cursor,omitempty" jsonschema:"maxLength=500"`
}

// Service is the HOA domain.
type Service struct {
	db    *db.DB
	pdp   authz.Decider
	cases *cases.Service
	now   func() time.Time
}

// New returns the HOA service; cs moves the cases approvals belong to.
func New(d *db.DB, pdp authz.Decider, cs *cases.Service) *Service {
	return &Service{db: d, pdp: pdp, cases: cs, now: time.Now}
}

const contextKind = "hoa_context"

func contextResource(c Context) authz.Resource {
	return authz.Resource{Kind: contextKind, ID: c.ID, Attr: map[string]any{
		"org_id": c.OrganizationID, "property_id": c.PropertyID}}
}

const contextColumns = `id, organization_id, property_id, name, contacts, portal_url, portal_notes, created_by, created_at, updated_at`

func scanContext(r db.Row) (Context, error) {
	var c Context
	var contacts []byte
	err := r.Scan(&c.ID, &c.OrganizationID, &c.PropertyID, &c.Name, &contacts, &c.PortalURL, &c.PortalNotes,
		&c.CreatedBy, &c.CreatedAt, &c.UpdatedAt)
	if err == nil {
		err = json.Unmarshal(contacts, &c.Contacts)
	}
	if c.Contacts == nil {
		c.Contacts = []Contact{}
	}
	return c, err
}

var contexts = &records.Table[Context]{
	Kind: contextKind, Name: "hoa_contexts", Columns: contextColumns, Scan: scanContext, Resource: contextResource,
	Plan: authz.Columns{
		"request.resource.id":               "id",
		"request.resource.attr.org_id":      "organization_id",
		"request.resource.attr.property_id": "property_id",
	},
	Order: records.Order[Context]{Column: "created_at", Key: func(c Context) string { return c.CreatedAt.UTC().Format(time.RFC3339Nano) }},
}

// GetContext returns one context the principal may view.
func (s *Service) GetContext(ctx context.Context, p authz.Principal, id string) (Context, error) {
	return records.Get(ctx, s.db, s.pdp, p, contexts, id, nil)
}

// ListContexts returns the contexts the principal may view, newest first.
func (s *Service) ListContexts(ctx context.Context, p authz.Principal, in ListContextsInput) (listing.Page[Context], error) {
	return records.List(ctx, s.db, s.pdp, p, contexts, records.Page{Limit: in.Limit, Cursor: in.Cursor}, func(f *records.Filters) {
		if in.PropertyID != "" {
			f.Where(`property_id = ?::uuid`, in.PropertyID)
		}
	})
}

// checkContacts trims each contact and refuses a blank name.
func checkContacts(f *apperr.Fields, field string, cs []Contact) []Contact {
	out := make([]Contact, len(cs))
	for i, c := range cs {
		c = Contact{Name: strings.TrimSpace(c.Name), Role: strings.TrimSpace(c.Role), Email: strings.TrimSpace(c.Email), Phone: strings.TrimSpace(c.Phone)}
		if c.Name == "" {
			f.Add(field+"["+strconv.Itoa(i)+"].name", "required", "a contact needs a name")
		}
		out[i] = c
	}
	return out
}

func checkPortal(f *apperr.Fields, field, raw string) string {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		f.Add(field, "invalid", field+" must be an http or https address")
	}
	return raw
}

// CreateContextTx records a property's HOA.
func (s *Service) CreateContextTx(ctx context.Context, q db.Querier, p authz.Principal, in CreateContextInput) (Context, error) {
	var f apperr.Fields
	c := Context{OrganizationID: p.OrgID, PropertyID: in.PropertyID, Name: strings.TrimSpace(in.Name),
		Contacts: checkContacts(&f, "contacts", in.Contacts), PortalURL: checkPortal(&f, "portalUrl", in.PortalURL),
		PortalNotes: strings.TrimSpace(in.PortalNotes), CreatedBy: p.UserID}
	f.Required("name", c.Name)
	res := contextResource(c)
	res.ID = "new"
	if err := s.pdp.Authorize(ctx, p, res, "create"); err != nil {
		return Context{}, err
	}
	if err := f.Err(); err != nil {
		return Context{}, err
	}
	var exists bool
	if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM properties WHERE id = $1)`, in.PropertyID).Scan(&exists); err != nil {
		return Context{}, err
	}
	if !exists {
		return Context{}, apperr.Field("propertyId", "not_found", "propertyId names no property of this organization")
	}
	if err := s.nameFree(ctx, q, c.PropertyID, c.Name, ""); err != nil {
		return Context{}, err
	}
	contacts, _ := json.Marshal(c.Contacts)
	out, err := scanContext(q.QueryRow(ctx, `INSERT INTO hoa_contexts (organization_id, property_id, name, contacts, portal_url, portal_notes, created_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING `+contextColumns,
		p.OrgID, c.PropertyID, c.Name, contacts, c.PortalURL, c.PortalNotes, p.UserID))
	if err != nil {
		return out, err
	}
	return out, activity.Record(ctx, q, p, activity.Event{EntityType: contextKind, EntityID: out.ID, Verb: "created", After: out})
}

// nameFree refuses a second context of the same name on a property (the
// unique index backs it; this names the existing one).
func (s *Service) nameFree(ctx context.Context, q db.Querier, propertyID, name, except string) error {
	var id string
	err := q.QueryRow(ctx, `SELECT coalesce((SELECT id::text FROM hoa_contexts WHERE property_id = $1 AND lower(name) = lower($2)
		AND id::text <> $3), '')`, propertyID, name, except).Scan(&id)
	if err != nil {
		return err
	}
	if id != "" {
		return apperr.New(apperr.Conflict, "the property already has an HOA context named %q (%s)", name, id)
	}
	return nil
}

// UpdateContextTx changes a context, authorized on the locked row.
func (s *Service) UpdateContextTx(ctx context.Context, q db.Querier, p authz.Principal, in UpdateContextInput) (Context, error) {
	before, err := contexts.Load(ctx, q, in.ID, true)
	if err != nil {
		return before, err
	}
	if err := s.pdp.Authorize(ctx, p, contextResource(before), "view"); err != nil {
		return Context{}, contexts.HideForbidden(err, in.ID)
	}
	if err := s.pdp.Authorize(ctx, p, contextResource(before), "update"); err != nil {
		return Context{}, err
	}
	var f apperr.Fields
	after := before
	if in.Name != nil {
		after.Name = strings.TrimSpace(*in.Name)
		f.Required("name", after.Name)
	}
	if in.Contacts != nil {
		after.Contacts = checkContacts(&f, "contacts", *in.Contacts)
	}
	if in.PortalURL != nil {
		after.PortalURL = checkPortal(&f, "portalUrl", *in.PortalURL)
	}
	if in.PortalNotes != nil {
		after.PortalNotes = strings.TrimSpace(*in.PortalNotes)
	}
	if err := f.Err(); err != nil {
		return Context{}, err
	}
	if !strings.EqualFold(after.Name, before.Name) {
		if err := s.nameFree(ctx, q, after.PropertyID, after.Name, after.ID); err != nil {
			return Context{}, err
		}
	}
	contacts, _ := json.Marshal(after.Contacts)
	out, err := scanContext(q.QueryRow(ctx, `UPDATE hoa_contexts SET name = $2, contacts = $3, portal_url = $4, portal_notes = $5,
		updated_at = now() WHERE id = $1 RETURNING `+contextColumns, before.ID, after.Name, contacts, after.PortalURL, after.PortalNotes))
	if err != nil {
		return out, err
	}
	return out, activity.Record(ctx, q, p, activity.Event{EntityType: contextKind, EntityID: out.ID, Verb: "updated", Before: before, After: out})
}

// viewableContext loads a context for a child record (a rule, an
// approval) in the caller's transaction: one the principal may not view is
// not found, under the field that named it.
func (s *Service) viewableContext(ctx context.Context, q db.Querier, p authz.Principal, field, id string, lock bool) (Context, error) {
	c, err := contexts.Load(ctx, q, id, lock)
	if apperr.CodeOf(err) == apperr.NotFound {
		return c, apperr.Field(field, "not_found", field+" names no HOA context of this organization")
	}
	if err != nil {
		return c, err
	}
	if err := s.pdp.Authorize(ctx, p, contextResource(c), "view"); err != nil {
		if apperr.CodeOf(err) == apperr.Forbidden {
			return c, apperr.Field(field, "not_found", field+" names no HOA context of this organization")
		}
		return c, err
	}
	return c, nil
}
