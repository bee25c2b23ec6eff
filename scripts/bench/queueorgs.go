package main

// queue-orgs (opt-in): the first screen of the work queue as `hestami
// queue` loads it for a staff member engaged by every seeded organization:
// organization/v1/mine, then the first page of case/v1/list sorted by
// URGENCY (open statuses) per organization, at most -queue-parallel at a
// time, merged most urgent first then oldest (internal/queue, the code the
// TUI uses), through the full HTTP stack. The raw baseline does the same
// reads with plain pgx on the owner pool: one query for the staff's
// organizations, the same urgency-ordered SELECT per organization with the
// same parallelism, the same Go view and the same merge. Run it as
//
//	go run ./scripts/bench -orgs 50 -cases-per-org 200 -scenarios queue-orgs
//
// for 10,000 cases; the seed's closed, cancelled and resolved ones are
// reopened first, so all of them are open.

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hestami/concierge/internal/api/client"
	"github.com/hestami/concierge/internal/cases"
	"github.com/hestami/concierge/internal/queue"
	"github.com/hestami/concierge/internal/workable"
)

const debugQueue = false

const queueOrgsScenario = "queue-orgs"

var (
	queueRuns     = flag.Int("queue-runs", 40, "first screens loaded per side (queue-orgs)")
	queueParallel = flag.Int("queue-parallel", queue.DefaultParallel, "concurrent per-organization lists (queue-orgs)")
	queueLimit    = flag.Int("queue-limit", queue.DefaultLimit, "cases read per organization (queue-orgs)")
)

// openStatuses are the statuses the first screen shows.
var openStatuses = []cases.Status{cases.Intake, cases.Assessment, cases.InProgress, cases.PendingExternal, cases.PendingOwner, cases.OnHold}

func init() {
	scenarioNames[queueOrgsScenario] = true
	extraMeasures = append(extraMeasures, measureQueueOrgs)
}

// httpCaller is a queue.Caller over the plain JSON transport, as the
// remote CLI calls a server. It keeps one client per organization:
// client.New builds the procedure registry, which costs far more than a call.
type httpCaller struct {
	url, token string
	http       *http.Client
	clients    *sync.Map // organization id → *client.Client
}

func (c httpCaller) Call(ctx context.Context, org, procedure string, in, out any, key string) error {
	cl, ok := c.clients.Load(org)
	if !ok {
		fresh := client.New(c.url, c.token, org)
		fresh.HTTP = c.http
		cl, _ = c.clients.LoadOrStore(org, fresh)
	}
	_, err := cl.(*client.Client).Call(ctx, procedure, in, out, key)
	return err
}

