package cases_test

import (
	"encoding/json"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hestami/concierge/internal/api"
	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/cases"
	"github.com/hestami/concierge/internal/db"
	"github.com/hestami/concierge/internal/listing"
	"github.com/hestami/concierge/internal/testkit"
)

func (f *fixture) addNote(p authz.Principal, caseID string, aud cases.Audience, text, key string) (cases.Note, error) {
	return testkit.Call[cases.Note](f.Bundle, p, "case/v1/addNote", cases.AddNoteInput{CaseID: caseID, Audience: aud, Text: text}, key)
}

func (f *fixture) listNotes(p authz.Principal, caseID string) (listing.Page[cases.Note], error) {
	return testkit.Call[listing.Page[cases.Note]](f.Bundle, p, "case/v1/listNotes", cases.ListNotesInput{CaseID: caseID}, "")
}

// inProgress opens a case and moves it to IN_PROGRESS as staff.
func (f *fixture) inProgress(title string) cases.Case {
	f.T.Helper()
	c := f.open(title)
	for _, to := range []string{"ASSESSMENT", "IN_PROGRESS"} {
		if _, err := f.move(f.staff, c.ID, to, c.ID+to); err != nil {
			f.T.Fatal(err)
		}
	}
	return c
}

func TestInternalNotesNeverReachTheOwnerSide(t *testing.T) {
	t.Parallel()
	f := setup(t)
	c := f.inProgress("Roof leak")
	const secret = "SECRET-owner-is-difficult"
	internal, err := f.addNote(f.staff, c.ID, cases.Internal, secret, "n1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.addNote(f.staff, c.Number, cases.Shared, "we booked a roofer", "n2"); err != nil {
		t.Fatal(err)
	}

	// Staff of the engaged operator and the admin read both.
	for _, uid := range []string{f.w.Staff, f.w.Lead, f.w.Admin} {
		page, err := f.listNotes(f.Principal(uid, f.w.Rivera.ID), c.ID)
		if err != nil || len(page.Items) != 2 || page.Items[0].Text != secret {
			t.Fatalf("staff list: %+v %v", page.Items, err)
		}
	}

	// Every procedure that answers the owner with case data, none of which
	// may carry the internal note's text or id.
	owner := f.w.RiveraOwner
	var bodies []any
	call := func(what string, out any, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		bodies = append(bodies, out)
	}
	got, err := testkit.Call[cases.Case](f.Bundle, owner, "case/v1/get", api.GetInput{ID: c.ID}, "")
	call("get", got, err)
	list, err := testkit.Call[listing.Page[cases.Case]](f.Bundle, owner, "case/v1/list", cases.ListInput{}, "")
	call("list", list, err)
	notes, err := f.listNotes(owner, c.ID)
	call("listNotes", notes, err)
	if len(notes.Items) != 1 || notes.Items[0].Audience != cases.Shared {
		t.Fatalf("owner sees %+v, want the shared note only", notes.Items)
	}
	shared, err := testkit.Call[cases.Note](f.Bundle, owner, "case/v1/getNote", api.GetInput{ID: notes.Items[0].ID}, "")
	call("getNote", shared, err)
	added, err := f.addNote(owner, c.ID, cases.Shared, "thanks", "o1")
	call("addNote", added, err)
	asked, err := testkit.Call[cases.Clarification](f.Bundle, f.staff, "case/v1/requestClarification",
		cases.ClarifyInput{ID: c.ID, Text: "which room?"}, "q1")
	if err != nil {
		t.Fatal(err)
	}
	answered, err := testkit.Call[cases.Clarification](f.Bundle, owner, "case/v1/answerClarification",
		cases.ClarifyInput{ID: c.ID, Text: "the attic"}, "a1")
	call("answerClarification", answered, err)
	if asked.Case.Status != cases.PendingOwner || answered.Case.Status != cases.InProgress {
		t.Fatalf("clarification moved %s then %s", asked.Case.Status, answered.Case.Status)
	}
	notes, err = f.listNotes(owner, c.ID)
	call("listNotes after the loop", notes, err)
	if len(notes.Items) != 4 {
		t.Fatalf("owner sees %d notes, want 4 shared ones: %+v", len(notes.Items), notes.Items)
	}
	// The procedures the owner side may not use answer with a refusal that
	// carries nothing of the case either.
	for proc, in := range map[string]any{
		"case/v1/requestClarification": cases.ClarifyInput{ID: c.ID, Text: "?"},
		"case/v1/assign":               cases.AssignInput{ID: c.ID, UserID: f.w.Staff},
		"case/v1/claim":                api.GetInput{ID: c.ID},
		"case/v1/unassign":             api.GetInput{ID: c.ID},
	} {
		_, err := testkit.Call[json.RawMessage](f.Bundle, owner, proc, in, "refused-"+proc)
		wantCode(t, err, apperr.Forbidden)
		bodies = append(bodies, apperr.From(err))
	}
	for i, b := range bodies {
		raw, _ := json.Marshal(b)
		if strings.Contains(string(raw), secret) || strings.Contains(string(raw), internal.ID) {
			t.Fatalf("response %d leaks the internal note: %s", i, raw)
		}
	}

	// A direct read of the internal note does not reveal that it exists.
	_, err = testkit.Call[cases.Note](f.Bundle, owner, "case/v1/getNote", api.GetInput{ID: internal.ID}, "")
	wantCode(t, err, apperr.NotFound)
	// The owner side cannot write internal notes either.
	_, err = f.addNote(owner, c.ID, cases.Internal, "psst", "o2")
	wantCode(t, err, apperr.Forbidden)

	// The activity log names the note, never its text.
	var leaked, recorded int
	err = f.DB.InOwner(f.Ctx, func(q db.Querier) error {
		if err := q.QueryRow(f.Ctx, `SELECT count(*) FROM activity_events
			WHERE verb = 'note_added' AND position($1 in after::text) > 0`, secret).Scan(&leaked); err != nil {
			return err
		}
		return q.QueryRow(f.Ctx, `SELECT count(*) FROM activity_events
			WHERE verb = 'note_added' AND after->>'noteId' = $1 AND after->>'audience' = 'INTERNAL'`, internal.ID).Scan(&recorded)
	})
	if err != nil {
		t.Fatal(err)
	}
	if leaked != 0 || recorded != 1 {
		t.Fatalf("activity: %d events carry the text, %d name the note", leaked, recorded)
	}
}

