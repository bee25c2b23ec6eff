package cases_test

import (
	"sync"
	"testing"

	"github.com/hestami/concierge/internal/api"
	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/cases"
	"github.com/hestami/concierge/internal/listing"
	"github.com/hestami/concierge/internal/testkit"
)

func (f *fixture) assign(p authz.Principal, id, userID, key string) (cases.Case, error) {
	return testkit.Call[cases.Case](f.Bundle, p, "case/v1/assign", cases.AssignInput{ID: id, UserID: userID}, key)
}

func (f *fixture) claim(p authz.Principal, id, key string) (cases.Case, error) {
	return testkit.Call[cases.Case](f.Bundle, p, "case/v1/claim", api.GetInput{ID: id}, key)
}

func TestAssignOnlyToStaffOfAnEngagedOperator(t *testing.T) {
	t.Parallel()
	f := setup(t)
	c := f.open("Boiler")
	lead := f.Principal(f.w.Lead, f.w.Rivera.ID)
	admin := f.Principal(f.w.Admin, f.w.Rivera.ID)

	got, err := f.assign(lead, c.Number, f.w.Staff, "a1")
	if err != nil || got.AssigneeID == nil || *got.AssigneeID != f.w.Staff {
		t.Fatalf("assign: %+v %v", got.AssigneeID, err)
	}
	got, err = f.assign(admin, c.ID, f.w.Lead, "a2")
	if err != nil || *got.AssigneeID != f.w.Lead {
		t.Fatalf("admin assign: %+v %v", got.AssigneeID, err)
	}
	page, err := f.svc.List(f.Ctx, f.w.RiveraOwner, cases.ListInput{AssigneeID: f.w.Lead})
	if err != nil || len(page.Items) != 1 {
		t.Fatalf("list by assignee: %+v %v", page.Items, err)
	}

	// Not staff (the owner, the platform admin), staff of an operator Rivera
	// does not engage, and nobody at all: refused alike, naming the field.
	other := f.Org("Other concierge", "PLATFORM_OPERATOR")
	outsider := f.Member(other, "staff@other.test", "CONCIERGE_STAFF")
	for i, uid := range []string{f.w.RiveraOwner.UserID, f.w.Admin, outsider.UserID, "0b7c3f7e-9a4d-4d43-8f1e-000000000001"} {
		_, err := f.assign(lead, c.ID, uid, "bad"+string(rune('a'+i)))
		wantFields(t, err, "userId")
	}
	// Owner side and agents do not assign; other tenants find nothing.
	_, err = f.assign(f.w.RiveraOwner, c.ID, f.w.Staff, "o1")
	wantCode(t, err, apperr.Forbidden)
	_, err = f.assign(f.w.OakTrustee, c.ID, f.w.Staff, "o2")
	wantCode(t, err, apperr.NotFound)
	_, err = f.claim(admin, c.ID, "o3")
	wantCode(t, err, apperr.Forbidden)

	got, err = testkit.Call[cases.Case](f.Bundle, lead, "case/v1/unassign", api.GetInput{ID: c.ID}, "u1")
	if err != nil || got.AssigneeID != nil {
		t.Fatalf("unassign: %+v %v", got.AssigneeID, err)
	}

	// A terminal case keeps its last assignee.
	if _, err := f.move(f.w.RiveraOwner, c.ID, "CANCELLED", "cancel"); err != nil {
		t.Fatal(err)
	}
	_, err = f.assign(lead, c.ID, f.w.Staff, "late")
	wantCode(t, err, apperr.Conflict)
}

func TestConcurrentClaimsHaveOneWinner(t *testing.T) {
	t.Parallel()
	f := setup(t)
	c := f.open("Mold")
	claimers := []authz.Principal{f.staff, f.Principal(f.w.Lead, f.w.Rivera.ID)}
	errs := make([]error, len(claimers))
	var wg sync.WaitGroup
	for i, p := range claimers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = f.claim(p, c.ID, "race")
		}()
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch apperr.CodeOf(err) {
		case "":
			won++
		case apperr.Conflict:
		default:
			t.Fatal(err)
		}
	}
	if won != 1 {
		t.Fatalf("%d claims won: %v", won, errs)
	}
	got, err := f.svc.Get(f.Ctx, f.staff, c.ID)
	if err != nil || got.AssigneeID == nil {
		t.Fatalf("after the race: %+v %v", got, err)
	}
	// Claiming one's own case again is a no-op success; the other claimer
	// must ask for a reassignment.
	winner := *got.AssigneeID
	for _, p := range claimers {
		_, err := f.claim(p, c.ID, "again-"+p.UserID)
		if p.UserID == winner && err != nil {
			t.Fatal(err)
		}
		if p.UserID != winner {
			wantCode(t, err, apperr.Conflict)
		}
	}
	page, err := testkit.Call[listing.Page[cases.Case]](f.Bundle, f.staff, "case/v1/list", cases.ListInput{AssigneeID: winner}, "")
	if err != nil || len(page.Items) != 1 {
		t.Fatalf("list: %+v %v", page.Items, err)
	}
}
