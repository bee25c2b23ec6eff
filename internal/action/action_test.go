package action_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hestami/concierge/internal/action"
	"github.com/hestami/concierge/internal/activity"
	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/cases"
	"github.com/hestami/concierge/internal/db"
	"github.com/hestami/concierge/internal/listing"
	"github.com/hestami/concierge/internal/testkit"
)

func TestMain(m *testing.M) { testkit.Main(m) }

type fixture struct {
	*testkit.Bundle
	w     *testkit.World
	staff authz.Principal // staff acting in Rivera through the engagement
	c     cases.Case      // a Rivera case
	n     int             // idempotency keys
}

func setup(t *testing.T) *fixture {
	t.Helper()
	b := testkit.Setup(t)
	w := b.NewWorld()
	f := &fixture{Bundle: b, w: w, staff: b.Principal(w.Staff, w.Rivera.ID)}
	f.c = f.openCase(w.RiveraOwner, b.NewProperty(w.RiveraOwner, "Rivera home").ID, "Leaking roof")
	return f
}

func (f *fixture) key() string {
	f.n++
	return fmt.Sprint("k", f.n)
}

func (f *fixture) openCase(p authz.Principal, propertyID, title string) cases.Case {
	f.T.Helper()
	c, err := testkit.Call[cases.Case](f.Bundle, p, "case/v1/create", cases.CreateInput{PropertyID: propertyID, Title: title}, f.key())
	if err != nil {
		f.T.Fatal(err)
	}
	return c
}

// moveCase walks the case through the given statuses as staff.
func (f *fixture) moveCase(c cases.Case, to ...cases.Status) error {
	f.T.Helper()
	for _, s := range to {
		in := cases.UpdateStatusInput{ID: c.ID, Status: s, Reason: "because " + string(s)}
		if s == cases.Resolved {
			in.ResolutionSummary = "fixed"
		}
		if _, err := testkit.Call[cases.Case](f.Bundle, f.staff, cases.UpdateStatusProcedure, in, f.key()); err != nil {
			return err
		}
	}
	return nil
}

func (f *fixture) create(p authz.Principal, in action.CreateInput) (action.Action, error) {
	f.T.Helper()
	return testkit.Call[action.Action](f.Bundle, p, "action/v1/create", in, f.key())
}

func (f *fixture) mustCreate(title string) action.Action {
	f.T.Helper()
	a, err := f.create(f.staff, action.CreateInput{CaseID: f.c.ID, Title: title, Type: "PHONE_CALL"})
	if err != nil {
		f.T.Fatal(err)
	}
	return a
}

// do runs action/v1/<verb> as p.
func (f *fixture) do(p authz.Principal, verb string, in any) (action.Action, error) {
	f.T.Helper()
	return testkit.Call[action.Action](f.Bundle, p, "action/v1/"+verb, in, f.key())
}

func (f *fixture) list(p authz.Principal, caseRef string, status ...action.Status) []action.Action {
	f.T.Helper()
	page, err := testkit.Call[listing.Page[action.Action]](f.Bundle, p, "action/v1/list", action.ListInput{CaseID: caseRef, Status: status}, "")
	if err != nil {
		f.T.Fatal(err)
	}
	return page.Items
}

func wantCode(t *testing.T, err error, code apperr.Code) {
	t.Helper()
	if apperr.CodeOf(err) != code {
		t.Fatalf("got %v (%s), want %s", err, apperr.CodeOf(err), code)
	}
}

// wantField checks that err is VALIDATION_FAILED with exactly one field
// error, on field, whose message contains text.
func wantField(t *testing.T, err error, field, text string) {
	t.Helper()
	wantCode(t, err, apperr.Validation)
	fe := apperr.From(err).Fields
	if len(fe) != 1 || fe[0].Field != field || !strings.Contains(fe[0].Message, text) {
		t.Fatalf("field errors %+v, want one on %s containing %q", fe, field, text)
	}
}

func wantMessage(t *testing.T, err error, code apperr.Code, text string) {
	t.Helper()
	wantCode(t, err, code)
	if !strings.Contains(apperr.From(err).Message, text) {
		t.Fatalf("message %q, want it to contain %q", apperr.From(err).Message, text)
	}
}

