// Package vendor owns external vendor coordination (domain.md §8): an
// organization's vendors (no onboarding; optionally linked to a registered
// SERVICE_PROVIDER organization), their quotes on a case, scheduled visits
// and invoices.
//
// Quotes are first-class records of a case: an exact amount and currency,
// optional line items that must sum to it exactly, scope text and a
// validity. Their machine (QuoteTransitions):
//
//	| from         | allowed to                                  |
//	|--------------|---------------------------------------------|
//	| (new)        | RECEIVED                                    |
//	| RECEIVED     | UNDER_REVIEW, REJECTED, EXPIRED, WITHDRAWN  |
//	| UNDER_REVIEW | ACCEPTED, REJECTED, EXPIRED, WITHDRAWN      |
//	| ACCEPTED, REJECTED, EXPIRED, WITHDRAWN | — (final)         |
//
// EXPIRED is never written: an open quote reads as EXPIRED from the instant
// its valid-until passes, so it can never be accepted afterwards.
//
// The case scope of a quote is its scope key: a short label naming the part
// of the case the quote is for ("fence", "gate"), "" for the whole case. At
// most one quote per case and scope is ACCEPTED; a partial unique index
// enforces it, and an accept holds the case row lock while it checks, so
// two accepts racing on one scope end with one ACCEPTED and one CONFLICT
// naming it.
//
// Accepting a quote records a VENDOR_SELECTION decision with its rationale
// in the same transaction, through Service.RecordSelection (the decision
// ledger, wired by internal/app); without it an accept fails closed.
//
// Visits (ScheduleTransitions) are SCHEDULED → DONE | CANCELLED. Invoices
// (InvoiceTransitions) are RECEIVED → APPROVED → PAID, and RECEIVED or
// APPROVED → DISPUTED; an invoice billing a quote names it.
//
// Every quote, visit and invoice belongs to a case, and through it to a
// property: the PDP sees that property (what delegation grants are for)
// and, on money-bearing acts (accepting a quote, approving or paying an
// invoice), the amount, which a delegated agent's limit must cover. Nothing
// is added to a CLOSED or CANCELLED case.
package vendor

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/hestami/concierge/internal/activity"
	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/db"
	"github.com/hestami/concierge/internal/listing"
	"github.com/hestami/concierge/internal/records"
)

// Vendor is an external provider an organization works with.
type Vendor struct {
	ID                   string    `json:"id"`
	OrganizationID       string    `json:"organizationId"`
	Name                 string    `json:"name"`
	Trades               []string  `json:"trades"`
	Contacts             []Contact `json:"contacts"`
	LicenseNotes         string    `json:"licenseNotes,omitempty"`
	InsuranceNotes       string    `json:"insuranceNotes,omitempty"`
	Notes                string    `json:"notes,omitempty"`
	ServiceProviderOrgID *string   `json:"serviceProviderOrgId,omitempty"`
	CreatedBy            string    `json:"createdBy"`
	CreatedAt            time.Time `json:"createdAt"`
	UpdatedAt            time.Time `json:"updatedAt"`
}

// Contact is a person or desk at a vendor.
type Contact struct {
	Name  string `json:"name" jsonschema:"minLength=1,maxLength=200,pattern=^[^\\x00-\\x1F\\x7F-\\x9F]*$"`
	Role  string `json:"role,omitempty" jsonschema:"maxLength=100,pattern=^[^\\x00-\\x1F\\x7F-\\x9F]*$"`
	Phone string `json:"phone,omitempty" jsonschema:"maxLength=50,pattern=^[^\\x00-\\x1F\\x7F-\\x9F]*$"`
	Email string `json:"email,omitempty" jsonschema:"maxLength=200,pattern=^[^\\x00-\\x1F\\x7F-\\x9F]*$"`
}

const (
	oneLine = `^[^\x00-\x1F\x7F-\x9F]*$`
	// caseRefDoc is the description of every case reference.
	caseRefDoc = "the case id or number (CASE-2026-7)"
)

