package portfolio

import (
	"context"

	"github.com/hestami/concierge/internal/api"
	"github.com/hestami/concierge/internal/listing"
)

// Register declares the portfolio procedures and the organization summary
// (api.Module).
func (s *Service) Register(r *api.Registry) {
	spec := func(name string, k api.Kind, action, summary string) api.Spec {
		return api.Spec{Namespace: "portfolio", Version: "v1", Name: name, Kind: k, Resource: kind, Actions: []string{action}, Summary: summary}
	}
	api.Register(r, spec("create", api.Mutation, "create", "Add a portfolio to the active organization"),
		func(ctx context.Context, c api.Call, in CreateInput) (Portfolio, error) {
			return s.CreateTx(ctx, c.Tx, c.Principal, in)
		})
	api.Register(r, spec("get", api.Query, "view", "Get a portfolio with its member properties"),
		func(ctx context.Context, c api.Call, in api.GetInput) (Portfolio, error) {
			return s.Get(ctx, c.Principal, in.ID)
		})
	api.Register(r, spec("list", api.Query, "view", "List the portfolios the caller may view, by name"),
		func(ctx context.Context, c api.Call, in ListInput) (listing.Page[Portfolio], error) {
			return s.List(ctx, c.Principal, in)
		})
	update := spec("update", api.Mutation, "update", "Change a portfolio's name or description")
	update.Actions = []string{"update", "view"}
	api.Register(r, update,
		func(ctx context.Context, c api.Call, in UpdateInput) (Portfolio, error) {
			return s.UpdateTx(ctx, c.Tx, c.Principal, in)
		})
	add := spec("addProperty", api.Mutation, "update",
		"Make a property of the organization a member of the portfolio (a property may be in several; adding a member again changes nothing)")
	add.Actions = []string{"update", "view"}
	api.Register(r, add,
		func(ctx context.Context, c api.Call, in MemberInput) (Portfolio, error) {
			return s.AddPropertyTx(ctx, c.Tx, c.Principal, in)
		})
	remove := spec("removeProperty", api.Mutation, "update",
		"Take a property out of the portfolio (removing a non-member changes nothing)")
	remove.Actions = []string{"update", "view"}
	api.Register(r, remove,
		func(ctx context.Context, c api.Call, in MemberInput) (Portfolio, error) {
			return s.RemovePropertyTx(ctx, c.Tx, c.Principal, in)
		})
	api.Register(r, spec("summary", api.Query, "view",
		"A portfolio's summary: properties, open cases by status and priority, pending approvals, spend per property and month"),
		func(ctx context.Context, c api.Call, in api.GetInput) (Summary, error) {
			return s.Summary(ctx, c.Principal, in.ID)
		})
	api.Register(r, api.Spec{Namespace: "organization", Version: "v1", Name: "summary", Kind: api.Query,
		Resource: orgKind, Actions: []string{"view_summary"},
		Summary: "The active organization's summary: properties, open cases by status and priority, pending approvals, spend per property and month"},
		func(ctx context.Context, c api.Call, _ OrganizationSummaryInput) (Summary, error) {
			return s.OrganizationSummary(ctx, c.Principal)
		})
}
