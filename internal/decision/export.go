package decision

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/db"
)

// ExportFormat and ExportVersion name the export file format (the package
// doc describes it).
const (
	ExportFormat  = "hestami.decision.export"
	ExportVersion = 1
)

// ExportHeader is the first line of an export.
type ExportHeader struct {
	Format         string `json:"format"`
	Version        int    `json:"version"`
	Encoding       string `json:"encoding"`
	OrganizationID string `json:"organizationId"`
	ExportedAt     string `json:"exportedAt"`
	HeadSequence   int64  `json:"headSequence"`
	HeadHash       string `json:"headHash"`
	// Audit says whether the entries carry their audit part (the exporter
	// may see it); without it they still verify, by their audit digests.
	Audit bool `json:"audit"`
}

// ExportEntry is one line of an export after the header: the entry's
// hashed content by name, its hash, and its audit part when exported.
type ExportEntry struct {
	Sequence       int64      `json:"sequence"`
	ID             string     `json:"id"`
	PrevHash       string     `json:"prevHash"`
	RecordedAt     string     `json:"recordedAt"`
	Category       Category   `json:"category"`
	Title          string     `json:"title"`
	Summary        string     `json:"summary"`
	Rationale      string     `json:"rationale"`
	CaseID         *string    `json:"caseId"`
	PropertyID     *string    `json:"propertyId"`
	Options        []Option   `json:"options"`
	Evidence       []Evidence `json:"evidence"`
	ActorKind      string     `json:"actorKind"`
	ActorID        string     `json:"actorId"`
	AuthorityRoles []string   `json:"authorityRoles"`
	DelegationID   *string    `json:"delegationId"`
	RefersTo       *string    `json:"refersTo"`
	Relation       *Relation  `json:"relation"`
	AuditDigest    string     `json:"auditDigest"`
	Audit          *Audit     `json:"audit,omitempty"`
	Hash           string     `json:"hash"`
}

func exportEntry(d Decision, withAudit bool) ExportEntry {
	e := d.entry()
	x := ExportEntry{Sequence: e.Sequence, ID: e.ID, PrevHash: e.PrevHash, RecordedAt: e.RecordedAt.UTC().Format(TimeLayout),
		Category: e.Category, Title: e.Title, Summary: e.Summary, Rationale: e.Rationale, CaseID: e.CaseID, PropertyID: e.PropertyID,
		Options: e.Options, Evidence: e.Evidence, ActorKind: e.ActorKind, ActorID: e.ActorID, AuthorityRoles: e.AuthorityRoles,
		DelegationID: e.DelegationID, RefersTo: e.RefersTo, Relation: e.Relation, AuditDigest: e.AuditDigest, Hash: d.Hash}
	if withAudit {
		a := d.audit
		x.Audit = &a
	}
	return x
}

// entry reads x back as the chain covers it.
func (x ExportEntry) entry(org string) (Entry, error) {
	at, err := time.Parse(TimeLayout, x.RecordedAt)
	if err != nil || at.UTC().Format(TimeLayout) != x.RecordedAt {
		return Entry{}, fmt.Errorf("recordedAt %q is not in the canonical form %s", x.RecordedAt, TimeLayout)
	}
	return Entry{OrganizationID: org, Sequence: x.Sequence, ID: x.ID, PrevHash: x.PrevHash, RecordedAt: at, Category: x.Category,
		Title: x.Title, Summary: x.Summary, Rationale: x.Rationale, CaseID: x.CaseID, PropertyID: x.PropertyID, Options: x.Options,
		Evidence: x.Evidence, ActorKind: x.ActorKind, ActorID: x.ActorID, AuthorityRoles: x.AuthorityRoles,
		DelegationID: x.DelegationID, RefersTo: x.RefersTo, Relation: x.Relation, AuditDigest: x.AuditDigest}, nil
}

// VerifyInput asks for the organization's chain to be verified.
type VerifyInput struct{}

// ExportInput asks for one page of the organization's ledger.
type ExportInput struct {
	// After is the last sequence number already exported (0: from the start).
	After int64 `json:"after,omitempty" jsonschema:"minimum=0"`
	// Through is the head the export stops at (0: the current head, which
	// the answer's header names; pass it on for the following pages).
	Through int64 `json:"through,omitempty" jsonschema:"minimum=0"`
	Limit   int   `json:"limit,omitempty" jsonschema:"minimum=1,maximum=1000"`
}

// ExportPage is one page of an export.
type ExportPage struct {
	Header  ExportHeader  `json:"header"`
	Entries []ExportEntry `json:"entries"`
	// Next is the After of the next page; 0 when this page ends at the head.
	Next int64 `json:"next,omitempty"`
}

// Verify recomputes the organization's chain and names the first entry
// that breaks it.
func (s *Service) Verify(ctx context.Context, p authz.Principal) (Report, error) {
	if err := s.pdp.Authorize(ctx, p, ledger(p.OrgID), "verify"); err != nil {
		return Report{}, err
	}
	c := newChain(p.OrgID)
	err := s.db.InTenantRead(ctx, p.OrgID, func(q db.Querier) error {
		rows, err := q.Query(ctx, `SELECT `+columns+` FROM decisions ORDER BY sequence`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			d, err := scan(rows)
			if err != nil {
				return err
			}
			if !c.add(d.entry(), d.Hash) {
				break
			}
		}
		return rows.Err()
	})
	return c.r, err
}

const defaultExportPage = 500

