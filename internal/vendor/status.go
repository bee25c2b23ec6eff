package vendor

import (
	"github.com/invopop/jsonschema"

	"github.com/hestami/concierge/internal/enum"
	"github.com/hestami/concierge/internal/statemachine"
)

// QuoteStatus is where a quote is in its life.
type QuoteStatus string

const (
	QuoteReceived    QuoteStatus = "RECEIVED"
	QuoteUnderReview QuoteStatus = "UNDER_REVIEW"
	QuoteAccepted    QuoteStatus = "ACCEPTED"
	QuoteRejected    QuoteStatus = "REJECTED"
	QuoteExpired     QuoteStatus = "EXPIRED" // read, never stored
	QuoteWithdrawn   QuoteStatus = "WITHDRAWN"
)

// QuoteStatuses lists every status a quote reads as.
var QuoteStatuses = enum.New(QuoteReceived, QuoteUnderReview, QuoteAccepted, QuoteRejected, QuoteExpired, QuoteWithdrawn)

// storedQuoteStatuses are those written: EXPIRED is only ever read.
var storedQuoteStatuses = enum.New(QuoteReceived, QuoteUnderReview, QuoteAccepted, QuoteRejected, QuoteWithdrawn).Stored("quotes", "status")

func (QuoteStatus) JSONSchema() *jsonschema.Schema { return QuoteStatuses.Schema() }

// QuoteTransitions is the quote machine of domain.md §8. A quote is
// accepted only after review; it may be turned down, withdrawn by its
// vendor or run out of validity (EXPIRED, computed on read) from either
// open status. ACCEPTED, REJECTED, EXPIRED and WITHDRAWN are final.
var QuoteTransitions = statemachine.Table[QuoteStatus]{
	QuoteReceived:    {QuoteUnderReview, QuoteRejected, QuoteExpired, QuoteWithdrawn},
	QuoteUnderReview: {QuoteAccepted, QuoteRejected, QuoteExpired, QuoteWithdrawn},
}

// openQuote lists the statuses in which a quote still competes.
var openQuote = []QuoteStatus{QuoteReceived, QuoteUnderReview}

// ScheduleStatus is where a scheduled visit is.
type ScheduleStatus string

const (
	ScheduleScheduled ScheduleStatus = "SCHEDULED"
	ScheduleDone      ScheduleStatus = "DONE"
	ScheduleCancelled ScheduleStatus = "CANCELLED"
)

// ScheduleStatuses lists every visit status.
var ScheduleStatuses = enum.New(ScheduleScheduled, ScheduleDone, ScheduleCancelled).Stored("vendor_schedules", "status")

func (ScheduleStatus) JSONSchema() *jsonschema.Schema { return ScheduleStatuses.Schema() }

// ScheduleTransitions: a visit happens or is called off, once.
var ScheduleTransitions = statemachine.Table[ScheduleStatus]{
	ScheduleScheduled: {ScheduleDone, ScheduleCancelled},
}

// InvoiceStatus is where an invoice is.
type InvoiceStatus string

const (
	InvoiceReceived InvoiceStatus = "RECEIVED"
	InvoiceApproved InvoiceStatus = "APPROVED"
	InvoicePaid     InvoiceStatus = "PAID"
	InvoiceDisputed InvoiceStatus = "DISPUTED"
)

// InvoiceStatuses lists every invoice status.
var InvoiceStatuses = enum.New(InvoiceReceived, InvoiceApproved, InvoicePaid, InvoiceDisputed).Stored("invoices", "status")

func (InvoiceStatus) JSONSchema() *jsonschema.Schema { return InvoiceStatuses.Schema() }

// InvoiceTransitions is the invoice machine of domain.md §8 (RECEIVED →
// APPROVED → PAID | DISPUTED). An invoice may also be disputed before it is
// approved; PAID and DISPUTED are final (a corrected bill is a new invoice).
var InvoiceTransitions = statemachine.Table[InvoiceStatus]{
	InvoiceReceived: {InvoiceApproved, InvoiceDisputed},
	InvoiceApproved: {InvoicePaid, InvoiceDisputed},
}
