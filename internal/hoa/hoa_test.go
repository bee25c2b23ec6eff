package hoa_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hestami/concierge/internal/api"
	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/cases"
	"github.com/hestami/concierge/internal/db"
	"github.com/hestami/concierge/internal/delegation"
	"github.com/hestami/concierge/internal/document"
	"github.com/hestami/concierge/internal/document/content"
	"github.com/hestami/concierge/internal/hoa"
	"github.com/hestami/concierge/internal/listing"
	"github.com/hestami/concierge/internal/statemachine/statemachinetest"
	"github.com/hestami/concierge/internal/testkit"
)

func TestMain(m *testing.M) { testkit.Main(m) }

// The machine of domain.md §7, written out independently of Transitions so
// that a change to the table must be made twice to pass.
var spec = map[hoa.Status]map[hoa.Status]bool{
	"NOT_REQUIRED":             {"SUBMITTED": true},
	"PENDING":                  {"SUBMITTED": true},
	"SUBMITTED":                {"APPROVED": true, "APPROVED_WITH_CONDITIONS": true, "DENIED": true, "EXPIRED": true},
	"DENIED":                   {"SUBMITTED": true},
	"APPROVED":                 {},
	"APPROVED_WITH_CONDITIONS": {},
	"EXPIRED":                  {},
}

func TestEveryApprovalTransitionPairMatchesTheSpec(t *testing.T) {
	t.Parallel()
	statemachinetest.CheckPairs(t, hoa.Transitions, hoa.Statuses.Values(), spec)
	for _, o := range hoa.Outcomes.Values() {
		if !spec["SUBMITTED"][hoa.Status(o)] {
			t.Errorf("outcome %s is no target of SUBMITTED", o)
		}
	}
}

type fixture struct {
	*testkit.Bundle
	w            *testkit.World
	owner, staff authz.Principal
	prop, prop2  string
	spool        string
	n            int
}

func setup(t *testing.T) *fixture {
	t.Helper()
	b := testkit.Setup(t)
	w := b.NewWorld()
	f := &fixture{Bundle: b, w: w, owner: w.RiveraOwner, staff: b.Principal(w.Staff, w.Rivera.ID), spool: t.TempDir()}
	// Rules and approvals cite documents: uploads go to a real content store.
	b.App.ConfigureDocuments(document.Config{Store: content.NewDir(t.TempDir()), MaxBytes: 1 << 20}, f.spool)
	f.prop = b.NewProperty(f.owner, "Rivera home").ID
	f.prop2 = b.NewProperty(f.owner, "Rivera lake house").ID
	return f
}

func (f *fixture) key() string {
	f.n++
	return fmt.Sprint("k", f.n)
}

func call[O any](f *fixture, p authz.Principal, proc string, in any) (O, error) {
	f.T.Helper()
	key := ""
	if decl, _ := f.App.Registry.Lookup(proc); decl.Kind == api.Mutation {
		key = f.key()
	}
	return testkit.Call[O](f.Bundle, p, proc, in, key)
}

func must[O any](f *fixture, p authz.Principal, proc string, in any) O {
	f.T.Helper()
	out, err := call[O](f, p, proc, in)
	if err != nil {
		f.T.Fatalf("%s: %v", proc, err)
	}
	return out
}

// document uploads text to prop through the pipeline, as the transport
// would (the content travels as an attachment), and returns its id.
func (f *fixture) document(p authz.Principal, prop, text string) string {
	f.T.Helper()
	a, err := api.Spool(f.spool, bytes.NewReader([]byte(text)), "rules.txt", "text/plain", 1<<20)
	if err != nil {
		f.T.Fatal(err)
	}
	f.T.Cleanup(a.Release)
	proc, _ := f.App.Registry.Lookup("document/v1/upload")
	raw, err := json.Marshal(document.UploadInput{File: a.File, Category: "CC_AND_RS", Visibility: document.OwnerAndStaff, PropertyID: prop})
	if err != nil {
		f.T.Fatal(err)
	}
	res := f.App.Invoker.InvokeAs(api.WithAttachments(f.Ctx, a), p, api.Request{Procedure: proc, IdempotencyKey: f.key(), Input: raw})
	if res.Err != nil {
		f.T.Fatalf("upload: %v", res.Err)
	}
	return res.Output.(*document.Document).ID
}

func wantCode(t *testing.T, err error, code apperr.Code, contains ...string) {
	t.Helper()
	if apperr.CodeOf(err) != code {
		t.Fatalf("got %v, want %s", err, code)
	}
	for _, s := range contains {
		if !strings.Contains(apperr.From(err).Error(), s) {
			t.Fatalf("error %q does not say %q", apperr.From(err).Error(), s)
		}
	}
}

func (f *fixture) context(p authz.Principal, prop, name string) hoa.Context {
	f.T.Helper()
	return must[hoa.Context](f, p, "hoa/v1/createContext", hoa.CreateContextInput{PropertyID: prop, Name: name,
		Contacts:  []hoa.Contact{{Name: "Pat Lee", Role: "community manager", Email: "pat@maple.example", Phone: "+1 512 555 0100"}},
		PortalURL: "https://portal.maple.example", PortalNotes: "log in with the owner's email"})
}

// workingCase opens a case on prop and moves it to IN_PROGRESS.
func (f *fixture) workingCase(prop string) cases.Case {
	f.T.Helper()
	c := must[cases.Case](f, f.staff, "case/v1/create", cases.CreateInput{PropertyID: prop, Title: "Repaint the fence"})
	for _, to := range []cases.Status{cases.Assessment, cases.InProgress} {
		c = must[cases.Case](f, f.staff, "case/v1/updateStatus", cases.UpdateStatusInput{ID: c.ID, Status: to})
	}
	return c
}

func (f *fixture) getCase(id string) cases.Case {
	f.T.Helper()
	return must[cases.Case](f, f.staff, "case/v1/get", api.GetInput{ID: id})
}

func TestContextsAndRulesAreManagedByTheOwnerSideAndStaff(t *testing.T) {
	t.Parallel()
	f := setup(t)
	c := f.context(f.owner, f.prop, "Maple Ridge HOA")
	if c.Name != "Maple Ridge HOA" || len(c.Contacts) != 1 || c.Contacts[0].Email != "pat@maple.example" || c.PropertyID != f.prop {
		t.Fatalf("created: %+v", c)
	}
	// Staff update it; contacts given replace the list.
	name := "Maple Ridge Homeowners Association"
	contacts := []hoa.Contact{{Name: "Sam Ortiz", Role: "board secretary"}, {Name: "Pat Lee", Email: "pat@maple.example"}}
	u := must[hoa.Context](f, f.staff, "hoa/v1/updateContext", hoa.UpdateContextInput{ID: c.ID, Name: &name, Contacts: &contacts})
	if u.Name != name || len(u.Contacts) != 2 || u.PortalURL != c.PortalURL {
		t.Fatalf("updated: %+v", u)
	}
	// One context per HOA name and property.
	_, err := call[hoa.Context](f, f.owner, "hoa/v1/createContext", hoa.CreateContextInput{PropertyID: f.prop, Name: strings.ToUpper(name)})
	wantCode(t, err, apperr.Conflict, c.ID)
	if _, err := call[hoa.Context](f, f.owner, "hoa/v1/createContext", hoa.CreateContextInput{PropertyID: f.prop2, Name: name}); err != nil {
		t.Fatalf("the same HOA name on another property: %v", err)
	}
	// Bad input is refused before anything is written.
	_, err = call[hoa.Context](f, f.owner, "hoa/v1/createContext", hoa.CreateContextInput{PropertyID: f.prop, Name: "X", PortalURL: "ftp://x.example"})
	wantCode(t, err, apperr.Validation, "portalUrl")
	_, err = call[hoa.Context](f, f.owner, "hoa/v1/createContext", hoa.CreateContextInput{PropertyID: f.prop, Name: "X",
		Contacts: []hoa.Contact{{Name: "A", Email: "not-an-email"}}})
	wantCode(t, err, apperr.Validation)
	_, err = call[hoa.Context](f, f.owner, "hoa/v1/createContext", hoa.CreateContextInput{PropertyID: uuid.NewString(), Name: "X"})
	wantCode(t, err, apperr.Validation, "propertyId")

	// Rules cite a document and a page; lists say they are not complete.
	doc := f.document(f.owner, f.prop, "CC&Rs: fences are painted in an approved colour.")
	r := must[hoa.Rule](f, f.owner, "hoa/v1/addRule", hoa.AddRuleInput{ContextID: c.ID, Category: "ARCHITECTURAL",
		Text: "Fences are painted in an approved colour.", DocumentID: doc, Page: 12})
	if r.DocumentID != doc || r.Page != 12 || r.PropertyID != f.prop || r.Completeness != hoa.Completeness {
		t.Fatalf("rule: %+v", r)
	}
	must[hoa.Rule](f, f.staff, "hoa/v1/addRule", hoa.AddRuleInput{ContextID: c.ID, Category: "LANDSCAPING", Text: "No gravel lawns.",
		DocumentID: doc, Page: 14})
	page := must[hoa.RulePage](f, f.owner, "hoa/v1/listRules", hoa.ListRulesInput{ContextID: c.ID})
	if len(page.Items) != 2 || page.Items[0].ID != r.ID || page.Completeness != "as recorded; not verified complete" {
		t.Fatalf("rules: %+v", page)
	}
	page = must[hoa.RulePage](f, f.owner, "hoa/v1/listRules", hoa.ListRulesInput{ContextID: c.ID, Category: []hoa.RuleCategory{"LANDSCAPING"}})
	if len(page.Items) != 1 || page.Items[0].Category != "LANDSCAPING" {
		t.Fatalf("filtered rules: %+v", page)
	}
	_, err = call[hoa.Rule](f, f.owner, "hoa/v1/addRule", hoa.AddRuleInput{ContextID: c.ID, Category: "OTHER", Text: "x", DocumentID: doc})
	wantCode(t, err, apperr.Validation, "page")
	_, err = call[hoa.Rule](f, f.owner, "hoa/v1/addRule", hoa.AddRuleInput{ContextID: uuid.NewString(), Category: "OTHER", Text: "x", DocumentID: doc, Page: 1})
	wantCode(t, err, apperr.Validation, "contextId")

	// Another tenant learns nothing: not found, and empty lists.
	chen := f.w.ChenOwner
	_, err = call[hoa.Context](f, chen, "hoa/v1/getContext", api.GetInput{ID: c.ID})
	wantCode(t, err, apperr.NotFound)
	_, err = call[hoa.Rule](f, chen, "hoa/v1/getRule", api.GetInput{ID: r.ID})
	wantCode(t, err, apperr.NotFound)
	_, err = call[hoa.Context](f, chen, "hoa/v1/updateContext", hoa.UpdateContextInput{ID: c.ID, Name: &name})
	wantCode(t, err, apperr.NotFound)
	_, err = call[hoa.Rule](f, chen, "hoa/v1/addRule", hoa.AddRuleInput{ContextID: c.ID, Category: "OTHER", Text: "x", DocumentID: doc, Page: 1})
	wantCode(t, err, apperr.Validation, "contextId")
	if l := must[listing.Page[hoa.Context]](f, chen, "hoa/v1/listContexts", hoa.ListContextsInput{}); len(l.Items) != 0 {
		t.Fatalf("another tenant lists %+v", l.Items)
	}
	if l := must[hoa.RulePage](f, chen, "hoa/v1/listRules", hoa.ListRulesInput{ContextID: c.ID}); len(l.Items) != 0 {
		t.Fatalf("another tenant lists rules %+v", l.Items)
	}
}

