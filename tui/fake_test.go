package tui

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/hestami/concierge/internal/action"
	"github.com/hestami/concierge/internal/api"
	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/casedetail"
	"github.com/hestami/concierge/internal/cases"
	"github.com/hestami/concierge/internal/listing"
	"github.com/hestami/concierge/internal/property"
)

// The tests here are about the screens, so the Backend is a fake: the
// procedures themselves are tested with the real PostgreSQL and PDP in
// their packages, and TestQueueInAPseudoTerminal drives the real binary.

var clock = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

const (
	me    = "11111111-1111-1111-1111-111111111111"
	other = "22222222-2222-2222-2222-222222222222"
)

type call struct {
	org, procedure, key string
	input               string
}

type fakeBackend struct {
	mu      sync.Mutex
	orgs    []Organization
	cases   map[string][]cases.Case
	props   map[string][]property.Property
	details map[string]Detail
	// fail answers the next calls of a procedure with these errors.
	fail  map[string][]error
	calls []call
}

func (b *fakeBackend) Session(context.Context) (Session, error) {
	return Session{UserID: me, Organizations: b.orgs, Active: "org-r"}, nil
}

func (b *fakeBackend) Call(_ context.Context, org, procedure string, in, out any, key string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	raw, _ := json.Marshal(in)
	b.calls = append(b.calls, call{org: org, procedure: procedure, key: key, input: string(raw)})
	if errs := b.fail[procedure]; len(errs) > 0 {
		b.fail[procedure] = errs[1:]
		return errs[0]
	}
	var result any
	switch procedure {
	case "case/v1/list":
		result = listing.Page[cases.Case]{Items: b.cases[org]}
	case "property/v1/list":
		result = listing.Page[property.Property]{Items: b.props[org]}
	case "case/v1/detail":
		var g api.GetInput
		_ = json.Unmarshal(raw, &g)
		d, ok := b.details[g.ID]
		if !ok {
			return apperr.New(apperr.NotFound, "case %s not found", g.ID)
		}
		result = d
	case "case/v1/claim":
		var g api.GetInput
		_ = json.Unmarshal(raw, &g)
		b.setAssignee(org, g.ID, me)
	case "case/v1/assign":
		var a cases.AssignInput
		_ = json.Unmarshal(raw, &a)
		b.setAssignee(org, a.ID, a.UserID)
	case "action/v1/start", "action/v1/complete":
		// The action machine is the domain's (action.Transitions): a fake
		// that completed a planned action hid a form that offered it.
		var g api.GetInput
		_ = json.Unmarshal(raw, &g)
		to := action.InProgress
		if procedure == "action/v1/complete" {
			to = action.Completed
		}
		if err := b.moveAction(g.ID, to); err != nil {
			return err
		}
	}
	if out != nil && result != nil {
		raw, _ := json.Marshal(result)
		return json.Unmarshal(raw, out)
	}
	return nil
}

func (b *fakeBackend) setAssignee(org, id, user string) {
	for i, c := range b.cases[org] {
		if c.ID == id {
			b.cases[org][i].AssigneeID = &user
		}
	}
}

func (b *fakeBackend) moveAction(id string, to action.Status) error {
	for _, d := range b.details {
		for i, a := range d.Actions.Items {
			if a.ID != id {
				continue
			}
			if !action.CanTransition(a.Status, to) {
				return apperr.New(apperr.InvalidTransition, "an action in %s cannot move to %s", a.Status, to)
			}
			d.Actions.Items[i].Status = to
			return nil
		}
	}
	return apperr.New(apperr.NotFound, "action %s not found", id)
}

func (b *fakeBackend) changes() []call {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []call
	for _, c := range b.calls {
		switch c.procedure {
		case "case/v1/list", "property/v1/list", "case/v1/detail":
		default:
			out = append(out, c)
		}
	}
	return out
}

func ptr[T any](v T) *T { return &v }

