package cases

import (
	"context"

	"github.com/hestami/concierge/internal/api"
)

// registerParticipants declares the participant procedures. They are
// decided on the case (its row, locked for a change): participants are part
// of the case, seen by whoever may view it.
func (s *Service) registerParticipants(r *api.Registry) {
	spec := func(name string, k api.Kind, summary string, actions ...string) api.Spec {
		return api.Spec{Namespace: "case", Version: "v1", Name: name, Kind: k, Resource: kind, Actions: actions, Summary: summary}
	}
	api.Register(r, spec("addParticipant", api.Mutation,
		"Add a user or an external contact to a case that is not closed or cancelled, with a role; the same user in the same role twice is a CONFLICT",
		"view", "add_participant"),
		func(ctx context.Context, c api.Call, in AddParticipantInput) (Participant, error) {
			return s.AddParticipantTx(ctx, c.Tx, c.Principal, in)
		})
	api.Register(r, spec("removeParticipant", api.Mutation, "Take a participant off a case that is not closed or cancelled",
		"view", "remove_participant"),
		func(ctx context.Context, c api.Call, in RemoveParticipantInput) (Participant, error) {
			return s.RemoveParticipantTx(ctx, c.Tx, c.Principal, in)
		})
	api.Register(r, spec("listParticipants", api.Query, "List the participants of a case, in the order they were added", "view"),
		func(ctx context.Context, c api.Call, in ListParticipantsInput) (Participants, error) {
			return s.ListParticipants(ctx, c.Principal, in)
		})
}