func measureQueueOrgs(ctx context.Context, st *stack, tenants []tenant, opts options, out io.Writer) error {
	if !strings.Contains(","+opts.scenarios+",", ","+queueOrgsScenario+",") {
		return nil
	}
	n, err := st.rawPool.Exec(ctx, `UPDATE cases SET status = 'IN_PROGRESS', paused_since = NULL, resolution_summary = '',
		close_reason = '', cancel_reason = '' WHERE status IN ('RESOLVED', 'CLOSED', 'CANCELLED')`)
	if err != nil {
		return err
	}
	if _, err := st.rawPool.Exec(ctx, `VACUUM (ANALYZE) cases`); err != nil {
		return err
	}
	var open int
	if err := st.rawPool.QueryRow(ctx, `SELECT count(*) FROM cases WHERE status = ANY($1)`, openStatuses).Scan(&open); err != nil {
		return err
	}
	logf("%s: reopened %d cases; %d open cases in %d organizations", queueOrgsScenario, n.RowsAffected(), open, len(tenants))
	staff, err := st.ids.LookupUser(ctx, "staff@bench.test")
	if err != nil {
		return err
	}
	tok, err := st.ids.CreateToken(ctx, staff, "bench-queue", time.Hour)
	if err != nil {
		return err
	}
	tr := &http.Transport{Proxy: nil, DialContext: (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConnsPerHost: 2 * *queueParallel, DisableCompression: true}
	defer tr.CloseIdleConnections()
	caller := httpCaller{url: st.fullURL, token: tok.Token, http: &http.Client{Transport: tr, Timeout: 60 * time.Second}, clients: &sync.Map{}}
	filter := cases.ListInput{Status: openStatuses, Limit: *queueLimit}

	full := func() (int, int, error) {
		t0q := time.Now()
		orgs, err := queue.Organizations(ctx, caller)
		if err != nil {
			return 0, 0, err
		}
		if debugQueue {
			t1 := time.Now()
			logf("mine %s", ms(t1.Sub(t0q)))
			var page any
			for _, in := range []cases.ListInput{{Limit: 50}, {Limit: 50, Sort: "URGENCY"}, filter, {Limit: 50, Sort: "URGENCY", Status: openStatuses}} {
				t2 := time.Now()
				err := caller.Call(ctx, orgs[1].ID, "case/v1/list", in, &page, "")
				logf("list %+v: %s %v", in, ms(time.Since(t2)), err)
			}
		}
		rows, err := queue.Load(ctx, caller, orgs, filter, *queueParallel)
		return len(orgs), len(rows), err
	}
	raw := func() (int, int, error) { return rawFirstScreen(ctx, st, staff, filter) }
	var lines []string
	for _, side := range []struct {
		name string
		load func() (int, int, error)
	}{{"full stack (HTTP, internal/queue)", full}, {"raw pgx, same reads", raw}} {
		// One unmeasured screen warms the plan cache and the connections.
		t0 := time.Now()
		orgs, rows, err := side.load()
		if err != nil {
			return fmt.Errorf("%s %s: %w", queueOrgsScenario, side.name, err)
		}
		logf("%s %s: first screen %s (%d organizations, %d rows)", queueOrgsScenario, side.name, ms(time.Since(t0)), orgs, rows)
		lats := make([]time.Duration, 0, *queueRuns)
		for range *queueRuns {
			t0 := time.Now()
			if _, _, err := side.load(); err != nil {
				return fmt.Errorf("%s %s: %w", queueOrgsScenario, side.name, err)
			}
			lats = append(lats, time.Since(t0))
		}
		slices.Sort(lats)
		lines = append(lines, fmt.Sprintf("%-38s %5d orgs %6d rows   median %9s   p95 %9s   (%d screens)",
			side.name, orgs, rows, ms(percentile(lats, 0.50)), ms(percentile(lats, 0.95)), len(lats)))
	}
	fmt.Fprintf(out, "\nfirst queue screen (%s): %d open cases, staff engaged by %d organizations, %d per organization, %d in parallel\n",
		queueOrgsScenario, open, len(tenants), *queueLimit, *queueParallel)
	for _, l := range lines {
		fmt.Fprintln(out, l)
	}
	return nil
}

// rawFirstScreen is the first screen without the stack: the staff's
// organizations in one query, each one's urgency-ordered page in its own
// query (the same parallelism), the Go view, the merge.
func rawFirstScreen(ctx context.Context, st *stack, staff string, filter cases.ListInput) (int, int, error) {
	rows, err := st.rawPool.Query(ctx, `SELECT o.id, o.name, o.type FROM organizations o WHERE o.id IN (
			SELECT m.organization_id FROM memberships m WHERE m.user_id = $1
			UNION
			SELECT e.organization_id FROM memberships m
			JOIN concierge_engagements e ON e.operator_org_id = m.organization_id AND e.status = 'ACTIVE'
			WHERE m.user_id = $1 AND m.role IN ('CONCIERGE_STAFF', 'CONCIERGE_LEAD', 'PLATFORM_ADMIN'))
		ORDER BY o.name, o.id`, staff)
	if err != nil {
		return 0, 0, err
	}
	var orgs []workable.Organization
	for rows.Next() {
		var o workable.Organization
		if err := rows.Scan(&o.ID, &o.Name, &o.Kind); err != nil {
			rows.Close()
			return 0, 0, err
		}
		orgs = append(orgs, o)
	}
	if err := rows.Err(); err != nil {
		return 0, 0, err
	}
	at := time.Now().UTC().Truncate(time.Microsecond)
	pages := make([][]queue.Row, len(orgs))
	errs := make([]error, len(orgs))
	sem := make(chan struct{}, *queueParallel)
	var wg sync.WaitGroup
	for i, o := range orgs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			pages[i], errs[i] = rawOrgPage(ctx, st, o, filter, at)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return 0, 0, err
		}
	}
	merged := queue.Merge(slices.Concat(pages...))
	return len(orgs), len(merged), nil
}

func rawOrgPage(ctx context.Context, st *stack, o workable.Organization, filter cases.ListInput, at time.Time) ([]queue.Row, error) {
	targets := cases.DefaultTargets.SQLArg()
	rows, err := st.rawPool.Query(ctx, `SELECT `+queueColumns+` FROM cases WHERE organization_id = $1 AND status = ANY($5)
		ORDER BY hestami_case_urgency(cases, $2::timestamptz, $3::jsonb), created_at, id LIMIT $4`, o.ID, at, targets, filter.Limit, filter.Status)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []queue.Row
	for rows.Next() {
		var c cases.Case
		var status string
		var kind, name *string
		err := rows.Scan(&c.ID, &c.OrganizationID, &c.PropertyID, &c.Number, &c.Title, &c.Description, &c.Category, &c.Priority, &status,
			&c.AssigneeID, &c.DueAt, &c.ResolutionSummary, &c.CloseReason, &c.CancelReason, &c.CreatedBy, &c.CreatedAt, &c.UpdatedAt, &c.StatusChangedAt,
			&c.RespondedAt, &c.PausedSeconds, &c.PausedSince, &kind, &name)
		if err != nil {
			return nil, err
		}
		c.Status = cases.Status(status)
		if kind != nil && name != nil {
			c.WaitingOn = &cases.WaitingOn{Kind: cases.ExternalKind(*kind), Name: *name}
		}
		q := cases.QueueOf(c, at, cases.DefaultTargets)
		c.Queue = &q
		out = append(out, queue.Row{Org: o, Case: c})
	}
	return out, rows.Err()
}
