package document

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"

	"github.com/google/uuid"

	"github.com/hestami/concierge/internal/activity"
	"github.com/hestami/concierge/internal/api"
	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/db"
	"github.com/hestami/concierge/internal/document/content"
)

// UploadInput adds a document: its content (a multipart file part) and
// metadata.
type UploadInput struct {
	File         api.File   `json:"file"`
	Title        string     `json:"title,omitempty" jsonschema:"maxLength=200,pattern=^[^\\x00-\\x1F\\x7F-\\x9F]*$,description=default: the file name"`
	Category     Category   `json:"category"`
	Visibility   Visibility `json:"visibility"`
	PropertyID   string     `json:"propertyId,omitempty" jsonschema:"format=uuid"`
	CaseID       string     `json:"caseId,omitempty" jsonschema:"maxLength=100,pattern=^[^\\x00-\\x1F\\x7F-\\x9F]*$,description=a case id or number (CASE-2026-7)"`
	IntentID     string     `json:"intentId,omitempty" jsonschema:"format=uuid"`
	HOAContextID string     `json:"hoaContextId,omitempty" jsonschema:"format=uuid"`
	VendorID     string     `json:"vendorId,omitempty" jsonschema:"format=uuid"`
}

// SupersedeInput adds the next version of a document.
type SupersedeInput struct {
	ID   string   `json:"id" jsonschema:"format=uuid,description=the current version"`
	File api.File `json:"file"`
	// Title and Visibility default to the superseded version's.
	Title      string     `json:"title,omitempty" jsonschema:"maxLength=200,pattern=^[^\\x00-\\x1F\\x7F-\\x9F]*$"`
	Visibility Visibility `json:"visibility,omitempty"`
}

// ReviewInput records a review's outcome.
type ReviewInput struct {
	ID     string       `json:"id" jsonschema:"format=uuid"`
	Status ReviewStatus `json:"status" jsonschema:"description=REVIEWED or REJECTED"`
	Notes  string       `json:"notes,omitempty" jsonschema:"maxLength=10000,description=required to reject"`
}

// UploadTx stores the content and records the document, in the caller's
// transaction. The same bytes uploaded twice are one blob and two
// documents; the same idempotency key is one document (the pipeline
// replays it).
func (s *Service) UploadTx(ctx context.Context, q db.Querier, p authz.Principal, in UploadInput) (Document, error) {
	b, err := bind(ctx, q, in.PropertyID, in.CaseID, in.IntentID, in.HOAContextID, in.VendorID)
	if err != nil {
		return Document{}, err
	}
	id := uuid.NewString()
	d := Document{ID: id, ChainID: id, Version: 1, OrganizationID: p.OrgID, Title: title(in.Title, in.File.Name),
		Category: in.Category, Visibility: in.Visibility, PropertyID: b.property, CaseID: b.caseID, IntentID: b.intent,
		HOAContextID: b.hoa, VendorID: b.vendor, ReviewStatus: PendingReview, UploadedBy: p.UserID}
	res := resourceOf(d)
	res.ID = "new"
	if err := s.pdp.Authorize(ctx, p, res, "create"); err != nil {
		return Document{}, err
	}
	if err := s.put(ctx, in.File, &d); err != nil {
		return Document{}, err
	}
	out, err := s.insert(ctx, q, d)
	if err != nil {
		return out, err
	}
	return out, activity.Record(ctx, q, p, activity.Event{EntityType: kind, EntityID: out.ID, Verb: "uploaded", After: out})
}

// SupersedeTx adds the next version of the current version in.ID; the old
// one stays readable.
func (s *Service) SupersedeTx(ctx context.Context, q db.Querier, p authz.Principal, in SupersedeInput) (Document, error) {
	old, err := s.lockAuthorized(ctx, q, p, in.ID, "supersede")
	if err != nil {
		return Document{}, err
	}
	if old.SupersededBy != nil {
		return Document{}, apperr.New(apperr.Conflict, "document %s version %d is already superseded by %s: supersede the current version",
			old.ID, old.Version, *old.SupersededBy)
	}
	next := old
	next.ID = uuid.NewString()
	next.Version = old.Version + 1
	next.SupersedesID = &old.ID
	next.SupersededBy, next.SupersededAt = nil, nil
	next.Title = title(in.Title, old.Title)
	if in.Visibility != "" {
		next.Visibility = in.Visibility
	}
	next.ReviewStatus, next.ReviewedBy, next.ReviewedAt, next.ReviewNotes = PendingReview, nil, nil, ""
	next.UploadedBy = p.UserID
	// The new version is a document the caller creates: a visibility it
	// may not create is refused as an upload would be.
	res := resourceOf(next)
	res.ID = "new"
	if err := s.pdp.Authorize(ctx, p, res, "create"); err != nil {
		return Document{}, err
	}
	if err := s.put(ctx, in.File, &next); err != nil {
		return Document{}, err
	}
	out, err := s.insert(ctx, q, next)
	if err != nil {
		return out, err
	}
	if _, err := q.Exec(ctx, `UPDATE documents SET superseded_by = $2, superseded_at = now(), updated_at = now() WHERE id = $1`,
		old.ID, out.ID); err != nil {
		return out, err
	}
	after := old
	after.SupersededBy = &out.ID
	if err := activity.Record(ctx, q, p, activity.Event{EntityType: kind, EntityID: old.ID, Verb: "superseded", Before: old, After: after}); err != nil {
		return out, err
	}
	return out, activity.Record(ctx, q, p, activity.Event{EntityType: kind, EntityID: out.ID, Verb: "uploaded", After: out})
}

