package action

import (
	"github.com/invopop/jsonschema"

	"github.com/hestami/concierge/internal/enum"
	"github.com/hestami/concierge/internal/statemachine"
)

// Status is where an action is in its life.
type Status string

const (
	Planned    Status = "PLANNED"
	InProgress Status = "IN_PROGRESS"
	Blocked    Status = "BLOCKED"
	Completed  Status = "COMPLETED"
	Cancelled  Status = "CANCELLED"
)

// Statuses lists every status in lifecycle order.
var Statuses = enum.New(Planned, InProgress, Blocked, Completed, Cancelled).Stored("case_actions", "status")

// JSONSchema makes every Status field an enum.
func (Status) JSONSchema() *jsonschema.Schema { return Statuses.Schema() }

// Transitions is the action machine of domain.md §6: from → allowed
// targets. A planned action may also be dropped before it starts.
// COMPLETED and CANCELLED are absent as keys: they are final.
var Transitions = statemachine.Table[Status]{
	Planned:    {InProgress, Cancelled},
	InProgress: {Completed, Blocked, Cancelled},
	Blocked:    {InProgress, Cancelled},
}

// CanTransition reports whether the machine allows from → to.
func CanTransition(from, to Status) bool {
	return Transitions.Allows(from, to)
}

// Terminal reports whether no transition leaves s.
func Terminal(s Status) bool { return Transitions.Terminal(s) }

// Open lists the statuses that keep a case from being resolved (every
// non-final one).
var Open = []Status{Planned, InProgress, Blocked}

// transitionRefusal explains a refused from → to and names the way forward.
func transitionRefusal(from, to Status) string {
	return Transitions.Refusal("an action", from, to)
}

// Type is the kind of work an action is (domain.md §6).
type Type string

// Types lists every action type.
var Types = enum.New[Type]("PHONE_CALL", "EMAIL", "DOCUMENT_REVIEW", "RESEARCH", "VENDOR_CONTACT", "HOA_CONTACT",
	"SCHEDULING", "APPROVAL_REQUEST", "FOLLOW_UP", "ESCALATION", "OTHER").Stored("case_actions", "type")

// JSONSchema makes every Type field an enum.
func (Type) JSONSchema() *jsonschema.Schema { return Types.Schema() }
