package tui

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/hestami/concierge/internal/action"
	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/cases"
)

// driver runs a Model the way the program does, but synchronously: every
// command runs to its message before the next key.
type driver struct {
	t    *testing.T
	m    Model
	quit bool
	keys int
}

func start(t *testing.T, b Backend, opts Options) *driver {
	t.Helper()
	opts.Now = func() time.Time { return clock }
	n := 0
	opts.NewKey = func() string { n++; return fmt.Sprintf("key-%d", n) }
	d := &driver{t: t, m: New(b, opts)}
	d.run(d.m.Init())
	d.m.width, d.m.height = 100, 30
	return d
}

func (d *driver) run(cmd tea.Cmd) {
	queue := []tea.Cmd{cmd}
	for len(queue) > 0 {
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		switch msg := c().(type) {
		case nil, spinner.TickMsg:
		case tea.BatchMsg:
			queue = append(queue, msg...)
		case tea.QuitMsg:
			d.quit = true
		default:
			m, next := d.m.Update(msg)
			d.m = m.(Model)
			queue = append(queue, next)
		}
	}
}

func keyMsg(k string) tea.KeyPressMsg {
	switch k {
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "space":
		return tea.KeyPressMsg{Code: tea.KeySpace, Text: " "}
	case "tab":
		return tea.KeyPressMsg{Code: tea.KeyTab}
	case "backspace":
		return tea.KeyPressMsg{Code: tea.KeyBackspace}
	case "ctrl+c":
		return tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl}
	}
	r := []rune(k)[0]
	return tea.KeyPressMsg{Code: r, Text: k}
}

// press sends keys; a word in braces is a named key ({enter}), anything
// else is typed rune by rune.
func (d *driver) press(keys ...string) *driver {
	d.t.Helper()
	for _, k := range keys {
		var msgs []tea.KeyPressMsg
		if strings.HasPrefix(k, "{") {
			msgs = append(msgs, keyMsg(strings.Trim(k, "{}")))
		} else {
			for _, r := range k {
				msgs = append(msgs, keyMsg(string(r)))
			}
		}
		for _, msg := range msgs {
			m, cmd := d.m.Update(msg)
			d.m = m.(Model)
			d.run(cmd)
		}
	}
	return d
}

func (d *driver) screen() string { return ansi.Strip(d.m.render()) }

func (d *driver) cursorCase() string {
	r, ok := d.m.list.current()
	if !ok {
		return ""
	}
	return r.Case.Number
}

func (d *driver) numbers() []string {
	var out []string
	for _, i := range d.m.list.rows {
		out = append(out, d.m.list.all[i].Case.Number)
	}
	return out
}

func TestQueueIsSortedByUrgencyThenAgeAcrossOrganizations(t *testing.T) {
	d := start(t, world(), Options{})
	want := []string{"CASE-2026-4", "CASE-2026-1", "CASE-2026-2", "CASE-2026-5", "CASE-2026-3"}
	if got := d.numbers(); !slices.Equal(got, want) {
		t.Fatalf("order %v, want %v", got, want)
	}
	m, _ := d.m.Update(tea.WindowSizeMsg{Width: 140, Height: 30})
	d.m = m.(Model)
	s := d.screen()
	for _, col := range []string{"CASE", "ORG", "PROPERTY", "STATUS", "WAITING ON", "PRIORITY", "URGENCY", "IN STATE", "SLA DUE", "ASSIGNEE", "NEXT ACTION"} {
		if !strings.Contains(s, col) {
			t.Errorf("no column %s at 140 columns:\n%s", col, s)
		}
	}
}

func TestMovementKeys(t *testing.T) {
	d := start(t, world(), Options{})
	steps := []struct{ key, want string }{
		{"j", "CASE-2026-1"}, {"j", "CASE-2026-2"}, {"k", "CASE-2026-1"},
		{"G", "CASE-2026-3"}, {"j", "CASE-2026-3"}, {"g", "CASE-2026-4"}, {"k", "CASE-2026-4"},
	}
	for _, s := range steps {
		if got := d.press(s.key).cursorCase(); got != s.want {
			t.Fatalf("after %s the cursor is on %s, want %s", s.key, got, s.want)
		}
	}
}

