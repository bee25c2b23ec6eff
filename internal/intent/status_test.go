package intent

import (
	"testing"

	"github.com/hestami/concierge/internal/statemachine/statemachinetest"
)

// The machine of domain.md §3, written out independently of Transitions so
// that a change to the table must be made twice to pass.
var spec = map[Status]map[Status]bool{
	Draft:        {Submitted: true, Withdrawn: true},
	Submitted:    {Acknowledged: true, Converted: true, Declined: true, Withdrawn: true},
	Acknowledged: {Converted: true, Declined: true, Withdrawn: true},
	Converted:    {},
	Declined:     {},
	Withdrawn:    {},
}

func TestEveryTransitionPairMatchesTheSpec(t *testing.T) {
	t.Parallel()
	statemachinetest.CheckPairs(t, Transitions, Statuses.Values(), spec)
}

func TestTerminalStatusesAndRefusals(t *testing.T) {
	t.Parallel()
	for _, s := range Statuses.Values() {
		want := s == Converted || s == Declined || s == Withdrawn
		if Terminal(s) != want {
			t.Errorf("Terminal(%s) = %v, want %v", s, Terminal(s), want)
		}
	}
	if CanTransition(Status("BOGUS"), Submitted) || CanTransition(Draft, Status("BOGUS")) {
		t.Error("an unknown status takes part in a transition")
	}
	if got := transitionRefusal(Converted, Withdrawn); got != "an intent in CONVERTED cannot move to WITHDRAWN (CONVERTED is final)" {
		t.Errorf("refusal: %q", got)
	}
	if got := transitionRefusal(Draft, Converted); got != "an intent in DRAFT cannot move to CONVERTED; allowed: SUBMITTED, WITHDRAWN" {
		t.Errorf("refusal: %q", got)
	}
}
