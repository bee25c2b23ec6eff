package intent_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/hestami/concierge/internal/activity"
	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/cases"
	"github.com/hestami/concierge/internal/db"
	"github.com/hestami/concierge/internal/intent"
	"github.com/hestami/concierge/internal/listing"
	"github.com/hestami/concierge/internal/testkit"
)

func TestMain(m *testing.M) { testkit.Main(m) }

type fixture struct {
	*testkit.Bundle
	w     *testkit.World
	prop  string // a Rivera property
	staff authz.Principal
	n     int
}

func setup(t *testing.T) *fixture {
	t.Helper()
	b := testkit.Setup(t)
	w := b.NewWorld()
	return &fixture{Bundle: b, w: w, prop: b.NewProperty(w.RiveraOwner, "Rivera home").ID, staff: b.Principal(w.Staff, w.Rivera.ID)}
}

func (f *fixture) key() string {
	f.n++
	return fmt.Sprint("k", f.n)
}

func (f *fixture) call(p authz.Principal, proc string, in any) (intent.Intent, error) {
	f.T.Helper()
	return testkit.Call[intent.Intent](f.Bundle, p, "intent/v1/"+proc, in, f.key())
}

func (f *fixture) must(p authz.Principal, proc string, in any) intent.Intent {
	f.T.Helper()
	i, err := f.call(p, proc, in)
	if err != nil {
		f.T.Fatalf("%s %+v: %v", proc, in, err)
	}
	return i
}

func (f *fixture) submit(text string) intent.Intent {
	f.T.Helper()
	return f.must(f.w.RiveraOwner, "submit", intent.SubmitInput{PropertyID: f.prop, Text: text})
}

func wantCode(t *testing.T, err error, code apperr.Code) {
	t.Helper()
	if apperr.CodeOf(err) != code {
		t.Fatalf("got %v (%s), want %s", err, apperr.CodeOf(err), code)
	}
}

func (f *fixture) events(orgID, id string) []activity.Entry {
	f.T.Helper()
	out, err := db.InTenantResult(f.Ctx, f.DB, orgID, func(q db.Querier) ([]activity.Entry, error) {
		return activity.ForEntity(f.Ctx, q, "intent", id)
	})
	if err != nil {
		f.T.Fatal(err)
	}
	return out
}

