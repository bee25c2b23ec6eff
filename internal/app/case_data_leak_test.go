package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hestami/concierge/internal/action"
	"github.com/hestami/concierge/internal/api"
	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/casedetail"
	"github.com/hestami/concierge/internal/cases"
	"github.com/hestami/concierge/internal/decision"
	"github.com/hestami/concierge/internal/delegation"
	"github.com/hestami/concierge/internal/document"
	"github.com/hestami/concierge/internal/document/content"
	"github.com/hestami/concierge/internal/hoa"
	"github.com/hestami/concierge/internal/intent"
	"github.com/hestami/concierge/internal/testkit"
	"github.com/hestami/concierge/internal/vendor"
)

// caseDataResources are the PDP kinds whose records are case data.
// Participants are decided on "case".
var caseDataResources = []string{"case", "case_note", "action", "intent", "hoa_approval",
	"document", "quote", "schedule", "invoice", "decision"}

// caseDataTypes are the types whose values are case data: a procedure whose
// output reaches one of them returns case data, whatever its resource.
var caseDataTypes = []reflect.Type{
	reflect.TypeFor[cases.Case](), reflect.TypeFor[cases.Note](), reflect.TypeFor[cases.Participant](),
	reflect.TypeFor[cases.Detail](), reflect.TypeFor[action.Action](), reflect.TypeFor[intent.Intent](),
	reflect.TypeFor[casedetail.Detail](), reflect.TypeFor[document.Document](), reflect.TypeFor[hoa.Approval](),
	reflect.TypeFor[vendor.Quote](), reflect.TypeFor[vendor.Schedule](), reflect.TypeFor[vendor.Invoice](),
	reflect.TypeFor[decision.Decision](),
}

// reaches reports whether a value of t can hold a value of one of targets.
func reaches(t reflect.Type, targets []reflect.Type, seen map[reflect.Type]bool) bool {
	if slices.Contains(targets, t) {
		return true
	}
	if seen[t] {
		return false
	}
	seen[t] = true
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Array, reflect.Map:
		return reaches(t.Elem(), targets, seen)
	case reflect.Struct:
		for i := range t.NumField() {
			if reaches(t.Field(i).Type, targets, seen) {
				return true
			}
		}
	}
	return false
}

// leakRefs are the records of one case story, as the owner side would name
// them.
type leakRefs struct {
	caseID, number, intentID, sharedNoteID, actionID, participantID   string
	hoaContextID, approvalID                                          string
	vendorID, sharedDocID, quoteID, scheduleID, invoiceID, decisionID string
	// Staff-only records, each empty on the control case: an internal
	// note, a STAFF_ONLY document and a decision's audit detail.
	internalNoteID, secret    string
	staffDocID, staffDocTitle string
	auditDetail               string
	// fresh is what a prepare step made for the one call that follows
	// (a quote to accept, an invoice to pay, …).
	fresh string
	spool string
}

// ownerCall is how the leak test exercises one procedure as the owner:
// its input for a story, the outcome the owner side gets (apperr code, ""
// for success: an entry that expects data and gets an error would test
// nothing), and, optionally, staff work that must happen first.
type ownerCall struct {
	input func(r leakRefs) any
	want  apperr.Code
	// agent is the outcome for the FULL_AUTHORITY agent when it differs
	// from the owner's (its grant does not carry every owner right).
	agent   *apperr.Code
	prepare func(t *testing.T, b *testkit.Bundle, staff authz.Principal, r *leakRefs)
	// file: the input carries a file, attached as a transport would.
	file bool
}

func code(c apperr.Code) *apperr.Code { return &c }

func byCase(r leakRefs) any      { return map[string]any{"caseId": r.caseID} }
func byID(id string) any         { return map[string]any{"id": id} }
func caseRef(r leakRefs) any     { return byID(r.number) }
func actionRef(r leakRefs) any   { return byID(r.actionID) }
func intentRef(r leakRefs) any   { return byID(r.intentID) }
func approvalRef(r leakRefs) any { return byID(r.approvalID) }
func freshRef(r leakRefs) any    { return byID(r.fresh) }

