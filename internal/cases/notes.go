package cases

import (
	"context"
	"strings"
	"time"

	"github.com/invopop/jsonschema"

	"github.com/hestami/concierge/internal/activity"
	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/db"
	"github.com/hestami/concierge/internal/enum"
	"github.com/hestami/concierge/internal/listing"
	"github.com/hestami/concierge/internal/records"
)

// Audience is who may read a note: INTERNAL notes are concierge-only and
// never reach an owner-side principal (domain.md §4, §10).
type Audience string

const (
	Internal Audience = "INTERNAL"
	Shared   Audience = "SHARED"
)

// Audiences lists every audience.
var Audiences = enum.New(Internal, Shared).Stored("case_notes", "audience")

// JSONSchema makes every Audience field an enum.
func (Audience) JSONSchema() *jsonschema.Schema { return Audiences.Schema() }

// NoteKind is what a note is for.
type NoteKind string

const (
	General               NoteKind = "GENERAL"
	ClarificationRequest  NoteKind = "CLARIFICATION_REQUEST"
	ClarificationResponse NoteKind = "CLARIFICATION_RESPONSE"
	DecisionRationale     NoteKind = "DECISION_RATIONALE"
)

// NoteKinds lists every note kind.
var NoteKinds = enum.New(General, ClarificationRequest, ClarificationResponse, DecisionRationale).Stored("case_notes", "kind")

// JSONSchema makes every NoteKind field an enum.
func (NoteKind) JSONSchema() *jsonschema.Schema { return NoteKinds.Schema() }

// Note is a note on a case.
type Note struct {
	ID             string    `json:"id"`
	OrganizationID string    `json:"organizationId"`
	CaseID         string    `json:"caseId"`
	Audience       Audience  `json:"audience"`
	Kind           NoteKind  `json:"kind"`
	Text           string    `json:"text"`
	AuthorID       string    `json:"authorId"`
	AuthorKind     string    `json:"authorKind"`
	CreatedAt      time.Time `json:"createdAt"`
	// PropertyID is the case's property: what a delegation grant is for.
	PropertyID string `json:"-"`
}

// AddNoteInput adds a note to a case. Clarification notes are added by
// requestClarification and answerClarification, which also move the case.
type AddNoteInput struct {
	CaseID   string   `json:"caseId" jsonschema:"minLength=1,maxLength=100,pattern=^[^\\x00-\\x1F\\x7F-\\x9F]*$"`
	Audience Audience `json:"audience"`
	Kind     NoteKind `json:"kind,omitempty"`
	Text     string   `json:"text" jsonschema:"minLength=1,maxLength=10000"`
}

// ListNotesInput pages the notes of a case the caller may read, oldest
// first (a case's notes read as a conversation).
type ListNotesInput struct {
	CaseID string `json:"caseId" jsonschema:"minLength=1,maxLength=100,pattern=^[^\\x00-\\x1F\\x7F-\\x9F]*$"`
	Limit  int    `json:"limit,omitempty" jsonschema:"minimum=1,maximum=100"`
	Cursor string `json:"cursor,omitempty" jsonschema:"maxLength=500"`
}

const noteKind = "case_note"

func noteResource(n Note) authz.Resource {
	return authz.Resource{Kind: noteKind, ID: n.ID, Attr: map[string]any{
		"org_id": n.OrganizationID, "case_id": n.CaseID, "property_id": n.PropertyID, "audience": string(n.Audience), "author_id": n.AuthorID}}
}

const noteColumns = `id, organization_id, case_id, audience, kind, body, author_id, author_kind, created_at,
	(SELECT c.property_id FROM cases c WHERE c.id = case_notes.case_id)`

func scanNote(r db.Row) (Note, error) {
	var n Note
	err := r.Scan(&n.ID, &n.OrganizationID, &n.CaseID, &n.Audience, &n.Kind, &n.Text, &n.AuthorID, &n.AuthorKind, &n.CreatedAt, &n.PropertyID)
	return n, err
}

