package cases

import "strings"

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
var Statuses = []Status{Intake, Assessment, InProgress, PendingExternal, PendingOwner, OnHold, Resolved, Closed, Cancelled}

// Transitions is the case state machine: from → allowed targets. A status
// absent as a key (CLOSED, CANCELLED) is terminal.
var Transitions = map[Status][]Status{
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
	for _, s := range Transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// Terminal reports whether no transition leaves s.
func Terminal(s Status) bool { return len(Transitions[s]) == 0 }

// transitionRefusal explains a refused from → to and names the way forward.
func transitionRefusal(from, to Status) string {
	msg := "a case in " + string(from) + " cannot move to " + string(to)
	if Terminal(from) {
		return msg + " (" + string(from) + " is final)"
	}
	allowed := make([]string, len(Transitions[from]))
	for i, s := range Transitions[from] {
		allowed[i] = string(s)
	}
	return msg + "; allowed: " + strings.Join(allowed, ", ")
}

func validStatus(s string) bool {
	for _, x := range Statuses {
		if string(x) == s {
			return true
		}
	}
	return false
}

func statusStrings() []string {
	out := make([]string, len(Statuses))
	for i, s := range Statuses {
		out[i] = string(s)
	}
	return out
}

// Categories and priorities (domain.md §3).
var (
	Categories = []string{"MAINTENANCE", "REPAIR", "IMPROVEMENT", "COMPLIANCE", "HOA_APPROVAL", "VENDOR_QUOTE", "DISPUTE", "INQUIRY", "EMERGENCY", "OTHER"}
	Priorities = []string{"LOW", "NORMAL", "HIGH", "URGENT", "EMERGENCY"}
)
