package vendor_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hestami/concierge/internal/activity"
	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/cases"
	"github.com/hestami/concierge/internal/db"
	"github.com/hestami/concierge/internal/delegation"
	"github.com/hestami/concierge/internal/listing"
	"github.com/hestami/concierge/internal/money"
	"github.com/hestami/concierge/internal/portfolio"
	"github.com/hestami/concierge/internal/testkit"
	"github.com/hestami/concierge/internal/vendor"
)

func TestMain(m *testing.M) { testkit.Main(m) }

type fixture struct {
	*testkit.Bundle
	w     *testkit.World
	staff authz.Principal // staff acting in Rivera through the engagement
	owner authz.Principal
	prop  string     // a Rivera property
	c     cases.Case // a Rivera case on it
	v, v2 vendor.Vendor
	n     int
	mu    sync.Mutex
}

func setup(t *testing.T) *fixture {
	t.Helper()
	b := testkit.Setup(t)
	w := b.NewWorld()
	f := &fixture{Bundle: b, w: w, staff: b.Principal(w.Staff, w.Rivera.ID), owner: w.RiveraOwner}
	f.prop = b.NewProperty(f.owner, "Rivera home").ID
	f.c = f.openCase(f.owner, f.prop, "Repaint the fence")
	f.v = f.mustVendor(f.staff, vendor.CreateInput{Name: "Austin Fences", Trades: []string{"fencing", "painting"}})
	f.v2 = f.mustVendor(f.staff, vendor.CreateInput{Name: "Hill Country Paint", Trades: []string{"painting"}})
	return f
}

func (f *fixture) key() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n++
	return fmt.Sprint("k", f.n)
}

func call[O any](f *fixture, p authz.Principal, proc string, in any) (O, error) {
	f.T.Helper()
	return testkit.Call[O](f.Bundle, p, proc, in, f.key())
}

func must[O any](f *fixture, p authz.Principal, proc string, in any) O {
	f.T.Helper()
	out, err := call[O](f, p, proc, in)
	if err != nil {
		f.T.Fatalf("%s: %v", proc, err)
	}
	return out
}

func (f *fixture) openCase(p authz.Principal, prop, title string) cases.Case {
	f.T.Helper()
	return must[cases.Case](f, p, "case/v1/create", cases.CreateInput{PropertyID: prop, Title: title})
}

func (f *fixture) mustVendor(p authz.Principal, in vendor.CreateInput) vendor.Vendor {
	f.T.Helper()
	return must[vendor.Vendor](f, p, "vendor/v1/create", in)
}

func (f *fixture) addQuote(p authz.Principal, in vendor.AddQuoteInput) (vendor.Quote, error) {
	f.T.Helper()
	if in.CaseID == "" {
		in.CaseID = f.c.ID
	}
	if in.Currency == "" {
		in.Currency = "USD"
	}
	return call[vendor.Quote](f, p, "quote/v1/add", in)
}

// reviewed adds a quote of vendorID for amount USD on scope and puts it
// under review.
func (f *fixture) reviewed(vendorID, amount, scope string) vendor.Quote {
	f.T.Helper()
	q, err := f.addQuote(f.staff, vendor.AddQuoteInput{VendorID: vendorID, Amount: amount, ScopeKey: scope})
	if err != nil {
		f.T.Fatal(err)
	}
	return must[vendor.Quote](f, f.staff, "quote/v1/review", vendor.QuoteRef{ID: q.ID})
}

func (f *fixture) accept(p authz.Principal, id string, rejectOthers bool) (vendor.Quote, error) {
	f.T.Helper()
	return call[vendor.Quote](f, p, "quote/v1/accept", vendor.AcceptInput{ID: id, Rationale: "cheapest with the same scope", RejectOthers: rejectOthers})
}

func (f *fixture) quote(p authz.Principal, id string) (vendor.Quote, error) {
	f.T.Helper()
	return testkit.Call[vendor.Quote](f.Bundle, p, "quote/v1/get", map[string]any{"id": id}, "")
}

func wantCode(t *testing.T, err error, code apperr.Code) {
	t.Helper()
	if apperr.CodeOf(err) != code {
		t.Fatalf("got %v (%s), want %s", err, apperr.CodeOf(err), code)
	}
}

func wantMessage(t *testing.T, err error, code apperr.Code, text string) {
	t.Helper()
	wantCode(t, err, code)
	if !strings.Contains(apperr.From(err).Message, text) {
		t.Fatalf("message %q, want it to contain %q", apperr.From(err).Message, text)
	}
}

func wantField(t *testing.T, err error, field, text string) {
	t.Helper()
	wantCode(t, err, apperr.Validation)
	fe := apperr.From(err).Fields
	if len(fe) != 1 || fe[0].Field != field || !strings.Contains(fe[0].Message, text) {
		t.Fatalf("field errors %+v, want one on %s containing %q", fe, field, text)
	}
}

