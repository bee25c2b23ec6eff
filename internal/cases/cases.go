// Package cases owns concierge cases (domain.md §4): creation with a
// race-free per-organization number, reads with status history, filtered
// lists, and status changes through the state machine as a durable workflow.
package cases

import (
	"context"
	"errors"

	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/hestami/concierge/internal/activity"
	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/db"
	"github.com/hestami/concierge/internal/listing"
	"github.com/hestami/concierge/internal/workflow"
)

// Case is a concierge case.
type Case struct {
	ID                string         `json:"id"`
	OrganizationID    string         `json:"organizationId"`
	PropertyID        string         `json:"propertyId"`
	Number            string         `json:"number"`
	Title             string         `json:"title"`
	Description       string         `json:"description"`
	Category          Category       `json:"category"`
	Priority          Priority       `json:"priority"`
	Status            Status         `json:"status"`
	AssigneeID        *string        `json:"assigneeId,omitempty"`
	DueAt             *time.Time     `json:"dueAt,omitempty"`
	ResolutionSummary string         `json:"resolutionSummary,omitempty"`
	CloseReason       string         `json:"closeReason,omitempty"`
	CancelReason      string         `json:"cancelReason,omitempty"`
	CreatedBy         string         `json:"createdBy"`
	CreatedAt         time.Time      `json:"createdAt"`
	UpdatedAt         time.Time      `json:"updatedAt"`
	StatusChangedAt   time.Time      `json:"statusChangedAt"`
	History           []StatusChange `json:"history,omitempty"`
}

// StatusChange is one entry of a case's status history.
type StatusChange struct {
	From      *Status   `json:"from,omitempty"`
	To        Status    `json:"to"`
	Reason    string    `json:"reason,omitempty"`
	ActorKind string    `json:"actorKind"`
	ActorID   string    `json:"actorId"`
	ChangedAt time.Time `json:"changedAt"`
}

// CreateInput opens a case.
type CreateInput struct {
	PropertyID  string     `json:"propertyId" jsonschema:"format=uuid"`
	Title       string     `json:"title" jsonschema:"minLength=1,maxLength=200,pattern=^[^\\x00-\\x1F\\x7F-\\x9F]*$"`
	Description string     `json:"description,omitempty" jsonschema:"maxLength=10000"`
	Category    Category   `json:"category,omitempty"`
	Priority    Priority   `json:"priority,omitempty"`
	DueAt       *time.Time `json:"dueAt,omitempty"`
}

// ListInput filters and pages cases; filters combine.
type ListInput struct {
	Status     []Status   `json:"status,omitempty"`
	Priority   []Priority `json:"priority,omitempty"`
	PropertyID string     `json:"propertyId,omitempty" jsonschema:"format=uuid"`
	AssigneeID string     `json:"assigneeId,omitempty" jsonschema:"format=uuid"`
	Limit      int        `json:"limit,omitempty" jsonschema:"minimum=1,maximum=100"`
	Cursor     string     `json:"cursor,omitempty" jsonschema:"maxLength=500"`
}

// UpdateStatusInput moves a case through the state machine.
type UpdateStatusInput struct {
	ID                string `json:"id" jsonschema:"minLength=1,maxLength=100"`
	Status            Status `json:"status"`
	Reason            string `json:"reason,omitempty" jsonschema:"maxLength=2000"`
	ResolutionSummary string `json:"resolutionSummary,omitempty" jsonschema:"maxLength=10000"`
}

// Service is the case domain.
type Service struct {
	db  *db.DB
	pdp authz.Decider
	wf  *workflow.Engine
	// afterApply runs between the committed status transaction and the end
	// of its workflow; tests use it to simulate a crash in that window.
	afterApply func()
	// afterLock runs inside the status transaction once the case row is
	// locked; tests use it to interleave two requests deterministically.
	afterLock func(userID string)
}

const kind = "case"

// New returns the case service. wf may be nil for processes that never
// change a status; RegisterWorkflows must run before wf is launched.
func New(d *db.DB, pdp authz.Decider, wf *workflow.Engine) *Service {
	return &Service{db: d, pdp: pdp, wf: wf}
}

func resourceOf(c Case) authz.Resource {
	attr := map[string]any{"org_id": c.OrganizationID, "status": string(c.Status), "property_id": c.PropertyID, "created_by": c.CreatedBy}
	return authz.Resource{Kind: kind, ID: c.ID, Attr: attr}
}

func notFound(id string) error { return apperr.New(apperr.NotFound, "case %s not found", id) }

