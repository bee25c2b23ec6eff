// Package document owns property documents (domain.md §5): metadata in the
// documents table (migration 0019), content in a content store addressed by
// SHA-256 (internal/document/content) — deduplicated, streamed, and verified
// on every read.
//
// A document is bound to a property, a case, an intent, an HOA context or a
// vendor (at least one). Its property (given, or the case's or intent's) is
// what a delegated agent's DOCUMENT_ACCESS grant is checked against. Its
// visibility (OWNER_AND_STAFF | STAFF_ONLY) is a PDP attribute and a plan
// column, so every read — get, list, versions, download, search — applies it
// through policies/document.yaml; a document the caller may not see is
// NOT_FOUND.
//
// Versions: superseding a document inserts the next version of its chain
// and marks the old one superseded (it stays readable); a version is
// superseded once (the chain never forks).
//
// Review: PENDING_REVIEW → REVIEWED | REJECTED (ReviewTransitions), by
// staff, with the reviewer and notes. The durable review workflow comes with
// the workflow issue; today review is a plain mutation.
package document

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/db"
	"github.com/hestami/concierge/internal/document/content"
	"github.com/hestami/concierge/internal/listing"
	"github.com/hestami/concierge/internal/records"
)

// Document is one version of a document.
type Document struct {
	ID             string       `json:"id"`
	OrganizationID string       `json:"organizationId"`
	ChainID        string       `json:"chainId"`
	Version        int          `json:"version"`
	SupersedesID   *string      `json:"supersedesId,omitempty"`
	SupersededBy   *string      `json:"supersededBy,omitempty"`
	SupersededAt   *time.Time   `json:"supersededAt,omitempty"`
	Title          string       `json:"title"`
	Category       Category     `json:"category"`
	Visibility     Visibility   `json:"visibility"`
	FileName       string       `json:"fileName,omitempty"`
	MediaType      string       `json:"mediaType"`
	Size           int64        `json:"size"`
	SHA256         string       `json:"sha256"`
	PropertyID     *string      `json:"propertyId,omitempty"`
	CaseID         *string      `json:"caseId,omitempty"`
	IntentID       *string      `json:"intentId,omitempty"`
	HOAContextID   *string      `json:"hoaContextId,omitempty"`
	VendorID       *string      `json:"vendorId,omitempty"`
	ReviewStatus   ReviewStatus `json:"reviewStatus"`
	ReviewedBy     *string      `json:"reviewedBy,omitempty"`
	ReviewedAt     *time.Time   `json:"reviewedAt,omitempty"`
	ReviewNotes    string       `json:"reviewNotes,omitempty"`
	// TextExtracted reports that the content's text feeds search.
	TextExtracted bool      `json:"textExtracted"`
	UploadedBy    string    `json:"uploadedBy"`
	CreatedAt     time.Time `json:"createdAt"`
	UpdatedAt     time.Time `json:"updatedAt"`
	// extracted is the text put aside for search when the content is stored.
	extracted string
}

// GetInput names one document version.
type GetInput struct {
	ID string `json:"id" jsonschema:"format=uuid"`
}

// VersionsInput names any version of a chain.
type VersionsInput struct {
	ID string `json:"id" jsonschema:"format=uuid,description=any version of the document"`
}

// Versions is a document's chain, oldest first, as far as the caller may
// see it.
type Versions struct {
	ChainID string     `json:"chainId"`
	Items   []Document `json:"items"`
}

// ListInput filters documents; every filter is optional.
type ListInput struct {
	PropertyID   string         `json:"propertyId,omitempty" jsonschema:"format=uuid"`
	CaseID       string         `json:"caseId,omitempty" jsonschema:"maxLength=100,pattern=^[^\\x00-\\x1F\\x7F-\\x9F]*$,description=a case id or number (CASE-2026-7)"`
	IntentID     string         `json:"intentId,omitempty" jsonschema:"format=uuid"`
	HOAContextID string         `json:"hoaContextId,omitempty" jsonschema:"format=uuid"`
	VendorID     string         `json:"vendorId,omitempty" jsonschema:"format=uuid"`
	Category     []Category     `json:"category,omitempty" jsonschema:"maxItems=10,uniqueItems=true"`
	ReviewStatus []ReviewStatus `json:"reviewStatus,omitempty" jsonschema:"maxItems=3,uniqueItems=true"`
	// AllVersions lists superseded versions too (default: current ones).
	AllVersions bool   `json:"allVersions,omitempty"`
	Limit       int    `json:"limit,omitempty" jsonschema:"minimum=1,maximum=100"`
	Cursor      string `json:"cursor,omitempty" jsonschema:"maxLength=500"`
}