func TestFilterKeys(t *testing.T) {
	d := start(t, world(), Options{})
	d.press("m")
	if got := d.numbers(); !slices.Equal(got, []string{"CASE-2026-1"}) {
		t.Fatalf("mine: %v", got)
	}
	d.press("m")
	if got := d.numbers(); !slices.Equal(got, []string{"CASE-2026-2", "CASE-2026-5", "CASE-2026-3"}) {
		t.Fatalf("unassigned: %v", got)
	}
	d.press("m")
	if len(d.numbers()) != 5 {
		t.Fatalf("all: %v", d.numbers())
	}
	d.press("u") // CRITICAL
	if got := d.numbers(); !slices.Equal(got, []string{"CASE-2026-4"}) {
		t.Fatalf("urgency CRITICAL: %v", got)
	}
	d.press("{esc}", "t") // INTAKE
	if got := d.numbers(); !slices.Equal(got, []string{"CASE-2026-5", "CASE-2026-3"}) {
		t.Fatalf("status INTAKE: %v", got)
	}
	d.press("{esc}", "o", "o") // the second organization
	if got := d.numbers(); !slices.Equal(got, []string{"CASE-2026-4", "CASE-2026-5"}) {
		t.Fatalf("organization Chen: %v", got)
	}
	d.press("{esc}")
	if len(d.numbers()) != 5 {
		t.Fatalf("esc does not clear the filters: %v", d.numbers())
	}
}

func TestSearchNarrowsWithEachKeyAndEscRestores(t *testing.T) {
	d := start(t, world(), Options{})
	d.press("/", "pipe")
	if got := d.numbers(); !slices.Equal(got, []string{"CASE-2026-4"}) {
		t.Fatalf("search pipe: %v", got)
	}
	// q is text while searching, not quit.
	d.press("q")
	if d.quit || len(d.numbers()) != 0 {
		t.Fatalf("q while searching: quit=%v rows=%v", d.quit, d.numbers())
	}
	d.press("{backspace}", "{enter}")
	if got := d.numbers(); !slices.Equal(got, []string{"CASE-2026-4"}) || d.m.list.searching {
		t.Fatalf("enter keeps the search: %v searching=%v", got, d.m.list.searching)
	}
	d.press("/", "x", "{esc}")
	if got := d.numbers(); !slices.Equal(got, []string{"CASE-2026-4"}) {
		t.Fatalf("esc restores the search before /: %v", got)
	}
}

func TestSavedViewsCycleWithV(t *testing.T) {
	views := []View{{Name: "mine", Filter: Filter{Assignee: AssigneeMine}}, {Name: "intake", Filter: Filter{Status: []cases.Status{cases.Intake}}}}
	d := start(t, world(), Options{Views: views, Filter: views[1].Filter})
	if got := d.numbers(); !slices.Equal(got, []string{"CASE-2026-5", "CASE-2026-3"}) {
		t.Fatalf("opening filter: %v", got)
	}
	d.press("v")
	if got := d.numbers(); !slices.Equal(got, []string{"CASE-2026-1"}) || !strings.Contains(d.screen(), "(view mine)") {
		t.Fatalf("view mine: %v\n%s", got, d.screen())
	}
	d.press("v")
	if got := d.numbers(); len(got) != 2 {
		t.Fatalf("view intake: %v", got)
	}
}

