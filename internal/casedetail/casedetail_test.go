package casedetail_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hestami/concierge/internal/api"
	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/casedetail"
	"github.com/hestami/concierge/internal/db"
	"github.com/hestami/concierge/internal/decision"
	"github.com/hestami/concierge/internal/delegation"
	"github.com/hestami/concierge/internal/document"
	"github.com/hestami/concierge/internal/document/content"
	"github.com/hestami/concierge/internal/hoa"
	"github.com/hestami/concierge/internal/intent"
	"github.com/hestami/concierge/internal/testkit"
	"github.com/hestami/concierge/internal/vendor"
)

func TestMain(m *testing.M) { testkit.Main(m) }

var keys atomic.Int64

func must[O any](t *testing.T, b *testkit.Bundle, p authz.Principal, path string, input any) O {
	t.Helper()
	out, err := testkit.Call[O](b, p, path, input, fmt.Sprint("k-", keys.Add(1)))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return out
}

func upload(t *testing.T, b *testkit.Bundle, p authz.Principal, spool string, input map[string]any) document.Document {
	t.Helper()
	a, err := api.Spool(spool, strings.NewReader("a fence"), "fence.txt", "text/plain", 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Release)
	input["file"] = a.File
	raw, err := json.Marshal(input)
	if err != nil {
		t.Fatal(err)
	}
	proc, _ := b.App.Registry.Lookup("document/v1/upload")
	res := b.App.Invoker.InvokeAs(api.WithAttachments(b.Ctx, a), p, api.Request{Procedure: proc, IdempotencyKey: fmt.Sprint("u-", keys.Add(1)), Input: raw})
	if res.Err != nil {
		t.Fatalf("upload: %v", res.Err)
	}
	return *res.Output.(*document.Document)
}

func detail(t *testing.T, b *testkit.Bundle, p authz.Principal, ref string) (casedetail.Detail, string) {
	t.Helper()
	d, err := testkit.Call[casedetail.Detail](b, p, "case/v1/detail", api.GetInput{ID: ref}, "")
	if err != nil {
		t.Fatalf("detail as %v: %v", p.Roles, err)
	}
	raw, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	return d, string(raw)
}

