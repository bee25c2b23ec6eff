package action

import (
	"context"

	"github.com/hestami/concierge/internal/api"
	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/listing"
)

// Register declares the action procedures (api.Module).
func (s *Service) Register(r *api.Registry) {
	spec := api.Specs{Namespace: "action", Resource: kind}.Spec
	// CONFLICT (the case has ended, or for create is RESOLVED) comes with every mutation.
	rules := []apperr.Code{apperr.InvalidTransition}
	api.Register(r, spec("create", api.Mutation, "Plan a concierge action on a case (status PLANNED)", nil, "create"),
		func(ctx context.Context, c api.Call, in CreateInput) (Action, error) {
			return s.CreateTx(ctx, c.Tx, c.Principal, in)
		})
	api.Register(r, spec("start", api.Mutation, "Start a planned action, or resume a blocked one (IN_PROGRESS)", rules, "view", "update"),
		func(ctx context.Context, c api.Call, in StartInput) (Action, error) {
			return s.StartTx(ctx, c.Tx, c.Principal, in)
		})
	api.Register(r, spec("complete", api.Mutation, "Complete an action in progress with its outcome", rules, "view", "update"),
		func(ctx context.Context, c api.Call, in CompleteInput) (Action, error) {
			return s.CompleteTx(ctx, c.Tx, c.Principal, in)
		})
	api.Register(r, spec("block", api.Mutation, "Mark an action in progress as waiting on something (BLOCKED)", rules, "view", "update"),
		func(ctx context.Context, c api.Call, in BlockInput) (Action, error) {
			return s.BlockTx(ctx, c.Tx, c.Principal, in)
		})
	api.Register(r, spec("cancel", api.Mutation, "Cancel an action that is not final", rules, "view", "update"),
		func(ctx context.Context, c api.Call, in CancelInput) (Action, error) {
			return s.CancelTx(ctx, c.Tx, c.Principal, in)
		})
	api.Register(r, spec("list", api.Query, "List the actions of a case, oldest first", nil, "view"),
		func(ctx context.Context, c api.Call, in ListInput) (listing.Page[Action], error) {
			return s.List(ctx, c.Principal, in)
		})
}