// SearchInput is a full-text query over titles and extracted text.
type SearchInput struct {
	Query string `json:"query" jsonschema:"minLength=1,maxLength=500,pattern=^[^\\x00-\\x1F\\x7F-\\x9F]*$,description=words; \"quoted phrases\", OR and -excluded as in web search"`
	// AllVersions searches superseded versions too.
	AllVersions bool `json:"allVersions,omitempty"`
	Limit       int  `json:"limit,omitempty" jsonschema:"minimum=1,maximum=50"`
}

// Hit is one search result, best first.
type Hit struct {
	Document Document `json:"document"`
	Rank     float32  `json:"rank"`
	// Snippet shows the matched words in context, marked with [ ].
	Snippet string `json:"snippet"`
}

// SearchResult is the best matches the caller may see.
type SearchResult struct {
	Items []Hit `json:"items"`
}

// Config is what the service needs besides the database and the PDP.
type Config struct {
	Store    content.Store
	MaxBytes int64 // per document; 0: DefaultMaxBytes
}

// DefaultMaxBytes is the size limit when none is configured.
const DefaultMaxBytes = 50 << 20

// Service is the document domain.
type Service struct {
	db  *db.DB
	pdp authz.Decider
	cfg Config
}

// New returns the document service; it stores nothing until Configure
// gives it a content store.
func New(d *db.DB, pdp authz.Decider) *Service { return &Service{db: d, pdp: pdp} }

// Configure sets the content store and the size limit.
func (s *Service) Configure(c Config) {
	if c.MaxBytes <= 0 {
		c.MaxBytes = DefaultMaxBytes
	}
	s.cfg = c
}

// MaxBytes is the size limit in force.
func (s *Service) MaxBytes() int64 {
	if s.cfg.MaxBytes <= 0 {
		return DefaultMaxBytes
	}
	return s.cfg.MaxBytes
}

func (s *Service) store() (content.Store, error) {
	if s.cfg.Store == nil {
		return nil, apperr.New(apperr.DependencyUnavailable, "no document content store is configured")
	}
	return s.cfg.Store, nil
}

const kind = "document"

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func resourceOf(d Document) authz.Resource {
	return authz.Resource{Kind: kind, ID: d.ID, Attr: map[string]any{
		"org_id": d.OrganizationID, "property_id": str(d.PropertyID), "case_id": str(d.CaseID),
		"visibility": string(d.Visibility), "category": string(d.Category), "review_status": string(d.ReviewStatus),
		"uploaded_by": d.UploadedBy}}
}

const columns = `id, organization_id, chain_id, version, supersedes_id, superseded_by, superseded_at, title, category, visibility,
	file_name, media_type, size_bytes, sha256, property_id, case_id, intent_id, hoa_context_id, vendor_id,
	review_status, reviewed_by, reviewed_at, review_notes, extracted_text <> '', uploaded_by, created_at, updated_at`

func scan(r db.Row) (Document, error) {
	var d Document
	err := r.Scan(&d.ID, &d.OrganizationID, &d.ChainID, &d.Version, &d.SupersedesID, &d.SupersededBy, &d.SupersededAt, &d.Title,
		&d.Category, &d.Visibility, &d.FileName, &d.MediaType, &d.Size, &d.SHA256, &d.PropertyID, &d.CaseID, &d.IntentID,
		&d.HOAContextID, &d.VendorID, &d.ReviewStatus, &d.ReviewedBy, &d.ReviewedAt, &d.ReviewNotes, &d.TextExtracted,
		&d.UploadedBy, &d.CreatedAt, &d.UpdatedAt)
	return d, err
}

