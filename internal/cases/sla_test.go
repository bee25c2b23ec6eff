package cases_test

import (
	"fmt"
	"math/rand"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/cases"
	"github.com/hestami/concierge/internal/listing"
	"github.com/hestami/concierge/internal/testkit"
)

// age rewrites a case's stored clock with the owner connection, as if it
// had been lived through (tests never sleep).
func (f *fixture) age(id, set string, args ...any) {
	f.T.Helper()
	if _, err := f.DB.Owner.Exec(f.Ctx, `UPDATE cases SET `+set+` WHERE id = $1`, append([]any{id}, args...)...); err != nil {
		f.T.Fatal(err)
	}
}

func (f *fixture) get(id string) cases.Case {
	f.T.Helper()
	c, err := testkit.Call[cases.Case](f.Bundle, f.staff, "case/v1/get", map[string]string{"id": id}, "")
	if err != nil {
		f.T.Fatal(err)
	}
	return c
}

// The clock runs from creation, the response is the first move out of
// INTAKE, and the time waiting on the owner is not counted: it accumulates
// when the owner answers.
func TestSLAClockPausesWhileWaitingOnTheOwner(t *testing.T) {
	t.Parallel()
	f := setup(t)
	c := f.open("Leak", func(in *cases.CreateInput) { in.Priority = "HIGH" })
	if c.RespondedAt != nil || c.PausedSince != nil {
		t.Fatalf("new case: %+v", c)
	}
	got := f.get(c.ID)
	if got.Queue == nil || got.Queue.SLA.Target != "response" || got.Queue.WaitingOn != cases.PartyConcierge || got.Queue.Urgency != cases.High {
		t.Fatalf("new case queue: %+v", got.Queue)
	}
	a, err := f.move(f.staff, c.ID, "ASSESSMENT", "k1")
	if err != nil || a.RespondedAt == nil {
		t.Fatalf("assessment: %+v %v", a, err)
	}
	if _, err := f.move(f.staff, c.ID, "IN_PROGRESS", "k2"); err != nil {
		t.Fatal(err)
	}
	asked, err := testkit.Call[cases.Clarification](f.Bundle, f.staff, "case/v1/requestClarification", cases.ClarifyInput{ID: c.ID, Text: "Where?"}, "q")
	if err != nil || asked.Case.PausedSince == nil || asked.Case.PausedSeconds != 0 {
		t.Fatalf("asked: %+v %v", asked.Case, err)
	}
	// Two hours waiting on the owner.
	f.age(c.ID, `paused_since = paused_since - interval '2 hours'`)
	waiting := f.get(c.ID)
	if !waiting.Queue.SLA.Paused || waiting.Queue.WaitingOn != cases.PartyOwner {
		t.Fatalf("waiting: %+v", waiting.Queue)
	}
	answered, err := testkit.Call[cases.Clarification](f.Bundle, f.w.RiveraOwner, "case/v1/answerClarification", cases.ClarifyInput{ID: c.ID, Text: "Kitchen"}, "a")
	if err != nil {
		t.Fatal(err)
	}
	// The stop is counted in whole seconds up to the answer; the answer
	// came a moment after the two hours, never before them.
	if answered.Case.PausedSince != nil || answered.Case.PausedSeconds < 7200 || answered.Case.PausedSeconds > 7200+600 {
		t.Fatalf("answered: paused %d since %v", answered.Case.PausedSeconds, answered.Case.PausedSince)
	}
	// A second stop adds to the first: waiting on a vendor for a day.
	ext, err := f.move(f.staff, c.ID, "PENDING_EXTERNAL", "k3")
	if err != nil || ext.WaitingOn == nil || ext.WaitingOn.Name != "Acme Plumbing" {
		t.Fatalf("external: %+v %v", ext.WaitingOn, err)
	}
	first := answered.Case.PausedSeconds
	f.age(c.ID, `paused_since = paused_since - interval '1 day'`)
	back, err := f.move(f.staff, c.ID, "IN_PROGRESS", "k4")
	if err != nil {
		t.Fatal(err)
	}
	if back.WaitingOn != nil || back.PausedSeconds < first+86400 || back.PausedSeconds > first+86400+600 {
		t.Fatalf("back: waiting %+v paused %d (first %d)", back.WaitingOn, back.PausedSeconds, first)
	}
	// Due = created + resolution target + every stopped second.
	now := time.Now().UTC().Truncate(time.Microsecond)
	cases.SetNow(f.svc, func() time.Time { return now })
	q := f.get(c.ID).Queue
	want := back.CreatedAt.Add(cases.DefaultTargets["HIGH"].Resolution + time.Duration(back.PausedSeconds)*time.Second)
	if q.SLA.Target != "resolution" || q.SLA.DueAt == nil || !q.SLA.DueAt.Equal(want) || q.SLA.Paused {
		t.Fatalf("due %v, want %v (%+v)", q.SLA.DueAt, want, q.SLA)
	}
}