func mkCase(org string, n int, status cases.Status, prio cases.Priority, urg cases.Urgency, age time.Duration, assignee *string, title string) cases.Case {
	created := clock.Add(-age)
	due := created.Add(72 * time.Hour)
	label, next := "concierge", "continue; check open actions"
	if status == cases.PendingOwner {
		label, next = "owner", "follow up on the open clarification"
	}
	return cases.Case{
		ID: fmt.Sprintf("00000000-0000-0000-0000-%012d", n), OrganizationID: org, PropertyID: "p-" + org,
		Number: fmt.Sprintf("CASE-2026-%d", n), Title: title, Status: status, Priority: prio, Category: "REPAIR",
		AssigneeID: assignee, CreatedAt: created, StatusChangedAt: created,
		Queue: &cases.Queue{WaitingOnLabel: label, NextAction: next, Urgency: urg, InStateSeconds: int64(age / time.Second),
			SLA: cases.SLA{State: "ON_TRACK", Target: "resolution", DueAt: &due}, AsOf: clock},
	}
}

// world is two organizations with five open cases between them.
func world() *fakeBackend {
	b := &fakeBackend{
		orgs: []Organization{{ID: "org-r", Name: "Rivera household"}, {ID: "org-c", Name: "Chen trust"}},
		props: map[string][]property.Property{
			"org-r": {{ID: "p-org-r", Name: "Rivera home"}},
			"org-c": {{ID: "p-org-c", Name: "Lake cabin"}},
		},
		cases: map[string][]cases.Case{
			"org-r": {
				mkCase("org-r", 1, cases.InProgress, "HIGH", cases.High, 30*time.Hour, ptr(me), "Water heater leaking"),
				mkCase("org-r", 2, cases.PendingOwner, "NORMAL", cases.Normal, 50*time.Hour, nil, "New fence needs HOA approval"),
				mkCase("org-r", 3, cases.Intake, "LOW", cases.Low, 2*time.Hour, nil, "Gutter cleaning before winter"),
			},
			"org-c": {
				mkCase("org-c", 4, cases.Assessment, "EMERGENCY", cases.Critical, 5*time.Hour, ptr(other), "Burst pipe in the kitchen"),
				mkCase("org-c", 5, cases.Intake, "NORMAL", cases.Normal, 10*time.Hour, nil, "Dock boards loose"),
			},
		},
		details: map[string]Detail{},
		fail:    map[string][]error{},
	}
	c := b.cases["org-r"][0]
	c.AllowedTransitions = []cases.Status{cases.PendingOwner, cases.Resolved}
	b.details[c.ID] = Detail{
		Detail: cases.Detail{
			Case: c,
			Origin: &cases.Origin{Title: "Hot water everywhere", Text: "The water heater in the garage is leaking onto the floor.",
				Status: "CONVERTED", CreatedAt: clock.Add(-31 * time.Hour)},
			Timeline: cases.Part[cases.TimelineEntry]{Items: []cases.TimelineEntry{
				{At: clock.Add(-30 * time.Hour), Entity: "case", Summary: "case opened"},
				{At: clock.Add(-29 * time.Hour), Entity: "case", Summary: "INTAKE → IN_PROGRESS"},
			}},
			Notes: cases.Part[cases.Note]{Items: []cases.Note{
				{Audience: cases.Internal, Kind: "GENERAL", Text: "Owner prefers mornings.", CreatedAt: clock.Add(-20 * time.Hour)},
				{Audience: cases.Shared, Kind: "GENERAL", Text: "A plumber comes tomorrow.", CreatedAt: clock.Add(-19 * time.Hour)},
			}},
			Actions: cases.Part[action.Action]{Items: []action.Action{
				{ID: "a-1", Type: "VENDOR_VISIT", Title: "Plumber visit", Status: "PLANNED"},
				{ID: "a-2", Type: "CALL", Title: "Call the owner", Status: action.Completed, Outcome: "confirmed access"},
			}},
			Participants: cases.Part[cases.Participant]{Items: []cases.Participant{
				{Role: "OWNER", Name: "Jordan Rivera"}, {Role: "VENDOR_CONTACT", Name: "Sam Ortiz", OrganizationName: "Austin Plumbing"},
			}},
		},
		Quotes: cases.Part[casedetail.Quote]{Items: []casedetail.Quote{
			{VendorName: "Austin Plumbing", ScopeKey: "heater", Amount: "1200.00", Currency: "USD", Status: "RECEIVED"},
			{VendorName: "Budget Pipes", ScopeKey: "heater", Amount: "900.00", Currency: "USD", Status: "RECEIVED"},
		}},
	}
	return b
}