// plan maps the policy's attributes to columns: the PDP's plan for "view"
// becomes SQL over these, so visibility and grants filter rows in the
// database, on every list and search.
var plan = authz.Columns{
	"request.resource.id":                 "id",
	"request.resource.attr.org_id":        "organization_id",
	"request.resource.attr.property_id":   "property_id",
	"request.resource.attr.case_id":       "case_id",
	"request.resource.attr.visibility":    "visibility",
	"request.resource.attr.category":      "category",
	"request.resource.attr.review_status": "review_status",
	"request.resource.attr.uploaded_by":   "uploaded_by",
}

// table is how documents are stored, authorized and listed (newest first).
var table = &records.Table[Document]{
	Kind: kind, Name: "documents", Columns: columns, Scan: scan, Resource: resourceOf, Plan: plan,
	Order: records.NewestFirst(func(d Document) time.Time { return d.CreatedAt }),
}

// ViewFilter renders plan (the PDP's plan for "view" on documents) as SQL
// over the documents table, for another domain's read in its own
// transaction (case/v1/detail).
func ViewFilter(p *authz.Plan, args *authz.Args) (string, error) { return p.SQL(plan, args) }

// Get returns one version the principal may view.
func (s *Service) Get(ctx context.Context, p authz.Principal, in GetInput) (Document, error) {
	return records.Get(ctx, s.db, s.pdp, p, table, in.ID, nil)
}

// caseWhere selects a case by its id or, when ref is no uuid, its number.
func caseWhere(ref string) (string, string) {
	if id, err := uuid.Parse(ref); err == nil {
		return `id = ?::uuid`, id.String()
	}
	return `number = ?`, ref
}

// List returns the documents the principal may view, newest first.
func (s *Service) List(ctx context.Context, p authz.Principal, in ListInput) (listing.Page[Document], error) {
	return records.List(ctx, s.db, s.pdp, p, table, records.Page{Limit: in.Limit, Cursor: in.Cursor}, func(f *records.Filters) {
		if !in.AllVersions {
			f.Where(`superseded_by IS NULL`)
		}
		if in.PropertyID != "" {
			f.Where(`property_id = ?::uuid`, in.PropertyID)
		}
		if in.CaseID != "" {
			where, arg := caseWhere(in.CaseID)
			f.Where(`case_id = (SELECT id FROM cases WHERE `+where+`)`, arg)
		}
		if in.IntentID != "" {
			f.Where(`intent_id = ?::uuid`, in.IntentID)
		}
		if in.HOAContextID != "" {
			f.Where(`hoa_context_id = ?::uuid`, in.HOAContextID)
		}
		if in.VendorID != "" {
			f.Where(`vendor_id = ?::uuid`, in.VendorID)
		}
		if len(in.Category) > 0 {
			f.Where(`category = ANY(?)`, in.Category)
		}
		if len(in.ReviewStatus) > 0 {
			f.Where(`review_status = ANY(?)`, in.ReviewStatus)
		}
	})
}

// Versions returns the chain of the version in.ID names, oldest first: the
// versions the principal may view (a STAFF_ONLY version is absent for the
// owner side). A chain none of whose versions the principal may see is
// NOT_FOUND.
func (s *Service) Versions(ctx context.Context, p authz.Principal, in VersionsInput) (Versions, error) {
	pl, err := s.pdp.QueryFilter(ctx, p, kind, "view")
	if err != nil {
		return Versions{}, err
	}
	args := &authz.Args{}
	allowed, err := pl.SQL(plan, args)
	if err != nil {
		return Versions{}, apperr.Wrap(apperr.Internal, err, "authorization filter could not be applied")
	}
	out := Versions{Items: []Document{}}
	id := args.Add(in.ID)
	err = s.db.InTenantRead(ctx, p.OrgID, func(q db.Querier) error {
		// The named version must itself be visible: its chain is not
		// reached through a version the caller may not see.
		rows, err := q.Query(ctx, `SELECT `+columns+` FROM documents
			WHERE chain_id = (SELECT chain_id FROM documents WHERE id = `+id+`::uuid AND `+allowed+`)
			  AND `+allowed+` ORDER BY version`, args.List()...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			d, err := scan(rows)
			if err != nil {
				return err
			}
			out.Items = append(out.Items, d)
		}
		return rows.Err()
	})
	if err != nil {
		return Versions{}, err
	}
	if len(out.Items) == 0 {
		return Versions{}, table.NotFound(in.ID)
	}
	out.ChainID = out.Items[0].ChainID
	return out, nil
}

