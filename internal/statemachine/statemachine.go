// Package statemachine is the one shape of every lifecycle in hestami: a
// transition table as data (from → allowed targets; a state with no targets
// is final), with the questions every domain asks of it and the refusal
// message every domain gives. Domains declare their table once; the
// statemachinetest package checks it pair by pair against an independent
// copy of the spec.
package statemachine

import "strings"

// Table maps a state to the states it may move to.
type Table[S ~string] map[S][]S

// Allows reports whether from → to is a transition of the table.
func (t Table[S]) Allows(from, to S) bool {
	for _, s := range t[from] {
		if s == to {
			return true
		}
	}
	return false
}

// Terminal reports whether no transition leaves s.
func (t Table[S]) Terminal(s S) bool { return len(t[s]) == 0 }

// Refusal explains a refused from → to and names the way forward, e.g.
// "a case in ASSESSMENT cannot move to CLOSED; allowed: IN_PROGRESS, …" or
// "… (CLOSED is final)". noun is what moves, with its article ("a case").
func (t Table[S]) Refusal(noun string, from, to S) string {
	msg := noun + " in " + string(from) + " cannot move to " + string(to)
	if t.Terminal(from) {
		return msg + " (" + string(from) + " is final)"
	}
	allowed := make([]string, len(t[from]))
	for i, s := range t[from] {
		allowed[i] = string(s)
	}
	return msg + "; allowed: " + strings.Join(allowed, ", ")
}
