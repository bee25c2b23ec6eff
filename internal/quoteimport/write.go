package quoteimport

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/hestami/concierge/internal/activity"
	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/vendor"
)

// maxPlainFirst is how many writes of an import try a plain insert first
// (hestami_import_quotes' p_plain_first): each try is a subtransaction,
// and PostgreSQL keeps 64 of a transaction's in its shared cache before
// other sessions' snapshots must look them up. With ChunkRows, the first
// 1,200,000 rows of a file take the faster way.
const maxPlainFirst = 60

// chunk is ChunkRows rows as read and validated: the records to write (and
// the ids they will have) and the issues of the rows already rejected.
type chunk struct {
	records  []Record
	ids      []uuid.UUID
	issues   []Issue
	rejected int
	read     int // rows read from the start of the file to this chunk's end
	err      error
}

// readChunks parses and validates the file into out, closing it after the
// last chunk (or the one carrying the error that ended the file).
func readChunks(ctx context.Context, parser *Parser, now time.Time, out chan<- chunk) {
	defer close(out)
	c := chunk{}
	send := func() bool {
		select {
		case out <- c:
			c = chunk{read: c.read}
			return true
		case <-ctx.Done():
			return false
		}
	}
	for {
		row, err := parser.Next()
		if errors.Is(err, io.EOF) {
			send()
			return
		}
		if err != nil {
			c.err = err
			send()
			return
		}
		c.read++
		rec, issues := Validate(row, now)
		if len(issues) > 0 {
			c.issues = append(c.issues, issues...)
			c.rejected++
		} else {
			id, err := uuid.NewV7()
			if err != nil {
				c.err = err
				send()
				return
			}
			c.records = append(c.records, rec)
			c.ids = append(c.ids, id)
		}
		if len(c.records)+c.rejected >= ChunkRows && !send() {
			return
		}
	}
}

