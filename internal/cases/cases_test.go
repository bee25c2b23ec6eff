package cases_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dbos-inc/dbos-transact-golang/dbos"
	"go.opentelemetry.io/otel/sdk/trace"

	"github.com/hestami/concierge/internal/activity"
	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/cases"
	"github.com/hestami/concierge/internal/config"
	"github.com/hestami/concierge/internal/db"
	"github.com/hestami/concierge/internal/listing"
	"github.com/hestami/concierge/internal/testkit"
	"github.com/hestami/concierge/internal/workflow"
)

func TestMain(m *testing.M) { testkit.Main(m) }

type fixture struct {
	*testkit.Bundle
	w     *testkit.World
	svc   *cases.Service
	staff authz.Principal // staff acting in Rivera through the engagement
	prop  string          // a Rivera property
}

func setup(t *testing.T) *fixture {
	t.Helper()
	b := testkit.Setup(t)
	w := b.NewWorld()
	f := &fixture{Bundle: b, w: w, svc: b.Cases()}
	f.staff = b.Principal(w.Staff, w.Rivera.ID)
	f.prop = b.NewProperty(w.RiveraOwner, "Rivera home").ID
	return f
}

func (f *fixture) open(title string, mods ...func(*cases.CreateInput)) cases.Case {
	f.T.Helper()
	in := cases.CreateInput{PropertyID: f.prop, Title: title, Category: "REPAIR", Priority: "NORMAL"}
	for _, m := range mods {
		m(&in)
	}
	c, err := f.svc.Create(f.Ctx, f.w.RiveraOwner, in)
	if err != nil {
		f.T.Fatal(err)
	}
	return c
}

func (f *fixture) move(p authz.Principal, id, to, key string) (cases.Case, error) {
	in := cases.UpdateStatusInput{ID: id, Status: cases.Status(to), Reason: "because " + to}
	if to == "RESOLVED" {
		in.ResolutionSummary = "done"
	}
	if to == "PENDING_EXTERNAL" {
		in.WaitingOn = &cases.WaitingOn{Kind: "VENDOR", Name: "Acme Plumbing"}
	}
	return f.svc.UpdateStatus(f.Ctx, p, in, key)
}

// wantFields checks that err is VALIDATION_FAILED naming exactly fields
// (sorted, comma-separated).
func wantFields(t *testing.T, err error, fields string) {
	t.Helper()
	wantCode(t, err, apperr.Validation)
	var got []string
	for _, fe := range apperr.From(err).Fields {
		got = append(got, fe.Field)
	}
	sort.Strings(got)
	if strings.Join(got, ",") != fields {
		t.Fatalf("field errors %+v, want %s", apperr.From(err).Fields, fields)
	}
}

func wantCode(t *testing.T, err error, code apperr.Code) {
	t.Helper()
	if apperr.CodeOf(err) != code {
		t.Fatalf("got %v (%s), want %s", err, apperr.CodeOf(err), code)
	}
}

