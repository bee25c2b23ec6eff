// Command bench measures hestami's HTTP API against raw pgx baselines.
//
// It starts the real stack by itself — a temporary embedded PostgreSQL
// cluster, the migrations, the Cerbos PDP sidecar, the DBOS workflow engine
// and the server handler exactly as `hestami serve` builds it — serves it on
// a loopback TCP listener, seeds organizations, users, tokens, properties and
// a large case table, then drives concurrent HTTP clients against:
//
//	a. case/v1/create through the full stack (oRPC transport)
//	b. a raw pgx handler doing one INSERT into cases per request
//	c. case/v1/list (limit 20) through the full stack (PDP query plan + RLS)
//	d. a raw pgx handler doing one SELECT … LIMIT 20 per request
//	e. case/v1/list sorted by urgency (the work queue) through the full stack
//	f. a raw pgx handler doing the same urgency-ordered SELECT per request
//
// and prints throughput, latency percentiles, errors and the full/raw ratios
// next to their targets. It is a program, not a test: nothing here asserts
// on timings. Everything it started is stopped and its temp directory removed
// on exit, also on Ctrl-C.
//
// Run from the repository root:
//
//	HESTAMI_AUTHZ_CERBOS_BINARY=$(scripts/install-cerbos) go run ./scripts/bench
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hestami/concierge/internal/app"
	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/cases"
	"github.com/hestami/concierge/internal/db"
	"github.com/hestami/concierge/internal/identity"
	"github.com/hestami/concierge/internal/pdp"
	"github.com/hestami/concierge/internal/pgcluster"
	"github.com/hestami/concierge/internal/property"
	"github.com/hestami/concierge/internal/server"
	"github.com/hestami/concierge/internal/telemetry"
	"github.com/hestami/concierge/internal/version"
)

// options are the command-line flags.
type options struct {
	duration     time.Duration
	warmup       time.Duration
	concurrency  int
	orgs         int
	casesPerOrg  int
	rawPoolSize  int
	scenarios    string
	cpuProfile   string
	pdpTimeout   time.Duration
	planCacheTTL time.Duration
}

func parseFlags() options {
	var o options
	flag.DurationVar(&o.duration, "duration", 20*time.Second, "measured duration of each scenario")
	flag.DurationVar(&o.warmup, "warmup", 3*time.Second, "warm-up before each scenario's measurement (not counted)")
	flag.IntVar(&o.concurrency, "concurrency", 16, "concurrent HTTP clients")
	flag.IntVar(&o.orgs, "orgs", 50, "owner organizations to seed (one OWNER user, token and property each)")
	flag.IntVar(&o.casesPerOrg, "cases-per-org", 2000, "cases to seed per organization (bulk COPY)")
	flag.IntVar(&o.rawPoolSize, "raw-pool-size", 16, "max connections of the raw baselines' owner-role pool (the full stack's runtime pool has 16)")
	flag.StringVar(&o.scenarios, "scenarios", strings.Join(runOrder, ","), "comma-separated scenarios to run")
	flag.StringVar(&o.cpuProfile, "cpuprofile", "", "write a Go CPU profile of each scenario's measured window to PREFIX.<scenario>.pprof")
	flag.DurationVar(&o.pdpTimeout, "pdp-timeout", 2*time.Second, "PDP call timeout (hestami's authz.timeout default)")
	flag.DurationVar(&o.planCacheTTL, "plan-cache-ttl", 10*time.Second, "query-plan cache TTL (hestami's authz.plan_cache_ttl default; 0 asks the PDP on every list)")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: go run ./scripts/bench [flags]\n\n"+
			"Starts the real hestami stack on a temporary cluster, seeds it and measures\n"+
			"case create/list through the full HTTP stack against raw pgx baselines.\n\nflags:\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	return o
}

