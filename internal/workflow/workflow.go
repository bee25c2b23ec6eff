// Package workflow wires DBOS Transact: the system tables live in the `dbos`
// schema of hestami's database (owner role) and durable transactions run on
// the runtime role's pool, so RLS applies inside workflow steps too.
package workflow

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/dbos-inc/dbos-transact-golang/dbos"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hestami/concierge/internal/db"
)

// APIVersion is the API version the workflows implement. DBOS recovers a
// workflow only on executors with the same application version, so tying the
// two means a breaking API change (v2) never replays v1 workflows with v2
// code, and an ordinary rebuild never strands pending workflows.
const APIVersion = "v1"

// ApplicationVersion is what DBOS records on every workflow.
const ApplicationVersion = "hestami-api-" + APIVersion

// Engine is a DBOS context plus the runtime-role data source. It owns its
// two pools (DBOS closes its system pool on shutdown).
type Engine struct {
	Ctx        dbos.Context
	DS         *dbos.DataSource
	ExecutorID string
	pools      []*pgxpool.Pool
}

// CLIExecutorPrefix starts the executor id of every short-lived CLI process.
const CLIExecutorPrefix = "hestami-cli-"

// CLIExecutorID is a fresh executor id for one CLI process. DBOS recovers, at
// launch, the pending workflows of the launching executor id; a per-process
// id means a CLI run never adopts the server's (or another CLI's) in-flight
// workflows.
func CLIExecutorID() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s%s-%d-%s", CLIExecutorPrefix, host, os.Getpid(), rand.Text()[:8])
}

// Migrate creates the DBOS system schema and the data-source table with the
// owner role, grants the runtime role what RunAsTransaction needs and puts
// the data-source table under tenant isolation (see protectDataSource).
func Migrate(ctx context.Context, ownerURL string, owner *pgxpool.Pool) error {
	quiet := dbos.WithMigrateLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err := dbos.Migrate(ctx, ownerURL, quiet); err != nil {
		return fmt.Errorf("DBOS system schema: %w", err)
	}
	if err := dbos.MigrateDataSource(ctx, owner, dbos.WithMigrateApplicationRole(db.RuntimeRole), quiet); err != nil {
		return fmt.Errorf("DBOS data source schema: %w", err)
	}
	if _, err := owner.Exec(ctx, protectDataSource); err != nil {
		return fmt.Errorf("protecting the DBOS data source table: %w", err)
	}
	return nil
}

// NeedsMigrate reports whether Migrate has work to do: a DBOS table is
// missing or the data-source table is not yet under tenant isolation (a
// database created before that protection existed).
func NeedsMigrate(ctx context.Context, owner *pgxpool.Pool) (bool, error) {
	var protected bool
	err := owner.QueryRow(ctx, `SELECT to_regclass('dbos.workflow_status') IS NOT NULL
		AND COALESCE((SELECT relforcerowsecurity FROM pg_class WHERE oid = to_regclass('dbos.transaction_completion')), false)
		AND EXISTS (SELECT 1 FROM pg_policies WHERE schemaname = 'dbos' AND tablename = 'transaction_completion' AND policyname = 'tenant_isolation')`).Scan(&protected)
	return !protected, err
}

// protectDataSource puts DBOS's dbos.transaction_completion under the same
// row-level security as hestami's tenant tables. The table holds the
// serialized output of every durable transaction (cases of every
// organization), and the runtime role must read and write it, so without
// this any tenant's session could read all of it.
//
// Each row gets its organization from the tenant setting of the session that
// inserts it: the durable transaction itself (db.SetTenant), or, for DBOS's
// failure record written outside it, the data-source pool's per-acquire
// tenant (see New). DBOS reads the table outside the transaction during
// recovery, on the same pool, so recovery still finds its own tenant's row.
//
// It lives here, not in a numbered migration, because DBOS creates the table
// after hestami's migrations (the grants it issues need the runtime role that
// migration 0001 creates); running it right after MigrateDataSource, every
// time Migrate runs, also re-protects the table should a future DBOS
// migration rebuild it. db.CheckIsolation verifies the result. Idempotent.
//
// Rows written before this protection have no organization, so the runtime
// role never sees them; that matters only for a workflow that crashed between
// its transaction and DBOS's checkpoint before the upgrade.
const protectDataSource = `
SELECT pg_advisory_xact_lock(715519);
ALTER TABLE dbos.transaction_completion ADD COLUMN IF NOT EXISTS organization_id uuid
  DEFAULT NULLIF(current_setting('hestami.org_id', true), '')::uuid;
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM dbos.transaction_completion WHERE organization_id IS NULL) THEN
    ALTER TABLE dbos.transaction_completion ALTER COLUMN organization_id SET NOT NULL;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_policies WHERE schemaname = 'dbos' AND tablename = 'transaction_completion' AND policyname = 'tenant_isolation') THEN
    CREATE POLICY tenant_isolation ON dbos.transaction_completion
      USING (organization_id = (SELECT NULLIF(current_setting('hestami.org_id', true), '')::uuid))
      WITH CHECK (organization_id = (SELECT NULLIF(current_setting('hestami.org_id', true), '')::uuid));
  END IF;
END $$;
ALTER TABLE dbos.transaction_completion ENABLE ROW LEVEL SECURITY;
ALTER TABLE dbos.transaction_completion FORCE ROW LEVEL SECURITY;
`