func TestLifecycleWithEventsAndLists(t *testing.T) {
	t.Parallel()
	f := setup(t)
	planned := time.Date(2030, 5, 1, 9, 0, 0, 0, time.UTC)
	// By case number, with every field.
	a, err := f.create(f.staff, action.CreateInput{CaseID: f.c.Number, Type: "VENDOR_CONTACT", Title: " Call the roofer ",
		Description: "ask for a quote", PlannedAt: &planned})
	if err != nil {
		t.Fatal(err)
	}
	if a.Status != action.Planned || a.Title != "Call the roofer" || a.Type != "VENDOR_CONTACT" || a.CaseID != f.c.ID ||
		a.OrganizationID != f.w.Rivera.ID || a.CreatedBy != f.w.Staff || a.PerformedBy != nil || !a.PlannedAt.Equal(planned) {
		t.Fatalf("created %+v", a)
	}
	// The type defaults to OTHER.
	other, err := f.create(f.staff, action.CreateInput{CaseID: f.c.ID, Title: "Research permits"})
	if err != nil || other.Type != "OTHER" {
		t.Fatalf("created %+v %v", other, err)
	}

	a, err = f.do(f.staff, "start", action.StartInput{ID: a.ID})
	if err != nil || a.Status != action.InProgress || a.PerformedBy == nil || *a.PerformedBy != f.w.Staff {
		t.Fatalf("start: %+v %v", a, err)
	}
	a, err = f.do(f.staff, "block", action.BlockInput{ID: a.ID, WaitingOn: " the roofer's quote "})
	if err != nil || a.Status != action.Blocked || a.WaitingOn != "the roofer's quote" {
		t.Fatalf("block: %+v %v", a, err)
	}
	// Resumed by the lead: no longer waiting on anything.
	lead := f.Principal(f.w.Lead, f.w.Rivera.ID)
	a, err = f.do(lead, "start", action.StartInput{ID: a.ID})
	if err != nil || a.Status != action.InProgress || a.WaitingOn != "" || *a.PerformedBy != f.w.Lead {
		t.Fatalf("resume: %+v %v", a, err)
	}
	a, err = f.do(f.staff, "complete", action.CompleteInput{ID: a.ID, Outcome: "quote received: $1,200"})
	if err != nil || a.Status != action.Completed || a.Outcome != "quote received: $1,200" || a.CompletedAt == nil {
		t.Fatalf("complete: %+v %v", a, err)
	}
	admin := f.Principal(f.w.Admin, f.w.Rivera.ID)
	other, err = f.do(admin, "cancel", action.CancelInput{ID: other.ID, Reason: "not needed"})
	if err != nil || other.Status != action.Cancelled || other.CancelReason != "not needed" {
		t.Fatalf("cancel: %+v %v", other, err)
	}

	// Owner, staff and admin see both, oldest first, by id or number.
	for _, p := range []authz.Principal{f.w.RiveraOwner, f.staff, admin} {
		got := f.list(p, f.c.Number)
		if len(got) != 2 || got[0].ID != a.ID || got[1].ID != other.ID {
			t.Fatalf("%v lists %+v", p.Roles, got)
		}
	}
	if got := f.list(f.staff, f.c.ID, action.Cancelled); len(got) != 1 || got[0].ID != other.ID {
		t.Fatalf("cancelled: %+v", got)
	}

	events, err := db.InTenantResult(f.Ctx, f.DB, f.w.Rivera.ID, func(q db.Querier) ([]activity.Entry, error) {
		return activity.ForEntity(f.Ctx, q, "action", a.ID)
	})
	if err != nil {
		t.Fatal(err)
	}
	var verbs []string
	for _, e := range events {
		verbs = append(verbs, e.Verb+":"+e.ActorID)
	}
	s := f.w.Staff
	if want := []string{"created:" + s, "started:" + s, "blocked:" + s, "started:" + f.w.Lead, "completed:" + s}; strings.Join(verbs, " ") != strings.Join(want, " ") {
		t.Fatalf("events %v, want %v", verbs, want)
	}
}

