package statemachine_test

import (
	"testing"

	"github.com/hestami/concierge/internal/statemachine"
	"github.com/hestami/concierge/internal/statemachine/statemachinetest"
)

type light string

var table = statemachine.Table[light]{"RED": {"GREEN"}, "GREEN": {"AMBER", "OFF"}, "AMBER": {"RED", "OFF"}}

func TestTheTableAnswers(t *testing.T) {
	t.Parallel()
	statemachinetest.CheckPairs(t, table, []light{"RED", "GREEN", "AMBER", "OFF"}, map[light]map[light]bool{
		"RED": {"GREEN": true}, "GREEN": {"AMBER": true, "OFF": true}, "AMBER": {"RED": true, "OFF": true}, "OFF": {},
	})
	if got := table.Refusal("a light", "RED", "OFF"); got != "a light in RED cannot move to OFF; allowed: GREEN" {
		t.Errorf("refusal: %q", got)
	}
	if got := table.Refusal("a light", "OFF", "RED"); got != "a light in OFF cannot move to RED (OFF is final)" {
		t.Errorf("final refusal: %q", got)
	}
}

// The checker fails on a table that disagrees with the spec.
func TestCheckPairsCatchesADifference(t *testing.T) {
	t.Parallel()
	probe := &testing.T{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		statemachinetest.CheckPairs(probe, table, []light{"RED", "GREEN", "AMBER", "OFF"}, map[light]map[light]bool{
			"RED": {"GREEN": true, "OFF": true}, "GREEN": {"AMBER": true, "OFF": true}, "AMBER": {"RED": true, "OFF": true}, "OFF": {},
		})
	}()
	<-done
	if !probe.Failed() {
		t.Fatal("a spec allowing RED → OFF passed against a table that does not")
	}
}
