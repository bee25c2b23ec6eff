package property

import (
	"context"

	"github.com/hestami/concierge/internal/api"
	"github.com/hestami/concierge/internal/listing"
)

// Register declares the property procedures (api.Module).
func (s *Service) Register(r *api.Registry) {
	spec := func(name string, k api.Kind, action, summary string) api.Spec {
		return api.Spec{Namespace: "property", Version: "v1", Name: name, Kind: k, Resource: kind, Actions: []string{action}, Summary: summary}
	}
	api.Register(r, spec("create", api.Mutation, "create", "Add a property to the active organization"),
		func(ctx context.Context, c api.Call, in CreateInput) (Property, error) {
			return s.CreateTx(ctx, c.Tx, c.Principal, in)
		})
	api.Register(r, spec("get", api.Query, "view", "Get a property"),
		func(ctx context.Context, c api.Call, in api.GetInput) (Property, error) {
			return s.Get(ctx, c.Principal, in.ID)
		})
	api.Register(r, spec("list", api.Query, "view", "List the properties the caller may view"),
		func(ctx context.Context, c api.Call, in ListInput) (listing.Page[Property], error) {
			return s.List(ctx, c.Principal, in)
		})
	api.Register(r, spec("update", api.Mutation, "update", "Change a property's fields"),
		func(ctx context.Context, c api.Call, in UpdateInput) (Property, error) {
			return s.UpdateTx(ctx, c.Tx, c.Principal, in)
		})
}