// Search returns the best matches of in.Query among the documents the
// principal may view (the PDP's plan as SQL, under RLS): titles weigh more
// than extracted text.
func (s *Service) Search(ctx context.Context, p authz.Principal, in SearchInput) (SearchResult, error) {
	limit := in.Limit
	if limit == 0 {
		limit = 20
	}
	pl, err := s.pdp.QueryFilter(ctx, p, kind, "view")
	if err != nil {
		return SearchResult{}, err
	}
	args := &authz.Args{}
	allowed, err := pl.SQL(plan, args)
	if err != nil {
		return SearchResult{}, apperr.Wrap(apperr.Internal, err, "authorization filter could not be applied")
	}
	query := args.Add(in.Query)
	current := ""
	if !in.AllVersions {
		current = ` AND superseded_by IS NULL`
	}
	out := SearchResult{Items: []Hit{}}
	err = s.db.InTenantRead(ctx, p.OrgID, func(q db.Querier) error {
		rows, err := q.Query(ctx, `WITH query AS (SELECT websearch_to_tsquery('english', `+query+`) AS tsq)
			SELECT `+columns+`, ts_rank(search, query.tsq) AS rank,
				ts_headline('english', left(title || E'\n' || extracted_text, 100000), query.tsq,
					'StartSel=[, StopSel=], MaxWords=30, MinWords=10, MaxFragments=2')
			FROM documents, query WHERE search @@ query.tsq AND `+allowed+current+`
			ORDER BY rank DESC, created_at DESC, id LIMIT `+args.Add(limit), args.List()...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var h Hit
			d := &h.Document
			if err := rows.Scan(&d.ID, &d.OrganizationID, &d.ChainID, &d.Version, &d.SupersedesID, &d.SupersededBy, &d.SupersededAt,
				&d.Title, &d.Category, &d.Visibility, &d.FileName, &d.MediaType, &d.Size, &d.SHA256, &d.PropertyID, &d.CaseID,
				&d.IntentID, &d.HOAContextID, &d.VendorID, &d.ReviewStatus, &d.ReviewedBy, &d.ReviewedAt, &d.ReviewNotes,
				&d.TextExtracted, &d.UploadedBy, &d.CreatedAt, &d.UpdatedAt, &h.Rank, &h.Snippet); err != nil {
				return err
			}
			out.Items = append(out.Items, h)
		}
		return rows.Err()
	})
	return out, err
}

// Content is a document's verified content: the HTTP transports answer
// with its bytes (api.FileOutput), the CLI writes them to a file. JSON
// carries only the document.
type Content struct {
	Document Document `json:"document"`
	blob     content.Blob
}

// FileName implements api.FileOutput.
func (c *Content) FileName() string {
	if c.Document.FileName != "" {
		return c.Document.FileName
	}
	return c.Document.ID
}

// MediaType implements api.FileOutput.
func (c *Content) MediaType() string { return c.Document.MediaType }

// FileSize implements api.FileOutput.
func (c *Content) FileSize() int64 { return c.Document.Size }

// Read implements api.FileOutput.
func (c *Content) Read(p []byte) (int, error) {
	if c.blob == nil {
		return 0, errors.New("document content is not open")
	}
	return c.blob.Read(p)
}

// Close implements api.FileOutput.
func (c *Content) Close() error {
	if c.blob == nil {
		return nil
	}
	return c.blob.Close()
}

// Download returns the content of a version the principal may view, after
// checking that the stored bytes still hash to the document's SHA-256: a
// corrupted or missing blob is an error that names the document, and none
// of it is served.
func (s *Service) Download(ctx context.Context, p authz.Principal, in GetInput) (Content, error) {
	st, err := s.store()
	if err != nil {
		return Content{}, err
	}
	d, err := s.Get(ctx, p, in)
	if err != nil {
		return Content{}, err
	}
	blob, n, err := content.Verified(ctx, st, d.SHA256)
	if err == nil && n != d.Size {
		blob.Close()
		err = content.ErrCorrupt
	}
	switch {
	case errors.Is(err, content.ErrCorrupt), errors.Is(err, content.ErrNotFound):
		what := "does not match its SHA-256"
		if errors.Is(err, content.ErrNotFound) {
			what = "is missing from the content store"
		}
		slog.ErrorContext(ctx, "document content failed verification", "document_id", d.ID, "org", d.OrganizationID,
			"sha256", d.SHA256, "cause", err.Error())
		return Content{}, apperr.New(apperr.Conflict, "the stored content of document %q (%s, version %d) %s; it is not served: upload it again to restore it",
			d.Title, d.ID, d.Version, what)
	case err != nil:
		return Content{}, apperr.Wrap(apperr.DependencyUnavailable, err, "the document content store is unavailable")
	}
	return Content{Document: d, blob: blob}, nil
}

