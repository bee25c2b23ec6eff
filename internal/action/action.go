// Package action owns concierge actions (domain.md §6): the units of work
// staff plan and perform on a case — a phone call, a vendor contact, a
// document review — each with its own state machine (Transitions):
//
//	| from        | allowed to                      |
//	|-------------|---------------------------------|
//	| (new)       | PLANNED                         |
//	| PLANNED     | IN_PROGRESS, CANCELLED          |
//	| IN_PROGRESS | COMPLETED, BLOCKED, CANCELLED   |
//	| BLOCKED     | IN_PROGRESS, CANCELLED          |
//	| COMPLETED, CANCELLED | — (final)              |
//
// Completing needs an outcome; a BLOCKED action names what it waits on.
// Only concierge staff (of engaged organizations) and platform admins plan
// and perform actions; the owner side may view those of its cases.
//
// A case cannot be resolved while one of its actions is open (internal/cases
// counts them in its status transaction, under the case row lock). Adding an
// action takes the same lock, so an action cannot slip in beside a resolve;
// and nothing is added to a case that is CLOSED, CANCELLED or RESOLVED (a
// resolved case is reopened first, or it would be resolved with open work).
package action

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hestami/concierge/internal/activity"
	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/db"
	"github.com/hestami/concierge/internal/listing"
	"github.com/hestami/concierge/internal/records"
)

// Action is one concierge action on a case.
type Action struct {
	ID             string     `json:"id"`
	OrganizationID string     `json:"organizationId"`
	CaseID         string     `json:"caseId"`
	Type           Type       `json:"type"`
	Title          string     `json:"title"`
	Description    string     `json:"description,omitempty"`
	Status         Status     `json:"status"`
	PlannedAt      *time.Time `json:"plannedAt,omitempty"`
	WaitingOn      string     `json:"waitingOn,omitempty"`
	Outcome        string     `json:"outcome,omitempty"`
	CancelReason   string     `json:"cancelReason,omitempty"`
	PerformedBy    *string    `json:"performedBy,omitempty"`
	CreatedBy      string     `json:"createdBy"`
	CreatedAt      time.Time  `json:"createdAt"`
	UpdatedAt      time.Time  `json:"updatedAt"`
	CompletedAt    *time.Time `json:"completedAt,omitempty"`
	// PropertyID is the case's property: what a delegation grant is for.
	PropertyID string `json:"-"`
}

// CreateInput plans an action on a case.
type CreateInput struct {
	CaseID      string     `json:"caseId" jsonschema:"minLength=1,maxLength=100,pattern=^[^\\x00-\\x1F\\x7F-\\x9F]*$,description=the case id or number (CASE-2026-7)"`
	Type        Type       `json:"type,omitempty" jsonschema:"description=default: OTHER"`
	Title       string     `json:"title" jsonschema:"minLength=1,maxLength=200,pattern=^[^\\x00-\\x1F\\x7F-\\x9F]*$"`
	Description string     `json:"description,omitempty" jsonschema:"maxLength=10000"`
	PlannedAt   *time.Time `json:"plannedAt,omitempty"`
}

// StartInput starts (or, from BLOCKED, resumes) an action.
type StartInput struct {
	ID string `json:"id" jsonschema:"format=uuid"`
}

// CompleteInput completes an action with its outcome.
type CompleteInput struct {
	ID      string `json:"id" jsonschema:"format=uuid"`
	Outcome string `json:"outcome,omitempty" jsonschema:"maxLength=10000,description=what came of it (required)"`
}

// BlockInput marks an action as waiting on something.
type BlockInput struct {
	ID        string `json:"id" jsonschema:"format=uuid"`
	WaitingOn string `json:"waitingOn,omitempty" jsonschema:"maxLength=2000,description=what the action waits on (required)"`
}

// CancelInput drops an action.
type CancelInput struct {
	ID     string `json:"id" jsonschema:"format=uuid"`
	Reason string `json:"reason,omitempty" jsonschema:"maxLength=2000"`
}

// ListInput lists the actions of one case, oldest first.
type ListInput struct {
	CaseID string   `json:"caseId" jsonschema:"minLength=1,maxLength=100,pattern=^[^\\x00-\\x1F\\x7F-\\x9F]*$,description=the case id or number (CASE-2026-7)"`
	Status []Status `json:"status,omitempty"`
	Limit  int      `json:"limit,omitempty" jsonschema:"minimum=1,maximum=100"`
	Cursor string   `json:"cursor,omitempty" jsonschema:"maxLength=500"`
}

// Service is the action domain.
type Service struct {
	db  *db.DB
	pdp authz.Decider
}

// New returns the action service.
func New(d *db.DB, pdp authz.Decider) *Service { return &Service{db: d, pdp: pdp} }

const kind = "action"