// freshQuote prepares a quote of its own scope on the case, moved through
// staff calls to status: one call's quote to review, accept or reject.
func freshQuote(status string) func(t *testing.T, b *testkit.Bundle, staff authz.Principal, r *leakRefs) {
	return func(t *testing.T, b *testkit.Bundle, staff authz.Principal, r *leakRefs) {
		r.fresh = call[vendor.Quote](t, b, staff, "quote/v1/add", map[string]any{"caseId": r.caseID, "vendorId": r.vendorID,
			"scopeKey": fmt.Sprint("scope-", setupCalls.Add(1)), "amount": "700.00", "currency": "USD"}).ID
		if status == "UNDER_REVIEW" {
			call[vendor.Quote](t, b, staff, "quote/v1/review", byID(r.fresh))
		}
	}
}

func freshSchedule(t *testing.T, b *testkit.Bundle, staff authz.Principal, r *leakRefs) {
	r.fresh = call[vendor.Schedule](t, b, staff, "schedule/v1/add", scheduleInput(*r)).ID
}

// freshInvoice prepares an invoice, approved by staff when approved.
func freshInvoice(approved bool) func(t *testing.T, b *testkit.Bundle, staff authz.Principal, r *leakRefs) {
	return func(t *testing.T, b *testkit.Bundle, staff authz.Principal, r *leakRefs) {
		r.fresh = call[vendor.Invoice](t, b, staff, "invoice/v1/add", invoiceInput(*r)).ID
		if approved {
			call[vendor.Invoice](t, b, staff, "invoice/v1/approve", byID(r.fresh))
		}
	}
}

func freshDocument(t *testing.T, b *testkit.Bundle, staff authz.Principal, r *leakRefs) {
	r.fresh = upload(t, b, staff, r.spool, map[string]any{"caseId": r.caseID, "title": "Fence sketch", "category": "OTHER",
		"visibility": "OWNER_AND_STAFF"}).ID
}

func scheduleInput(r leakRefs) any {
	start := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
	return map[string]any{"caseId": r.caseID, "vendorId": r.vendorID, "windowStart": start, "windowEnd": start.Add(2 * time.Hour)}
}

func invoiceInput(r leakRefs) any {
	return map[string]any{"caseId": r.caseID, "vendorId": r.vendorID, "amount": "120.00", "currency": "USD"}
}