func TestCreateNumbersAreUniqueUnderConcurrency(t *testing.T) {
	t.Parallel()
	f := setup(t)
	const n = 16
	numbers := make([]string, n)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := f.svc.Create(f.Ctx, f.w.RiveraOwner, cases.CreateInput{PropertyID: f.prop, Title: fmt.Sprint("case ", i)})
			if err != nil {
				errs <- err
				return
			}
			numbers[i] = c.Number
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	sort.Strings(numbers)
	seen := map[string]bool{}
	year := time.Now().UTC().Year()
	for i := 1; i <= n; i++ {
		seen[fmt.Sprintf("CASE-%d-%d", year, i)] = true
	}
	for _, num := range numbers {
		if !seen[num] {
			t.Fatalf("unexpected or duplicate number %s in %v", num, numbers)
		}
		delete(seen, num)
	}
	// Another organization starts its own sequence.
	oakProp := f.NewProperty(f.w.OakTrustee, "Oak condo")
	c, err := f.svc.Create(f.Ctx, f.w.OakTrustee, cases.CreateInput{PropertyID: oakProp.ID, Title: "first"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Number != fmt.Sprintf("CASE-%d-1", year) {
		t.Fatalf("second organization got %s", c.Number)
	}
}

func TestCreateValidatesEveryFieldAtOnce(t *testing.T) {
	t.Parallel()
	f := setup(t)
	_, err := testkit.Call[cases.Case](f.Bundle, f.w.RiveraOwner, "case/v1/create",
		cases.CreateInput{PropertyID: "nope", Title: strings.Repeat("x", 201), Category: "GARDENING", Priority: "ASAP"}, "k1")
	wantFields(t, err, "category,priority,propertyId,title")
	// A blank title passes the schema (it has characters) but is no title.
	_, err = testkit.Call[cases.Case](f.Bundle, f.w.RiveraOwner, "case/v1/create", cases.CreateInput{PropertyID: f.prop, Title: "   "}, "k2")
	wantFields(t, err, "title")
	// A property of another organization is not found, whatever its id.
	chenProp := f.NewProperty(f.w.ChenOwner, "Chen office")
	_, err = f.svc.Create(f.Ctx, f.w.RiveraOwner, cases.CreateInput{PropertyID: chenProp.ID, Title: "x"})
	wantCode(t, err, apperr.Validation)
	if fe := apperr.From(err).Fields; len(fe) != 1 || fe[0].Field != "propertyId" {
		t.Fatalf("field errors: %+v", fe)
	}
}

func TestVisibilityFollowsRolesAndEngagements(t *testing.T) {
	t.Parallel()
	f := setup(t)
	c := f.open("Leak")

	// Staff of an engaged operator see the case; so does the admin and the lead.
	for _, uid := range []string{f.w.Staff, f.w.Lead, f.w.Admin} {
		p := f.Principal(uid, f.w.Rivera.ID)
		if _, err := f.svc.Get(f.Ctx, p, c.ID); err != nil {
			t.Fatalf("%v: %v", p.Roles, err)
		}
		page, err := f.svc.List(f.Ctx, p, cases.ListInput{})
		if err != nil || len(page.Items) != 1 {
			t.Fatalf("%v: list %v %v", p.Roles, page.Items, err)
		}
	}
	// Staff cannot activate an organization that did not engage the operator.
	_, err := f.Identity.Principal(f.Ctx, f.w.Staff, f.w.Chen.ID)
	wantCode(t, err, apperr.Forbidden)

	// Another owner, in its own organization, sees nothing of it: RLS and the
	// PDP both stand in the way, and existence is not revealed.
	_, err = f.svc.Get(f.Ctx, f.w.OakTrustee, c.ID)
	wantCode(t, err, apperr.NotFound)
	_, err = f.svc.Get(f.Ctx, f.w.OakTrustee, c.Number)
	wantCode(t, err, apperr.NotFound)

	// A delegated agent without grants sees nothing in its own organization.
	oakProp := f.NewProperty(f.w.OakTrustee, "Oak condo")
	oc, err := f.svc.Create(f.Ctx, f.w.OakTrustee, cases.CreateInput{PropertyID: oakProp.ID, Title: "Oak case"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.Get(f.Ctx, f.w.OakAgent, oc.ID)
	wantCode(t, err, apperr.NotFound)
	page, err := f.svc.List(f.Ctx, f.w.OakAgent, cases.ListInput{})
	if err != nil || len(page.Items) != 0 {
		t.Fatalf("agent list: %v %v", page.Items, err)
	}
	_, err = f.svc.Create(f.Ctx, f.w.OakAgent, cases.CreateInput{PropertyID: oakProp.ID, Title: "agent case"})
	wantCode(t, err, apperr.Forbidden)
}

func TestListFiltersCombineAndPagesAreStable(t *testing.T) {
	t.Parallel()
	f := setup(t)
	other := f.NewProperty(f.w.RiveraOwner, "Cabin").ID
	var ids []string
	for i := range 7 {
		prio := []cases.Priority{"LOW", "NORMAL", "HIGH"}[i%3]
		prop := f.prop
		if i%2 == 1 {
			prop = other
		}
		c := f.open(fmt.Sprint("case ", i), func(in *cases.CreateInput) { in.Priority = prio; in.PropertyID = prop })
		ids = append(ids, c.ID)
	}
	if _, err := f.move(f.staff, ids[0], "ASSESSMENT", "a0"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.move(f.staff, ids[3], "CANCELLED", "c3"); err != nil {
		t.Fatal(err)
	}
	list := func(in cases.ListInput) []string {
		t.Helper()
		page, err := f.svc.List(f.Ctx, f.staff, in)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, c := range page.Items {
			out = append(out, c.Title)
		}
		return out
	}
	if got := list(cases.ListInput{Status: []cases.Status{"ASSESSMENT", "CANCELLED"}}); strings.Join(got, ",") != "case 3,case 0" {
		t.Errorf("status filter: %v", got)
	}
	if got := list(cases.ListInput{Priority: []cases.Priority{"LOW"}, PropertyID: f.prop}); strings.Join(got, ",") != "case 6,case 0" {
		t.Errorf("priority+property filter: %v", got)
	}
	if got := list(cases.ListInput{AssigneeID: f.w.Staff}); len(got) != 0 {
		t.Errorf("assignee filter: %v", got)
	}
	// Pages of 3 cover everything once, newest first.
	var titles []string
	cursor := ""
	for pages := 0; ; pages++ {
		page, err := f.svc.List(f.Ctx, f.staff, cases.ListInput{Limit: 3, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range page.Items {
			titles = append(titles, c.Title)
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
		if pages > 5 {
			t.Fatal("pagination does not end")
		}
	}
	if got := strings.Join(titles, ","); got != "case 6,case 5,case 4,case 3,case 2,case 1,case 0" {
		t.Fatalf("pages: %s", got)
	}
	_, err := testkit.Call[listing.Page[cases.Case]](f.Bundle, f.staff, "case/v1/list", map[string]any{"limit": 101, "status": []string{"OPEN"}}, "")
	wantFields(t, err, "limit,status[0]")
	_, err = testkit.Call[listing.Page[cases.Case]](f.Bundle, f.staff, "case/v1/list", map[string]any{"cursor": "garbage"}, "")
	wantFields(t, err, "cursor")
}

func TestStatusChangeIsRecordedWithActorReasonAndTrace(t *testing.T) {
	t.Parallel()
	f := setup(t)
	c := f.open("Leak")
	tp := trace.NewTracerProvider()
	ctx, span := tp.Tracer("test").Start(f.Ctx, "op")
	out, err := f.svc.UpdateStatus(ctx, f.staff, cases.UpdateStatusInput{ID: c.Number, Status: "ASSESSMENT", Reason: "triaged"}, "k1")
	span.End()
	if err != nil {
		t.Fatal(err)
	}
	if out.Status != cases.Assessment || len(out.History) != 2 {
		t.Fatalf("status %s history %+v", out.Status, out.History)
	}
	h := out.History[1]
	if *h.From != cases.Intake || h.To != cases.Assessment || h.Reason != "triaged" || h.ActorID != f.w.Staff || h.ActorKind != "HUMAN" {
		t.Fatalf("history entry %+v", h)
	}
	events, err := db.InTenantResult(f.Ctx, f.DB, f.w.Rivera.ID, func(q db.Querier) ([]activity.Entry, error) {
		return activity.ForEntity(f.Ctx, q, "case", c.ID)
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 2 || events[0].Verb != "created" || events[1].Verb != "status_changed" {
		t.Fatalf("events %+v", events)
	}
	if events[1].ActorID != f.w.Staff || events[1].TraceID != span.SpanContext().TraceID().String() {
		t.Fatalf("event %+v, trace %s", events[1], span.SpanContext().TraceID())
	}
}

func TestRetryWithTheSameKeyReturnsTheOriginalSuccess(t *testing.T) {
	t.Parallel()
	f := setup(t)
	c := f.open("Leak")
	first, err := f.move(f.staff, c.ID, "ASSESSMENT", "key-1")
	if err != nil {
		t.Fatal(err)
	}
	// Applying it again would be an invalid transition; the retry replays.
	again, err := f.move(f.staff, c.ID, "ASSESSMENT", "key-1")
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	if !again.UpdatedAt.Equal(first.UpdatedAt) || len(again.History) != 2 {
		t.Fatalf("retry did not replay: %+v", again)
	}
	got, err := f.svc.Get(f.Ctx, f.staff, c.ID)
	if err != nil || len(got.History) != 2 {
		t.Fatalf("history after retry: %+v %v", got.History, err)
	}
	// Same key, different input: refused, nothing executed.
	_, err = f.move(f.staff, c.ID, "IN_PROGRESS", "key-1")
	wantCode(t, err, apperr.IdempotencyKeyReused)
	got, _ = f.svc.Get(f.Ctx, f.staff, c.ID)
	if got.Status != cases.Assessment {
		t.Fatalf("status after reused key: %s", got.Status)
	}
	// The same key from another principal is another scope.
	lead := f.Principal(f.w.Lead, f.w.Rivera.ID)
	if _, err := f.move(lead, c.ID, "IN_PROGRESS", "key-1"); err != nil {
		t.Fatalf("other principal, same key: %v", err)
	}
	// No key at all.
	_, err = f.svc.UpdateStatus(f.Ctx, f.staff, cases.UpdateStatusInput{ID: c.ID, Status: "ON_HOLD"}, "")
	wantCode(t, err, apperr.IdempotencyKeyRequired)
}

func TestConcurrentRequestsWithOneKeyHaveOneEffect(t *testing.T) {
	t.Parallel()
	f := setup(t)
	c := f.open("Leak")
	const n = 8
	results := make([]cases.Case, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = f.move(f.staff, c.ID, "ASSESSMENT", "same-key")
		}()
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("request %d: %v", i, errs[i])
		}
		if !results[i].UpdatedAt.Equal(results[0].UpdatedAt) {
			t.Fatalf("request %d saw a different result", i)
		}
	}
	got, _ := f.svc.Get(f.Ctx, f.staff, c.ID)
	if len(got.History) != 2 {
		t.Fatalf("%d history entries, want 2", len(got.History))
	}
}

func TestInvalidTransitionsAreTypedAndReplayed(t *testing.T) {
	t.Parallel()
	f := setup(t)
	c := f.open("Leak")
	_, err := f.move(f.staff, c.ID, "CLOSED", "k")
	wantCode(t, err, apperr.InvalidTransition)
	// The refusal names the way forward.
	if want := "a case in INTAKE cannot move to CLOSED; allowed: ASSESSMENT, CANCELLED"; apperr.From(err).Message != want {
		t.Fatalf("message %q, want %q", apperr.From(err).Message, want)
	}
	_, err = f.move(f.staff, c.ID, "CLOSED", "k")
	wantCode(t, err, apperr.InvalidTransition)
	for i, to := range []string{"CANCELLED"} {
		if _, err := f.move(f.staff, c.ID, to, fmt.Sprint("ok", i)); err != nil {
			t.Fatal(err)
		}
	}
	_, err = f.move(f.staff, c.ID, "CANCELLED", "again")
	wantCode(t, err, apperr.InvalidTransition)
	if !strings.Contains(err.Error(), "final") {
		t.Fatalf("message: %v", err)
	}
	// RESOLVED needs a summary, CANCELLED a reason: validation, before any work.
	_, err = f.svc.UpdateStatus(f.Ctx, f.staff, cases.UpdateStatusInput{ID: c.ID, Status: "RESOLVED"}, "v1")
	wantCode(t, err, apperr.Validation)
	_, err = testkit.Call[cases.Case](f.Bundle, f.staff, "case/v1/updateStatus", map[string]any{"id": c.ID, "status": "LIMBO"}, "v2")
	wantFields(t, err, "status")
}

func TestFullLifecycleThroughEveryStatus(t *testing.T) {
	t.Parallel()
	f := setup(t)
	c := f.open("Leak")
	path := []string{"ASSESSMENT", "PENDING_OWNER", "IN_PROGRESS", "ON_HOLD", "PENDING_EXTERNAL", "RESOLVED", "IN_PROGRESS", "RESOLVED", "CLOSED"}
	for i, to := range path {
		out, err := f.move(f.staff, c.ID, to, fmt.Sprint("step-", i))
		if err != nil {
			t.Fatalf("→ %s: %v", to, err)
		}
		if string(out.Status) != to {
			t.Fatalf("status %s, want %s", out.Status, to)
		}
	}
	got, _ := f.svc.Get(f.Ctx, f.staff, c.ID)
	if len(got.History) != len(path)+1 || got.ResolutionSummary != "done" {
		t.Fatalf("history %d, resolution %q", len(got.History), got.ResolutionSummary)
	}
}

func TestOwnersMayOnlyCancelIntakeCases(t *testing.T) {
	t.Parallel()
	f := setup(t)
	c := f.open("Leak")
	_, err := f.move(f.w.RiveraOwner, c.ID, "ASSESSMENT", "o1")
	wantCode(t, err, apperr.Forbidden)
	if msg := apperr.From(err).Message; msg != "not allowed to change the status of this case" {
		t.Fatalf("message %q", msg)
	}
	if _, err := f.move(f.w.RiveraOwner, c.ID, "CANCELLED", "o2"); err != nil {
		t.Fatalf("owner cancel of an INTAKE case: %v", err)
	}
	// The owner's retry still answers with the original success although the
	// case is no longer in INTAKE (the policy would now deny a new cancel).
	if _, err := f.move(f.w.RiveraOwner, c.ID, "CANCELLED", "o2"); err != nil {
		t.Fatalf("owner retry: %v", err)
	}
	d := f.open("Other")
	if _, err := f.move(f.staff, d.ID, "ASSESSMENT", "s1"); err != nil {
		t.Fatal(err)
	}
	_, err = f.move(f.w.RiveraOwner, d.ID, "CANCELLED", "o3")
	wantCode(t, err, apperr.Forbidden)
	if msg := apperr.From(err).Message; msg != "not allowed to cancel this case while it is in ASSESSMENT" {
		t.Fatalf("message %q", msg)
	}
	// The refusal is the outcome of that key: a retry replays it.
	_, err = f.move(f.w.RiveraOwner, d.ID, "CANCELLED", "o3")
	wantCode(t, err, apperr.Forbidden)
	// Another organization's owner cannot touch it at all.
	_, err = f.move(f.w.OakTrustee, d.ID, "CANCELLED", "o4")
	wantCode(t, err, apperr.NotFound)
}

// A process that dies after the status transaction committed but before its
// workflow finished — indeed before DBOS checkpointed the step in its system
// tables, so recovery finds the result only in dbos.transaction_completion,
// which it reads outside the transaction under row-level security: a new
// process recovers the workflow without applying the change again, and the
// client's retry gets the original success.
func TestCrashBetweenCommitAndAnswerThenRetryHasOneEffect(t *testing.T) {
	t.Parallel()
	f := setup(t)
	c := f.open("Leak")
	executor := "crash-" + c.ID[:8]

	engineA, err := workflow.New(f.Ctx, f.DB, executor, nil)
	if err != nil {
		t.Fatal(err)
	}
	svcA := cases.New(f.DB, f.PDP, engineA)
	applied := make(chan struct{})
	release := make(chan struct{})
	defer close(release)
	cases.SetAfterApply(svcA, func() {
		close(applied)
		<-release // the process "dies" here: the workflow never completes
	})
	svcA.RegisterWorkflows(engineA)
	if err := engineA.Launch(); err != nil {
		t.Fatal(err)
	}
	go func() {
		_, _ = svcA.UpdateStatus(context.Background(), f.staff, cases.UpdateStatusInput{ID: c.ID, Status: "ASSESSMENT", Reason: "because ASSESSMENT"}, "crash-key-A")
	}()
	select {
	case <-applied:
	case <-time.After(30 * time.Second):
		t.Fatal("the status transaction never ran")
	}
	engineA.Shutdown(200 * time.Millisecond)

	// The crash came before DBOS's checkpoint: only the completion row,
	// written in the committed transaction, remains.
	wfID := workflow.IDFor(cases.UpdateStatusProcedure, f.staff.OrgID, f.staff.UserID, "crash-key-A")
	if _, err := f.DB.Owner.Exec(f.Ctx, `DELETE FROM dbos.operation_outputs WHERE workflow_uuid = $1`, wfID); err != nil {
		t.Fatal(err)
	}
	var completions int
	if err := f.DB.Owner.QueryRow(f.Ctx, `SELECT count(*) FROM dbos.transaction_completion WHERE workflow_id = $1 AND organization_id = $2`,
		wfID, f.w.Rivera.ID).Scan(&completions); err != nil {
		t.Fatal(err)
	}
	if completions != 1 {
		t.Fatalf("%d completion rows for the crashed workflow", completions)
	}

	engineB, err := workflow.New(f.Ctx, f.DB, executor, nil)
	if err != nil {
		t.Fatal(err)
	}
	svcB := cases.New(f.DB, f.PDP, engineB)
	svcB.RegisterWorkflows(engineB)
	if err := engineB.Launch(); err != nil {
		t.Fatal(err)
	}
	defer engineB.Shutdown(5 * time.Second)

	out, err := svcB.UpdateStatus(f.Ctx, f.staff, cases.UpdateStatusInput{ID: c.ID, Status: "ASSESSMENT", Reason: "because ASSESSMENT"}, "crash-key-A")
	if err != nil {
		t.Fatalf("retry after the crash: %v", err)
	}
	if out.Status != cases.Assessment {
		t.Fatalf("status %s", out.Status)
	}
	got, err := svcB.Get(f.Ctx, f.staff, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	assessments := 0
	for _, h := range got.History {
		if h.To == cases.Assessment {
			assessments++
		}
	}
	if assessments != 1 {
		t.Fatalf("ASSESSMENT applied %d times: %+v", assessments, got.History)
	}
}

// Staff moves a case out of INTAKE while the owner's cancel (allowed only in
// INTAKE) is in flight. The staff transaction holds the row; the owner's
// request is then made and waits for the row; only then does staff commit.
// The owner's cancel must be decided on the row as staff left it.
func TestOwnerCancelRacingStaffIsDecidedOnTheLockedRow(t *testing.T) {
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
	type result struct {
		c   cases.Case
		err error
	}
	staff, owner := make(chan result, 1), make(chan result, 1)
	go func() {
		out, err := f.move(f.staff, c.ID, "ASSESSMENT", "staff-key")
		staff <- result{out, err}
	}()
	select {
	case <-locked:
	case <-time.After(30 * time.Second):
		t.Fatal("the staff transaction never locked the case")
	}
	go func() {
		out, err := f.move(f.w.RiveraOwner, c.ID, "CANCELLED", "owner-key")
		owner <- result{out, err}
	}()
	if err := f.AwaitLockWaiters(1); err != nil {
		t.Fatal(err)
	}
	close(release)

	if r := <-staff; r.err != nil || r.c.Status != cases.Assessment {
		t.Fatalf("staff: %+v %v", r.c.Status, r.err)
	}
	r := <-owner
	wantCode(t, r.err, apperr.Forbidden)
	got, err := f.svc.Get(f.Ctx, f.staff, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != cases.Assessment || len(got.History) != 2 {
		t.Fatalf("status %s, history %+v", got.Status, got.History)
	}
	for _, h := range got.History {
		if h.ActorID == f.w.RiveraOwner.UserID && h.To == cases.Cancelled && h.From != nil && *h.From != cases.Intake {
			t.Fatalf("the owner cancelled a case in %s: %+v", *h.From, h)
		}
	}
}

// crashAfterApply runs staff's move of c to ASSESSMENT with key on an engine
// of executorID that "dies" once the status transaction has committed: the
// workflow stays PENDING under executorID. It returns the workflow id.
func crashAfterApply(t *testing.T, f *fixture, executorID, caseID, key string) string {
	t.Helper()
	e, err := workflow.New(f.Ctx, f.DB, executorID, nil)
	if err != nil {
		t.Fatal(err)
	}
	svc := cases.New(f.DB, f.PDP, e)
	applied, release := make(chan struct{}), make(chan struct{})
	t.Cleanup(func() { close(release) })
	cases.SetAfterApply(svc, func() {
		close(applied)
		<-release
	})
	svc.RegisterWorkflows(e)
	if err := e.Launch(); err != nil {
		t.Fatal(err)
	}
	go func() {
		_, _ = svc.UpdateStatus(context.Background(), f.staff, cases.UpdateStatusInput{ID: caseID, Status: "ASSESSMENT", Reason: "because ASSESSMENT"}, key)
	}()
	select {
	case <-applied:
	case <-time.After(30 * time.Second):
		t.Fatal("the status transaction never ran")
	}
	e.Shutdown(200 * time.Millisecond)
	return workflow.IDFor(cases.UpdateStatusProcedure, f.staff.OrgID, f.staff.UserID, key)
}

func launched(t *testing.T, f *fixture, executorID string) (*workflow.Engine, *cases.Service) {
	t.Helper()
	e, err := workflow.New(f.Ctx, f.DB, executorID, nil)
	if err != nil {
		t.Fatal(err)
	}
	svc := cases.New(f.DB, f.PDP, e)
	svc.RegisterWorkflows(e)
	if err := e.Launch(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Shutdown(5 * time.Second) })
	return e, svc
}

// A CLI command launches DBOS to run its own workflow; it must not adopt the
// server's pending work (DBOS recovers the launching executor id's pending
// workflows), so the server, when it restarts, still finds it.
func TestCLIEngineDoesNotRecoverTheServersPendingWorkflow(t *testing.T) {
	t.Parallel()
	f := setup(t)
	c := f.open("Leak")
	cfg, err := config.Load(config.NewViper())
	if err != nil {
		t.Fatal(err)
	}
	serverID := cfg.Workflow.ExecutorID
	wfID := crashAfterApply(t, f, serverID, c.ID, "server-key")

	cli, _ := launched(t, f, workflow.CLIExecutorID())
	if cli.ExecutorID == serverID || !strings.HasPrefix(cli.ExecutorID, workflow.CLIExecutorPrefix) {
		t.Fatalf("CLI executor %q, server executor %q", cli.ExecutorID, serverID)
	}
	h, err := dbos.RetrieveWorkflow[any](cli.Ctx, wfID)
	if err != nil {
		t.Fatal(err)
	}
	st, err := h.GetStatus()
	if err != nil {
		t.Fatal(err)
	}
	if st.Status != dbos.WorkflowStatusPending || st.ExecutorID != serverID {
		t.Fatalf("after a CLI launch the server's workflow is %s on %q", st.Status, st.ExecutorID)
	}
}

// A CLI process killed mid-change leaves its workflow PENDING under an
// executor id nobody will launch again. Retrying with the same key (from
// another CLI run) finishes it, with the original effect only.
func TestRetryAfterACLIProcessDiedFinishesItsWorkflow(t *testing.T) {
	t.Parallel()
	f := setup(t)
	c := f.open("Leak")
	crashAfterApply(t, f, workflow.CLIExecutorID(), c.ID, "cli-key")

	_, svc := launched(t, f, workflow.CLIExecutorID())
	type result struct {
		c        cases.Case
		replayed bool
		err      error
	}
	done := make(chan result, 1)
	go func() {
		out, replayed, err := svc.UpdateStatusReplayed(f.Ctx, f.staff, cases.UpdateStatusInput{ID: c.ID, Status: "ASSESSMENT", Reason: "because ASSESSMENT"}, "cli-key")
		done <- result{out, replayed, err}
	}()
	var r result
	select {
	case r = <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("the retry still waits for the dead CLI process's workflow")
	}
	if r.err != nil || r.c.Status != cases.Assessment || !r.replayed {
		t.Fatalf("retry: %s replayed=%v %v", r.c.Status, r.replayed, r.err)
	}
	got, err := svc.Get(f.Ctx, f.staff, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.History) != 2 {
		t.Fatalf("history %+v", got.History)
	}
}

// While the PDP cannot answer, nothing is decided and nothing applied: the
// durable transaction is retried, then the request fails as unavailable.
func TestStatusChangeWhileThePDPIsDownChangesNothing(t *testing.T) {
	t.Parallel()
	f := setup(t)
	c := f.open("Leak")
	down, err := authz.Dial("unix:"+t.TempDir()+"/no-pdp.sock", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	e, err := workflow.New(f.Ctx, f.DB, "pdp-down-"+c.ID[:8], nil)
	if err != nil {
		t.Fatal(err)
	}
	svc := cases.New(f.DB, down, e)
	svc.RegisterWorkflows(e)
	if err := e.Launch(); err != nil {
		t.Fatal(err)
	}
	defer e.Shutdown(5 * time.Second)
	_, err = svc.UpdateStatus(f.Ctx, f.staff, cases.UpdateStatusInput{ID: c.ID, Status: "ASSESSMENT", Reason: "r"}, "down-key")
	wantCode(t, err, apperr.DependencyUnavailable)
	got, err := f.svc.Get(f.Ctx, f.staff, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != cases.Intake || len(got.History) != 1 {
		t.Fatalf("status %s, history %+v", got.Status, got.History)
	}
	// Nothing was decided, so nothing is replayed: once the PDP answers, a
	// retry with the same key applies the change, once.
	out, replayed, err := f.svc.UpdateStatusReplayed(f.Ctx, f.staff, cases.UpdateStatusInput{ID: c.ID, Status: "ASSESSMENT", Reason: "r"}, "down-key")
	if err != nil || replayed || out.Status != cases.Assessment {
		t.Fatalf("retry after the outage: %v replayed=%v %+v", err, replayed, out.Status)
	}
	out, replayed, err = f.svc.UpdateStatusReplayed(f.Ctx, f.staff, cases.UpdateStatusInput{ID: c.ID, Status: "ASSESSMENT", Reason: "r"}, "down-key")
	if err != nil || !replayed || len(out.History) != 2 {
		t.Fatalf("second retry: %v replayed=%v history %d", err, replayed, len(out.History))
	}
}

// Any spelling of a case id names the case in a status change (PostgreSQL
// never sees one it cannot cast), and a key reused for another input is
// refused without being reported as a replay.
func TestStatusChangeIdSpellingsAndReusedKeys(t *testing.T) {
	t.Parallel()
	f := setup(t)
	c := f.open("Leak")
	out, replayed, err := f.svc.UpdateStatusReplayed(f.Ctx, f.staff, cases.UpdateStatusInput{ID: "urn:uuid:" + c.ID, Status: "ASSESSMENT", Reason: "r"}, "spell")
	if err != nil || replayed || out.Status != cases.Assessment {
		t.Fatalf("urn:uuid id: %v replayed=%v %s", err, replayed, out.Status)
	}
	_, replayed, err = f.svc.UpdateStatusReplayed(f.Ctx, f.staff, cases.UpdateStatusInput{ID: c.ID, Status: "ON_HOLD", Reason: "r"}, "spell")
	wantCode(t, err, apperr.IdempotencyKeyReused)
	if replayed {
		t.Fatal("a refused key reuse is reported as a replay")
	}
	_, replayed, err = f.svc.UpdateStatusReplayed(f.Ctx, f.staff, cases.UpdateStatusInput{ID: "urn:uuid:" + c.ID, Status: "ASSESSMENT", Reason: "r"}, "spell")
	if err != nil || !replayed {
		t.Fatalf("the same input again: %v replayed=%v", err, replayed)
	}
}
