package ownership

import (
	"context"

	"github.com/hestami/concierge/internal/api"
	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/listing"
)

// Register declares the ownership procedures (api.Module).
func (s *Service) Register(r *api.Registry) {
	spec := api.Specs{Namespace: "ownership", Resource: kind}.Spec
	// CONFLICT (the last-active-owner rule) comes with every mutation.
	rules := []apperr.Code{apperr.InvalidTransition}
	api.Register(r, spec("add", api.Mutation, "Record who holds a property, in which role and share", nil, "add"),
		func(ctx context.Context, c api.Call, in AddInput) (Ownership, error) {
			return s.AddTx(ctx, c.Tx, c.Principal, in)
		})
	api.Register(r, spec("list", api.Query, "List the ownership records of a property, oldest first", nil, "view"),
		func(ctx context.Context, c api.Call, in ListInput) (listing.Page[Ownership], error) {
			return s.List(ctx, c.Principal, in)
		})
	api.Register(r, spec("update", api.Mutation, "Change an ownership record's role, status, percentage or dates", rules, "view", "update", "remove"),
		func(ctx context.Context, c api.Call, in UpdateInput) (Ownership, error) {
			return s.UpdateTx(ctx, c.Tx, c.Principal, in)
		})
	api.Register(r, spec("remove", api.Mutation, "End an ownership record (status TERMINATED; the record is kept)", rules, "view", "remove"),
		func(ctx context.Context, c api.Call, in RemoveInput) (Ownership, error) {
			return s.RemoveTx(ctx, c.Tx, c.Principal, in)
		})
}