// A case with a shared and a STAFF_ONLY document, an HOA approval, a
// vendor's quote, visit and invoice, and a decision with audit detail:
// staff see all of it; the owner and an agent with FULL_AUTHORITY on the
// property see the same, which is everything but the staff-only document
// and the audit detail; an agent whose grants cover another property does
// not find the case.
func TestDetailPartsAsStaffOwnerAndAgent(t *testing.T) {
	t.Parallel()
	b := testkit.Setup(t)
	w := b.NewWorld()
	spool := t.TempDir()
	b.App.ConfigureDocuments(document.Config{Store: content.NewDir(t.TempDir())}, spool)
	owner, staff := w.RiveraOwner, b.Principal(w.Staff, w.Rivera.ID)
	prop := b.NewProperty(owner, "Rivera home").ID
	other := b.NewProperty(owner, "Rivera cabin").ID
	agent := b.Member(w.Rivera, "agent@rivera.test", "DELEGATED_AGENT")
	outsider := b.Member(w.Rivera, "cabin-agent@rivera.test", "DELEGATED_AGENT")
	for p, props := range map[*authz.Principal]string{&agent: prop, &outsider: other} {
		g := must[delegation.Delegation](t, b, owner, "delegation/v1/grant", delegation.GrantInput{DelegateID: p.UserID,
			PropertyIDs: []string{props}, AuthorityTypes: []delegation.AuthorityType{"FULL_AUTHORITY"}})
		must[delegation.Delegation](t, b, *p, "delegation/v1/accept", delegation.AcceptInput{ID: g.ID})
	}

	in := must[intent.Intent](t, b, owner, "intent/v1/submit", map[string]any{"propertyId": prop, "text": "The fence is falling over"})
	in = must[intent.Intent](t, b, staff, "intent/v1/convert", map[string]any{"id": in.ID})
	caseID, number := *in.CaseID, *in.CaseNumber
	shared := upload(t, b, staff, spool, map[string]any{"caseId": caseID, "title": "Fence photo", "category": "OTHER", "visibility": "OWNER_AND_STAFF"})
	hidden := upload(t, b, staff, spool, map[string]any{"caseId": caseID, "title": "SECRET-staff-assessment", "category": "OTHER", "visibility": "STAFF_ONLY"})
	hc := must[hoa.Context](t, b, owner, "hoa/v1/createContext", map[string]any{"propertyId": prop, "name": "Maple HOA"})
	must[hoa.Approval](t, b, staff, "hoa/v1/createApproval", map[string]any{"caseId": caseID, "contextId": hc.ID, "type": "ARCHITECTURAL"})
	v := must[vendor.Vendor](t, b, staff, "vendor/v1/create", map[string]any{"name": "Fence Co"})
	validUntil := time.Now().Add(30 * 24 * time.Hour).UTC().Truncate(time.Second)
	must[vendor.Quote](t, b, staff, "quote/v1/add", map[string]any{"caseId": caseID, "vendorId": v.ID, "amount": "1500.00",
		"currency": "USD", "validUntil": validUntil, "lineItems": []map[string]any{{"description": "panels", "unitPrice": "1500.00"}}})
	start := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
	must[vendor.Schedule](t, b, staff, "schedule/v1/add", map[string]any{"caseId": caseID, "vendorId": v.ID, "windowStart": start, "windowEnd": start.Add(time.Hour)})
	must[vendor.Invoice](t, b, staff, "invoice/v1/add", map[string]any{"caseId": caseID, "vendorId": v.ID, "amount": "120.00", "currency": "USD"})
	const audit = "SECRET-audit-the-owner-overpays"
	must[decision.Decision](t, b, staff, "decision/v1/record", map[string]any{"category": "SCHEDULING", "caseId": caseID,
		"title": "Fence visit", "summary": "booked Tuesday", "rationale": "the only slot", "auditDetail": audit})

	s, staffJSON := detail(t, b, staff, number)
	if len(s.Documents.Items) != 2 || s.Documents.Items[0].ID != shared.ID || s.Documents.Items[1].ID != hidden.ID || s.Documents.Truncated {
		t.Fatalf("staff documents %+v", s.Documents)
	}
	if len(s.Decisions.Items) != 1 || s.Decisions.Items[0].Audit == nil || s.Decisions.Items[0].Audit.Detail != audit {
		t.Fatalf("staff decisions %+v", s.Decisions)
	}
	if len(s.Approvals.Items) != 1 || s.Approvals.Items[0].ContextName != "Maple HOA" || len(s.Visits.Items) != 1 ||
		len(s.Invoices.Items) != 1 || s.Invoices.Items[0].Amount != "120.00" {
		t.Fatalf("staff approvals %+v visits %+v invoices %+v", s.Approvals, s.Visits, s.Invoices)
	}
	want := casedetail.Quote{VendorID: v.ID, VendorName: "Fence Co", Amount: "1500.00", Currency: "USD", Status: vendor.QuoteReceived}
	if len(s.Quotes.Items) != 1 {
		t.Fatalf("staff quotes %+v", s.Quotes)
	}
	q := s.Quotes.Items[0]
	if q.VendorID != want.VendorID || q.VendorName != want.VendorName || q.Amount != want.Amount || q.Currency != want.Currency ||
		q.Status != want.Status || q.ValidUntil == nil || !q.ValidUntil.Equal(validUntil) {
		t.Fatalf("staff quote summary %+v", q)
	}
	if !strings.Contains(staffJSON, hidden.Title) || !strings.Contains(staffJSON, audit) {
		t.Fatalf("staff detail lacks the staff-only parts: %s", staffJSON)
	}
	// The summary is for comparing: the lines are quote/v1/get's.
	if strings.Contains(staffJSON, "panels") {
		t.Fatalf("quote lines in the detail: %s", staffJSON)
	}

	o, ownerJSON := detail(t, b, owner, number)
	if len(o.Documents.Items) != 1 || o.Documents.Items[0].ID != shared.ID || o.Documents.Truncated {
		t.Fatalf("owner documents %+v", o.Documents)
	}
	if len(o.Decisions.Items) != 1 || o.Decisions.Items[0].Audit != nil || o.Decisions.Items[0].Summary != "booked Tuesday" {
		t.Fatalf("owner decisions %+v", o.Decisions)
	}
	if len(o.Approvals.Items) != 1 || len(o.Quotes.Items) != 1 || len(o.Visits.Items) != 1 || len(o.Invoices.Items) != 1 {
		t.Fatalf("owner parts %s", ownerJSON)
	}
	for _, secret := range []string{hidden.ID, hidden.Title, audit, "STAFF_ONLY", `"audit"`} {
		if strings.Contains(ownerJSON, secret) {
			t.Fatalf("owner detail holds %q: %s", secret, ownerJSON)
		}
	}

	if _, agentJSON := detail(t, b, agent, number); agentJSON != ownerJSON {
		t.Fatalf("the FULL_AUTHORITY agent sees other than the owner:\n%s\n%s", agentJSON, ownerJSON)
	}
	if _, err := testkit.Call[casedetail.Detail](b, outsider, "case/v1/detail", api.GetInput{ID: number}, ""); apperr.CodeOf(err) != apperr.NotFound {
		t.Fatalf("an agent of another property: %v, want NOT_FOUND", err)
	}
}

