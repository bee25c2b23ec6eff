package cases

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"

	"github.com/dbos-inc/dbos-transact-golang/dbos"
	"go.opentelemetry.io/otel/trace"

	"github.com/hestami/concierge/internal/activity"
	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/db"
	"github.com/hestami/concierge/internal/workflow"
)

// UpdateStatusProcedure names the operation in idempotency scopes and
// workflow ids.
const UpdateStatusProcedure = "case/v1/updateStatus"

// statusChange is the durable input of one status change.
type statusChange struct {
	Input       UpdateStatusInput
	OrgID       string
	UserID      string
	ActorKind   string
	Fingerprint string
	TraceID     string
	SpanID      string
}

// statusOutcome is the durable result. Business refusals (an invalid
// transition) are outcomes, not workflow errors, so a retry replays them
// exactly instead of re-deciding.
type statusOutcome struct {
	Fingerprint string
	Case        *Case
	Code        apperr.Code
	Message     string
	Fields      []apperr.FieldError
}

const statusWorkflowName = "case.updateStatus." + workflow.APIVersion

// RegisterWorkflows registers the case workflows on e, which status changes
// then run on; call before Launch.
func (s *Service) RegisterWorkflows(e *workflow.Engine) {
	s.wf = e
	dbos.RegisterWorkflow(e.Ctx, s.updateStatusWorkflow, dbos.WithWorkflowName(statusWorkflowName))
}