func TestRefusedInputAndTransitions(t *testing.T) {
	t.Parallel()
	f := setup(t)
	_, err := f.create(f.staff, action.CreateInput{CaseID: f.c.ID, Title: "   "})
	wantField(t, err, "title", "blank")
	_, err = f.create(f.staff, action.CreateInput{CaseID: f.c.ID, Title: "x", Type: "SEANCE"})
	wantCode(t, err, apperr.Validation)
	_, err = f.create(f.staff, action.CreateInput{CaseID: "CASE-1999-1", Title: "x"})
	wantField(t, err, "caseId", "no case")
	_, err = f.create(f.staff, action.CreateInput{CaseID: "6b1f0a3e-0000-4000-8000-000000000000", Title: "x"})
	wantField(t, err, "caseId", "no case")
	_, err = f.do(f.staff, "start", action.StartInput{ID: "6b1f0a3e-0000-4000-8000-000000000000"})
	wantCode(t, err, apperr.NotFound)

	a := f.mustCreate("Call the HOA")
	// A planned action is neither completed nor blocked before it starts.
	_, err = f.do(f.staff, "complete", action.CompleteInput{ID: a.ID, Outcome: "done"})
	wantMessage(t, err, apperr.InvalidTransition, "an action in PLANNED cannot move to COMPLETED; allowed: IN_PROGRESS, CANCELLED")
	_, err = f.do(f.staff, "block", action.BlockInput{ID: a.ID, WaitingOn: "the HOA"})
	wantCode(t, err, apperr.InvalidTransition)
	if _, err := f.do(f.staff, "start", action.StartInput{ID: a.ID}); err != nil {
		t.Fatal(err)
	}
	_, err = f.do(f.staff, "start", action.StartInput{ID: a.ID})
	wantCode(t, err, apperr.InvalidTransition)
	// Completing needs an outcome, blocking names what it waits on.
	_, err = f.do(f.staff, "complete", action.CompleteInput{ID: a.ID, Outcome: "  "})
	wantField(t, err, "outcome", "needs its outcome")
	_, err = f.do(f.staff, "complete", action.CompleteInput{ID: a.ID})
	wantField(t, err, "outcome", "needs its outcome")
	_, err = f.do(f.staff, "block", action.BlockInput{ID: a.ID})
	wantField(t, err, "waitingOn", "what it waits on")
	if _, err := f.do(f.staff, "complete", action.CompleteInput{ID: a.ID, Outcome: "approved"}); err != nil {
		t.Fatal(err)
	}
	// Final is final.
	for verb, in := range map[string]any{"start": action.StartInput{ID: a.ID}, "cancel": action.CancelInput{ID: a.ID},
		"complete": action.CompleteInput{ID: a.ID, Outcome: "again"}, "block": action.BlockInput{ID: a.ID, WaitingOn: "x"}} {
		_, err = f.do(f.staff, verb, in)
		wantMessage(t, err, apperr.InvalidTransition, "COMPLETED is final")
	}
	b := f.mustCreate("Email the owner")
	if _, err := f.do(f.staff, "cancel", action.CancelInput{ID: b.ID}); err != nil {
		t.Fatal(err)
	}
	_, err = f.do(f.staff, "start", action.StartInput{ID: b.ID})
	wantMessage(t, err, apperr.InvalidTransition, "CANCELLED is final")
}

