package delegation_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hestami/concierge/internal/api"
	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/cases"
	"github.com/hestami/concierge/internal/delegation"
	"github.com/hestami/concierge/internal/intent"
	"github.com/hestami/concierge/internal/listing"
	"github.com/hestami/concierge/internal/money"
	"github.com/hestami/concierge/internal/property"
	"github.com/hestami/concierge/internal/statemachine/statemachinetest"
	"github.com/hestami/concierge/internal/testkit"
)

func TestMain(m *testing.M) { testkit.Main(m) }

type fixture struct {
	*testkit.Bundle
	w              *testkit.World
	owner          authz.Principal // an OWNER of Oak
	agent          authz.Principal // Oak's delegated agent
	granted, other string          // Oak properties: one the grants cover, one they never do
	n              int
}

func setup(t *testing.T) *fixture {
	t.Helper()
	b := testkit.Setup(t)
	w := b.NewWorld()
	f := &fixture{Bundle: b, w: w, owner: b.Member(w.Oak, "owner@oak.test", "OWNER"), agent: w.OakAgent}
	f.granted = b.NewProperty(f.owner, "Oak granted").ID
	f.other = b.NewProperty(f.owner, "Oak not granted").ID
	return f
}

func (f *fixture) key() string {
	f.n++
	return fmt.Sprint("k", f.n)
}

func usd(amount string) *money.Money { return &money.Money{Amount: amount, Currency: "USD"} }

func (f *fixture) grant(p authz.Principal, in delegation.GrantInput) (delegation.Delegation, error) {
	f.T.Helper()
	return testkit.Call[delegation.Delegation](f.Bundle, p, "delegation/v1/grant", in, f.key())
}

// active grants and accepts in, failing the test on any error.
func (f *fixture) active(in delegation.GrantInput) delegation.Delegation {
	f.T.Helper()
	d, err := f.grant(f.owner, in)
	if err != nil {
		f.T.Fatalf("grant: %v", err)
	}
	if d, err = f.accept(f.agent, d.ID); err != nil || d.Status != delegation.Active {
		f.T.Fatalf("accept: %+v %v", d, err)
	}
	return d
}

func (f *fixture) caseManagement(limit *money.Money) delegation.GrantInput {
	return delegation.GrantInput{DelegateID: f.agent.UserID, PropertyIDs: []string{f.granted},
		AuthorityTypes: []delegation.AuthorityType{"CASE_MANAGEMENT"}, Limit: limit}
}

func (f *fixture) accept(p authz.Principal, id string) (delegation.Delegation, error) {
	return testkit.Call[delegation.Delegation](f.Bundle, p, "delegation/v1/accept", delegation.AcceptInput{ID: id}, f.key())
}

func (f *fixture) revoke(p authz.Principal, id string) (delegation.Delegation, error) {
	return testkit.Call[delegation.Delegation](f.Bundle, p, "delegation/v1/revoke", delegation.RevokeInput{ID: id, Reason: "done"}, f.key())
}

func (f *fixture) submit(p authz.Principal, propertyID string, budget *money.Money) (intent.Intent, error) {
	in := intent.SubmitInput{PropertyID: propertyID, Text: "the kitchen faucet is dripping"}
	if budget != nil {
		in.Constraints = &intent.Constraints{BudgetCeiling: budget}
	}
	return testkit.Call[intent.Intent](f.Bundle, p, "intent/v1/submit", in, f.key())
}

func wantCode(t *testing.T, err error, code apperr.Code, contains ...string) {
	t.Helper()
	if apperr.CodeOf(err) != code {
		t.Fatalf("got %v, want %s", err, code)
	}
	for _, s := range contains {
		if !strings.Contains(apperr.From(err).Message, s) {
			t.Fatalf("message %q does not say %q", apperr.From(err).Message, s)
		}
	}
}

func (f *fixture) propertiesSeenBy(p authz.Principal) []string {
	f.T.Helper()
	page, err := testkit.Call[listing.Page[property.Property]](f.Bundle, p, "property/v1/list", property.ListInput{}, "")
	if err != nil {
		f.T.Fatal(err)
	}
	var ids []string
	for _, it := range page.Items {
		ids = append(ids, it.ID)
	}
	return ids
}

