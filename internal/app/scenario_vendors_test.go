package app_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hestami/concierge/internal/api"
	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/cases"
	"github.com/hestami/concierge/internal/decision"
	"github.com/hestami/concierge/internal/delegation"
	"github.com/hestami/concierge/internal/document"
	"github.com/hestami/concierge/internal/document/content"
	"github.com/hestami/concierge/internal/hoa"
	"github.com/hestami/concierge/internal/identity"
	"github.com/hestami/concierge/internal/intent"
	"github.com/hestami/concierge/internal/listing"
	"github.com/hestami/concierge/internal/money"
	"github.com/hestami/concierge/internal/portfolio"
	"github.com/hestami/concierge/internal/testkit"
	"github.com/hestami/concierge/internal/vendor"
)

// fenceStory is what one organization's fence story made.
type fenceStory struct {
	org                              identity.Organization
	caseID, letterID, decisionID     string
	cheapQuoteID, dearQuoteID, invID string
	owner, staff, agent              authz.Principal
	spool                            string
}

// "The HOA wants the fence repainted before the 30th, get me two quotes",
// end to end through the pipeline, in two owner organizations at once:
// staff record the HOA approval and two quotes and upload the HOA's letter;
// the owner's delegated agent is refused the quote above its limit and
// accepts the cheaper one (its VENDOR_SELECTION decision is written with
// the accept); the approval is recorded APPROVED; the invoice is approved
// and paid; the case is resolved and closed; the ledger verifies online
// and offline; the owner's summary shows the spend. Neither organization
// sees a row, a document or a decision of the other.
func TestFenceRepaintWithTwoQuotesInTwoOrganizations(t *testing.T) {
	t.Parallel()
	b := testkit.Setup(t)
	w := b.NewWorld()
	b.Cases() // status changes are durable workflows
	b.App.ConfigureDocuments(document.Config{Store: content.NewDir(t.TempDir()), MaxBytes: 1 << 20}, t.TempDir())

	var mu sync.Mutex
	stories := map[string]*fenceStory{}
	var wg sync.WaitGroup
	for _, org := range []identity.Organization{w.Rivera, w.Oak} {
		s := &fenceStory{org: org, staff: b.Principal(w.Staff, org.ID), spool: t.TempDir(),
			owner: b.Member(org, "fence-owner@"+org.ID[:8]+".test", "OWNER"),
			agent: b.Member(org, "fence-agent@"+org.ID[:8]+".test", "DELEGATED_AGENT")}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := runFenceStory(t, b, s); err != nil {
				t.Errorf("%s: %v", org.Name, err)
			}
			mu.Lock()
			stories[org.ID] = s
			mu.Unlock()
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}

	// Neither organization reaches the other's case, document, quote,
	// invoice or decision, by id or in a list.
	for _, pair := range [][2]string{{w.Rivera.ID, w.Oak.ID}, {w.Oak.ID, w.Rivera.ID}} {
		me, other := stories[pair[0]], stories[pair[1]]
		for _, p := range []authz.Principal{me.owner, me.staff, me.agent} {
			for proc, id := range map[string]string{
				"case/v1/get": other.caseID, "document/v1/get": other.letterID, "quote/v1/get": other.cheapQuoteID,
				"invoice/v1/get": other.invID, "decision/v1/get": other.decisionID,
			} {
				if _, err := invokeJSON(b, p, proc, api.GetInput{ID: id}, ""); apperr.CodeOf(err) != apperr.NotFound {
					t.Errorf("%s %v reads the other organization's %s: %v", p.OrgID[:8], p.Roles, proc, err)
				}
			}
			for proc, in := range map[string]any{
				"document/v1/list": document.ListInput{}, "quote/v1/list": vendor.QuoteListInput{},
				"invoice/v1/list": vendor.InvoiceListInput{}, "decision/v1/list": decision.ListInput{},
				"hoa/v1/listApprovals": hoa.ListApprovalsInput{},
			} {
				raw, err := invokeJSON(b, p, proc, in, "")
				if err != nil {
					t.Fatalf("%s: %v", proc, err)
				}
				for _, id := range []string{other.caseID, other.letterID, other.cheapQuoteID, other.dearQuoteID, other.invID, other.decisionID, other.org.ID} {
					if strings.Contains(string(raw), id) {
						t.Errorf("%s %v lists a record of the other organization in %s", p.OrgID[:8], p.Roles, proc)
					}
				}
			}
		}
	}
}

