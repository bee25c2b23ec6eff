// Package testkit gives tests the real parts: one embedded PostgreSQL
// cluster and one Cerbos PDP per test binary, and a freshly migrated
// database per test (cloned from a template), so tests run in parallel
// without sharing rows.
package testkit

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hestami/concierge/internal/api"
	"github.com/hestami/concierge/internal/app"
	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/cases"
	"github.com/hestami/concierge/internal/db"
	"github.com/hestami/concierge/internal/identity"
	"github.com/hestami/concierge/internal/pdp"
	"github.com/hestami/concierge/internal/pgcluster"
	"github.com/hestami/concierge/internal/property"
	"github.com/hestami/concierge/internal/workflow"
)

const template = "hestami_template"

var (
	cluster  *pgcluster.Cluster
	sidecar  *pdp.Sidecar
	pdpAddr  string
	dbSeq    atomic.Int64
	dataRoot string
)

// Main starts the cluster and the PDP, runs the tests and stops both. Use
// it from TestMain; any failure to start is fatal (tests never skip for
// lack of a real part).
func Main(m *testing.M) {
	code, err := run(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testkit:", err)
		code = 1
	}
	os.Exit(code)
}

func run(m *testing.M) (int, error) {
	ctx := context.Background()
	reapOrphans(ctx, os.TempDir())
	var err error
	dataRoot, err = os.MkdirTemp("", "hestami-test-")
	if err != nil {
		return 1, err
	}
	defer os.RemoveAll(dataRoot)
	if err := claim(dataRoot); err != nil {
		return 1, err
	}
	// The postgres OS user (when we are root) must traverse it.
	if err := os.Chmod(dataRoot, 0o755); err != nil {
		return 1, err
	}
	cluster, err = pgcluster.New(dataRoot)
	if err != nil {
		return 1, err
	}
	if err := cluster.Start(ctx, template); err != nil {
		return 1, err
	}
	defer cluster.Stop(context.Background())
	if err := migrateTemplate(ctx); err != nil {
		return 1, err
	}
	if pdpAddr = os.Getenv("HESTAMI_TEST_PDP_ADDRESS"); pdpAddr == "" {
		bin, err := pdp.FindBinary(os.Getenv("HESTAMI_AUTHZ_CERBOS_BINARY"))
		if err != nil {
			return 1, err
		}
		sidecar, err = pdp.Start(ctx, bin, dataRoot, 60*time.Second)
		if err != nil {
			return 1, err
		}
		defer sidecar.Stop()
		pdpAddr = sidecar.Address()
	}
	return m.Run(), nil
}

func migrateTemplate(ctx context.Context) error {
	url := cluster.URL(pgcluster.OwnerRole, template)
	d, err := db.Open(ctx, url, cluster.URL(pgcluster.RuntimeRole, template))
	if err != nil {
		return err
	}
	defer d.Close()
	if _, err := app.Migrate(ctx, d, url); err != nil {
		return fmt.Errorf("migrating the template: %w", err)
	}
	return nil
}