// exercised is every procedure returning case data, called as an owner
// on a case that holds an internal note.
var exercised = map[string]ownerCall{
	"case/v1/create": {input: func(leakRefs) any { return map[string]any{"propertyId": "PROPERTY", "title": "another"} }},
	"case/v1/get":    {input: caseRef},
	"case/v1/list":   {input: func(leakRefs) any { return map[string]any{"limit": 100} }},
	"case/v1/detail": {input: caseRef},
	"case/v1/updateStatus": {input: func(r leakRefs) any {
		return map[string]any{"id": r.caseID, "status": "ON_HOLD", "reason": "owner"}
	}, want: apperr.Forbidden},
	"case/v1/addNote":   {input: func(r leakRefs) any { return map[string]any{"caseId": r.caseID, "audience": "SHARED", "text": "ok"} }},
	"case/v1/getNote":   {input: func(r leakRefs) any { return byID(r.sharedNoteID) }},
	"case/v1/listNotes": {input: byCase},
	"case/v1/requestClarification": {input: func(r leakRefs) any { return map[string]any{"id": r.caseID, "text": "?"} },
		want: apperr.Forbidden},
	"case/v1/answerClarification": {input: func(r leakRefs) any { return map[string]any{"id": r.caseID, "text": "the attic"} },
		prepare: func(t *testing.T, b *testkit.Bundle, staff authz.Principal, r *leakRefs) {
			call[cases.Clarification](t, b, staff, "case/v1/requestClarification", map[string]any{"id": r.caseID, "text": "which room?"})
		}},
	"case/v1/assign":            {input: func(r leakRefs) any { return map[string]any{"id": r.caseID, "userId": r.caseID} }, want: apperr.Forbidden},
	"case/v1/claim":             {input: caseRef, want: apperr.Forbidden},
	"case/v1/unassign":          {input: caseRef, want: apperr.Forbidden},
	"case/v1/addParticipant":    {input: func(r leakRefs) any { return map[string]any{"caseId": r.caseID, "role": "TENANT", "name": "x"} }, want: apperr.Forbidden},
	"case/v1/removeParticipant": {input: func(r leakRefs) any { return byID(r.participantID) }, want: apperr.Forbidden},
	"case/v1/listParticipants":  {input: byCase},
	"action/v1/create":          {input: func(r leakRefs) any { return map[string]any{"caseId": r.caseID, "title": "x"} }, want: apperr.Forbidden},
	"action/v1/start":           {input: actionRef, want: apperr.Forbidden},
	"action/v1/complete":        {input: func(r leakRefs) any { return map[string]any{"id": r.actionID, "outcome": "done"} }, want: apperr.Forbidden},
	"action/v1/block":           {input: func(r leakRefs) any { return map[string]any{"id": r.actionID, "waitingOn": "x"} }, want: apperr.Forbidden},
	"action/v1/cancel":          {input: actionRef, want: apperr.Forbidden},
	"action/v1/list":            {input: byCase},
	"intent/v1/get":             {input: intentRef},
	"intent/v1/list":            {input: func(leakRefs) any { return map[string]any{"limit": 100} }},
	"intent/v1/acknowledge":     {input: intentRef, want: apperr.Forbidden},
	"intent/v1/reclassify":      {input: func(r leakRefs) any { return map[string]any{"id": r.intentID, "priority": "HIGH"} }, want: apperr.Forbidden},
	"intent/v1/convert":         {input: intentRef, want: apperr.Forbidden},
	"intent/v1/decline":         {input: func(r leakRefs) any { return map[string]any{"id": r.intentID, "reason": "no"} }, want: apperr.Forbidden},
	"hoa/v1/createApproval": {input: func(r leakRefs) any {
		return map[string]any{"caseId": r.caseID, "contextId": r.hoaContextID, "type": "OTHER"}
	}, want: apperr.Forbidden},
	"hoa/v1/submitApproval": {input: approvalRef, want: apperr.Forbidden},
	"hoa/v1/decideApproval": {input: func(r leakRefs) any { return map[string]any{"id": r.approvalID, "outcome": "APPROVED"} }, want: apperr.Forbidden},
	"hoa/v1/getApproval":    {input: approvalRef},
	"hoa/v1/listApprovals":  {input: byCase},
	// The owner may withdraw its intents, but not one already converted.
	"intent/v1/withdraw": {input: intentRef, want: apperr.InvalidTransition},

	"document/v1/upload": {input: func(r leakRefs) any {
		return map[string]any{"caseId": r.caseID, "title": "owner photo", "category": "OTHER", "visibility": "OWNER_AND_STAFF"}
	}, file: true},
	"document/v1/supersede": {input: freshRef, file: true, prepare: freshDocument},
	"document/v1/review":    {input: func(r leakRefs) any { return map[string]any{"id": r.sharedDocID, "status": "REVIEWED"} }, want: apperr.Forbidden},
	"document/v1/get":       {input: func(r leakRefs) any { return byID(r.sharedDocID) }},
	"document/v1/download":  {input: func(r leakRefs) any { return byID(r.sharedDocID) }},
	"document/v1/versions":  {input: func(r leakRefs) any { return byID(r.sharedDocID) }},
	"document/v1/list":      {input: byCase},
	"document/v1/search":    {input: func(leakRefs) any { return map[string]any{"query": "fence"} }},

	"decision/v1/record": {input: func(r leakRefs) any {
		return map[string]any{"category": "OTHER", "caseId": r.caseID, "title": "owner call", "summary": "s", "rationale": "r"}
	}},
	"decision/v1/get":    {input: func(r leakRefs) any { return byID(r.decisionID) }},
	"decision/v1/list":   {input: byCase},
	"decision/v1/verify": {input: func(leakRefs) any { return map[string]any{} }, agent: code(apperr.Forbidden)},
	"decision/v1/export": {input: func(leakRefs) any { return map[string]any{} }, agent: code(apperr.Forbidden)},

	"quote/v1/add": {input: func(r leakRefs) any {
		return map[string]any{"caseId": r.caseID, "vendorId": r.vendorID, "scopeKey": "owner", "amount": "900.00", "currency": "USD"}
	}, agent: code(apperr.Forbidden)},
	"quote/v1/review": {input: freshRef, prepare: freshQuote("RECEIVED")},
	"quote/v1/accept": {input: func(r leakRefs) any { return map[string]any{"id": r.fresh, "rationale": "cheapest"} },
		prepare: freshQuote("UNDER_REVIEW")},
	"quote/v1/reject":   {input: freshRef, prepare: freshQuote("RECEIVED")},
	"quote/v1/withdraw": {input: func(r leakRefs) any { return byID(r.quoteID) }, want: apperr.Forbidden},
	"quote/v1/get":      {input: func(r leakRefs) any { return byID(r.quoteID) }},
	"quote/v1/list":     {input: byCase},
	"quote/v1/compare":  {input: byCase},

	"schedule/v1/add":      {input: scheduleInput, agent: code(apperr.Forbidden)},
	"schedule/v1/complete": {input: freshRef, prepare: freshSchedule, agent: code(apperr.Forbidden)},
	"schedule/v1/cancel":   {input: freshRef, prepare: freshSchedule, agent: code(apperr.Forbidden)},
	"schedule/v1/get":      {input: func(r leakRefs) any { return byID(r.scheduleID) }},
	"schedule/v1/list":     {input: byCase},

	"invoice/v1/add":     {input: invoiceInput, agent: code(apperr.Forbidden)},
	"invoice/v1/approve": {input: freshRef, prepare: freshInvoice(false)},
	"invoice/v1/pay":     {input: freshRef, prepare: freshInvoice(true)},
	"invoice/v1/dispute": {input: func(r leakRefs) any { return map[string]any{"id": r.fresh, "reason": "too much"} },
		prepare: freshInvoice(false)},
	"invoice/v1/get":  {input: func(r leakRefs) any { return byID(r.invoiceID) }},
	"invoice/v1/list": {input: byCase},
}

