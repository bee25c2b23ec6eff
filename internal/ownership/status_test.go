package ownership

import (
	"slices"
	"testing"

	"github.com/hestami/concierge/internal/statemachine/statemachinetest"
)

// The machine of the package doc, written out independently of Transitions
// so that a change to the table must be made twice to pass.
var spec = map[Status]map[Status]bool{
	PendingVerification: {Active: true, Terminated: true},
	Active:              {Suspended: true, Terminated: true},
	Suspended:           {Active: true, Terminated: true},
	Terminated:          {},
}

func TestEveryTransitionPairMatchesTheSpec(t *testing.T) {
	t.Parallel()
	statemachinetest.CheckPairs(t, Transitions, Statuses.Values(), spec)
}

func TestTerminalAndInitialStatuses(t *testing.T) {
	t.Parallel()
	for _, s := range Statuses.Values() {
		if want := s == Terminated; Terminal(s) != want {
			t.Errorf("Terminal(%s) = %v, want %v", s, Terminal(s), want)
		}
	}
	if !slices.Equal(Initial, []Status{Active, PendingVerification}) {
		t.Errorf("initial statuses %v", Initial)
	}
	if CanTransition(Status("BOGUS"), Active) || CanTransition(Active, Status("BOGUS")) {
		t.Error("an unknown status takes part in a transition")
	}
	if got := transitionRefusal(Terminated, Active); got != "an ownership in TERMINATED cannot move to ACTIVE (TERMINATED is final)" {
		t.Errorf("refusal: %q", got)
	}
	if got := transitionRefusal(PendingVerification, Suspended); got != "an ownership in PENDING_VERIFICATION cannot move to SUSPENDED; allowed: ACTIVE, TERMINATED" {
		t.Errorf("refusal: %q", got)
	}
}
