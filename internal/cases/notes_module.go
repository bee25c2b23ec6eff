package cases

import (
	"context"

	"github.com/hestami/concierge/internal/api"
	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/listing"
)

// registerNotes declares the note and clarification procedures.
func (s *Service) registerNotes(r *api.Registry) {
	note := func(name string, k api.Kind, summary string, actions ...string) api.Spec {
		return api.Spec{Namespace: "case", Version: "v1", Name: name, Kind: k, Resource: noteKind, Actions: actions, Summary: summary}
	}
	add := note("addNote", api.Mutation, "Add an internal (concierge-only) or shared note to a case that is not closed or cancelled", "create")
	api.Register(r, add, func(ctx context.Context, c api.Call, in AddNoteInput) (Note, error) {
		return s.AddNoteTx(ctx, c.Tx, c.Principal, in)
	})
	api.Register(r, note("getNote", api.Query, "Get a case note the caller may read", "view"),
		func(ctx context.Context, c api.Call, in api.GetInput) (Note, error) {
			return s.GetNote(ctx, c.Principal, in.ID)
		})
	api.Register(r, note("listNotes", api.Query, "List the notes of a case the caller may read, oldest first", "view"),
		func(ctx context.Context, c api.Call, in ListNotesInput) (listing.Page[Note], error) {
			return s.ListNotes(ctx, c.Principal, in)
		})

	clarify := func(name, summary, action string) api.Spec {
		return api.Spec{Namespace: "case", Version: "v1", Name: name, Kind: api.Mutation, Resource: kind, Actions: []string{action},
			IDField: "id", Summary: summary, Errors: []apperr.Code{apperr.InvalidTransition}}
	}
	api.Register(r, clarify("requestClarification", "Ask the owner a question (a shared note) and move the case to PENDING_OWNER", "request_clarification"),
		func(ctx context.Context, c api.Call, in ClarifyInput) (Clarification, error) {
			return s.RequestClarificationTx(ctx, c.Tx, c.Principal, in)
		})
	api.Register(r, clarify("answerClarification", "Answer the open question (a shared note) and move the case from PENDING_OWNER to IN_PROGRESS", "answer_clarification"),
		func(ctx context.Context, c api.Call, in ClarifyInput) (Clarification, error) {
			return s.AnswerClarificationTx(ctx, c.Tx, c.Principal, in)
		})
}