// CreateInput adds a vendor.
type CreateInput struct {
	Name                 string    `json:"name" jsonschema:"minLength=1,maxLength=200,pattern=^[^\\x00-\\x1F\\x7F-\\x9F]*$"`
	Trades               []string  `json:"trades,omitempty" jsonschema:"maxItems=20,items.minLength=1,items.maxLength=100,items.pattern=^[^\\x00-\\x1F\\x7F-\\x9F]*$"`
	Contacts             []Contact `json:"contacts,omitempty" jsonschema:"maxItems=20"`
	LicenseNotes         string    `json:"licenseNotes,omitempty" jsonschema:"maxLength=2000"`
	InsuranceNotes       string    `json:"insuranceNotes,omitempty" jsonschema:"maxLength=2000"`
	Notes                string    `json:"notes,omitempty" jsonschema:"maxLength=10000"`
	ServiceProviderOrgID string    `json:"serviceProviderOrgId,omitempty" jsonschema:"format=uuid,description=a registered SERVICE_PROVIDER organization this vendor is"`
}

// UpdateInput changes a vendor; absent fields stay as they are.
type UpdateInput struct {
	ID                   string     `json:"id" jsonschema:"format=uuid"`
	Name                 *string    `json:"name,omitempty" jsonschema:"minLength=1,maxLength=200,pattern=^[^\\x00-\\x1F\\x7F-\\x9F]*$"`
	Trades               *[]string  `json:"trades,omitempty" jsonschema:"maxItems=20,items.minLength=1,items.maxLength=100,items.pattern=^[^\\x00-\\x1F\\x7F-\\x9F]*$"`
	Contacts             *[]Contact `json:"contacts,omitempty" jsonschema:"maxItems=20"`
	LicenseNotes         *string    `json:"licenseNotes,omitempty" jsonschema:"maxLength=2000"`
	InsuranceNotes       *string    `json:"insuranceNotes,omitempty" jsonschema:"maxLength=2000"`
	Notes                *string    `json:"notes,omitempty" jsonschema:"maxLength=10000"`
	ServiceProviderOrgID *string    `json:"serviceProviderOrgId,omitempty" jsonschema:"format=uuid"`
	// UnlinkServiceProvider drops the link to a service-provider organization.
	UnlinkServiceProvider bool `json:"unlinkServiceProvider,omitempty"`
}

// ListInput filters and pages vendors, newest first.
type ListInput struct {
	Trade  string `json:"trade,omitempty" jsonschema:"maxLength=100,pattern=^[^\\x00-\\x1F\\x7F-\\x9F]*$,description=only vendors of this trade (case-insensitive)"`
	Query  string `json:"query,omitempty" jsonschema:"maxLength=200,pattern=^[^\\x00-\\x1F\\x7F-\\x9F]*$,description=only vendors whose name contains this (case-insensitive)"`
	Limit  int    `json:"limit,omitempty" jsonschema:"minimum=1,maximum=100"`
	Cursor string `json:"cursor,omitempty" jsonschema:"maxLength=500"`
}

// SelectionRecorder records the VENDOR_SELECTION decision of an accepted
// quote in the accept's own transaction q (the decision ledger's RecordTx).
// quote is the quote as accepted; rationale is the accepting user's. An
// error rolls the accept back.
type SelectionRecorder func(ctx context.Context, q db.Querier, p authz.Principal, quote Quote, rationale string) error

// Service is the vendor domain.
type Service struct {
	db  *db.DB
	pdp authz.Decider
	// RecordSelection is called inside every quote accept's transaction,
	// after the quote is ACCEPTED; nil makes every accept fail (INTERNAL):
	// no vendor is selected without its decision on the ledger.
	RecordSelection SelectionRecorder
}

// New returns the vendor service.
func New(d *db.DB, pdp authz.Decider) *Service { return &Service{db: d, pdp: pdp} }

const vendorKind = "vendor"

func vendorResource(v Vendor) authz.Resource {
	return authz.Resource{Kind: vendorKind, ID: v.ID, Attr: map[string]any{"org_id": v.OrganizationID}}
}

const vendorColumns = `id, organization_id, name, trades, contacts, license_notes, insurance_notes, notes,
	service_provider_org_id, created_by, created_at, updated_at`