func TestStatusTableAgainstTheSpec(t *testing.T) {
	t.Parallel()
	statemachinetest.CheckPairs(t, delegation.Transitions, delegation.Statuses.Values(), map[delegation.Status]map[delegation.Status]bool{
		"PENDING_ACCEPTANCE": {"ACTIVE": true, "REVOKED": true, "EXPIRED": true},
		"ACTIVE":             {"REVOKED": true, "EXPIRED": true},
		"REVOKED":            {},
		"EXPIRED":            {},
	})
}

// The grant allows exactly what it says, where it says, up to its limit,
// and only once accepted.
func TestAGrantIsEnforcedOnEveryAction(t *testing.T) {
	t.Parallel()
	f := setup(t)
	if got := f.propertiesSeenBy(f.agent); len(got) != 0 {
		t.Fatalf("an agent without a grant sees properties %v", got)
	}
	d, err := f.grant(f.owner, f.caseManagement(usd("5000.00")))
	if err != nil || d.Status != delegation.PendingAcceptance || d.Limit.String() != "5000.00 USD" {
		t.Fatalf("grant: %+v %v", d, err)
	}
	// Pending: nothing yet.
	_, err = f.submit(f.agent, f.granted, nil)
	wantCode(t, err, apperr.Forbidden)
	if got := f.propertiesSeenBy(f.agent); len(got) != 0 {
		t.Fatalf("a pending grant shows properties %v", got)
	}

	if d, err = f.accept(f.agent, d.ID); err != nil || d.Status != delegation.Active || d.AcceptedAt == nil {
		t.Fatalf("accept: %+v %v", d, err)
	}
	if got := f.propertiesSeenBy(f.agent); len(got) != 1 || got[0] != f.granted {
		t.Fatalf("agent sees %v, want only %s", got, f.granted)
	}
	_, err = testkit.Call[property.Property](f.Bundle, f.agent, "property/v1/get", api.GetInput{ID: f.other}, "")
	wantCode(t, err, apperr.NotFound)

	// Within the limit, on the granted property.
	in, err := f.submit(f.agent, f.granted, usd("4000.00"))
	if err != nil || in.Status != intent.Submitted {
		t.Fatalf("submit under the limit: %+v %v", in, err)
	}
	if _, err := f.submit(f.agent, f.granted, usd("5000.00")); err != nil {
		t.Fatalf("submit at the limit: %v", err)
	}
	// Over it: refused, naming the limit.
	_, err = f.submit(f.agent, f.granted, usd("6000.00"))
	wantCode(t, err, apperr.Forbidden, "6000.00 USD is over the delegated limit of 5000.00 USD")
	// Another currency is not comparable: refused, not converted.
	_, err = f.submit(f.agent, f.granted, &money.Money{Amount: "10.00", Currency: "EUR"})
	wantCode(t, err, apperr.Forbidden, "over the delegated limit of 5000.00 USD")
	// Another property: refused, naming the missing grant.
	_, err = f.submit(f.agent, f.other, nil)
	wantCode(t, err, apperr.Forbidden, "no active CASE_MANAGEMENT grant covers this property")

	// A case on the granted property is the agent's to see and open; the
	// owner's case on the other property is not even visible.
	mine, err := testkit.Call[cases.Case](f.Bundle, f.agent, "case/v1/create",
		cases.CreateInput{PropertyID: f.granted, Title: "Faucet"}, f.key())
	if err != nil {
		t.Fatalf("agent opens a case: %v", err)
	}
	theirs, err := testkit.Call[cases.Case](f.Bundle, f.owner, "case/v1/create",
		cases.CreateInput{PropertyID: f.other, Title: "Roof"}, f.key())
	if err != nil {
		t.Fatal(err)
	}
	_, err = testkit.Call[cases.Case](f.Bundle, f.agent, "case/v1/get", api.GetInput{ID: theirs.ID}, "")
	wantCode(t, err, apperr.NotFound)
	list, err := testkit.Call[listing.Page[cases.Case]](f.Bundle, f.agent, "case/v1/list", cases.ListInput{}, "")
	if err != nil || len(list.Items) != 1 || list.Items[0].ID != mine.ID {
		t.Fatalf("agent's case list: %+v %v", list.Items, err)
	}
	// Concierge work is never the agent's, whatever the grant.
	_, err = testkit.Call[json.RawMessage](f.Bundle, f.agent, "case/v1/claim", api.GetInput{ID: mine.ID}, f.key())
	wantCode(t, err, apperr.Forbidden)
}

