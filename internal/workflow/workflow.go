// Package workflow wires DBOS Transact: the system tables live in the `dbos`
// schema of hestami's database (owner role) and durable transactions run on
// the runtime role's pool, so RLS applies inside workflow steps too.
package workflow

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/dbos-inc/dbos-transact-golang/dbos"
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
	Ctx   dbos.Context
	DS    *dbos.DataSource
	pools []*pgxpool.Pool
}

// Migrate creates the DBOS system schema and the data-source table with the
// owner role and grants the runtime role what RunAsTransaction needs.
func Migrate(ctx context.Context, ownerURL string, owner *pgxpool.Pool) error {
	quiet := dbos.WithMigrateLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err := dbos.Migrate(ctx, ownerURL, quiet); err != nil {
		return fmt.Errorf("DBOS system schema: %w", err)
	}
	if err := dbos.MigrateDataSource(ctx, owner, dbos.WithMigrateApplicationRole(db.RuntimeRole), quiet); err != nil {
		return fmt.Errorf("DBOS data source schema: %w", err)
	}
	return nil
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
	app, err := pgxpool.NewWithConfig(ctx, d.App.Config().Copy())
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
	return &Engine{Ctx: dctx, DS: ds, pools: pools}, nil
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