func (s *Service) run(ctx context.Context, tx pgx.Tx, p authz.Principal, c *content, opts ImportOptions) (Summary, error) {
	parser, err := NewParser(c, opts.Parse)
	if err != nil {
		return Summary{}, fileError(err)
	}
	var reverted int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM quote_import_batches WHERE content_hash = $1 AND status = 'REVERTED'`,
		c.hash).Scan(&reverted); err != nil {
		return Summary{}, err
	}
	sum := Summary{BatchID: batchID(p.OrgID, c.hash, reverted), ContentHash: c.hash, FileName: opts.FileName,
		Format: parser.Format, DryRun: opts.DryRun}
	prev, found, err := loadBatch(ctx, querier{tx}, sum.BatchID)
	if err != nil {
		return sum, err
	}
	if found {
		// A dry run says what a run would do: write nothing.
		prev.AlreadyImported, prev.DryRun = true, opts.DryRun
		return prev, errRollback
	}
	if _, err := tx.Exec(ctx, `INSERT INTO quote_import_batches (id, organization_id, content_hash, file_name, format,
			rows_read, rows_written, rows_rejected, created_by)
		VALUES ($1, $2, $3, $4, $5, 0, 0, 0, $6)`,
		sum.BatchID, p.OrgID, c.hash, truncateRunes(opts.FileName, 500), sum.Format, p.UserID); err != nil {
		if isUnique(err) {
			// Another run of the same file committed while this one waited.
			return sum, apperr.Wrap(apperr.Conflict, err, "batch %s: the same file was imported by another run meanwhile; nothing was written", sum.BatchID)
		}
		return sum, err
	}

	readCtx, stop := context.WithCancel(ctx)
	defer stop()
	chunks := make(chan chunk, 1)
	go readChunks(readCtx, parser, s.Now(), chunks)
	defer func() {
		stop()
		for range chunks { //nolint:revive // drained so the reader ends
		}
	}()
	w := &chunkWriter{s: s, tx: tx, p: p, batch: sum.BatchID, opts: opts,
		cases: map[string]*caseRef{}, vendors: map[string]*vendorRef{}}
	for ch := range chunks {
		if ch.err != nil {
			return sum, fileError(ch.err)
		}
		if err := w.write(ctx, ch); err != nil {
			return sum, err
		}
		sum.RowsRead = ch.read
		if opts.Progress != nil {
			opts.Progress(Progress{Phase: "reading", RowsRead: ch.read, BytesRead: c.read.Load(), Bytes: c.size})
		}
	}
	sum.RowsWritten, sum.RowsRejected, sum.VendorsCreated = w.written, w.rejected, w.vendorsCreated
	if sum.RowsWritten+sum.RowsRejected != sum.RowsRead {
		// Every row is written or reported; a gap here is a bug, and
		// nothing commits.
		return sum, apperr.New(apperr.Internal, "import %s: %d rows read, %d written, %d rejected", sum.BatchID, sum.RowsRead, sum.RowsWritten, sum.RowsRejected)
	}
	if opts.DryRun {
		sum.RowsWritten, sum.VendorsCreated = 0, 0
		return sum, errRollback
	}
	if opts.Strict && sum.RowsRejected > 0 {
		sum.RowsWritten, sum.VendorsCreated = 0, 0 // all rolled back
		return sum, apperr.New(apperr.Validation, "%d of %d rows are invalid; --strict imports nothing", sum.RowsRejected, sum.RowsRead)
	}
	if _, err := tx.Exec(ctx, `UPDATE quote_import_batches SET rows_read = $2, rows_written = $3, rows_rejected = $4, vendors_created = $5,
			first_quote_id = $6::uuid, last_quote_id = $7::uuid
		WHERE id = $1`, sum.BatchID, sum.RowsRead, sum.RowsWritten, sum.RowsRejected, sum.VendorsCreated, w.firstID, w.lastID); err != nil {
		return sum, err
	}
	sum.Status = BatchImported
	sum.CreatedBy = p.UserID
	if opts.Progress != nil {
		opts.Progress(Progress{Phase: "committing", RowsRead: sum.RowsRead, BytesRead: c.read.Load(), Bytes: c.size})
	}
	return sum, activity.Record(ctx, querier{tx}, p, activity.Event{EntityType: batchKind, EntityID: sum.BatchID, Verb: "imported", After: sum})
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

func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
}

var uuidSyntax = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// caseRef is what a case reference of the file names: nil in the map when
// it names no case of the organization.
type caseRef struct {
	id, property, status string
	uuid                 uuid.UUID
	// refusal is why rows may not add quotes to it ("" when they may).
	refusal, message string
}

// vendorRef is what a vendor reference names: matches vendors (one is the
// vendor; none unknown, several ambiguous).
type vendorRef struct {
	id      string
	uuid    uuid.UUID
	matches int
}

// chunkWriter writes chunks into one batch, remembering the case and
// vendor references it resolved (a file names few cases and vendors, so
// each is looked up, and each case authorized, once).
type chunkWriter struct {
	s     *Service
	tx    pgx.Tx
	p     authz.Principal
	batch string
	opts  ImportOptions

	cases          map[string]*caseRef
	vendors        map[string]*vendorRef // by vendorKey
	vendorsCreated int

	written, rejected int
	calls             int // writes so far
	sent              []*Record
	got               []int32
	// The least and greatest id sent to be written (the batch's range).
	firstID, lastID *uuid.UUID

	// The arrays one chunk is written with, reused, in pgtype's own types:
	// pgx encodes them without reflection (uuid.UUID went through
	// driver.Valuer and back, *string through an error per element: most
	// of the import's client CPU in pprof).
	ids, caseIDs, vendorIDs                []pgtype.UUID
	amounts, currencies, scopes, scopeKeys []string
	extRefs, lineItems                     []pgtype.Text
	rows                                   []int32
	validUntil                             []pgtype.Timestamptz
}

// vendorKey is how a vendor reference is matched: an id exactly, a name
// ignoring case.
func vendorKey(ref string) string { return strings.ToLower(ref) }

func (w *chunkWriter) write(ctx context.Context, ch chunk) error {
	if err := w.resolveCases(ctx, ch.records); err != nil {
		return err
	}
	if err := w.resolveVendors(ctx, ch.records); err != nil {
		return err
	}
	issues := ch.issues
	rejected := ch.rejected
	w.ids, w.extRefs, w.rows, w.caseIDs, w.vendorIDs = w.ids[:0], w.extRefs[:0], w.rows[:0], w.caseIDs[:0], w.vendorIDs[:0]
	w.amounts, w.currencies, w.validUntil, w.scopes, w.scopeKeys, w.lineItems = w.amounts[:0], w.currencies[:0], w.validUntil[:0], w.scopes[:0], w.scopeKeys[:0], w.lineItems[:0]
	sent := w.sent[:0] // the records sent, in the arrays' order
	for i := range ch.records {
		r := &ch.records[i]
		c := w.cases[r.Case]
		v := w.vendors[vendorKey(r.Vendor)]
		var issue *Issue
		switch {
		case c == nil:
			issue = &Issue{Column: "case", Code: "unknown_case", Message: "case " + r.Case + " names no case of this organization"}
		case c.refusal != "":
			issue = &Issue{Column: "case", Code: c.refusal, Message: c.message}
		case v == nil || v.matches == 0:
			issue = &Issue{Column: "vendor", Code: "unknown_vendor", Message: "vendor " + r.Vendor + " names no vendor of this organization (--create-vendors creates it)"}
		case v.matches > 1:
			issue = &Issue{Column: "vendor", Code: "ambiguous_vendor", Message: "vendor " + r.Vendor + " names several vendors: give the vendor id"}
		}
		if issue != nil {
			issue.Row = r.Row
			issues = append(issues, *issue)
			rejected++
			continue
		}
		id := ch.ids[i]
		w.ids = append(w.ids, pgtype.UUID{Bytes: id, Valid: true})
		if w.firstID == nil || bytes.Compare(id[:], w.firstID[:]) < 0 {
			w.firstID = &id
		}
		if w.lastID == nil || bytes.Compare(id[:], w.lastID[:]) > 0 {
			w.lastID = &id
		}
		w.rows = append(w.rows, int32(r.Row))
		w.extRefs = append(w.extRefs, pgtype.Text{String: r.ExternalRef, Valid: r.ExternalRef != ""})
		w.caseIDs = append(w.caseIDs, pgtype.UUID{Bytes: c.uuid, Valid: true})
		w.vendorIDs = append(w.vendorIDs, pgtype.UUID{Bytes: v.uuid, Valid: true})
		w.amounts = append(w.amounts, r.Amount)
		w.currencies = append(w.currencies, r.Currency)
		var until pgtype.Timestamptz
		if r.ValidUntil != nil {
			until = pgtype.Timestamptz{Time: *r.ValidUntil, Valid: true}
		}
		w.validUntil = append(w.validUntil, until)
		w.scopes = append(w.scopes, r.Scope)
		w.scopeKeys = append(w.scopeKeys, r.ScopeKey)
		w.lineItems = append(w.lineItems, pgtype.Text{String: string(r.LineItems), Valid: r.LineItems != nil})
		sent = append(sent, r)
	}
	w.sent = sent
	defer clear(sent) // the chunk's records go with the chunk
	written := 0
	if len(w.ids) > 0 {
		rows, err := w.tx.Query(ctx, `SELECT * FROM hestami_import_quotes($1, $2, $3, $4, $5, $6, $7::text[]::numeric[], $8, $9, $10, $11,
				$12::text[]::jsonb[], $13)`,
			w.batch, w.ids, w.rows, w.extRefs, w.caseIDs, w.vendorIDs, w.amounts, w.currencies, w.validUntil, w.scopes, w.scopeKeys, w.lineItems,
			w.calls < maxPlainFirst)
		w.calls++
		if err != nil {
			return err
		}
		got := w.got[:0]
		for rows.Next() {
			var row int32
			if err := rows.Scan(&row); err != nil {
				rows.Close()
				return err
			}
			got = append(got, row)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		w.got, written = got, len(got)
		// Only a row whose reference was taken is skipped; which ones is
		// worked out only when some were.
		byRow := map[int]*Record{}
		if written < len(sent) {
			wrote := make(map[int32]bool, len(got))
			for _, row := range got {
				wrote[row] = true
			}
			for _, r := range sent {
				if !wrote[int32(r.Row)] {
					byRow[r.Row] = r
				}
			}
		}
		for _, r := range byRow {
			if r.ExternalRef == "" {
				return apperr.New(apperr.Internal, "import %s: row %d, without an external reference, was not written", w.batch, r.Row)
			}
		}
		if len(byRow) > 0 {
			dup, err := w.duplicates(ctx, byRow)
			if err != nil {
				return err
			}
			issues = append(issues, dup...)
			rejected += len(byRow)
		}
	}
	w.written += written
	w.rejected += rejected
	if w.opts.Report == nil {
		return nil
	}
	slices.SortStableFunc(issues, func(a, b Issue) int { return a.Row - b.Row })
	for _, i := range issues {
		if err := w.opts.Report(i); err != nil {
			return err
		}
	}
	return nil
}

// duplicates words the issues of the rows the writer skipped: their
// external reference is a quote already, of an earlier row of this file or
// of the organization before.
func (w *chunkWriter) duplicates(ctx context.Context, skipped map[int]*Record) ([]Issue, error) {
	refs := make([]string, 0, len(skipped))
	for _, r := range skipped {
		refs = append(refs, r.ExternalRef)
	}
	rows, err := w.tx.Query(ctx, `SELECT external_ref, coalesce(import_batch_id = $2::uuid, false), coalesce(import_row, 0)
		FROM quotes WHERE external_ref = ANY($1)`, refs, w.batch)
	if err != nil {
		return nil, err
	}
	type holder struct {
		sameBatch bool
		row       int
	}
	held := map[string]holder{}
	for rows.Next() {
		var ref string
		var h holder
		if err := rows.Scan(&ref, &h.sameBatch, &h.row); err != nil {
			rows.Close()
			return nil, err
		}
		held[ref] = h
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	issues := make([]Issue, 0, len(skipped))
	for row, r := range skipped {
		h, ok := held[r.ExternalRef]
		if !ok {
			return nil, apperr.New(apperr.Internal, "import %s: row %d was skipped but no quote has its external reference", w.batch, row)
		}
		if h.sameBatch {
			issues = append(issues, Issue{Row: row, Column: "external_ref", Code: "duplicate",
				Message: fmt.Sprintf("external reference %s is repeated: row %d has it", r.ExternalRef, h.row)})
		} else {
			issues = append(issues, Issue{Row: row, Column: "external_ref", Code: "already_imported",
				Message: "external reference " + r.ExternalRef + " is already a quote of this organization"})
		}
	}
	return issues, nil
}

// resolveCases looks up the case references of records not seen before, by
// number or id, in the organization (RLS hides every other's cases), and
// asks the PDP once per case found whether p may add quotes to it.
func (w *chunkWriter) resolveCases(ctx context.Context, records []Record) error {
	var numbers, ids []string
	pending := map[string]bool{}
	for _, r := range records {
		if _, seen := w.cases[r.Case]; seen || pending[r.Case] {
			continue
		}
		pending[r.Case] = true
		numbers = append(numbers, r.Case)
		if uuidSyntax.MatchString(r.Case) {
			ids = append(ids, r.Case)
		}
	}
	if len(pending) == 0 {
		return nil
	}
	rows, err := w.tx.Query(ctx, `SELECT id::text, number, property_id::text, status FROM cases
		WHERE number = ANY($1) OR id = ANY($2::text[]::uuid[])`, numbers, ids)
	if err != nil {
		return err
	}
	byNumber, byID := map[string]*caseRef{}, map[string]*caseRef{}
	for rows.Next() {
		var c caseRef
		var number string
		if err := rows.Scan(&c.id, &number, &c.property, &c.status); err != nil {
			rows.Close()
			return err
		}
		c.uuid = uuid.MustParse(c.id)
		byNumber[number], byID[c.id] = &c, &c
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for ref := range pending {
		c := byNumber[ref]
		if c == nil {
			c = byID[strings.ToLower(ref)]
		}
		w.cases[ref] = c
		if c == nil || c.refusal != "" {
			continue
		}
		attr := map[string]any{"org_id": w.p.OrgID, "case_id": c.id, "property_id": c.property, "status": "", "vendor_id": ""}
		authz.AmountAttr(attr, nil)
		err := w.s.pdp.Authorize(ctx, w.p, authz.Resource{Kind: quoteKind, ID: "new", Attr: attr}, "create")
		switch {
		case apperr.CodeOf(err) == apperr.Forbidden:
			c.refusal, c.message = "forbidden", "you may not add quotes to case "+ref
		case err != nil:
			return err
		case c.status == "CLOSED" || c.status == "CANCELLED":
			c.refusal, c.message = "case_ended", "case "+ref+" is "+c.status+": nothing can be added to it"
		}
	}
	return nil
}

// resolveVendors looks up the vendor references of records not seen
// before: a vendor id, else a name ignoring case (which must name one
// vendor). With CreateVendors, a name that matches none becomes a vendor,
// created by the vendor domain (its authorization, rules and activity).
func (w *chunkWriter) resolveVendors(ctx context.Context, records []Record) error {
	var names, ids []string
	pending := map[string]string{} // key -> the reference as first written
	for _, r := range records {
		k := vendorKey(r.Vendor)
		if _, seen := w.vendors[k]; seen {
			continue
		}
		if _, ok := pending[k]; ok {
			continue
		}
		pending[k] = r.Vendor
		names = append(names, k)
		if uuidSyntax.MatchString(r.Vendor) {
			ids = append(ids, k)
		}
	}
	if len(pending) == 0 {
		return nil
	}
	rows, err := w.tx.Query(ctx, `SELECT id::text, lower(name) FROM vendors
		WHERE lower(name) = ANY($1) OR id = ANY($2::text[]::uuid[])`, names, ids)
	if err != nil {
		return err
	}
	matches := map[string]map[string]bool{}
	for rows.Next() {
		var id, name string
		if err := rows.Scan(&id, &name); err != nil {
			rows.Close()
			return err
		}
		for _, k := range []string{id, name} {
			if _, ok := pending[k]; ok {
				if matches[k] == nil {
					matches[k] = map[string]bool{}
				}
				matches[k][id] = true
			}
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for k, ref := range pending {
		v := &vendorRef{matches: len(matches[k])}
		for id := range matches[k] {
			v.id, v.uuid = id, uuid.MustParse(id)
		}
		w.vendors[k] = v
		if v.matches > 0 || !w.opts.CreateVendors || uuidSyntax.MatchString(ref) {
			continue
		}
		if name := strings.TrimSpace(ref); len([]rune(name)) < 1 || len([]rune(name)) > 200 {
			continue
		}
		created, err := w.s.vendors.CreateVendorTx(ctx, querier{w.tx}, w.p, vendor.CreateInput{Name: strings.TrimSpace(ref)})
		if err != nil {
			return err
		}
		v.id, v.uuid = created.ID, uuid.MustParse(created.ID)
		v.matches = 1
		w.vendorsCreated++
	}
	return nil
}