func TestEnterOpensTheDetailAndEscGoesBack(t *testing.T) {
	d := start(t, world(), Options{})
	d.press("j", "{enter}")
	s := ansi.Strip(d.m.detail.render(100, clock, me))
	for _, want := range []string{"CASE-2026-1  Water heater leaking", "Hot water everywhere", "Timeline (2)", "[INTERNAL]", "[shared  ]",
		"Plumber visit", "Sam Ortiz", "Budget Pipes", "lowest", "+33%"} {
		if !strings.Contains(s, want) {
			t.Errorf("detail lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(d.screen(), "Budget Pipes") {
		t.Fatal("the whole detail fits 30 lines; the scroll test proves nothing")
	}
	d.press("G")
	if !strings.Contains(d.screen(), "Budget Pipes") {
		t.Fatalf("G does not scroll to the end:\n%s", d.screen())
	}
	d.press("g")
	if !strings.Contains(d.screen(), "Hot water everywhere") {
		t.Fatalf("g does not scroll to the top:\n%s", d.screen())
	}
	d.press("{esc}")
	if d.m.detail != nil || d.cursorCase() != "CASE-2026-1" {
		t.Fatalf("esc: detail=%v cursor=%s", d.m.detail != nil, d.cursorCase())
	}
	d.press("{enter}", "q")
	if d.quit || d.m.detail != nil {
		t.Fatalf("q in the detail goes back, not out: quit=%v", d.quit)
	}
}

func TestHelpAndQuit(t *testing.T) {
	d := start(t, world(), Options{})
	d.press("?")
	if !strings.Contains(d.screen(), "reassign every marked case") {
		t.Fatalf("help:\n%s", d.screen())
	}
	d.press("?")
	if d.m.help != nil {
		t.Fatal("? again does not close the help")
	}
	d.press("q")
	if !d.quit {
		t.Fatal("q does not quit")
	}
	d = start(t, world(), Options{})
	d.press("{ctrl+c}")
	if !d.quit {
		t.Fatal("ctrl+c does not quit")
	}
}

func TestClaimIsConfirmedAndSentOnceWithOneKey(t *testing.T) {
	b := world()
	d := start(t, b, Options{})
	d.press("j", "j", "a") // CASE-2026-2, unassigned
	if len(b.changes()) != 0 {
		t.Fatal("a sent a change before it was confirmed")
	}
	if !strings.Contains(d.screen(), "Claim CASE-2026-2") {
		t.Fatalf("no confirmation:\n%s", d.screen())
	}
	d.press("y")
	got := b.changes()
	if len(got) != 1 || got[0].procedure != "case/v1/claim" || got[0].org != "org-r" || got[0].key != "key-1" {
		t.Fatalf("changes %+v", got)
	}
	if d.m.form != nil || !strings.Contains(d.screen(), "claimed CASE-2026-2") {
		t.Fatalf("after the claim:\n%s", d.screen())
	}
	// The refresh shows it as mine, the cursor still on it.
	if d.cursorCase() != "CASE-2026-2" || !strings.Contains(d.screen(), " me ") {
		t.Fatalf("cursor %s\n%s", d.cursorCase(), d.screen())
	}
}

func TestCancelledChangeSendsNothing(t *testing.T) {
	b := world()
	d := start(t, b, Options{})
	d.press("a", "n")
	d.press("n", "some text", "{esc}")
	if len(b.changes()) != 0 {
		t.Fatalf("a cancelled change was sent: %+v", b.changes())
	}
	if !strings.Contains(d.screen(), "nothing changed") {
		t.Fatalf("status:\n%s", d.screen())
	}
}

func TestRefusedChangeShowsTheReasonAndARetryReusesTheKey(t *testing.T) {
	b := world()
	b.fail["case/v1/claim"] = []error{
		&CallError{Message: "internal error (trace 4bf92f3577b34da6)", Err: apperr.New(apperr.Internal, "pq: connection reset")},
	}
	d := start(t, b, Options{})
	d.press("a", "y")
	s := d.screen()
	if !strings.Contains(s, "internal error (trace 4bf92f3577b34da6)") || strings.Contains(s, "pq:") {
		t.Fatalf("the refusal is not shown as the CLI words it:\n%s", s)
	}
	if d.m.form == nil || !d.m.failed {
		t.Fatal("the form closed on a failure")
	}
	d.press("y")
	got := b.changes()
	if len(got) != 2 || got[0].key != got[1].key || got[0].input != got[1].input {
		t.Fatalf("the retry is not the same change: %+v", got)
	}
	if d.m.form != nil {
		t.Fatal("the retry succeeded but the form is still open")
	}
}

func TestForbiddenChangeChangesNothing(t *testing.T) {
	b := world()
	b.fail["case/v1/claim"] = []error{apperr.New(apperr.Forbidden, "you may not claim cases of this organization")}
	d := start(t, b, Options{})
	before := d.numbers()
	d.press("a", "y")
	if !strings.Contains(d.screen(), "refused: you may not claim") {
		t.Fatalf("no reason:\n%s", d.screen())
	}
	d.press("{esc}")
	if r, _ := d.m.list.current(); r.Case.AssigneeID == nil || *r.Case.AssigneeID != other || !slices.Equal(before, d.numbers()) {
		t.Fatal("a refused claim changed the queue")
	}
}

func TestStatusOffersOnlyTheAllowedTransitions(t *testing.T) {
	b := world()
	d := start(t, b, Options{})
	d.press("j", "s")
	f := d.m.form
	if f == nil {
		t.Fatalf("no status form:\n%s", d.screen())
	}
	var offered []string
	for _, c := range f.choices {
		offered = append(offered, c.value)
	}
	if !slices.Equal(offered, []string{"PENDING_OWNER", "RESOLVED"}) {
		t.Fatalf("offered %v", offered)
	}
	// RESOLVED needs a resolution: enter on an empty one stays.
	d.press("j", "{enter}", "{enter}")
	if !strings.Contains(d.screen(), "resolution is required") {
		t.Fatalf("empty resolution accepted:\n%s", d.screen())
	}
	d.press("Replaced the heater", "{enter}", "{enter}", "y")
	got := b.changes()
	if len(got) != 1 || got[0].procedure != cases.UpdateStatusProcedure ||
		!strings.Contains(got[0].input, `"status":"RESOLVED"`) || !strings.Contains(got[0].input, `"resolutionSummary":"Replaced the heater"`) {
		t.Fatalf("changes %+v", got)
	}
}

func TestNoteTogglesAudienceWithTab(t *testing.T) {
	b := world()
	d := start(t, b, Options{})
	d.press("n", "{tab}", "{enter}", "Call before 9", "{enter}", "y")
	got := b.changes()
	if len(got) != 1 || got[0].procedure != "case/v1/addNote" || !strings.Contains(got[0].input, `"audience":"SHARED"`) ||
		!strings.Contains(got[0].input, `"text":"Call before 9"`) {
		t.Fatalf("changes %+v", got)
	}
}

func TestClarificationRequest(t *testing.T) {
	b := world()
	d := start(t, b, Options{})
	d.press("c", "Which unit?", "{enter}", "y")
	got := b.changes()
	if len(got) != 1 || got[0].procedure != "case/v1/requestClarification" || !strings.Contains(got[0].input, `"text":"Which unit?"`) {
		t.Fatalf("changes %+v", got)
	}
}

func TestActionAddStartAndComplete(t *testing.T) {
	b := world()
	d := start(t, b, Options{})
	d.press("j", "x")
	if f := d.m.form; f == nil || len(f.choices) != 2 || f.choices[1].label != "start: Plumber visit" {
		t.Fatalf("x offers new + starting the planned action:\n%s", d.screen())
	}
	d.press("{enter}", "Order the part", "{enter}", "y")
	d.press("x", "j", "{enter}", "y")
	// Started, the action now offers completion, which needs an outcome.
	d.press("x")
	if f := d.m.form; f == nil || len(f.choices) != 2 || f.choices[1].label != "complete: Plumber visit" {
		t.Fatalf("x offers completing the started action:\n%s", d.screen())
	}
	d.press("j", "{enter}", "Fixed", "{enter}", "y")
	got := b.changes()
	if len(got) != 3 || got[0].procedure != "action/v1/create" || got[1].procedure != "action/v1/start" ||
		got[2].procedure != "action/v1/complete" || !strings.Contains(got[2].input, `"id":"a-1"`) ||
		!strings.Contains(got[2].input, `"outcome":"Fixed"`) || got[0].key == got[1].key || got[1].key == got[2].key {
		t.Fatalf("changes %+v", got)
	}
	if st := b.details[b.cases["org-r"][0].ID].Actions.Items[0].Status; st != action.Completed {
		t.Fatalf("the action is %s", st)
	}
}

func TestMarkAndBulkReassign(t *testing.T) {
	b := world()
	b.fail["case/v1/assign"] = []error{nil}[:0]
	d := start(t, b, Options{})
	d.press("A")
	if d.m.form != nil || !d.m.failed {
		t.Fatal("A with nothing marked opened a form")
	}
	d.press("g", "{space}", "{space}") // marks CASE-2026-4 and CASE-2026-1
	if !strings.Contains(d.screen(), "2 marked") {
		t.Fatalf("marks:\n%s", d.screen())
	}
	d.press("A", "me", "{enter}", "y")
	got := b.changes()
	if len(got) != 2 || got[0].procedure != "case/v1/assign" || got[0].key == got[1].key ||
		!strings.Contains(got[0].input, me) {
		t.Fatalf("changes %+v", got)
	}
}

func TestBulkRetryResendsOnlyTheFailedPart(t *testing.T) {
	b := world()
	d := start(t, b, Options{})
	d.press("g", "{space}", "{space}", "{space}")
	// The second assignment fails once.
	b.fail["case/v1/assign"] = nil
	calls := 0
	fb := &failNth{fakeBackend: b, procedure: "case/v1/assign", n: 2, count: &calls}
	d.m.b = fb
	d.press("A", "me", "{enter}", "y")
	if d.m.form == nil || !strings.Contains(d.screen(), "1 done before it") {
		t.Fatalf("partial failure:\n%s", d.screen())
	}
	d.press("y")
	got := b.changes()
	// 1 ok, 2 failed, then 2 again with its key, then 3.
	if len(got) != 4 || got[1].key != got[2].key || got[1].input != got[2].input || got[3].key == got[2].key {
		t.Fatalf("changes %+v", got)
	}
}

// failNth fails the nth call of a procedure once.
type failNth struct {
	*fakeBackend
	procedure string
	n         int
	count     *int
}

func (f *failNth) Call(ctx context.Context, org, procedure string, in, out any, key string) error {
	if procedure == f.procedure {
		*f.count++
		if *f.count == f.n {
			f.fakeBackend.mu.Lock()
			raw, _ := json.Marshal(in)
			f.fakeBackend.calls = append(f.fakeBackend.calls, call{org: org, procedure: procedure, key: key, input: string(raw)})
			f.fakeBackend.mu.Unlock()
			return apperr.New(apperr.DependencyUnavailable, "the database is not answering; try again")
		}
	}
	return f.fakeBackend.Call(ctx, org, procedure, in, out, key)
}

func TestReadOnlyHidesAndIgnoresChangeKeys(t *testing.T) {
	b := world()
	d := start(t, b, Options{ReadOnly: true})
	for _, k := range []string{"a", "s", "n", "c", "x", "A"} {
		d.press(k)
		if d.m.form != nil {
			t.Fatalf("%s opened a form in a read-only queue", k)
		}
	}
	if strings.Contains(d.screen(), "change") {
		t.Fatalf("read-only footer offers changes:\n%s", d.screen())
	}
	d.press("?")
	if strings.Contains(d.screen(), "claim the case") {
		t.Fatalf("read-only help lists change keys:\n%s", d.screen())
	}
	if len(b.changes()) != 0 {
		t.Fatal("read-only queue sent a change")
	}
}

func TestRefreshKeepsTheCursorOnTheSameCase(t *testing.T) {
	b := world()
	d := start(t, b, Options{})
	d.press("j", "j") // CASE-2026-2
	// A new critical case arrives first in the queue.
	b.cases["org-r"] = append(b.cases["org-r"], mkCase("org-r", 6, cases.Intake, "URGENT", cases.Critical, time.Hour, nil, "Roof leak"))
	d.press("r")
	if d.numbers()[1] != "CASE-2026-6" || d.cursorCase() != "CASE-2026-2" {
		t.Fatalf("after refresh: %v cursor %s", d.numbers(), d.cursorCase())
	}
	// The live refresh tick does the same.
	b.cases["org-c"] = b.cases["org-c"][1:]
	m, cmd := d.m.Update(refreshTickMsg{})
	d.m = m.(Model)
	d.run(cmd)
	if d.cursorCase() != "CASE-2026-2" || slices.Contains(d.numbers(), "CASE-2026-4") {
		t.Fatalf("after the tick: %v cursor %s", d.numbers(), d.cursorCase())
	}
}

func TestAStaleLoadNeverReplacesANewerOne(t *testing.T) {
	d := start(t, world(), Options{})
	stale := queueMsg{gen: d.m.gen - 1, rows: nil}
	d.m.busy++
	m, _ := d.m.Update(stale)
	d.m = m.(Model)
	if len(d.numbers()) != 5 {
		t.Fatal("an older answer replaced the queue")
	}
}

func TestALoadFailureShowsInTheStatusLineAndKeepsTheQueue(t *testing.T) {
	b := world()
	d := start(t, b, Options{})
	b.fail["case/v1/list"] = []error{&CallError{Message: "the server did not answer (trace 0af7651916cd43dd)"}}
	d.press("r")
	if !strings.Contains(d.screen(), "the server did not answer (trace 0af7651916cd43dd)") || len(d.numbers()) != 5 {
		t.Fatalf("failure:\n%s", d.screen())
	}
	d.press("r")
	if strings.Contains(d.screen(), "did not answer") {
		t.Fatal("the error stays after a good refresh")
	}
}

func TestResizeAndNarrowTerminal(t *testing.T) {
	d := start(t, world(), Options{})
	m, _ := d.m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	d.m = m.(Model)
	lines := strings.Split(d.screen(), "\n")
	if len(lines) != 24 {
		t.Fatalf("%d lines at 80x24", len(lines))
	}
	for _, l := range lines {
		if w := ansi.StringWidth(l); w > 80 {
			t.Fatalf("a %d-cell line at 80 columns: %q", w, l)
		}
	}
	for _, col := range []string{"CASE", "STATUS", "WAITING ON", "URGENCY", "SLA DUE", "ASSIGNEE"} {
		if !strings.Contains(lines[2], col) {
			t.Errorf("no %s at 80 columns: %q", col, lines[2])
		}
	}
}

func TestControlCharactersInStoredTextAreNotDrawn(t *testing.T) {
	b := world()
	b.cases["org-r"][0].Title = "Heater\x1b[2J\x1b]8;;http://x\x07 \u202eevil"
	d := start(t, b, Options{})
	s := d.m.render()
	if strings.Contains(s, "\x1b[2J") || strings.Contains(s, "\u202e") || strings.Contains(s, "\x07") {
		t.Fatalf("raw control characters reach the screen: %q", s)
	}
}

// The list may still show a case as it was before the last change (its
// reload is in flight): the status form titles and offers what the case is
// now, as case/v1/detail just read it.
func TestStatusFormFollowsTheCaseAsJustRead(t *testing.T) {
	b := world()
	id := b.cases["org-r"][0].ID
	d0 := b.details[id]
	d0.Case.Status = cases.Resolved
	d0.Case.AllowedTransitions = []cases.Status{cases.Closed, cases.InProgress}
	b.details[id] = d0
	d := start(t, b, Options{})
	d.press("j", "s")
	f := d.m.form
	if f == nil {
		t.Fatalf("no status form:\n%s", d.screen())
	}
	if !strings.Contains(f.title, "from RESOLVED") || f.choices[0].value != "CLOSED" {
		t.Fatalf("form %q offers %v for a case the list shows IN_PROGRESS and the detail RESOLVED", f.title, f.choices)
	}
}
