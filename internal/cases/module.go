package cases

import (
	"context"

	"github.com/hestami/concierge/internal/api"
	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/listing"
)

// Register declares the case procedures (api.Module); the durable ones need
// RegisterWorkflows before the engine launches.
func (s *Service) Register(r *api.Registry) {
	spec := func(name string, k api.Kind, summary string, actions ...string) api.Spec {
		return api.Spec{Namespace: "case", Version: "v1", Name: name, Kind: k, Resource: kind, Actions: actions, Summary: summary}
	}
	api.Register(r, spec("create", api.Mutation, "Open a concierge case (status INTAKE)", "create"),
		func(ctx context.Context, c api.Call, in CreateInput) (Case, error) {
			return s.CreateTx(ctx, c.Tx, c.Principal, in)
		})
	api.Register(r, spec("get", api.Query, "Get a case (by id or number) with its status history", "view"),
		func(ctx context.Context, c api.Call, in api.GetInput) (Case, error) {
			return s.Get(ctx, c.Principal, in.ID)
		})
	api.Register(r, spec("list", api.Query, "List the cases the caller may view, newest first or by urgency (the work queue); filters combine", "view"),
		func(ctx context.Context, c api.Call, in ListInput) (listing.Page[Case], error) {
			return s.List(ctx, c.Principal, in)
		})
	status := spec("updateStatus", api.Mutation,
		"Move a case through its lifecycle (a durable workflow, exactly once per idempotency key)", "update_status", "cancel", "view")
	status.Errors, status.Durable = []apperr.Code{apperr.InvalidTransition}, true
	api.Register(r, status,
		func(ctx context.Context, c api.Call, in UpdateStatusInput) (Case, error) {
			out, replayed, err := s.UpdateStatusReplayed(ctx, c.Principal, in, c.IdempotencyKey)
			if replayed {
				c.MarkReplayed()
			}
			return out, err
		})
	s.registerNotes(r)
	s.registerAssignment(r)
	s.registerParticipants(r)
}