// notApplicable lists the case-data procedures the leak test does not call,
// each with why no owner-side answer of it can carry an internal note.
var notApplicable = map[string]string{
	// A draft is written from the owner's own text and names no case.
	"intent/v1/create": "creates a draft intent from the input alone; it never reads a case",
	"intent/v1/submit": "creates or submits an intent from the input alone; it never reads a case",
	// Import batches are asked on the quote resource but answer only a
	// batch's file hash, name and row counts: no case, quote or note.
	"quoteimport/v1/list":   "answers batch summaries (file hash, name, row counts); never reads a case or its notes",
	"quoteimport/v1/get":    "answers one batch summary (file hash, name, row counts); never reads a case or its notes",
	"quoteimport/v1/revert": "answers the reverted batch's summary (file hash, name, row counts); never reads a case or its notes",
	"quote/v1/import":       "answers a batch summary and the file's row issues, which quote the file's own values and at most a named case's status; never reads a case's notes",
}

// Every procedure that returns case data, as the registry declares them,
// is called as an owner-side principal on a case holding an internal note
// (or listed in notApplicable with a reason): no answer — data or refusal —
// carries the note's text, its id, the word "internal", or its count. The
// count is checked by calling the procedure on a control case, told the
// same story without the internal note: the two answers must have the same
// shape (every string blanked; keys, numbers, booleans and list lengths
// kept). A procedure added later that returns case data fails this test
// until it is covered here.
func TestNoCaseDataProcedureLeaksInternalNotesToTheOwnerSide(t *testing.T) {
	t.Parallel()
	b := testkit.Setup(t)
	w := b.NewWorld()
	b.Cases()
	spool := t.TempDir()
	b.App.ConfigureDocuments(document.Config{Store: content.NewDir(t.TempDir())}, spool)
	owner, staff := w.RiveraOwner, b.Principal(w.Staff, w.Rivera.ID)
	prop := b.NewProperty(owner, "Rivera home").ID
	// A delegated agent with FULL_AUTHORITY over the property is owner side
	// too: it gets the owner's answers, and never an internal note.
	agent := b.Member(w.Rivera, "agent@rivera.test", "DELEGATED_AGENT")
	grant := call[delegation.Delegation](t, b, owner, "delegation/v1/grant", delegation.GrantInput{DelegateID: agent.UserID,
		PropertyIDs: []string{prop}, AuthorityTypes: []delegation.AuthorityType{"FULL_AUTHORITY"}})
	call[delegation.Delegation](t, b, agent, "delegation/v1/accept", delegation.AcceptInput{ID: grant.ID})

	var covered []string
	for _, p := range b.App.Registry.All() {
		path := p.Path()
		isCaseData := slices.Contains(caseDataResources, p.Resource) || reaches(p.Output, caseDataTypes, map[reflect.Type]bool{})
		_, ex := exercised[path]
		_, na := notApplicable[path]
		switch {
		case isCaseData && !ex && !na:
			t.Errorf("%s returns case data: exercise it as the owner side in this test, or say in notApplicable why it cannot leak", path)
		case isCaseData && ex && na:
			t.Errorf("%s is both exercised and not applicable", path)
		case !isCaseData && (ex || na):
			t.Errorf("%s is listed here but returns no case data; remove it", path)
		case ex:
			covered = append(covered, path)
		}
	}
	for path := range exercised {
		if _, ok := b.App.Registry.Lookup(path); !ok {
			t.Errorf("%s is exercised but not declared", path)
		}
	}
	if t.Failed() {
		return
	}
	sort.Strings(covered)

	withNote := leakStory(t, b, owner, staff, prop, spool, "SECRET-the-owner-is-difficult")
	control := leakStory(t, b, owner, staff, prop, spool, "")
	for i, who := range []authz.Principal{owner, agent} {
		for _, path := range covered {
			checkNoLeak(t, b, who, staff, prop, path, i == 1, withNote, control)
		}
	}
}

