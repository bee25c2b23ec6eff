// Package quoteimport imports vendor quotes in bulk (issue 10): a CSV or
// JSON Lines file, streamed, under the rules of a single quote create
// (internal/vendor's quote/v1/add) applied to every row.
//
// One import is one runtime-role transaction in the importing principal's
// organization:
//
//  1. the PDP is asked once whether the principal may import quotes there;
//  2. the file is hashed first (a file that cannot be re-read is spooled to
//     a temporary file on the way): the batch id is derived from the
//     organization and the hash, so a file already imported is reported as
//     such before anything is read, and the batch row is written first;
//  3. one goroutine parses and validates rows (Validate) into chunks of
//     ChunkRows while the transaction writes the previous chunk: the
//     chunk's new case and vendor references are resolved in the
//     organization (RLS applies: another organization's case is unknown)
//     and the PDP is asked once per distinct case; then one call of
//     hestami_import_quotes (migrations/0026) writes the chunk's rows into
//     quotes and their line items, each quote carrying its batch, file row
//     and external reference (its provenance); a reference already a quote
//     of the organization (earlier in the file or before) is not written
//     and is reported;
//  4. one activity event records the batch, and the transaction commits.
//
// Nothing commits before the end, so an import killed at any point (kill
// -9 included) leaves nothing behind and the same file run again imports
// every row exactly once. A dry run and a --strict refusal do the same work
// and roll back. The batch's primary key and the unique (organization,
// external reference) and (batch, row) indexes make a second or
// concurrent run of the same rows wait for the first and never duplicate.
package quoteimport

import (
	"context"
	"errors"
	"io"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/invopop/jsonschema"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/db"
	"github.com/hestami/concierge/internal/enum"
	"github.com/hestami/concierge/internal/vendor"
)

// BatchStatus is where a batch is.
type BatchStatus string

const (
	BatchImported BatchStatus = "IMPORTED"
	BatchReverted BatchStatus = "REVERTED"
)

// BatchStatuses lists the batch statuses.
var BatchStatuses = enum.New(BatchImported, BatchReverted).Stored("quote_import_batches", "status")

func (BatchStatus) JSONSchema() *jsonschema.Schema { return BatchStatuses.Schema() }

const (
	quoteKind  = "quote"
	vendorKind = "vendor"
	// batchKind is the activity log's entity type of a batch.
	batchKind = "quote_import"
)

// Service runs imports.
type Service struct {
	db  *db.DB
	pdp authz.Decider
	// vendors creates the vendors --create-vendors asks for, under the
	// vendor domain's own rules (authorization, validation, activity).
	vendors *vendor.Service
	// Now is the clock against which valid-until is checked.
	Now func() time.Time
}

// New returns the import service.
func New(d *db.DB, pdp authz.Decider, vendors *vendor.Service) *Service {
	return &Service{db: d, pdp: pdp, vendors: vendors, Now: time.Now}
}

// ImportOptions say how to import one file.
type ImportOptions struct {
	Parse    Options
	FileName string
	// DryRun checks every row and reports, writing nothing.
	DryRun bool
	// Strict writes nothing when any row is invalid.
	Strict bool
	// CreateVendors creates the vendors named by rows that match none.
	CreateVendors bool
	// Report receives every issue, in row order, before the import ends.
	Report func(Issue) error
	// Progress is called after each chunk is written and before the
	// commit, on the goroutine that called Import.
	Progress func(Progress)
}

// ChunkRows is how many rows one write carries; the reader parses the
// next chunk while the database writes this one. Memory is bounded by
// three chunks whatever the file's size.
const ChunkRows = 20000

// Progress is where an import is.
type Progress struct {
	Phase     string // "reading", "committing"
	RowsRead  int
	BytesRead int64
	// Bytes is the file's size, -1 when unknown.
	Bytes int64
}

// Summary is the outcome of one import.
type Summary struct {
	BatchID     string      `json:"batchId"`
	ContentHash string      `json:"contentHash"`
	FileName    string      `json:"fileName,omitempty"`
	Format      Format      `json:"format"`
	Status      BatchStatus `json:"status,omitempty"`
	DryRun      bool        `json:"dryRun,omitempty"`
	// AlreadyImported is true when this file was imported before: nothing
	// was written and the counts are those of that import.
	AlreadyImported bool       `json:"alreadyImported,omitempty"`
	RowsRead        int        `json:"rowsRead"`
	RowsWritten     int        `json:"rowsWritten"`
	RowsRejected    int        `json:"rowsRejected"`
	VendorsCreated  int        `json:"vendorsCreated"`
	CreatedBy       string     `json:"createdBy,omitempty"`
	CreatedAt       time.Time  `json:"createdAt,omitzero"`
	RevertedAt      *time.Time `json:"revertedAt,omitempty"`
	DurationMS      int64      `json:"durationMs"`
}

