package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// scenario is one measured workload.
type scenario struct {
	name  string // flag name: create-full, create-raw, list-full, list-raw, queue-full, queue-raw
	label string // table label
	op    string // create | list | queue (list sorted by urgency)
	full  bool   // through the full stack (else the raw baseline)
}

// All scenarios in report order. They run lists first, so that the lists
// read exactly the seeded data set, then creates.
var (
	scenarios = []scenario{
		{"create-full", "a. case/v1/create  full stack (RPC)", "create", true},
		{"create-raw", "b. create           raw pgx INSERT", "create", false},
		{"list-full", "c. case/v1/list    full stack (RPC)", "list", true},
		{"list-raw", "d. list             raw pgx SELECT", "list", false},
		{"queue-full", "e. case/v1/list    by urgency (RPC)", "queue", true},
		{"queue-raw", "f. queue           raw pgx SELECT", "queue", false},
	}
	runOrder = []string{"list-full", "list-raw", "queue-full", "queue-raw", "create-full", "create-raw"}
)

// result is what one scenario measured.
type result struct {
	sc         scenario
	ran        bool
	requests   int           // completed in the measured window (2xx or not)
	errors     int           // non-2xx answers and transport failures
	errSamples []string      // the first few
	elapsed    time.Duration // measured window, until the last request ended
	p50, p99   time.Duration
	cpu        cpuTimes
}

func (r result) throughput() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(r.requests) / r.elapsed.Seconds()
}

// measure runs the selected scenarios one after another.
func measure(ctx context.Context, st *stack, tenants []tenant, opts options) (map[string]result, error) {
	selected := map[string]bool{}
	for _, s := range strings.Split(opts.scenarios, ",") {
		selected[strings.TrimSpace(s)] = true
	}
	tr := &http.Transport{
		Proxy:               nil, // loopback only, never through a proxy
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        4 * opts.concurrency,
		MaxIdleConnsPerHost: 2 * opts.concurrency,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	results := map[string]result{}
	nonce := strconv.FormatInt(time.Now().UnixNano(), 36)
	for _, name := range runOrder {
		if !selected[name] {
			continue
		}
		sc := scenarioByName(name)
		if err := st.checkpoint(ctx); err != nil {
			return nil, fmt.Errorf("checkpoint before %s: %w", name, err)
		}
		ld := &loader{st: st, client: client, sc: sc, tenants: tenants, opts: opts, nonce: nonce}
		if err := ld.sanity(ctx); err != nil {
			return nil, fmt.Errorf("%s: the first request failed, not measuring: %w", name, err)
		}
		logf("%s: %d clients, %s warm-up + %s measured", name, opts.concurrency, opts.warmup, opts.duration)
		res, err := ld.run(ctx)
		if err != nil {
			return nil, err
		}
		logf("%s: %.0f req/s, p50 %s, p99 %s, %d errors", name, res.throughput(), ms(res.p50), ms(res.p99), res.errors)
		results[name] = res
	}
	return results, nil
}

func scenarioByName(name string) scenario {
	for _, s := range scenarios {
		if s.name == name {
			return s
		}
	}
	panic("unknown scenario " + name)
}

// loader drives one scenario.
type loader struct {
	st      *stack
	client  *http.Client
	sc      scenario
	tenants []tenant
	opts    options
	nonce   string
}

func (l *loader) url() string {
	switch {
	case l.sc.op == opSubmit:
		return l.submitURL()
	case l.sc.op == opRecord:
		return l.recordURL()
	case l.sc.full && l.sc.op == "queue":
		return l.st.fullURL + "/api/v1/rpc/case/v1/list"
	case l.sc.full:
		return l.st.fullURL + "/api/v1/rpc/case/v1/" + l.sc.op
	case l.sc.op == "create":
		return l.st.rawURL + rawCreatePath
	case l.sc.op == "queue":
		return l.st.rawURL + rawQueuePath
	default:
		return l.st.rawURL + rawListPath
	}
}

var description = strings.Repeat("The kitchen faucet leaks under the sink; please send a plumber this week. ", 3)

// request builds the i-th request of worker w. Both transports get the same
// headers and the same oRPC {"json": …} body.
func (l *loader) request(ctx context.Context, url string, w, i int, t *tenant) (*http.Request, error) {
	var body []byte
	if l.sc.op == "create" {
		in := map[string]any{"propertyId": t.PropertyID, "title": fmt.Sprintf("Leaking faucet %d-%d", w, i),
			"description": description, "category": "REPAIR", "priority": "NORMAL"}
		body, _ = json.Marshal(map[string]any{"json": in})
	} else if l.sc.op == opSubmit {
		body = submitBody(w, i, t)
	} else if l.sc.op == opRecord {
		body = recordBody(w, i, t)
	} else if l.sc.op == "queue" {
		body = []byte(`{"json":{"limit":20,"sort":"URGENCY"}}`)
	} else {
		body = []byte(`{"json":{"limit":20}}`)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+t.Token)
	req.Header.Set("X-Org-Id", t.OrgID)
	if l.sc.op == "create" || l.sc.op == opSubmit || l.sc.op == opRecord {
		req.Header.Set("Idempotency-Key", "bench-"+l.nonce+"-"+l.sc.name+"-"+strconv.Itoa(w)+"-"+strconv.Itoa(i))
	}
	return req, nil
}

// do sends req and reads the whole answer.
func (l *loader) do(req *http.Request) (int, []byte, error) {
	resp, err := l.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// sanity sends one request outside the measurement and checks its answer
// in depth: a create returns the new case of the organization, a list
// returns a full page of that organization's cases.
func (l *loader) sanity(ctx context.Context) error {
	t := &l.tenants[0]
	req, err := l.request(ctx, l.url(), -1, 0, t)
	if err != nil {
		return err
	}
	status, body, err := l.do(req)
	if err != nil {
		return err
	}
	if status/100 != 2 {
		return fmt.Errorf("HTTP %d: %s", status, snippet(body))
	}
	var env struct {
		JSON json.RawMessage `json:"json"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return fmt.Errorf("answer is not a {\"json\": …} body: %s", snippet(body))
	}
	if l.sc.op == opSubmit {
		return l.checkSubmit(ctx, env.JSON, t, req.Header.Get("Idempotency-Key"))
	}
	if l.sc.op == opRecord {
		return l.checkRecord(ctx, env.JSON, t)
	}
	type item struct {
		ID             string `json:"id"`
		OrganizationID string `json:"organizationId"`
		Number         string `json:"number"`
	}
	if l.sc.op == "create" {
		var c item
		if err := json.Unmarshal(env.JSON, &c); err != nil || c.ID == "" || c.Number == "" || c.OrganizationID != t.OrgID {
			return fmt.Errorf("create answered no case of organization %s: %s", t.OrgID, snippet(body))
		}
		return nil
	}
	var page struct {
		Items []item `json:"items"`
	}
	if err := json.Unmarshal(env.JSON, &page); err != nil || len(page.Items) != 20 {
		return fmt.Errorf("list answered %d items, want 20: %s", len(page.Items), snippet(body))
	}
	for _, it := range page.Items {
		if it.OrganizationID != t.OrgID {
			return fmt.Errorf("list answered a case of organization %s to organization %s", it.OrganizationID, t.OrgID)
		}
	}
	return nil
}

func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

// assignment gives each worker its own organizations (round-robin), so that
// no two clients create in the same organization at once (the case counter
// row serializes creates within one) while every organization is used.
func assignment(workers, orgs int) [][]int {
	out := make([][]int, workers)
	for w := range out {
		if workers > orgs {
			out[w] = []int{w % orgs}
			continue
		}
		for o := w; o < orgs; o += workers {
			out[w] = append(out[w], o)
		}
	}
	return out
}

// run warms up, then measures for the configured duration with all workers
// running throughout; requests that start in the measured window count.
func (l *loader) run(ctx context.Context) (result, error) {
	res := result{sc: l.sc, ran: true}
	url := l.url()
	orgsOf := assignment(l.opts.concurrency, len(l.tenants))
	begin := time.Now()
	measureStart := begin.Add(l.opts.warmup)
	end := measureStart.Add(l.opts.duration)

	var (
		mu   sync.Mutex
		lats []time.Duration
		wg   sync.WaitGroup
	)
	for w := 0; w < l.opts.concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mine := orgsOf[w]
			local := make([]time.Duration, 0, 4096)
			var errs int
			var samples []string
			for i := 0; ; i++ {
				t0 := time.Now()
				if !t0.Before(end) || ctx.Err() != nil {
					break
				}
				t := &l.tenants[mine[i%len(mine)]]
				req, err := l.request(ctx, url, w, i, t)
				if err != nil {
					errs++
					samples = append(samples, err.Error())
					continue
				}
				status, body, err := l.do(req)
				lat := time.Since(t0)
				if t0.Before(measureStart) {
					continue
				}
				local = append(local, lat)
				switch {
				case err != nil:
					errs++
					if len(samples) < 3 {
						samples = append(samples, err.Error())
					}
				case status/100 != 2:
					errs++
					if len(samples) < 3 {
						samples = append(samples, fmt.Sprintf("HTTP %d: %s", status, snippet(body)))
					}
				}
			}
			mu.Lock()
			lats = append(lats, local...)
			res.errors += errs
			for _, s := range samples {
				if len(res.errSamples) < 5 {
					res.errSamples = append(res.errSamples, s)
				}
			}
			mu.Unlock()
		}()
	}

	// The measured window: CPU counters and the optional profile.
	var cpu0 cpuTimes
	var prof *os.File
	select {
	case <-time.After(time.Until(measureStart)):
		cpu0 = l.st.cpu.sample()
		if l.opts.cpuProfile != "" {
			f, err := os.Create(l.opts.cpuProfile + "." + l.sc.name + ".pprof")
			if err == nil {
				if err := pprof.StartCPUProfile(f); err == nil {
					prof = f
				} else {
					f.Close()
				}
			}
			if prof == nil {
				fmt.Fprintln(os.Stderr, "bench: could not start the CPU profile for", l.sc.name)
			}
		}
	case <-ctx.Done():
	}
	wg.Wait()
	res.elapsed = time.Since(measureStart)
	cpu1 := l.st.cpu.sample()
	if prof != nil {
		pprof.StopCPUProfile()
		prof.Close()
	}
	if ctx.Err() != nil {
		return res, ctx.Err()
	}
	if !cpu0.ok || !cpu1.ok {
		res.cpu = cpuTimes{}
	} else {
		res.cpu = cpu1.sub(cpu0)
	}
	res.requests = len(lats)
	if len(lats) == 0 {
		return res, errors.New(l.sc.name + ": no request completed in the measured window")
	}
	slices.Sort(lats)
	res.p50 = percentile(lats, 0.50)
	res.p99 = percentile(lats, 0.99)
	return res, nil
}

// percentile is the nearest-rank percentile of sorted latencies.
func percentile(sorted []time.Duration, p float64) time.Duration {
	rank := int(p*float64(len(sorted))+0.999999) - 1
	rank = max(0, min(rank, len(sorted)-1))
	return sorted[rank]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d.Microseconds())/1000) }