// PENDING_EXTERNAL needs the party waited on; it is refused elsewhere.
func TestPendingExternalNeedsWhoItWaitsOn(t *testing.T) {
	t.Parallel()
	f := setup(t)
	c := f.inProgress("Fence")
	call := func(in cases.UpdateStatusInput, key string) (cases.Case, error) {
		return testkit.Call[cases.Case](f.Bundle, f.staff, "case/v1/updateStatus", in, key)
	}
	_, err := call(cases.UpdateStatusInput{ID: c.ID, Status: "PENDING_EXTERNAL"}, "e1")
	wantFields(t, err, "waitingOn")
	_, err = call(cases.UpdateStatusInput{ID: c.ID, Status: "PENDING_EXTERNAL", WaitingOn: &cases.WaitingOn{Kind: "HOA", Name: "   "}}, "e2")
	wantFields(t, err, "waitingOn.name")
	_, err = call(cases.UpdateStatusInput{ID: c.ID, Status: "PENDING_EXTERNAL", WaitingOn: &cases.WaitingOn{Kind: "BANK", Name: "x"}}, "e3")
	wantCode(t, err, apperr.Validation)
	_, err = call(cases.UpdateStatusInput{ID: c.ID, Status: "ON_HOLD", WaitingOn: &cases.WaitingOn{Kind: "HOA", Name: "Maple"}}, "e4")
	wantFields(t, err, "waitingOn")
	if got := f.get(c.ID); got.Status != "IN_PROGRESS" {
		t.Fatalf("refusals changed the case: %s", got.Status)
	}
	out, err := call(cases.UpdateStatusInput{ID: c.ID, Status: "PENDING_EXTERNAL", WaitingOn: &cases.WaitingOn{Kind: "HOA", Name: " Maple HOA board "}}, "e5")
	if err != nil || out.WaitingOn == nil || *out.WaitingOn != (cases.WaitingOn{Kind: "HOA", Name: "Maple HOA board"}) {
		t.Fatalf("%+v %v", out.WaitingOn, err)
	}
	q := f.get(c.ID).Queue
	if q.WaitingOn != cases.PartyExternal || q.WaitingOnLabel != `HOA "Maple HOA board"` || !q.SLA.Paused {
		t.Fatalf("queue %+v", q)
	}
}

// AT_RISK and BREACHED follow from stored timestamps alone.
func TestSLAStatesFromStoredTimestamps(t *testing.T) {
	t.Parallel()
	f := setup(t)
	c := f.open("Gutter", func(in *cases.CreateInput) { in.Priority = "LOW" }) // response 72 h
	if q := f.get(c.ID).Queue; q.SLA.State != cases.OnTrack || q.Urgency != cases.Low {
		t.Fatalf("new: %+v", q)
	}
	f.age(c.ID, `created_at = now() - interval '60 hours', status_changed_at = now() - interval '60 hours'`)
	if q := f.get(c.ID).Queue; q.SLA.State != cases.AtRisk || q.Urgency != cases.High {
		t.Fatalf("60 h: %+v", q)
	}
	f.age(c.ID, `created_at = now() - interval '73 hours'`)
	if q := f.get(c.ID).Queue; q.SLA.State != cases.Breached || q.Urgency != cases.Critical {
		t.Fatalf("73 h: %+v", q)
	}
	// Answered: the resolution target (30 days) applies from creation.
	if _, err := f.move(f.staff, c.ID, "ASSESSMENT", "k"); err != nil {
		t.Fatal(err)
	}
	if q := f.get(c.ID).Queue; q.SLA.State != cases.OnTrack || q.SLA.Target != "resolution" || q.Urgency != cases.Low {
		t.Fatalf("answered: %+v", q)
	}
}

