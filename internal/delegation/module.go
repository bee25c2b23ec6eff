package delegation

import (
	"context"

	"github.com/hestami/concierge/internal/api"
	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/listing"
)

// Register declares the delegation procedures (api.Module).
func (s *Service) Register(r *api.Registry) {
	spec := api.Specs{Namespace: "delegation", Resource: kind}.Spec
	lifecycle := []apperr.Code{apperr.InvalidTransition}
	api.Register(r, spec("grant", api.Mutation, "Grant a delegated agent authority over properties (owner only); it waits for the agent's acceptance", nil, "grant"),
		func(ctx context.Context, c api.Call, in GrantInput) (Delegation, error) {
			return s.GrantTx(ctx, c.Tx, c.Principal, in)
		})
	api.Register(r, spec("accept", api.Mutation, "Accept a grant made to you; it is in force from now until revoked or expired", lifecycle, "view", "accept"),
		func(ctx context.Context, c api.Call, in AcceptInput) (Delegation, error) {
			return s.AcceptTx(ctx, c.Tx, c.Principal, in)
		})
	api.Register(r, spec("revoke", api.Mutation, "Revoke a pending or active grant; it stops at once", lifecycle, "view", "revoke"),
		func(ctx context.Context, c api.Call, in RevokeInput) (Delegation, error) {
			return s.RevokeTx(ctx, c.Tx, c.Principal, in)
		})
	api.Register(r, spec("get", api.Query, "Get one grant, its status as of now (EXPIRED from the instant its expiry passed)", nil, "view"),
		func(ctx context.Context, c api.Call, in api.GetInput) (Delegation, error) {
			return s.Get(ctx, c.Principal, in.ID)
		})
	api.Register(r, spec("list", api.Query, "List the grants you may see, newest first", nil, "view"),
		func(ctx context.Context, c api.Call, in ListInput) (listing.Page[Delegation], error) {
			return s.List(ctx, c.Principal, in)
		})
}