func resourceOf(a Action) authz.Resource {
	return authz.Resource{Kind: kind, ID: a.ID, Attr: map[string]any{
		"org_id": a.OrganizationID, "case_id": a.CaseID, "property_id": a.PropertyID, "status": string(a.Status), "type": string(a.Type)}}
}

const columns = `id, organization_id, case_id, type, title, description, status, planned_at, blocked_on, outcome, cancel_reason,
	performed_by, created_by, created_at, updated_at, completed_at,
	(SELECT c.property_id FROM cases c WHERE c.id = case_actions.case_id)`

func scan(r db.Row) (Action, error) {
	var a Action
	err := r.Scan(&a.ID, &a.OrganizationID, &a.CaseID, &a.Type, &a.Title, &a.Description, &a.Status, &a.PlannedAt, &a.WaitingOn,
		&a.Outcome, &a.CancelReason, &a.PerformedBy, &a.CreatedBy, &a.CreatedAt, &a.UpdatedAt, &a.CompletedAt, &a.PropertyID)
	return a, err
}

// table is how actions are stored, authorized and listed (oldest first: the
// order they were planned in).
var table = &records.Table[Action]{
	Kind: kind, Name: "case_actions", Columns: columns, Scan: scan, Resource: resourceOf,
	Plan: authz.Columns{
		"request.resource.id":               "id",
		"request.resource.attr.org_id":      "organization_id",
		"request.resource.attr.case_id":     "case_id",
		"request.resource.attr.property_id": "(SELECT c.property_id FROM cases c WHERE c.id = case_actions.case_id)",
		"request.resource.attr.status":      "status",
		"request.resource.attr.type":        "type",
	},
	Order: records.Order[Action]{Column: "created_at", Ascending: true,
		Key: func(a Action) string { return a.CreatedAt.UTC().Format(time.RFC3339Nano) }},
}

// caseWhere selects a case by its id or, when ref is no uuid, its number.
func caseWhere(ref string) (where string, arg string) {
	if id, err := uuid.Parse(ref); err == nil {
		return `id = $1::uuid`, id.String()
	}
	return `number = $1`, ref
}

// List returns the actions of one case that the principal may view, oldest
// first.
func (s *Service) List(ctx context.Context, p authz.Principal, in ListInput) (listing.Page[Action], error) {
	where, arg := caseWhere(in.CaseID)
	return records.List(ctx, s.db, s.pdp, p, table, records.Page{Limit: in.Limit, Cursor: in.Cursor}, func(f *records.Filters) {
		f.Where(`case_id = (SELECT id FROM cases WHERE `+strings.Replace(where, "$1", "?", 1)+`)`, arg)
		if len(in.Status) > 0 {
			f.Where(`status = ANY(?)`, in.Status)
		}
	})
}

// Create plans an action on a case.
func (s *Service) Create(ctx context.Context, p authz.Principal, in CreateInput) (Action, error) {
	return db.InTenantResult(ctx, s.db, p.OrgID, func(q db.Querier) (Action, error) { return s.CreateTx(ctx, q, p, in) })
}

// CreateTx is Create inside the caller's tenant transaction.
func (s *Service) CreateTx(ctx context.Context, q db.Querier, p authz.Principal, in CreateInput) (Action, error) {
	if in.Type == "" {
		in.Type = "OTHER"
	}
	if strings.TrimSpace(in.Title) == "" {
		return Action{}, apperr.Field("title", "required", "title must not be blank")
	}
	a := Action{OrganizationID: p.OrgID, Type: in.Type, Title: strings.TrimSpace(in.Title), Description: in.Description,
		Status: Planned, PlannedAt: in.PlannedAt, CreatedBy: p.UserID}
	// The case row lock is the one a resolve holds while it counts the
	// open actions: taken here first, an action is never added beside a
	// resolve. NO KEY UPDATE: it excludes the status change's FOR UPDATE
	// all the same, without blocking foreign-key checks of other writers.
	where, arg := caseWhere(in.CaseID)
	var number, caseStatus string
	err := q.QueryRow(ctx, `SELECT id, number, status, property_id FROM cases WHERE `+where+` FOR NO KEY UPDATE`, arg).Scan(&a.CaseID, &number, &caseStatus, &a.PropertyID)
	if errors.Is(err, pgx.ErrNoRows) {
		// Who may not plan actions learns nothing about which cases exist.
		res := resourceOf(a)
		res.ID = "new"
		if err := s.pdp.Authorize(ctx, p, res, "create"); err != nil {
			return Action{}, err
		}
		return Action{}, apperr.Field("caseId", "not_found", "caseId names no case of this organization")
	}
	if err != nil {
		return Action{}, err
	}
	res := resourceOf(a)
	res.ID = "new"
	if err := s.pdp.Authorize(ctx, p, res, "create"); err != nil {
		return Action{}, err
	}
	switch caseStatus {
	case "CLOSED", "CANCELLED":
		return Action{}, apperr.New(apperr.Conflict, "case %s is %s: nothing can be added to it", number, caseStatus)
	case "RESOLVED":
		return Action{}, apperr.New(apperr.Conflict, "case %s is RESOLVED: reopen it (IN_PROGRESS) before adding an action", number)
	}
	out, err := scan(q.QueryRow(ctx, `INSERT INTO case_actions (organization_id, case_id, type, title, description, planned_at, created_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING `+columns,
		p.OrgID, a.CaseID, a.Type, a.Title, a.Description, a.PlannedAt, p.UserID))
	if err != nil {
		return out, err
	}
	return out, activity.Record(ctx, q, p, activity.Event{EntityType: kind, EntityID: out.ID, Verb: "created", After: out})
}

