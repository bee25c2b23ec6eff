// Package statemachinetest checks a domain's transition table against an
// independent copy of its spec, for every ordered pair of states.
package statemachinetest

import (
	"testing"

	"github.com/hestami/concierge/internal/statemachine"
)

// CheckPairs fails t for every pair (from, to) of states on which table and
// spec disagree, and when spec does not name every state (so a new state
// cannot slip in untested). spec is written out by hand in the test, from
// the domain document, not derived from the table.
func CheckPairs[S ~string](t testing.TB, table statemachine.Table[S], states []S, spec map[S]map[S]bool) {
	t.Helper()
	if len(states) != len(spec) {
		t.Fatalf("%d states, the spec has %d", len(states), len(spec))
	}
	for _, from := range states {
		if _, ok := spec[from]; !ok {
			t.Errorf("the spec does not name %s", from)
		}
		for _, to := range states {
			if got, want := table.Allows(from, to), spec[from][to]; got != want {
				t.Errorf("%s → %s: allowed=%v, want %v", from, to, got, want)
			}
		}
		if got, want := table.Terminal(from), len(spec[from]) == 0; got != want {
			t.Errorf("Terminal(%s) = %v, want %v", from, got, want)
		}
	}
}