func scanVendor(r db.Row) (Vendor, error) {
	var v Vendor
	var contacts []byte
	err := r.Scan(&v.ID, &v.OrganizationID, &v.Name, &v.Trades, &contacts, &v.LicenseNotes, &v.InsuranceNotes, &v.Notes,
		&v.ServiceProviderOrgID, &v.CreatedBy, &v.CreatedAt, &v.UpdatedAt)
	if err == nil {
		err = json.Unmarshal(contacts, &v.Contacts)
	}
	if v.Trades == nil {
		v.Trades = []string{}
	}
	if v.Contacts == nil {
		v.Contacts = []Contact{}
	}
	return v, err
}

var vendorTable = &records.Table[Vendor]{
	Kind: vendorKind, Name: "vendors", Columns: vendorColumns, Scan: scanVendor, Resource: vendorResource,
	Plan: authz.Columns{
		"request.resource.id":          "id",
		"request.resource.attr.org_id": "organization_id",
	},
	Order: records.NewestFirst(func(v Vendor) time.Time { return v.CreatedAt }),
}

// GetVendor returns one vendor the principal may view.
func (s *Service) GetVendor(ctx context.Context, p authz.Principal, id string) (Vendor, error) {
	return records.Get(ctx, s.db, s.pdp, p, vendorTable, id, nil)
}

// ListVendors returns the vendors the principal may view, newest first.
func (s *Service) ListVendors(ctx context.Context, p authz.Principal, in ListInput) (listing.Page[Vendor], error) {
	return records.List(ctx, s.db, s.pdp, p, vendorTable, records.Page{Limit: in.Limit, Cursor: in.Cursor}, func(f *records.Filters) {
		if t := strings.TrimSpace(in.Trade); t != "" {
			f.Where(`EXISTS (SELECT 1 FROM unnest(trades) t WHERE lower(t) = lower(?))`, t)
		}
		if q := strings.TrimSpace(in.Query); q != "" {
			f.Where(`strpos(lower(name), lower(?)) > 0`, q)
		}
	})
}

// cleanTrades trims, drops blanks and repeats (case-insensitively).
func cleanTrades(in []string) []string {
	out := []string{}
	seen := map[string]bool{}
	for _, t := range in {
		t = strings.TrimSpace(t)
		if t == "" || seen[strings.ToLower(t)] {
			continue
		}
		seen[strings.ToLower(t)] = true
		out = append(out, t)
	}
	return out
}

func cleanContacts(f *apperr.Fields, in []Contact) []Contact {
	out := []Contact{}
	for i, c := range in {
		c = Contact{Name: strings.TrimSpace(c.Name), Role: strings.TrimSpace(c.Role), Phone: strings.TrimSpace(c.Phone), Email: strings.TrimSpace(c.Email)}
		if c.Name == "" {
			f.Add("contacts["+strconv.Itoa(i)+"].name", "required", "a contact needs a name")
		}
		out = append(out, c)
	}
	return out
}

// checkServiceProvider refuses a link to anything but a registered
// SERVICE_PROVIDER organization.
func checkServiceProvider(ctx context.Context, q db.Querier, id *string) error {
	if id == nil {
		return nil
	}
	var ok bool
	if err := q.QueryRow(ctx, `SELECT hestami_service_provider($1::uuid)`, *id).Scan(&ok); err != nil {
		return err
	}
	if !ok {
		return apperr.Field("serviceProviderOrgId", "not_a_service_provider", "serviceProviderOrgId names no registered SERVICE_PROVIDER organization")
	}
	return nil
}