// ReviewTx records the outcome of a document's review.
func (s *Service) ReviewTx(ctx context.Context, q db.Querier, p authz.Principal, in ReviewInput) (Document, error) {
	notes := strings.TrimSpace(in.Notes)
	if in.Status == Rejected && notes == "" {
		return Document{}, apperr.Field("notes", "required", "rejecting a document needs notes saying why")
	}
	before, err := s.lockAuthorized(ctx, q, p, in.ID, "review")
	if err != nil {
		return Document{}, err
	}
	if !ReviewTransitions.Allows(before.ReviewStatus, in.Status) {
		return Document{}, apperr.New(apperr.InvalidTransition, "%s", ReviewTransitions.Refusal("a document review", before.ReviewStatus, in.Status))
	}
	out, err := scan(q.QueryRow(ctx, `UPDATE documents SET review_status = $2, reviewed_by = $3, reviewed_at = now(), review_notes = $4,
			updated_at = now() WHERE id = $1 RETURNING `+columns, before.ID, in.Status, p.UserID, notes))
	if err != nil {
		return out, err
	}
	return out, activity.Record(ctx, q, p, activity.Event{EntityType: kind, EntityID: out.ID, Verb: strings.ToLower(string(in.Status)),
		Before: before, After: out})
}

func title(given, fallback string) string {
	if t := strings.TrimSpace(given); t != "" {
		return t
	}
	t := strings.TrimSpace(filepath.Base(fallback))
	if t == "" || t == "." || t == "/" {
		return "Untitled document"
	}
	if len([]rune(t)) > 200 {
		t = string([]rune(t)[:200])
	}
	return t
}

// put streams the request's content for f into the store and fills d's
// content fields: size, SHA-256, the media type sniffed from the bytes (the
// name and the declared type are never trusted), the extracted text.
func (s *Service) put(ctx context.Context, f api.File, d *Document) error {
	st, err := s.store()
	if err != nil {
		return err
	}
	if f.Size > s.MaxBytes() {
		return tooLarge(f.Name, f.Size, s.MaxBytes())
	}
	att, err := api.Attached(ctx, "file", f)
	if err != nil {
		return err
	}
	src, err := att.Open()
	if err != nil {
		return apperr.Wrap(apperr.Internal, err, "reading the uploaded file")
	}
	defer src.Close()
	staged, err := st.Stage(src, s.MaxBytes())
	if err != nil {
		if content.IsTooLarge(err) {
			return tooLarge(f.Name, f.Size, s.MaxBytes())
		}
		return apperr.Wrap(apperr.DependencyUnavailable, err, "the document content store is unavailable")
	}
	defer staged.Release()
	if staged.SHA256 != f.SHA256 || staged.Size != f.Size {
		// The attachment changed between the transport's hash and ours.
		return apperr.New(apperr.Internal, "uploaded content changed while it was stored")
	}
	d.Size, d.SHA256 = staged.Size, staged.SHA256
	d.MediaType = mediaType(staged.Head)
	d.FileName = safeName(f.Name)
	text := extractText(ctx, d.MediaType, staged.File, staged.Size)
	if _, err := st.Put(ctx, staged); err != nil {
		return apperr.Wrap(apperr.DependencyUnavailable, err, "the document content store is unavailable")
	}
	d.extracted = text
	return nil
}

func tooLarge(name string, size, limit int64) error {
	return apperr.New(apperr.PayloadTooLarge, "%s is %s; documents are limited to %s (documents.max_bytes)",
		orDefault(safeName(name), "the file"), humanBytes(size), humanBytes(limit))
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// humanBytes writes n in the largest binary unit that keeps it ≥ 1.
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d bytes", n)
	}
	v, exp := float64(n), 0
	for v >= unit && exp < 4 {
		v /= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB (%d bytes)", v, "KMGT"[exp-1], n)
}

// mediaType is the type the content's first bytes announce
// (net/http.DetectContentType, the WHATWG sniffing algorithm).
func mediaType(head []byte) string {
	return http.DetectContentType(head)
}

// safeName keeps a file name's base, printable and bounded: it is shown
// and used in Content-Disposition, never as a path.
func safeName(name string) string {
	name = filepath.Base(strings.ReplaceAll(name, `\`, "/"))
	if name == "." || name == "/" {
		return ""
	}
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '"' {
			return -1
		}
		return r
	}, name)
	if len([]rune(name)) > 255 {
		name = string([]rune(name)[:255])
	}
	return name
}

func (s *Service) insert(ctx context.Context, q db.Querier, d Document) (Document, error) {
	return scan(q.QueryRow(ctx, `INSERT INTO documents (id, organization_id, chain_id, version, supersedes_id, title, category, visibility,
			file_name, media_type, size_bytes, sha256, property_id, case_id, intent_id, hoa_context_id, vendor_id, extracted_text, uploaded_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19) RETURNING `+columns,
		d.ID, d.OrganizationID, d.ChainID, d.Version, d.SupersedesID, d.Title, d.Category, d.Visibility, d.FileName, d.MediaType,
		d.Size, d.SHA256, d.PropertyID, d.CaseID, d.IntentID, d.HOAContextID, d.VendorID, d.extracted, d.UploadedBy))
}
