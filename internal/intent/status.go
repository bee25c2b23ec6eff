package intent

import (
	"github.com/invopop/jsonschema"

	"github.com/hestami/concierge/internal/cases"
	"github.com/hestami/concierge/internal/enum"
	"github.com/hestami/concierge/internal/statemachine"
)

// Status is where an intent is in its life (domain.md §3).
type Status string

const (
	Draft        Status = "DRAFT"
	Submitted    Status = "SUBMITTED"
	Acknowledged Status = "ACKNOWLEDGED"
	Converted    Status = "CONVERTED"
	Declined     Status = "DECLINED"
	Withdrawn    Status = "WITHDRAWN"
)

// Statuses lists every status in lifecycle order.
var Statuses = enum.New(Draft, Submitted, Acknowledged, Converted, Declined, Withdrawn).Stored("intents", "status")

// JSONSchema makes every Status field an enum.
func (Status) JSONSchema() *jsonschema.Schema { return Statuses.Schema() }

// The proposal and the override hold the case's categories and priorities,
// declared once in internal/cases; these bind the intent columns to them so
// that the catalog test checks their CHECKs too.
var (
	_ = cases.Categories.Stored("intents", "proposed_category").Stored("intents", "override_category")
	_ = cases.Priorities.Stored("intents", "proposed_priority").Stored("intents", "override_priority")
)

// Transitions is the intent state machine: from → allowed targets.
// CONVERTED, DECLINED and WITHDRAWN are absent as keys: they are final.
// Conversion is allowed from SUBMITTED as well as ACKNOWLEDGED (domain.md
// §3), and declining likewise, so that staff need not acknowledge what they
// are about to turn down.
var Transitions = statemachine.Table[Status]{
	Draft:        {Submitted, Withdrawn},
	Submitted:    {Acknowledged, Converted, Declined, Withdrawn},
	Acknowledged: {Converted, Declined, Withdrawn},
}

// CanTransition reports whether the machine allows from → to.
func CanTransition(from, to Status) bool {
	return Transitions.Allows(from, to)
}

// Terminal reports whether no transition leaves s.
func Terminal(s Status) bool { return Transitions.Terminal(s) }

// transitionRefusal explains a refused from → to and names the way forward.
func transitionRefusal(from, to Status) string {
	return Transitions.Refusal("an intent", from, to)
}