// checkNoLeak calls path as who on both stories and compares the answers.
func checkNoLeak(t *testing.T, b *testkit.Bundle, who, staff authz.Principal, prop, path string, isAgent bool, withNote, control leakRefs) {
	t.Helper()
	c := exercised[path]
	want := c.want
	if isAgent && c.agent != nil {
		want = *c.agent
	}
	var bodies [2]string
	for i, r := range []leakRefs{withNote, control} {
		if c.prepare != nil {
			c.prepare(t, b, staff, &r)
		}
		input, ctx := c.input(r), b.Ctx
		if c.file {
			ctx, input = attach(t, b.Ctx, r.spool, "photo.txt", input.(map[string]any))
		}
		raw, err := json.Marshal(input)
		if err != nil {
			t.Fatal(err)
		}
		raw = []byte(strings.ReplaceAll(string(raw), "PROPERTY", prop))
		proc, _ := b.App.Registry.Lookup(path)
		key := ""
		if proc.Kind == api.Mutation {
			key = "leak-" + path + "-" + r.caseID
		}
		res := b.App.Invoker.InvokeAs(ctx, who, api.Request{Procedure: proc, IdempotencyKey: key, Input: raw})
		if closer, ok := res.Output.(io.Closer); ok {
			closer.Close() // a download's open content
		}
		var body any = res.Output
		var got apperr.Code
		if res.Err != nil {
			body, got = res.Err, res.Err.Code
		}
		if got != want {
			t.Fatalf("%s as %s: %v (%s), want %q", path, who.Roles, body, got, want)
		}
		out, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		bodies[i] = string(out)
	}
	leaky := bodies[0]
	for what, s := range map[string]string{"internal note's text": withNote.secret, "internal note's id": withNote.internalNoteID,
		"internal note's audience": "internal", "staff-only document's title": withNote.staffDocTitle,
		"staff-only document's id": withNote.staffDocID, "STAFF_ONLY visibility": "staff_only",
		"decision's audit detail": withNote.auditDetail} {
		if strings.Contains(strings.ToLower(leaky), strings.ToLower(s)) {
			t.Errorf("%s answers the owner side with the %s: %s", path, what, leaky)
		}
	}
	if a, b := shape(t, bodies[0]), shape(t, bodies[1]); a != b {
		t.Errorf("%s answers the owner side differently with an internal note on the case (its count shows):\n%s\n%s", path, a, b)
	}
}

