package decision

import (
	"context"

	"github.com/hestami/concierge/internal/api"
	"github.com/hestami/concierge/internal/listing"
)

// Register declares the ledger procedures (api.Module). There is no
// update or delete: the ledger only grows.
func (s *Service) Register(r *api.Registry) {
	spec := api.Specs{Namespace: "decision", Resource: kind}.Spec
	api.Register(r, spec("record", api.Mutation, "Record a decision in the ledger (append-only, hash-chained): rationale, options, evidence and the authority used", nil, "record", "view", "view_audit"),
		func(ctx context.Context, c api.Call, in RecordInput) (Decision, error) {
			return s.RecordTx(ctx, c.Tx, c.Principal, in)
		})
	api.Register(r, spec("get", api.Query, "Get one ledger entry (its internal audit detail for concierge staff only)", nil, "view", "view_audit"),
		func(ctx context.Context, c api.Call, in api.GetInput) (Decision, error) {
			return s.Get(ctx, c.Principal, in.ID)
		})
	api.Register(r, spec("list", api.Query, "List the ledger entries you may see, newest first", nil, "view", "view_audit"),
		func(ctx context.Context, c api.Call, in ListInput) (listing.Page[Decision], error) {
			return s.List(ctx, c.Principal, in)
		})
	api.Register(r, spec("verify", api.Query, "Recompute the organization's hash chain and name the first entry that breaks it", nil, "verify"),
		func(ctx context.Context, c api.Call, _ VerifyInput) (Report, error) {
			return s.Verify(ctx, c.Principal)
		})
	api.Register(r, spec("export", api.Query, "One page of the organization's ledger for an export file that verifies offline", nil, "export", "view_audit"),
		func(ctx context.Context, c api.Call, in ExportInput) (ExportPage, error) {
			return s.Export(ctx, c.Principal, in)
		})
}
