// Package casedetail declares case/v1/detail: a case with everything about
// it the caller may see, in one call and one transaction.
//
// # Why a package of its own
//
// The documents, HOA approvals, quotes, visits, invoices and decisions of a
// case live in domains that import internal/cases (to lock and check the
// case they belong to), so cases cannot import them. This package sits
// above all of them: it takes cases.Service.DetailWith, which reads the
// case's own parts (origin, timeline, notes, actions, participants) and
// hands over its transaction once the case is found and viewable, and adds
// the other domains' parts in that same transaction. Detail embeds
// cases.Detail, so the JSON of the case's own parts is what it was.
//
// # Visibility
//
// Every part is read with the PDP's plan for "view" on its own resource
// kind, as SQL, before the DetailLimit bound: what the caller may not see
// is neither returned nor counted in "truncated". A STAFF_ONLY document
// never reaches the owner side. A decision's audit part (internal audit
// detail, staff-only evidence) is shown only to a principal the PDP allows
// "view_audit" on the ledger, as decision/v1/get does.
//
// Not yet: the activity events of these parts do not join the timeline.
package casedetail

import (
	"context"
	"fmt"
	"time"

	"github.com/hestami/concierge/internal/api"
	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/cases"
	"github.com/hestami/concierge/internal/db"
	"github.com/hestami/concierge/internal/decision"
	"github.com/hestami/concierge/internal/document"
	"github.com/hestami/concierge/internal/hoa"
	"github.com/hestami/concierge/internal/vendor"
)

// Detail is case/v1/detail's output: the case's own parts and those of the
// domains above cases, each bounded by cases.DetailLimit, oldest first.
type Detail struct {
	cases.Detail
	// Documents are the current versions bound to the case (metadata only;
	// document/v1/download has the content).
	Documents cases.Part[document.Document] `json:"documents"`
	Approvals cases.Part[hoa.Approval]      `json:"approvals"`
	Quotes    cases.Part[Quote]             `json:"quotes"`
	Visits    cases.Part[vendor.Schedule]   `json:"visits"`
	Invoices  cases.Part[vendor.Invoice]    `json:"invoices"`
	// Decisions are the ledger entries about the case; Audit is there for
	// staff only.
	Decisions cases.Part[decision.Decision] `json:"decisions"`
}

// Quote is a quote as one compares it with the others of the case
// (vendor/v1/getQuote has its lines and scope).
type Quote struct {
	ID         string             `json:"id"`
	VendorID   string             `json:"vendorId"`
	VendorName string             `json:"vendorName"`
	ScopeKey   string             `json:"scopeKey"`
	Amount     string             `json:"amount"`
	Currency   string             `json:"currency"`
	ValidUntil *time.Time         `json:"validUntil,omitempty"`
	Status     vendor.QuoteStatus `json:"status"`
	DocumentID *string            `json:"documentId,omitempty"`
	CreatedAt  time.Time          `json:"createdAt"`
}

func summarize(q vendor.Quote) Quote {
	return Quote{ID: q.ID, VendorID: q.VendorID, VendorName: q.VendorName, ScopeKey: q.ScopeKey, Amount: q.Amount, Currency: q.Currency,
		ValidUntil: q.ValidUntil, Status: q.Status, DocumentID: q.DocumentID, CreatedAt: q.CreatedAt}
}

// Service composes a case's detail.
type Service struct {
	cases    *cases.Service
	pdp      authz.Decider
	decision *decision.Service
}

// New returns the detail service over the case and decision services.
func New(pdp authz.Decider, cs *cases.Service, ds *decision.Service) *Service {
	return &Service{cases: cs, pdp: pdp, decision: ds}
}

// plans are the view plans of the parts, asked before the transaction
// opens: a PDP round trip holds no connection.
type plans struct {
	documents, approvals, quotes, visits, invoices, decisions *authz.Plan
	audit                                                     bool
}

func (s *Service) plans(ctx context.Context, p authz.Principal) (plans, error) {
	var ps plans
	for _, x := range []struct {
		kind string
		plan **authz.Plan
	}{
		{"document", &ps.documents}, {"hoa_approval", &ps.approvals}, {"quote", &ps.quotes},
		{"schedule", &ps.visits}, {"invoice", &ps.invoices}, {"decision", &ps.decisions},
	} {
		plan, err := s.pdp.QueryFilter(ctx, p, x.kind, "view")
		if err != nil {
			return ps, err
		}
		*x.plan = plan
	}
	var err error
	ps.audit, err = s.decision.MayAudit(ctx, p)
	return ps, err
}

// Detail returns the case ref names (id or number) with all its parts. A
// case the principal may not view is not found.
func (s *Service) Detail(ctx context.Context, p authz.Principal, ref string) (Detail, error) {
	ps, err := s.plans(ctx, p)
	if err != nil {
		return Detail{}, err
	}
	var d Detail
	d.Detail, err = s.cases.DetailWith(ctx, p, ref, func(ctx context.Context, q db.Querier, c cases.Case) error {
		var err error
		if d.Documents.Items, d.Documents.Truncated, err = document.ForCaseTx(ctx, q, ps.documents, c.ID, cases.DetailLimit); err != nil {
			return err
		}
		if d.Approvals.Items, d.Approvals.Truncated, err = hoa.ApprovalsForCaseTx(ctx, q, ps.approvals, c.ID, cases.DetailLimit); err != nil {
			return err
		}
		quotes, more, err := vendor.QuotesForCaseTx(ctx, q, ps.quotes, c.ID, cases.DetailLimit)
		if err != nil {
			return err
		}
		d.Quotes = cases.Part[Quote]{Items: make([]Quote, 0, len(quotes)), Truncated: more}
		for _, x := range quotes {
			d.Quotes.Items = append(d.Quotes.Items, summarize(x))
		}
		if d.Visits.Items, d.Visits.Truncated, err = vendor.SchedulesForCaseTx(ctx, q, ps.visits, c.ID, cases.DetailLimit); err != nil {
			return err
		}
		if d.Invoices.Items, d.Invoices.Truncated, err = vendor.InvoicesForCaseTx(ctx, q, ps.invoices, c.ID, cases.DetailLimit); err != nil {
			return err
		}
		d.Decisions.Items, d.Decisions.Truncated, err = decision.ForCaseTx(ctx, q, ps.decisions, c.ID, cases.DetailLimit, ps.audit)
		return err
	})
	if err != nil {
		return Detail{}, err
	}
	return d, nil
}

// Register declares case/v1/detail (api.Module).
func (s *Service) Register(r *api.Registry) {
	api.Register(r, api.Spec{Namespace: "case", Version: "v1", Name: "detail", Kind: api.Query, Resource: "case", Actions: []string{"view"},
		Summary: fmt.Sprintf("A case with its origin intent, timeline, notes, actions, participants, documents, HOA approvals, quotes, "+
			"visits, invoices and decisions, each as the caller may see it (the latest %d of each list, with a truncated flag)", cases.DetailLimit)},
		func(ctx context.Context, c api.Call, in api.GetInput) (Detail, error) {
			return s.Detail(ctx, c.Principal, in.ID)
		})
}