func TestFullAuthorityCoversCaseManagementAndOtherTypesDoNot(t *testing.T) {
	t.Parallel()
	f := setup(t)
	in := f.caseManagement(nil)
	in.AuthorityTypes = []delegation.AuthorityType{"VENDOR_SELECTION", "DOCUMENT_ACCESS"}
	f.active(in)
	// Any grant in force shows the property; only the right type acts.
	if got := f.propertiesSeenBy(f.agent); len(got) != 1 {
		t.Fatalf("agent sees %v", got)
	}
	_, err := f.submit(f.agent, f.granted, nil)
	wantCode(t, err, apperr.Forbidden, "no active CASE_MANAGEMENT grant")

	in.AuthorityTypes = []delegation.AuthorityType{"FULL_AUTHORITY"}
	f.active(in)
	if _, err := f.submit(f.agent, f.granted, usd("999999.99")); err != nil {
		t.Fatalf("full authority without a limit: %v", err)
	}
}

// Expiry takes effect at the instant it passes: no job runs in this test.
func TestExpiryTakesEffectAtTheInstant(t *testing.T) {
	t.Parallel()
	f := setup(t)
	in := f.caseManagement(nil)
	soon := time.Now().Add(time.Hour)
	in.ExpiresAt = &soon
	d := f.active(in)
	if _, err := f.submit(f.agent, f.granted, nil); err != nil {
		t.Fatalf("before expiry: %v", err)
	}
	// Move the expiry into the past, as the passing of an hour would.
	if _, err := f.DB.Owner.Exec(f.Ctx, `UPDATE delegations SET expires_at = now() - interval '1 second' WHERE id = $1`, d.ID); err != nil {
		t.Fatal(err)
	}
	_, err := f.submit(f.agent, f.granted, nil)
	wantCode(t, err, apperr.Forbidden)
	if got := f.propertiesSeenBy(f.agent); len(got) != 0 {
		t.Fatalf("after expiry the agent sees %v", got)
	}
	got, err := testkit.Call[delegation.Delegation](f.Bundle, f.owner, "delegation/v1/get", api.GetInput{ID: d.ID}, "")
	if err != nil || got.Status != delegation.Expired {
		t.Fatalf("get after expiry: %+v %v", got, err)
	}
	_, err = f.revoke(f.owner, d.ID)
	wantCode(t, err, apperr.InvalidTransition, "EXPIRED is final", "it expired at")
	page, err := testkit.Call[listing.Page[delegation.Delegation]](f.Bundle, f.owner, "delegation/v1/list",
		delegation.ListInput{Status: []delegation.Status{delegation.Expired}}, "")
	if err != nil || len(page.Items) != 1 {
		t.Fatalf("list EXPIRED: %+v %v", page.Items, err)
	}

	// A pending grant that expires can no longer be accepted.
	pending, err := f.grant(f.owner, in)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.DB.Owner.Exec(f.Ctx, `UPDATE delegations SET expires_at = now() WHERE id = $1`, pending.ID); err != nil {
		t.Fatal(err)
	}
	_, err = f.accept(f.agent, pending.ID)
	wantCode(t, err, apperr.InvalidTransition, "EXPIRED")
}