func hideForbidden(err error, id string) error {
	if apperr.CodeOf(err) == apperr.Forbidden {
		return notFound(id)
	}
	return err
}

// Create opens a case in INTAKE with the next number of the organization.
func (s *Service) Create(ctx context.Context, p authz.Principal, in CreateInput) (Case, error) {
	return db.InTenantResult(ctx, s.db, p.OrgID, func(q db.Querier) (Case, error) { return s.CreateTx(ctx, q, p, in) })
}

// CreateTx is Create inside the caller's tenant transaction.
func (s *Service) CreateTx(ctx context.Context, q db.Querier, p authz.Principal, in CreateInput) (Case, error) {
	if in.Category == "" {
		in.Category = "OTHER"
	}
	if in.Priority == "" {
		in.Priority = "NORMAL"
	}
	// The input's shape (required fields, lengths, enums, formats) was
	// checked against its schema by the pipeline; what is left are rules.
	if strings.TrimSpace(in.Title) == "" {
		return Case{}, apperr.Field("title", "required", "title must not be blank")
	}
	res := authz.Resource{Kind: kind, ID: "new", Attr: map[string]any{"org_id": p.OrgID, "status": string(Intake), "property_id": in.PropertyID, "created_by": p.UserID}}
	if err := s.pdp.Authorize(ctx, p, res, "create"); err != nil {
		return Case{}, err
	}
	// The counter row is locked by the upsert, so concurrent creates in one
	// organization serialize there and never share a number. The property
	// must be one of this organization's: the composite foreign key says so
	// (and RLS hides the others).
	year := time.Now().UTC().Year()
	// One statement: number, case and its first history entry.
	c, err := scan(q.QueryRow(ctx, `WITH n AS (
			INSERT INTO case_counters (organization_id, year, last_number) VALUES ($1, $2, 1)
			ON CONFLICT (organization_id, year) DO UPDATE SET last_number = case_counters.last_number + 1
			RETURNING last_number),
		c AS (
			INSERT INTO cases (organization_id, property_id, number, title, description, category, priority, due_at, created_by)
			SELECT $1, $3, 'CASE-' || $2::int || '-' || n.last_number, $4, $5, $6, $7, $8, $9 FROM n
			RETURNING *),
		h AS (
			INSERT INTO case_status_history (organization_id, case_id, from_status, to_status, reason, actor_kind, actor_id)
			SELECT organization_id, id, NULL, status, 'opened', $10, $9 FROM c)
		SELECT `+columns+` FROM c`,
		p.OrgID, year, in.PropertyID, strings.TrimSpace(in.Title), in.Description, in.Category, in.Priority, in.DueAt, p.UserID, string(p.ActorKind)))
	if isForeignKey(err, "cases_organization_id_property_id_fkey") {
		return Case{}, &apperr.Error{Code: apperr.Validation, Message: "the input is invalid",
			Fields: []apperr.FieldError{{Field: "propertyId", Code: "not_found", Message: "propertyId names no property of this organization"}}}
	}
	if err != nil {
		return c, err
	}
	return c, activity.Record(ctx, q, p, activity.Event{EntityType: kind, EntityID: c.ID, Verb: "created", After: c})
}

const columns = `id, organization_id, property_id, number, title, description, category, priority, status, assignee_id, due_at,
	resolution_summary, close_reason, cancel_reason, created_by, created_at, updated_at, status_changed_at`

func scan(r db.Row) (Case, error) {
	var c Case
	var status string
	err := r.Scan(&c.ID, &c.OrganizationID, &c.PropertyID, &c.Number, &c.Title, &c.Description, &c.Category, &c.Priority, &status,
		&c.AssigneeID, &c.DueAt, &c.ResolutionSummary, &c.CloseReason, &c.CancelReason, &c.CreatedBy, &c.CreatedAt, &c.UpdatedAt, &c.StatusChangedAt)
	c.Status = Status(status)
	return c, err
}

// load reads a case by id or number ("CASE-2026-7") in the caller's tenant
// transaction.
func load(ctx context.Context, q db.Querier, ref string, forUpdate bool) (Case, error) {
	where := `number = $1`
	if uuid.Validate(ref) == nil {
		where = `id = $1::uuid`
	}
	sql := `SELECT ` + columns + ` FROM cases WHERE ` + where
	if forUpdate {
		sql += ` FOR UPDATE`
	}
	c, err := scan(q.QueryRow(ctx, sql, ref))
	if errors.Is(err, pgx.ErrNoRows) {
		return c, notFound(ref)
	}
	return c, err
}

