package cases_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/hestami/concierge/internal/cases"
)

// The work-queue table of domain.md §4 (and the terminal statuses, which
// wait on no one), written out independently of the code.
var queueSpec = map[cases.Status]struct {
	party cases.Party
	next  string
}{
	"INTAKE":           {"CONCIERGE", "assess the request and decide the next steps"},
	"ASSESSMENT":       {"CONCIERGE", "finish the assessment and start the work"},
	"IN_PROGRESS":      {"CONCIERGE", "continue; check open actions"},
	"PENDING_OWNER":    {"OWNER", "follow up on the open clarification"},
	"PENDING_EXTERNAL": {"EXTERNAL", "follow up with Maple HOA board"},
	"ON_HOLD":          {"NONE", "review why it is held; resume or cancel"},
	"RESOLVED":         {"OWNER", "close when the window ends"},
	"CLOSED":           {"NONE", "none; the case is closed"},
	"CANCELLED":        {"NONE", "none; the case is cancelled"},
}

// wantUrgency is the urgency rule of domain.md §4 as the spec words it,
// with the documented choice for terminal cases.
func wantUrgency(status cases.Status, priority cases.Priority, sla cases.SLAState, stale bool) cases.Urgency {
	if status == "CLOSED" || status == "CANCELLED" {
		return cases.Low
	}
	if sla == cases.Breached || priority == "EMERGENCY" || priority == "URGENT" {
		return cases.Critical
	}
	if sla == cases.AtRisk || priority == "HIGH" || stale {
		return cases.High
	}
	if priority == "LOW" {
		return cases.Low
	}
	return cases.Normal
}

// Every status × priority × SLA standing × time in state, against the
// table and the urgency rules; the SLA boundaries exactly at their edges.
func TestQueueViewTable(t *testing.T) {
	t.Parallel()
	asOf := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	targets := cases.DefaultTargets
	for _, status := range cases.Statuses.Values() {
		for _, priority := range cases.Priorities.Values() {
			target := targets[priority].Resolution
			if status == "INTAKE" {
				target = targets[priority].Response
			}
			// clock used at asOf → the SLA state it must give.
			clocks := []struct {
				used time.Duration
				want cases.SLAState
			}{
				{0, cases.OnTrack},
				{target * 3 / 4, cases.OnTrack}, // exactly a quarter left: not yet at risk
				{target*3/4 + time.Microsecond, cases.AtRisk},
				{target, cases.AtRisk}, // exactly due: not yet breached
				{target + time.Microsecond, cases.Breached},
			}
			for _, clock := range clocks {
				for _, inState := range []time.Duration{time.Hour, 48 * time.Hour, 48*time.Hour + time.Microsecond} {
					for _, paused := range []int64{0, 7200} {
						c := cases.Case{Status: status, Priority: priority, StatusChangedAt: asOf.Add(-inState), PausedSeconds: paused}
						stop := asOf
						if status != "INTAKE" {
							r := asOf.Add(-time.Hour)
							c.RespondedAt = &r
						}
						stopped := status == "PENDING_OWNER" || status == "PENDING_EXTERNAL" || status == "RESOLVED" || cases.Terminal(status)
						if stopped {
							// Stopped 3 h ago: the 3 h do not count.
							stop = asOf.Add(-3 * time.Hour)
							c.PausedSince = &stop
						}
						c.CreatedAt = stop.Add(-clock.used - time.Duration(paused)*time.Second)
						if status == "PENDING_EXTERNAL" {
							c.WaitingOn = &cases.WaitingOn{Kind: "HOA", Name: "Maple HOA board"}
						}
						name := fmt.Sprintf("%s/%s/clock=%s/inState=%s/paused=%d", status, priority, clock.used, inState, paused)
						q := cases.QueueOf(c, asOf, targets)
						wantSLA := clock.want
						if cases.Terminal(status) {
							wantSLA = cases.NotApplicable
						}
						want := wantUrgency(status, priority, wantSLA, inState > 48*time.Hour)
						if q.WaitingOn != queueSpec[status].party || q.NextAction != queueSpec[status].next || q.SLA.State != wantSLA || q.Urgency != want {
							t.Errorf("%s: got %s/%q/%s/%s, want %s/%q/%s/%s", name, q.WaitingOn, q.NextAction, q.SLA.State, q.Urgency,
								queueSpec[status].party, queueSpec[status].next, wantSLA, want)
						}
						if q.InStateSeconds != int64(inState/time.Second) {
							t.Errorf("%s: in state %ds", name, q.InStateSeconds)
						}
						if cases.Terminal(status) {
							if q.SLA.DueAt != nil {
								t.Errorf("%s: a terminal case has an SLA due time", name)
							}
							continue
						}
						// Due: creation + target + every stopped second (the
						// current stop up to asOf included).
						wantDue := c.CreatedAt.Add(target + time.Duration(paused)*time.Second + asOf.Sub(stop))
						if q.SLA.DueAt == nil || !q.SLA.DueAt.Equal(wantDue) || q.SLA.Paused != stopped {
							t.Errorf("%s: due %v paused %v, want %v %v", name, q.SLA.DueAt, q.SLA.Paused, wantDue, stopped)
						}
						wantTarget := "resolution"
						if status == "INTAKE" {
							wantTarget = "response"
						}
						if q.SLA.Target != wantTarget {
							t.Errorf("%s: target %q", name, q.SLA.Target)
						}
					}
				}
			}
		}
	}
	// The external party is named where the queue says who it waits on.
	q := cases.QueueOf(cases.Case{Status: "PENDING_EXTERNAL", Priority: "NORMAL", CreatedAt: asOf, StatusChangedAt: asOf,
		WaitingOn: &cases.WaitingOn{Kind: "VENDOR", Name: "Acme Plumbing"}}, asOf, targets)
	if q.WaitingOnLabel != `VENDOR "Acme Plumbing"` {
		t.Errorf("label %q", q.WaitingOnLabel)
	}
}

func TestTargetsValidate(t *testing.T) {
	t.Parallel()
	if err := cases.DefaultTargets.Validate(); err != nil {
		t.Fatal(err)
	}
	for name, mod := range map[string]func(cases.Targets){
		"missing": func(t cases.Targets) { delete(t, "LOW") },
		"sub-second": func(t cases.Targets) {
			t["LOW"] = cases.Target{Response: 1500 * time.Millisecond, Resolution: time.Hour}
		},
		"zero":            func(t cases.Targets) { t["LOW"] = cases.Target{Resolution: time.Hour} },
		"response > res.": func(t cases.Targets) { t["LOW"] = cases.Target{Response: 2 * time.Hour, Resolution: time.Hour} },
	} {
		x := cases.Targets{}
		for k, v := range cases.DefaultTargets {
			x[k] = v
		}
		mod(x)
		if x.Validate() == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