// The SQL functions that filter and sort lists and the Go view agree on
// every case at fixed instants, boundaries included; the urgency sort
// pages through every case once, in the Go view's order, and the urgency
// filter returns exactly the cases the Go view ranks so.
func TestQueueGoAndSQLAgree(t *testing.T) {
	t.Parallel()
	f := setup(t)
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	rng := rand.New(rand.NewSource(7))
	var ids []string
	for _, status := range cases.Statuses.Values() {
		for _, priority := range cases.Priorities.Values() {
			for range 2 {
				c := f.open(fmt.Sprint(status, " ", priority), func(in *cases.CreateInput) { in.Priority = priority })
				target := cases.DefaultTargets[priority].Resolution
				var responded *time.Time
				if status != "INTAKE" {
					r := t0.Add(-time.Hour)
					responded = &r
				} else {
					target = cases.DefaultTargets[priority].Response
				}
				stop := t0
				var pausedSince *time.Time
				if status == "PENDING_OWNER" || status == "PENDING_EXTERNAL" || status == "RESOLVED" || cases.Terminal(status) {
					stop = t0.Add(-[]time.Duration{0, time.Hour, 100 * time.Hour}[rng.Intn(3)])
					pausedSince = &stop
				}
				paused := []int64{0, 3600}[rng.Intn(2)]
				used := []time.Duration{target / 2, target * 3 / 4, target*3/4 + time.Microsecond, target, target + time.Microsecond, 2 * target}[rng.Intn(6)]
				created := stop.Add(-used - time.Duration(paused)*time.Second)
				inState := []time.Duration{time.Hour, 48 * time.Hour, 48*time.Hour + time.Microsecond, 100 * time.Hour}[rng.Intn(4)]
				var kind, name *string
				if status == "PENDING_EXTERNAL" {
					k, n := "VENDOR", "Acme"
					kind, name = &k, &n
				}
				f.age(c.ID, `status = $2, created_at = $3, status_changed_at = $4, responded_at = $5, paused_seconds = $6, paused_since = $7,
					waiting_on_kind = $8, waiting_on_name = $9`, string(status), created, t0.Add(-inState), responded, paused, pausedSince, kind, name)
				ids = append(ids, c.ID)
			}
		}
	}
	targets := cases.DefaultTargets.SQLArg()
	for _, asOf := range []time.Time{t0, t0.Add(time.Hour), t0.Add(-time.Hour), t0.Add(30 * 24 * time.Hour)} {
		cases.SetNow(f.svc, func() time.Time { return asOf })
		// The Go view of every case, through case/v1/get.
		goView := map[string]cases.Case{}
		for _, id := range ids {
			goView[id] = f.get(id)
		}
		rows, err := f.DB.Owner.Query(f.Ctx, `SELECT id, hestami_case_urgency(cases, $1, $2), hestami_case_sla_state(cases, $1, $2) FROM cases`, asOf, targets)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for rows.Next() {
			var id, state string
			var rank int16
			if err := rows.Scan(&id, &rank, &state); err != nil {
				t.Fatal(err)
			}
			n++
			q := goView[id].Queue
			if cases.Urgencies.Values()[rank] != q.Urgency || cases.SLAState(state) != q.SLA.State {
				t.Errorf("%s at %s: SQL %s/%s, Go %s/%s", goView[id].Title, asOf, cases.Urgencies.Values()[rank], state, q.Urgency, q.SLA.State)
			}
		}
		if rows.Close(); rows.Err() != nil || n != len(ids) {
			t.Fatalf("%d rows: %v", n, rows.Err())
		}

		// The work queue, in pages of 7: every case once, most urgent
		// first, then oldest, then id.
		want := slices.Clone(ids)
		rank := func(id string) int { return slices.Index(cases.Urgencies.Values(), goView[id].Queue.Urgency) }
		sort.Slice(want, func(i, j int) bool {
			a, b := goView[want[i]], goView[want[j]]
			if rank(a.ID) != rank(b.ID) {
				return rank(a.ID) < rank(b.ID)
			}
			if !a.CreatedAt.Equal(b.CreatedAt) {
				return a.CreatedAt.Before(b.CreatedAt)
			}
			return a.ID < b.ID
		})
		var got []string
		cursor := ""
		for range 40 {
			page, err := testkit.Call[listing.Page[cases.Case]](f.Bundle, f.staff, "case/v1/list", cases.ListInput{Sort: "URGENCY", Limit: 7, Cursor: cursor}, "")
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range page.Items {
				got = append(got, c.ID)
				if c.Queue == nil || c.Queue.Urgency != goView[c.ID].Queue.Urgency || !c.Queue.AsOf.Equal(asOf) {
					t.Fatalf("listed view of %s differs from get's: %+v", c.Title, c.Queue)
				}
			}
			if cursor = page.NextCursor; cursor == "" {
				break
			}
		}
		if !slices.Equal(got, want) {
			for i := range min(len(got), len(want)) {
				if got[i] != want[i] {
					t.Fatalf("at %s the queue differs at %d of %d: got %s (%s), want %s (%s)", asOf, i, len(want),
						goView[got[i]].Title, goView[got[i]].Queue.Urgency, goView[want[i]].Title, goView[want[i]].Queue.Urgency)
				}
			}
			t.Fatalf("at %s the queue has %d cases, want %d", asOf, len(got), len(want))
		}
		for _, u := range cases.Urgencies.Values() {
			page, err := testkit.Call[listing.Page[cases.Case]](f.Bundle, f.staff, "case/v1/list", cases.ListInput{Urgency: []cases.Urgency{u}, Limit: 100}, "")
			if err != nil {
				t.Fatal(err)
			}
			var listed, expect []string
			for _, c := range page.Items {
				listed = append(listed, c.ID)
			}
			for _, id := range ids {
				if goView[id].Queue.Urgency == u {
					expect = append(expect, id)
				}
			}
			sort.Strings(listed)
			sort.Strings(expect)
			if !slices.Equal(listed, expect) {
				t.Errorf("at %s urgency %s: listed %d, Go says %d", asOf, u, len(listed), len(expect))
			}
		}
	}
}