func TestSubmitClassifiesAndKeepsTheProposalApartFromTheOverride(t *testing.T) {
	t.Parallel()
	f := setup(t)
	owner := f.w.RiveraOwner
	budget := &intent.Constraints{BudgetCeiling: &intent.Money{Amount: "1500.50", Currency: "USD"},
		PreferredFrom: ptr(intent.Date("2026-12-10")), PreferredTo: ptr(intent.Date("2026-12-12")), AccessNotes: " key under the mat "}
	i := f.must(owner, "submit", intent.SubmitInput{PropertyID: f.prop, Text: "water is leaking through the kitchen ceiling", Constraints: budget})
	if i.Status != intent.Submitted || i.Proposal == nil || i.Proposal.Category != "REPAIR" || i.Proposal.Priority != "HIGH" ||
		i.Category != "REPAIR" || i.Priority != "HIGH" || i.Proposal.Classifier == "" || i.Proposal.Version == "" ||
		len(i.Proposal.Cues) == 0 || i.Proposal.Confidence <= 0 || i.ProposedAt == nil || i.Override != nil {
		t.Fatalf("submitted %+v proposal %+v", i, i.Proposal)
	}
	seen := map[string]bool{}
	for _, c := range i.Proposal.Cues {
		if k := c.Phrase + "|" + c.Rule; seen[k] {
			t.Fatalf("cue %+v counted twice: %+v", c, i.Proposal.Cues)
		} else {
			seen[k] = true
		}
	}
	if i.Title != "water is leaking through the kitchen ceiling" || i.SubmittedBy == nil || *i.SubmittedBy != owner.UserID {
		t.Fatalf("title %q submittedBy %v", i.Title, i.SubmittedBy)
	}
	if c := i.Constraints; c.BudgetCeiling.Amount != "1500.50" || c.BudgetCeiling.Currency != "USD" || *c.PreferredFrom != "2026-12-10" ||
		*c.PreferredTo != "2026-12-12" || c.AccessNotes != "key under the mat" {
		t.Fatalf("constraints %+v %+v", c, c.BudgetCeiling)
	}
	// The proposal is recorded as the system's act, the submission as the person's.
	var kinds []string
	for _, e := range f.events(f.w.Rivera.ID, i.ID) {
		kinds = append(kinds, e.Verb+":"+e.ActorKind)
	}
	if strings.Join(kinds, ",") != "submitted:HUMAN,classified:SYSTEM" {
		t.Fatalf("events %v", kinds)
	}

	// A person overrides; the proposal stays as it was.
	r := f.must(f.staff, "reclassify", intent.ReclassifyInput{ID: i.ID, Priority: "URGENT", Reason: "tenant has a baby"})
	if r.Priority != "URGENT" || r.Category != "REPAIR" || r.Proposal.Priority != "HIGH" || r.Override == nil ||
		r.Override.Priority != "URGENT" || r.Override.Category != "" || r.Override.By != f.w.Staff || r.Override.At.IsZero() ||
		r.Override.Reason != "tenant has a baby" {
		t.Fatalf("reclassified %+v override %+v", r, r.Override)
	}
	r = f.must(f.staff, "reclassify", intent.ReclassifyInput{ID: i.ID, Category: "EMERGENCY"})
	if r.Category != "EMERGENCY" || r.Priority != "URGENT" || r.Proposal.Category != "REPAIR" {
		t.Fatalf("second override %+v", r.Override)
	}
	got, err := testkit.Call[intent.Intent](f.Bundle, owner, "intent/v1/get", intent.IDInput{ID: i.ID}, "")
	if err != nil || got.Category != "EMERGENCY" || got.Proposal.Category != "REPAIR" || len(got.Proposal.Cues) != len(i.Proposal.Cues) {
		t.Fatalf("get %+v %v", got, err)
	}
	// The owner may not reclassify: that is staff work.
	_, err = f.call(owner, "reclassify", intent.ReclassifyInput{ID: i.ID, Priority: "LOW"})
	wantCode(t, err, apperr.Forbidden)
	_, err = f.call(f.staff, "reclassify", intent.ReclassifyInput{ID: i.ID})
	wantCode(t, err, apperr.Validation)
}

func TestDraftThenSubmit(t *testing.T) {
	t.Parallel()
	f := setup(t)
	owner := f.w.RiveraOwner
	d := f.must(owner, "create", intent.CreateInput{PropertyID: f.prop, Text: "please get a quote for a new fence", Title: "Fence"})
	if d.Status != intent.Draft || d.Proposal != nil || d.Category != "" || d.Title != "Fence" {
		t.Fatalf("draft %+v", d)
	}
	s := f.must(owner, "submit", intent.SubmitInput{ID: d.ID})
	if s.Status != intent.Submitted || s.Proposal == nil || s.ID != d.ID || s.ProposedAt == nil {
		t.Fatalf("submitted %+v", s)
	}
	// Submitting again is a transition the machine refuses.
	_, err := f.call(owner, "submit", intent.SubmitInput{ID: d.ID})
	wantCode(t, err, apperr.InvalidTransition)
	// id and the fields of a new intent do not mix.
	_, err = f.call(owner, "submit", intent.SubmitInput{ID: d.ID, Text: "x"})
	wantCode(t, err, apperr.Validation)
	_, err = f.call(owner, "submit", intent.SubmitInput{PropertyID: f.prop})
	wantCode(t, err, apperr.Validation)
}

func TestTitleComesFromTheText(t *testing.T) {
	t.Parallel()
	f := setup(t)
	long := strings.Repeat("leak ", 30)
	for text, want := range map[string]string{
		"  roof leak\tover the garage\nit rains inside": "roof leak over the garage",
		"\x01\nthe gate is stuck":                       "Owner request",
		long:                                            strings.TrimSpace(long)[:79] + "…",
	} {
		d := f.must(f.w.RiveraOwner, "create", intent.CreateInput{PropertyID: f.prop, Text: text})
		if d.Title != want {
			t.Errorf("text %q: title %q, want %q", text, d.Title, want)
		}
	}
}