// Export returns one page of the organization's ledger for an export file,
// with the audit parts when p may see them.
func (s *Service) Export(ctx context.Context, p authz.Principal, in ExportInput) (ExportPage, error) {
	if err := s.pdp.Authorize(ctx, p, ledger(p.OrgID), "export"); err != nil {
		return ExportPage{}, err
	}
	show, err := s.mayAudit(ctx, p)
	if err != nil {
		return ExportPage{}, err
	}
	limit := in.Limit
	if limit == 0 {
		limit = defaultExportPage
	}
	out := ExportPage{Entries: []ExportEntry{}, Header: ExportHeader{Format: ExportFormat, Version: ExportVersion, Encoding: Encoding,
		OrganizationID: p.OrgID, ExportedAt: time.Now().UTC().Format(TimeLayout), HeadHash: GenesisHash, Audit: show}}
	err = s.db.InTenant(ctx, p.OrgID, func(q db.Querier) error {
		head := `SELECT sequence, hash FROM decisions ORDER BY sequence DESC LIMIT 1`
		args := []any{}
		if in.Through > 0 {
			head, args = `SELECT sequence, hash FROM decisions WHERE sequence = $1`, []any{in.Through}
		}
		err := q.QueryRow(ctx, head, args...).Scan(&out.Header.HeadSequence, &out.Header.HeadHash)
		switch {
		case errors.Is(err, pgx.ErrNoRows) && in.Through > 0:
			return apperr.Field("through", "not_found", fmt.Sprintf("the ledger has no entry %d", in.Through))
		case errors.Is(err, pgx.ErrNoRows):
			return nil // an empty ledger
		case err != nil:
			return err
		}
		rows, err := q.Query(ctx, `SELECT `+columns+` FROM decisions WHERE sequence > $1 AND sequence <= $2 ORDER BY sequence LIMIT $3`,
			in.After, out.Header.HeadSequence, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			d, err := scan(rows)
			if err != nil {
				return err
			}
			out.Entries = append(out.Entries, exportEntry(d, show))
		}
		return rows.Err()
	})
	if err != nil {
		return ExportPage{}, err
	}
	if n := len(out.Entries); n == limit && out.Entries[n-1].Sequence < out.Header.HeadSequence {
		out.Next = out.Entries[n-1].Sequence
	}
	return out, nil
}

// WriteExport writes an export file: the header line, then each page's
// entries, one per line. pages is called with the After of each page and
// returns it (the first call's header is the file's).
func WriteExport(w io.Writer, pages func(after, through int64) (ExportPage, error)) (ExportHeader, error) {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	page, err := pages(0, 0)
	if err != nil {
		return ExportHeader{}, err
	}
	h := page.Header
	if err := enc.Encode(h); err != nil {
		return h, err
	}
	for {
		for _, e := range page.Entries {
			if err := enc.Encode(e); err != nil {
				return h, err
			}
		}
		if page.Next == 0 {
			break
		}
		if page, err = pages(page.Next, h.HeadSequence); err != nil {
			return h, err
		}
	}
	return h, bw.Flush()
}

// ErrNotAnExport is an input whose first line is no export header.
var ErrNotAnExport = errors.New("not a decision ledger export")

// VerifyExport checks an export file with no database: the header, each
// entry's link, hash and audit part, and that the file ends at the head
// its header names. A file that is no export at all is ErrNotAnExport; a
// chain that breaks is a Report with Valid false naming where.
func VerifyExport(r io.Reader) (Report, error) {
	br := bufio.NewReader(r)
	line, err := readLine(br)
	if err != nil && len(line) == 0 {
		return Report{}, fmt.Errorf("%w: %v", ErrNotAnExport, err)
	}
	var h ExportHeader
	if err := strict(line, &h); err != nil || h.Format != ExportFormat {
		return Report{}, fmt.Errorf("%w: the first line is no %s header", ErrNotAnExport, ExportFormat)
	}
	if h.Version != ExportVersion || h.Encoding != Encoding {
		return Report{}, fmt.Errorf("%w: version %d, encoding %q (this verifier reads version %d, encoding %s)",
			ErrNotAnExport, h.Version, h.Encoding, ExportVersion, Encoding)
	}
	c := newChain(h.OrganizationID)
	for n := 2; c.r.Valid; n++ {
		line, err := readLine(br)
		if len(line) == 0 && errors.Is(err, io.EOF) {
			break
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return c.r, err
		}
		var x ExportEntry
		if err := strict(line, &x); err != nil {
			c.failAt(c.r.HeadSequence+1, "", fmt.Sprintf("line %d is not an entry: %v", n, err))
			break
		}
		e, err := x.entry(h.OrganizationID)
		if err != nil {
			c.failAt(x.Sequence, x.ID, err.Error())
			break
		}
		if x.Audit != nil && x.Audit.Digest() != x.AuditDigest {
			c.failAt(x.Sequence, x.ID, "its audit part does not match its audit digest (changed after it was recorded)")
			break
		}
		if h.Audit && x.Audit == nil {
			c.failAt(x.Sequence, x.ID, "its audit part is missing (the header says the export carries them)")
			break
		}
		c.add(e, x.Hash)
	}
	if c.r.Valid && (c.r.HeadSequence != h.HeadSequence || c.r.HeadHash != h.HeadHash) {
		c.failAt(c.r.HeadSequence+1, "", fmt.Sprintf("the file ends at entry %d (hash %s) but its header names head %d (hash %s): entries were cut or added",
			c.r.HeadSequence, c.r.HeadHash, h.HeadSequence, h.HeadHash))
	}
	return c.r, nil
}

func readLine(br *bufio.Reader) ([]byte, error) {
	line, err := br.ReadBytes('\n')
	return bytes.TrimRight(line, "\r\n"), err
}

// strict decodes one JSON value that is all of line, refusing fields the
// format does not have.
func strict(line []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data")
	}
	return nil
}