func TestNotesOfOtherTenantsAndAgentsAreNotFound(t *testing.T) {
	t.Parallel()
	f := setup(t)
	c := f.open("Fence")
	n, err := f.addNote(f.w.RiveraOwner, c.ID, cases.Shared, "the north side", "n1")
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.listNotes(f.w.OakTrustee, c.ID)
	wantCode(t, err, apperr.NotFound)
	_, err = testkit.Call[cases.Note](f.Bundle, f.w.OakTrustee, "case/v1/getNote", api.GetInput{ID: n.ID}, "")
	wantCode(t, err, apperr.NotFound)
	_, err = f.addNote(f.w.OakTrustee, c.ID, cases.Shared, "hi", "n2")
	wantCode(t, err, apperr.NotFound)

	// A delegated agent without grants sees no case and no note in its own
	// organization.
	oakProp := f.NewProperty(f.w.OakTrustee, "Oak condo")
	oc, err := f.svc.Create(f.Ctx, f.w.OakTrustee, cases.CreateInput{PropertyID: oakProp.ID, Title: "Oak case"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.addNote(f.w.OakTrustee, oc.ID, cases.Shared, "shared with the trust", "n3"); err != nil {
		t.Fatal(err)
	}
	_, err = f.listNotes(f.w.OakAgent, oc.ID)
	wantCode(t, err, apperr.NotFound)
	_, err = f.addNote(f.w.OakAgent, oc.ID, cases.Shared, "agent", "n4")
	wantCode(t, err, apperr.NotFound)
}

func TestAddNoteRefusals(t *testing.T) {
	t.Parallel()
	f := setup(t)
	c := f.open("Gutter")
	_, err := f.addNote(f.staff, c.ID, cases.Shared, "   ", "k1")
	wantFields(t, err, "text")
	_, err = testkit.Call[cases.Note](f.Bundle, f.staff, "case/v1/addNote",
		cases.AddNoteInput{CaseID: c.ID, Audience: cases.Shared, Kind: cases.ClarificationRequest, Text: "?"}, "k2")
	wantFields(t, err, "kind")
	_, err = testkit.Call[cases.Note](f.Bundle, f.staff, "case/v1/addNote", map[string]any{"caseId": c.ID, "audience": "PUBLIC", "text": "x"}, "k3")
	wantFields(t, err, "audience")
	_, err = f.addNote(f.staff, "CASE-1999-1", cases.Shared, "x", "k4")
	wantCode(t, err, apperr.NotFound)

	// Nothing is added to a terminal case, by anyone.
	if _, err := f.move(f.w.RiveraOwner, c.ID, "CANCELLED", "cancel"); err != nil {
		t.Fatal(err)
	}
	for i, p := range []authz.Principal{f.staff, f.w.RiveraOwner} {
		_, err = f.addNote(p, c.ID, cases.Shared, "too late", "late"+string(rune('a'+i)))
		wantCode(t, err, apperr.Conflict)
	}
	_, err = testkit.Call[cases.Clarification](f.Bundle, f.staff, "case/v1/requestClarification", cases.ClarifyInput{ID: c.ID, Text: "?"}, "q")
	wantCode(t, err, apperr.Conflict)
	page, err := f.listNotes(f.staff, c.ID)
	if err != nil || len(page.Items) != 0 {
		t.Fatalf("notes of the cancelled case: %+v %v", page.Items, err)
	}
}

func TestNotesPageOldestFirst(t *testing.T) {
	t.Parallel()
	f := setup(t)
	c := f.open("Paint")
	for i, text := range []string{"one", "two", "three"} {
		if _, err := f.addNote(f.staff, c.ID, cases.Internal, text, "k"+text); err != nil {
			t.Fatal(i, err)
		}
	}
	var got []string
	cursor := ""
	for {
		page, err := testkit.Call[listing.Page[cases.Note]](f.Bundle, f.staff, "case/v1/listNotes",
			cases.ListNotesInput{CaseID: c.Number, Limit: 2, Cursor: cursor}, "")
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range page.Items {
			got = append(got, n.Text)
		}
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	if strings.Join(got, ",") != "one,two,three" {
		t.Fatalf("pages gave %v", got)
	}
}

func TestClarificationLoop(t *testing.T) {
	t.Parallel()
	f := setup(t)
	clarify := func(p authz.Principal, proc, id, text, key string) (cases.Clarification, error) {
		return testkit.Call[cases.Clarification](f.Bundle, p, "case/v1/"+proc, cases.ClarifyInput{ID: id, Text: text}, key)
	}
	// INTAKE cannot wait on the owner yet: the state machine says so.
	intake := f.open("New")
	_, err := clarify(f.staff, "requestClarification", intake.ID, "?", "q0")
	wantCode(t, err, apperr.InvalidTransition)

	c := f.inProgress("Window")
	// Only staff ask, only the owner side answers, and only an open question.
	_, err = clarify(f.w.RiveraOwner, "requestClarification", c.ID, "?", "q1")
	wantCode(t, err, apperr.Forbidden)
	_, err = clarify(f.w.RiveraOwner, "answerClarification", c.ID, "!", "a0")
	wantCode(t, err, apperr.InvalidTransition)

	asked, err := clarify(f.staff, "requestClarification", c.Number, "Which window?", "q2")
	if err != nil {
		t.Fatal(err)
	}
	if asked.Case.Status != cases.PendingOwner || asked.Note.Kind != cases.ClarificationRequest || asked.Note.Audience != cases.Shared {
		t.Fatalf("asked: %+v", asked)
	}
	last := asked.Case.History[len(asked.Case.History)-1]
	if last.To != cases.PendingOwner || last.ActorID != f.staff.UserID {
		t.Fatalf("history: %+v", last)
	}
	_, err = clarify(f.staff, "answerClarification", c.ID, "!", "a1")
	wantCode(t, err, apperr.Forbidden)
	_, err = clarify(f.w.OakTrustee, "answerClarification", c.ID, "!", "a2")
	wantCode(t, err, apperr.NotFound)
	_, err = clarify(f.w.RiveraOwner, "answerClarification", c.ID, " ", "a3")
	wantFields(t, err, "text")

	answered, err := clarify(f.w.RiveraOwner, "answerClarification", c.ID, "The bedroom one", "a4")
	if err != nil {
		t.Fatal(err)
	}
	if answered.Case.Status != cases.InProgress || answered.Note.Kind != cases.ClarificationResponse || answered.Note.AuthorID != f.w.RiveraOwner.UserID {
		t.Fatalf("answered: %+v", answered)
	}
	// The retry of the same answer replays it; a second answer finds no open question.
	again, err := clarify(f.w.RiveraOwner, "answerClarification", c.ID, "The bedroom one", "a4")
	if err != nil || again.Note.ID != answered.Note.ID {
		t.Fatalf("replay: %+v %v", again, err)
	}
	_, err = clarify(f.w.RiveraOwner, "answerClarification", c.ID, "also the kitchen", "a5")
	wantCode(t, err, apperr.InvalidTransition)

	page, err := f.listNotes(f.w.RiveraOwner, c.ID)
	if err != nil || len(page.Items) != 2 {
		t.Fatalf("notes: %+v %v", page.Items, err)
	}
}

// A note added while a cancellation holds the case is decided on the case as
// the cancellation left it: the note waits for the row, then finds the case
// terminal and adds nothing.
func TestNoteRacingCancelIsDecidedOnTheLockedRow(t *testing.T) {
	t.Parallel()
	f := setup(t)
	c := f.open("Leak")
	locked := make(chan struct{})
	release := make(chan struct{})
	var paused atomic.Bool
	cases.SetAfterLock(f.svc, func(userID string) {
		if userID == f.w.Staff && paused.CompareAndSwap(false, true) {
			close(locked)
			<-release
		}
	})
	cancelled := make(chan error, 1)
	go func() {
		_, err := f.move(f.staff, c.ID, "CANCELLED", "cancel")
		cancelled <- err
	}()
	select {
	case <-locked:
	case <-time.After(30 * time.Second):
		t.Fatal("the cancellation never locked the case")
	}
	noted := make(chan error, 1)
	go func() {
		_, err := f.addNote(f.w.RiveraOwner, c.ID, cases.Shared, "one more thing", "late")
		noted <- err
	}()
	if err := f.AwaitLockWaiters(1); err != nil {
		t.Fatal(err)
	}
	close(release)
	if err := <-cancelled; err != nil {
		t.Fatal(err)
	}
	wantCode(t, <-noted, apperr.Conflict)
	page, err := f.listNotes(f.staff, c.ID)
	if err != nil || len(page.Items) != 0 {
		t.Fatalf("notes: %+v %v", page.Items, err)
	}
}