func main() {
	opts := parseFlags()
	if err := opts.validate(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The first Ctrl-C stops the load and starts the cleanup; later ones
	// only say that the cleanup is still running (the cluster is started in
	// its own session and would outlive an abrupt exit).
	sigc := make(chan os.Signal, 4)
	signal.Notify(sigc, os.Interrupt, syscall.SIGTERM)
	go func() {
		first := true
		for range sigc {
			if first {
				fmt.Fprintln(os.Stderr, "\nbench: interrupted: stopping the load and cleaning up")
				cancel()
				first = false
			} else {
				fmt.Fprintln(os.Stderr, "bench: still cleaning up (stopping PostgreSQL and the PDP, removing the temp dir)")
			}
		}
	}()
	invalid, err := run(ctx, opts)
	switch {
	case err != nil && ctx.Err() != nil:
		fmt.Fprintln(os.Stderr, "bench: interrupted")
		os.Exit(130)
	case err != nil:
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	case invalid:
		os.Exit(3)
	}
}

func (o options) validate() error {
	switch {
	case o.duration <= 0:
		return errors.New("-duration must be positive")
	case o.warmup < 0:
		return errors.New("-warmup must not be negative")
	case o.concurrency < 1:
		return errors.New("-concurrency must be at least 1")
	case o.orgs < 1:
		return errors.New("-orgs must be at least 1")
	case o.casesPerOrg < 20:
		return errors.New("-cases-per-org must be at least 20 (a list page)")
	case o.rawPoolSize < 1:
		return errors.New("-raw-pool-size must be at least 1")
	}
	for _, s := range strings.Split(o.scenarios, ",") {
		if _, ok := scenarioNames[strings.TrimSpace(s)]; !ok {
			return fmt.Errorf("unknown scenario %q (known: %s)", s, strings.Join(runOrder, ", "))
		}
	}
	return nil
}

var scenarioNames = map[string]bool{"create-full": true, "create-raw": true, "list-full": true, "list-raw": true, "queue-full": true, "queue-raw": true}

var started = time.Now()

// logf prints a progress line to stderr.
func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "[%6.1fs] "+format+"\n", append([]any{time.Since(started).Seconds()}, args...)...)
}

// cleanup runs registered functions in reverse order, once.
type cleanup struct{ fns []func() }

func (c *cleanup) add(f func()) { c.fns = append(c.fns, f) }

func (c *cleanup) run() {
	for i := len(c.fns) - 1; i >= 0; i-- {
		c.fns[i]()
	}
	c.fns = nil
}

// stack is everything the benchmark started.
type stack struct {
	dir      string
	cluster  *pgcluster.Cluster
	ownerURL string
	superURL string
	sidecar  *pdp.Sidecar
	db       *db.DB
	pdp      *authz.Client
	ids      *identity.Service
	props    *property.Service
	cases    *cases.Service
	rawPool  *pgxpool.Pool
	fullURL  string // http://127.0.0.1:PORT of the full stack
	rawURL   string // http://127.0.0.1:PORT of the raw baselines
	raw      *rawHandler
	cpu      *cpuMeter
}

const dbName = "hestami"

func run(ctx context.Context, opts options) (invalid bool, err error) {
	var cl cleanup
	defer func() {
		logf("cleaning up")
		cl.run()
		logf("cleaned up")
	}()
	// The server logs one JSON line per request, as `hestami serve` does;
	// formatting it is part of the full stack's cost, the lines themselves
	// would bury the report.
	slog.SetDefault(slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo})))
	st, err := start(ctx, opts, &cl)
	if err != nil {
		return false, err
	}
	tenants, err := seed(ctx, st, opts)
	if err != nil {
		return false, fmt.Errorf("seeding: %w", err)
	}
	st.raw.setOwners(tenants)
	results, err := measure(ctx, st, tenants, opts)
	if err != nil {
		return false, err
	}
	invalid = report(os.Stdout, st, opts, results)
	for _, m := range extraMeasures {
		if err := m(ctx, st, tenants, opts, os.Stdout); err != nil {
			return invalid, err
		}
	}
	return invalid, nil
}

// extraMeasures are measurements of their own files (document.go) that run
// after the request-rate scenarios and print their own lines.
var extraMeasures []func(ctx context.Context, st *stack, tenants []tenant, opts options, out io.Writer) error