// A delegated agent sees the HOA records of the properties a grant in force
// covers, whatever its type, and records nothing.
func TestADelegatedAgentViewsUnderAnyGrantAndChangesNothing(t *testing.T) {
	t.Parallel()
	f := setup(t)
	agent := f.Member(f.w.Rivera, "agent@rivera.test", "DELEGATED_AGENT")
	granted := f.context(f.owner, f.prop, "Maple Ridge HOA")
	other := f.context(f.owner, f.prop2, "Lakeside HOA")
	rule := must[hoa.Rule](f, f.owner, "hoa/v1/addRule", hoa.AddRuleInput{ContextID: granted.ID, Category: "OTHER", Text: "Quiet hours 10pm-7am",
		DocumentID: f.document(f.owner, f.prop, "Quiet hours 10pm-7am"), Page: 3})
	kase := f.workingCase(f.prop)
	ap := must[hoa.Approval](f, f.staff, "hoa/v1/createApproval", hoa.CreateApprovalInput{CaseID: kase.ID, ContextID: granted.ID, Type: "ARCHITECTURAL"})

	// No grant: nothing.
	if l := must[listing.Page[hoa.Context]](f, agent, "hoa/v1/listContexts", hoa.ListContextsInput{}); len(l.Items) != 0 {
		t.Fatalf("an agent without a grant lists %+v", l.Items)
	}
	_, err := call[hoa.Approval](f, agent, "hoa/v1/getApproval", api.GetInput{ID: ap.ID})
	wantCode(t, err, apperr.NotFound)

	g := must[delegation.Delegation](f, f.owner, "delegation/v1/grant", delegation.GrantInput{DelegateID: agent.UserID,
		PropertyIDs: []string{f.prop}, AuthorityTypes: []delegation.AuthorityType{"DOCUMENT_ACCESS"}})
	must[delegation.Delegation](f, agent, "delegation/v1/accept", delegation.AcceptInput{ID: g.ID})

	l := must[listing.Page[hoa.Context]](f, agent, "hoa/v1/listContexts", hoa.ListContextsInput{})
	if len(l.Items) != 1 || l.Items[0].ID != granted.ID {
		t.Fatalf("agent lists %+v, want only %s", l.Items, granted.ID)
	}
	_, err = call[hoa.Context](f, agent, "hoa/v1/getContext", api.GetInput{ID: other.ID})
	wantCode(t, err, apperr.NotFound)
	if r := must[hoa.Rule](f, agent, "hoa/v1/getRule", api.GetInput{ID: rule.ID}); r.ID != rule.ID {
		t.Fatalf("rule: %+v", r)
	}
	if a := must[hoa.Approval](f, agent, "hoa/v1/getApproval", api.GetInput{ID: ap.ID}); a.ID != ap.ID {
		t.Fatalf("approval: %+v", a)
	}
	// Viewing is all.
	_, err = call[hoa.Context](f, agent, "hoa/v1/createContext", hoa.CreateContextInput{PropertyID: f.prop, Name: "Another HOA"})
	wantCode(t, err, apperr.Forbidden)
	name := "Renamed"
	_, err = call[hoa.Context](f, agent, "hoa/v1/updateContext", hoa.UpdateContextInput{ID: granted.ID, Name: &name})
	wantCode(t, err, apperr.Forbidden)
	_, err = call[hoa.Rule](f, agent, "hoa/v1/addRule", hoa.AddRuleInput{ContextID: granted.ID, Category: "OTHER", Text: "x", DocumentID: rule.DocumentID, Page: 1})
	wantCode(t, err, apperr.Forbidden)
	_, err = call[hoa.Approval](f, agent, "hoa/v1/submitApproval", hoa.SubmitApprovalInput{ID: ap.ID})
	wantCode(t, err, apperr.Forbidden)
}

