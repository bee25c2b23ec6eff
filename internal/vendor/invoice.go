package vendor

import (
	"context"
	"strings"
	"time"

	"github.com/hestami/concierge/internal/activity"
	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/db"
	"github.com/hestami/concierge/internal/listing"
	"github.com/hestami/concierge/internal/money"
	"github.com/hestami/concierge/internal/records"
)

// Invoice is a vendor's bill on a case.
type Invoice struct {
	ID             string        `json:"id"`
	OrganizationID string        `json:"organizationId"`
	CaseID         string        `json:"caseId"`
	CaseNumber     string        `json:"caseNumber"`
	VendorID       string        `json:"vendorId"`
	VendorName     string        `json:"vendorName"`
	QuoteID        *string       `json:"quoteId,omitempty"`
	Reference      string        `json:"reference,omitempty"`
	Amount         string        `json:"amount"`
	Currency       string        `json:"currency"`
	DueDate        *string       `json:"dueDate,omitempty"`
	Status         InvoiceStatus `json:"status"`
	DocumentID     *string       `json:"documentId,omitempty"`
	ApprovedAt     *time.Time    `json:"approvedAt,omitempty"`
	ApprovedBy     *string       `json:"approvedBy,omitempty"`
	PaidAt         *time.Time    `json:"paidAt,omitempty"`
	PaidBy         *string       `json:"paidBy,omitempty"`
	DisputedAt     *time.Time    `json:"disputedAt,omitempty"`
	DisputedBy     *string       `json:"disputedBy,omitempty"`
	DisputeReason  string        `json:"disputeReason,omitempty"`
	CreatedBy      string        `json:"createdBy"`
	CreatedAt      time.Time     `json:"createdAt"`
	UpdatedAt      time.Time     `json:"updatedAt"`
	PropertyID     string        `json:"-"`
}

// Money is the invoice's amount with its currency.
func (i Invoice) Money() money.Money { return money.Money{Amount: i.Amount, Currency: i.Currency} }

// AddInvoiceInput records a vendor's invoice on a case.
type AddInvoiceInput struct {
	CaseID     string `json:"caseId" jsonschema:"minLength=1,maxLength=100,pattern=^[^\\x00-\\x1F\\x7F-\\x9F]*$,description=the case id or number (CASE-2026-7)"`
	VendorID   string `json:"vendorId" jsonschema:"format=uuid"`
	QuoteID    string `json:"quoteId,omitempty" jsonschema:"format=uuid,description=the ACCEPTED quote of this case and vendor the invoice bills"`
	Reference  string `json:"reference,omitempty" jsonschema:"maxLength=100,pattern=^[^\\x00-\\x1F\\x7F-\\x9F]*$,description=the vendor's invoice number"`
	Amount     string `json:"amount" jsonschema:"pattern=^[0-9]{1\\,12}(\\.[0-9]{1\\,2})?$,description=exact decimal amount (\"1500.00\")"`
	Currency   string `json:"currency" jsonschema:"pattern=^[A-Z]{3}$,description=ISO 4217 code"`
	DueDate    string `json:"dueDate,omitempty" jsonschema:"format=date,description=YYYY-MM-DD"`
	DocumentID string `json:"documentId,omitempty" jsonschema:"format=uuid,description=the invoice document, if uploaded"`
}

// InvoiceListInput lists invoices, oldest first.
type InvoiceListInput struct {
	CaseID   string          `json:"caseId,omitempty" jsonschema:"maxLength=100,pattern=^[^\\x00-\\x1F\\x7F-\\x9F]*$,description=only this case's invoices (id or number)"`
	VendorID string          `json:"vendorId,omitempty" jsonschema:"format=uuid"`
	Status   []InvoiceStatus `json:"status,omitempty"`
	Limit    int             `json:"limit,omitempty" jsonschema:"minimum=1,maximum=100"`
	Cursor   string          `json:"cursor,omitempty" jsonschema:"maxLength=500"`
}

const invoiceKind = "invoice"

const invoiceProperty = `(SELECT c.property_id FROM cases c WHERE c.id = invoices.case_id)`

const invoiceColumns = `id, organization_id, case_id, (SELECT c.number FROM cases c WHERE c.id = invoices.case_id),
	vendor_id, (SELECT v.name FROM vendors v WHERE v.id = invoices.vendor_id), quote_id, reference, amount::text, currency,
	due_date::text, status, document_id, approved_at, approved_by, paid_at, paid_by, disputed_at, disputed_by, dispute_reason,
	created_by, created_at, updated_at, ` + invoiceProperty

