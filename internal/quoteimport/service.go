// Package quoteimport imports vendor quotes in bulk (issue 10): a CSV or
// JSON Lines file, streamed, under the rules of a single quote create
// (internal/vendor's quote/v1/add) applied to every row.
//
// One import is one runtime-role transaction in the importing principal's
// organization:
//
//  1. the PDP is asked once whether the principal may import quotes there;
//  2. the file is parsed and each row validated on its own (Validate) while
//     it streams through COPY into a temporary staging table the import
//     owns (rows that fail are staged with their issues), hashing the file;
//  3. the batch id is derived from the organization and the file's hash: a
//     file already imported is reported as such, writing nothing;
//  4. the staged rows are checked against the organization in SQL (RLS
//     applies: another organization's case is unknown): case and vendor
//     exist, the external reference is not repeated in the file nor
//     already imported; the PDP is asked once per distinct case;
//  5. one INSERT … SELECT writes the valid rows into quotes and their line
//     items, each quote carrying its batch, file row and external reference
//     (its provenance), and one activity event records the batch.
//
// Nothing commits before the end, so an import killed at any point (kill
// -9 included) leaves nothing behind and the same file run again imports
// every row exactly once; the batch's primary key and the unique
// (organization, external reference) and (batch, row) indexes make a second
// or concurrent run of the same rows fail rather than duplicate them.
package quoteimport

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/invopop/jsonschema"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/hestami/concierge/internal/activity"
	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/db"
	"github.com/hestami/concierge/internal/enum"
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
	// Now is the clock against which valid-until is checked.
	Now func() time.Time
}

// New returns the import service.
func New(d *db.DB, pdp authz.Decider) *Service { return &Service{db: d, pdp: pdp, Now: time.Now} }

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
	// Progress is called as rows are read (every ProgressEvery rows) and as
	// the import moves from phase to phase.
	Progress func(Progress)
}

// ProgressEvery is how many rows are read between two Progress calls.
const ProgressEvery = 10000