// The story of an approval: recorded, submitted (the case waits on the HOA
// by name), denied (the case resumes), resubmitted, approved with
// conditions, and expired the instant its expiry passes.
func TestAnApprovalMovesItsCaseAndExpiresOnRead(t *testing.T) {
	t.Parallel()
	f := setup(t)
	hc := f.context(f.owner, f.prop, "Maple Ridge HOA")
	kase := f.workingCase(f.prop)

	// Only staff record approvals; the owner side views them.
	_, err := call[hoa.Approval](f, f.owner, "hoa/v1/createApproval", hoa.CreateApprovalInput{CaseID: kase.Number, ContextID: hc.ID, Type: "ARCHITECTURAL"})
	wantCode(t, err, apperr.Forbidden)
	ap := must[hoa.Approval](f, f.staff, "hoa/v1/createApproval", hoa.CreateApprovalInput{CaseID: kase.Number, ContextID: hc.ID,
		Type: "ARCHITECTURAL", Description: "repaint the fence dark green"})
	if ap.Status != hoa.Pending || ap.CaseID != kase.ID || ap.ContextName != "Maple Ridge HOA" || ap.PropertyID != f.prop || ap.Outcome != nil {
		t.Fatalf("created: %+v", ap)
	}
	_, err = call[hoa.Approval](f, f.owner, "hoa/v1/submitApproval", hoa.SubmitApprovalInput{ID: ap.ID})
	wantCode(t, err, apperr.Forbidden)
	// A decision needs a submission first.
	_, err = call[hoa.Approval](f, f.staff, "hoa/v1/decideApproval", hoa.DecideApprovalInput{ID: ap.ID, Outcome: "APPROVED"})
	wantCode(t, err, apperr.InvalidTransition, "PENDING cannot move to APPROVED")

	doc := f.document(f.staff, f.prop, "Application: repaint the fence dark green.")
	submitKey := f.key()
	submit := hoa.SubmitApprovalInput{ID: ap.ID, ReferenceNumber: "ARC-2026-17", EvidenceDocumentIDs: []string{doc}}
	ap, err = testkit.Call[hoa.Approval](f.Bundle, f.staff, "hoa/v1/submitApproval", submit, submitKey)
	if err != nil || ap.Status != hoa.Submitted || ap.SubmittedAt == nil || ap.ReferenceNumber != "ARC-2026-17" ||
		len(ap.EvidenceDocumentIDs) != 1 || ap.EvidenceDocumentIDs[0] != doc {
		t.Fatalf("submitted: %+v %v", ap, err)
	}
	// A retry under the same key answers the same, and changes nothing twice.
	again, err := testkit.Call[hoa.Approval](f.Bundle, f.staff, "hoa/v1/submitApproval", submit, submitKey)
	if err != nil || again.ID != ap.ID || !again.SubmittedAt.Equal(*ap.SubmittedAt) {
		t.Fatalf("replay: %+v %v", again, err)
	}

	// The case waits on the HOA, by name, in its work-queue view.
	c := f.getCase(kase.ID)
	if c.Status != cases.PendingExternal || c.WaitingOn == nil || c.WaitingOn.Kind != "HOA" || c.WaitingOn.Name != "Maple Ridge HOA" {
		t.Fatalf("case after submit: %s %+v", c.Status, c.WaitingOn)
	}
	if c.Queue.WaitingOn != cases.PartyExternal || c.Queue.WaitingOnLabel != `HOA "Maple Ridge HOA"` ||
		c.Queue.NextAction != "follow up with Maple Ridge HOA" {
		t.Fatalf("queue: %+v", c.Queue)
	}
	queue := must[listing.Page[cases.Case]](f, f.staff, "case/v1/list", cases.ListInput{WaitingOn: []cases.Party{cases.PartyExternal}})
	if len(queue.Items) != 1 || queue.Items[0].Queue.WaitingOnLabel != `HOA "Maple Ridge HOA"` {
		t.Fatalf("work queue: %+v", queue.Items)
	}
	if h := c.History[len(c.History)-1]; h.To != cases.PendingExternal || !strings.Contains(h.Reason, "Maple Ridge HOA") || h.ActorID != f.staff.UserID {
		t.Fatalf("history: %+v", h)
	}

	// Denied: the case resumes; a resubmission makes it wait again.
	ap = must[hoa.Approval](f, f.staff, "hoa/v1/decideApproval", hoa.DecideApprovalInput{ID: ap.ID, Outcome: "DENIED", Notes: "colour not on the palette"})
	if ap.Status != hoa.Denied || ap.Outcome == nil || *ap.Outcome != "DENIED" || ap.DecidedAt == nil {
		t.Fatalf("denied: %+v", ap)
	}
	if c := f.getCase(kase.ID); c.Status != cases.InProgress || c.WaitingOn != nil {
		t.Fatalf("case after denial: %s %+v", c.Status, c.WaitingOn)
	}
	ap = must[hoa.Approval](f, f.staff, "hoa/v1/submitApproval", hoa.SubmitApprovalInput{ID: ap.ID})
	if ap.Status != hoa.Submitted || ap.DecidedAt != nil || ap.DecisionNotes != "" || ap.ReferenceNumber != "ARC-2026-17" || ap.Outcome != nil {
		t.Fatalf("resubmitted: %+v", ap)
	}
	if c := f.getCase(kase.ID); c.Status != cases.PendingExternal || c.Queue.WaitingOnLabel != `HOA "Maple Ridge HOA"` {
		t.Fatalf("case after resubmission: %s %+v", c.Status, c.Queue)
	}

	// Conditions: required for APPROVED_WITH_CONDITIONS, refused otherwise.
	_, err = call[hoa.Approval](f, f.staff, "hoa/v1/decideApproval", hoa.DecideApprovalInput{ID: ap.ID, Outcome: "APPROVED_WITH_CONDITIONS"})
	wantCode(t, err, apperr.Validation, "conditions")
	_, err = call[hoa.Approval](f, f.staff, "hoa/v1/decideApproval", hoa.DecideApprovalInput{ID: ap.ID, Outcome: "APPROVED", Conditions: "x"})
	wantCode(t, err, apperr.Validation, "conditions")
	_, err = call[hoa.Approval](f, f.staff, "hoa/v1/decideApproval", hoa.DecideApprovalInput{ID: ap.ID, Outcome: "DENIED", ExpiresAt: ptr(time.Now().Add(time.Hour))})
	wantCode(t, err, apperr.Validation, "expiresAt")
	_, err = call[hoa.Approval](f, f.staff, "hoa/v1/decideApproval", hoa.DecideApprovalInput{ID: ap.ID, Outcome: "APPROVED", DecidedAt: ptr(time.Now().Add(time.Hour))})
	wantCode(t, err, apperr.Validation, "decidedAt")

	expires := time.Now().Add(90 * 24 * time.Hour).UTC().Truncate(time.Second)
	ap = must[hoa.Approval](f, f.staff, "hoa/v1/decideApproval", hoa.DecideApprovalInput{ID: ap.ID, Outcome: "APPROVED_WITH_CONDITIONS",
		Conditions: "use Sherwin-Williams SW 6188", ExpiresAt: &expires})
	if ap.Status != hoa.ApprovedWithConditions || ap.Conditions != "use Sherwin-Williams SW 6188" || !ap.ExpiresAt.Equal(expires) {
		t.Fatalf("approved: %+v", ap)
	}
	if c := f.getCase(kase.ID); c.Status != cases.InProgress {
		t.Fatalf("case after approval: %s", c.Status)
	}
	// The owner side sees it.
	if got := must[hoa.Approval](f, f.owner, "hoa/v1/getApproval", api.GetInput{ID: ap.ID}); got.Status != hoa.ApprovedWithConditions {
		t.Fatalf("owner reads %+v", got)
	}

	// Past its expiry it reads as EXPIRED at once, everywhere; the decision
	// stays readable as the outcome.
	if _, err := f.DB.Owner.Exec(f.Ctx, `UPDATE hoa_approvals SET expires_at = now() - interval '1 second' WHERE id = $1`, ap.ID); err != nil {
		t.Fatal(err)
	}
	got := must[hoa.Approval](f, f.owner, "hoa/v1/getApproval", api.GetInput{ID: ap.ID})
	if got.Status != hoa.Expired || got.Outcome == nil || *got.Outcome != "APPROVED_WITH_CONDITIONS" {
		t.Fatalf("after its expiry: %+v", got)
	}
	expired := must[listing.Page[hoa.Approval]](f, f.owner, "hoa/v1/listApprovals", hoa.ListApprovalsInput{CaseID: kase.Number, Status: []hoa.Status{hoa.Expired}})
	if len(expired.Items) != 1 || expired.Items[0].ID != ap.ID {
		t.Fatalf("EXPIRED list: %+v", expired.Items)
	}
	granted := must[listing.Page[hoa.Approval]](f, f.owner, "hoa/v1/listApprovals", hoa.ListApprovalsInput{Status: []hoa.Status{hoa.ApprovedWithConditions}})
	if len(granted.Items) != 0 {
		t.Fatalf("an expired approval still lists as granted: %+v", granted.Items)
	}
	_, err = call[hoa.Approval](f, f.staff, "hoa/v1/submitApproval", hoa.SubmitApprovalInput{ID: ap.ID})
	wantCode(t, err, apperr.InvalidTransition, "EXPIRED is final", "record a new approval")

	// Another tenant: not found.
	_, err = call[hoa.Approval](f, f.w.ChenOwner, "hoa/v1/getApproval", api.GetInput{ID: ap.ID})
	wantCode(t, err, apperr.NotFound)
	if l := must[listing.Page[hoa.Approval]](f, f.w.ChenOwner, "hoa/v1/listApprovals", hoa.ListApprovalsInput{}); len(l.Items) != 0 {
		t.Fatalf("another tenant lists %+v", l.Items)
	}
}

