package ownership_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/hestami/concierge/internal/activity"
	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/db"
	"github.com/hestami/concierge/internal/listing"
	"github.com/hestami/concierge/internal/ownership"
	"github.com/hestami/concierge/internal/testkit"
)

func TestMain(m *testing.M) { testkit.Main(m) }

type fixture struct {
	*testkit.Bundle
	w    *testkit.World
	prop string // a Rivera property
	n    int    // idempotency keys
}

func setup(t *testing.T) *fixture {
	t.Helper()
	b := testkit.Setup(t)
	w := b.NewWorld()
	return &fixture{Bundle: b, w: w, prop: b.NewProperty(w.RiveraOwner, "Rivera home").ID}
}

func (f *fixture) key() string {
	f.n++
	return fmt.Sprint("k", f.n)
}

func pct(s string) *ownership.Percent { v := ownership.Percent(s); return &v }

func (f *fixture) add(p authz.Principal, in ownership.AddInput) (ownership.Ownership, error) {
	f.T.Helper()
	return testkit.Call[ownership.Ownership](f.Bundle, p, "ownership/v1/add", in, f.key())
}

func (f *fixture) mustAdd(p authz.Principal, in ownership.AddInput) ownership.Ownership {
	f.T.Helper()
	o, err := f.add(p, in)
	if err != nil {
		f.T.Fatalf("add %+v: %v", in, err)
	}
	return o
}

// external is an ACTIVE record of an external person on the fixture's property.
func (f *fixture) external(name string, role ownership.Role, percent string) ownership.AddInput {
	in := ownership.AddInput{PropertyID: f.prop, Party: ownership.Party{Name: name}, Role: role}
	if percent != "" {
		in.Percentage = pct(percent)
	}
	return in
}

func (f *fixture) update(p authz.Principal, in ownership.UpdateInput) (ownership.Ownership, error) {
	f.T.Helper()
	return testkit.Call[ownership.Ownership](f.Bundle, p, "ownership/v1/update", in, f.key())
}

func (f *fixture) remove(p authz.Principal, id string) (ownership.Ownership, error) {
	f.T.Helper()
	return testkit.Call[ownership.Ownership](f.Bundle, p, "ownership/v1/remove", ownership.RemoveInput{ID: id}, f.key())
}