// CreateVendorTx adds a vendor to the principal's organization.
func (s *Service) CreateVendorTx(ctx context.Context, q db.Querier, p authz.Principal, in CreateInput) (Vendor, error) {
	v := Vendor{OrganizationID: p.OrgID}
	res := vendorResource(v)
	res.ID = "new"
	if err := s.pdp.Authorize(ctx, p, res, "create"); err != nil {
		return Vendor{}, err
	}
	var f apperr.Fields
	name := strings.TrimSpace(in.Name)
	if name == "" {
		f.Add("name", "required", "name must not be blank")
	}
	contacts := cleanContacts(&f, in.Contacts)
	if err := f.Err(); err != nil {
		return Vendor{}, err
	}
	var sp *string
	if in.ServiceProviderOrgID != "" {
		sp = &in.ServiceProviderOrgID
	}
	if err := checkServiceProvider(ctx, q, sp); err != nil {
		return Vendor{}, err
	}
	cj, err := json.Marshal(contacts)
	if err != nil {
		return Vendor{}, err
	}
	out, err := scanVendor(q.QueryRow(ctx, `INSERT INTO vendors (organization_id, name, trades, contacts, license_notes, insurance_notes,
			notes, service_provider_org_id, created_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING `+vendorColumns,
		p.OrgID, name, cleanTrades(in.Trades), cj, strings.TrimSpace(in.LicenseNotes), strings.TrimSpace(in.InsuranceNotes),
		strings.TrimSpace(in.Notes), sp, p.UserID))
	if err != nil {
		return out, err
	}
	return out, activity.Record(ctx, q, p, activity.Event{EntityType: vendorKind, EntityID: out.ID, Verb: "created", After: out})
}

// UpdateVendorTx changes a vendor, authorized on the locked row.
func (s *Service) UpdateVendorTx(ctx context.Context, q db.Querier, p authz.Principal, in UpdateInput) (Vendor, error) {
	before, err := vendorTable.Load(ctx, q, in.ID, true)
	if err != nil {
		return before, err
	}
	if err := s.pdp.Authorize(ctx, p, vendorResource(before), "view"); err != nil {
		return Vendor{}, vendorTable.HideForbidden(err, in.ID)
	}
	if err := s.pdp.Authorize(ctx, p, vendorResource(before), "update"); err != nil {
		return Vendor{}, err
	}
	after := before
	var f apperr.Fields
	if in.Name != nil {
		after.Name = strings.TrimSpace(*in.Name)
		if after.Name == "" {
			f.Add("name", "required", "name must not be blank")
		}
	}
	if in.Trades != nil {
		after.Trades = cleanTrades(*in.Trades)
	}
	if in.Contacts != nil {
		after.Contacts = cleanContacts(&f, *in.Contacts)
	}
	if in.LicenseNotes != nil {
		after.LicenseNotes = strings.TrimSpace(*in.LicenseNotes)
	}
	if in.InsuranceNotes != nil {
		after.InsuranceNotes = strings.TrimSpace(*in.InsuranceNotes)
	}
	if in.Notes != nil {
		after.Notes = strings.TrimSpace(*in.Notes)
	}
	if in.UnlinkServiceProvider && in.ServiceProviderOrgID != nil {
		f.Add("unlinkServiceProvider", "conflicting", "either link a service provider or unlink it, not both")
	}
	if err := f.Err(); err != nil {
		return Vendor{}, err
	}
	if in.UnlinkServiceProvider {
		after.ServiceProviderOrgID = nil
	}
	if in.ServiceProviderOrgID != nil {
		if err := checkServiceProvider(ctx, q, in.ServiceProviderOrgID); err != nil {
			return Vendor{}, err
		}
		after.ServiceProviderOrgID = in.ServiceProviderOrgID
	}
	cj, err := json.Marshal(after.Contacts)
	if err != nil {
		return Vendor{}, err
	}
	out, err := scanVendor(q.QueryRow(ctx, `UPDATE vendors SET name = $2, trades = $3, contacts = $4, license_notes = $5,
			insurance_notes = $6, notes = $7, service_provider_org_id = $8, updated_at = now()
		WHERE id = $1 RETURNING `+vendorColumns,
		before.ID, after.Name, after.Trades, cj, after.LicenseNotes, after.InsuranceNotes, after.Notes, after.ServiceProviderOrgID))
	if err != nil {
		return out, err
	}
	return out, activity.Record(ctx, q, p, activity.Event{EntityType: vendorKind, EntityID: out.ID, Verb: "updated", Before: before, After: out})
}