func TestApprovalRefusals(t *testing.T) {
	t.Parallel()
	f := setup(t)
	hc := f.context(f.owner, f.prop, "Maple Ridge HOA")
	lake := f.context(f.owner, f.prop2, "Lakeside HOA")
	kase := f.workingCase(f.prop)

	// The context must be the case property's.
	_, err := call[hoa.Approval](f, f.staff, "hoa/v1/createApproval", hoa.CreateApprovalInput{CaseID: kase.ID, ContextID: lake.ID, Type: "OTHER"})
	wantCode(t, err, apperr.Validation, "another property")
	_, err = call[hoa.Approval](f, f.staff, "hoa/v1/createApproval", hoa.CreateApprovalInput{CaseID: "CASE-1999-1", ContextID: hc.ID, Type: "OTHER"})
	wantCode(t, err, apperr.Validation, "caseId")
	_, err = call[hoa.Approval](f, f.staff, "hoa/v1/createApproval", hoa.CreateApprovalInput{CaseID: kase.ID, ContextID: hc.ID, Type: "OTHER", Status: "APPROVED"})
	wantCode(t, err, apperr.Validation, "status")
	// The owner side is refused without learning whether a case exists.
	_, err = call[hoa.Approval](f, f.owner, "hoa/v1/createApproval", hoa.CreateApprovalInput{CaseID: "CASE-1999-1", ContextID: hc.ID, Type: "OTHER"})
	wantCode(t, err, apperr.Forbidden)

	// NOT_REQUIRED may still be submitted (the HOA turned out to want it).
	nr := must[hoa.Approval](f, f.staff, "hoa/v1/createApproval", hoa.CreateApprovalInput{CaseID: kase.ID, ContextID: hc.ID, Type: "LANDSCAPING", Status: "NOT_REQUIRED"})
	if nr.Status != hoa.NotRequired {
		t.Fatalf("not required: %+v", nr)
	}

	// A case the machine cannot move to PENDING_EXTERNAL refuses the
	// submission, naming the way forward; keepCaseStatus submits anyway.
	intake := must[cases.Case](f, f.staff, "case/v1/create", cases.CreateInput{PropertyID: f.prop, Title: "Shed"})
	ap := must[hoa.Approval](f, f.staff, "hoa/v1/createApproval", hoa.CreateApprovalInput{CaseID: intake.ID, ContextID: hc.ID, Type: "ARCHITECTURAL"})
	_, err = call[hoa.Approval](f, f.staff, "hoa/v1/submitApproval", hoa.SubmitApprovalInput{ID: ap.ID})
	wantCode(t, err, apperr.InvalidTransition, "INTAKE cannot move to PENDING_EXTERNAL", "keepCaseStatus")
	if got := must[hoa.Approval](f, f.staff, "hoa/v1/getApproval", api.GetInput{ID: ap.ID}); got.Status != hoa.Pending {
		t.Fatalf("a refused submission changed the approval: %+v", got)
	}
	ap = must[hoa.Approval](f, f.staff, "hoa/v1/submitApproval", hoa.SubmitApprovalInput{ID: ap.ID, KeepCaseStatus: true})
	if ap.Status != hoa.Submitted || f.getCase(intake.ID).Status != cases.Intake {
		t.Fatalf("kept: %+v", ap)
	}
	_, err = call[hoa.Approval](f, f.staff, "hoa/v1/submitApproval", hoa.SubmitApprovalInput{ID: ap.ID})
	wantCode(t, err, apperr.InvalidTransition, "SUBMITTED cannot move to SUBMITTED")
	_, err = call[hoa.Approval](f, f.staff, "hoa/v1/submitApproval", hoa.SubmitApprovalInput{ID: nr.ID, SubmittedAt: ptr(time.Now().Add(time.Hour)), KeepCaseStatus: true})
	wantCode(t, err, apperr.Validation, "submittedAt")

	// Two submissions to the same HOA: the case waits until both are decided.
	a1 := must[hoa.Approval](f, f.staff, "hoa/v1/createApproval", hoa.CreateApprovalInput{CaseID: kase.ID, ContextID: hc.ID, Type: "ARCHITECTURAL"})
	a2 := must[hoa.Approval](f, f.staff, "hoa/v1/createApproval", hoa.CreateApprovalInput{CaseID: kase.ID, ContextID: hc.ID, Type: "LANDSCAPING"})
	must[hoa.Approval](f, f.staff, "hoa/v1/submitApproval", hoa.SubmitApprovalInput{ID: a1.ID})
	must[hoa.Approval](f, f.staff, "hoa/v1/submitApproval", hoa.SubmitApprovalInput{ID: a2.ID})
	must[hoa.Approval](f, f.staff, "hoa/v1/decideApproval", hoa.DecideApprovalInput{ID: a1.ID, Outcome: "APPROVED"})
	if c := f.getCase(kase.ID); c.Status != cases.PendingExternal {
		t.Fatalf("case stopped waiting with a submission open: %s", c.Status)
	}
	must[hoa.Approval](f, f.staff, "hoa/v1/decideApproval", hoa.DecideApprovalInput{ID: a2.ID, Outcome: "EXPIRED", Notes: "no answer in 30 days"})
	if c := f.getCase(kase.ID); c.Status != cases.InProgress {
		t.Fatalf("case after the last decision: %s", c.Status)
	}

	// Nothing is added to a case that ended.
	pending := must[hoa.Approval](f, f.staff, "hoa/v1/createApproval", hoa.CreateApprovalInput{CaseID: kase.ID, ContextID: hc.ID, Type: "RENTAL"})
	must[cases.Case](f, f.staff, "case/v1/updateStatus", cases.UpdateStatusInput{ID: kase.ID, Status: cases.Cancelled, Reason: "owner sold the house"})
	_, err = call[hoa.Approval](f, f.staff, "hoa/v1/createApproval", hoa.CreateApprovalInput{CaseID: kase.ID, ContextID: hc.ID, Type: "OTHER"})
	wantCode(t, err, apperr.Conflict, "CANCELLED")
	_, err = call[hoa.Approval](f, f.staff, "hoa/v1/submitApproval", hoa.SubmitApprovalInput{ID: pending.ID, KeepCaseStatus: true})
	wantCode(t, err, apperr.Conflict, "CANCELLED")
}