func TestRevocationStopsAtOnce(t *testing.T) {
	t.Parallel()
	f := setup(t)
	d := f.active(f.caseManagement(nil))
	if _, err := f.submit(f.agent, f.granted, nil); err != nil {
		t.Fatal(err)
	}
	r, err := f.revoke(f.owner, d.ID)
	if err != nil || r.Status != delegation.Revoked || r.RevokedBy == nil || *r.RevokedBy != f.owner.UserID {
		t.Fatalf("revoke: %+v %v", r, err)
	}
	_, err = f.submit(f.agent, f.granted, nil)
	wantCode(t, err, apperr.Forbidden)
	_, err = f.revoke(f.owner, d.ID)
	wantCode(t, err, apperr.InvalidTransition, "REVOKED is final")
	_, err = f.accept(f.agent, d.ID)
	wantCode(t, err, apperr.InvalidTransition)
}

func TestWhoMayGrantAcceptAndSee(t *testing.T) {
	t.Parallel()
	f := setup(t)
	in := f.caseManagement(nil)
	// Only an OWNER grants (domain.md §10): not a trustee, co-owner, the
	// agent itself or concierge staff.
	coOwner := f.Member(f.w.Oak, "co@oak.test", "CO_OWNER")
	for name, p := range map[string]authz.Principal{
		"trustee": f.w.OakTrustee, "co-owner": coOwner, "agent": f.agent, "staff": f.Principal(f.w.Staff, f.w.Oak.ID),
	} {
		_, err := f.grant(p, in)
		if apperr.CodeOf(err) != apperr.Forbidden {
			t.Errorf("%s grants: %v, want FORBIDDEN", name, err)
		}
	}
	// A platform admin may.
	if _, err := f.grant(f.Principal(f.w.Admin, f.w.Oak.ID), in); err != nil {
		t.Fatalf("admin grants: %v", err)
	}

	d, err := f.grant(f.owner, in)
	if err != nil {
		t.Fatal(err)
	}
	// Only its delegate accepts it; another agent does not even see it.
	otherAgent := f.Member(f.w.Oak, "agent2@oak.test", "DELEGATED_AGENT")
	_, err = f.accept(otherAgent, d.ID)
	wantCode(t, err, apperr.NotFound)
	_, err = f.accept(f.owner, d.ID)
	wantCode(t, err, apperr.Forbidden)
	// Staff see the grants of an engaged organization; another tenant sees nothing.
	if _, err := testkit.Call[delegation.Delegation](f.Bundle, f.Principal(f.w.Staff, f.w.Oak.ID), "delegation/v1/get", api.GetInput{ID: d.ID}, ""); err != nil {
		t.Fatalf("staff get: %v", err)
	}
	_, err = testkit.Call[delegation.Delegation](f.Bundle, f.w.RiveraOwner, "delegation/v1/get", api.GetInput{ID: d.ID}, "")
	wantCode(t, err, apperr.NotFound)
	page, err := testkit.Call[listing.Page[delegation.Delegation]](f.Bundle, otherAgent, "delegation/v1/list", delegation.ListInput{}, "")
	if err != nil || len(page.Items) != 0 {
		t.Fatalf("another agent lists %+v %v", page.Items, err)
	}
	page, err = testkit.Call[listing.Page[delegation.Delegation]](f.Bundle, f.agent, "delegation/v1/list", delegation.ListInput{}, "")
	if err != nil || len(page.Items) != 2 {
		t.Fatalf("the delegate lists %+v %v, want its 2 grants", page.Items, err)
	}
}