func scanInvoice(r db.Row) (Invoice, error) {
	var i Invoice
	err := r.Scan(&i.ID, &i.OrganizationID, &i.CaseID, &i.CaseNumber, &i.VendorID, &i.VendorName, &i.QuoteID, &i.Reference, &i.Amount,
		&i.Currency, &i.DueDate, &i.Status, &i.DocumentID, &i.ApprovedAt, &i.ApprovedBy, &i.PaidAt, &i.PaidBy, &i.DisputedAt,
		&i.DisputedBy, &i.DisputeReason, &i.CreatedBy, &i.CreatedAt, &i.UpdatedAt, &i.PropertyID)
	return i, err
}

func invoiceResource(i Invoice) authz.Resource {
	m := i.Money()
	return authz.Resource{Kind: invoiceKind, ID: i.ID, Attr: authz.AmountAttr(map[string]any{
		"org_id": i.OrganizationID, "case_id": i.CaseID, "property_id": i.PropertyID, "status": string(i.Status),
		"vendor_id": i.VendorID}, &m)}
}

var invoiceTable = &records.Table[Invoice]{
	Kind: invoiceKind, Name: "invoices", Columns: invoiceColumns, Scan: scanInvoice, Resource: invoiceResource,
	Plan: authz.Columns{
		"request.resource.id":               "id",
		"request.resource.attr.org_id":      "organization_id",
		"request.resource.attr.case_id":     "case_id",
		"request.resource.attr.property_id": invoiceProperty,
		"request.resource.attr.status":      "status",
		"request.resource.attr.vendor_id":   "vendor_id",
	},
	Order: records.Order[Invoice]{Column: "created_at", Ascending: true,
		Key: func(i Invoice) string { return i.CreatedAt.UTC().Format(time.RFC3339Nano) }},
}

// GetInvoice returns one invoice the principal may view.
func (s *Service) GetInvoice(ctx context.Context, p authz.Principal, id string) (Invoice, error) {
	return records.Get(ctx, s.db, s.pdp, p, invoiceTable, id, nil)
}

// ListInvoices returns the invoices the principal may view, oldest first.
func (s *Service) ListInvoices(ctx context.Context, p authz.Principal, in InvoiceListInput) (listing.Page[Invoice], error) {
	return records.List(ctx, s.db, s.pdp, p, invoiceTable, records.Page{Limit: in.Limit, Cursor: in.Cursor}, func(f *records.Filters) {
		caseFilter(f, in.CaseID)
		if in.VendorID != "" {
			f.Where(`vendor_id = ?::uuid`, in.VendorID)
		}
		if len(in.Status) > 0 {
			f.Where(`status = ANY(?)`, in.Status)
		}
	})
}

// AddInvoiceTx records an invoice (RECEIVED) on a case that has not ended.
// An invoice billing a quote names the ACCEPTED quote of the same case and
// vendor, in its currency.
func (s *Service) AddInvoiceTx(ctx context.Context, q db.Querier, p authz.Principal, in AddInvoiceInput) (Invoice, error) {
	c, found, err := readCase(ctx, q, in.CaseID, true)
	if err != nil {
		return Invoice{}, err
	}
	m := money.Money{Amount: in.Amount, Currency: in.Currency}
	if err := s.authorizeNew(ctx, p, invoiceKind, "caseId", c, found, func(a map[string]any) { authz.AmountAttr(a, &m) }); err != nil {
		return Invoice{}, err
	}
	if err := c.refuseTerminal(); err != nil {
		return Invoice{}, err
	}
	if _, err := vendorName(ctx, q, in.VendorID); err != nil {
		return Invoice{}, err
	}
	doc, err := documentRef(ctx, q, in.DocumentID)
	if err != nil {
		return Invoice{}, err
	}
	var quote, due *string
	if in.QuoteID != "" {
		currency, status, err := linkedQuote(ctx, q, in.QuoteID, c.ID, in.VendorID)
		if err != nil {
			return Invoice{}, err
		}
		if status != QuoteAccepted {
			return Invoice{}, apperr.Field("quoteId", "not_accepted", "an invoice bills an ACCEPTED quote; this one is "+string(status))
		}
		if currency != in.Currency {
			return Invoice{}, apperr.Field("currency", "mismatch", "the invoice is in "+in.Currency+" but its quote in "+currency)
		}
		quote = &in.QuoteID
	}
	if in.DueDate != "" {
		due = &in.DueDate
	}
	var id string
	if err := q.QueryRow(ctx, `INSERT INTO invoices (organization_id, case_id, vendor_id, quote_id, reference, amount, currency, due_date,
			document_id, created_by)
		VALUES ($1, $2, $3, $4, $5, $6::numeric, $7, $8::date, $9, $10) RETURNING id`,
		p.OrgID, c.ID, in.VendorID, quote, strings.TrimSpace(in.Reference), in.Amount, in.Currency, due, doc, p.UserID).Scan(&id); err != nil {
		return Invoice{}, err
	}
	out, err := invoiceTable.Load(ctx, q, id, false)
	if err != nil {
		return out, err
	}
	return out, activity.Record(ctx, q, p, activity.Event{EntityType: invoiceKind, EntityID: out.ID, Verb: "received", After: out})
}