type tenantKey struct{}

// WithTenant returns ctx carrying the organization a workflow acts for. Pass
// it to dbos.RunAsTransaction: every connection DBOS takes from the data
// source for that call (its completion look-up, the transaction, its
// failure record) then has that organization active.
func WithTenant(ctx dbos.Context, orgID string) dbos.Context {
	return dbos.WithValue(ctx, tenantKey{}, orgID)
}

// tenantSetting is where a data-source connection remembers the organization
// last activated on it, so an unchanged tenant costs no round trip.
const tenantSetting = "hestami.org_id"

// activateTenant sets the session's organization from ctx (none when ctx has
// none) whenever the data-source pool hands out a connection. Statements
// DBOS runs outside its transaction then see exactly their own tenant's
// rows; transaction-local settings (db.SetTenant) end with each transaction
// and fall back to this one.
func activateTenant(ctx context.Context, c *pgx.Conn) (bool, error) {
	org, _ := ctx.Value(tenantKey{}).(string)
	data := c.PgConn().CustomData()
	if cur, ok := data[tenantSetting].(string); ok && cur == org {
		return true, nil
	}
	if _, err := c.Exec(ctx, `SELECT set_config('hestami.org_id', $1, false)`, org); err != nil {
		delete(data, tenantSetting)
		return false, err // destroy the connection: its tenant is unknown
	}
	data[tenantSetting] = org
	return true, nil
}

// New creates (but does not launch) the engine. Register workflows, then Launch.
func New(ctx context.Context, d *db.DB, executorID string, logger *slog.Logger) (*Engine, error) {
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	system, err := pgxpool.NewWithConfig(ctx, d.Owner.Config().Copy())
	if err != nil {
		return nil, err
	}
	appCfg := d.App.Config().Copy()
	appCfg.PrepareConn = activateTenant
	app, err := pgxpool.NewWithConfig(ctx, appCfg)
	if err != nil {
		system.Close()
		return nil, err
	}
	pools := []*pgxpool.Pool{system, app}
	closeAll := func() {
		for _, p := range pools {
			p.Close()
		}
	}
	dctx, err := dbos.NewContext(ctx, dbos.Config{
		AppName:            "hestami",
		SystemDBPool:       system,
		ApplicationVersion: ApplicationVersion,
		ExecutorID:         executorID,
		Logger:             logger,
		SkipMigrations:     true,
	})
	if err != nil {
		closeAll()
		return nil, fmt.Errorf("DBOS: %w", err)
	}
	ds, err := dbos.NewDataSource(dctx, app, dbos.WithDataSourceName("hestami-app"), dbos.WithDataSourceSkipMigrations())
	if err != nil {
		closeAll()
		return nil, fmt.Errorf("DBOS data source: %w", err)
	}
	return &Engine{Ctx: dctx, DS: ds, ExecutorID: executorID, pools: pools}, nil
}

// Launch starts the engine and recovers this executor's pending workflows.
func (e *Engine) Launch() error { return dbos.Launch(e.Ctx) }

// Shutdown stops the engine, waiting up to timeout for running workflows.
func (e *Engine) Shutdown(timeout time.Duration) {
	_ = dbos.Shutdown(e.Ctx, timeout)
	for _, p := range e.pools {
		p.Close()
	}
}

// IDFor derives a workflow id from an idempotency scope (api.md §5): the same
// organization, principal, procedure and key always name the same workflow.
func IDFor(procedure, orgID, principalID, key string) string {
	h := sha256.Sum256([]byte(strings.Join([]string{orgID, principalID, procedure, key}, "\x00")))
	return procedure + ":" + hex.EncodeToString(h[:16])
}

// Querier adapts a DBOS transaction to the store's Querier, so the same
// store code runs inside durable transactions.
func Querier(tx dbos.Tx) db.Querier { return dbosQuerier{tx} }

type dbosQuerier struct{ tx dbos.Tx }

func (q dbosQuerier) Exec(ctx context.Context, sql string, args ...any) (int64, error) {
	res, err := q.tx.Exec(ctx, sql, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (q dbosQuerier) Query(ctx context.Context, sql string, args ...any) (db.Rows, error) {
	rows, err := q.tx.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	return dbosRows{rows}, nil
}

func (q dbosQuerier) QueryRow(ctx context.Context, sql string, args ...any) db.Row {
	return q.tx.QueryRow(ctx, sql, args...)
}

type dbosRows struct{ dbos.Rows }

func (r dbosRows) Close() { _ = r.Rows.Close() }
