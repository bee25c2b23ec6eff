package db

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// Querier is what store methods run SQL on: a tenant transaction opened by
// InTenant, or a durable-workflow transaction (see AdaptTx). It is narrower
// than pgx so that both can implement it.
type Querier interface {
	Exec(ctx context.Context, sql string, args ...any) (int64, error)
	Query(ctx context.Context, sql string, args ...any) (Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) Row
}

// Rows is a result cursor.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close()
}

// Row is a single-row result.
type Row interface {
	Scan(dest ...any) error
}

// tenantTx runs the first statement of a transaction in one pgx batch with
// the set_config that activates the tenant: one round trip instead of two.
type tenantTx struct {
	tx     pgx.Tx
	org    string
	primed bool
}

const setOrgSQL = `SELECT set_config('hestami.org_id', $1, true)`

func (t *tenantTx) prime(ctx context.Context, sql string, args []any) pgx.BatchResults {
	t.primed = true
	b := &pgx.Batch{}
	b.Queue(setOrgSQL, t.org)
	b.Queue(sql, args...)
	br := t.tx.SendBatch(ctx, b)
	return br
}

func (t *tenantTx) Exec(ctx context.Context, sql string, args ...any) (int64, error) {
	if t.primed {
		tag, err := t.tx.Exec(ctx, sql, args...)
		return tag.RowsAffected(), err
	}
	br := t.prime(ctx, sql, args)
	defer br.Close()
	if _, err := br.Exec(); err != nil {
		return 0, err
	}
	tag, err := br.Exec()
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), br.Close()
}

func (t *tenantTx) Query(ctx context.Context, sql string, args ...any) (Rows, error) {
	if t.primed {
		rows, err := t.tx.Query(ctx, sql, args...)
		if err != nil {
			return nil, err
		}
		return rows, nil
	}
	br := t.prime(ctx, sql, args)
	if _, err := br.Exec(); err != nil {
		br.Close()
		return nil, err
	}
	rows, err := br.Query()
	if err != nil {
		br.Close()
		return nil, err
	}
	return &batchRows{Rows: rows, br: br}, nil
}

func (t *tenantTx) QueryRow(ctx context.Context, sql string, args ...any) Row {
	if t.primed {
		return t.tx.QueryRow(ctx, sql, args...)
	}
	br := t.prime(ctx, sql, args)
	if _, err := br.Exec(); err != nil {
		br.Close()
		return errRow{err}
	}
	return &batchRow{row: br.QueryRow(), br: br}
}

type batchRows struct {
	pgx.Rows
	br       pgx.BatchResults
	closed   bool
	closeErr error
}

// Next closes the batch once the rows are exhausted, as pgx closes plain
// rows, so the transaction can run its next statement.
func (r *batchRows) Next() bool {
	if r.Rows.Next() {
		return true
	}
	r.Close()
	return false
}

func (r *batchRows) Err() error {
	if err := r.Rows.Err(); err != nil {
		return err
	}
	return r.closeErr
}

func (r *batchRows) Close() {
	if r.closed {
		return
	}
	r.closed = true
	r.Rows.Close()
	r.closeErr = r.br.Close()
}

type batchRow struct {
	row pgx.Row
	br  pgx.BatchResults
}

func (r *batchRow) Scan(dest ...any) error {
	err := r.row.Scan(dest...)
	if cerr := r.br.Close(); err == nil {
		err = cerr
	}
	return err
}

type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }
