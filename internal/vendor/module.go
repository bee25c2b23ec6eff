package vendor

import (
	"context"

	"github.com/hestami/concierge/internal/api"
	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/listing"
)

// Register declares the vendor, quote, schedule and invoice procedures
// (api.Module).
func (s *Service) Register(r *api.Registry) {
	vendor := api.Specs{Namespace: "vendor", Resource: vendorKind}.Spec
	api.Register(r, vendor("create", api.Mutation, "Add a vendor (no onboarding; optionally linked to a registered service-provider organization)", nil, "create"),
		func(ctx context.Context, c api.Call, in CreateInput) (Vendor, error) {
			return s.CreateVendorTx(ctx, c.Tx, c.Principal, in)
		})
	api.Register(r, vendor("update", api.Mutation, "Change a vendor's name, trades, contacts, notes or service-provider link", nil, "view", "update"),
		func(ctx context.Context, c api.Call, in UpdateInput) (Vendor, error) {
			return s.UpdateVendorTx(ctx, c.Tx, c.Principal, in)
		})
	api.Register(r, vendor("get", api.Query, "Get one vendor", nil, "view"),
		func(ctx context.Context, c api.Call, in api.GetInput) (Vendor, error) {
			return s.GetVendor(ctx, c.Principal, in.ID)
		})
	api.Register(r, vendor("list", api.Query, "List vendors, newest first, by trade or name", nil, "view"),
		func(ctx context.Context, c api.Call, in ListInput) (listing.Page[Vendor], error) {
			return s.ListVendors(ctx, c.Principal, in)
		})

	quote := api.Specs{Namespace: "quote", Resource: quoteKind}.Spec
	lifecycle := []apperr.Code{apperr.InvalidTransition}
	api.Register(r, quote("add", api.Mutation, "Record a vendor's quote on a case (RECEIVED); line items must sum exactly to the amount", nil, "create"),
		func(ctx context.Context, c api.Call, in AddQuoteInput) (Quote, error) {
			return s.AddQuoteTx(ctx, c.Tx, c.Principal, in)
		})
	api.Register(r, quote("review", api.Mutation, "Put a received quote under review (UNDER_REVIEW)", lifecycle, "view", "review"),
		func(ctx context.Context, c api.Call, in QuoteRef) (Quote, error) {
			return s.ReviewQuoteTx(ctx, c.Tx, c.Principal, in)
		})
	api.Register(r, quote("accept", api.Mutation,
		"Accept a quote under review with the rationale, recorded as a VENDOR_SELECTION decision in the same transaction; one accepted quote per case scope",
		lifecycle, "view", "accept", "reject"),
		func(ctx context.Context, c api.Call, in AcceptInput) (Quote, error) {
			return s.AcceptQuoteTx(ctx, c.Tx, c.Principal, in)
		})
	api.Register(r, quote("reject", api.Mutation, "Turn down an open quote", lifecycle, "view", "reject"),
		func(ctx context.Context, c api.Call, in ReasonInput) (Quote, error) {
			return s.RejectQuoteTx(ctx, c.Tx, c.Principal, in)
		})
	api.Register(r, quote("withdraw", api.Mutation, "Record that the vendor withdrew an open quote", lifecycle, "view", "withdraw"),
		func(ctx context.Context, c api.Call, in ReasonInput) (Quote, error) {
			return s.WithdrawQuoteTx(ctx, c.Tx, c.Principal, in)
		})
	api.Register(r, quote("get", api.Query, "Get one quote, its status as of now (EXPIRED from the instant its validity ends)", nil, "view"),
		func(ctx context.Context, c api.Call, in api.GetInput) (Quote, error) {
			return s.GetQuote(ctx, c.Principal, in.ID)
		})
	api.Register(r, quote("list", api.Query, "List quotes, oldest first, by case, vendor or status", nil, "view"),
		func(ctx context.Context, c api.Call, in QuoteListInput) (listing.Page[Quote], error) {
			return s.ListQuotes(ctx, c.Principal, in)
		})
	api.Register(r, quote("compare", api.Query, "A case's quotes side by side: amount, validity, vendor and scope differences line by line", nil, "view"),
		func(ctx context.Context, c api.Call, in CompareInput) (Comparison, error) {
			return s.Compare(ctx, c.Principal, in)
		})

	schedule := api.Specs{Namespace: "schedule", Resource: scheduleKind}.Spec
	api.Register(r, schedule("add", api.Mutation, "Book a vendor visit on a case (SCHEDULED) within a time window", nil, "create"),
		func(ctx context.Context, c api.Call, in AddScheduleInput) (Schedule, error) {
			return s.AddScheduleTx(ctx, c.Tx, c.Principal, in)
		})
	api.Register(r, schedule("complete", api.Mutation, "Mark a scheduled visit DONE, with what came of it", lifecycle, "view", "update"),
		func(ctx context.Context, c api.Call, in FinishScheduleInput) (Schedule, error) {
			return s.CompleteScheduleTx(ctx, c.Tx, c.Principal, in)
		})
	api.Register(r, schedule("cancel", api.Mutation, "Call a scheduled visit off (CANCELLED)", lifecycle, "view", "update"),
		func(ctx context.Context, c api.Call, in FinishScheduleInput) (Schedule, error) {
			return s.CancelScheduleTx(ctx, c.Tx, c.Principal, in)
		})
	api.Register(r, schedule("get", api.Query, "Get one vendor visit", nil, "view"),
		func(ctx context.Context, c api.Call, in api.GetInput) (Schedule, error) {
			return s.GetSchedule(ctx, c.Principal, in.ID)
		})
	api.Register(r, schedule("list", api.Query, "List vendor visits, earliest window first, by case, vendor or status", nil, "view"),
		func(ctx context.Context, c api.Call, in ScheduleListInput) (listing.Page[Schedule], error) {
			return s.ListSchedules(ctx, c.Principal, in)
		})

	invoice := api.Specs{Namespace: "invoice", Resource: invoiceKind}.Spec
	api.Register(r, invoice("add", api.Mutation, "Record a vendor's invoice on a case (RECEIVED), linked to the accepted quote it bills", nil, "create"),
		func(ctx context.Context, c api.Call, in AddInvoiceInput) (Invoice, error) {
			return s.AddInvoiceTx(ctx, c.Tx, c.Principal, in)
		})
	api.Register(r, invoice("approve", api.Mutation, "Approve a received invoice for payment (a delegated agent within its limit)", lifecycle, "view", "approve"),
		func(ctx context.Context, c api.Call, in InvoiceRef) (Invoice, error) {
			return s.ApproveInvoiceTx(ctx, c.Tx, c.Principal, in)
		})
	api.Register(r, invoice("pay", api.Mutation, "Record an approved invoice as paid (a delegated agent within its limit)", lifecycle, "view", "pay"),
		func(ctx context.Context, c api.Call, in InvoiceRef) (Invoice, error) {
			return s.PayInvoiceTx(ctx, c.Tx, c.Principal, in)
		})
	api.Register(r, invoice("dispute", api.Mutation, "Dispute an invoice that is not paid, saying why", lifecycle, "view", "dispute"),
		func(ctx context.Context, c api.Call, in DisputeInput) (Invoice, error) {
			return s.DisputeInvoiceTx(ctx, c.Tx, c.Principal, in)
		})
	api.Register(r, invoice("get", api.Query, "Get one invoice", nil, "view"),
		func(ctx context.Context, c api.Call, in api.GetInput) (Invoice, error) {
			return s.GetInvoice(ctx, c.Principal, in.ID)
		})
	api.Register(r, invoice("list", api.Query, "List invoices, oldest first, by case, vendor or status", nil, "view"),
		func(ctx context.Context, c api.Call, in InvoiceListInput) (listing.Page[Invoice], error) {
			return s.ListInvoices(ctx, c.Principal, in)
		})
}