// StartTx starts a planned action, or resumes a blocked one.
func (s *Service) StartTx(ctx context.Context, q db.Querier, p authz.Principal, in StartInput) (Action, error) {
	return s.change(ctx, q, p, in.ID, InProgress, "started", func(a *Action) {
		a.WaitingOn = ""
		a.PerformedBy = &p.UserID
	})
}

// CompleteTx completes an action with its outcome.
func (s *Service) CompleteTx(ctx context.Context, q db.Querier, p authz.Principal, in CompleteInput) (Action, error) {
	if strings.TrimSpace(in.Outcome) == "" {
		return Action{}, apperr.Field("outcome", "required", "completing an action needs its outcome")
	}
	return s.change(ctx, q, p, in.ID, Completed, "completed", func(a *Action) {
		a.Outcome = strings.TrimSpace(in.Outcome)
		a.PerformedBy = &p.UserID
	})
}

// BlockTx marks an action in progress as waiting on something.
func (s *Service) BlockTx(ctx context.Context, q db.Querier, p authz.Principal, in BlockInput) (Action, error) {
	if strings.TrimSpace(in.WaitingOn) == "" {
		return Action{}, apperr.Field("waitingOn", "required", "a blocked action names what it waits on")
	}
	return s.change(ctx, q, p, in.ID, Blocked, "blocked", func(a *Action) { a.WaitingOn = strings.TrimSpace(in.WaitingOn) })
}

// CancelTx drops an action that is not final.
func (s *Service) CancelTx(ctx context.Context, q db.Querier, p authz.Principal, in CancelInput) (Action, error) {
	return s.change(ctx, q, p, in.ID, Cancelled, "cancelled", func(a *Action) {
		a.WaitingOn = ""
		a.CancelReason = strings.TrimSpace(in.Reason)
	})
}

// change moves the action id to status `to` on the locked row: it
// authorizes there, runs the state machine and the case rule, applies edit,
// writes and records the event.
func (s *Service) change(ctx context.Context, q db.Querier, p authz.Principal, id string, to Status, verb string,
	edit func(a *Action)) (Action, error) {
	before, err := table.Load(ctx, q, id, true)
	if err != nil {
		return before, err
	}
	if err := s.pdp.Authorize(ctx, p, resourceOf(before), "view"); err != nil {
		return Action{}, table.HideForbidden(err, id)
	}
	if err := s.pdp.Authorize(ctx, p, resourceOf(before), "update"); err != nil {
		return Action{}, err
	}
	if !CanTransition(before.Status, to) {
		return Action{}, apperr.New(apperr.InvalidTransition, "%s", transitionRefusal(before.Status, to))
	}
	// Work on a case that ended can only be dropped.
	if to != Cancelled {
		var number, caseStatus string
		if err := q.QueryRow(ctx, `SELECT number, status FROM cases WHERE id = $1`, before.CaseID).Scan(&number, &caseStatus); err != nil {
			return Action{}, err
		}
		if caseStatus == "CLOSED" || caseStatus == "CANCELLED" {
			return Action{}, apperr.New(apperr.Conflict, "case %s is %s: its actions can only be cancelled", number, caseStatus)
		}
	}
	after := before
	after.Status = to
	edit(&after)
	out, err := scan(q.QueryRow(ctx, `UPDATE case_actions SET status = $2, blocked_on = $3, outcome = $4, cancel_reason = $5,
			performed_by = $6, updated_at = now(), completed_at = CASE WHEN $2 = 'COMPLETED' THEN now() ELSE completed_at END
		WHERE id = $1 RETURNING `+columns,
		before.ID, after.Status, after.WaitingOn, after.Outcome, after.CancelReason, after.PerformedBy))
	if err != nil {
		return out, err
	}
	return out, activity.Record(ctx, q, p, activity.Event{EntityType: kind, EntityID: out.ID, Verb: verb, Before: before, After: out})
}