// upload sends data as the document of a case, as a transport would.
func (s *fenceStory) upload(b *testkit.Bundle, p authz.Principal, data []byte, in document.UploadInput, key string) (document.Document, error) {
	a, err := api.Spool(s.spool, bytes.NewReader(data), "hoa-letter.txt", "text/plain", 1<<20)
	if err != nil {
		return document.Document{}, err
	}
	defer a.Release()
	in.File = a.File
	proc, _ := b.App.Registry.Lookup("document/v1/upload")
	raw, err := json.Marshal(in)
	if err != nil {
		return document.Document{}, err
	}
	res := b.App.Invoker.InvokeAs(api.WithAttachments(b.Ctx, a), p, api.Request{Procedure: proc, IdempotencyKey: key, Input: raw})
	if res.Err != nil {
		return document.Document{}, res.Err
	}
	return *res.Output.(*document.Document), nil
}

func runFenceStory(t *testing.T, b *testkit.Bundle, s *fenceStory) error {
	key := func(step string) string { return s.org.ID[:8] + "-fence-" + step }
	call := func(p authz.Principal, proc string, in any, step string, out any) error {
		raw, err := invokeJSON(b, p, proc, in, key(step))
		if err != nil {
			return fmt.Errorf("%s (%s): %w", step, proc, err)
		}
		if out != nil {
			return json.Unmarshal(raw, out)
		}
		return nil
	}
	prop := b.NewProperty(s.owner, s.org.Name+" fence house").ID

	// The owner grants its agent vendor selection and case management on
	// the property, up to 1000.00 USD.
	var grant delegation.Delegation
	if err := call(s.owner, "delegation/v1/grant", delegation.GrantInput{DelegateID: s.agent.UserID, PropertyIDs: []string{prop},
		AuthorityTypes: []delegation.AuthorityType{"VENDOR_SELECTION", "CASE_MANAGEMENT"},
		Limit:          &money.Money{Amount: "1000.00", Currency: "USD"}}, "grant", &grant); err != nil {
		return err
	}
	if err := call(s.agent, "delegation/v1/accept", delegation.AcceptInput{ID: grant.ID}, "accept-grant", nil); err != nil {
		return err
	}

	// The agent says it; staff convert it and start.
	var in intent.Intent
	if err := call(s.agent, "intent/v1/submit", intent.SubmitInput{PropertyID: prop,
		Text: "The HOA wants the fence repainted before the 30th, get me two quotes"}, "submit", &in); err != nil {
		return err
	}
	if err := call(s.staff, "intent/v1/convert", intent.IDInput{ID: in.ID}, "convert", &in); err != nil {
		return err
	}
	s.caseID = *in.CaseID
	for _, to := range []cases.Status{cases.Assessment, cases.InProgress} {
		if err := call(s.staff, "case/v1/updateStatus", cases.UpdateStatusInput{ID: s.caseID, Status: to}, "to-"+string(to), nil); err != nil {
			return err
		}
	}

	// The HOA, its letter, the rule it states, the approval sent.
	var hc hoa.Context
	if err := call(s.staff, "hoa/v1/createContext", hoa.CreateContextInput{PropertyID: prop, Name: "Maple Ridge HOA"}, "hoa", &hc); err != nil {
		return err
	}
	letter, err := s.upload(b, s.staff, []byte("Dear owner, the fence must be repainted in Heritage Green before the 30th. Page 1."),
		document.UploadInput{Title: "HOA letter", Category: "CORRESPONDENCE", Visibility: document.OwnerAndStaff, CaseID: s.caseID}, key("letter"))
	if err != nil {
		return fmt.Errorf("upload: %w", err)
	}
	s.letterID = letter.ID
	if err := call(s.staff, "hoa/v1/addRule", hoa.AddRuleInput{ContextID: hc.ID, Category: "ARCHITECTURAL",
		Text: "Fences are painted Heritage Green.", DocumentID: letter.ID, Page: 1}, "rule", nil); err != nil {
		return err
	}
	var ap hoa.Approval
	if err := call(s.staff, "hoa/v1/createApproval", hoa.CreateApprovalInput{CaseID: s.caseID, ContextID: hc.ID, Type: "ARCHITECTURAL",
		Description: "Repaint the fence in Heritage Green"}, "approval", &ap); err != nil {
		return err
	}
	if err := call(s.staff, "hoa/v1/submitApproval", hoa.SubmitApprovalInput{ID: ap.ID, EvidenceDocumentIDs: []string{letter.ID}}, "submit-approval", &ap); err != nil {
		return err
	}
	c, err := testkit.Call[cases.Case](b, s.owner, "case/v1/get", api.GetInput{ID: s.caseID}, "")
	if err != nil || c.Status != cases.PendingExternal || c.Queue == nil || !strings.Contains(c.Queue.WaitingOnLabel, "Maple Ridge HOA") {
		return fmt.Errorf("the case does not wait on the HOA by name: %+v %v", c.Queue, err)
	}
	sum, err := testkit.Call[portfolio.Summary](b, s.owner, "organization/v1/summary", portfolio.OrganizationSummaryInput{}, "")
	if err != nil || sum.PendingApprovals != 1 {
		return fmt.Errorf("summary while the HOA decides: %d pending approvals, %v", sum.PendingApprovals, err)
	}

	// Two quotes, under review.
	quote := func(name, amount string, lines []vendor.LineItemInput) (string, error) {
		var v vendor.Vendor
		if err := call(s.staff, "vendor/v1/create", vendor.CreateInput{Name: name, Trades: []string{"painting"}}, "vendor-"+name, &v); err != nil {
			return "", err
		}
		var q vendor.Quote
		if err := call(s.staff, "quote/v1/add", vendor.AddQuoteInput{CaseID: s.caseID, VendorID: v.ID, Amount: amount, Currency: "USD",
			LineItems: lines, Scope: "Repaint 60 ft of fence", ValidUntil: ptr(time.Now().Add(30 * 24 * time.Hour))}, "quote-"+name, &q); err != nil {
			return "", err
		}
		return q.ID, call(s.staff, "quote/v1/review", vendor.QuoteRef{ID: q.ID}, "review-"+name, nil)
	}
	if s.cheapQuoteID, err = quote("Brush Bros", "850.00", []vendor.LineItemInput{
		{Description: "Paint, 6 gal", Quantity: "6", UnitPrice: "45.00"}, {Description: "Labour", UnitPrice: "580.00"}}); err != nil {
		return err
	}
	if s.dearQuoteID, err = quote("Premium Coatings", "1200.00", nil); err != nil {
		return err
	}
	var cmp vendor.Comparison
	if err := call(s.agent, "quote/v1/compare", vendor.CompareInput{CaseID: s.caseID}, "compare", &cmp); err != nil {
		return err
	}

	// The agent: the dearer quote is over its limit; the cheaper one is not.
	_, err = testkit.Call[vendor.Quote](b, s.agent, "quote/v1/accept", vendor.AcceptInput{ID: s.dearQuoteID, Rationale: "nicer finish"}, key("accept-dear"))
	if apperr.CodeOf(err) != apperr.Forbidden || !strings.Contains(err.Error(), "over the delegated limit of 1000.00 USD") {
		return fmt.Errorf("accepting 1200.00 under a 1000.00 USD limit: %v", err)
	}
	var accepted vendor.Quote
	if err := call(s.agent, "quote/v1/accept", vendor.AcceptInput{ID: s.cheapQuoteID, Rationale: "Cheaper, same paint, available next week",
		RejectOthers: true}, "accept-cheap", &accepted); err != nil {
		return err
	}
	if accepted.Status != "ACCEPTED" {
		return fmt.Errorf("accepted quote reads %s", accepted.Status)
	}
	var decisions listing.Page[decision.Decision]
	if err := call(s.owner, "decision/v1/list", decision.ListInput{CaseID: s.caseID}, "", &decisions); err != nil {
		return err
	}
	if len(decisions.Items) != 1 || decisions.Items[0].Category != "VENDOR_SELECTION" || decisions.Items[0].Authority.DelegationID == nil ||
		*decisions.Items[0].Authority.DelegationID != grant.ID || decisions.Items[0].Rationale != "Cheaper, same paint, available next week" {
		return fmt.Errorf("the selection's ledger entry: %+v", decisions.Items)
	}
	s.decisionID = decisions.Items[0].ID

	// The HOA approves; the case is back in progress.
	if err := call(s.staff, "hoa/v1/decideApproval", hoa.DecideApprovalInput{ID: ap.ID, Outcome: "APPROVED",
		ExpiresAt: ptr(time.Now().Add(90 * 24 * time.Hour)), EvidenceDocumentIDs: []string{letter.ID}}, "decide", &ap); err != nil {
		return err
	}
	if ap.Status != "APPROVED" {
		return fmt.Errorf("approval reads %s", ap.Status)
	}

	// The invoice, approved and paid by the owner.
	var inv vendor.Invoice
	if err := call(s.staff, "invoice/v1/add", vendor.AddInvoiceInput{CaseID: s.caseID, VendorID: accepted.VendorID, QuoteID: accepted.ID,
		Amount: "850.00", Currency: "USD", Reference: "BB-1042"}, "invoice", &inv); err != nil {
		return err
	}
	s.invID = inv.ID
	for _, step := range []string{"approve", "pay"} {
		if err := call(s.owner, "invoice/v1/"+step, vendor.InvoiceRef{ID: inv.ID}, "invoice-"+step, &inv); err != nil {
			return err
		}
	}

	// Resolved and closed.
	if err := call(s.staff, "case/v1/updateStatus", cases.UpdateStatusInput{ID: s.caseID, Status: cases.Resolved,
		ResolutionSummary: "Fence repainted in Heritage Green; HOA approved"}, "resolve", nil); err != nil {
		return err
	}
	if err := call(s.staff, "case/v1/updateStatus", cases.UpdateStatusInput{ID: s.caseID, Status: cases.Closed, Reason: "owner confirmed"}, "close", nil); err != nil {
		return err
	}

	// The ledger verifies online, and its export offline.
	var rep decision.Report
	if err := call(s.owner, "decision/v1/verify", decision.VerifyInput{}, "", &rep); err != nil || !rep.Valid || rep.Entries < 1 {
		return fmt.Errorf("online verify: %+v %v", rep, err)
	}
	var file bytes.Buffer
	if _, err := decision.WriteExport(&file, func(after, through int64) (decision.ExportPage, error) {
		return testkit.Call[decision.ExportPage](b, s.owner, "decision/v1/export", decision.ExportInput{After: after, Through: through}, "")
	}); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if rep, err := decision.VerifyExport(&file); err != nil || !rep.Valid {
		return fmt.Errorf("offline verify: %+v %v", rep, err)
	}

	// The owner's summary shows the spend, once, and no pending approval.
	sum, err = testkit.Call[portfolio.Summary](b, s.owner, "organization/v1/summary", portfolio.OrganizationSummaryInput{}, "")
	if err != nil {
		return err
	}
	if len(sum.Spend) != 1 || sum.Spend[0].Amount != "850.00" || sum.Spend[0].Currency != "USD" || sum.PendingApprovals != 0 {
		return fmt.Errorf("the owner's summary: spend %+v, %d pending approvals", sum.Spend, sum.PendingApprovals)
	}
	return nil
}

func ptr[T any](v T) *T { return &v }

// invokeJSON runs proc as p through the pipeline and returns its answer as
// JSON (or its typed error).
func invokeJSON(b *testkit.Bundle, p authz.Principal, proc string, in any, key string) (json.RawMessage, error) {
	pr, ok := b.App.Registry.Lookup(proc)
	if !ok {
		return nil, fmt.Errorf("no procedure %s", proc)
	}
	raw, err := json.Marshal(in)
	if err != nil {
		return nil, err
	}
	if pr.Kind == api.Query {
		key = ""
	}
	res := b.App.Invoker.InvokeAs(b.Ctx, p, api.Request{Procedure: pr, IdempotencyKey: key, Input: raw})
	if res.Err != nil {
		return nil, res.Err
	}
	return json.Marshal(res.Output)
}