// noteTable is how notes are stored and read. Its plan columns map the
// audience, so the PDP's "owner side sees SHARED only" becomes SQL and an
// internal note never leaves the database for an owner.
var noteTable = &records.Table[Note]{
	Kind: noteKind, Name: "case_notes", Columns: noteColumns, Scan: scanNote, Resource: noteResource,
	Plan: authz.Columns{
		"request.resource.id":               "id",
		"request.resource.attr.org_id":      "organization_id",
		"request.resource.attr.case_id":     "case_id",
		"request.resource.attr.property_id": "(SELECT c.property_id FROM cases c WHERE c.id = case_notes.case_id)",
		"request.resource.attr.audience":    "audience",
		"request.resource.attr.author_id":   "author_id",
	},
	Order: records.Order[Note]{Ascending: true, Key: func(n Note) string { return n.CreatedAt.UTC().Format(time.RFC3339Nano) }},
}

// lockOpen locks a case the principal may view for a change that adds to
// it: a case the principal may not view is not found, and a terminal case
// takes nothing more (domain.md §4). The lock orders the addition against
// status changes, which lock the same row.
func (s *Service) lockOpen(ctx context.Context, q db.Querier, p authz.Principal, ref string) (Case, error) {
	c, err := load(ctx, q, ref, true)
	if err != nil {
		return c, err
	}
	if err := s.pdp.Authorize(ctx, p, resourceOf(c), "view"); err != nil {
		return Case{}, table.HideForbidden(err, ref)
	}
	if Terminal(c.Status) {
		return Case{}, apperr.New(apperr.Conflict, "case %s is %s; nothing can be added to it", c.Number, c.Status)
	}
	return c, nil
}

// AddNoteTx adds a note to a case inside the caller's tenant transaction.
func (s *Service) AddNoteTx(ctx context.Context, q db.Querier, p authz.Principal, in AddNoteInput) (Note, error) {
	if in.Kind == "" {
		in.Kind = General
	}
	var f apperr.Fields
	if strings.TrimSpace(in.Text) == "" {
		f.Add("text", "required", "text must not be blank")
	}
	if in.Kind == ClarificationRequest || in.Kind == ClarificationResponse {
		f.Add("kind", "invalid", "clarifications are asked with case/v1/requestClarification and answered with case/v1/answerClarification")
	}
	if err := f.Err(); err != nil {
		return Note{}, err
	}
	c, err := s.lockOpen(ctx, q, p, in.CaseID)
	if err != nil {
		return Note{}, err
	}
	return s.insertNote(ctx, q, p, c, in.Audience, in.Kind, in.Text)
}

// insertNote writes a note on the locked case c once the PDP allows p to
// write one of that audience.
func (s *Service) insertNote(ctx context.Context, q db.Querier, p authz.Principal, c Case, aud Audience, k NoteKind, text string) (Note, error) {
	res := noteResource(Note{ID: "new", OrganizationID: c.OrganizationID, CaseID: c.ID, PropertyID: c.PropertyID, Audience: aud, AuthorID: p.UserID})
	if err := s.pdp.Authorize(ctx, p, res, "create"); err != nil {
		if apperr.CodeOf(err) == apperr.Forbidden {
			return Note{}, apperr.New(apperr.Forbidden, "not allowed to add %s notes to this case", strings.ToLower(string(aud)))
		}
		return Note{}, err
	}
	n, err := scanNote(q.QueryRow(ctx, `INSERT INTO case_notes (organization_id, case_id, audience, kind, body, author_id, author_kind)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING `+noteColumns,
		c.OrganizationID, c.ID, string(aud), string(k), strings.TrimSpace(text), p.UserID, string(p.ActorKind)))
	if err != nil {
		return Note{}, err
	}
	// The activity log is not filtered by audience, so it names the note and
	// never carries its text.
	return n, activity.Record(ctx, q, p, activity.Event{EntityType: kind, EntityID: c.ID, Verb: "note_added",
		After: map[string]any{"noteId": n.ID, "audience": n.Audience, "kind": n.Kind}})
}

// GetNote returns one note the principal may read; any other is not found.
func (s *Service) GetNote(ctx context.Context, p authz.Principal, id string) (Note, error) {
	return records.Get(ctx, s.db, s.pdp, p, noteTable, id, nil)
}

// ListNotes pages the notes of a case that the principal may read.
func (s *Service) ListNotes(ctx context.Context, p authz.Principal, in ListNotesInput) (listing.Page[Note], error) {
	c, err := records.Get(ctx, s.db, s.pdp, p, table, in.CaseID, nil)
	if err != nil {
		return listing.Page[Note]{}, err
	}
	return records.List(ctx, s.db, s.pdp, p, noteTable, records.Page{Limit: in.Limit, Cursor: in.Cursor}, func(f *records.Filters) {
		f.Where(`case_id = ?`, c.ID)
	})
}
