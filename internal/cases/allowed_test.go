package cases_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/hestami/concierge/internal/action"
	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/casedetail"
	"github.com/hestami/concierge/internal/cases"
	"github.com/hestami/concierge/internal/delegation"
	"github.com/hestami/concierge/internal/testkit"
)

// pathTo is how staff bring a new case to each status.
var pathTo = map[cases.Status][]cases.Status{
	cases.Intake:          nil,
	cases.Assessment:      {cases.Assessment},
	cases.InProgress:      {cases.Assessment, cases.InProgress},
	cases.PendingExternal: {cases.Assessment, cases.PendingExternal},
	cases.PendingOwner:    {cases.Assessment, cases.PendingOwner},
	cases.OnHold:          {cases.Assessment, cases.OnHold},
	cases.Resolved:        {cases.Assessment, cases.InProgress, cases.Resolved},
	cases.Closed:          {cases.Assessment, cases.InProgress, cases.Resolved, cases.Closed},
	cases.Cancelled:       {cases.Cancelled},
}

type transitionFixture struct {
	*fixture
	agent authz.Principal // DELEGATED_AGENT of Rivera under CASE_MANAGEMENT on f.prop
	keys  int
}

func setupTransitions(t *testing.T) *transitionFixture {
	f := &transitionFixture{fixture: setup(t)}
	f.agent = f.Member(f.w.Rivera, "agent@rivera.test", "DELEGATED_AGENT")
	g, err := testkit.Call[delegation.Delegation](f.Bundle, f.w.RiveraOwner, "delegation/v1/grant", delegation.GrantInput{DelegateID: f.agent.UserID,
		PropertyIDs: []string{f.prop}, AuthorityTypes: []delegation.AuthorityType{"CASE_MANAGEMENT"}}, "grant")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := testkit.Call[delegation.Delegation](f.Bundle, f.agent, "delegation/v1/accept", delegation.AcceptInput{ID: g.ID}, "accept"); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *transitionFixture) key() string { f.keys++; return fmt.Sprint("k-", f.keys) }

// update asks case/v1/updateStatus through the pipeline, as the API does
// (so a delegated agent's grants are those the pipeline loads).
func (f *transitionFixture) update(p authz.Principal, id string, to cases.Status) (cases.Case, error) {
	in := cases.UpdateStatusInput{ID: id, Status: to, Reason: "because " + string(to)}
	if to == cases.Resolved {
		in.ResolutionSummary = "done"
	}
	if to == cases.PendingExternal {
		in.WaitingOn = &cases.WaitingOn{Kind: "VENDOR", Name: "Acme Plumbing"}
	}
	return testkit.Call[cases.Case](f.Bundle, p, "case/v1/updateStatus", in, f.key())
}

func (f *transitionFixture) at(status cases.Status) cases.Case {
	f.T.Helper()
	c := f.open("copy at " + string(status))
	for _, to := range pathTo[status] {
		var err error
		if c, err = f.update(f.staff, c.ID, to); err != nil {
			f.T.Fatalf("moving to %s: %v", to, err)
		}
	}
	return c
}

func (f *transitionFixture) offered(p authz.Principal, id string) []cases.Status {
	f.T.Helper()
	c, err := testkit.Call[cases.Case](f.Bundle, p, "case/v1/get", map[string]any{"id": id}, "")
	if err != nil {
		f.T.Fatalf("get: %v", err)
	}
	if c.AllowedTransitions == nil {
		f.T.Fatalf("get %s: allowedTransitions is null", id)
	}
	return c.AllowedTransitions
}

func statuses(s ...cases.Status) []cases.Status { return append([]cases.Status{}, s...) }

