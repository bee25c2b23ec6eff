package cases

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/dbos-inc/dbos-transact-golang/dbos"
	"go.opentelemetry.io/otel/trace"

	"github.com/hestami/concierge/internal/action"
	"github.com/hestami/concierge/internal/activity"
	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/db"
	"github.com/hestami/concierge/internal/telemetry"
	"github.com/hestami/concierge/internal/workflow"
)

// UpdateStatusProcedure names the operation in idempotency scopes and
// workflow ids.
const UpdateStatusProcedure = "case/v1/updateStatus"

// statusChange is the durable input of one status change. It carries the
// principal as resolved when the request arrived, because the PDP decides
// inside the durable transaction, on the locked row — also when a recovered
// workflow runs it in another process.
type statusChange struct {
	Input       UpdateStatusInput
	OrgID       string
	UserID      string
	ActorKind   string
	OrgType     string
	Roles       []string
	Engaged     bool
	Fingerprint string
	TraceID     string
	SpanID      string
}

func (c statusChange) principal() authz.Principal {
	return authz.Principal{UserID: c.UserID, OrgID: c.OrgID, OrgType: c.OrgType, Roles: c.Roles, Engaged: c.Engaged, ActorKind: authz.ActorKind(c.ActorKind)}
}

// statusOutcome is the durable result. Business refusals (not found,
// forbidden, an invalid transition) are outcomes, not workflow errors, so a
// retry replays them exactly instead of re-deciding.
type statusOutcome struct {
	Fingerprint string
	Case        *Case
	Code        apperr.Code
	Message     string
	Fields      []apperr.FieldError
	// Decision is what the PDP decided (telemetry.Decision*), for the
	// request's span: the decision is made inside the durable transaction,
	// whose context carries no recording span.
	Decision string
}

func (o statusOutcome) refused(err error) statusOutcome {
	ae := apperr.From(err)
	o.Code, o.Message, o.Fields = ae.Code, ae.Message, ae.Fields
	return o
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
	c, _, err := s.UpdateStatusReplayed(ctx, p, in, idempotencyKey)
	return c, err
}

// UpdateStatusReplayed is UpdateStatus that also reports whether the answer
// came from an earlier request with the same key (its workflow already ran,
// or was running).
func (s *Service) UpdateStatusReplayed(ctx context.Context, p authz.Principal, in UpdateStatusInput, idempotencyKey string) (Case, bool, error) {
	if idempotencyKey == "" {
		return Case{}, false, apperr.New(apperr.IdempotencyKeyRequired, "an idempotency key is required")
	}
	if err := checkStatusInput(in); err != nil {
		return Case{}, false, err
	}
	if s.wf == nil {
		return Case{}, false, errors.New("case service: status changes need the workflow engine")
	}
	keyID := workflow.IDFor(UpdateStatusProcedure, p.OrgID, p.UserID, idempotencyKey)
	fp := fingerprint(in)

	// A workflow of this key already ran (or runs): its outcome is the
	// answer. One that failed (the PDP or the database stayed unreachable
	// through every retry: nothing was decided, nothing applied) answers
	// nothing, as the idempotency table records no such failure: the key's
	// next attempt runs under the next attempt id.
	wfID := ""
	for attempt := 0; attempt < maxAttempts && wfID == ""; attempt++ {
		id := attemptID(keyID, attempt)
		h, err := dbos.RetrieveWorkflow[statusOutcome](s.wf.Ctx, id)
		var st dbos.WorkflowStatus
		if err == nil {
			st, err = h.GetStatus()
		}
		switch {
		case errors.Is(err, dbos.ErrNonExistentWorkflow):
			wfID = id
		case err != nil:
			// Not knowing whether this attempt exists, starting another
			// could apply the change twice.
			return Case{}, false, apperr.Wrap(apperr.DependencyUnavailable, err, "the workflow engine is unavailable")
		case failed(st.Status):
			continue
		default:
			if h, err = s.adoptOrphan(h, st); err != nil {
				return Case{}, false, err
			}
			c, stored, err := s.await(h, fp, nil) // a replay decides nothing
			return c, stored, err
		}
	}
	if wfID == "" {
		return Case{}, false, apperr.New(apperr.Conflict, "this idempotency key failed %d times; use a new key", maxAttempts)
	}

	// Authorization happens inside the workflow's transaction, on the locked
	// row: deciding here, on a row another request may be changing, let an
	// owner cancel a case that staff had just moved out of INTAKE.
	sc := trace.SpanContextFromContext(ctx)
	change := statusChange{Input: in, OrgID: p.OrgID, UserID: p.UserID, ActorKind: string(p.ActorKind),
		OrgType: p.OrgType, Roles: p.Roles, Engaged: p.Engaged, Fingerprint: fp}
	if sc.IsValid() {
		change.TraceID, change.SpanID = sc.TraceID().String(), sc.SpanID().String()
	}
	h, err := dbos.RunWorkflow(s.wf.Ctx, s.updateStatusWorkflow, change, dbos.WithWorkflowID(wfID))
	if err != nil {
		return Case{}, false, apperr.Wrap(apperr.DependencyUnavailable, err, "the workflow engine is unavailable")
	}
	c, _, err := s.await(h, fp, func(decision string) { telemetry.RecordDecision(ctx, decision) })
	return c, false, err
}

