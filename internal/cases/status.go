package cases

import (
	"github.com/invopop/jsonschema"

	"github.com/hestami/concierge/internal/enum"
	"github.com/hestami/concierge/internal/statemachine"
)

// Status is a case status (domain.md §4).
type Status string

const (
	Intake          Status = "INTAKE"
	Assessment      Status = "ASSESSMENT"
	InProgress      Status = "IN_PROGRESS"
	PendingExternal Status = "PENDING_EXTERNAL"
	PendingOwner    Status = "PENDING_OWNER"
	OnHold          Status = "ON_HOLD"
	Resolved        Status = "RESOLVED"
	Closed          Status = "CLOSED"
	Cancelled       Status = "CANCELLED"
)

// Statuses lists every status in lifecycle order.
var Statuses = enum.New(Intake, Assessment, InProgress, PendingExternal, PendingOwner, OnHold, Resolved, Closed, Cancelled).
	Stored("cases", "status")

// JSONSchema makes every Status field of an input or output an enum.
func (Status) JSONSchema() *jsonschema.Schema { return Statuses.Schema() }

// Transitions is the case state machine: from → allowed targets. A status
// absent as a key (CLOSED, CANCELLED) is terminal.
var Transitions = statemachine.Table[Status]{
	Intake:          {Assessment, Cancelled},
	Assessment:      {InProgress, PendingExternal, PendingOwner, OnHold, Cancelled},
	InProgress:      {PendingExternal, PendingOwner, OnHold, Resolved, Cancelled},
	PendingExternal: {InProgress, OnHold, Resolved, Cancelled},
	PendingOwner:    {InProgress, OnHold, Resolved, Cancelled},
	OnHold:          {Assessment, InProgress, PendingExternal, PendingOwner, Cancelled},
	Resolved:        {Closed, InProgress},
}

// CanTransition reports whether the machine allows from → to.
func CanTransition(from, to Status) bool {
	return Transitions.Allows(from, to)
}

// Terminal reports whether no transition leaves s.
func Terminal(s Status) bool { return Transitions.Terminal(s) }

// transitionRefusal explains a refused from → to and names the way forward.
func transitionRefusal(from, to Status) string {
	return Transitions.Refusal("a case", from, to)
}

// Category is what a case is about (domain.md §3).
type Category string

// Categories lists every category.
var Categories = enum.New[Category]("MAINTENANCE", "REPAIR", "IMPROVEMENT", "COMPLIANCE", "HOA_APPROVAL", "VENDOR_QUOTE",
	"DISPUTE", "INQUIRY", "EMERGENCY", "OTHER").Stored("cases", "category")

// JSONSchema makes every Category field an enum.
func (Category) JSONSchema() *jsonschema.Schema { return Categories.Schema() }

// Priority is how urgent a case is (domain.md §3).
type Priority string

// Priorities lists every priority, lowest first.
var Priorities = enum.New[Priority]("LOW", "NORMAL", "HIGH", "URGENT", "EMERGENCY").Stored("cases", "priority")

// JSONSchema makes every Priority field an enum.
func (Priority) JSONSchema() *jsonschema.Schema { return Priorities.Schema() }
