package intent

import (
	"context"

	"github.com/hestami/concierge/internal/api"
	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/listing"
)

// Register declares the intent procedures (api.Module).
func (s *Service) Register(r *api.Registry) {
	spec := api.Specs{Namespace: "intent", Resource: kind}.Spec
	machine := []apperr.Code{apperr.InvalidTransition}
	api.Register(r, spec("create", api.Mutation, "Draft an owner intent (status DRAFT)", nil, "create"),
		func(ctx context.Context, c api.Call, in CreateInput) (Intent, error) {
			return s.CreateTx(ctx, c.Tx, c.Principal, in)
		})
	api.Register(r, spec("submit", api.Mutation,
		"Submit a draft, or create and submit an intent; the classifier proposes a category and priority", machine, "view", "submit"),
		func(ctx context.Context, c api.Call, in SubmitInput) (Intent, error) {
			return s.SubmitTx(ctx, c.Tx, c.Principal, in)
		})
	api.Register(r, spec("get", api.Query, "Get an intent with its proposal and override", nil, "view"),
		func(ctx context.Context, c api.Call, in IDInput) (Intent, error) {
			return s.Get(ctx, c.Principal, in.ID)
		})
	api.Register(r, spec("list", api.Query, "List the intents the caller may view, newest first; filters combine", nil, "view"),
		func(ctx context.Context, c api.Call, in ListInput) (listing.Page[Intent], error) {
			return s.List(ctx, c.Principal, in)
		})
	api.Register(r, spec("acknowledge", api.Mutation, "Acknowledge a submitted intent (staff)", machine, "view", "acknowledge"),
		func(ctx context.Context, c api.Call, in ReasonInput) (Intent, error) {
			return s.AcknowledgeTx(ctx, c.Tx, c.Principal, in)
		})
	api.Register(r, spec("convert", api.Mutation,
		"Convert a submitted or acknowledged intent to a case, atomically; a second conversion is a CONFLICT naming the case",
		machine, "view", "convert"),
		func(ctx context.Context, c api.Call, in IDInput) (Intent, error) {
			return s.ConvertTx(ctx, c.Tx, c.Principal, in)
		})
	api.Register(r, spec("decline", api.Mutation, "Decline an intent, with a reason (staff)", machine, "view", "decline"),
		func(ctx context.Context, c api.Call, in ReasonInput) (Intent, error) {
			return s.DeclineTx(ctx, c.Tx, c.Principal, in)
		})
	api.Register(r, spec("withdraw", api.Mutation, "Withdraw an intent that is not final", machine, "view", "withdraw"),
		func(ctx context.Context, c api.Call, in ReasonInput) (Intent, error) {
			return s.WithdrawTx(ctx, c.Tx, c.Principal, in)
		})
	api.Register(r, spec("reclassify", api.Mutation,
		"Override the proposed category and/or priority (the proposal is kept)", machine, "view", "reclassify"),
		func(ctx context.Context, c api.Call, in ReclassifyInput) (Intent, error) {
			return s.ReclassifyTx(ctx, c.Tx, c.Principal, in)
		})
}