// InvoiceRef names one invoice.
type InvoiceRef struct {
	ID string `json:"id" jsonschema:"format=uuid"`
}

// DisputeInput disputes an invoice, saying why.
type DisputeInput struct {
	ID     string `json:"id" jsonschema:"format=uuid"`
	Reason string `json:"reason" jsonschema:"minLength=1,maxLength=10000,description=what is disputed (required)"`
}

// ApproveInvoiceTx approves a RECEIVED invoice for payment; a delegated
// agent only within its FINANCIAL_DECISIONS limit.
func (s *Service) ApproveInvoiceTx(ctx context.Context, q db.Querier, p authz.Principal, in InvoiceRef) (Invoice, error) {
	return s.moveInvoice(ctx, q, p, in.ID, "approve", InvoiceApproved, "approved",
		`approved_at = now(), approved_by = $2`, p.UserID)
}

// PayInvoiceTx records an APPROVED invoice as paid; a delegated agent only
// within its FINANCIAL_DECISIONS limit.
func (s *Service) PayInvoiceTx(ctx context.Context, q db.Querier, p authz.Principal, in InvoiceRef) (Invoice, error) {
	return s.moveInvoice(ctx, q, p, in.ID, "pay", InvoicePaid, "paid", `paid_at = now(), paid_by = $2`, p.UserID)
}

// DisputeInvoiceTx disputes an invoice that is not paid.
func (s *Service) DisputeInvoiceTx(ctx context.Context, q db.Querier, p authz.Principal, in DisputeInput) (Invoice, error) {
	reason := strings.TrimSpace(in.Reason)
	if reason == "" {
		return Invoice{}, apperr.Field("reason", "required", "a dispute says what is disputed")
	}
	return s.moveInvoice(ctx, q, p, in.ID, "dispute", InvoiceDisputed, "disputed",
		`disputed_at = now(), disputed_by = $2, dispute_reason = $3`, p.UserID, reason)
}

// moveInvoice authorizes action on the locked invoice, runs the machine and
// applies set (whose $1 is the id) with the new status.
func (s *Service) moveInvoice(ctx context.Context, q db.Querier, p authz.Principal, id, action string, to InvoiceStatus, verb, set string,
	args ...any) (Invoice, error) {
	before, err := invoiceTable.Load(ctx, q, id, true)
	if err != nil {
		return before, err
	}
	if err := s.pdp.Authorize(ctx, p, invoiceResource(before), "view"); err != nil {
		return Invoice{}, invoiceTable.HideForbidden(err, id)
	}
	if err := s.pdp.Authorize(ctx, p, invoiceResource(before), action); err != nil {
		return Invoice{}, err
	}
	if !InvoiceTransitions.Allows(before.Status, to) {
		return Invoice{}, apperr.New(apperr.InvalidTransition, "%s", InvoiceTransitions.Refusal("an invoice", before.Status, to))
	}
	if _, err := q.Exec(ctx, `UPDATE invoices SET status = '`+string(to)+`', updated_at = now(), `+set+` WHERE id = $1`,
		append([]any{before.ID}, args...)...); err != nil {
		return Invoice{}, err
	}
	out, err := invoiceTable.Load(ctx, q, before.ID, false)
	if err != nil {
		return out, err
	}
	return out, activity.Record(ctx, q, p, activity.Event{EntityType: invoiceKind, EntityID: out.ID, Verb: verb, Before: before, After: out})
}
