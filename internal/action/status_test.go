package action

import (
	"slices"
	"testing"

	"github.com/hestami/concierge/internal/statemachine/statemachinetest"
)

// The machine of domain.md §6, written out independently of Transitions so
// that a change to the table must be made twice to pass.
var spec = map[Status]map[Status]bool{
	Planned:    {InProgress: true, Cancelled: true},
	InProgress: {Completed: true, Blocked: true, Cancelled: true},
	Blocked:    {InProgress: true, Cancelled: true},
	Completed:  {},
	Cancelled:  {},
}

func TestEveryTransitionPairMatchesTheSpec(t *testing.T) {
	t.Parallel()
	statemachinetest.CheckPairs(t, Transitions, Statuses.Values(), spec)
}

func TestTerminalAndOpenStatuses(t *testing.T) {
	t.Parallel()
	for _, s := range Statuses.Values() {
		final := s == Completed || s == Cancelled
		if Terminal(s) != final {
			t.Errorf("Terminal(%s) = %v, want %v", s, Terminal(s), final)
		}
		if slices.Contains(Open, s) == final {
			t.Errorf("Open contains %s: %v, want %v", s, !final, !final)
		}
	}
	if CanTransition(Status("BOGUS"), InProgress) || CanTransition(Planned, Status("BOGUS")) {
		t.Error("an unknown status takes part in a transition")
	}
	if got := transitionRefusal(Completed, InProgress); got != "an action in COMPLETED cannot move to IN_PROGRESS (COMPLETED is final)" {
		t.Errorf("refusal: %q", got)
	}
	if got := transitionRefusal(Planned, Completed); got != "an action in PLANNED cannot move to COMPLETED; allowed: IN_PROGRESS, CANCELLED" {
		t.Errorf("refusal: %q", got)
	}
}
