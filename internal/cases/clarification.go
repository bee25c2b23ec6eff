package cases

import (
	"context"
	"strings"

	"github.com/hestami/concierge/internal/activity"
	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/db"
)

// ClarifyInput asks the owner a question about a case (staff), or answers
// the open one (owner side).
type ClarifyInput struct {
	ID   string `json:"id" jsonschema:"minLength=1,maxLength=100,pattern=^[^\\x00-\\x1F\\x7F-\\x9F]*$"`
	Text string `json:"text" jsonschema:"minLength=1,maxLength=10000"`
}

// Clarification is the case after a clarification step and the shared note
// that carries it.
type Clarification struct {
	Case Case `json:"case"`
	Note Note `json:"note"`
}

// clarifyStep is one direction of the clarification loop.
type clarifyStep struct {
	action string
	kind   NoteKind
	to     Status
	// from, when set, is the only status the step starts from: an answer
	// is to an open question, not a way out of ON_HOLD.
	from Status
}

var (
	askOwner  = clarifyStep{action: "request_clarification", kind: ClarificationRequest, to: PendingOwner}
	ownerSays = clarifyStep{action: "answer_clarification", kind: ClarificationResponse, to: InProgress, from: PendingOwner}
)

// RequestClarificationTx adds the question as a shared note and moves the
// case to PENDING_OWNER, in the caller's transaction.
func (s *Service) RequestClarificationTx(ctx context.Context, q db.Querier, p authz.Principal, in ClarifyInput) (Clarification, error) {
	return s.clarify(ctx, q, p, in, askOwner)
}

// AnswerClarificationTx adds the owner's answer as a shared note and moves
// the case from PENDING_OWNER back to IN_PROGRESS, in the caller's
// transaction.
func (s *Service) AnswerClarificationTx(ctx context.Context, q db.Querier, p authz.Principal, in ClarifyInput) (Clarification, error) {
	return s.clarify(ctx, q, p, in, ownerSays)
}

func (s *Service) clarify(ctx context.Context, q db.Querier, p authz.Principal, in ClarifyInput, step clarifyStep) (Clarification, error) {
	if strings.TrimSpace(in.Text) == "" {
		return Clarification{}, apperr.Field("text", "required", "text must not be blank")
	}
	before, err := s.lockOpen(ctx, q, p, in.ID)
	if err != nil {
		return Clarification{}, err
	}
	if err := s.pdp.Authorize(ctx, p, resourceOf(before), step.action); err != nil {
		if apperr.CodeOf(err) == apperr.Forbidden {
			return Clarification{}, apperr.New(apperr.Forbidden, "not allowed to %s on this case", strings.ReplaceAll(step.action, "_", " "))
		}
		return Clarification{}, err
	}
	if step.from != "" && before.Status != step.from {
		return Clarification{}, apperr.New(apperr.InvalidTransition, "case %s is in %s, not waiting for an answer (%s)", before.Number, before.Status, step.from)
	}
	if !CanTransition(before.Status, step.to) {
		return Clarification{}, apperr.New(apperr.InvalidTransition, "%s", transitionRefusal(before.Status, step.to))
	}
	n, err := s.insertNote(ctx, q, p, before, Shared, step.kind, in.Text)
	if err != nil {
		return Clarification{}, err
	}
	reason := "asked the owner a question"
	if step.kind == ClarificationResponse {
		reason = "the owner answered"
	}
	after, err := changeStatusTx(ctx, q, p, before, step.to, reason)
	if err != nil {
		return Clarification{}, err
	}
	return Clarification{Case: after, Note: n}, nil
}

// changeStatusTx moves the locked case before to a status the caller has
// already checked (PDP and state machine), with its history entry and
// activity event, as applyStatusChange does for case/v1/updateStatus.
func changeStatusTx(ctx context.Context, q db.Querier, p authz.Principal, before Case, to Status, reason string) (Case, error) {
	args := []any{before.ID, string(to)}
	set := `status = $2, updated_at = now(), status_changed_at = now(), ` + slaSet(to, nil, &args)
	after, err := scan(q.QueryRow(ctx, `UPDATE cases SET `+set+` WHERE id = $1 RETURNING `+columns, args...))
	if err != nil {
		return Case{}, err
	}
	if _, err := q.Exec(ctx, `INSERT INTO case_status_history (organization_id, case_id, from_status, to_status, reason, actor_kind, actor_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, before.OrganizationID, before.ID, string(before.Status), string(to), reason, string(p.ActorKind), p.UserID); err != nil {
		return Case{}, err
	}
	if err := activity.Record(ctx, q, p, activity.Event{EntityType: kind, EntityID: after.ID, Verb: "status_changed",
		Before: map[string]any{"status": before.Status}, After: statusEvent(to, reason, nil)}); err != nil {
		return Case{}, err
	}
	after.History, err = history(ctx, q, after.ID)
	return after, err
}