func fingerprint(in UpdateStatusInput) string {
	b, _ := json.Marshal(in)
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// UpdateStatus moves a case through the state machine, exactly once per
// idempotency key: the change runs as a DBOS workflow whose id is derived
// from (organization, principal, procedure, key), so a retry — even after a
// crash between the write and the answer — returns the original outcome.
func (s *Service) UpdateStatus(ctx context.Context, p authz.Principal, in UpdateStatusInput, idempotencyKey string) (Case, error) {
	// The schema checked the input's shape in the pipeline; these are the
	// rules across fields.
	var f apperr.Fields
	if in.Status == Cancelled {
		f.Required("reason", in.Reason)
	}
	if in.Status == Resolved {
		f.Required("resolutionSummary", in.ResolutionSummary)
	}
	if idempotencyKey == "" {
		return Case{}, apperr.New(apperr.IdempotencyKeyRequired, "an idempotency key is required")
	}
	if err := f.Err(); err != nil {
		return Case{}, err
	}
	if s.wf == nil {
		return Case{}, errors.New("case service: status changes need the workflow engine")
	}
	wfID := workflow.IDFor(UpdateStatusProcedure, p.OrgID, p.UserID, idempotencyKey)
	fp := fingerprint(in)

	// A workflow with this id already ran (or runs): its outcome is the answer.
	if h, err := dbos.RetrieveWorkflow[statusOutcome](s.wf.Ctx, wfID); err == nil {
		if _, serr := h.GetStatus(); serr == nil {
			return s.await(h, fp)
		}
	}

	// First attempt: authorize against the case as it is now, then run.
	c, err := db.InTenantResult(ctx, s.db, p.OrgID, func(q db.Querier) (Case, error) { return load(ctx, q, in.ID, false) })
	if err != nil {
		return Case{}, err
	}
	if err := s.pdp.Authorize(ctx, p, resourceOf(c), "view"); err != nil {
		return Case{}, hideForbidden(err, in.ID)
	}
	action := "update_status"
	if in.Status == Cancelled {
		action = "cancel"
	}
	if err := s.pdp.Authorize(ctx, p, resourceOf(c), action); err != nil {
		return Case{}, err
	}
	in.ID = c.ID
	sc := trace.SpanContextFromContext(ctx)
	change := statusChange{Input: in, OrgID: p.OrgID, UserID: p.UserID, ActorKind: string(p.ActorKind), Fingerprint: fp}
	if sc.IsValid() {
		change.TraceID, change.SpanID = sc.TraceID().String(), sc.SpanID().String()
	}
	h, err := dbos.RunWorkflow(s.wf.Ctx, s.updateStatusWorkflow, change, dbos.WithWorkflowID(wfID))
	if err != nil {
		return Case{}, apperr.Wrap(apperr.DependencyUnavailable, err, "the workflow engine is unavailable")
	}
	return s.await(h, fp)
}

func (s *Service) await(h dbos.WorkflowHandle[statusOutcome], fp string) (Case, error) {
	out, err := h.GetResult()
	if err != nil {
		return Case{}, apperr.Wrap(apperr.Internal, err, "the status change failed")
	}
	if out.Fingerprint != fp {
		return Case{}, apperr.New(apperr.IdempotencyKeyReused, "this idempotency key was already used with a different input")
	}
	if out.Code != "" {
		return Case{}, &apperr.Error{Code: out.Code, Message: out.Message, Fields: out.Fields}
	}
	return *out.Case, nil
}

func (s *Service) updateStatusWorkflow(ctx dbos.Context, in statusChange) (statusOutcome, error) {
	out, err := dbos.RunAsTransaction(ctx, s.wf.DS, func(tctx context.Context, tx dbos.Tx) (statusOutcome, error) {
		return applyStatusChange(tctx, workflow.Querier(tx), in)
	})
	if err == nil && s.afterApply != nil {
		s.afterApply()
	}
	return out, err
}

// applyStatusChange is the body of the durable transaction.
func applyStatusChange(ctx context.Context, q db.Querier, in statusChange) (statusOutcome, error) {
	out := statusOutcome{Fingerprint: in.Fingerprint}
	if err := db.SetTenant(ctx, q, in.OrgID); err != nil {
		return out, err
	}
	if tid, err := trace.TraceIDFromHex(in.TraceID); err == nil {
		sid, _ := trace.SpanIDFromHex(in.SpanID)
		ctx = trace.ContextWithRemoteSpanContext(ctx, trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid}))
	}
	before, err := load(ctx, q, in.Input.ID, true)
	if err != nil {
		if ae := apperr.From(err); ae.Code == apperr.NotFound {
			out.Code, out.Message = ae.Code, ae.Message
			return out, nil
		}
		return out, err
	}
	to := Status(in.Input.Status)
	if !CanTransition(before.Status, to) {
		out.Code = apperr.InvalidTransition
		out.Message = "a case in " + string(before.Status) + " cannot move to " + string(to)
		if Terminal(before.Status) {
			out.Message += " (" + string(before.Status) + " is final)"
		}
		return out, nil
	}
	set := `status = $2, updated_at = now(), status_changed_at = now()`
	args := []any{before.ID, string(to)}
	switch to {
	case Resolved:
		set += `, resolution_summary = $3`
		args = append(args, in.Input.ResolutionSummary)
	case Cancelled:
		set += `, cancel_reason = $3`
		args = append(args, in.Input.Reason)
	case Closed:
		set += `, close_reason = $3`
		args = append(args, in.Input.Reason)
	}
	after, err := scan(q.QueryRow(ctx, `UPDATE cases SET `+set+` WHERE id = $1 RETURNING `+columns, args...))
	if err != nil {
		return out, err
	}
	if _, err := q.Exec(ctx, `INSERT INTO case_status_history (organization_id, case_id, from_status, to_status, reason, actor_kind, actor_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, in.OrgID, after.ID, string(before.Status), string(to), in.Input.Reason, in.ActorKind, in.UserID); err != nil {
		return out, err
	}
	actor := authz.Principal{UserID: in.UserID, OrgID: in.OrgID, ActorKind: authz.ActorKind(in.ActorKind)}
	if err := activity.Record(ctx, q, actor, activity.Event{EntityType: kind, EntityID: after.ID, Verb: "status_changed",
		Before: map[string]any{"status": before.Status}, After: map[string]any{"status": to, "reason": in.Input.Reason}}); err != nil {
		return out, err
	}
	if after.History, err = history(ctx, q, after.ID); err != nil {
		return out, err
	}
	out.Case = &after
	return out, nil
}