// NewDatabase clones the migrated template into a new database and returns
// its owner and runtime URLs; it is dropped when t ends.
func NewDatabase(t testing.TB) (ownerURL, appURL string) {
	t.Helper()
	ownerURL, appURL, drop, err := CreateDatabase(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(drop)
	return ownerURL, appURL
}

// CreateDatabase clones the migrated template; drop removes the clone.
func CreateDatabase(ctx context.Context) (ownerURL, appURL string, drop func(), err error) {
	name := fmt.Sprintf("t_%d_%d", os.Getpid(), dbSeq.Add(1))
	super := cluster.URL("postgres", "postgres")
	conn, err := pgx.Connect(ctx, super)
	if err != nil {
		return "", "", nil, err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `CREATE DATABASE `+name+` TEMPLATE `+template+` OWNER `+pgcluster.OwnerRole); err != nil {
		return "", "", nil, err
	}
	drop = func() {
		c, err := pgx.Connect(context.Background(), super)
		if err == nil {
			_, _ = c.Exec(context.Background(), `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`)
			c.Close(context.Background())
		}
	}
	return cluster.URL(pgcluster.OwnerRole, name), cluster.URL(pgcluster.RuntimeRole, name), drop, nil
}

// Runner wraps m so that its Run starts and stops the real parts; for
// harnesses (testscript) that call Run themselves.
func Runner(m *testing.M) interface{ Run() int } { return runner{m} }

type runner struct{ m *testing.M }

func (r runner) Run() int {
	code, err := run(r.m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testkit:", err)
		return 1
	}
	return code
}

// PDPAddress is the address of the test binary's PDP.
func PDPAddress() string { return pdpAddr }

// Bundle is everything one test needs, on its own database: the
// application as internal/app builds it for every process.
type Bundle struct {
	T        testing.TB
	Ctx      context.Context
	OwnerURL string
	AppURL   string
	DB       *db.DB
	PDP      *authz.Client
	App      *app.App
	Identity *identity.Service
	Property *property.Service

	workflowsOnce sync.Once
}

// Setup opens a fresh database and the shared PDP.
func Setup(t testing.TB) *Bundle {
	t.Helper()
	ownerURL, appURL := NewDatabase(t)
	ctx := context.Background()
	d, err := db.Open(ctx, ownerURL, appURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	c, err := authz.Dial(pdpAddr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	a := app.New(d, c)
	return &Bundle{T: t, Ctx: ctx, OwnerURL: ownerURL, AppURL: appURL, DB: d, PDP: c, App: a,
		Identity: a.Identity, Property: a.Property}
}

// Cases returns the case service, its workflow engine launched (an
// executor of the test's own).
func (b *Bundle) Cases() *cases.Service {
	b.workflowsOnce.Do(func() {
		if err := b.App.StartWorkflows(b.Ctx, "test-"+strings.ReplaceAll(b.T.Name(), "/", "-"), nil); err != nil {
			b.T.Fatal(err)
		}
		b.T.Cleanup(func() { b.App.Close(5 * time.Second) })
	})
	return b.App.Cases
}

// Engine returns the bundle's DBOS engine (after Cases).
func (b *Bundle) Engine() *workflow.Engine {
	b.Cases()
	return b.App.Engine
}

// Call runs procedure (e.g. "case/v1/create") as p through the same
// pipeline as the API and the CLI — schema validation, PDP, RLS,
// idempotency, span — and returns its output or its typed error. Mutations
// get key as their idempotency key.
func Call[O any](b *Bundle, p authz.Principal, procedure string, input any, key string) (O, error) {
	b.T.Helper()
	var zero O
	proc, ok := b.App.Registry.Lookup(procedure)
	if !ok {
		b.T.Fatalf("no procedure %s", procedure)
	}
	if proc.Durable {
		b.Cases()
	}
	raw, err := json.Marshal(input)
	if err != nil {
		b.T.Fatal(err)
	}
	res := b.App.Invoker.InvokeAs(b.Ctx, p, api.Request{Procedure: proc, IdempotencyKey: key, Input: raw})
	if res.Err != nil {
		return zero, res.Err
	}
	return *res.Output.(*O), nil
}

// Org creates an organization.
func (b *Bundle) Org(name, typ string) identity.Organization {
	b.T.Helper()
	o, err := b.Identity.CreateOrg(b.Ctx, name, typ)
	if err != nil {
		b.T.Fatal(err)
	}
	return o
}

// Member creates a user with role in org and returns its principal there.
func (b *Bundle) Member(org identity.Organization, email, role string) authz.Principal {
	b.T.Helper()
	u, err := b.Identity.CreateUser(b.Ctx, email, email)
	if err != nil {
		b.T.Fatal(err)
	}
	if _, err := b.Identity.AddMember(b.Ctx, org.ID, u.ID, role); err != nil {
		b.T.Fatal(err)
	}
	return b.Principal(u.ID, org.ID)
}

// Principal resolves userID in orgID, failing the test on error.
func (b *Bundle) Principal(userID, orgID string) authz.Principal {
	b.T.Helper()
	p, err := b.Identity.Principal(b.Ctx, userID, orgID)
	if err != nil {
		b.T.Fatal(err)
	}
	return p
}

// World is a small tenancy: an operator with staff, two engaged owners and
// one that is not engaged.
type World struct {
	Operator, Rivera, Oak, Chen identity.Organization
	Staff, Lead, Admin          string // user ids
	RiveraOwner, OakTrustee     authz.Principal
	OakAgent, ChenOwner         authz.Principal
}

// NewWorld builds a World in b's database.
func (b *Bundle) NewWorld() *World {
	b.T.Helper()
	w := &World{
		Operator: b.Org("Operator", "PLATFORM_OPERATOR"),
		Rivera:   b.Org("Rivera", "INDIVIDUAL_PROPERTY_OWNER"),
		Oak:      b.Org("Oak Trust", "TRUST_OR_LLC"),
		Chen:     b.Org("Chen LLC", "TRUST_OR_LLC"),
	}
	w.Staff = b.Member(w.Operator, "staff@op.test", "CONCIERGE_STAFF").UserID
	w.Lead = b.Member(w.Operator, "lead@op.test", "CONCIERGE_LEAD").UserID
	w.Admin = b.Member(w.Operator, "admin@op.test", "PLATFORM_ADMIN").UserID
	for _, o := range []identity.Organization{w.Rivera, w.Oak} {
		if _, err := b.Identity.Engage(b.Ctx, o.ID, w.Operator.ID); err != nil {
			b.T.Fatal(err)
		}
	}
	w.RiveraOwner = b.Member(w.Rivera, "jordan@rivera.test", "OWNER")
	w.OakTrustee = b.Member(w.Oak, "morgan@oak.test", "TRUSTEE_MANAGER")
	w.OakAgent = b.Member(w.Oak, "agent@oak.test", "DELEGATED_AGENT")
	w.ChenOwner = b.Member(w.Chen, "lin@chen.test", "OWNER")
	return w
}

// NewProperty creates a property as p.
func (b *Bundle) NewProperty(p authz.Principal, name string) property.Property {
	b.T.Helper()
	out, err := b.Property.Create(b.Ctx, p, property.CreateInput{Name: name, Type: "SINGLE_FAMILY",
		Address: property.Address{Line1: "1 Main St", City: "Austin", Region: "TX", PostalCode: "78701", Country: "US"}})
	if err != nil {
		b.T.Fatal(err)
	}
	return out
}

// AwaitLockWaiters returns once at least n sessions of the bundle's database
// wait for a lock, so that a concurrency test's writes really contend (a
// writer that skipped the lock would never wait, and the test fails rather
// than passes by luck). Nothing is timed: it waits for a state of the
// database (pg_locks, which the owner role reads for every role). The 30 s
// bound only keeps a broken test from hanging.
func (b *Bundle) AwaitLockWaiters(n int) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		var waiting int
		if err := b.DB.Owner.QueryRow(context.Background(), `SELECT count(*) FROM pg_locks l
			JOIN pg_stat_activity a ON a.pid = l.pid WHERE NOT l.granted AND a.datname = current_database()`).Scan(&waiting); err != nil {
			return err
		}
		if waiting >= n {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("only %d of %d sessions ever waited for a lock", waiting, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