// grantAgent makes a DELEGATED_AGENT of Rivera holding an accepted grant of
// types on the fixture's property, up to limit.
func (f *fixture) grantAgent(email string, limit *money.Money, types ...delegation.AuthorityType) authz.Principal {
	f.T.Helper()
	agent := f.Member(f.w.Rivera, email, "DELEGATED_AGENT")
	g := must[delegation.Delegation](f, f.owner, "delegation/v1/grant", delegation.GrantInput{DelegateID: agent.UserID,
		PropertyIDs: []string{f.prop}, AuthorityTypes: types, Limit: limit})
	must[delegation.Delegation](f, agent, "delegation/v1/accept", delegation.AcceptInput{ID: g.ID})
	return agent
}

func TestVendorsAreTheOrganizationsOwn(t *testing.T) {
	t.Parallel()
	f := setup(t)
	v := f.mustVendor(f.owner, vendor.CreateInput{Name: "  Lone Star Roofing ", Trades: []string{"roofing", " Roofing", ""},
		Contacts: []vendor.Contact{{Name: " Sam Ortiz ", Role: "owner", Phone: "512-555-0100"}}, LicenseNotes: "TX #12345",
		InsuranceNotes: "GL to 2027"})
	if v.Name != "Lone Star Roofing" || strings.Join(v.Trades, ",") != "roofing" || len(v.Contacts) != 1 ||
		v.Contacts[0].Name != "Sam Ortiz" || v.LicenseNotes != "TX #12345" || v.OrganizationID != f.w.Rivera.ID || v.CreatedBy != f.owner.UserID {
		t.Fatalf("created %+v", v)
	}
	_, err := call[vendor.Vendor](f, f.staff, "vendor/v1/create", vendor.CreateInput{Name: "x", Contacts: []vendor.Contact{{Name: "  "}}})
	wantField(t, err, "contacts[0].name", "needs a name")

	// The link to a service provider must name a registered one.
	_, err = call[vendor.Vendor](f, f.staff, "vendor/v1/create", vendor.CreateInput{Name: "x", ServiceProviderOrgID: f.w.Chen.ID})
	wantField(t, err, "serviceProviderOrgId", "no registered SERVICE_PROVIDER")
	sp := f.Org("Austin Fences LLC", "SERVICE_PROVIDER")
	name := "Austin Fences & Gates"
	v, err = call[vendor.Vendor](f, f.staff, "vendor/v1/update", vendor.UpdateInput{ID: f.v.ID, Name: &name, ServiceProviderOrgID: &sp.ID})
	if err != nil || v.Name != name || v.ServiceProviderOrgID == nil || *v.ServiceProviderOrgID != sp.ID || len(v.Trades) != 2 {
		t.Fatalf("update %+v %v", v, err)
	}
	v, err = call[vendor.Vendor](f, f.owner, "vendor/v1/update", vendor.UpdateInput{ID: f.v.ID, UnlinkServiceProvider: true})
	if err != nil || v.ServiceProviderOrgID != nil || v.Name != name {
		t.Fatalf("unlink %+v %v", v, err)
	}

	list := func(p authz.Principal, in vendor.ListInput) []string {
		t.Helper()
		page, err := testkit.Call[listing.Page[vendor.Vendor]](f.Bundle, p, "vendor/v1/list", in, "")
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, v := range page.Items {
			names = append(names, v.Name)
		}
		return names
	}
	if got := strings.Join(list(f.owner, vendor.ListInput{Trade: "PAINTING"}), ","); got != "Hill Country Paint,Austin Fences & Gates" {
		t.Fatalf("painters: %s", got)
	}
	if got := strings.Join(list(f.staff, vendor.ListInput{Query: "roof"}), ","); got != "Lone Star Roofing" {
		t.Fatalf("query: %s", got)
	}
	// Another organization sees none of them and changes none.
	if got := list(f.w.ChenOwner, vendor.ListInput{}); len(got) != 0 {
		t.Fatalf("Chen lists %v", got)
	}
	_, err = testkit.Call[vendor.Vendor](f.Bundle, f.w.ChenOwner, "vendor/v1/get", map[string]any{"id": f.v.ID}, "")
	wantCode(t, err, apperr.NotFound)
	_, err = call[vendor.Vendor](f, f.w.ChenOwner, "vendor/v1/update", vendor.UpdateInput{ID: f.v.ID, Name: &name})
	wantCode(t, err, apperr.NotFound)
	// A delegated agent without a grant sees nothing; with one it sees, and changes nothing.
	bare := f.Member(f.w.Rivera, "bare@rivera.test", "DELEGATED_AGENT")
	if got := list(bare, vendor.ListInput{}); len(got) != 0 {
		t.Fatalf("agent without grant lists %v", got)
	}
	agent := f.grantAgent("agent@rivera.test", nil, "VENDOR_SELECTION")
	if got := list(agent, vendor.ListInput{}); len(got) != 3 {
		t.Fatalf("agent lists %v", got)
	}
	_, err = call[vendor.Vendor](f, agent, "vendor/v1/update", vendor.UpdateInput{ID: f.v.ID, Name: &name})
	wantCode(t, err, apperr.Forbidden)
}