// leakStory tells one case's story through the API: the owner asks, staff
// convert, work, note (internally, when secret is set), plan an action, add
// a participant, an HOA approval, documents (one STAFF_ONLY, when secret is
// set), a vendor's quote, visit and invoice, and a decision (with audit
// detail, when secret is set).
func leakStory(t *testing.T, b *testkit.Bundle, owner, staff authz.Principal, prop, spool, secret string) leakRefs {
	t.Helper()
	in := call[intent.Intent](t, b, owner, "intent/v1/submit", map[string]any{"propertyId": prop, "text": "The fence is falling over"})
	in = call[intent.Intent](t, b, staff, "intent/v1/convert", map[string]any{"id": in.ID})
	r := leakRefs{caseID: *in.CaseID, number: *in.CaseNumber, intentID: in.ID, secret: secret, spool: spool}
	for _, to := range []string{"ASSESSMENT", "IN_PROGRESS"} {
		call[cases.Case](t, b, staff, "case/v1/updateStatus", map[string]any{"id": r.caseID, "status": to})
	}
	r.sharedNoteID = call[cases.Note](t, b, staff, "case/v1/addNote", map[string]any{"caseId": r.caseID, "audience": "SHARED", "text": "booked"}).ID
	if secret != "" {
		r.internalNoteID = call[cases.Note](t, b, staff, "case/v1/addNote", map[string]any{"caseId": r.caseID, "audience": "INTERNAL", "text": secret}).ID
	}
	r.actionID = call[action.Action](t, b, staff, "action/v1/create", map[string]any{"caseId": r.caseID, "title": "Call the fencer"}).ID
	r.participantID = call[cases.Participant](t, b, staff, "case/v1/addParticipant",
		map[string]any{"caseId": r.caseID, "role": "VENDOR_CONTACT", "name": "Fence Co"}).ID
	r.hoaContextID = call[hoa.Context](t, b, owner, "hoa/v1/createContext", map[string]any{"propertyId": prop, "name": "HOA of " + r.number}).ID
	r.approvalID = call[hoa.Approval](t, b, staff, "hoa/v1/createApproval",
		map[string]any{"caseId": r.caseID, "contextId": r.hoaContextID, "type": "ARCHITECTURAL"}).ID
	r.sharedDocID = upload(t, b, staff, spool, map[string]any{"caseId": r.caseID, "title": "Fence photo", "category": "OTHER",
		"visibility": "OWNER_AND_STAFF"}).ID
	if secret != "" {
		r.staffDocTitle = "SECRET-doc-fence-owner-overpaid"
		r.staffDocID = upload(t, b, staff, spool, map[string]any{"caseId": r.caseID, "title": r.staffDocTitle, "category": "OTHER",
			"visibility": "STAFF_ONLY"}).ID
		r.auditDetail = "SECRET-audit-chose-the-brother-in-law"
	}
	r.vendorID = call[vendor.Vendor](t, b, staff, "vendor/v1/create", map[string]any{"name": "Fence Co " + r.number}).ID
	r.quoteID = call[vendor.Quote](t, b, staff, "quote/v1/add", map[string]any{"caseId": r.caseID, "vendorId": r.vendorID,
		"amount": "1500.00", "currency": "USD", "validUntil": time.Now().Add(30 * 24 * time.Hour).UTC()}).ID
	r.scheduleID = call[vendor.Schedule](t, b, staff, "schedule/v1/add", scheduleInput(r)).ID
	r.invoiceID = call[vendor.Invoice](t, b, staff, "invoice/v1/add", invoiceInput(r)).ID
	rec := map[string]any{"category": "SCHEDULING", "caseId": r.caseID, "title": "Fence visit", "summary": "booked Tuesday",
		"rationale": "the only slot"}
	if r.auditDetail != "" {
		rec["auditDetail"] = r.auditDetail
	}
	r.decisionID = call[decision.Decision](t, b, staff, "decision/v1/record", rec).ID
	return r
}

// attach spools a file as a transport does and returns the context
// carrying it and input naming it.
func attach(t *testing.T, ctx context.Context, spool, name string, input map[string]any) (context.Context, map[string]any) {
	t.Helper()
	a, err := api.Spool(spool, strings.NewReader("a picture of a fence, "+name), name, "text/plain", 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Release)
	out := map[string]any{"file": a.File}
	for k, v := range input {
		out[k] = v
	}
	return api.WithAttachments(ctx, a), out
}

// upload is a document upload that must succeed.
func upload(t *testing.T, b *testkit.Bundle, p authz.Principal, spool string, input map[string]any) document.Document {
	t.Helper()
	ctx, input := attach(t, b.Ctx, spool, "fence.txt", input)
	raw, err := json.Marshal(input)
	if err != nil {
		t.Fatal(err)
	}
	proc, _ := b.App.Registry.Lookup("document/v1/upload")
	res := b.App.Invoker.InvokeAs(ctx, p, api.Request{Procedure: proc, IdempotencyKey: fmt.Sprint("setup-upload-", setupCalls.Add(1)), Input: raw})
	if res.Err != nil {
		t.Fatalf("upload: %v", res.Err)
	}
	return *res.Output.(*document.Document)
}

var setupCalls atomic.Int64

// call runs a setup step that must succeed (a mutation under a key of its
// own).
func call[O any](t *testing.T, b *testkit.Bundle, p authz.Principal, path string, input any) O {
	t.Helper()
	out, err := testkit.Call[O](b, p, path, input, fmt.Sprintf("setup-%s-%d", path, setupCalls.Add(1)))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return out
}

// shape blanks every string of a JSON document: what is left (keys,
// numbers, booleans, list lengths) must not depend on notes the caller
// cannot read. A decision's "sequence" is blanked too: it numbers the
// organization's whole ledger, which the owner side sees entirely, so
// the two stories' entries differ by their place in it alone. A queue
// view's "inStateSeconds" is the clock's, not the data's: the two cases
// are created a moment apart, so it may differ by a second.
func shape(t *testing.T, doc string) string {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(doc), &v); err != nil {
		t.Fatal(err)
	}
	var blank func(v any) any
	blank = func(v any) any {
		switch x := v.(type) {
		case string:
			return ""
		case []any:
			for i := range x {
				x[i] = blank(x[i])
			}
		case map[string]any:
			for k := range x {
				if _, ok := x[k].(float64); ok && (k == "sequence" || k == "inStateSeconds") {
					x[k] = 0
					continue
				}
				x[k] = blank(x[k])
			}
		}
		return v
	}
	out, _ := json.Marshal(blank(v))
	return string(out)
}