func ptr[T any](v T) *T { return &v }

// wantFieldNotFound checks that err is a validation error whose only field
// error is field, not_found.
func wantFieldNotFound(t *testing.T, err error, field string) {
	t.Helper()
	e := apperr.From(err)
	if e.Code != apperr.Validation || len(e.Fields) != 1 || e.Fields[0].Field != field || e.Fields[0].Code != "not_found" {
		t.Fatalf("got %v (fields %+v), want %s not_found", err, e.Fields, field)
	}
}

// A rule or an evidence id that names no document of the organization —
// made up, or another tenant's — is a field error from the service, and
// nothing is written.
func TestDocumentReferencesNameDocumentsOfTheOrganization(t *testing.T) {
	t.Parallel()
	f := setup(t)
	hc := f.context(f.owner, f.prop, "Maple Ridge HOA")
	doc := f.document(f.owner, f.prop, "CC&Rs")
	chenProp := f.NewProperty(f.w.ChenOwner, "Chen home").ID
	chenDoc := f.document(f.w.ChenOwner, chenProp, "Chen's CC&Rs")

	for _, id := range []string{uuid.NewString(), chenDoc} {
		_, err := call[hoa.Rule](f, f.staff, "hoa/v1/addRule", hoa.AddRuleInput{ContextID: hc.ID, Category: "OTHER", Text: "x", DocumentID: id, Page: 1})
		wantFieldNotFound(t, err, "documentId")
	}
	if l := must[hoa.RulePage](f, f.owner, "hoa/v1/listRules", hoa.ListRulesInput{ContextID: hc.ID}); len(l.Items) != 0 {
		t.Fatalf("a refused rule was written: %+v", l.Items)
	}

	kase := f.workingCase(f.prop)
	ap := must[hoa.Approval](f, f.staff, "hoa/v1/createApproval", hoa.CreateApprovalInput{CaseID: kase.ID, ContextID: hc.ID, Type: "ARCHITECTURAL"})
	_, err := call[hoa.Approval](f, f.staff, "hoa/v1/submitApproval", hoa.SubmitApprovalInput{ID: ap.ID,
		EvidenceDocumentIDs: []string{doc, uuid.NewString()}})
	wantFieldNotFound(t, err, "evidenceDocumentIds[1]")
	_, err = call[hoa.Approval](f, f.staff, "hoa/v1/submitApproval", hoa.SubmitApprovalInput{ID: ap.ID,
		EvidenceDocumentIDs: []string{chenDoc}})
	wantFieldNotFound(t, err, "evidenceDocumentIds[0]")
	if a := must[hoa.Approval](f, f.staff, "hoa/v1/getApproval", api.GetInput{ID: ap.ID}); a.Status != hoa.Pending || len(a.EvidenceDocumentIDs) != 0 {
		t.Fatalf("a refused submission was written: %+v", a)
	}
	if c := f.getCase(kase.ID); c.Status != cases.InProgress {
		t.Fatalf("a refused submission moved the case to %s", c.Status)
	}

	ap = must[hoa.Approval](f, f.staff, "hoa/v1/submitApproval", hoa.SubmitApprovalInput{ID: ap.ID, EvidenceDocumentIDs: []string{doc}})
	_, err = call[hoa.Approval](f, f.staff, "hoa/v1/decideApproval", hoa.DecideApprovalInput{ID: ap.ID, Outcome: "APPROVED",
		EvidenceDocumentIDs: []string{uuid.NewString()}})
	wantFieldNotFound(t, err, "evidenceDocumentIds[0]")
	if a := must[hoa.Approval](f, f.staff, "hoa/v1/getApproval", api.GetInput{ID: ap.ID}); a.Status != hoa.Submitted ||
		len(a.EvidenceDocumentIDs) != 1 || a.EvidenceDocumentIDs[0] != doc {
		t.Fatalf("a refused decision was written: %+v", a)
	}
}