func TestBadInputIsRefused(t *testing.T) {
	t.Parallel()
	f := setup(t)
	owner := f.w.RiveraOwner
	for name, in := range map[string]intent.CreateInput{
		"blank text":       {PropertyID: f.prop, Text: "   "},
		"float budget":     {PropertyID: f.prop, Text: "x", Constraints: &intent.Constraints{BudgetCeiling: &intent.Money{Amount: "1e3", Currency: "USD"}}},
		"zero budget":      {PropertyID: f.prop, Text: "x", Constraints: &intent.Constraints{BudgetCeiling: &intent.Money{Amount: "0", Currency: "USD"}}},
		"bad currency":     {PropertyID: f.prop, Text: "x", Constraints: &intent.Constraints{BudgetCeiling: &intent.Money{Amount: "10", Currency: "usd"}}},
		"dates reversed":   {PropertyID: f.prop, Text: "x", Constraints: &intent.Constraints{PreferredFrom: ptr(intent.Date("2026-12-10")), PreferredTo: ptr(intent.Date("2026-12-01"))}},
		"other property":   {PropertyID: f.NewProperty(f.w.ChenOwner, "Chen").ID, Text: "x"},
		"unknown property": {PropertyID: "00000000-0000-4000-8000-000000000000", Text: "x"},
	} {
		_, err := f.call(owner, "create", in)
		if apperr.CodeOf(err) != apperr.Validation {
			t.Errorf("%s: got %v, want VALIDATION_FAILED", name, err)
		}
	}
}

func TestRolesAndTenants(t *testing.T) {
	t.Parallel()
	f := setup(t)
	i := f.submit("garage door won't close all the way")
	// Another organization's owner, a delegated agent (no grants yet) and
	// staff of an organization that did not engage them see nothing.
	oakProp := f.NewProperty(f.w.OakTrustee, "Oak house").ID
	for name, p := range map[string]authz.Principal{"other tenant": f.w.ChenOwner, "agent": f.w.OakAgent} {
		_, err := testkit.Call[intent.Intent](f.Bundle, p, "intent/v1/get", intent.IDInput{ID: i.ID}, "")
		wantCode(t, err, apperr.NotFound)
		_, err = f.call(p, "withdraw", intent.ReasonInput{ID: i.ID})
		wantCode(t, err, apperr.NotFound)
		page, err := testkit.Call[listing.Page[intent.Intent]](f.Bundle, p, "intent/v1/list", intent.ListInput{}, "")
		if err != nil || len(page.Items) != 0 {
			t.Fatalf("%s lists %+v %v", name, page.Items, err)
		}
	}
	_, err := f.call(f.w.OakAgent, "submit", intent.SubmitInput{PropertyID: oakProp, Text: "leak"})
	wantCode(t, err, apperr.Forbidden)
	// The owner side may not do staff work.
	for _, proc := range []string{"acknowledge", "decline"} {
		_, err := f.call(f.w.RiveraOwner, proc, intent.ReasonInput{ID: i.ID, Reason: "r"})
		wantCode(t, err, apperr.Forbidden)
	}
	_, err = f.call(f.w.RiveraOwner, "convert", intent.IDInput{ID: i.ID})
	wantCode(t, err, apperr.Forbidden)
	// Staff submit on the owner's behalf, recorded as themselves.
	s := f.must(f.staff, "submit", intent.SubmitInput{PropertyID: f.prop, Text: "toilet upstairs keeps running"})
	if s.CreatedBy != f.w.Staff {
		t.Fatalf("created by %s", s.CreatedBy)
	}
	if ev := f.events(f.w.Rivera.ID, s.ID); ev[0].ActorID != f.w.Staff || ev[0].ActorKind != "HUMAN" {
		t.Fatalf("events %+v", ev)
	}
	// The trustee of Oak and the platform admin act in their organizations.
	f.must(f.w.OakTrustee, "submit", intent.SubmitInput{PropertyID: oakProp, Text: "fence is falling down"})
	admin := f.Principal(f.w.Admin, f.w.Rivera.ID)
	f.must(admin, "acknowledge", intent.ReasonInput{ID: i.ID})
	page, err := testkit.Call[listing.Page[intent.Intent]](f.Bundle, f.w.RiveraOwner, "intent/v1/list", intent.ListInput{Status: []intent.Status{intent.Acknowledged}}, "")
	if err != nil || len(page.Items) != 1 || page.Items[0].ID != i.ID {
		t.Fatalf("list %+v %v", page.Items, err)
	}
}