// batchNamespace derives batch ids: the same organization and content
// always name the same batch.
var batchNamespace = uuid.MustParse("6f1d3c52-8a0e-4b7e-9a51-0c1b6e2f4d11")

// BatchID is the id of the batch importing content with hash into org.
func BatchID(orgID, hash string) string { return batchID(orgID, hash, 0) }

// batchID is the id of the batch importing content with hash into org
// after reverted earlier batches of the same content: one content has one
// imported batch at a time, and imports again after a revert.
func batchID(orgID, hash string, reverted int) string {
	name := orgID + ":" + hash
	if reverted > 0 {
		name += ":" + strconv.Itoa(reverted)
	}
	return uuid.NewSHA1(batchNamespace, []byte(name)).String()
}

// Import reads r and imports its quotes as p. A file that cannot be read
// as a whole (no header, a row over MaxRowBytes) is a VALIDATION error with
// the problem as its one field; a Strict import with invalid rows is a
// VALIDATION error too, after the issues went to Report.
func (s *Service) Import(ctx context.Context, p authz.Principal, r io.Reader, opts ImportOptions) (Summary, error) {
	start := time.Now()
	if err := s.authorizeBatch(ctx, p); err != nil {
		return Summary{}, err
	}
	c, err := openContent(r)
	if err != nil {
		return Summary{}, err
	}
	defer c.Close()
	var sum Summary
	err = s.inTenantTx(ctx, p.OrgID, func(tx pgx.Tx) error {
		var err error
		sum, err = s.run(ctx, tx, p, c, opts)
		return err
	})
	if errors.Is(err, errRollback) {
		err = nil
	}
	sum.DurationMS = time.Since(start).Milliseconds()
	return sum, err
}

// errRollback ends a transaction that succeeded in what it set out to do
// without writing (a dry run, a file already imported).
var errRollback = errors.New("rollback")

func (s *Service) authorizeBatch(ctx context.Context, p authz.Principal) error {
	attr := map[string]any{"org_id": p.OrgID, "case_id": "", "property_id": "", "status": "", "vendor_id": ""}
	authz.AmountAttr(attr, nil)
	return s.pdp.Authorize(ctx, p, authz.Resource{Kind: quoteKind, ID: "import", Attr: attr}, "import")
}

// inTenantTx runs fn in one runtime-role transaction with orgID active, on
// a plain pgx transaction held open across the chunks' writes (db.InTenant
// pipelines a request's statements and retries its whole function, which a
// streamed file cannot be read twice for).
func (s *Service) inTenantTx(ctx context.Context, orgID string, fn func(tx pgx.Tx) error) error {
	tx, err := s.db.App.Begin(ctx)
	if err != nil {
		return db.MapError(err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck
	if _, err := tx.Exec(ctx, `SELECT set_config('hestami.org_id', $1, true)`, orgID); err != nil {
		return db.MapError(err)
	}
	if err := fn(tx); err != nil {
		return db.MapError(err)
	}
	return db.MapError(tx.Commit(ctx))
}

// querier adapts a pgx transaction to db.Querier (for activity.Record).
type querier struct{ tx pgx.Tx }

func (q querier) Exec(ctx context.Context, sql string, args ...any) (int64, error) {
	tag, err := q.tx.Exec(ctx, sql, args...)
	return tag.RowsAffected(), err
}

func (q querier) Query(ctx context.Context, sql string, args ...any) (db.Rows, error) {
	return q.tx.Query(ctx, sql, args...)
}

func (q querier) QueryRow(ctx context.Context, sql string, args ...any) db.Row {
	return q.tx.QueryRow(ctx, sql, args...)
}

const batchColumns = `id, content_hash, file_name, format, status, rows_read, rows_written, rows_rejected, vendors_created,
	created_by, created_at, reverted_at`

func scanBatch(r db.Row) (Summary, error) {
	var b Summary
	err := r.Scan(&b.BatchID, &b.ContentHash, &b.FileName, &b.Format, &b.Status, &b.RowsRead, &b.RowsWritten, &b.RowsRejected,
		&b.VendorsCreated, &b.CreatedBy, &b.CreatedAt, &b.RevertedAt)
	return b, err
}

func loadBatch(ctx context.Context, q db.Querier, id string) (Summary, bool, error) {
	b, err := scanBatch(q.QueryRow(ctx, `SELECT `+batchColumns+` FROM quote_import_batches WHERE id = $1::uuid`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return b, false, nil
	}
	return b, err == nil, err
}

func isUnique(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23505"
}
