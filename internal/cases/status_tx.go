package cases

import (
	"context"

	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/db"
)

// ChangeStatusTx applies a status change inside the caller's tenant
// transaction, for another domain whose own act moves the case (an HOA
// approval submitted makes the case wait on that HOA; its decision ends the
// wait). The rules are those of case/v1/updateStatus, applied by the same
// code: the case locked, the PDP asked on the locked row (the caller needs
// update_status on the case), the state machine, the SLA clock, the status
// history and the activity event. Exactly-once comes from the caller's
// idempotent transaction rather than a workflow of its own.
func (s *Service) ChangeStatusTx(ctx context.Context, q db.Querier, p authz.Principal, in UpdateStatusInput) (Case, error) {
	if err := checkStatusInput(in); err != nil {
		return Case{}, err
	}
	out, err := s.applyStatusChange(ctx, q, statusChange{Input: in, OrgID: p.OrgID, UserID: p.UserID,
		ActorKind: string(p.ActorKind), OrgType: p.OrgType, Roles: p.Roles, Engaged: p.Engaged})
	if err != nil {
		return Case{}, err
	}
	if out.Code != "" {
		return Case{}, &apperr.Error{Code: out.Code, Message: out.Message, Fields: out.Fields}
	}
	return *out.Case, nil
}
