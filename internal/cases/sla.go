package cases

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/invopop/jsonschema"

	"github.com/hestami/concierge/internal/enum"
)

// Target is one priority's service level: the case answered (out of
// INTAKE) within Response, resolved within Resolution, both counted on the
// case's clock (which stops while the case waits on someone else).
type Target struct {
	Response   time.Duration
	Resolution time.Duration
}

// Targets are the service levels of every priority.
type Targets map[Priority]Target

// DefaultTargets are the targets when the configuration names none
// (config keys sla.<priority>.response|resolution).
var DefaultTargets = Targets{
	"EMERGENCY": {Response: time.Hour, Resolution: 24 * time.Hour},
	"URGENT":    {Response: 4 * time.Hour, Resolution: 72 * time.Hour},
	"HIGH":      {Response: 8 * time.Hour, Resolution: 5 * 24 * time.Hour},
	"NORMAL":    {Response: 24 * time.Hour, Resolution: 10 * 24 * time.Hour},
	"LOW":       {Response: 72 * time.Hour, Resolution: 30 * 24 * time.Hour},
}

// Validate refuses targets the clock cannot honour: every priority needs
// both targets, in whole seconds (the database compares in seconds), and
// a response no later than the resolution.
func (t Targets) Validate() error {
	for _, p := range Priorities.Values() {
		x, ok := t[p]
		switch {
		case !ok:
			return fmt.Errorf("sla.%s: no targets", p)
		case x.Response < time.Second || x.Resolution < time.Second:
			return fmt.Errorf("sla.%s: targets must be at least 1s", p)
		case x.Response%time.Second != 0 || x.Resolution%time.Second != 0:
			return fmt.Errorf("sla.%s: targets must be whole seconds", p)
		case x.Response > x.Resolution:
			return fmt.Errorf("sla.%s: response target %s is later than resolution target %s", p, x.Response, x.Resolution)
		}
	}
	return nil
}

// SQLArg is the targets as the SQL functions hestami_case_sla_state and
// hestami_case_urgency read them (JSON, seconds).
func (t Targets) SQLArg() string {
	m := map[Priority]map[string]int64{}
	for p, x := range t {
		m[p] = map[string]int64{"response": int64(x.Response / time.Second), "resolution": int64(x.Resolution / time.Second)}
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// SLAState is where a case stands against its current target.
type SLAState string

const (
	OnTrack       SLAState = "ON_TRACK"
	AtRisk        SLAState = "AT_RISK"
	Breached      SLAState = "BREACHED"
	NotApplicable SLAState = "NOT_APPLICABLE"
)

// SLAStates lists every SLA state.
var SLAStates = enum.New(OnTrack, AtRisk, Breached, NotApplicable)

// JSONSchema makes every SLAState field an enum.
func (SLAState) JSONSchema() *jsonschema.Schema { return SLAStates.Schema() }

// clockStops reports whether the SLA clock is stopped in s: while the case
// waits on the owner or an external party (domain.md §4), once it is
// resolved (a reopen starts it again) and for good once it is terminal.
func clockStops(s Status) bool {
	switch s {
	case PendingOwner, PendingExternal, Resolved, Closed, Cancelled:
		return true
	}
	return false
}

// SLA is a case's standing against its current target at one instant.
type SLA struct {
	State SLAState `json:"state"`
	// Target is which target applies: "response" until the case first
	// left INTAKE, then "resolution"; empty for a terminal case.
	Target string `json:"target,omitempty" jsonschema:"enum=response,enum=resolution"`
	// DueAt is when the target is breached if the clock keeps running:
	// the creation time plus the target plus every stopped period (the
	// current one up to now included).
	DueAt *time.Time `json:"dueAt,omitempty"`
	// Paused says the clock is stopped now.
	Paused bool `json:"paused"`
}

// SLAOf is c's SLA at asOf under t. It is the Go form of the SQL function
// hestami_case_sla_state (migration 0015); TestQueueGoAndSQLAgree holds
// them together.
func SLAOf(c Case, asOf time.Time, t Targets) SLA {
	if Terminal(c.Status) {
		return SLA{State: NotApplicable}
	}
	target, which := t[c.Priority].Resolution, "resolution"
	if c.RespondedAt == nil {
		target, which = t[c.Priority].Response, "response"
	}
	stop := asOf
	if c.PausedSince != nil && c.PausedSince.Before(asOf) {
		stop = *c.PausedSince
	}
	paused := time.Duration(c.PausedSeconds) * time.Second
	clock := stop.Sub(c.CreatedAt) - paused
	due := c.CreatedAt.Add(target + paused + asOf.Sub(stop))
	out := SLA{State: OnTrack, Target: which, DueAt: &due, Paused: c.PausedSince != nil}
	switch {
	case clock > target:
		out.State = Breached
	case 4*clock > 3*target:
		out.State = AtRisk
	}
	return out
}

// slaSet is the part of a status change's UPDATE (whose $2 is the new
// status) that keeps the SLA clock: the response is the first move out of
// INTAKE; a stop begins on entering a status that stops the clock and its
// whole seconds are added when the case leaves it; waitingOn is stored in
// PENDING_EXTERNAL and cleared on leaving it. Every status change goes
// through here, so the clock is never inferred from history.
func slaSet(to Status, waiting *WaitingOn, args *[]any) string {
	stops := clockStops(to)
	var kind, name *string
	if to == PendingExternal && waiting != nil {
		k, n := string(waiting.Kind), strings.TrimSpace(waiting.Name)
		kind, name = &k, &n
	}
	*args = append(*args, stops, kind, name)
	n := len(*args)
	stopsP, kindP, nameP := "$"+strconv.Itoa(n-2)+"::boolean", "$"+strconv.Itoa(n-1)+"::text", "$"+strconv.Itoa(n)+"::text"
	// The transaction's now() may precede a stop another transaction began
	// (it started earlier and waited for the row lock): never a negative stop.
	return `responded_at = COALESCE(responded_at, CASE WHEN $2 <> 'INTAKE' THEN now() END),
		paused_seconds = paused_seconds + CASE WHEN paused_since IS NOT NULL AND NOT ` + stopsP + `
			THEN GREATEST(0, floor(extract(epoch FROM now() - paused_since)))::bigint ELSE 0 END,
		paused_since = CASE WHEN ` + stopsP + ` THEN COALESCE(paused_since, now()) END,
		waiting_on_kind = ` + kindP + `, waiting_on_name = ` + nameP
}

// statusEvent is the activity record of a status change.
func statusEvent(to Status, reason string, waiting *WaitingOn) map[string]any {
	ev := map[string]any{"status": to, "reason": reason}
	if waiting != nil {
		ev["waitingOn"] = waiting
	}
	return ev
}