func TestLifecycleThroughThePipeline(t *testing.T) {
	t.Parallel()
	f := setup(t)
	owner := f.w.RiveraOwner
	// Withdraw from every non-final state; nothing leaves a final one.
	d := f.must(owner, "create", intent.CreateInput{PropertyID: f.prop, Text: "paint the fence"})
	w := f.must(owner, "withdraw", intent.ReasonInput{ID: d.ID, Reason: "did it myself"})
	if w.Status != intent.Withdrawn || w.StatusReason != "did it myself" {
		t.Fatalf("withdrawn %+v", w)
	}
	_, err := f.call(owner, "submit", intent.SubmitInput{ID: d.ID})
	wantCode(t, err, apperr.InvalidTransition)
	_, err = f.call(f.staff, "reclassify", intent.ReclassifyInput{ID: d.ID, Priority: "LOW"})
	wantCode(t, err, apperr.InvalidTransition)

	s := f.submit("garage door won't close all the way")
	if w := f.must(owner, "withdraw", intent.ReasonInput{ID: s.ID}); w.Status != intent.Withdrawn {
		t.Fatalf("withdrawn from SUBMITTED: %+v", w)
	}
	ack := f.submit("toilet upstairs keeps running")
	f.must(f.staff, "acknowledge", intent.ReasonInput{ID: ack.ID})
	if w := f.must(owner, "withdraw", intent.ReasonInput{ID: ack.ID}); w.Status != intent.Withdrawn {
		t.Fatalf("withdrawn from ACKNOWLEDGED: %+v", w)
	}

	a := f.submit("no hot water since yesterday")
	f.must(f.staff, "acknowledge", intent.ReasonInput{ID: a.ID})
	_, err = f.call(f.staff, "acknowledge", intent.ReasonInput{ID: a.ID})
	wantCode(t, err, apperr.InvalidTransition)
	_, err = f.call(f.staff, "decline", intent.ReasonInput{ID: a.ID})
	wantCode(t, err, apperr.Validation)
	dec := f.must(f.staff, "decline", intent.ReasonInput{ID: a.ID, Reason: "covered by the home warranty"})
	if dec.Status != intent.Declined {
		t.Fatalf("declined %+v", dec)
	}
	for _, proc := range []string{"withdraw", "acknowledge"} {
		_, err = f.call(f.staff, proc, intent.ReasonInput{ID: a.ID})
		wantCode(t, err, apperr.InvalidTransition)
	}
	_, err = f.call(f.staff, "convert", intent.IDInput{ID: a.ID})
	wantCode(t, err, apperr.InvalidTransition)

	// A draft cannot be converted.
	d2 := f.must(owner, "create", intent.CreateInput{PropertyID: f.prop, Text: "fix the gate"})
	_, err = f.call(f.staff, "convert", intent.IDInput{ID: d2.ID})
	wantCode(t, err, apperr.InvalidTransition)
	if got, _ := testkit.Call[intent.Intent](f.Bundle, owner, "intent/v1/get", intent.IDInput{ID: d2.ID}, ""); got.Status != intent.Draft {
		t.Fatalf("refused conversion changed %+v", got)
	}
}