// Who may move a case where: staff every move of the machine, the owner
// side (owner and a delegated agent under CASE_MANAGEMENT) only a cancel
// in INTAKE; case/v1/detail offers the same as case/v1/get; a final case
// offers nothing, as [] in the JSON; another organization and an agent
// without a grant do not find the case at all.
func TestAllowedTransitionsByWho(t *testing.T) {
	t.Parallel()
	f := setupTransitions(t)
	intake, assessment, closed := f.at(cases.Intake), f.at(cases.Assessment), f.at(cases.Closed)
	for _, tc := range []struct {
		who  string
		p    authz.Principal
		c    cases.Case
		want []cases.Status
	}{
		{"staff", f.staff, intake, statuses(cases.Assessment, cases.Cancelled)},
		{"owner", f.w.RiveraOwner, intake, statuses(cases.Cancelled)},
		{"agent", f.agent, intake, statuses(cases.Cancelled)},
		{"staff", f.staff, assessment, statuses(cases.InProgress, cases.PendingExternal, cases.PendingOwner, cases.OnHold, cases.Cancelled)},
		{"owner", f.w.RiveraOwner, assessment, statuses()},
		{"agent", f.agent, assessment, statuses()},
		{"staff", f.staff, closed, statuses()},
	} {
		if got := f.offered(tc.p, tc.c.ID); !slices.Equal(got, tc.want) {
			t.Errorf("%s on %s: offered %v, want %v", tc.who, tc.c.Status, got, tc.want)
		}
		d, err := testkit.Call[casedetail.Detail](f.Bundle, tc.p, "case/v1/detail", map[string]any{"id": tc.c.ID}, "")
		if err != nil || d.Case.AllowedTransitions == nil || !slices.Equal(d.Case.AllowedTransitions, tc.want) {
			t.Errorf("%s on %s: detail offered %v (%v), want %v", tc.who, tc.c.Status, d.Case.AllowedTransitions, err, tc.want)
		}
	}

	closedCase, err := testkit.Call[cases.Case](f.Bundle, f.staff, "case/v1/get", map[string]any{"id": closed.ID}, "")
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := json.Marshal(closedCase); !strings.Contains(string(b), `"allowedTransitions":[]`) {
		t.Errorf("a final case's JSON: %s", b)
	}
	// Lists never carry it.
	page, err := f.svc.List(f.Ctx, f.staff, cases.ListInput{})
	if err != nil || len(page.Items) == 0 {
		t.Fatal(page, err)
	}
	if b, _ := json.Marshal(page.Items[0]); strings.Contains(string(b), "allowedTransitions") {
		t.Errorf("a list item carries allowedTransitions: %s", b)
	}

	bare := f.Member(f.w.Rivera, "bare-agent@rivera.test", "DELEGATED_AGENT")
	for who, p := range map[string]authz.Principal{"agent without grant": bare, "other organization": f.w.ChenOwner} {
		if _, err := testkit.Call[cases.Case](f.Bundle, p, "case/v1/get", map[string]any{"id": intake.ID}, ""); apperr.CodeOf(err) != apperr.NotFound {
			t.Errorf("%s: get %v, want NOT_FOUND", who, err)
		}
	}
}

// The offered set is exactly what case/v1/updateStatus accepts: for every
// status, every principal tries every target on a copy of a case in that
// status; a move that succeeds consumes the copy. A case with an open
// action is the one state the PDP does not see: RESOLVED is not offered
// there, as it would be refused.
func TestAllowedTransitionsAreWhatUpdateStatusAccepts(t *testing.T) {
	t.Parallel()
	f := setupTransitions(t)
	who := []struct {
		name string
		p    authz.Principal
	}{{"owner", f.w.RiveraOwner}, {"agent", f.agent}, {"staff", f.staff}}
	withOpenAction := func() cases.Case {
		c := f.at(cases.InProgress)
		if _, err := testkit.Call[action.Action](f.Bundle, f.staff, "action/v1/create", action.CreateInput{CaseID: c.ID, Title: "call the plumber"}, f.key()); err != nil {
			t.Fatal(err)
		}
		return c
	}
	type state struct {
		name string
		copy func() cases.Case
	}
	var states []state
	for _, s := range cases.Statuses.Values() {
		states = append(states, state{string(s), func() cases.Case { return f.at(s) }})
	}
	states = append(states, state{"IN_PROGRESS with an open action", withOpenAction})
	accepted := 0
	for _, st := range states {
		c := st.copy()
		for _, w := range who {
			offered := f.offered(w.p, c.ID)
			for _, to := range cases.Statuses.Values() {
				_, err := f.update(w.p, c.ID, to)
				if ok := err == nil; ok != slices.Contains(offered, to) {
					t.Errorf("%s in %s → %s: offered %v, updateStatus said %v", w.name, st.name, to, offered, err)
				}
				if err == nil {
					accepted++
					c = st.copy()
				} else if code := apperr.CodeOf(err); code != apperr.Forbidden && code != apperr.InvalidTransition && code != apperr.NotFound {
					t.Errorf("%s in %s → %s: %v", w.name, st.name, to, err)
				}
			}
		}
	}
	// Staff: every move of the machine but RESOLVED with the open action;
	// the owner and the agent: a cancel in INTAKE each.
	want := 2
	for _, targets := range cases.Transitions {
		want += len(targets)
	}
	want += len(cases.Transitions[cases.InProgress]) - 1
	if accepted != want {
		t.Errorf("%d moves accepted, want %d", accepted, want)
	}
}
