package cases

import (
	"testing"

	"github.com/hestami/concierge/internal/statemachine/statemachinetest"
)

// The lifecycle of domain.md §4, written out independently of Transitions so
// that a change to the table must be made twice to pass.
var spec = map[Status]map[Status]bool{
	Intake:          {Assessment: true, Cancelled: true},
	Assessment:      {InProgress: true, PendingExternal: true, PendingOwner: true, OnHold: true, Cancelled: true},
	InProgress:      {PendingExternal: true, PendingOwner: true, OnHold: true, Resolved: true, Cancelled: true},
	PendingExternal: {InProgress: true, OnHold: true, Resolved: true, Cancelled: true},
	PendingOwner:    {InProgress: true, OnHold: true, Resolved: true, Cancelled: true},
	OnHold:          {Assessment: true, InProgress: true, PendingExternal: true, PendingOwner: true, Cancelled: true},
	Resolved:        {Closed: true, InProgress: true},
	Closed:          {},
	Cancelled:       {},
}

func TestEveryTransitionPairMatchesTheSpec(t *testing.T) {
	t.Parallel()
	statemachinetest.CheckPairs(t, Transitions, Statuses.Values(), spec)
}

func TestTerminalStatuses(t *testing.T) {
	t.Parallel()
	for _, s := range Statuses.Values() {
		want := s == Closed || s == Cancelled
		if Terminal(s) != want {
			t.Errorf("Terminal(%s) = %v, want %v", s, Terminal(s), want)
		}
	}
	if CanTransition(Cancelled, Cancelled) {
		t.Error("a cancelled case can be cancelled again")
	}
	if CanTransition(Status("BOGUS"), Intake) || CanTransition(Intake, Status("BOGUS")) {
		t.Error("an unknown status takes part in a transition")
	}
}