// lockAuthorized loads version id for update and authorizes view (else
// NOT_FOUND) and action on it.
func (s *Service) lockAuthorized(ctx context.Context, q db.Querier, p authz.Principal, id, action string) (Document, error) {
	d, err := table.Load(ctx, q, id, true)
	if err != nil {
		return d, err
	}
	if err := s.pdp.Authorize(ctx, p, resourceOf(d), "view"); err != nil {
		return Document{}, table.HideForbidden(err, id)
	}
	if err := s.pdp.Authorize(ctx, p, resourceOf(d), action); err != nil {
		return Document{}, err
	}
	return d, nil
}

// binding is where a new document belongs, resolved in the transaction.
type binding struct {
	property, caseID, intent, hoa, vendor *string
}

// bind resolves the references of an upload: a case by id or number, its
// property and the intent's; a property given with a case or intent must be
// theirs.
func bind(ctx context.Context, q db.Querier, propertyID, caseRef, intentID, hoaID, vendorID string) (binding, error) {
	var b binding
	set := func(v string) *string {
		if v == "" {
			return nil
		}
		return &v
	}
	b.hoa, b.vendor = set(hoaID), set(vendorID)
	var fields apperr.Fields
	property := func(field, id string) {
		if b.property != nil && *b.property != id {
			fields.Add(field, "mismatch", field+" belongs to another property than propertyId")
			return
		}
		b.property = &id
	}
	if propertyID != "" {
		var id string
		err := q.QueryRow(ctx, `SELECT id FROM properties WHERE id = $1::uuid`, propertyID).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			fields.Add("propertyId", "not_found", "propertyId names no property of this organization")
		} else if err != nil {
			return b, err
		} else {
			b.property = &id
		}
	}
	if caseRef != "" {
		where, arg := caseWhere(caseRef)
		var id, prop string
		err := q.QueryRow(ctx, `SELECT id, property_id FROM cases WHERE `+strings.Replace(where, "?", "$1", 1), arg).Scan(&id, &prop)
		if errors.Is(err, pgx.ErrNoRows) {
			fields.Add("caseId", "not_found", "caseId names no case of this organization")
		} else if err != nil {
			return b, err
		} else {
			b.caseID = &id
			property("caseId", prop)
		}
	}
	if intentID != "" {
		var id, prop string
		err := q.QueryRow(ctx, `SELECT id, property_id FROM intents WHERE id = $1::uuid`, intentID).Scan(&id, &prop)
		if errors.Is(err, pgx.ErrNoRows) {
			fields.Add("intentId", "not_found", "intentId names no intent of this organization")
		} else if err != nil {
			return b, err
		} else {
			b.intent = &id
			property("intentId", prop)
		}
	}
	// The HOA context and the vendor are checked here so that a made-up id
	// is a field error, not the foreign key of migration 0022.
	for _, ref := range []struct{ field, table, noun, id string }{
		{"hoaContextId", "hoa_contexts", "HOA context", hoaID},
		{"vendorId", "vendors", "vendor", vendorID},
	} {
		if ref.id == "" {
			continue
		}
		var exists bool
		if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM `+ref.table+` WHERE id = $1::uuid)`, ref.id).Scan(&exists); err != nil {
			return b, err
		}
		if !exists {
			fields.Add(ref.field, "not_found", ref.field+" names no "+ref.noun+" of this organization")
		}
	}
	if err := fields.Err(); err != nil {
		return b, err
	}
	if b.property == nil && b.caseID == nil && b.intent == nil && b.hoa == nil && b.vendor == nil {
		return b, apperr.Field("propertyId", "required", "bind the document to a property, case, intent, HOA context or vendor")
	}
	return b, nil
}
