package quoteimport

import (
	"context"

	"github.com/hestami/concierge/internal/api"
	"github.com/hestami/concierge/internal/apperr"
)

// Register declares quote/v1/import (procedure.go) and the batch
// procedures (api.Module).
func (s *Service) Register(r *api.Registry) {
	s.registerImport(r)
	batch := api.Specs{Namespace: "quoteimport", Resource: quoteKind}.Spec
	api.Register(r, batch("list", api.Query, "List the organization's quote import batches, newest first", nil, "import"),
		func(ctx context.Context, c api.Call, in BatchListInput) (BatchList, error) {
			return s.ListBatches(ctx, c.Principal, in)
		})
	api.Register(r, batch("get", api.Query, "Get one quote import batch: its file hash and rows read, written and rejected", nil, "import"),
		func(ctx context.Context, c api.Call, in BatchRef) (Summary, error) {
			return s.GetBatch(ctx, c.Principal, in)
		})
	api.Register(r, batch("revert", api.Mutation,
		"Delete exactly the quotes an import batch created; refused, naming them, when any was accepted, billed or scheduled",
		[]apperr.Code{apperr.InvalidTransition, apperr.Conflict}, "import"),
		func(ctx context.Context, c api.Call, in BatchRef) (Summary, error) {
			return s.RevertTx(ctx, c.Tx, c.Principal, in)
		})
}