func (f *fixture) list(p authz.Principal, propertyID string) []ownership.Ownership {
	f.T.Helper()
	page, err := testkit.Call[listing.Page[ownership.Ownership]](f.Bundle, p, "ownership/v1/list", ownership.ListInput{PropertyID: propertyID}, "")
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

func TestAddListUpdateRemove(t *testing.T) {
	t.Parallel()
	f := setup(t)
	owner := f.w.RiveraOwner
	me := f.mustAdd(owner, ownership.AddInput{PropertyID: f.prop, Party: ownership.Party{UserID: owner.UserID},
		Role: ownership.Owner, Percentage: pct("50"), EffectiveFrom: ptr(ownership.Date("2020-01-15"))})
	if me.Status != ownership.Active || *me.Percentage != "50" || me.Party.UserID != owner.UserID || me.EffectiveFrom != "2020-01-15" ||
		me.EffectiveTo != nil || me.CreatedBy != owner.UserID || me.OrganizationID != f.w.Rivera.ID {
		t.Fatalf("added %+v", me)
	}
	sis := f.mustAdd(owner, ownership.AddInput{PropertyID: f.prop, Party: ownership.Party{Name: " Ana Rivera ", Email: "Ana@Example.test"},
		Role: ownership.CoOwner, Status: ownership.PendingVerification, Percentage: pct("33.33")})
	if sis.Party.Name != "Ana Rivera" || sis.Party.Email != "ana@example.test" || sis.Status != ownership.PendingVerification ||
		*sis.Percentage != "33.33" || sis.EffectiveFrom == "" {
		t.Fatalf("added %+v", sis)
	}

	// Owners and engaged staff see both, oldest first; the admin too.
	for _, p := range []authz.Principal{owner, f.Principal(f.w.Staff, f.w.Rivera.ID), f.Principal(f.w.Admin, f.w.Rivera.ID)} {
		got := f.list(p, f.prop)
		if len(got) != 2 || got[0].ID != me.ID || got[1].ID != sis.ID {
			t.Fatalf("%v lists %+v", p.Roles, got)
		}
	}

	// Verified, then a larger share, then without any stated share.
	sis, err := f.update(owner, ownership.UpdateInput{ID: sis.ID, Status: ptr(ownership.Active), Percentage: pct("50.00")})
	if err != nil || sis.Status != ownership.Active || *sis.Percentage != "50" {
		t.Fatalf("update: %+v %v", sis, err)
	}
	sis, err = f.update(owner, ownership.UpdateInput{ID: sis.ID, ClearPercentage: true, Role: ptr(ownership.TrusteeManager)})
	if err != nil || sis.Percentage != nil || sis.Role != ownership.TrusteeManager {
		t.Fatalf("update: %+v %v", sis, err)
	}
	// The admin of the engaged operator manages them as well.
	admin := f.Principal(f.w.Admin, f.w.Rivera.ID)
	sis, err = f.update(admin, ownership.UpdateInput{ID: sis.ID, EffectiveTo: ptr(ownership.Date("2099-12-31"))})
	if err != nil || *sis.EffectiveTo != "2099-12-31" {
		t.Fatalf("admin update: %+v %v", sis, err)
	}
	gone, err := f.remove(owner, sis.ID)
	if err != nil || gone.Status != ownership.Terminated || *gone.EffectiveTo != "2099-12-31" {
		t.Fatalf("remove: %+v %v", gone, err)
	}
	// Removal keeps the record; a filter on status finds it.
	page, err := testkit.Call[listing.Page[ownership.Ownership]](f.Bundle, owner, "ownership/v1/list",
		ownership.ListInput{PropertyID: f.prop, Status: []ownership.Status{ownership.Terminated}}, "")
	if err != nil || len(page.Items) != 1 || page.Items[0].ID != sis.ID {
		t.Fatalf("terminated: %+v %v", page.Items, err)
	}

	// Every change is an activity event with its actor, before and after.
	var events []activity.Entry
	err = f.DB.InTenant(f.Ctx, f.w.Rivera.ID, func(q db.Querier) error {
		var err error
		events, err = activity.ForEntity(f.Ctx, q, "ownership", sis.ID)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var verbs []string
	for _, e := range events {
		verbs = append(verbs, e.Verb+"/"+e.ActorID)
	}
	want := []string{"added/" + owner.UserID, "updated/" + owner.UserID, "updated/" + owner.UserID, "updated/" + f.w.Admin, "removed/" + owner.UserID}
	if strings.Join(verbs, " ") != strings.Join(want, " ") {
		t.Fatalf("events %v, want %v", verbs, want)
	}
	if last := events[len(events)-1]; !strings.Contains(string(last.Before), `"ACTIVE"`) || !strings.Contains(string(last.After), `"TERMINATED"`) {
		t.Fatalf("remove event %s → %s", last.Before, last.After)
	}
}

func ptr[T any](v T) *T { return &v }

func TestActivePercentagesNeverExceed100(t *testing.T) {
	t.Parallel()
	f := setup(t)
	owner := f.w.RiveraOwner
	a := f.mustAdd(owner, f.external("A", ownership.Owner, "60"))
	_, err := f.add(owner, f.external("B", ownership.CoOwner, "40.01"))
	wantField(t, err, "percentage", "remaining share of the property: 40 of 100")
	b := f.mustAdd(owner, f.external("B", ownership.CoOwner, "40"))

	// A pending record holds no share until it is ACTIVE.
	in := f.external("C", ownership.CoOwner, "10")
	in.Status = ownership.PendingVerification
	c := f.mustAdd(owner, in)
	_, err = f.update(owner, ownership.UpdateInput{ID: c.ID, Status: ptr(ownership.Active)})
	wantField(t, err, "percentage", "remaining share of the property: 0 of 100")
	// Nor does a suspended one: suspending B frees its 40, resuming it
	// needs them back.
	if _, err := f.update(owner, ownership.UpdateInput{ID: b.ID, Status: ptr(ownership.Suspended)}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.update(owner, ownership.UpdateInput{ID: c.ID, Status: ptr(ownership.Active), Percentage: pct("35.5")}); err != nil {
		t.Fatal(err)
	}
	_, err = f.update(owner, ownership.UpdateInput{ID: b.ID, Status: ptr(ownership.Active)})
	wantField(t, err, "percentage", "remaining share of the property: 4.5 of 100")
	// Growing an ACTIVE share counts the others, not its own old value.
	if _, err := f.update(owner, ownership.UpdateInput{ID: a.ID, Percentage: pct("64.5")}); err != nil {
		t.Fatal(err)
	}
	_, err = f.update(owner, ownership.UpdateInput{ID: a.ID, Percentage: pct("64.51")})
	wantField(t, err, "percentage", "remaining share of the property: 64.5 of 100")
	// Records without a percentage always fit.
	f.mustAdd(owner, f.external("D", ownership.TrusteeManager, ""))

	// Out-of-range and malformed shares are field errors.
	for _, bad := range []string{"0", "0.00", "100.01", "101"} {
		_, err := f.add(owner, f.external("E", ownership.CoOwner, bad))
		wantField(t, err, "percentage", "greater than 0 and at most 100")
	}
	for _, bad := range []string{"1.234", "-5", "1e2", "12.", " 5", "1000"} {
		_, err := f.add(owner, f.external("E", ownership.CoOwner, bad))
		wantCode(t, err, apperr.Validation)
		if fe := apperr.From(err).Fields; len(fe) == 0 || fe[0].Field != "percentage" {
			t.Fatalf("%q: %+v", bad, fe)
		}
	}
	// A number instead of a string is refused by the schema: no float path.
	_, err = testkit.Call[ownership.Ownership](f.Bundle, owner, "ownership/v1/add",
		map[string]any{"propertyId": f.prop, "party": map[string]any{"name": "F"}, "role": "CO_OWNER", "percentage": 5}, f.key())
	wantField(t, err, "percentage", "string")
}

func TestTheLastActiveOwnerStays(t *testing.T) {
	t.Parallel()
	f := setup(t)
	owner := f.w.RiveraOwner
	a := f.mustAdd(owner, f.external("A", ownership.Owner, ""))
	co := f.mustAdd(owner, f.external("Co", ownership.CoOwner, ""))
	wantRule := func(err error) {
		t.Helper()
		wantCode(t, err, apperr.Conflict)
		if !strings.Contains(err.Error(), "rule last-active-owner") {
			t.Fatalf("message %q does not name the rule", err)
		}
	}
	_, err := f.remove(owner, a.ID)
	wantRule(err)
	_, err = f.update(owner, ownership.UpdateInput{ID: a.ID, Status: ptr(ownership.Suspended)})
	wantRule(err)
	_, err = f.update(owner, ownership.UpdateInput{ID: a.ID, Status: ptr(ownership.Terminated)})
	wantRule(err)
	_, err = f.update(owner, ownership.UpdateInput{ID: a.ID, Role: ptr(ownership.CoOwner)})
	wantRule(err)
	// Other records come and go freely.
	if _, err := f.remove(owner, co.ID); err != nil {
		t.Fatal(err)
	}
	// A pending or suspended OWNER is no ACTIVE one.
	in := f.external("B", ownership.Owner, "")
	in.Status = ownership.PendingVerification
	b := f.mustAdd(owner, in)
	_, err = f.remove(owner, a.ID)
	wantRule(err)
	// Once another OWNER is ACTIVE, the first may go.
	if _, err := f.update(owner, ownership.UpdateInput{ID: b.ID, Status: ptr(ownership.Active)}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.update(owner, ownership.UpdateInput{ID: a.ID, Status: ptr(ownership.Suspended)}); err != nil {
		t.Fatal(err)
	}
	_, err = f.remove(owner, b.ID)
	wantRule(err)
	// Nothing changed by the refusals.
	for _, o := range f.list(owner, f.prop) {
		if o.ID == b.ID && o.Status != ownership.Active {
			t.Fatalf("b is %s", o.Status)
		}
	}
}

func TestStatusMachineThroughThePipeline(t *testing.T) {
	t.Parallel()
	f := setup(t)
	owner := f.w.RiveraOwner
	f.mustAdd(owner, f.external("Keeper", ownership.Owner, ""))
	in := f.external("P", ownership.CoOwner, "")
	in.Status = ownership.PendingVerification
	p := f.mustAdd(owner, in)
	_, err := f.update(owner, ownership.UpdateInput{ID: p.ID, Status: ptr(ownership.Suspended)})
	wantCode(t, err, apperr.InvalidTransition)
	if !strings.Contains(err.Error(), "allowed: ACTIVE, TERMINATED") {
		t.Fatalf("message %q", err)
	}
	// A record is never created suspended or terminated.
	for _, s := range []ownership.Status{ownership.Suspended, ownership.Terminated} {
		in := f.external("New", ownership.CoOwner, "")
		in.Status = s
		_, err := f.add(owner, in)
		wantField(t, err, "status", "starts ACTIVE or PENDING_VERIFICATION")
	}
	// TERMINATED is final: no status, no field, no second removal.
	if _, err := f.remove(owner, p.ID); err != nil {
		t.Fatal(err)
	}
	for _, u := range []ownership.UpdateInput{
		{ID: p.ID, Status: ptr(ownership.Active)},
		{ID: p.ID, Percentage: pct("5")},
	} {
		_, err := f.update(owner, u)
		wantCode(t, err, apperr.InvalidTransition)
	}
	_, err = f.remove(owner, p.ID)
	wantCode(t, err, apperr.InvalidTransition)
	if !strings.Contains(err.Error(), "TERMINATED is final") {
		t.Fatalf("message %q", err)
	}
}

func TestCrossFieldRulesAndOtherTenants(t *testing.T) {
	t.Parallel()
	f := setup(t)
	owner := f.w.RiveraOwner
	chenProp := f.NewProperty(f.w.ChenOwner, "Chen office").ID

	// Another tenant's property is no property of this organization.
	_, err := f.add(owner, ownership.AddInput{PropertyID: chenProp, Party: ownership.Party{Name: "X"}, Role: ownership.Owner})
	wantField(t, err, "propertyId", "no property of this organization")
	_, err = f.add(owner, ownership.AddInput{PropertyID: "6f1c2a7e-9d7b-4a4e-8f7a-0c1d2e3f4a5b", Party: ownership.Party{Name: "X"}, Role: ownership.Owner})
	wantField(t, err, "propertyId", "no property of this organization")
	// ... and its records are not found, whatever their id.
	chens := f.mustAdd(f.w.ChenOwner, ownership.AddInput{PropertyID: chenProp, Party: ownership.Party{UserID: f.w.ChenOwner.UserID}, Role: ownership.Owner})
	_, err = f.update(owner, ownership.UpdateInput{ID: chens.ID, Percentage: pct("1")})
	wantCode(t, err, apperr.NotFound)
	_, err = f.remove(owner, chens.ID)
	wantCode(t, err, apperr.NotFound)
	if got := f.list(owner, chenProp); len(got) != 0 {
		t.Fatalf("Rivera lists Chen's records: %+v", got)
	}

	// A party is a member of this organization or an external person, not both.
	_, err = f.add(owner, ownership.AddInput{PropertyID: f.prop, Party: ownership.Party{UserID: f.w.ChenOwner.UserID}, Role: ownership.Owner})
	wantField(t, err, "party.userId", "no member of this organization")
	_, err = f.add(owner, ownership.AddInput{PropertyID: f.prop, Party: ownership.Party{UserID: owner.UserID, Name: "Jordan"}, Role: ownership.Owner})
	wantField(t, err, "party", "not both")
	_, err = f.add(owner, ownership.AddInput{PropertyID: f.prop, Party: ownership.Party{Name: "  "}, Role: ownership.Owner})
	wantField(t, err, "party", "userId")
	_, err = f.add(owner, ownership.AddInput{PropertyID: f.prop, Party: ownership.Party{Name: "N", Email: "not-an-email"}, Role: ownership.Owner})
	wantField(t, err, "party.email", "email")
	// A user holds one live record per property and role.
	f.mustAdd(owner, ownership.AddInput{PropertyID: f.prop, Party: ownership.Party{UserID: owner.UserID}, Role: ownership.Owner})
	_, err = f.add(owner, ownership.AddInput{PropertyID: f.prop, Party: ownership.Party{UserID: owner.UserID}, Role: ownership.Owner})
	wantCode(t, err, apperr.Conflict)

	// Dates: the end is not before the start, both when given and after a change.
	in := f.external("D", ownership.CoOwner, "")
	in.EffectiveFrom, in.EffectiveTo = ptr(ownership.Date("2024-05-01")), ptr(ownership.Date("2024-04-30"))
	_, err = f.add(owner, in)
	wantField(t, err, "effectiveTo", "not be before effectiveFrom (2024-05-01)")
	in.EffectiveTo = ptr(ownership.Date("2024-05-01"))
	d := f.mustAdd(owner, in)
	_, err = f.update(owner, ownership.UpdateInput{ID: d.ID, EffectiveFrom: ptr(ownership.Date("2024-05-02"))})
	wantField(t, err, "effectiveTo", "not be before")
	in.EffectiveFrom = ptr(ownership.Date("0000-01-01"))
	in.EffectiveTo = nil
	_, err = f.add(owner, in)
	wantField(t, err, "effectiveFrom", "year 0001")
	in.EffectiveFrom = ptr(ownership.Date("2024-02-30"))
	_, err = f.add(owner, in)
	wantField(t, err, "effectiveFrom", "date")
	_, err = f.update(owner, ownership.UpdateInput{ID: d.ID, Percentage: pct("5"), ClearPercentage: true})
	wantField(t, err, "clearPercentage", "together")
}

func TestRolesThroughThePipeline(t *testing.T) {
	t.Parallel()
	f := setup(t)
	oakProp := f.NewProperty(f.w.OakTrustee, "Oak condo").ID
	// The trustee-manager manages its organization's records.
	rec, err := f.add(f.w.OakTrustee, ownership.AddInput{PropertyID: oakProp, Party: ownership.Party{Name: "Oak Trust beneficiary"}, Role: ownership.Owner})
	if err != nil {
		t.Fatal(err)
	}
	extra := ownership.AddInput{PropertyID: oakProp, Party: ownership.Party{Name: "Second"}, Role: ownership.CoOwner}

	// A delegated agent: nothing, and the records do not exist for it.
	_, err = f.add(f.w.OakAgent, extra)
	wantCode(t, err, apperr.Forbidden)
	if got := f.list(f.w.OakAgent, oakProp); len(got) != 0 {
		t.Fatalf("agent lists %+v", got)
	}
	_, err = f.update(f.w.OakAgent, ownership.UpdateInput{ID: rec.ID, Percentage: pct("1")})
	wantCode(t, err, apperr.NotFound)
	_, err = f.remove(f.w.OakAgent, rec.ID)
	wantCode(t, err, apperr.NotFound)

	// Engaged staff and leads view, and change nothing.
	for _, uid := range []string{f.w.Staff, f.w.Lead} {
		p := f.Principal(uid, f.w.Oak.ID)
		if got := f.list(p, oakProp); len(got) != 1 || got[0].ID != rec.ID {
			t.Fatalf("%v lists %+v", p.Roles, got)
		}
		_, err = f.add(p, extra)
		wantCode(t, err, apperr.Forbidden)
		_, err = f.update(p, ownership.UpdateInput{ID: rec.ID, Percentage: pct("1")})
		wantCode(t, err, apperr.Forbidden)
		_, err = f.remove(p, rec.ID)
		wantCode(t, err, apperr.Forbidden)
	}

	// The platform admin may do everything.
	admin := f.Principal(f.w.Admin, f.w.Oak.ID)
	second, err := f.add(admin, extra)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.remove(admin, second.ID); err != nil {
		t.Fatal(err)
	}

	// A co-owner is owner side too.
	co := f.Member(f.w.Oak, "co@oak.test", "CO_OWNER")
	if _, err := f.update(co, ownership.UpdateInput{ID: rec.ID, Percentage: pct("100")}); err != nil {
		t.Fatal(err)
	}
}

// lineUp makes the next write that takes a property lock hold it until
// waiters other transactions wait for a lock, so that the writes that
// follow really contend (a writer that skipped the lock would never wait,
// and the test would fail rather than pass by luck). Nothing is timed: it
// waits for a state of the database (pg_locks, which the owner role reads
// for every role, unlike the wait columns of pg_stat_activity).
func (f *fixture) lineUp(waiters int) {
	var once sync.Once
	ownership.SetAfterLock(f.App.Ownership, func() {
		once.Do(func() {
			if err := f.AwaitLockWaiters(waiters); err != nil {
				f.T.Errorf("the writers did not contend for the property lock: %v", err)
			}
		})
	})
}

// Concurrent adds that together exceed 100: exactly those that fit win,
// whatever the order, and each other one is told the share that remains.
func TestConcurrentAddsNeverExceed100(t *testing.T) {
	t.Parallel()
	f := setup(t)
	owner := f.w.RiveraOwner
	f.mustAdd(owner, f.external("First", ownership.Owner, "10"))
	const n = 8 // 8 × 25 against the 90 left: 3 fit, 15 remain
	f.lineUp(n - 1)
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = testkit.Call[ownership.Ownership](f.Bundle, owner, "ownership/v1/add",
				f.external(fmt.Sprint("Co ", i), ownership.CoOwner, "25"), fmt.Sprint("concurrent-", i))
		}()
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		if err == nil {
			won++
			continue
		}
		wantField(t, err, "percentage", "remaining share of the property: 15 of 100")
	}
	if won != 3 {
		t.Fatalf("%d adds succeeded, want 3: %v", won, errs)
	}
	total := 0
	for _, o := range f.list(owner, f.prop) {
		if o.Status == ownership.Active && o.Percentage != nil {
			var p int
			fmt.Sscan(string(*o.Percentage), &p)
			total += p
		}
	}
	if total != 85 {
		t.Fatalf("active total %d, want 85", total)
	}
}

// Two concurrent removals of a property's last two ACTIVE OWNERs: one wins,
// the other is refused by the rule.
func TestConcurrentRemovalsKeepAnOwner(t *testing.T) {
	t.Parallel()
	f := setup(t)
	owner := f.w.RiveraOwner
	for round := range 4 {
		prop := f.NewProperty(owner, fmt.Sprint("Home ", round)).ID
		a := f.mustAdd(owner, ownership.AddInput{PropertyID: prop, Party: ownership.Party{Name: "A"}, Role: ownership.Owner})
		b := f.mustAdd(owner, ownership.AddInput{PropertyID: prop, Party: ownership.Party{Name: "B"}, Role: ownership.Owner})
		f.lineUp(1)
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, id := range []string{a.ID, b.ID} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = testkit.Call[ownership.Ownership](f.Bundle, owner, "ownership/v1/remove",
					ownership.RemoveInput{ID: id}, fmt.Sprint("rm-", round, "-", i))
			}()
		}
		wg.Wait()
		var codes []string
		for _, err := range errs {
			codes = append(codes, string(apperr.CodeOf(err)))
		}
		sort.Strings(codes)
		if strings.Join(codes, ",") != ",CONFLICT" {
			t.Fatalf("round %d: outcomes %v (%v)", round, codes, errs)
		}
		active := 0
		for _, o := range f.list(owner, prop) {
			if o.Status == ownership.Active {
				active++
			}
		}
		if active != 1 {
			t.Fatalf("round %d: %d ACTIVE owners left", round, active)
		}
	}
}

// rawTx is a runtime-role transaction in org that bypasses the service, to
// show the trigger holds on its own.
func rawTx(t *testing.T, f *fixture) interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Commit(ctx context.Context) error
	Rollback(ctx context.Context) error
} {
	t.Helper()
	tx, err := f.DB.App.Begin(f.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tx.Rollback(context.Background()) }) //nolint:errcheck
	if _, err := tx.Exec(f.Ctx, `SELECT set_config('hestami.org_id', $1, true)`, f.w.Rivera.ID); err != nil {
		t.Fatal(err)
	}
	return tx
}

