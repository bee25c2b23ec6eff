// Package db owns hestami's connections to PostgreSQL: the owner pool that
// runs migrations and operator commands, the runtime pool on which RLS applies,
// the one transaction helper that activates a tenant, and the mapping of
// driver errors to domain errors.
package db

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hestami/concierge/internal/apperr"
)

// RuntimeRole is the login role the application uses for tenant data.
const RuntimeRole = "hestami_app"

// DB is the pair of pools one hestami process uses.
type DB struct {
	Owner *pgxpool.Pool // migrations, identity administration, DBOS system tables
	App   *pgxpool.Pool // tenant data, RLS enforced
}

// Open connects both pools. An empty appURL is derived from ownerURL by
// switching the user to the runtime role.
func Open(ctx context.Context, ownerURL, appURL string) (*DB, error) {
	if appURL == "" {
		var err error
		if appURL, err = RuntimeURL(ownerURL); err != nil {
			return nil, err
		}
	}
	owner, err := newPool(ctx, ownerURL, 4)
	if err != nil {
		return nil, fmt.Errorf("owner pool: %w", err)
	}
	app, err := newPool(ctx, appURL, 16)
	if err != nil {
		owner.Close()
		return nil, fmt.Errorf("runtime pool: %w", err)
	}
	return &DB{Owner: owner, App: app}, nil
}

func newPool(ctx context.Context, raw string, max int32) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(raw)
	if err != nil {
		return nil, err
	}
	if cfg.MaxConns < max {
		cfg.MaxConns = max
	}
	return pgxpool.NewWithConfig(ctx, cfg)
}

// RuntimeURL replaces the user of a connection URL with the runtime role and
// drops its password (set database.app_url when the runtime role has one).
func RuntimeURL(ownerURL string) (string, error) {
	u, err := url.Parse(ownerURL)
	if err != nil {
		return "", fmt.Errorf("database.url: %w", err)
	}
	q := u.Query()
	if q.Has("user") {
		q.Set("user", RuntimeRole)
		u.RawQuery = q.Encode()
	}
	if u.User != nil || !q.Has("user") {
		u.User = url.User(RuntimeRole)
	}
	return u.String(), nil
}

// Close closes both pools.
func (d *DB) Close() {
	d.App.Close()
	d.Owner.Close()
}

// Ping checks that both roles can connect.
func (d *DB) Ping(ctx context.Context) error {
	if err := d.Owner.Ping(ctx); err != nil {
		return err
	}
	return d.App.Ping(ctx)
}

// InTenant runs fn in one runtime-role transaction whose active organization
// is orgID. It is the only way the application touches tenant rows. BEGIN and
// the tenant setting travel with fn's first statement, and statements queued
// with Queue travel with the next one or with the COMMIT.
func (d *DB) InTenant(ctx context.Context, orgID string, fn func(q Querier) error) error {
	return d.inTenant(ctx, orgID, false, fn)
}

// InTenantRead runs fn, which sends exactly one statement (plus anything
// queued before it), as a single implicit transaction: the tenant setting
// and the statement in one round trip, no BEGIN or COMMIT.
func (d *DB) InTenantRead(ctx context.Context, orgID string, fn func(q Querier) error) error {
	return d.inTenant(ctx, orgID, true, fn)
}

// retryAttempts bounds how often a transaction that PostgreSQL aborted to
// break a deadlock or a serialization conflict is run again.
const retryAttempts = 3

func (d *DB) inTenant(ctx context.Context, orgID string, implicit bool, fn func(q Querier) error) error {
	if orgID == "" {
		return apperr.New(apperr.Validation, "no active organization")
	}
	// A transaction PostgreSQL aborted (40P01, 40001) left nothing behind,
	// the idempotency claim included, so running fn again is safe: fn's
	// effects are its statements, and the PDP is only asked.
	var err error
	for range retryAttempts {
		if err = d.inTenantOnce(ctx, orgID, implicit, fn); !isRetryable(err) {
			return MapError(err)
		}
	}
	return MapError(err)
}

func isRetryable(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == "40P01" || pgErr.Code == "40001")
}

func (d *DB) inTenantOnce(ctx context.Context, orgID string, implicit bool, fn func(q Querier) error) error {
	conn, err := d.App.Acquire(ctx)
	if err != nil {
		return MapError(err)
	}
	// A connection released inside a transaction is closed by the pool, so
	// an interrupted call cannot leak its tenant to the next user.
	defer conn.Release()
	t := &pipeTx{conn: conn, implicit: implicit}
	if !implicit {
		t.Queue("BEGIN")
	}
	t.Queue(setOrgSQL, orgID)
	return t.finish(ctx, fn(t))
}

// InTenantResult is InTenant for functions that return a value.
func InTenantResult[T any](ctx context.Context, d *DB, orgID string, fn func(q Querier) (T, error)) (T, error) {
	var out T
	err := d.InTenant(ctx, orgID, func(q Querier) error {
		var err error
		out, err = fn(q)
		return err
	})
	return out, err
}

// InOwner runs fn in one owner-role transaction (operator commands only).
func (d *DB) InOwner(ctx context.Context, fn func(q Querier) error) error {
	tx, err := d.Owner.Begin(ctx)
	if err != nil {
		return MapError(err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck
	if err := fn(txQuerier{tx}); err != nil {
		return MapError(err)
	}
	return MapError(tx.Commit(ctx))
}

const setOrgSQL = `SELECT set_config('hestami.org_id', $1, true)`

// SetTenant activates orgID for the rest of a transaction that was not opened
// by InTenant (a durable-workflow transaction).
func SetTenant(ctx context.Context, q Querier, orgID string) error {
	_, err := q.Exec(ctx, setOrgSQL, orgID)
	return err
}

// MapError turns driver errors into domain errors; typed errors pass through.
func MapError(err error) error {
	if err == nil {
		return nil
	}
	var ae *apperr.Error
	if errors.As(err, &ae) {
		return err
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return apperr.Wrap(apperr.NotFound, err, "not found")
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "23505":
			return apperr.Wrap(apperr.Conflict, err, "already exists")
		case "23503":
			return apperr.Wrap(apperr.NotFound, err, "a referenced record does not exist")
		case "23514", "22P02", "22001",
			"22021",          // invalid byte sequence (NUL in text)
			"22007", "22008": // unparsable or out-of-range date/time
			return apperr.Wrap(apperr.Validation, err, "the input is invalid")
		case "42501":
			// Insufficient privilege / RLS WITH CHECK violation: never reveal more.
			return apperr.Wrap(apperr.Forbidden, err, "not allowed")
		case "57P01", "57P02", "57P03", "08000", "08003", "08006", "08001", "08004":
			return apperr.Wrap(apperr.DependencyUnavailable, err, "database unavailable")
		case "40P01", "40001":
			// Still colliding after InTenant's own retries: the caller may
			// retry (the envelope says so); nothing was written.
			return apperr.Wrap(apperr.DependencyUnavailable, err, "the request collided with concurrent work; retry it")
		}
		return err
	}
	var connErr *pgconn.ConnectError
	if errors.As(err, &connErr) {
		return apperr.Wrap(apperr.DependencyUnavailable, err, "database unavailable")
	}
	return err
}
