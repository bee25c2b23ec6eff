// Package cmdutil holds what every command shares: acting as the caller
// through the domain layer inside a traced operation, and printing results.
package cmdutil

import (
	"context"

	"go.opentelemetry.io/otel/attribute"

	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/cli/factory"
	"github.com/hestami/concierge/internal/cli/output"
	"github.com/hestami/concierge/internal/telemetry"
)

// Act resolves the caller, builds the services and runs fn as one traced
// operation named after its API procedure.
func Act[T any](ctx context.Context, f *factory.Factory, procedure string, withWorkflows bool,
	fn func(ctx context.Context, s *factory.Services, p authz.Principal) (T, error), attrs ...attribute.KeyValue) (T, error) {
	var zero T
	s, err := f.Services(ctx, withWorkflows)
	if err != nil {
		return zero, err
	}
	p, err := f.Principal(ctx)
	if err != nil {
		return zero, err
	}
	ctx, end := telemetry.Operation(ctx, procedure, p, attrs...)
	out, err := fn(ctx, s, p)
	end(err)
	return out, err
}

// Print writes v as JSON with --json, else calls human.
func Print(f *factory.Factory, v any, human func()) error {
	if f.JSON {
		return output.JSON(f.Out, v)
	}
	human()
	return nil
}
