package api

import (
	"context"

	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/cases"
	"github.com/hestami/concierge/internal/listing"
	"github.com/hestami/concierge/internal/property"
)

// Services is the domain layer the procedures call.
type Services struct {
	Property *property.Service
	Cases    *cases.Service
}

// GetInput names one record.
type GetInput struct {
	ID string `json:"id" jsonschema:"minLength=1,maxLength=100"`
}

// CaseUpdateStatusOutput is the case after the change.
type CaseUpdateStatusOutput = cases.Case

// NewRegistry declares every procedure of API v1. s may be nil for
// consumers that only need the declarations (the OpenAPI document, the
// client).
func NewRegistry(s *Services) *Registry {
	if s == nil {
		s = &Services{}
	}
	r := &Registry{}
	register(r, Spec{Namespace: "property", Version: "v1", Name: "create", Kind: Mutation, Action: "create",
		Summary: "Add a property to the active organization"},
		func(ctx context.Context, c Call, in property.CreateInput) (property.Property, error) {
			return s.Property.CreateTx(ctx, c.Tx, c.Principal, in)
		})
	register(r, Spec{Namespace: "property", Version: "v1", Name: "get", Kind: Query, Action: "view",
		Summary: "Get a property"},
		func(ctx context.Context, c Call, in GetInput) (property.Property, error) {
			return s.Property.Get(ctx, c.Principal, in.ID)
		})
	register(r, Spec{Namespace: "property", Version: "v1", Name: "list", Kind: Query, Action: "view",
		Summary: "List the properties the caller may view"},
		func(ctx context.Context, c Call, in property.ListInput) (listing.Page[property.Property], error) {
			return s.Property.List(ctx, c.Principal, in)
		})
	register(r, Spec{Namespace: "property", Version: "v1", Name: "update", Kind: Mutation, Action: "update",
		Summary: "Change a property's fields"},
		func(ctx context.Context, c Call, in property.UpdateInput) (property.Property, error) {
			return s.Property.UpdateTx(ctx, c.Tx, c.Principal, in)
		})
	register(r, Spec{Namespace: "case", Version: "v1", Name: "create", Kind: Mutation, Action: "create",
		Summary: "Open a concierge case (status INTAKE)"},
		func(ctx context.Context, c Call, in cases.CreateInput) (cases.Case, error) {
			return s.Cases.CreateTx(ctx, c.Tx, c.Principal, in)
		})
	register(r, Spec{Namespace: "case", Version: "v1", Name: "get", Kind: Query, Action: "view",
		Summary: "Get a case (by id or number) with its status history"},
		func(ctx context.Context, c Call, in GetInput) (cases.Case, error) {
			return s.Cases.Get(ctx, c.Principal, in.ID)
		})
	register(r, Spec{Namespace: "case", Version: "v1", Name: "list", Kind: Query, Action: "view",
		Summary: "List the cases the caller may view, newest first; filters combine"},
		func(ctx context.Context, c Call, in cases.ListInput) (listing.Page[cases.Case], error) {
			return s.Cases.List(ctx, c.Principal, in)
		})
	register(r, Spec{Namespace: "case", Version: "v1", Name: "updateStatus", Kind: Mutation, Action: "update_status",
		Summary: "Move a case through its lifecycle (a durable workflow, exactly once per idempotency key)",
		Errors:  []apperr.Code{apperr.InvalidTransition}, Durable: true},
		func(ctx context.Context, c Call, in cases.UpdateStatusInput) (cases.Case, error) {
			out, replayed, err := s.Cases.UpdateStatusReplayed(ctx, c.Principal, in, c.IdempotencyKey)
			if replayed {
				c.MarkReplayed()
			}
			return out, err
		})
	return r
}
