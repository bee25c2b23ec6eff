package cases_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/hestami/concierge/internal/activity"
	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/cases"
	"github.com/hestami/concierge/internal/db"
	"github.com/hestami/concierge/internal/testkit"
)

func (f *fixture) addParticipant(p authz.Principal, in cases.AddParticipantInput, key string) (cases.Participant, error) {
	return testkit.Call[cases.Participant](f.Bundle, p, "case/v1/addParticipant", in, key)
}

func (f *fixture) participants(p authz.Principal, caseRef string) (cases.Participants, error) {
	return testkit.Call[cases.Participants](f.Bundle, p, "case/v1/listParticipants", cases.ListParticipantsInput{CaseID: caseRef}, "")
}

func TestParticipantsAreAddedListedAndRemoved(t *testing.T) {
	t.Parallel()
	f := setup(t)
	c := f.inProgress("Fence repair")
	owner := f.w.RiveraOwner

	jordan, err := f.addParticipant(f.staff, cases.AddParticipantInput{CaseID: c.Number, Role: cases.OwnerContact, UserID: owner.UserID}, "p1")
	if err != nil {
		t.Fatal(err)
	}
	if jordan.Name != "jordan@rivera.test" || jordan.UserID == nil || *jordan.UserID != owner.UserID || jordan.CaseID != c.ID {
		t.Fatalf("user participant %+v", jordan)
	}
	// Staff of the engaged operator are users of this case too.
	if _, err := f.addParticipant(f.staff, cases.AddParticipantInput{CaseID: c.ID, Role: cases.StaffRole, UserID: f.w.Lead}, "p2"); err != nil {
		t.Fatal(err)
	}
	vendor, err := f.addParticipant(f.Principal(f.w.Admin, f.w.Rivera.ID), cases.AddParticipantInput{CaseID: c.ID, Role: cases.VendorContact,
		Name: " Sam Ortiz ", Email: "sam@fences.example", Phone: "+1 512 555 0100", OrganizationName: "Austin Fences"}, "p3")
	if err != nil {
		t.Fatal(err)
	}
	if vendor.Name != "Sam Ortiz" || vendor.UserID != nil || vendor.OrganizationName != "Austin Fences" {
		t.Fatalf("external participant %+v", vendor)
	}

	// The same user in the same role twice is a CONFLICT naming the first;
	// another role is another participation. A retry with the same key
	// replays the first answer.
	_, err = f.addParticipant(f.staff, cases.AddParticipantInput{CaseID: c.ID, Role: cases.OwnerContact, UserID: owner.UserID}, "p4")
	wantCode(t, err, apperr.Conflict)
	if !strings.Contains(err.Error(), jordan.ID) {
		t.Fatalf("conflict does not name the participant: %v", err)
	}
	replay, err := f.addParticipant(f.staff, cases.AddParticipantInput{CaseID: c.Number, Role: cases.OwnerContact, UserID: owner.UserID}, "p1")
	if err != nil || replay.ID != jordan.ID {
		t.Fatalf("replay %+v %v", replay, err)
	}
	if _, err := f.addParticipant(f.staff, cases.AddParticipantInput{CaseID: c.ID, Role: cases.Tenant, UserID: owner.UserID}, "p5"); err != nil {
		t.Fatal(err)
	}

	// The owner side sees them, in the order they were added.
	list, err := f.participants(owner, c.Number)
	if err != nil {
		t.Fatal(err)
	}
	var roles []string
	for _, p := range list.Items {
		roles = append(roles, string(p.Role))
	}
	if strings.Join(roles, ",") != "OWNER_CONTACT,STAFF,VENDOR_CONTACT,TENANT" || list.CaseID != c.ID {
		t.Fatalf("participants %v", roles)
	}

	removed, err := testkit.Call[cases.Participant](f.Bundle, f.staff, "case/v1/removeParticipant", cases.RemoveParticipantInput{ID: vendor.ID}, "r1")
	if err != nil || removed.ID != vendor.ID {
		t.Fatalf("remove %+v %v", removed, err)
	}
	_, err = testkit.Call[cases.Participant](f.Bundle, f.staff, "case/v1/removeParticipant", cases.RemoveParticipantInput{ID: vendor.ID}, "r2")
	wantCode(t, err, apperr.NotFound)
	if list, _ := f.participants(f.staff, c.ID); len(list.Items) != 3 {
		t.Fatalf("after removal: %+v", list.Items)
	}

	// Every change is an activity event on the case, attributed to its actor.
	var verbs []string
	err = f.DB.InTenant(f.Ctx, f.w.Rivera.ID, func(q db.Querier) error {
		events, err := activity.ForEntity(f.Ctx, q, "case", c.ID)
		for _, e := range events {
			if strings.HasPrefix(e.Verb, "participant_") {
				verbs = append(verbs, e.Verb+":"+e.ActorID)
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"participant_added:" + f.w.Staff, "participant_added:" + f.w.Staff, "participant_added:" + f.w.Admin,
		"participant_added:" + f.w.Staff, "participant_removed:" + f.w.Staff}
	if strings.Join(verbs, ",") != strings.Join(want, ",") {
		t.Fatalf("events %v, want %v", verbs, want)
	}
}

func TestParticipantRefusals(t *testing.T) {
	t.Parallel()
	f := setup(t)
	c := f.inProgress("Gutter")
	owner := f.w.RiveraOwner
	vendor, err := f.addParticipant(f.staff, cases.AddParticipantInput{CaseID: c.ID, Role: cases.VendorContact, Name: "Gutter Pros"}, "v1")
	if err != nil {
		t.Fatal(err)
	}

	// The owner side views participants but does not change them.
	_, err = f.addParticipant(owner, cases.AddParticipantInput{CaseID: c.ID, Role: cases.Tenant, Name: "A tenant"}, "o1")
	wantCode(t, err, apperr.Forbidden)
	_, err = testkit.Call[cases.Participant](f.Bundle, owner, "case/v1/removeParticipant", cases.RemoveParticipantInput{ID: vendor.ID}, "o2")
	wantCode(t, err, apperr.Forbidden)

	// Another organization's case does not exist for anyone acting in this
	// one, nor for its own owner side acting elsewhere.
	oakStaff := f.Principal(f.w.Staff, f.w.Oak.ID)
	_, err = f.addParticipant(oakStaff, cases.AddParticipantInput{CaseID: c.ID, Role: cases.Tenant, Name: "x"}, "x1")
	wantCode(t, err, apperr.NotFound)
	_, err = f.addParticipant(oakStaff, cases.AddParticipantInput{CaseID: c.Number, Role: cases.Tenant, Name: "x"}, "x2")
	wantCode(t, err, apperr.NotFound)
	_, err = testkit.Call[cases.Participant](f.Bundle, oakStaff, "case/v1/removeParticipant", cases.RemoveParticipantInput{ID: vendor.ID}, "x3")
	wantCode(t, err, apperr.NotFound)
	_, err = f.participants(f.w.ChenOwner, c.ID)
	wantCode(t, err, apperr.NotFound)
	_, err = f.participants(f.w.OakAgent, c.ID)
	wantCode(t, err, apperr.NotFound)

	// Bad input, each field named; a user must belong to this organization
	// or be staff of its engaged operator (Chen's owner is neither).
	_, err = f.addParticipant(f.staff, cases.AddParticipantInput{CaseID: c.ID, Role: cases.Tenant}, "b1")
	wantFields(t, err, "name")
	_, err = f.addParticipant(f.staff, cases.AddParticipantInput{CaseID: c.ID, Role: cases.Tenant, UserID: owner.UserID,
		Email: "a@b.example", Phone: "1"}, "b2")
	wantFields(t, err, "email,phone")
	_, err = f.addParticipant(f.staff, cases.AddParticipantInput{CaseID: c.ID, Role: cases.Tenant, Name: "x", Email: "not-an-address"}, "b3")
	wantFields(t, err, "email")
	_, err = f.addParticipant(f.staff, cases.AddParticipantInput{CaseID: c.ID, Role: cases.Tenant, UserID: f.w.ChenOwner.UserID}, "b4")
	wantFields(t, err, "userId")
	_, err = testkit.Call[json.RawMessage](f.Bundle, f.staff, "case/v1/addParticipant",
		map[string]any{"caseId": c.ID, "role": "LANDLORD", "name": "x", "userId": "nope"}, "b5")
	wantFields(t, err, "role,userId")

	// Nothing is added to or taken from a terminal case.
	if _, err := f.move(f.staff, c.ID, "CANCELLED", "cancel"); err != nil {
		t.Fatal(err)
	}
	_, err = f.addParticipant(f.staff, cases.AddParticipantInput{CaseID: c.ID, Role: cases.Tenant, Name: "late"}, "t1")
	wantCode(t, err, apperr.Conflict)
	if !strings.Contains(err.Error(), "nothing can be added to a terminal case") {
		t.Fatalf("terminal refusal says %q", err.Error())
	}
	_, err = testkit.Call[cases.Participant](f.Bundle, f.staff, "case/v1/removeParticipant", cases.RemoveParticipantInput{ID: vendor.ID}, "t2")
	wantCode(t, err, apperr.Conflict)
	// The owner side is still refused for what it may not do at all.
	_, err = f.addParticipant(owner, cases.AddParticipantInput{CaseID: c.ID, Role: cases.Tenant, Name: "late"}, "t3")
	wantCode(t, err, apperr.Forbidden)
	if list, err := f.participants(owner, c.ID); err != nil || len(list.Items) != 1 {
		t.Fatalf("participants of the cancelled case: %+v %v", list.Items, err)
	}
}