func history(ctx context.Context, q db.Querier, caseID string) ([]StatusChange, error) {
	rows, err := q.Query(ctx, `SELECT from_status, to_status, reason, actor_kind, actor_id, changed_at
		FROM case_status_history WHERE case_id = $1 ORDER BY id`, caseID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []StatusChange
	for rows.Next() {
		var h StatusChange
		var from *string
		var to string
		if err := rows.Scan(&from, &to, &h.Reason, &h.ActorKind, &h.ActorID, &h.ChangedAt); err != nil {
			return nil, err
		}
		if from != nil {
			f := Status(*from)
			h.From = &f
		}
		h.To = Status(to)
		out = append(out, h)
	}
	return out, rows.Err()
}

// Get returns a case (by id or number) with its status history.
func (s *Service) Get(ctx context.Context, p authz.Principal, ref string) (Case, error) {
	c, err := db.InTenantResult(ctx, s.db, p.OrgID, func(q db.Querier) (Case, error) {
		c, err := load(ctx, q, ref, false)
		if err != nil {
			return c, err
		}
		c.History, err = history(ctx, q, c.ID)
		return c, err
	})
	if err != nil {
		return Case{}, err
	}
	if err := s.pdp.Authorize(ctx, p, resourceOf(c), "view"); err != nil {
		return Case{}, hideForbidden(err, ref)
	}
	return c, nil
}

var planColumns = authz.Columns{
	"request.resource.id":               "id",
	"request.resource.attr.org_id":      "organization_id",
	"request.resource.attr.status":      "status",
	"request.resource.attr.property_id": "property_id",
	"request.resource.attr.created_by":  "created_by",
}

// List returns the cases the principal may view, newest first.
func (s *Service) List(ctx context.Context, p authz.Principal, in ListInput) (listing.Page[Case], error) {
	var f apperr.Fields
	limit := listing.Limit(&f, in.Limit)
	cur := listing.Decode(&f, in.Cursor)
	if err := f.Err(); err != nil {
		return listing.Page[Case]{}, err
	}
	plan, err := s.pdp.QueryFilter(ctx, p, kind, "view")
	if err != nil {
		return listing.Page[Case]{}, err
	}
	args := &authz.Args{}
	where, err := plan.SQL(planColumns, args)
	if err != nil {
		return listing.Page[Case]{}, apperr.Wrap(apperr.Internal, err, "authorization filter could not be applied")
	}
	conds := []string{where}
	if len(in.Status) > 0 {
		conds = append(conds, `status = ANY(`+args.Add(in.Status)+`)`)
	}
	if len(in.Priority) > 0 {
		conds = append(conds, `priority = ANY(`+args.Add(in.Priority)+`)`)
	}
	if in.PropertyID != "" {
		conds = append(conds, `property_id = `+args.Add(in.PropertyID))
	}
	if in.AssigneeID != "" {
		conds = append(conds, `assignee_id = `+args.Add(in.AssigneeID))
	}
	if cur != nil {
		t, err := time.Parse(time.RFC3339Nano, cur.Key)
		if err != nil {
			f.Add("cursor", "invalid", "cursor is not one this server returned")
			return listing.Page[Case]{}, f.Err()
		}
		conds = append(conds, `(created_at, id) < (`+args.Add(t)+`, `+args.Add(cur.ID)+`::uuid)`)
	}
	sql := `SELECT ` + columns + ` FROM cases WHERE ` + strings.Join(conds, " AND ") +
		` ORDER BY created_at DESC, id DESC LIMIT ` + args.Add(limit+1)
	items := []Case{}
	err = s.db.InTenantRead(ctx, p.OrgID, func(q db.Querier) error {
		rows, err := q.Query(ctx, sql, args.List()...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			c, err := scan(rows)
			if err != nil {
				return err
			}
			items = append(items, c)
		}
		return rows.Err()
	})
	if err != nil {
		return listing.Page[Case]{}, err
	}
	page := listing.Page[Case]{Items: items}
	if len(items) > limit {
		page.Items = items[:limit]
		last := page.Items[limit-1]
		page.NextCursor = listing.Encode(last.CreatedAt.Format(time.RFC3339Nano), last.ID)
	}
	return page, nil
}

// isForeignKey reports whether err is a violation of the named foreign key.
func isForeignKey(err error, constraint string) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23503" && pgErr.ConstraintName == constraint
}