func TestGrantRefusesBadInput(t *testing.T) {
	t.Parallel()
	f := setup(t)
	past := time.Now().Add(-time.Minute)
	riveraProp := f.NewProperty(f.w.RiveraOwner, "Rivera home").ID
	for name, tc := range map[string]struct {
		edit  func(*delegation.GrantInput)
		field string
	}{
		"not an agent":     {func(in *delegation.GrantInput) { in.DelegateID = f.w.OakTrustee.UserID }, "delegateId"},
		"to oneself":       {func(in *delegation.GrantInput) { in.DelegateID = f.owner.UserID }, "delegateId"},
		"unknown property": {func(in *delegation.GrantInput) { in.PropertyIDs = []string{"00000000-0000-4000-8000-000000000000"} }, "propertyIds"},
		"another tenant's": {func(in *delegation.GrantInput) { in.PropertyIDs = []string{riveraProp} }, "propertyIds"},
		"no property":      {func(in *delegation.GrantInput) { in.PropertyIDs = nil }, "propertyIds"},
		"no type":          {func(in *delegation.GrantInput) { in.AuthorityTypes = nil }, "authorityTypes"},
		"unknown type":     {func(in *delegation.GrantInput) { in.AuthorityTypes = []delegation.AuthorityType{"EVERYTHING"} }, "authorityTypes[0]"},
		"expired already":  {func(in *delegation.GrantInput) { in.ExpiresAt = &past }, "expiresAt"},
		"zero limit":       {func(in *delegation.GrantInput) { in.Limit = usd("0") }, "limit.amount"},
		"float-looking":    {func(in *delegation.GrantInput) { in.Limit = usd("5e3") }, "limit.amount"},
		"lower-case ccy":   {func(in *delegation.GrantInput) { in.Limit = &money.Money{Amount: "1", Currency: "usd"} }, "limit.currency"},
	} {
		in := f.caseManagement(nil)
		tc.edit(&in)
		_, err := f.grant(f.owner, in)
		e := apperr.From(err)
		if e == nil || e.Code != apperr.Validation || len(e.Fields) == 0 || e.Fields[0].Field != tc.field {
			t.Errorf("%s: got %+v, want a field error on %s", name, e, tc.field)
		}
	}
	var n int
	if err := f.DB.Owner.QueryRow(f.Ctx, `SELECT count(*) FROM delegations`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("refused grants wrote %d rows (%v)", n, err)
	}
}

// An act and the revoke it races are ordered by the grant's row lock: the
// act waits for the revoke's transaction and then sees the grant revoked,
// never acting under a grant already revoked.
func TestAnActRacingARevokeSeesTheRevoke(t *testing.T) {
	t.Parallel()
	f := setup(t)
	d := f.active(f.caseManagement(nil))
	// The revoke, in flight: the row is updated, not yet committed.
	tx, err := f.DB.Owner.Begin(f.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(f.Ctx)
	if _, err := tx.Exec(f.Ctx, `UPDATE delegations SET status = 'REVOKED', revoked_at = now() WHERE id = $1`, d.ID); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := f.submit(f.agent, f.granted, nil)
		done <- err
	}()
	// The act must wait on the grant's lock (it would read the old, ACTIVE
	// row without waiting if it did not lock it).
	if err := f.AwaitLockWaiters(1); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(f.Ctx); err != nil {
		t.Fatal(err)
	}
	wantCode(t, <-done, apperr.Forbidden)
}

// The durable status change reads the grants in its own transaction: an
// agent under CASE_MANAGEMENT cancels a case in INTAKE as the owner side
// may, and after the revoke it may not.
func TestTheDurableStatusChangeJudgesTheGrantsItReads(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.Cases() // status changes are durable workflows
	d := f.active(f.caseManagement(nil))
	open := func(title string) cases.Case {
		c, err := testkit.Call[cases.Case](f.Bundle, f.agent, "case/v1/create", cases.CreateInput{PropertyID: f.granted, Title: title}, f.key())
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	first, second := open("Faucet"), open("Porch light")
	c, err := testkit.Call[cases.Case](f.Bundle, f.agent, "case/v1/updateStatus",
		cases.UpdateStatusInput{ID: first.ID, Status: cases.Cancelled, Reason: "fixed it myself"}, f.key())
	if err != nil || c.Status != cases.Cancelled {
		t.Fatalf("agent cancels in INTAKE: %+v %v", c, err)
	}
	if _, err := f.revoke(f.owner, d.ID); err != nil {
		t.Fatal(err)
	}
	_, err = testkit.Call[cases.Case](f.Bundle, f.agent, "case/v1/updateStatus",
		cases.UpdateStatusInput{ID: second.ID, Status: cases.Cancelled, Reason: "never mind"}, f.key())
	wantCode(t, err, apperr.NotFound)
}