// A page of the queue is computed at the first page's instant, whatever
// the clock says when the next page is asked: a case that became more
// urgent meanwhile is neither repeated nor skipped.
func TestQueuePagesShareTheFirstPagesInstant(t *testing.T) {
	t.Parallel()
	f := setup(t)
	t0 := time.Now().UTC().Truncate(time.Microsecond)
	cases.SetNow(f.svc, func() time.Time { return t0 })
	var all []string
	for i := range 5 {
		c := f.open(fmt.Sprint("case ", i))
		all = append(all, c.ID)
	}
	first, err := f.svc.List(f.Ctx, f.staff, cases.ListInput{Sort: "URGENCY", Limit: 2})
	if err != nil || first.NextCursor == "" {
		t.Fatalf("%+v %v", first, err)
	}
	// Three days later every NORMAL case has been in INTAKE > 48 h (HIGH)
	// and breached its 24 h response (CRITICAL).
	later := t0.Add(72 * time.Hour)
	cases.SetNow(f.svc, func() time.Time { return later })
	seen := map[string]bool{}
	for _, c := range first.Items {
		seen[c.ID] = true
	}
	cursor := first.NextCursor
	for cursor != "" {
		page, err := f.svc.List(f.Ctx, f.staff, cases.ListInput{Sort: "URGENCY", Limit: 2, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range page.Items {
			if seen[c.ID] || c.Queue.Urgency != cases.Normal || !c.Queue.AsOf.Equal(t0) {
				t.Fatalf("%s: repeated %v, %+v", c.Title, seen[c.ID], c.Queue)
			}
			seen[c.ID] = true
		}
		cursor = page.NextCursor
	}
	if len(seen) != len(all) {
		t.Fatalf("saw %d of %d", len(seen), len(all))
	}
	// A fresh listing is computed now.
	fresh, err := f.svc.List(f.Ctx, f.staff, cases.ListInput{Sort: "URGENCY", Limit: 1})
	if err != nil || fresh.Items[0].Queue.Urgency != cases.Critical {
		t.Fatalf("fresh: %+v %v", fresh.Items, err)
	}
	// A newest-first cursor is not an urgency cursor, nor the reverse.
	newest, _ := f.svc.List(f.Ctx, f.staff, cases.ListInput{Limit: 1})
	_, err = f.svc.List(f.Ctx, f.staff, cases.ListInput{Sort: "URGENCY", Cursor: newest.NextCursor})
	wantFields(t, err, "cursor")
	_, err = f.svc.List(f.Ctx, f.staff, cases.ListInput{Cursor: first.NextCursor})
	wantFields(t, err, "cursor")
	_, err = f.svc.List(f.Ctx, f.staff, cases.ListInput{Sort: "URGENCY", Cursor: listing.Encode(`{"p":"x","k":["a","b"]}`, all[0])})
	wantFields(t, err, "cursor")
}

// Assignee (me / none / a user) and waiting-on filters; the PDP's plan
// still bounds what is listed.
func TestListFiltersByAssigneeAndWaitingOn(t *testing.T) {
	t.Parallel()
	f := setup(t)
	mine := f.inProgress("mine")
	if _, err := f.claim(f.staff, mine.ID, "claim"); err != nil {
		t.Fatal(err)
	}
	ext := f.inProgress("external")
	if _, err := f.move(f.staff, ext.ID, "PENDING_EXTERNAL", "ext"); err != nil {
		t.Fatal(err)
	}
	owner := f.inProgress("owner")
	if _, err := f.move(f.staff, owner.ID, "PENDING_OWNER", "own"); err != nil {
		t.Fatal(err)
	}
	held := f.inProgress("held")
	if _, err := f.move(f.staff, held.ID, "ON_HOLD", "hold"); err != nil {
		t.Fatal(err)
	}
	titles := func(in cases.ListInput) string {
		t.Helper()
		in.Sort = "URGENCY"
		page, err := testkit.Call[listing.Page[cases.Case]](f.Bundle, f.staff, "case/v1/list", in, "")
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, c := range page.Items {
			out = append(out, c.Title)
		}
		sort.Strings(out)
		return fmt.Sprint(out)
	}
	for name, tc := range map[string]struct {
		in   cases.ListInput
		want string
	}{
		"me":             {cases.ListInput{Assignee: "me"}, "[mine]"},
		"user":           {cases.ListInput{Assignee: f.staff.UserID}, "[mine]"},
		"none":           {cases.ListInput{Assignee: "none"}, "[external held owner]"},
		"owner":          {cases.ListInput{WaitingOn: []cases.Party{"OWNER"}}, "[owner]"},
		"external":       {cases.ListInput{WaitingOn: []cases.Party{"EXTERNAL"}}, "[external]"},
		"concierge":      {cases.ListInput{WaitingOn: []cases.Party{"CONCIERGE"}}, "[mine]"},
		"either":         {cases.ListInput{WaitingOn: []cases.Party{"OWNER", "EXTERNAL"}}, "[external owner]"},
		"none and owner": {cases.ListInput{Assignee: "none", WaitingOn: []cases.Party{"OWNER"}}, "[owner]"},
	} {
		if got := titles(tc.in); got != tc.want {
			t.Errorf("%s: %s, want %s", name, got, tc.want)
		}
	}
	// Bad values are refused by the schema, naming the field.
	_, err := testkit.Call[listing.Page[cases.Case]](f.Bundle, f.staff, "case/v1/list", map[string]any{"assignee": "someone"}, "")
	wantCode(t, err, apperr.Validation)
	_, err = testkit.Call[listing.Page[cases.Case]](f.Bundle, f.staff, "case/v1/list", map[string]any{"urgency": []string{"SOON"}}, "")
	wantCode(t, err, apperr.Validation)
	// Chen's owner sees none of Rivera's cases, whatever the filters.
	page, err := testkit.Call[listing.Page[cases.Case]](f.Bundle, f.w.ChenOwner, "case/v1/list", cases.ListInput{Sort: "URGENCY", Assignee: "none"}, "")
	if err != nil || len(page.Items) != 0 {
		t.Fatalf("chen: %d %v", len(page.Items), err)
	}
}
