package db

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Querier is what store methods run SQL on: a tenant transaction opened by
// InTenant, or a durable-workflow transaction (see workflow.Querier). It is
// narrower than pgx so that both can implement it.
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

// queuer is implemented by queriers that can hold back statements whose
// results nobody reads and send them with the next statement.
type queuer interface {
	Queue(sql string, args ...any)
}

// Queue runs a statement whose result is not needed: on a pipelining
// querier it travels with the next statement (or the commit), saving a round
// trip; elsewhere it runs now. Its error surfaces with that next statement.
func Queue(ctx context.Context, q Querier, sql string, args ...any) error {
	if qq, ok := q.(queuer); ok {
		qq.Queue(sql, args...)
		return nil
	}
	_, err := q.Exec(ctx, sql, args...)
	return err
}

type statement struct {
	sql  string
	args []any
}

// pipeTx is a transaction on one pooled connection that pipelines: BEGIN,
// the tenant setting and any queued statements are sent in one batch with
// the next statement, and the last queued statements with COMMIT. A read
// (implicit) pipeTx sends no BEGIN: its single batch runs as one implicit
// transaction, to which the transaction-local tenant setting is confined.
type pipeTx struct {
	conn     *pgxpool.Conn
	pending  []statement
	sent     bool // something reached the server
	implicit bool
}

var errImplicitOnce = errors.New("db: a read-only tenant call sends exactly one statement batch")

// errCommitRolledBack is a COMMIT that PostgreSQL answered with ROLLBACK:
// an earlier statement failed and its error was not returned by fn.
var errCommitRolledBack = errors.New("db: the transaction was aborted by an earlier error and rolled back at COMMIT")

// txFailed is the ReadyForQuery status of a transaction aborted by an error.
const txFailed = 'E'

func (t *pipeTx) Queue(sql string, args ...any) {
	t.pending = append(t.pending, statement{sql, args})
}

// send sends the pending statements and sql in one batch, reading (and
// discarding) the pending results; the caller reads the last result.
func (t *pipeTx) send(ctx context.Context, sql string, args []any) (pgx.BatchResults, error) {
	if t.implicit && t.sent {
		return nil, errImplicitOnce
	}
	// pgx prepares a batch's new statements before it runs any of them. In
	// a transaction aborted by a failed statement, PostgreSQL refuses to
	// prepare anything but a rollback (25P02), so a batch that starts with
	// ROLLBACK TO SAVEPOINT would fail on the statements after it and the
	// recovery would be lost. Until the transaction is usable again, the
	// queue goes one statement at a time.
	for len(t.pending) > 0 && t.conn.Conn().PgConn().TxStatus() == txFailed {
		s := t.pending[0]
		t.pending = t.pending[1:]
		t.sent = true
		if _, err := t.conn.Exec(ctx, s.sql, s.args...); err != nil {
			return nil, err
		}
	}
	b := &pgx.Batch{}
	for _, s := range t.pending {
		b.Queue(s.sql, s.args...)
	}
	n := len(t.pending)
	t.pending = nil
	b.Queue(sql, args...)
	t.sent = true
	br := t.conn.SendBatch(ctx, b)
	for i := 0; i < n; i++ {
		if _, err := br.Exec(); err != nil {
			br.Close()
			return nil, err
		}
	}
	return br, nil
}

func (t *pipeTx) Exec(ctx context.Context, sql string, args ...any) (int64, error) {
	tag, err := t.exec(ctx, sql, args)
	return tag.RowsAffected(), err
}

func (t *pipeTx) exec(ctx context.Context, sql string, args []any) (pgconn.CommandTag, error) {
	br, err := t.send(ctx, sql, args)
	if err != nil {
		return pgconn.CommandTag{}, err
	}
	tag, err := br.Exec()
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	return tag, err
}

func (t *pipeTx) Query(ctx context.Context, sql string, args ...any) (Rows, error) {
	br, err := t.send(ctx, sql, args)
	if err != nil {
		return nil, err
	}
	rows, err := br.Query()
	if err != nil {
		br.Close()
		return nil, err
	}
	return &batchRows{Rows: rows, br: br}, nil
}

func (t *pipeTx) QueryRow(ctx context.Context, sql string, args ...any) Row {
	br, err := t.send(ctx, sql, args)
	if err != nil {
		return errRow{err}
	}
	return &batchRow{row: br.QueryRow(), br: br}
}

// finish commits (sending what is still queued with the COMMIT) or, after
// an error, rolls back.
func (t *pipeTx) finish(ctx context.Context, fnErr error) error {
	if fnErr != nil {
		if t.sent && !t.implicit {
			_, _ = t.conn.Exec(context.WithoutCancel(ctx), "ROLLBACK")
		}
		return fnErr
	}
	if t.implicit {
		if len(t.pending) > 1 || (len(t.pending) == 1 && t.sent) {
			return errImplicitOnce
		}
		return nil
	}
	if !t.sent && onlySetup(t.pending) {
		return nil // nothing happened
	}
	tag, err := t.exec(ctx, "COMMIT", nil)
	if err != nil {
		_, _ = t.conn.Exec(context.WithoutCancel(ctx), "ROLLBACK")
		return err
	}
	// A swallowed error leaves the transaction aborted, and PostgreSQL then
	// answers COMMIT with ROLLBACK: reporting success would lie.
	if tag.String() == "ROLLBACK" {
		return errCommitRolledBack
	}
	return nil
}

// onlySetup reports whether the queue holds nothing but BEGIN and the
// tenant setting.
func onlySetup(p []statement) bool {
	for _, s := range p {
		if s.sql != "BEGIN" && s.sql != setOrgSQL {
			return false
		}
	}
	return true
}

// txQuerier runs statements one by one in a pgx transaction (owner role).
type txQuerier struct{ tx pgx.Tx }

func (q txQuerier) Exec(ctx context.Context, sql string, args ...any) (int64, error) {
	tag, err := q.tx.Exec(ctx, sql, args...)
	return tag.RowsAffected(), err
}

func (q txQuerier) Query(ctx context.Context, sql string, args ...any) (Rows, error) {
	rows, err := q.tx.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	return rows, nil
}

func (q txQuerier) QueryRow(ctx context.Context, sql string, args ...any) Row {
	return q.tx.QueryRow(ctx, sql, args...)
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