// start brings up PostgreSQL, the PDP, DBOS and both HTTP servers.
func start(ctx context.Context, opts options, cl *cleanup) (*stack, error) {
	// Spans are created as in production but never exported: no collector
	// is contacted from a benchmark (only loopback traffic).
	os.Unsetenv("OTEL_EXPORTER_OTLP_ENDPOINT")
	os.Unsetenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
	shutdownTracing, err := telemetry.Setup(ctx, false, io.Discard, version.Version)
	if err != nil {
		return nil, err
	}
	cl.add(func() { _ = shutdownTracing(context.Background()) })

	st := &stack{}
	st.dir, err = os.MkdirTemp("", "hestami-bench-")
	if err != nil {
		return nil, err
	}
	cl.add(func() { os.RemoveAll(st.dir) })
	// As root, PostgreSQL runs as the postgres OS user, which must traverse it.
	if err := os.Chmod(st.dir, 0o755); err != nil {
		return nil, err
	}
	st.cluster, err = pgcluster.New(st.dir)
	if err != nil {
		return nil, err
	}
	// Registered before Start: pg_ctl detaches the postmaster, so an
	// interrupted start must still be stopped.
	cl.add(func() {
		if err := st.cluster.Stop(context.Background()); err != nil {
			fmt.Fprintln(os.Stderr, "bench: stopping PostgreSQL:", err)
		}
	})
	logf("starting PostgreSQL in %s", st.dir)
	if err := st.cluster.Start(ctx, dbName); err != nil {
		return nil, err
	}
	st.ownerURL = st.cluster.URL(pgcluster.OwnerRole, dbName)
	st.superURL = st.cluster.URL("postgres", dbName)
	st.db, err = db.Open(ctx, st.ownerURL, st.cluster.URL(pgcluster.RuntimeRole, dbName))
	if err != nil {
		return nil, err
	}
	cl.add(st.db.Close)
	logf("migrating")
	if _, err := app.Migrate(ctx, st.db, st.ownerURL); err != nil {
		return nil, fmt.Errorf("migrating: %w", err)
	}

	bin, err := pdp.FindBinary(os.Getenv("HESTAMI_AUTHZ_CERBOS_BINARY"))
	if err != nil {
		return nil, err
	}
	logf("starting the Cerbos PDP %s", bin)
	st.sidecar, err = pdp.Start(ctx, bin, st.dir, 60*time.Second)
	if err != nil {
		return nil, err
	}
	cl.add(st.sidecar.Stop)
	st.pdp, err = authz.Dial(st.sidecar.Address(), opts.pdpTimeout)
	if st.pdp != nil {
		st.pdp.WithPlanCache(opts.planCacheTTL)
	}
	if err != nil {
		return nil, err
	}

	// The application and the handler, as `hestami serve` builds them
	// (internal/app with workflows, then servecmd).
	logf("launching the DBOS workflow engine")
	host, _ := os.Hostname()
	a := app.New(st.db, st.pdp)
	if err := configureDocuments(a, st); err != nil {
		return nil, err
	}
	if err := a.StartWorkflows(ctx, "hestami-bench-"+host, nil); err != nil {
		return nil, err
	}
	cl.add(func() { a.Close(10 * time.Second) })
	st.ids, st.props, st.cases = a.Identity, a.Property, a.Cases
	h, err := server.New(a.Invoker, map[string]server.Pinger{"postgres": st.db, "pdp": st.pdp})
	if err != nil {
		return nil, err
	}
	st.fullURL, err = serve(h, cl)
	if err != nil {
		return nil, err
	}

	// The raw baselines: their own owner-role pool, sized like the runtime
	// pool the full stack uses, and their own loopback server.
	cfg, err := pgxpool.ParseConfig(st.ownerURL)
	if err != nil {
		return nil, err
	}
	cfg.MaxConns = int32(opts.rawPoolSize)
	st.rawPool, err = pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	cl.add(st.rawPool.Close)
	st.raw = &rawHandler{pool: st.rawPool, targetsJSON: cases.DefaultTargets.SQLArg()}
	st.rawURL, err = serve(st.raw.routes(), cl)
	if err != nil {
		return nil, err
	}
	st.cpu = newCPUMeter(st.cluster.DataDir)
	logf("full stack on %s, raw baselines on %s", st.fullURL, st.rawURL)
	return st, nil
}

// serve serves h on a fresh loopback listener, with the settings of
// `hestami serve`, and registers its shutdown.
func serve(h http.Handler, cl *cleanup) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintln(os.Stderr, "bench: serving:", err)
		}
	}()
	cl.add(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	})
	return "http://" + ln.Addr().String(), nil
}

// checkpoint flushes dirty buffers so that no scenario pays for an earlier
// one's writes (and each starts with the same full-page-write state).
func (st *stack) checkpoint(ctx context.Context) error {
	conn, err := pgx.Connect(ctx, st.superURL)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, `CHECKPOINT`)
	return err
}

// settings describes the environment for the report header.
func (st *stack) settings(ctx context.Context) string {
	var pgVersion, fsync, sync string
	_ = st.rawPool.QueryRow(ctx, `SELECT current_setting('server_version'), current_setting('fsync'), current_setting('synchronous_commit')`).
		Scan(&pgVersion, &fsync, &sync)
	return fmt.Sprintf("PostgreSQL %s (fsync=%s, synchronous_commit=%s), %d CPUs, GOMAXPROCS=%d, %s",
		pgVersion, fsync, sync, runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version())
}