func TestRolesAndTenants(t *testing.T) {
	t.Parallel()
	f := setup(t)
	a := f.mustCreate("Call the roofer")
	owner := f.w.RiveraOwner

	// The owner side views and does nothing else.
	_, err := f.create(owner, action.CreateInput{CaseID: f.c.ID, Title: "mine"})
	wantCode(t, err, apperr.Forbidden)
	_, err = f.create(owner, action.CreateInput{CaseID: "CASE-1999-1", Title: "mine"})
	wantCode(t, err, apperr.Forbidden)
	for verb, in := range map[string]any{"start": action.StartInput{ID: a.ID}, "cancel": action.CancelInput{ID: a.ID}} {
		_, err = f.do(owner, verb, in)
		wantCode(t, err, apperr.Forbidden)
	}

	// A delegated agent sees nothing and does nothing (an Oak case).
	oakCase := f.openCase(f.w.OakTrustee, f.NewProperty(f.w.OakTrustee, "Oak condo").ID, "Broken gate")
	oakStaff := f.Principal(f.w.Staff, f.w.Oak.ID)
	oakAction, err := f.create(oakStaff, action.CreateInput{CaseID: oakCase.Number, Title: "Call the gate vendor"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.create(f.w.OakAgent, action.CreateInput{CaseID: oakCase.ID, Title: "x"})
	wantCode(t, err, apperr.Forbidden)
	_, err = f.do(f.w.OakAgent, "start", action.StartInput{ID: oakAction.ID})
	wantCode(t, err, apperr.NotFound)
	if got := f.list(f.w.OakAgent, oakCase.ID); len(got) != 0 {
		t.Fatalf("agent lists %+v", got)
	}
	if got := f.list(f.w.OakTrustee, oakCase.ID); len(got) != 1 {
		t.Fatalf("trustee lists %+v", got)
	}

	// Other tenants: Rivera's action is no action in Oak, its case no case.
	_, err = f.do(oakStaff, "start", action.StartInput{ID: a.ID})
	wantCode(t, err, apperr.NotFound)
	_, err = f.create(oakStaff, action.CreateInput{CaseID: f.c.ID, Title: "x"})
	wantField(t, err, "caseId", "no case")
	if got := f.list(oakStaff, f.c.ID); len(got) != 0 {
		t.Fatalf("Oak lists Rivera's actions: %+v", got)
	}
	if got := f.list(f.w.OakTrustee, f.c.ID); len(got) != 0 {
		t.Fatalf("Oak lists Rivera's actions: %+v", got)
	}
	// Numbers are per organization: in Oak, Rivera's number is Oak's case.
	if got := f.list(f.w.OakTrustee, f.c.Number); len(got) != 1 || got[0].ID != oakAction.ID {
		t.Fatalf("Oak lists by number %+v", got)
	}
	// Staff without an engagement (Chen) cannot act there at all.
	chenCase := f.openCase(f.w.ChenOwner, f.NewProperty(f.w.ChenOwner, "Chen office").ID, "Door")
	_, err = f.create(authz.Principal{UserID: f.w.Staff, OrgID: f.w.Chen.ID, Roles: []string{"CONCIERGE_STAFF"}, ActorKind: authz.Human},
		action.CreateInput{CaseID: chenCase.ID, Title: "x"})
	wantCode(t, err, apperr.Forbidden)
}

func TestNothingIsAddedToAnEndedCase(t *testing.T) {
	t.Parallel()
	f := setup(t)
	open := f.mustCreate("Call the roofer")
	if err := f.moveCase(f.c, cases.Cancelled); err != nil {
		t.Fatal(err)
	}
	_, err := f.create(f.staff, action.CreateInput{CaseID: f.c.ID, Title: "late"})
	wantMessage(t, err, apperr.Conflict, "case "+f.c.Number+" is CANCELLED: nothing can be added to it")
	_, err = f.do(f.staff, "start", action.StartInput{ID: open.ID})
	wantMessage(t, err, apperr.Conflict, "case "+f.c.Number+" is CANCELLED: its actions can only be cancelled")
	if a, err := f.do(f.staff, "cancel", action.CancelInput{ID: open.ID, Reason: "case cancelled"}); err != nil || a.Status != action.Cancelled {
		t.Fatalf("cancel: %+v %v", a, err)
	}

	// A closed case; and a resolved one, which is reopened first.
	c := f.openCase(f.w.RiveraOwner, f.c.PropertyID, "Fence")
	if err := f.moveCase(c, cases.Assessment, cases.InProgress, cases.Resolved); err != nil {
		t.Fatal(err)
	}
	_, err = f.create(f.staff, action.CreateInput{CaseID: c.Number, Title: "late"})
	wantMessage(t, err, apperr.Conflict, "case "+c.Number+" is RESOLVED: reopen it")
	if err := f.moveCase(c, cases.Closed); err != nil {
		t.Fatal(err)
	}
	_, err = f.create(f.staff, action.CreateInput{CaseID: c.Number, Title: "late"})
	wantMessage(t, err, apperr.Conflict, "case "+c.Number+" is CLOSED")
}

func TestResolvingNeedsEveryActionFinal(t *testing.T) {
	t.Parallel()
	f := setup(t)
	if err := f.moveCase(f.c, cases.Assessment, cases.InProgress); err != nil {
		t.Fatal(err)
	}
	roofer := f.mustCreate("Call the roofer")
	hoa := f.mustCreate(`Ask the "HOA"`)
	done := f.mustCreate("Photos")
	if _, err := f.do(f.staff, "start", action.StartInput{ID: hoa.ID}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.do(f.staff, "block", action.BlockInput{ID: hoa.ID, WaitingOn: "board meeting"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.do(f.staff, "cancel", action.CancelInput{ID: done.ID}); err != nil {
		t.Fatal(err)
	}

	err := f.moveCase(f.c, cases.Resolved)
	wantMessage(t, err, apperr.InvalidTransition, "case "+f.c.Number+` cannot be resolved while 2 action(s) are open; complete or cancel them first: "Call the roofer" (PLANNED), "Ask the \"HOA\"" (BLOCKED)`)
	if strings.Contains(apperr.From(err).Message, "Photos") {
		t.Fatal("a cancelled action is named as open")
	}

	if _, err := f.do(f.staff, "cancel", action.CancelInput{ID: roofer.ID}); err != nil {
		t.Fatal(err)
	}
	err = f.moveCase(f.c, cases.Resolved)
	wantMessage(t, err, apperr.InvalidTransition, `1 action(s) are open; complete or cancel them first: "Ask the \"HOA\"" (BLOCKED)`)
	if _, err := f.do(f.staff, "start", action.StartInput{ID: hoa.ID}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.do(f.staff, "complete", action.CompleteInput{ID: hoa.ID, Outcome: "approved"}); err != nil {
		t.Fatal(err)
	}
	if err := f.moveCase(f.c, cases.Resolved); err != nil {
		t.Fatalf("resolve with every action final: %v", err)
	}
	// Reopened, the case takes actions again.
	if err := f.moveCase(f.c, cases.InProgress); err != nil {
		t.Fatal(err)
	}
	f.mustCreate("Check the repair")
}

// An action added while a resolve holds the case row is decided on the row
// the resolve leaves: it is refused, so no resolved case has open work. The
// resolve here is the same lock and write done by hand, so that the add is
// certainly waiting before it commits.
func TestAddingBesideAResolveWaitsAndIsRefused(t *testing.T) {
	t.Parallel()
	f := setup(t)
	if err := f.moveCase(f.c, cases.Assessment, cases.InProgress); err != nil {
		t.Fatal(err)
	}
	tx, err := f.DB.Owner.Begin(f.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(f.Ctx) }()
	if _, err := tx.Exec(f.Ctx, `SELECT 1 FROM cases WHERE id = $1 FOR UPDATE`, f.c.ID); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := f.create(f.staff, action.CreateInput{CaseID: f.c.ID, Title: "slipped in"})
		done <- err
	}()
	if err := f.AwaitLockWaiters(1); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(f.Ctx, `UPDATE cases SET status = 'RESOLVED', resolution_summary = 'fixed' WHERE id = $1`, f.c.ID); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(f.Ctx); err != nil {
		t.Fatal(err)
	}
	wantMessage(t, <-done, apperr.Conflict, "is RESOLVED")
	if got := f.list(f.staff, f.c.ID); len(got) != 0 {
		t.Fatalf("actions of the resolved case: %+v", got)
	}
}

// A blocked action may be dropped; it then waits on nothing.
func TestCancellingABlockedActionClearsWhatItWaitedOn(t *testing.T) {
	t.Parallel()
	f := setup(t)
	a := f.mustCreate("Ask the HOA")
	for _, step := range []struct {
		verb string
		in   any
	}{{"start", action.StartInput{ID: a.ID}}, {"block", action.BlockInput{ID: a.ID, WaitingOn: "the board"}}} {
		if _, err := f.do(f.staff, step.verb, step.in); err != nil {
			t.Fatal(err)
		}
	}
	a, err := f.do(f.staff, "cancel", action.CancelInput{ID: a.ID})
	if err != nil || a.Status != action.Cancelled || a.WaitingOn != "" || a.CancelReason != "" {
		t.Fatalf("cancel: %+v %v", a, err)
	}
}
