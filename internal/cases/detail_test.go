package cases_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/hestami/concierge/internal/action"
	"github.com/hestami/concierge/internal/api"
	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/casedetail"
	"github.com/hestami/concierge/internal/cases"
	"github.com/hestami/concierge/internal/intent"
	"github.com/hestami/concierge/internal/testkit"
)

// detail is the case's own part of case/v1/detail (internal/casedetail
// declares it, adding the parts of the domains above cases).
func (f *fixture) detail(p authz.Principal, ref string) (cases.Detail, error) {
	d, err := testkit.Call[casedetail.Detail](f.Bundle, p, "case/v1/detail", api.GetInput{ID: ref}, "")
	return d.Detail, err
}

// count returns how many timeline entries have verb.
func count(d cases.Detail, verb string) int {
	n := 0
	for _, e := range d.Timeline.Items {
		if e.Verb == verb {
			n++
		}
	}
	return n
}

func TestDetailAsStaffAndAsOwner(t *testing.T) {
	t.Parallel()
	f := setup(t)
	c := f.inProgress("Water heater")
	const secret = "SECRET-the-owner-haggles"
	internal, err := f.addNote(f.staff, c.ID, cases.Internal, secret, "n1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.addNote(f.staff, c.ID, cases.Shared, "a plumber comes Tuesday", "n2"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.addParticipant(f.staff, cases.AddParticipantInput{CaseID: c.ID, Role: cases.VendorContact, Name: "Pat Plumber"}, "p1"); err != nil {
		t.Fatal(err)
	}
	act, err := testkit.Call[action.Action](f.Bundle, f.staff, "action/v1/create", action.CreateInput{CaseID: c.ID, Type: "PHONE_CALL", Title: "Call the plumber"}, "a1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := testkit.Call[action.Action](f.Bundle, f.staff, "action/v1/start", action.StartInput{ID: act.ID}, "a2"); err != nil {
		t.Fatal(err)
	}

	staff, err := f.detail(f.staff, c.Number)
	if err != nil {
		t.Fatal(err)
	}
	if staff.Case.ID != c.ID || staff.Case.Status != cases.InProgress || len(staff.Case.History) != 3 || staff.Origin != nil {
		t.Fatalf("staff detail case %+v origin %+v", staff.Case, staff.Origin)
	}
	if len(staff.Notes.Items) != 2 || staff.Notes.Items[0].Text != secret || staff.Notes.Truncated {
		t.Fatalf("staff notes %+v", staff.Notes)
	}
	if len(staff.Actions.Items) != 1 || staff.Actions.Items[0].Status != action.InProgress || len(staff.Participants.Items) != 1 {
		t.Fatalf("staff actions %+v participants %+v", staff.Actions, staff.Participants)
	}
	// opened, ASSESSMENT, IN_PROGRESS, two notes, the participant, the
	// action planned and started: oldest first, each in words.
	var summaries []string
	for _, e := range staff.Timeline.Items {
		if e.ActorID == "" || e.ActorKind != "HUMAN" || e.At.IsZero() {
			t.Fatalf("timeline entry without its actor or time: %+v", e)
		}
		summaries = append(summaries, e.Summary)
	}
	want := []string{
		"opened the case in INTAKE",
		"moved the case from INTAKE to ASSESSMENT: because ASSESSMENT",
		"moved the case from ASSESSMENT to IN_PROGRESS: because IN_PROGRESS",
		"added an internal note",
		"added a shared note",
		"added Pat Plumber (VENDOR_CONTACT) as a participant",
		`planned action "Call the plumber" (PHONE_CALL)`,
		`action "Call the plumber": started (now IN_PROGRESS)`,
	}
	if strings.Join(summaries, "\n") != strings.Join(want, "\n") || staff.Timeline.Truncated {
		t.Fatalf("staff timeline:\n%s\nwant:\n%s", strings.Join(summaries, "\n"), strings.Join(want, "\n"))
	}

	// The owner side: the same detail without the internal note — not its
	// text, its id, nor the event that it was added.
	owner, err := f.detail(f.w.RiveraOwner, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(owner)
	if strings.Contains(string(raw), secret) || strings.Contains(string(raw), internal.ID) || strings.Contains(strings.ToLower(string(raw)), "internal") {
		t.Fatalf("owner detail leaks the internal note: %s", raw)
	}
	if len(owner.Notes.Items) != 1 || owner.Notes.Items[0].Audience != cases.Shared {
		t.Fatalf("owner notes %+v", owner.Notes)
	}
	if count(staff, "note_added") != 2 || count(owner, "note_added") != 1 || len(owner.Timeline.Items) != len(staff.Timeline.Items)-1 {
		t.Fatalf("owner timeline %+v", owner.Timeline.Items)
	}
	if len(owner.Actions.Items) != 1 || len(owner.Participants.Items) != 1 {
		t.Fatalf("owner actions %+v participants %+v", owner.Actions, owner.Participants)
	}

	// Whoever may not view the case learns nothing of it.
	for _, p := range []authz.Principal{f.w.ChenOwner, f.w.OakTrustee, f.w.OakAgent, f.Principal(f.w.Staff, f.w.Oak.ID)} {
		_, err := f.detail(p, c.ID)
		wantCode(t, err, apperr.NotFound)
	}
	_, err = f.detail(f.staff, "CASE-1999-1")
	wantCode(t, err, apperr.NotFound)
}

func TestDetailOfAConvertedIntentIncludesTheIntent(t *testing.T) {
	t.Parallel()
	f := setup(t)
	owner := f.w.RiveraOwner
	in, err := testkit.Call[intent.Intent](f.Bundle, owner, "intent/v1/submit",
		intent.SubmitInput{PropertyID: f.prop, Text: "There is a leak under the kitchen sink"}, "i1")
	if err != nil {
		t.Fatal(err)
	}
	converted, err := testkit.Call[intent.Intent](f.Bundle, f.staff, "intent/v1/convert", intent.IDInput{ID: in.ID}, "i2")
	if err != nil || converted.CaseID == nil {
		t.Fatalf("convert %+v %v", converted, err)
	}
	for _, p := range []authz.Principal{owner, f.staff} {
		d, err := f.detail(p, *converted.CaseID)
		if err != nil {
			t.Fatal(err)
		}
		if d.Origin == nil || d.Origin.ID != in.ID || d.Origin.Text != in.Text || d.Origin.Status != "CONVERTED" {
			t.Fatalf("origin %+v", d.Origin)
		}
		var intentVerbs []string
		for _, e := range d.Timeline.Items {
			if e.Entity == "intent" {
				intentVerbs = append(intentVerbs, e.Verb)
			}
		}
		if !strings.Contains(strings.Join(intentVerbs, ","), "classified") || intentVerbs[len(intentVerbs)-1] != "converted" {
			t.Fatalf("intent events in the timeline: %v", intentVerbs)
		}
	}
	// A case opened directly has no origin.
	if d, err := f.detail(owner, f.open("direct").ID); err != nil || d.Origin != nil {
		t.Fatalf("direct case origin %+v %v", d.Origin, err)
	}
}

// The bounds apply after every audience filter: an owner whose case has
// many internal notes gets its own entries, all of them, and a truncation
// flag that counts only what it may see.
func TestDetailBoundsCountOnlyWhatTheCallerMaySee(t *testing.T) {
	t.Parallel()
	f := setup(t)
	c := f.inProgress("Busy case") // three status entries
	// 196 shared notes, then the 10 newest internal ones, each with its
	// note_added event, written directly: the case/v1/addNote path is
	// tested elsewhere; here only the volume matters.
	_, err := f.DB.Owner.Exec(f.Ctx, `WITH n AS (
			INSERT INTO case_notes (organization_id, case_id, audience, kind, body, author_id, author_kind, created_at)
			SELECT $1, $2, CASE WHEN i > 196 THEN 'INTERNAL' ELSE 'SHARED' END, 'GENERAL', 'note ' || i, $3, 'HUMAN',
				now() + i * interval '1 second'
			FROM generate_series(1, 206) i RETURNING id, audience, created_at)
		INSERT INTO activity_events (organization_id, entity_type, entity_id, verb, actor_kind, actor_id, after, occurred_at)
		SELECT $1, 'case', $2, 'note_added', 'HUMAN', $3, jsonb_build_object('noteId', id, 'audience', audience, 'kind', 'GENERAL'), created_at
		FROM n`, f.w.Rivera.ID, c.ID, f.w.Staff)
	if err != nil {
		t.Fatal(err)
	}
	owner, err := f.detail(f.w.RiveraOwner, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(owner.Timeline.Items) != 199 || owner.Timeline.Truncated || len(owner.Notes.Items) != 196 || owner.Notes.Truncated {
		t.Fatalf("owner sees %d entries (truncated %v) and %d notes (truncated %v), want 199 and 196, none truncated",
			len(owner.Timeline.Items), owner.Timeline.Truncated, len(owner.Notes.Items), owner.Notes.Truncated)
	}
	if owner.Timeline.Items[0].Verb != "opened" || owner.Notes.Items[195].Text != "note 196" {
		t.Fatalf("owner's bounded lists do not run from the first entry to the latest shared note")
	}
	staff, err := f.detail(f.staff, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(staff.Timeline.Items) != cases.DetailLimit || !staff.Timeline.Truncated || len(staff.Notes.Items) != cases.DetailLimit || !staff.Notes.Truncated {
		t.Fatalf("staff sees %d entries (truncated %v) and %d notes (truncated %v)",
			len(staff.Timeline.Items), staff.Timeline.Truncated, len(staff.Notes.Items), staff.Notes.Truncated)
	}
	// The latest are kept, oldest first.
	if staff.Notes.Items[cases.DetailLimit-1].Text != "note 206" || staff.Notes.Items[0].Text != "note 7" {
		t.Fatalf("staff notes run from %q to %q", staff.Notes.Items[0].Text, staff.Notes.Items[cases.DetailLimit-1].Text)
	}
}
