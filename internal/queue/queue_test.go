package queue_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/hestami/concierge/internal/api"
	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/cases"
	"github.com/hestami/concierge/internal/queue"
	"github.com/hestami/concierge/internal/testkit"
	"github.com/hestami/concierge/internal/workable"
)

func TestMain(m *testing.M) { testkit.Main(m) }

func row(org string, number string, u cases.Urgency, created time.Time) queue.Row {
	r := queue.Row{Org: workable.Organization{ID: "id-" + org, Name: org}, Case: cases.Case{Number: number, CreatedAt: created}}
	if u != "" {
		r.Case.Queue = &cases.Queue{Urgency: u}
	}
	return r
}

func numbers(rows []queue.Row) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r.Org.Name + "/" + r.Case.Number
	}
	return out
}

// Most urgent first, across organizations; then oldest; then organization
// name and number for equal rows; a row without a queue view last.
func TestMergeOrdersByUrgencyThenAge(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	rows := []queue.Row{
		row("Rivera", "CASE-2026-1", cases.Low, t0),
		row("Oak", "CASE-2026-7", cases.High, t0.Add(2*time.Hour)),
		row("Rivera", "CASE-2026-2", cases.Critical, t0.Add(5*time.Hour)),
		row("Oak", "CASE-2026-3", "", t0.Add(-time.Hour)),
		row("Oak", "CASE-2026-8", cases.High, t0.Add(time.Hour)),
		row("Rivera", "CASE-2026-4", cases.High, t0.Add(time.Hour)),
		row("Chen", "CASE-2026-5", cases.Normal, t0),
	}
	want := []string{"Rivera/CASE-2026-2", "Oak/CASE-2026-8", "Rivera/CASE-2026-4", "Oak/CASE-2026-7",
		"Chen/CASE-2026-5", "Rivera/CASE-2026-1", "Oak/CASE-2026-3"}
	for i := range 5 {
		// The input order never matters.
		shuffled := slices.Clone(rows)
		for j := range shuffled {
			k := (j*7 + i*3) % len(shuffled)
			shuffled[j], shuffled[k] = shuffled[k], shuffled[j]
		}
		if got := numbers(queue.Merge(shuffled)); !slices.Equal(got, want) {
			t.Fatalf("permutation %d: %v, want %v", i, got, want)
		}
	}
}

// inProcess calls procedures as the pipeline does for the local CLI: the
// user resolved in each organization it names.
type inProcess struct {
	b      *testkit.Bundle
	userID string
	fail   string // an organization whose calls fail
}

func (c inProcess) Call(ctx context.Context, org, procedure string, in, out any, key string) error {
	var p authz.Principal
	if org == "" {
		p = authz.Principal{UserID: c.userID, ActorKind: authz.Human}
	} else if org == c.fail {
		return apperr.New(apperr.DependencyUnavailable, "the authorization service is unavailable")
	} else {
		var err error
		if p, err = c.b.Identity.Principal(ctx, c.userID, org); err != nil {
			return err
		}
	}
	proc, _ := c.b.App.Registry.Lookup(procedure)
	raw, _ := json.Marshal(in)
	res := c.b.App.Invoker.InvokeAs(ctx, p, api.Request{Procedure: proc, Input: raw, IdempotencyKey: key})
	if res.Err != nil {
		return res.Err
	}
	b, _ := json.Marshal(res.Output)
	return json.Unmarshal(b, out)
}

// Staff load one queue over every organization they work (not Chen, which
// did not engage them), the most urgent case first whatever its
// organization; each organization contributes at most Limit cases; an
// organization that fails is named and the others still load.
func TestLoadMergesTheOrganizationsOfTheCaller(t *testing.T) {
	t.Parallel()
	b := testkit.Setup(t)
	w := b.NewWorld()
	cs := b.Cases()
	open := func(owner authz.Principal, prop, title string, priority cases.Priority) cases.Case {
		c, err := cs.Create(b.Ctx, owner, cases.CreateInput{PropertyID: prop, Title: title, Priority: priority})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	rivera := b.NewProperty(w.RiveraOwner, "Rivera home").ID
	oak := b.NewProperty(w.OakTrustee, "Oak duplex").ID
	chen := b.NewProperty(w.ChenOwner, "Chen office").ID
	open(w.RiveraOwner, rivera, "rivera low", "LOW")
	open(w.OakTrustee, oak, "oak emergency", "EMERGENCY")
	open(w.RiveraOwner, rivera, "rivera normal", "NORMAL")
	open(w.ChenOwner, chen, "chen emergency", "EMERGENCY")
	for i := range 3 {
		open(w.OakTrustee, oak, fmt.Sprint("oak low ", i), "LOW")
	}

	c := inProcess{b: b, userID: w.Staff}
	orgs, err := queue.Organizations(b.Ctx, c)
	if err != nil || len(orgs) != 3 {
		t.Fatalf("organizations %+v %v", orgs, err)
	}
	rows, err := queue.Load(b.Ctx, c, orgs, cases.ListInput{Limit: 3}, 2)
	if err != nil {
		t.Fatal(err)
	}
	var titles []string
	for _, r := range rows {
		titles = append(titles, r.Org.Name+": "+r.Case.Title)
		if r.Case.OrganizationID != r.Org.ID {
			t.Fatalf("row of %s carries a case of %s", r.Org.Name, r.Case.OrganizationID)
		}
	}
	// Each read is urgency-ordered and cut at 3: Oak's emergency and its
	// two oldest lows; Rivera's two. The merge puts urgency before age.
	if len(rows) != 5 || rows[0].Case.Title != "oak emergency" || slices.ContainsFunc(rows, func(r queue.Row) bool { return r.Org.ID == w.Chen.ID }) {
		t.Fatalf("queue %v", titles)
	}
	for i := 1; i < len(rows); i++ {
		if slices.Index(cases.Urgencies.Values(), rows[i-1].Case.Queue.Urgency) > slices.Index(cases.Urgencies.Values(), rows[i].Case.Queue.Urgency) {
			t.Fatalf("not by urgency: %v", titles)
		}
	}

	c.fail = w.Oak.ID
	rows, err = queue.Load(b.Ctx, c, orgs, cases.ListInput{}, 0)
	if apperr.CodeOf(err) != apperr.DependencyUnavailable || len(rows) != 2 || rows[0].Org.ID != w.Rivera.ID {
		t.Fatalf("with Oak failing: %d rows, %v", len(rows), err)
	}
}
