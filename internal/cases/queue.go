package cases

import (
	"strconv"
	"time"

	"github.com/invopop/jsonschema"

	"github.com/hestami/concierge/internal/enum"
)

// ExternalKind is the kind of party a PENDING_EXTERNAL case waits on.
type ExternalKind string

// ExternalKinds lists every kind of external party.
var ExternalKinds = enum.New[ExternalKind]("HOA", "VENDOR", "OTHER").Stored("cases", "waiting_on_kind")

// JSONSchema makes every ExternalKind field an enum.
func (ExternalKind) JSONSchema() *jsonschema.Schema { return ExternalKinds.Schema() }

// WaitingOn is the external party a PENDING_EXTERNAL case waits on.
type WaitingOn struct {
	Kind ExternalKind `json:"kind"`
	Name string       `json:"name" jsonschema:"minLength=1,maxLength=200,pattern=^[^\\x00-\\x1F\\x7F-\\x9F]*$"`
}

// Party is who the next step of a case is waiting on.
type Party string

const (
	PartyConcierge Party = "CONCIERGE"
	PartyOwner     Party = "OWNER"
	PartyExternal  Party = "EXTERNAL"
	PartyNone      Party = "NONE"
)

// Parties lists every party; NONE is ON_HOLD's and the terminal statuses'.
var Parties = enum.New(PartyConcierge, PartyOwner, PartyExternal, PartyNone)

// JSONSchema makes every Party field an enum.
func (Party) JSONSchema() *jsonschema.Schema { return Parties.Schema() }

// Urgency is where a case stands in the work queue.
type Urgency string

const (
	Critical Urgency = "CRITICAL"
	High     Urgency = "HIGH"
	Normal   Urgency = "NORMAL"
	Low      Urgency = "LOW"
)

// Urgencies lists every urgency, most urgent first; its index is the rank
// hestami_case_urgency returns.
var Urgencies = enum.New(Critical, High, Normal, Low)

// JSONSchema makes every Urgency field an enum.
func (Urgency) JSONSchema() *jsonschema.Schema { return Urgencies.Schema() }

func (u Urgency) rank() int {
	for i, v := range Urgencies.Values() {
		if v == u {
			return i
		}
	}
	return len(Urgencies.Values())
}

// staleAfter is how long a case may sit in one status before it is at
// least HIGH.
const staleAfter = 48 * time.Hour

// Queue is the work-queue view of a case at one instant (domain.md §4):
// derived from the stored case, never stored itself.
type Queue struct {
	// WaitingOn is who the next step waits on; WaitingOnLabel says it in
	// words, naming the external party.
	WaitingOn      Party   `json:"waitingOn"`
	WaitingOnLabel string  `json:"waitingOnLabel"`
	NextAction     string  `json:"nextAction"`
	Urgency        Urgency `json:"urgency"`
	// InStateSeconds is how long the case has been in its status.
	InStateSeconds int64 `json:"inStateSeconds"`
	SLA            SLA   `json:"sla"`
	// AsOf is the instant the view was computed at (a list's pages share
	// the first page's).
	AsOf time.Time `json:"asOf"`
}

// queueRow is the fixed part of the view of each status.
type queueRow struct {
	party Party
	label string
	next  string
}

// queueTable is the work-queue table of domain.md §4, plus the terminal
// statuses, which wait on no one.
var queueTable = map[Status]queueRow{
	Intake:          {PartyConcierge, "concierge", "assess the request and decide the next steps"},
	Assessment:      {PartyConcierge, "concierge", "finish the assessment and start the work"},
	InProgress:      {PartyConcierge, "concierge", "continue; check open actions"},
	PendingOwner:    {PartyOwner, "owner", "follow up on the open clarification"},
	PendingExternal: {PartyExternal, "external party", "follow up with the external party"},
	OnHold:          {PartyNone, "—", "review why it is held; resume or cancel"},
	Resolved:        {PartyOwner, "owner (objection window)", "close when the window ends"},
	Closed:          {PartyNone, "—", "none; the case is closed"},
	Cancelled:       {PartyNone, "—", "none; the case is cancelled"},
}

// partyStatuses are the statuses each party is waited on in (the
// waiting-on filter of case/v1/list).
func partyStatuses(p Party) []Status {
	var out []Status
	for _, s := range Statuses.Values() {
		if queueTable[s].party == p {
			out = append(out, s)
		}
	}
	return out
}

// QueueOf is c's work-queue view at asOf under t. Urgency, in order:
// CLOSED/CANCELLED → LOW; SLA breached or priority EMERGENCY/URGENT →
// CRITICAL; SLA at risk, priority HIGH, or more than 48 h in the same
// status → HIGH; priority LOW → LOW; otherwise NORMAL. It is the Go form
// of the SQL function hestami_case_urgency (migration 0015), which the
// urgency filter and sort of case/v1/list use.
func QueueOf(c Case, asOf time.Time, t Targets) Queue {
	row := queueTable[c.Status]
	q := Queue{WaitingOn: row.party, WaitingOnLabel: row.label, NextAction: row.next,
		InStateSeconds: int64(asOf.Sub(c.StatusChangedAt) / time.Second), SLA: SLAOf(c, asOf, t), AsOf: asOf}
	if c.Status == PendingExternal && c.WaitingOn != nil {
		q.WaitingOnLabel = string(c.WaitingOn.Kind) + " " + strconv.Quote(c.WaitingOn.Name)
		q.NextAction = "follow up with " + c.WaitingOn.Name
	}
	switch {
	case Terminal(c.Status):
		q.Urgency = Low
	case q.SLA.State == Breached || c.Priority == "EMERGENCY" || c.Priority == "URGENT":
		q.Urgency = Critical
	case q.SLA.State == AtRisk || c.Priority == "HIGH" || asOf.Sub(c.StatusChangedAt) > staleAfter:
		q.Urgency = High
	case c.Priority == "LOW":
		q.Urgency = Low
	default:
		q.Urgency = Normal
	}
	return q
}