// Past the service, the database refuses the same references: the rule's
// foreign key and the evidence trigger (migration 0022) are the last wall.
func TestTheDatabaseRefusesDocumentReferencesToNothing(t *testing.T) {
	t.Parallel()
	f := setup(t)
	hc := f.context(f.owner, f.prop, "Maple Ridge HOA")
	doc := f.document(f.owner, f.prop, "CC&Rs")
	kase := f.workingCase(f.prop)
	ap := must[hoa.Approval](f, f.staff, "hoa/v1/createApproval", hoa.CreateApprovalInput{CaseID: kase.ID, ContextID: hc.ID, Type: "ARCHITECTURAL"})
	chenProp := f.NewProperty(f.w.ChenOwner, "Chen home").ID
	chenDoc := f.document(f.w.ChenOwner, chenProp, "Chen's CC&Rs")

	exec := func(sql string, args ...any) error {
		return f.DB.InTenant(f.Ctx, f.w.Rivera.ID, func(q db.Querier) error {
			_, err := q.Exec(context.Background(), sql, args...)
			return err
		})
	}
	for _, id := range []string{uuid.NewString(), chenDoc} {
		err := exec(`INSERT INTO hoa_rules (organization_id, context_id, property_id, category, text, document_id, page, created_by)
			VALUES ($1, $2, $3, 'OTHER', 'x', $4, 1, $5)`, f.w.Rivera.ID, hc.ID, f.prop, id, f.staff.UserID)
		wantCode(t, db.MapError(err), apperr.NotFound)
		err = exec(`UPDATE hoa_approvals SET evidence_document_ids = ARRAY[$2::uuid, $3::uuid] WHERE id = $1`, ap.ID, doc, id)
		wantCode(t, db.MapError(err), apperr.NotFound)
	}
	if err := exec(`UPDATE hoa_approvals SET evidence_document_ids = ARRAY[$2::uuid] WHERE id = $1`, ap.ID, doc); err != nil {
		t.Fatalf("a document of the organization: %v", err)
	}
}