func constraintOf(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.ConstraintName
	}
	return ""
}

// The trigger is a wall of its own: a writer that skips the service's lock
// and checks still waits for the property's other writers and is refused
// once it sees what they committed. The second writer starts only after
// the first holds the lock, so the outcome does not depend on timing.
func TestTheTriggerHoldsWithoutTheService(t *testing.T) {
	t.Parallel()
	f := setup(t)
	owner := f.w.RiveraOwner
	a := f.mustAdd(owner, f.external("A", ownership.Owner, "50"))
	b := f.mustAdd(owner, f.external("B", ownership.Owner, "10"))
	insert := `INSERT INTO ownerships (organization_id, property_id, party_name, role, status, percentage, created_by)
		VALUES ($1, $2, $3, 'CO_OWNER', 'ACTIVE', $4, $5)`

	// Percentages: 40 remain; two writers of 30 each.
	t1 := rawTx(t, f)
	if _, err := t1.Exec(f.Ctx, insert, f.w.Rivera.ID, f.prop, "T1", "30", owner.UserID); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	t2 := rawTx(t, f)
	go func() {
		_, err := t2.Exec(f.Ctx, insert, f.w.Rivera.ID, f.prop, "T2", "30", owner.UserID)
		done <- err
	}()
	if err := t1.Commit(f.Ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; constraintOf(err) != "ownerships_active_percentage_total" {
		t.Fatalf("second writer: %v", err)
	}

	// Last owner: A and B are the ACTIVE OWNERs; each writer terminates one.
	terminate := `UPDATE ownerships SET status = 'TERMINATED' WHERE id = $1`
	t3 := rawTx(t, f)
	if _, err := t3.Exec(f.Ctx, terminate, a.ID); err != nil {
		t.Fatal(err)
	}
	t4 := rawTx(t, f)
	go func() {
		_, err := t4.Exec(f.Ctx, terminate, b.ID)
		done <- err
	}()
	if err := t3.Commit(f.Ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; constraintOf(err) != "ownerships_last_active_owner" {
		t.Fatalf("second writer: %v", err)
	}
	// The runtime role cannot delete a record at all.
	t5 := rawTx(t, f)
	_, err := t5.Exec(f.Ctx, `DELETE FROM ownerships WHERE id = $1`, b.ID)
	if apperr.CodeOf(db.MapError(err)) != apperr.Forbidden {
		t.Fatalf("delete: %v", err)
	}
}