// Each part keeps the latest entries the caller may see and counts only
// those in "truncated": read with a bound of 1 over two entries, each
// part keeps the second and says it left one out; the owner, for whom the
// newer document is STAFF_ONLY, keeps the older one and is told of nothing
// left out.
func TestPartsKeepTheLatestVisibleAndCountOnlyThose(t *testing.T) {
	t.Parallel()
	b := testkit.Setup(t)
	w := b.NewWorld()
	spool := t.TempDir()
	b.App.ConfigureDocuments(document.Config{Store: content.NewDir(t.TempDir())}, spool)
	owner, staff := w.RiveraOwner, b.Principal(w.Staff, w.Rivera.ID)
	prop := b.NewProperty(owner, "Rivera home").ID
	in := must[intent.Intent](t, b, owner, "intent/v1/submit", map[string]any{"propertyId": prop, "text": "The fence is falling over"})
	in = must[intent.Intent](t, b, staff, "intent/v1/convert", map[string]any{"id": in.ID})
	caseID := *in.CaseID
	shared := upload(t, b, staff, spool, map[string]any{"caseId": caseID, "title": "Fence photo", "category": "OTHER", "visibility": "OWNER_AND_STAFF"})
	hidden := upload(t, b, staff, spool, map[string]any{"caseId": caseID, "title": "staff notes", "category": "OTHER", "visibility": "STAFF_ONLY"})
	hc := must[hoa.Context](t, b, owner, "hoa/v1/createContext", map[string]any{"propertyId": prop, "name": "Maple HOA"})
	v := must[vendor.Vendor](t, b, staff, "vendor/v1/create", map[string]any{"name": "Fence Co"})
	var latest [5]string
	for i := range 2 {
		latest[0] = must[hoa.Approval](t, b, staff, "hoa/v1/createApproval", map[string]any{"caseId": caseID, "contextId": hc.ID, "type": "OTHER"}).ID
		latest[1] = must[vendor.Quote](t, b, staff, "quote/v1/add", map[string]any{"caseId": caseID, "vendorId": v.ID,
			"scopeKey": fmt.Sprint("s", i), "amount": "10.00", "currency": "USD"}).ID
		start := time.Now().Add(time.Duration(48+i) * time.Hour).UTC()
		latest[2] = must[vendor.Schedule](t, b, staff, "schedule/v1/add", map[string]any{"caseId": caseID, "vendorId": v.ID,
			"windowStart": start, "windowEnd": start.Add(time.Hour)}).ID
		latest[3] = must[vendor.Invoice](t, b, staff, "invoice/v1/add", map[string]any{"caseId": caseID, "vendorId": v.ID, "amount": "5.00", "currency": "USD"}).ID
		latest[4] = must[decision.Decision](t, b, staff, "decision/v1/record", map[string]any{"category": "OTHER", "caseId": caseID,
			"title": "t", "summary": "s", "rationale": "r"}).ID
	}

	type got struct {
		ids  []string
		more bool
	}
	read := func(p authz.Principal, kind string, fn func(q db.Querier, plan *authz.Plan) (got, error)) got {
		t.Helper()
		plan, err := b.App.PDP.QueryFilter(b.Ctx, p, kind, "view")
		if err != nil {
			t.Fatal(err)
		}
		g, err := db.InTenantResult(b.Ctx, b.App.DB, p.OrgID, func(q db.Querier) (got, error) { return fn(q, plan) })
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		return g
	}
	ids := func(n int, id func(int) string) []string {
		out := []string{}
		for i := range n {
			out = append(out, id(i))
		}
		return out
	}
	parts := map[string]func(q db.Querier, plan *authz.Plan) (got, error){
		"hoa_approval": func(q db.Querier, plan *authz.Plan) (got, error) {
			xs, more, err := hoa.ApprovalsForCaseTx(b.Ctx, q, plan, caseID, 1)
			return got{ids(len(xs), func(i int) string { return xs[i].ID }), more}, err
		},
		"quote": func(q db.Querier, plan *authz.Plan) (got, error) {
			xs, more, err := vendor.QuotesForCaseTx(b.Ctx, q, plan, caseID, 1)
			return got{ids(len(xs), func(i int) string { return xs[i].ID }), more}, err
		},
		"schedule": func(q db.Querier, plan *authz.Plan) (got, error) {
			xs, more, err := vendor.SchedulesForCaseTx(b.Ctx, q, plan, caseID, 1)
			return got{ids(len(xs), func(i int) string { return xs[i].ID }), more}, err
		},
		"invoice": func(q db.Querier, plan *authz.Plan) (got, error) {
			xs, more, err := vendor.InvoicesForCaseTx(b.Ctx, q, plan, caseID, 1)
			return got{ids(len(xs), func(i int) string { return xs[i].ID }), more}, err
		},
		"decision": func(q db.Querier, plan *authz.Plan) (got, error) {
			xs, more, err := decision.ForCaseTx(b.Ctx, q, plan, caseID, 1, false)
			return got{ids(len(xs), func(i int) string { return xs[i].ID }), more}, err
		},
	}
	for i, kind := range []string{"hoa_approval", "quote", "schedule", "invoice", "decision"} {
		for _, p := range []authz.Principal{staff, owner} {
			if g := read(p, kind, parts[kind]); len(g.ids) != 1 || g.ids[0] != latest[i] || !g.more {
				t.Errorf("%s as %v: %+v, want [%s] and truncated", kind, p.Roles, g, latest[i])
			}
		}
	}
	docs := func(q db.Querier, plan *authz.Plan) (got, error) {
		xs, more, err := document.ForCaseTx(b.Ctx, q, plan, caseID, 1)
		return got{ids(len(xs), func(i int) string { return xs[i].ID }), more}, err
	}
	if g := read(staff, "document", docs); len(g.ids) != 1 || g.ids[0] != hidden.ID || !g.more {
		t.Errorf("staff documents %+v", g)
	}
	if g := read(owner, "document", docs); len(g.ids) != 1 || g.ids[0] != shared.ID || g.more {
		t.Errorf("owner documents %+v: the STAFF_ONLY one is counted", g)
	}
}