// Progress is where an import is.
type Progress struct {
	Phase    string // "reading", "checking", "writing", "committing"
	RowsRead int
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
func BatchID(orgID, hash string) string {
	return uuid.NewSHA1(batchNamespace, []byte(orgID+":"+hash)).String()
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
	var sum Summary
	err := s.inTenantTx(ctx, p.OrgID, func(tx pgx.Tx) error {
		var err error
		sum, err = s.run(ctx, tx, p, r, opts)
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
// a pgx transaction (COPY needs one; db.InTenant's pipelining querier has
// no COPY).
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

const stagingSQL = `CREATE TEMP TABLE import_rows (
	row_no      integer NOT NULL,
	quote_id    uuid NOT NULL DEFAULT gen_random_uuid(),
	ext_ref     text,
	case_ref    text,
	vendor_ref  text,
	amount      numeric,
	currency    text,
	valid_until timestamptz,
	scope       text,
	scope_key   text,
	line_items  jsonb,
	issues      jsonb
) ON COMMIT DROP`

var stagingColumns = []string{"row_no", "ext_ref", "case_ref", "vendor_ref", "amount", "currency", "valid_until", "scope", "scope_key", "line_items", "issues"}

// source feeds COPY from the parser, one validated row at a time.
type source struct {
	p        *Parser
	now      time.Time
	vals     []any
	err      error
	read     int
	progress func(Progress)
}

func (s *source) Next() bool {
	row, err := s.p.Next()
	if err != nil {
		if !errors.Is(err, io.EOF) {
			s.err = err
		}
		return false
	}
	s.read++
	if s.progress != nil && s.read%ProgressEvery == 0 {
		s.progress(Progress{Phase: "reading", RowsRead: s.read})
	}
	rec, issues := Validate(row, s.now)
	if len(issues) > 0 {
		raw, err := json.Marshal(issues)
		if err != nil {
			s.err = err
			return false
		}
		s.vals = []any{row.Number, nil, nil, nil, nil, nil, nil, nil, nil, nil, string(raw)}
		return true
	}
	s.vals = []any{rec.Row, nullable(rec.ExternalRef), rec.Case, rec.Vendor, rec.Amount, rec.Currency, rec.ValidUntil,
		rec.Scope, rec.ScopeKey, jsonOrNil(rec.LineItems), nil}
	return true
}

func (s *source) Values() ([]any, error) { return s.vals, nil }
func (s *source) Err() error             { return s.err }

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func jsonOrNil(b []byte) any {
	if b == nil {
		return nil
	}
	return string(b)
}

// hashingReader hashes what is read through it.
type hashingReader struct {
	r io.Reader
	h interface {
		io.Writer
		Sum([]byte) []byte
	}
}

func (h hashingReader) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	h.h.Write(p[:n]) //nolint:errcheck // a hash never fails
	return n, err
}

func fileError(err error) error {
	var fe *FileError
	if errors.As(err, &fe) {
		field := "file"
		if fe.Issue.Row > 0 {
			field = fmt.Sprintf("row %d", fe.Issue.Row)
		}
		if fe.Issue.Column != "" {
			field += "." + fe.Issue.Column
		}
		e := apperr.New(apperr.Validation, "the file cannot be imported: %s", fe.Error())
		e.Fields = []apperr.FieldError{{Field: field, Code: fe.Issue.Code, Message: fe.Issue.Message}}
		return e
	}
	return err
}

func (s *Service) run(ctx context.Context, tx pgx.Tx, p authz.Principal, r io.Reader, opts ImportOptions) (Summary, error) {
	progress := func(phase string, n int) {
		if opts.Progress != nil {
			opts.Progress(Progress{Phase: phase, RowsRead: n})
		}
	}
	h := hashingReader{r: r, h: sha256.New()}
	parser, err := NewParser(h, opts.Parse)
	if err != nil {
		return Summary{}, fileError(err)
	}
	if _, err := tx.Exec(ctx, stagingSQL); err != nil {
		return Summary{}, err
	}
	src := &source{p: parser, now: s.Now(), progress: opts.Progress}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"import_rows"}, stagingColumns, src); err != nil {
		if src.err != nil {
			return Summary{}, fileError(src.err)
		}
		return Summary{}, err
	}
	// The rest of the input (after the last row) belongs to the content.
	if _, err := io.Copy(io.Discard, h); err != nil {
		return Summary{}, err
	}
	hash := hex.EncodeToString(h.h.Sum(nil))
	sum := Summary{BatchID: BatchID(p.OrgID, hash), ContentHash: hash, FileName: opts.FileName, Format: parser.Format,
		DryRun: opts.DryRun, RowsRead: src.read}
	progress("checking", src.read)

	prev, found, err := loadBatch(ctx, querier{tx}, sum.BatchID)
	if err != nil {
		return sum, err
	}
	switch {
	case found && !opts.DryRun:
		prev.AlreadyImported = true
		return prev, errRollback
	case found:
		// A dry run still checks every row: it reports what a run would.
		sum.AlreadyImported = true
	}
	if _, err := tx.Exec(ctx, `ANALYZE import_rows`); err != nil {
		return sum, err
	}
	if err := s.checkCases(ctx, tx, p); err != nil {
		return sum, err
	}
	created, err := s.checkVendors(ctx, tx, p, opts.CreateVendors && !opts.DryRun)
	if err != nil {
		return sum, err
	}
	sum.VendorsCreated = created
	if err := checkDuplicates(ctx, tx); err != nil {
		return sum, err
	}
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM import_rows WHERE issues IS NOT NULL`).Scan(&sum.RowsRejected); err != nil {
		return sum, err
	}
	if opts.Report != nil && sum.RowsRejected > 0 {
		if err := report(ctx, tx, opts.Report); err != nil {
			return sum, err
		}
	}
	if opts.DryRun {
		sum.RowsWritten = 0
		return sum, errRollback
	}
	if opts.Strict && sum.RowsRejected > 0 {
		return sum, apperr.New(apperr.Validation, "%d of %d rows are invalid; --strict imports nothing", sum.RowsRejected, sum.RowsRead)
	}
	progress("writing", src.read)
	if _, err := tx.Exec(ctx, `INSERT INTO quote_import_batches (id, organization_id, content_hash, file_name, format,
			rows_read, rows_written, rows_rejected, vendors_created, created_by)
		VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $8, $9)`,
		sum.BatchID, p.OrgID, hash, truncateBytes(opts.FileName, 500), sum.Format, sum.RowsRead, sum.RowsRejected, sum.VendorsCreated, p.UserID); err != nil {
		if isUnique(err) {
			// Another run of the same file committed while this one read it.
			return sum, apperr.Wrap(apperr.Conflict, err, "batch %s: the same file was imported by another run meanwhile; nothing was written", sum.BatchID)
		}
		return sum, err
	}
	if err := tx.QueryRow(ctx, `WITH ins AS (
			INSERT INTO quotes (id, organization_id, case_id, vendor_id, scope_key, amount, currency, scope, valid_until,
				created_by, external_ref, import_batch_id, import_row)
			SELECT s.quote_id, $1, c.case_id, v.vendor_id, s.scope_key, s.amount, s.currency, s.scope, s.valid_until,
				$2, s.ext_ref, $3, s.row_no
			FROM import_rows s JOIN import_cases c ON c.case_ref = s.case_ref JOIN import_vendors v ON v.vendor_ref = s.vendor_ref
			WHERE s.issues IS NULL
			RETURNING 1)
		SELECT count(*) FROM ins`, p.OrgID, p.UserID, sum.BatchID).Scan(&sum.RowsWritten); err != nil {
		if isUnique(err) {
			return sum, apperr.Wrap(apperr.Conflict, err, "an external reference of this file was imported by another run meanwhile; nothing was written: run again to import the rest")
		}
		return sum, err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO quote_line_items (organization_id, quote_id, position, description, quantity, unit_price)
		SELECT $1, s.quote_id, li.ord, li.e->>'description', (li.e->>'quantity')::numeric, (li.e->>'unitPrice')::numeric
		FROM import_rows s, jsonb_array_elements(s.line_items) WITH ORDINALITY AS li(e, ord)
		WHERE s.issues IS NULL AND s.line_items IS NOT NULL`, p.OrgID); err != nil {
		return sum, err
	}
	if sum.RowsWritten+sum.RowsRejected != sum.RowsRead {
		// Every staged row without an issue has a case and a vendor; a
		// gap here is a bug, and nothing commits.
		return sum, apperr.New(apperr.Internal, "import %s: %d rows read, %d written, %d rejected", sum.BatchID, sum.RowsRead, sum.RowsWritten, sum.RowsRejected)
	}
	if _, err := tx.Exec(ctx, `UPDATE quote_import_batches SET rows_written = $2 WHERE id = $1`, sum.BatchID, sum.RowsWritten); err != nil {
		return sum, err
	}
	sum.Status = BatchImported
	sum.CreatedBy = p.UserID
	progress("committing", src.read)
	after := sum
	return sum, activity.Record(ctx, querier{tx}, p, activity.Event{EntityType: batchKind, EntityID: sum.BatchID, Verb: "imported", After: after})
}