func TestConvertCreatesOneLinkedCase(t *testing.T) {
	t.Parallel()
	f := setup(t)
	i := f.must(f.w.RiveraOwner, "submit", intent.SubmitInput{PropertyID: f.prop, Text: "water is leaking through the kitchen ceiling",
		Constraints: &intent.Constraints{BudgetCeiling: &intent.Money{Amount: "800", Currency: "USD"}, AccessNotes: "call first"}})
	f.must(f.staff, "reclassify", intent.ReclassifyInput{ID: i.ID, Priority: "URGENT"})
	conv := f.must(f.staff, "convert", intent.IDInput{ID: i.ID})
	if conv.Status != intent.Converted || conv.CaseID == nil || conv.CaseNumber == nil {
		t.Fatalf("converted %+v", conv)
	}
	c, err := testkit.Call[cases.Case](f.Bundle, f.w.RiveraOwner, "case/v1/get", map[string]string{"id": *conv.CaseID}, "")
	if err != nil {
		t.Fatal(err)
	}
	if c.PropertyID != f.prop || c.Title != i.Title || c.Category != "REPAIR" || c.Priority != "URGENT" || c.Status != cases.Intake ||
		c.Number != *conv.CaseNumber || !strings.HasPrefix(c.Description, i.Text) ||
		!strings.Contains(c.Description, "Budget ceiling: 800.00 USD") || !strings.Contains(c.Description, "Access notes: call first") {
		t.Fatalf("case %+v", c)
	}
	var origin string
	err = f.DB.InTenant(f.Ctx, f.w.Rivera.ID, func(q db.Querier) error {
		return q.QueryRow(f.Ctx, `SELECT origin_intent_id::text FROM cases WHERE id = $1`, c.ID).Scan(&origin)
	})
	if err != nil || origin != i.ID {
		t.Fatalf("case origin %q %v", origin, err)
	}
	// A second conversion with another key is a CONFLICT naming the case.
	_, err = f.call(f.staff, "convert", intent.IDInput{ID: i.ID})
	wantCode(t, err, apperr.Conflict)
	if !strings.Contains(err.Error(), c.Number) {
		t.Fatalf("conflict %v does not name %s", err, c.Number)
	}
	if n := f.caseCount(); n != 1 {
		t.Fatalf("%d cases", n)
	}
}

func (f *fixture) caseCount() int {
	f.T.Helper()
	var n int
	err := f.DB.InTenant(f.Ctx, f.w.Rivera.ID, func(q db.Querier) error {
		return q.QueryRow(f.Ctx, `SELECT count(*) FROM cases`).Scan(&n)
	})
	if err != nil {
		f.T.Fatal(err)
	}
	return n
}

// A conversion whose case cannot be created leaves no trace: the intent
// stays as it was and no case exists.
func TestConvertIsAtomic(t *testing.T) {
	t.Parallel()
	f := setup(t)
	i := f.submit("roof leak over the garage")
	// Make the case insert fail (this test has its own database): the
	// failure comes after the intent row is locked and before it is marked.
	_, err := f.DB.Owner.Exec(f.Ctx, `ALTER TABLE cases ADD CONSTRAINT test_no_cases CHECK (title <> $$`+i.Title+`$$) NOT VALID`)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.call(f.staff, "convert", intent.IDInput{ID: i.ID})
	if err == nil {
		t.Fatal("conversion succeeded although the case could not be created")
	}
	got, gerr := testkit.Call[intent.Intent](f.Bundle, f.w.RiveraOwner, "intent/v1/get", intent.IDInput{ID: i.ID}, "")
	if gerr != nil || got.Status != intent.Submitted || got.CaseID != nil {
		t.Fatalf("after a failed conversion: %+v %v", got, gerr)
	}
	if n := f.caseCount(); n != 0 {
		t.Fatalf("%d cases after a failed conversion", n)
	}
	if _, err := f.DB.Owner.Exec(f.Ctx, `ALTER TABLE cases DROP CONSTRAINT test_no_cases`); err != nil {
		t.Fatal(err)
	}
	if conv := f.must(f.staff, "convert", intent.IDInput{ID: i.ID}); conv.Status != intent.Converted {
		t.Fatalf("converted %+v", conv)
	}
}

