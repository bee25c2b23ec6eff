package cases

import (
	"context"

	"github.com/hestami/concierge/internal/activity"
	"github.com/hestami/concierge/internal/api"
	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/db"
)

// AssignInput gives a case to a concierge staff user.
type AssignInput struct {
	ID     string `json:"id" jsonschema:"minLength=1,maxLength=100,pattern=^[^\\x00-\\x1F\\x7F-\\x9F]*$"`
	UserID string `json:"userId" jsonschema:"format=uuid"`
}

// AssignTx makes in.UserID the case's assignee, in the caller's transaction.
func (s *Service) AssignTx(ctx context.Context, q db.Querier, p authz.Principal, in AssignInput) (Case, error) {
	return s.assign(ctx, q, p, in.ID, "assign", func(Case) (*string, error) { return &in.UserID, nil })
}

// ClaimTx makes the caller the case's assignee, unless someone else already
// is: taking a colleague's case is a reassignment, which is asked for with
// assign.
func (s *Service) ClaimTx(ctx context.Context, q db.Querier, p authz.Principal, in api.GetInput) (Case, error) {
	return s.assign(ctx, q, p, in.ID, "claim", func(c Case) (*string, error) {
		if c.AssigneeID != nil && *c.AssigneeID != p.UserID {
			return nil, apperr.New(apperr.Conflict, "case %s is already assigned to someone else; reassign it with case/v1/assign", c.Number)
		}
		return &p.UserID, nil
	})
}

// UnassignTx leaves the case without an assignee.
func (s *Service) UnassignTx(ctx context.Context, q db.Querier, p authz.Principal, in api.GetInput) (Case, error) {
	return s.assign(ctx, q, p, in.ID, "assign", func(Case) (*string, error) { return nil, nil })
}

// assign locks the case, lets the PDP decide action on the locked row, and
// sets the assignee who returns (nil: none). Only concierge staff of an
// operator the case's organization engages may hold a case; the operator's
// memberships are another tenant's rows, so the database answers that.
func (s *Service) assign(ctx context.Context, q db.Querier, p authz.Principal, ref, action string, who func(Case) (*string, error)) (Case, error) {
	before, err := s.lockOpen(ctx, q, p, ref)
	if err != nil {
		return Case{}, err
	}
	if err := s.pdp.Authorize(ctx, p, resourceOf(before), action); err != nil {
		if apperr.CodeOf(err) == apperr.Forbidden {
			return Case{}, apperr.New(apperr.Forbidden, "not allowed to %s this case", action)
		}
		return Case{}, err
	}
	assignee, err := who(before)
	if err != nil {
		return Case{}, err
	}
	if assignee != nil {
		var ok bool
		if err := q.QueryRow(ctx, `SELECT hestami_case_assignable($1::uuid)`, *assignee).Scan(&ok); err != nil {
			return Case{}, err
		}
		if !ok {
			if action == "claim" {
				return Case{}, apperr.New(apperr.Forbidden, "only concierge staff of an engaged operator may hold a case")
			}
			return Case{}, apperr.Field("userId", "not_assignable", "userId is not concierge staff of an operator this organization engages")
		}
	}
	after, err := scan(q.QueryRow(ctx, `UPDATE cases SET assignee_id = $2, updated_at = now() WHERE id = $1 RETURNING `+columns, before.ID, assignee))
	if err != nil {
		return Case{}, err
	}
	verb := "assigned"
	if assignee == nil {
		verb = "unassigned"
	}
	if err := activity.Record(ctx, q, p, activity.Event{EntityType: kind, EntityID: after.ID, Verb: verb,
		Before: map[string]any{"assigneeId": before.AssigneeID}, After: map[string]any{"assigneeId": after.AssigneeID}}); err != nil {
		return Case{}, err
	}
	after.History, err = history(ctx, q, after.ID)
	return after, err
}

// registerAssignment declares the assignment procedures.
func (s *Service) registerAssignment(r *api.Registry) {
	spec := func(name, summary, action string) api.Spec {
		return api.Spec{Namespace: "case", Version: "v1", Name: name, Kind: api.Mutation, Resource: kind, Actions: []string{action}, Summary: summary}
	}
	api.Register(r, spec("assign", "Assign a case to a concierge staff user of an operator its organization engages", "assign"),
		func(ctx context.Context, c api.Call, in AssignInput) (Case, error) {
			return s.AssignTx(ctx, c.Tx, c.Principal, in)
		})
	api.Register(r, spec("claim", "Assign an unassigned case to yourself (concierge staff)", "claim"),
		func(ctx context.Context, c api.Call, in api.GetInput) (Case, error) {
			return s.ClaimTx(ctx, c.Tx, c.Principal, in)
		})
	api.Register(r, spec("unassign", "Leave a case without an assignee", "assign"),
		func(ctx context.Context, c api.Call, in api.GetInput) (Case, error) {
			return s.UnassignTx(ctx, c.Tx, c.Principal, in)
		})
}