func truncateBytes(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
}

// flag records issue on the staged rows the SQL condition where selects
// (among those without an issue yet).
func flag(ctx context.Context, tx pgx.Tx, column, code, message, where string, args ...any) error {
	_, err := tx.Exec(ctx, `UPDATE import_rows s SET issues = jsonb_build_array(jsonb_build_object(
			'row', s.row_no, 'column', `+column+`::text, 'code', `+code+`::text, 'message', `+message+`::text))
		WHERE s.issues IS NULL AND (`+where+`)`, args...)
	return err
}

// checkCases resolves the distinct case references (number or id) of the
// valid rows in the organization (RLS hides every other's cases) and asks
// the PDP once per case whether p may create quotes on it. Rows naming no
// such case, a case p may not add quotes to, or a case that ended are
// flagged.
func (s *Service) checkCases(ctx context.Context, tx pgx.Tx, p authz.Principal) error {
	if _, err := tx.Exec(ctx, `CREATE TEMP TABLE import_cases ON COMMIT DROP AS
		SELECT k.case_ref, c.id AS case_id, c.property_id, c.status, c.number, ''::text AS refusal
		FROM (SELECT DISTINCT case_ref FROM import_rows WHERE issues IS NULL) k
		JOIN LATERAL (SELECT id, property_id, status, number FROM cases
			WHERE number = k.case_ref OR (k.case_ref ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' AND id = k.case_ref::uuid)
			LIMIT 1) c ON true`); err != nil {
		return err
	}
	rows, err := tx.Query(ctx, `SELECT case_ref, case_id::text, property_id::text, status, number FROM import_cases`)
	if err != nil {
		return err
	}
	type found struct{ ref, id, property, status, number string }
	var cases []found
	for rows.Next() {
		var c found
		if err := rows.Scan(&c.ref, &c.id, &c.property, &c.status, &c.number); err != nil {
			rows.Close()
			return err
		}
		cases = append(cases, c)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for _, c := range cases {
		refusal := ""
		attr := map[string]any{"org_id": p.OrgID, "case_id": c.id, "property_id": c.property, "status": "", "vendor_id": ""}
		authz.AmountAttr(attr, nil)
		err := s.pdp.Authorize(ctx, p, authz.Resource{Kind: quoteKind, ID: "new", Attr: attr}, "create")
		switch {
		case apperr.CodeOf(err) == apperr.Forbidden:
			refusal = "forbidden"
		case err != nil:
			return err
		case c.status == "CLOSED" || c.status == "CANCELLED":
			refusal = "case_" + strings.ToLower(c.status)
		}
		if refusal != "" {
			if _, err := tx.Exec(ctx, `UPDATE import_cases SET refusal = $2 WHERE case_ref = $1`, c.ref, refusal); err != nil {
				return err
			}
		}
	}
	if err := flag(ctx, tx, `'case'`, `'unknown_case'`, `'case ' || s.case_ref || ' names no case of this organization'`,
		`NOT EXISTS (SELECT 1 FROM import_cases c WHERE c.case_ref = s.case_ref)`); err != nil {
		return err
	}
	if err := flag(ctx, tx, `'case'`, `'forbidden'`, `'you may not add quotes to case ' || s.case_ref`,
		`EXISTS (SELECT 1 FROM import_cases c WHERE c.case_ref = s.case_ref AND c.refusal = 'forbidden')`); err != nil {
		return err
	}
	return flag(ctx, tx, `'case'`, `'case_ended'`, `'case ' || s.case_ref || ' is ' || (SELECT c.status FROM import_cases c WHERE c.case_ref = s.case_ref) || ': nothing can be added to it'`,
		`EXISTS (SELECT 1 FROM import_cases c WHERE c.case_ref = s.case_ref AND c.refusal LIKE 'case\_%')`)
}

// checkVendors resolves the distinct vendor references of the valid rows:
// a vendor id, else a vendor name (case-insensitive, which must name one
// vendor). With create, names matching no vendor become new vendors (the
// PDP asked once); otherwise their rows are flagged.
func (s *Service) checkVendors(ctx context.Context, tx pgx.Tx, p authz.Principal, create bool) (int, error) {
	if _, err := tx.Exec(ctx, `CREATE TEMP TABLE import_vendors ON COMMIT DROP AS
		SELECT k.vendor_ref, m.vendor_id, m.matches
		FROM (SELECT DISTINCT vendor_ref FROM import_rows WHERE issues IS NULL) k
		CROSS JOIN LATERAL (SELECT min(v.id::text)::uuid AS vendor_id, count(*) AS matches FROM vendors v
			WHERE lower(v.name) = lower(k.vendor_ref)
			   OR (k.vendor_ref ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' AND v.id = k.vendor_ref::uuid)) m`); err != nil {
		return 0, err
	}
	created := 0
	if create {
		var missing int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM import_vendors WHERE matches = 0`).Scan(&missing); err != nil {
			return 0, err
		}
		if missing > 0 {
			if err := s.pdp.Authorize(ctx, p, authz.Resource{Kind: vendorKind, ID: "new", Attr: map[string]any{"org_id": p.OrgID}}, "create"); err != nil {
				return 0, err
			}
			rows, err := tx.Query(ctx, `WITH names AS (
					SELECT min(vendor_ref) AS name, array_agg(vendor_ref) AS refs FROM import_vendors
					WHERE matches = 0 AND length(btrim(vendor_ref)) BETWEEN 1 AND 200 GROUP BY lower(vendor_ref)),
				ins AS (INSERT INTO vendors (organization_id, name, created_by)
					SELECT $1, name, $2 FROM names RETURNING id, name)
				UPDATE import_vendors v SET vendor_id = ins.id, matches = 1
				FROM ins JOIN names n ON n.name = ins.name
				WHERE v.vendor_ref = ANY(n.refs) RETURNING ins.id`, p.OrgID, p.UserID)
			if err != nil {
				return 0, err
			}
			seen := map[string]bool{}
			for rows.Next() {
				var id string
				if err := rows.Scan(&id); err != nil {
					rows.Close()
					return 0, err
				}
				seen[id] = true
			}
			if err := rows.Err(); err != nil {
				return 0, err
			}
			created = len(seen)
		}
	}
	if err := flag(ctx, tx, `'vendor'`, `'unknown_vendor'`,
		`'vendor ' || s.vendor_ref || ' names no vendor of this organization (--create-vendors creates it)'`,
		`EXISTS (SELECT 1 FROM import_vendors v WHERE v.vendor_ref = s.vendor_ref AND v.matches = 0)`); err != nil {
		return 0, err
	}
	if err := flag(ctx, tx, `'vendor'`, `'ambiguous_vendor'`,
		`'vendor ' || s.vendor_ref || ' names several vendors: give the vendor id'`,
		`EXISTS (SELECT 1 FROM import_vendors v WHERE v.vendor_ref = s.vendor_ref AND v.matches > 1)`); err != nil {
		return 0, err
	}
	return created, nil
}

// checkDuplicates flags a row whose external reference an earlier row of
// the file has, or an existing quote of the organization.
func checkDuplicates(ctx context.Context, tx pgx.Tx) error {
	if _, err := tx.Exec(ctx, `UPDATE import_rows s SET issues = jsonb_build_array(jsonb_build_object(
			'row', s.row_no, 'column', 'external_ref', 'code', 'duplicate',
			'message', 'external reference ' || s.ext_ref || ' is repeated: row ' || d.first || ' has it')) 
		FROM (SELECT row_no, min(row_no) OVER (PARTITION BY ext_ref) AS first FROM import_rows WHERE ext_ref IS NOT NULL) d
		WHERE d.row_no = s.row_no AND d.first <> d.row_no AND s.issues IS NULL`); err != nil {
		return err
	}
	return flag(ctx, tx, `'external_ref'`, `'already_imported'`,
		`'external reference ' || s.ext_ref || ' is already a quote of this organization'`,
		`s.ext_ref IS NOT NULL AND EXISTS (SELECT 1 FROM quotes q WHERE q.external_ref = s.ext_ref)`)
}

// report sends the staged issues, in row order.
func report(ctx context.Context, tx pgx.Tx, fn func(Issue) error) error {
	rows, err := tx.Query(ctx, `SELECT s.row_no, coalesce(e->>'column', ''), e->>'code', e->>'message'
		FROM import_rows s, jsonb_array_elements(s.issues) e WHERE s.issues IS NOT NULL ORDER BY s.row_no`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var i Issue
		if err := rows.Scan(&i.Row, &i.Column, &i.Code, &i.Message); err != nil {
			return err
		}
		if err := fn(i); err != nil {
			return err
		}
	}
	return rows.Err()
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