// checkStatusInput applies the rules across fields of a status change (the
// schema checked the input's shape in the pipeline).
func checkStatusInput(in UpdateStatusInput) error {
	var f apperr.Fields
	if in.Status == Cancelled {
		f.Required("reason", in.Reason)
	}
	if in.Status == Resolved {
		f.Required("resolutionSummary", in.ResolutionSummary)
	}
	switch {
	case in.Status == PendingExternal && in.WaitingOn == nil:
		f.Add("waitingOn", "required", "waitingOn (the HOA, vendor or other party the case will wait on) is required to move to PENDING_EXTERNAL")
	case in.Status == PendingExternal:
		f.Required("waitingOn.name", in.WaitingOn.Name)
	case in.WaitingOn != nil:
		f.Add("waitingOn", "not_allowed", "waitingOn is only for a move to PENDING_EXTERNAL")
	}
	return f.Err()
}

// failed reports whether a workflow ended without an outcome: its function
// failed (the PDP or the database stayed unreachable through every retry,
// so its transaction rolled back), or it was cancelled or given up on.
func failed(st dbos.WorkflowStatusType) bool {
	return st == dbos.WorkflowStatusError || st == dbos.WorkflowStatusCancelled || st == dbos.WorkflowStatusMaxRecoveryAttemptsExceeded
}

// maxAttempts bounds how many failed workflows one key may leave behind.
const maxAttempts = 20

// attemptID names the attempt-th workflow of a key; the first is the key's
// own id, so ids stay what they were before attempts existed.
func attemptID(keyID string, attempt int) string {
	if attempt == 0 {
		return keyID
	}
	return keyID + "~" + strconv.Itoa(attempt)
}

// adoptOrphan resumes a workflow left pending by another CLI process. CLI
// processes have their own executor ids, so no launch ever recovers a CLI's
// workflow; a CLI killed mid-change would otherwise leave its key waiting
// forever. Resuming one that is in fact still running is safe: DBOS hands
// the workflow to one owner, and its transaction commits at most once.
// Workflows of a server executor are left to that server's recovery.
func (s *Service) adoptOrphan(h dbos.WorkflowHandle[statusOutcome], st dbos.WorkflowStatus) (dbos.WorkflowHandle[statusOutcome], error) {
	if st.Status != dbos.WorkflowStatusPending || !strings.HasPrefix(st.ExecutorID, workflow.CLIExecutorPrefix) || st.ExecutorID == s.wf.ExecutorID {
		return h, nil
	}
	rh, err := dbos.ResumeWorkflow[statusOutcome](s.wf.Ctx, st.ID)
	if err != nil {
		return nil, apperr.Wrap(apperr.DependencyUnavailable, err, "the workflow engine is unavailable")
	}
	return rh, nil
}

// await returns the workflow's outcome, and whether it is one (the stored
// success or refusal of this input, as opposed to a failure to get it or a
// key used for another input); record, when not nil, receives the PDP
// decision the workflow made.
func (s *Service) await(h dbos.WorkflowHandle[statusOutcome], fp string, record func(decision string)) (Case, bool, error) {
	out, err := h.GetResult()
	if record == nil {
		record = func(string) {}
	}
	if err == nil && out.Decision != "" {
		record(out.Decision)
	}
	if err != nil {
		if apperr.CodeOf(err) == apperr.DependencyUnavailable {
			record(telemetry.DecisionError)
			// The PDP stayed unreachable through every retry; nothing was applied.
			return Case{}, false, apperr.Wrap(apperr.DependencyUnavailable, err, "the authorization service is unavailable")
		}
		return Case{}, false, apperr.Wrap(apperr.Internal, err, "the status change failed")
	}
	if out.Fingerprint != fp {
		return Case{}, false, apperr.New(apperr.IdempotencyKeyReused, "this idempotency key was already used with a different input")
	}
	if out.Code != "" {
		return Case{}, true, &apperr.Error{Code: out.Code, Message: out.Message, Fields: out.Fields}
	}
	return *out.Case, true, nil
}

// pdpRetries bounds how often the durable transaction is retried while the
// PDP cannot answer; each attempt is a fresh transaction.
const pdpRetries = 3