func TestQuoteLineItemsSumExactlyToTheAmount(t *testing.T) {
	t.Parallel()
	f := setup(t)
	lines := []vendor.LineItemInput{
		{Description: "Scrape and prime", Quantity: "1.5", UnitPrice: "10.33"}, // 15.495
		{Description: "Paint, two coats", Quantity: "3", UnitPrice: "0.10"},    // 0.30
		{Description: "Gate hardware", UnitPrice: "0.00"},                      // quantity defaults to 1
	}
	_, err := f.addQuote(f.staff, vendor.AddQuoteInput{VendorID: f.v.ID, Amount: "15.80", LineItems: lines})
	wantField(t, err, "lineItems", "the line items sum to 15.795, not to the amount 15.80")
	lines[0].Quantity = "1.5"
	lines[0].UnitPrice = "10.30" // 15.45
	q, err := f.addQuote(f.staff, vendor.AddQuoteInput{VendorID: f.v.ID, Amount: "15.75", LineItems: lines, Scope: "fence, both sides"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range q.LineItems {
		got = append(got, l.Description+"="+l.Quantity+"x"+l.UnitPrice+"="+l.LineTotal)
	}
	if want := "Scrape and prime=1.5x10.30=15.450|Paint, two coats=3x0.10=0.30|Gate hardware=1x0.00=0.00"; strings.Join(got, "|") != want {
		t.Fatalf("lines %s", strings.Join(got, "|"))
	}
	if q.Amount != "15.75" || q.Currency != "USD" || q.Status != vendor.QuoteReceived || q.VendorName != "Austin Fences" ||
		q.CaseNumber != f.c.Number || q.ScopeKey != "" || q.Scope != "fence, both sides" {
		t.Fatalf("quote %+v", q)
	}
	// Quantity 0, a price with three decimals (schema), a blank description.
	_, err = f.addQuote(f.staff, vendor.AddQuoteInput{VendorID: f.v.ID, Amount: "0", LineItems: []vendor.LineItemInput{{Description: "x", Quantity: "0", UnitPrice: "1"}}})
	wantField(t, err, "lineItems[0].quantity", "greater than 0")
	_, err = f.addQuote(f.staff, vendor.AddQuoteInput{VendorID: f.v.ID, Amount: "1", LineItems: []vendor.LineItemInput{{Description: "x", UnitPrice: "0.001"}}})
	wantCode(t, err, apperr.Validation)
	_, err = f.addQuote(f.staff, vendor.AddQuoteInput{VendorID: f.v.ID, Amount: "1", LineItems: []vendor.LineItemInput{{Description: "  ", UnitPrice: "1"}}})
	wantField(t, err, "lineItems[0].description", "needs a description")
	// A float-looking amount is refused by the schema; an unknown vendor or case is a field error.
	_, err = f.addQuote(f.staff, vendor.AddQuoteInput{VendorID: f.v.ID, Amount: "1e3"})
	wantCode(t, err, apperr.Validation)
	_, err = f.addQuote(f.staff, vendor.AddQuoteInput{VendorID: f.w.Rivera.ID, Amount: "1"})
	wantField(t, err, "vendorId", "no vendor")
	_, err = f.addQuote(f.staff, vendor.AddQuoteInput{CaseID: "CASE-1999-1", VendorID: f.v.ID, Amount: "1"})
	wantField(t, err, "caseId", "no case")
	past := time.Now().Add(-time.Hour)
	_, err = f.addQuote(f.staff, vendor.AddQuoteInput{VendorID: f.v.ID, Amount: "1", ValidUntil: &past})
	wantField(t, err, "validUntil", "in the future")
}

func TestQuoteLifecycleExpiryAndEvents(t *testing.T) {
	t.Parallel()
	f := setup(t)
	until := time.Now().Add(24 * time.Hour)
	q, err := f.addQuote(f.owner, vendor.AddQuoteInput{VendorID: f.v.ID, Amount: "1200.00", ValidUntil: &until})
	if err != nil {
		t.Fatal(err)
	}
	// Accepting needs a review first.
	_, err = f.accept(f.owner, q.ID, false)
	wantMessage(t, err, apperr.InvalidTransition, "a quote in RECEIVED cannot move to ACCEPTED")
	// The rationale is required, for the ledger.
	_, err = call[vendor.Quote](f, f.owner, "quote/v1/accept", vendor.AcceptInput{ID: q.ID, Rationale: "   "})
	wantField(t, err, "rationale", "rationale")
	must[vendor.Quote](f, f.owner, "quote/v1/review", vendor.QuoteRef{ID: q.ID})

	// Past its validity it reads EXPIRED at once, in get, list and the plan,
	// and can no longer be accepted.
	if _, err := f.DB.Owner.Exec(f.Ctx, `UPDATE quotes SET valid_until = now() - interval '1 second' WHERE id = $1`, q.ID); err != nil {
		t.Fatal(err)
	}
	got, err := f.quote(f.owner, q.ID)
	if err != nil || got.Status != vendor.QuoteExpired {
		t.Fatalf("get %+v %v", got, err)
	}
	page := must[listing.Page[vendor.Quote]](f, f.owner, "quote/v1/list", vendor.QuoteListInput{CaseID: f.c.Number, Status: []vendor.QuoteStatus{vendor.QuoteExpired}})
	if len(page.Items) != 1 || page.Items[0].ID != q.ID {
		t.Fatalf("expired list %+v", page.Items)
	}
	_, err = f.accept(f.owner, q.ID, false)
	wantMessage(t, err, apperr.InvalidTransition, "a quote in EXPIRED cannot move to ACCEPTED (EXPIRED is final): it was valid until")

	// Reject and withdraw.
	r := f.reviewed(f.v2.ID, "900.00", "")
	r, err = call[vendor.Quote](f, f.owner, "quote/v1/reject", vendor.ReasonInput{ID: r.ID, Reason: "too slow"})
	if err != nil || r.Status != vendor.QuoteRejected || r.DecisionReason != "too slow" || r.DecidedBy == nil || *r.DecidedBy != f.owner.UserID {
		t.Fatalf("reject %+v %v", r, err)
	}
	_, err = call[vendor.Quote](f, f.owner, "quote/v1/reject", vendor.ReasonInput{ID: r.ID})
	wantMessage(t, err, apperr.InvalidTransition, "REJECTED is final")
	w, _ := f.addQuote(f.staff, vendor.AddQuoteInput{VendorID: f.v2.ID, Amount: "950.00"})
	_, err = call[vendor.Quote](f, f.owner, "quote/v1/withdraw", vendor.ReasonInput{ID: w.ID})
	wantCode(t, err, apperr.Forbidden) // the vendor's act, recorded by staff
	w, err = call[vendor.Quote](f, f.staff, "quote/v1/withdraw", vendor.ReasonInput{ID: w.ID, Reason: "vendor booked out"})
	if err != nil || w.Status != vendor.QuoteWithdrawn {
		t.Fatalf("withdraw %+v %v", w, err)
	}

	events, err := db.InTenantResult(f.Ctx, f.DB, f.w.Rivera.ID, func(q db.Querier) ([]activity.Entry, error) {
		return activity.ForEntity(f.Ctx, q, "quote", r.ID)
	})
	if err != nil {
		t.Fatal(err)
	}
	var verbs []string
	for _, e := range events {
		verbs = append(verbs, e.Verb)
	}
	if strings.Join(verbs, " ") != "received reviewed rejected" {
		t.Fatalf("events %v", verbs)
	}
	// Another organization sees none of it.
	_, err = f.quote(f.w.ChenOwner, q.ID)
	wantCode(t, err, apperr.NotFound)
	_, err = call[vendor.Quote](f, f.w.ChenOwner, "quote/v1/review", vendor.QuoteRef{ID: w.ID})
	wantCode(t, err, apperr.NotFound)
	chen := must[listing.Page[vendor.Quote]](f, f.w.ChenOwner, "quote/v1/list", vendor.QuoteListInput{})
	if len(chen.Items) != 0 {
		t.Fatalf("Chen lists %d quotes", len(chen.Items))
	}
}

// The accept calls RecordSelection inside its own transaction: the hook
// sees the quote ACCEPTED (uncommitted, so only from inside), its writes
// commit with the accept, and a hook failure rolls back both.
func TestAcceptRecordsTheSelectionInTheSameTransaction(t *testing.T) {
	t.Parallel()
	f := setup(t)
	var seen []string
	fail := errors.New("ledger refused")
	var failing bool
	f.App.Vendor.RecordSelection = func(ctx context.Context, q db.Querier, p authz.Principal, quote vendor.Quote, rationale string) error {
		var status string
		if err := q.QueryRow(ctx, `SELECT status FROM quotes WHERE id = $1`, quote.ID).Scan(&status); err != nil {
			return err
		}
		seen = append(seen, status+":"+string(quote.Status)+":"+rationale+":"+p.UserID)
		if err := activity.Record(ctx, q, p, activity.Event{EntityType: "test_selection", EntityID: quote.ID, Verb: "recorded"}); err != nil {
			return err
		}
		if _, err := q.Exec(ctx, `SELECT 1`); err != nil { // send the queued event now
			return err
		}
		if failing {
			return fail
		}
		return nil
	}
	recorded := func(id string) int {
		t.Helper()
		events, err := db.InTenantResult(f.Ctx, f.DB, f.w.Rivera.ID, func(q db.Querier) ([]activity.Entry, error) {
			return activity.ForEntity(f.Ctx, q, "test_selection", id)
		})
		if err != nil {
			t.Fatal(err)
		}
		return len(events)
	}

	a := f.reviewed(f.v.ID, "1200.00", "fence")
	failing = true
	_, err := f.accept(f.owner, a.ID, false)
	if !errors.Is(err, fail) && apperr.CodeOf(err) != apperr.Internal {
		t.Fatalf("failing hook: %v", err)
	}
	if got, _ := f.quote(f.owner, a.ID); got.Status != vendor.QuoteUnderReview || recorded(a.ID) != 0 {
		t.Fatalf("after a failed hook: %s, %d recorded", got.Status, recorded(a.ID))
	}
	failing = false
	got, err := f.accept(f.staff, a.ID, false)
	if err != nil || got.Status != vendor.QuoteAccepted || got.DecisionReason != "cheapest with the same scope" || *got.DecidedBy != f.w.Staff {
		t.Fatalf("accept %+v %v", got, err)
	}
	if recorded(a.ID) != 1 || len(seen) != 2 || seen[1] != "ACCEPTED:ACCEPTED:cheapest with the same scope:"+f.w.Staff {
		t.Fatalf("hook saw %v, recorded %d", seen, recorded(a.ID))
	}

	// Without a recorder, no vendor is selected.
	f.App.Vendor.RecordSelection = nil
	b := f.reviewed(f.v2.ID, "1100.00", "gate")
	_, err = f.accept(f.owner, b.ID, false)
	wantMessage(t, err, apperr.Internal, "decision ledger is not connected")
	if got, _ := f.quote(f.owner, b.ID); got.Status != vendor.QuoteUnderReview {
		t.Fatalf("accepted without a recorder: %s", got.Status)
	}
}

// Two accepts of different quotes of one case scope at once: one ACCEPTED,
// the other a CONFLICT naming it. Both are made to wait on the case row
// (held by the test), so they really race when it is released.
func TestOneAcceptedQuotePerCaseScopeUnderConcurrency(t *testing.T) {
	t.Parallel()
	f := setup(t)
	a := f.reviewed(f.v.ID, "1200.00", "")
	b := f.reviewed(f.v2.ID, "1100.00", "")
	other := f.reviewed(f.v2.ID, "300.00", "gate")

	tx, err := f.DB.Owner.Begin(f.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	// A failed test must not leave the case locked (and its database
	// undroppable); after the commit this does nothing.
	defer func() { _ = tx.Rollback(context.Background()) }()
	if _, err := tx.Exec(f.Ctx, `SELECT 1 FROM cases WHERE id = $1 FOR UPDATE`, f.c.ID); err != nil {
		t.Fatal(err)
	}
	keys := []string{f.key(), f.key()}
	results := make([]error, 2)
	outs := make([]vendor.Quote, 2)
	var wg sync.WaitGroup
	for i, q := range []vendor.Quote{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			outs[i], results[i] = testkit.Call[vendor.Quote](f.Bundle, f.owner, "quote/v1/accept",
				vendor.AcceptInput{ID: q.ID, Rationale: "race"}, keys[i])
		}()
	}
	if err := f.AwaitLockWaiters(2); err != nil {
		_ = tx.Rollback(f.Ctx)
		wg.Wait()
		t.Fatal(err)
	}
	if err := tx.Commit(f.Ctx); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	won, lost := 0, 1
	if results[0] != nil {
		won, lost = 1, 0
	}
	if results[won] != nil || outs[won].Status != vendor.QuoteAccepted {
		t.Fatalf("winner: %+v %v", outs[won], results[won])
	}
	winner := []vendor.Quote{a, b}[won]
	wantMessage(t, results[lost], apperr.Conflict, "already has an accepted quote for the whole case: quote "+winner.ID+" from "+winner.VendorName)
	if got, _ := f.quote(f.owner, []vendor.Quote{a, b}[lost].ID); got.Status != vendor.QuoteUnderReview {
		t.Fatalf("loser is %s", got.Status)
	}
	// Another scope of the same case is its own choice.
	if _, err := f.accept(f.owner, other.ID, false); err != nil {
		t.Fatal(err)
	}
	// And the database itself refuses a second ACCEPTED quote in a scope,
	// whoever writes it.
	_, err = f.DB.Owner.Exec(f.Ctx, `UPDATE quotes SET status = 'ACCEPTED', decided_at = now() WHERE id = $1`, []vendor.Quote{a, b}[lost].ID)
	if err == nil || !strings.Contains(err.Error(), "quotes_one_accepted") {
		t.Fatalf("second ACCEPTED in one scope: %v", err)
	}
}

func TestAcceptCanRejectTheOtherOpenQuotesOfItsScope(t *testing.T) {
	t.Parallel()
	f := setup(t)
	a := f.reviewed(f.v.ID, "1200.00", "")
	b := f.reviewed(f.v2.ID, "1300.00", "")
	c, _ := f.addQuote(f.staff, vendor.AddQuoteInput{VendorID: f.v2.ID, Amount: "1250.00"}) // RECEIVED
	gate := f.reviewed(f.v2.ID, "300.00", "gate")
	if _, err := f.accept(f.owner, a.ID, true); err != nil {
		t.Fatal(err)
	}
	for _, q := range []vendor.Quote{b, c} {
		got, _ := f.quote(f.owner, q.ID)
		if got.Status != vendor.QuoteRejected || got.DecisionReason != "quote "+a.ID+" from Austin Fences was accepted" {
			t.Fatalf("other quote %+v", got)
		}
	}
	if got, _ := f.quote(f.owner, gate.ID); got.Status != vendor.QuoteUnderReview {
		t.Fatalf("another scope's quote is %s", got.Status)
	}
	// Without the flag the others stay open.
	d := f.reviewed(f.v.ID, "200.00", "gate-paint")
	e := f.reviewed(f.v2.ID, "250.00", "gate-paint")
	if _, err := f.accept(f.owner, d.ID, false); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.quote(f.owner, e.ID); got.Status != vendor.QuoteUnderReview {
		t.Fatalf("kept quote is %s", got.Status)
	}
}

func TestCompareShowsAmountsValidityVendorsAndScopeDifferences(t *testing.T) {
	t.Parallel()
	f := setup(t)
	until := time.Date(2031, 1, 31, 0, 0, 0, 0, time.UTC)
	a, err := f.addQuote(f.staff, vendor.AddQuoteInput{VendorID: f.v.ID, Amount: "1200.00", ValidUntil: &until, Scope: "both sides",
		LineItems: []vendor.LineItemInput{{Description: "Paint", Quantity: "2", UnitPrice: "500.00"}, {Description: "Primer", UnitPrice: "200.00"}}})
	if err != nil {
		t.Fatal(err)
	}
	// 950.00 sorts after 1200.00 as text: the order must be by amount.
	b, err := f.addQuote(f.staff, vendor.AddQuoteInput{VendorID: f.v2.ID, Amount: "950.00", Scope: "street side only",
		LineItems: []vendor.LineItemInput{{Description: " paint ", UnitPrice: "950.00"}}})
	if err != nil {
		t.Fatal(err)
	}
	cmp := must[vendor.Comparison](f, f.owner, "quote/v1/compare", vendor.CompareInput{CaseID: f.c.Number})
	if cmp.CaseNumber != f.c.Number || len(cmp.Quotes) != 2 || cmp.Quotes[0].ID != b.ID || cmp.Quotes[1].ID != a.ID {
		t.Fatalf("comparison %+v", cmp)
	}
	var lines []string
	for _, l := range cmp.Lines {
		lines = append(lines, fmt.Sprintf("%s %q %v", l.Description, l.Totals, l.InAll))
	}
	if want := `paint ["950.00" "1000.00"] true|Primer ["" "200.00"] false`; strings.Join(lines, "|") != want {
		t.Fatalf("lines %s", strings.Join(lines, "|"))
	}
	if len(cmp.Cheapest) != 1 || cmp.Cheapest[0].QuoteID != b.ID || cmp.Cheapest[0].Amount != "950.00" {
		t.Fatalf("cheapest %+v", cmp.Cheapest)
	}
	// Others: an unknown case and another organization's are NOT_FOUND.
	_, err = testkit.Call[vendor.Comparison](f.Bundle, f.owner, "quote/v1/compare", vendor.CompareInput{CaseID: "CASE-1999-9"}, "")
	wantCode(t, err, apperr.NotFound)
	_, err = testkit.Call[vendor.Comparison](f.Bundle, f.w.ChenOwner, "quote/v1/compare", vendor.CompareInput{CaseID: f.c.ID}, "")
	wantCode(t, err, apperr.NotFound)
	// An agent without a grant on the property learns nothing of the case.
	bare := f.Member(f.w.Rivera, "bare@rivera.test", "DELEGATED_AGENT")
	_, err = testkit.Call[vendor.Comparison](f.Bundle, bare, "quote/v1/compare", vendor.CompareInput{CaseID: f.c.Number}, "")
	wantCode(t, err, apperr.NotFound)
}

// A delegated agent accepts a quote and approves and pays an invoice only
// within its grant's type, property and limit; over it, it is told the
// limit. Staff record on the owner's behalf.
func TestDelegatedLimitsOnQuotesAndInvoices(t *testing.T) {
	t.Parallel()
	f := setup(t)
	limit := &money.Money{Amount: "1000.00", Currency: "USD"}
	agent := f.grantAgent("agent@rivera.test", limit, "VENDOR_SELECTION", "FINANCIAL_DECISIONS")
	caseOnly := f.grantAgent("cm@rivera.test", nil, "CASE_MANAGEMENT")

	under := f.reviewed(f.v.ID, "1000.00", "fence")
	over := f.reviewed(f.v2.ID, "1000.01", "gate")
	_, err := f.accept(caseOnly, under.ID, false)
	wantMessage(t, err, apperr.Forbidden, "no active VENDOR_SELECTION grant covers this property")
	_, err = f.accept(agent, over.ID, false)
	wantMessage(t, err, apperr.Forbidden, "1000.01 USD is over the delegated limit of 1000.00 USD")
	got, err := f.accept(agent, under.ID, false)
	if err != nil || got.Status != vendor.QuoteAccepted || *got.DecidedBy != agent.UserID {
		t.Fatalf("agent accept %+v %v", got, err)
	}
	// Staff accept on the owner's behalf, whatever the amount.
	if _, err := f.accept(f.staff, over.ID, false); err != nil {
		t.Fatal(err)
	}

	inv := func(q vendor.Quote, amount string) vendor.Invoice {
		t.Helper()
		return must[vendor.Invoice](f, f.staff, "invoice/v1/add", vendor.AddInvoiceInput{CaseID: f.c.ID, VendorID: q.VendorID, QuoteID: q.ID,
			Amount: amount, Currency: "USD", DueDate: "2031-02-28", Reference: "INV-1"})
	}
	small, big := inv(under, "980.00"), inv(over, "1000.01")
	_, err = call[vendor.Invoice](f, agent, "invoice/v1/approve", vendor.InvoiceRef{ID: big.ID})
	wantMessage(t, err, apperr.Forbidden, "1000.01 USD is over the delegated limit of 1000.00 USD")
	_, err = call[vendor.Invoice](f, caseOnly, "invoice/v1/approve", vendor.InvoiceRef{ID: small.ID})
	wantMessage(t, err, apperr.Forbidden, "no active FINANCIAL_DECISIONS grant covers this property")
	small = must[vendor.Invoice](f, agent, "invoice/v1/approve", vendor.InvoiceRef{ID: small.ID})
	small = must[vendor.Invoice](f, agent, "invoice/v1/pay", vendor.InvoiceRef{ID: small.ID})
	if small.Status != vendor.InvoicePaid || *small.ApprovedBy != agent.UserID || *small.PaidBy != agent.UserID || *small.DueDate != "2031-02-28" {
		t.Fatalf("paid %+v", small)
	}
	// The owner approves what the agent may not; paying it over the limit is refused too.
	big = must[vendor.Invoice](f, f.owner, "invoice/v1/approve", vendor.InvoiceRef{ID: big.ID})
	_, err = call[vendor.Invoice](f, agent, "invoice/v1/pay", vendor.InvoiceRef{ID: big.ID})
	wantMessage(t, err, apperr.Forbidden, "over the delegated limit of 1000.00 USD")
	// Disputing commits no money: the agent may.
	big, err = call[vendor.Invoice](f, agent, "invoice/v1/dispute", vendor.DisputeInput{ID: big.ID, Reason: "one cent too much"})
	if err != nil || big.Status != vendor.InvoiceDisputed || big.DisputeReason != "one cent too much" {
		t.Fatalf("dispute %+v %v", big, err)
	}
	_, err = call[vendor.Invoice](f, f.owner, "invoice/v1/pay", vendor.InvoiceRef{ID: big.ID})
	wantMessage(t, err, apperr.InvalidTransition, "DISPUTED is final")
	_, err = call[vendor.Invoice](f, f.owner, "invoice/v1/pay", vendor.InvoiceRef{ID: small.ID})
	wantMessage(t, err, apperr.InvalidTransition, "PAID is final")
}

func TestInvoicesAndVisitsOnACase(t *testing.T) {
	t.Parallel()
	f := setup(t)
	q := f.reviewed(f.v.ID, "1200.00", "")
	add := func(in vendor.AddInvoiceInput) error {
		t.Helper()
		in.CaseID, in.VendorID = f.c.Number, f.v.ID
		if in.Currency == "" {
			in.Currency = "USD"
		}
		_, err := call[vendor.Invoice](f, f.staff, "invoice/v1/add", in)
		return err
	}
	wantField(t, add(vendor.AddInvoiceInput{QuoteID: q.ID, Amount: "1200.00"}), "quoteId", "ACCEPTED quote; this one is UNDER_REVIEW")
	if _, err := f.accept(f.owner, q.ID, false); err != nil {
		t.Fatal(err)
	}
	wantField(t, add(vendor.AddInvoiceInput{QuoteID: q.ID, Amount: "1200.00", Currency: "EUR"}), "currency", "its quote in USD")
	other := f.reviewed(f.v2.ID, "10.00", "x")
	wantField(t, add(vendor.AddInvoiceInput{QuoteID: other.ID, Amount: "10.00"}), "quoteId", "another case or vendor")
	wantCode(t, add(vendor.AddInvoiceInput{Amount: "1", DueDate: "2031-02-30"}), apperr.Validation)
	if err := add(vendor.AddInvoiceInput{QuoteID: q.ID, Amount: "1200.00"}); err != nil {
		t.Fatal(err)
	}

	start := time.Date(2031, 3, 1, 8, 0, 0, 0, time.UTC)
	_, err := call[vendor.Schedule](f, f.staff, "schedule/v1/add", vendor.AddScheduleInput{CaseID: f.c.ID, VendorID: f.v.ID,
		WindowStart: start, WindowEnd: start})
	wantField(t, err, "windowEnd", "after windowStart")
	s, err := call[vendor.Schedule](f, f.staff, "schedule/v1/add", vendor.AddScheduleInput{CaseID: f.c.ID, VendorID: f.v.ID, QuoteID: q.ID,
		WindowStart: start, WindowEnd: start.Add(4 * time.Hour), Notes: "gate code 1234"})
	if err != nil || s.Status != vendor.ScheduleScheduled || s.VendorName != "Austin Fences" || *s.QuoteID != q.ID {
		t.Fatalf("schedule %+v %v", s, err)
	}
	s = must[vendor.Schedule](f, f.owner, "schedule/v1/complete", vendor.FinishScheduleInput{ID: s.ID, Outcome: "painted"})
	_, err = call[vendor.Schedule](f, f.owner, "schedule/v1/cancel", vendor.FinishScheduleInput{ID: s.ID})
	wantMessage(t, err, apperr.InvalidTransition, "DONE is final")
	visits := must[listing.Page[vendor.Schedule]](f, f.owner, "schedule/v1/list", vendor.ScheduleListInput{CaseID: f.c.Number})
	if len(visits.Items) != 1 || visits.Items[0].Status != vendor.ScheduleDone || visits.Items[0].Outcome != "painted" {
		t.Fatalf("visits %+v", visits.Items)
	}

	// Nothing is added to a case that ended.
	must[cases.Case](f, f.staff, cases.UpdateStatusProcedure, cases.UpdateStatusInput{ID: f.c.ID, Status: cases.Cancelled, Reason: "sold"})
	_, err = f.addQuote(f.staff, vendor.AddQuoteInput{VendorID: f.v.ID, Amount: "1"})
	wantMessage(t, err, apperr.Conflict, "is CANCELLED: nothing can be added to it")
	wantMessage(t, add(vendor.AddInvoiceInput{Amount: "1"}), apperr.Conflict, "is CANCELLED")
	_, err = call[vendor.Schedule](f, f.staff, "schedule/v1/add", vendor.AddScheduleInput{CaseID: f.c.ID, VendorID: f.v.ID,
		WindowStart: start, WindowEnd: start.Add(time.Hour)})
	wantMessage(t, err, apperr.Conflict, "is CANCELLED")
	_, err = f.accept(f.owner, other.ID, false)
	wantMessage(t, err, apperr.Conflict, "is CANCELLED")
}

// The organization and portfolio summaries total real spend: approved or
// paid invoices, and accepted quotes no approved invoice bills yet, exactly
// per currency.
func TestSummariesShowRealSpendExactlyPerCurrency(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.Cases()
	second := f.NewProperty(f.owner, "Rivera rental").ID
	c2 := f.openCase(f.owner, second, "Roof")

	q1 := f.reviewed(f.v.ID, "1200.10", "")               // accepted, billed by an approved invoice of 1100.05
	q2 := f.reviewed(f.v2.ID, "999999999999.99", "paint") // accepted, not billed: counts whole
	must[vendor.Quote](f, f.owner, "quote/v1/accept", vendor.AcceptInput{ID: q1.ID, Rationale: "r"})
	must[vendor.Quote](f, f.owner, "quote/v1/accept", vendor.AcceptInput{ID: q2.ID, Rationale: "r"})
	i1 := must[vendor.Invoice](f, f.staff, "invoice/v1/add", vendor.AddInvoiceInput{CaseID: f.c.ID, VendorID: f.v.ID, QuoteID: q1.ID, Amount: "1100.05", Currency: "USD"})
	must[vendor.Invoice](f, f.owner, "invoice/v1/approve", vendor.InvoiceRef{ID: i1.ID})
	// On the second property: a paid EUR invoice, a disputed one and a received one (neither counts).
	for _, x := range []struct{ amount, then string }{{"0.10", "pay"}, {"0.20", "pay"}, {"5.00", "dispute"}, {"7.00", ""}} {
		i := must[vendor.Invoice](f, f.staff, "invoice/v1/add", vendor.AddInvoiceInput{CaseID: c2.Number, VendorID: f.v.ID, Amount: x.amount, Currency: "EUR"})
		switch x.then {
		case "pay":
			must[vendor.Invoice](f, f.owner, "invoice/v1/approve", vendor.InvoiceRef{ID: i.ID})
			must[vendor.Invoice](f, f.owner, "invoice/v1/pay", vendor.InvoiceRef{ID: i.ID})
		case "dispute":
			must[vendor.Invoice](f, f.owner, "invoice/v1/dispute", vendor.DisputeInput{ID: i.ID, Reason: "no"})
		}
	}
	// An open quote commits nothing.
	f.reviewed(f.v.ID, "50.00", "other")

	render := func(ms []portfolio.Money) string {
		var s []string
		for _, m := range ms {
			s = append(s, m.Amount+" "+m.Currency)
		}
		return strings.Join(s, "+")
	}
	org := must[portfolio.Summary](f, f.owner, "organization/v1/summary", map[string]any{})
	if got := render(org.Spend); got != "0.30 EUR+1000000001100.04 USD" {
		t.Fatalf("organization spend %s", got)
	}
	if len(org.Properties) != 2 || render(org.Properties[0].Spend) != "1000000001100.04 USD" || render(org.Properties[1].Spend) != "0.30 EUR" {
		t.Fatalf("by property %+v", org.Properties)
	}
	pf := must[portfolio.Portfolio](f, f.owner, "portfolio/v1/create", portfolio.CreateInput{Name: "Rentals"})
	must[portfolio.Portfolio](f, f.owner, "portfolio/v1/addProperty", portfolio.MemberInput{ID: pf.ID, PropertyID: second})
	ps := must[portfolio.Summary](f, f.owner, "portfolio/v1/summary", map[string]any{"id": pf.ID})
	if got := render(ps.Spend); got != "0.30 EUR" || len(ps.Properties) != 1 || render(ps.Properties[0].Spend) != "0.30 EUR" {
		t.Fatalf("portfolio spend %s %+v", got, ps.Properties)
	}
	// Another organization's summary shows none of it.
	chen := must[portfolio.Summary](f, f.w.ChenOwner, "organization/v1/summary", map[string]any{})
	if len(chen.Spend) != 0 {
		t.Fatalf("Chen spend %+v", chen.Spend)
	}
}