// Two conversions of one intent with different keys, lined up on the row
// lock: exactly one case, and the loser is a CONFLICT naming it.
func TestConcurrentConversionsMakeOneCase(t *testing.T) {
	t.Parallel()
	f := setup(t)
	lead := f.Principal(f.w.Lead, f.w.Rivera.ID)
	for round := range 3 {
		i := f.submit(fmt.Sprint("sewage backing up into the shower, round ", round))
		// The first conversion to hold the row lock keeps it until the
		// other is seen waiting for it in PostgreSQL: the loser always reads
		// the row after the winner committed.
		var once sync.Once
		intent.SetAfterLock(f.App.Intent, func() {
			once.Do(func() {
				if err := f.AwaitLockWaiters(1); err != nil {
					f.T.Error(err)
				}
			})
		})
		var wg sync.WaitGroup
		errs := make([]error, 2)
		out := make([]intent.Intent, 2)
		for k, p := range []authz.Principal{f.staff, lead} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				out[k], errs[k] = testkit.Call[intent.Intent](f.Bundle, p, "intent/v1/convert", intent.IDInput{ID: i.ID}, fmt.Sprint("conv-", round, "-", k))
			}()
		}
		wg.Wait()
		intent.SetAfterLock(f.App.Intent, nil)
		won := -1
		for k, err := range errs {
			if err == nil {
				if won >= 0 {
					t.Fatalf("both conversions succeeded: %+v", out)
				}
				won = k
			}
		}
		if won < 0 {
			t.Fatalf("no conversion succeeded: %v", errs)
		}
		lost := errs[1-won]
		wantCode(t, lost, apperr.Conflict)
		if !strings.Contains(lost.Error(), *out[won].CaseNumber) {
			t.Fatalf("conflict %v does not name %s", lost, *out[won].CaseNumber)
		}
		if n := f.caseCount(); n != round+1 {
			t.Fatalf("round %d: %d cases", round, n)
		}
	}
}

func ptr[T any](v T) *T { return &v }

// The database holds the links even against a write that skips the
// service: one case per intent, and CONVERTED exactly when a case is named.
func TestTheDatabaseHoldsTheLinks(t *testing.T) {
	t.Parallel()
	f := setup(t)
	a := f.submit("no hot water since yesterday")
	b := f.submit("garage door won't close all the way")
	conv := f.must(f.staff, "convert", intent.IDInput{ID: a.ID})
	other, err := testkit.Call[cases.Case](f.Bundle, f.staff, "case/v1/create",
		cases.CreateInput{PropertyID: f.prop, Title: "unrelated"}, f.key())
	if err != nil {
		t.Fatal(err)
	}
	for name, stmt := range map[string]struct {
		sql  string
		args []any
	}{
		"a second case for the intent":   {`UPDATE cases SET origin_intent_id = $1 WHERE id = $2`, []any{a.ID, other.ID}},
		"a second intent for the case":   {`UPDATE intents SET status = 'CONVERTED', case_id = $1 WHERE id = $2`, []any{*conv.CaseID, b.ID}},
		"converted without a case":       {`UPDATE intents SET status = 'CONVERTED' WHERE id = $1`, []any{b.ID}},
		"a case on a submitted intent":   {`UPDATE intents SET case_id = $1 WHERE id = $2`, []any{other.ID, b.ID}},
		"a budget without its currency":  {`UPDATE intents SET budget_amount = 10 WHERE id = $1`, []any{b.ID}},
		"a proposal without its version": {`UPDATE intents SET proposal = NULL WHERE id = $1`, []any{b.ID}},
	} {
		err := f.DB.InTenant(f.Ctx, f.w.Rivera.ID, func(q db.Querier) error {
			_, err := q.Exec(f.Ctx, stmt.sql, stmt.args...)
			return err
		})
		// Class 23: refused by a constraint, not by a grant or a typo.
		if pgErr, ok := errors.AsType[*pgconn.PgError](err); !ok || !strings.HasPrefix(pgErr.Code, "23") {
			t.Errorf("%s: got %v, want an integrity constraint violation", name, err)
		}
	}
}