func (s *Service) updateStatusWorkflow(ctx dbos.Context, in statusChange) (statusOutcome, error) {
	out, err := dbos.RunAsTransaction(workflow.WithTenant(ctx, in.OrgID), s.wf.DS, func(tctx context.Context, tx dbos.Tx) (statusOutcome, error) {
		return s.applyStatusChange(tctx, workflow.Querier(tx), in)
	}, dbos.WithStepMaxRetries(pdpRetries), dbos.WithStepBaseInterval(200*time.Millisecond),
		dbos.WithStepRetryPredicate(func(err error) bool { return apperr.CodeOf(err) == apperr.DependencyUnavailable }))
	if err == nil && s.afterApply != nil {
		s.afterApply()
	}
	return out, err
}

// applyStatusChange is the body of the durable transaction: lock the case,
// let the PDP decide on the locked row, check the state machine, apply.
func (s *Service) applyStatusChange(ctx context.Context, q db.Querier, in statusChange) (statusOutcome, error) {
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
		// Nothing is written yet: a refusal the database raised (a
		// malformed reference, say) is an outcome like any other.
		switch mapped := db.MapError(err); apperr.CodeOf(mapped) {
		case apperr.NotFound, apperr.Validation:
			return out.refused(mapped), nil
		}
		return out, err
	}
	if s.afterLock != nil {
		s.afterLock(in.UserID)
	}
	p := in.principal()
	// A delegated agent's grants are read here, under this transaction's
	// lock, not carried in the durable input: a workflow recovered after a
	// revoke must not act under the grant it started with.
	if s.authority != nil {
		if p.Grants, err = s.authority.Grants(ctx, q, p); err != nil {
			return out, err
		}
	}
	if err := s.pdp.Authorize(ctx, p, resourceOf(before), "view"); err != nil {
		if apperr.CodeOf(err) == apperr.Forbidden {
			out.Decision = telemetry.DecisionDeny
			return out.refused(table.NotFound(in.Input.ID)), nil
		}
		return out, err // the PDP could not answer: retried, never stored as a decision
	}
	to := Status(in.Input.Status)
	action, refusal := "update_status", "not allowed to change the status of this case"
	if to == Cancelled {
		// Owners may cancel only in some states; saying which one it is in
		// explains a refusal that a moment earlier would have been allowed.
		action, refusal = "cancel", "not allowed to cancel this case while it is in "+string(before.Status)
	}
	if err := s.pdp.Authorize(ctx, p, resourceOf(before), action); err != nil {
		if apperr.CodeOf(err) == apperr.Forbidden {
			out.Decision = telemetry.DecisionDeny
			return out.refused(apperr.New(apperr.Forbidden, "%s", refusal)), nil
		}
		return out, err
	}
	out.Decision = telemetry.DecisionAllow
	if !CanTransition(before.Status, to) {
		return out.refused(apperr.New(apperr.InvalidTransition, "%s", transitionRefusal(before.Status, to))), nil
	}
	if to == Resolved {
		// Counted under the case row lock, which adding an action takes too.
		open, err := openActions(ctx, q, before.ID)
		if err != nil {
			return out, err
		}
		if len(open) > 0 {
			return out.refused(apperr.New(apperr.InvalidTransition,
				"case %s cannot be resolved while %d action(s) are open; complete or cancel them first: %s",
				before.Number, len(open), strings.Join(open, ", "))), nil
		}
	}
	args := []any{before.ID, string(to)}
	set := `status = $2, updated_at = now(), status_changed_at = now(), ` + slaSet(to, in.Input.WaitingOn, &args)
	switch to {
	case Resolved:
		args = append(args, in.Input.ResolutionSummary)
		set += `, resolution_summary = $` + strconv.Itoa(len(args))
	case Cancelled:
		args = append(args, in.Input.Reason)
		set += `, cancel_reason = $` + strconv.Itoa(len(args))
	case Closed:
		args = append(args, in.Input.Reason)
		set += `, close_reason = $` + strconv.Itoa(len(args))
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
		Before: map[string]any{"status": before.Status}, After: statusEvent(to, in.Input.Reason, in.Input.WaitingOn)}); err != nil {
		return out, err
	}
	if after.History, err = history(ctx, q, after.ID); err != nil {
		return out, err
	}
	out.Case = &after
	return out, nil
}

// openActions names the concierge actions of a case that are not final
// ("title" (STATUS)), oldest first.
func openActions(ctx context.Context, q db.Querier, caseID string) ([]string, error) {
	rows, err := q.Query(ctx, `SELECT title, status FROM case_actions WHERE case_id = $1 AND status = ANY($2)
		ORDER BY created_at, id`, caseID, action.Open)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var open []string
	for rows.Next() {
		var title, status string
		if err := rows.Scan(&title, &status); err != nil {
			return nil, err
		}
		open = append(open, strconv.Quote(title)+" ("+status+")")
	}
	return open, rows.Err()
}
