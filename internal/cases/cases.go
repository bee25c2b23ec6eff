// Package cases owns concierge cases (domain.md §4): creation with a
// race-free per-organization number, reads with status history, filtered
// lists, and status changes through the state machine as a durable workflow.
package cases

import (
	"context"
	"errors"

	"strconv"
	"strings"
	"time"

	"github.com/invopop/jsonschema"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/hestami/concierge/internal/activity"
	"github.com/hestami/concierge/internal/api"
	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/db"
	"github.com/hestami/concierge/internal/enum"
	"github.com/hestami/concierge/internal/listing"
	"github.com/hestami/concierge/internal/records"
	"github.com/hestami/concierge/internal/workflow"
)

// Case is a concierge case.
type Case struct {
	ID                string     `json:"id"`
	OrganizationID    string     `json:"organizationId"`
	PropertyID        string     `json:"propertyId"`
	Number            string     `json:"number"`
	Title             string     `json:"title"`
	Description       string     `json:"description"`
	Category          Category   `json:"category"`
	Priority          Priority   `json:"priority"`
	Status            Status     `json:"status"`
	AssigneeID        *string    `json:"assigneeId,omitempty"`
	DueAt             *time.Time `json:"dueAt,omitempty"`
	ResolutionSummary string     `json:"resolutionSummary,omitempty"`
	CloseReason       string     `json:"closeReason,omitempty"`
	CancelReason      string     `json:"cancelReason,omitempty"`
	CreatedBy         string     `json:"createdBy"`
	CreatedAt         time.Time  `json:"createdAt"`
	UpdatedAt         time.Time  `json:"updatedAt"`
	StatusChangedAt   time.Time  `json:"statusChangedAt"`
	// RespondedAt is when the case first left INTAKE (its response).
	RespondedAt *time.Time `json:"respondedAt,omitempty"`
	// PausedSeconds and PausedSince are the SLA clock's stopped time:
	// the whole seconds of the stops that ended, and when the current one
	// began (while the case waits on someone else, or is resolved).
	PausedSeconds int64      `json:"pausedSeconds"`
	PausedSince   *time.Time `json:"pausedSince,omitempty"`
	// WaitingOn is the external party a PENDING_EXTERNAL case waits on.
	WaitingOn *WaitingOn `json:"waitingOn,omitempty"`
	// Queue is the work-queue view (urgency, SLA, next action), computed
	// when the case is read (case/v1/get, case/v1/list).
	Queue *Queue `json:"queue,omitempty"`
	// AllowedTransitions are the statuses the caller may move the case to
	// now: the state machine's targets the PDP allows and the case's state
	// permits. Only case/v1/get and case/v1/detail carry it (never null
	// there); a list would ask the PDP once per row.
	AllowedTransitions []Status       `json:"allowedTransitions,omitzero"`
	History            []StatusChange `json:"history,omitempty"`
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
	// Assignee is "me" (the caller), "none" (unassigned) or a user id.
	Assignee string `json:"assignee,omitempty" jsonschema:"pattern=^(me|none|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$"`
	// Urgency and WaitingOn filter by the work-queue view (urgency at the
	// time of the page; with Sort URGENCY, of the listing's first page).
	Urgency   []Urgency `json:"urgency,omitempty"`
	WaitingOn []Party   `json:"waitingOn,omitempty"`
	// Sort is NEWEST (newest first, the default) or URGENCY (most urgent
	// first, then oldest).
	Sort   ListSort `json:"sort,omitempty"`
	Limit  int      `json:"limit,omitempty" jsonschema:"minimum=1,maximum=100"`
	Cursor string   `json:"cursor,omitempty" jsonschema:"maxLength=1000"`
}

// UpdateStatusInput moves a case through the state machine.
type UpdateStatusInput struct {
	ID                string `json:"id" jsonschema:"minLength=1,maxLength=100,pattern=^[^\\x00-\\x1F\\x7F-\\x9F]*$"`
	Status            Status `json:"status"`
	Reason            string `json:"reason,omitempty" jsonschema:"maxLength=2000"`
	ResolutionSummary string `json:"resolutionSummary,omitempty" jsonschema:"maxLength=10000"`
	// WaitingOn is required to move to PENDING_EXTERNAL and refused
	// otherwise.
	WaitingOn *WaitingOn `json:"waitingOn,omitempty"`
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
	// targets are the SLA targets; now is the clock reads are computed at
	// (tests fix it).
	targets Targets
	now     func() time.Time
	// authority loads a delegated agent's grants inside the durable status
	// transaction (nil: none, so agents are refused).
	authority api.Authority
}

// UseAuthority sets where the durable status change reads a delegated
// agent's grants (the pipeline loads them for every other procedure).
func (s *Service) UseAuthority(a api.Authority) { s.authority = a }

const kind = "case"

// New returns the case service. wf may be nil for processes that never
// change a status; RegisterWorkflows must run before wf is launched.
func New(d *db.DB, pdp authz.Decider, wf *workflow.Engine) *Service {
	return &Service{db: d, pdp: pdp, wf: wf, targets: DefaultTargets, now: time.Now}
}

// SetTargets replaces the SLA targets (from the configuration); call it
// before the service answers requests.
func (s *Service) SetTargets(t Targets) error {
	if err := t.Validate(); err != nil {
		return err
	}
	s.targets = t
	return nil
}

// asOf is the instant a read computes its views at, in the database's
// precision (microseconds), so Go and SQL compare the same instant.
func (s *Service) asOf() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

func (s *Service) withQueue(c Case, at time.Time) Case {
	q := QueueOf(c, at, s.targets)
	c.Queue = &q
	return c
}

func resourceOf(c Case) authz.Resource {
	attr := map[string]any{"org_id": c.OrganizationID, "status": string(c.Status), "property_id": c.PropertyID, "created_by": c.CreatedBy}
	return authz.Resource{Kind: kind, ID: c.ID, Attr: attr}
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
	resolution_summary, close_reason, cancel_reason, created_by, created_at, updated_at, status_changed_at,
	responded_at, paused_seconds, paused_since, waiting_on_kind, waiting_on_name`

func scan(r db.Row) (Case, error) {
	var c Case
	var status string
	var waitKind, waitName *string
	err := r.Scan(&c.ID, &c.OrganizationID, &c.PropertyID, &c.Number, &c.Title, &c.Description, &c.Category, &c.Priority, &status,
		&c.AssigneeID, &c.DueAt, &c.ResolutionSummary, &c.CloseReason, &c.CancelReason, &c.CreatedBy, &c.CreatedAt, &c.UpdatedAt, &c.StatusChangedAt,
		&c.RespondedAt, &c.PausedSeconds, &c.PausedSince, &waitKind, &waitName)
	c.Status = Status(status)
	if waitKind != nil && waitName != nil {
		c.WaitingOn = &WaitingOn{Kind: ExternalKind(*waitKind), Name: *waitName}
	}
	return c, err
}

// table is how cases are stored, authorized and listed (newest first).
var table = &records.Table[Case]{
	Kind: kind, Name: "cases", Columns: columns, Scan: scan, Resource: resourceOf,
	Plan:         planColumns,
	NumberColumn: "number",
	Order:        records.NewestFirst(func(c Case) time.Time { return c.CreatedAt }),
}

// load reads a case by id or number ("CASE-2026-7") in the caller's tenant
// transaction.
func load(ctx context.Context, q db.Querier, ref string, forUpdate bool) (Case, error) {
	return table.Load(ctx, q, ref, forUpdate)
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

// Get returns a case (by id or number) with its status history and its
// work-queue view now.
func (s *Service) Get(ctx context.Context, p authz.Principal, ref string) (Case, error) {
	var open bool
	c, err := records.Get(ctx, s.db, s.pdp, p, table, ref, func(q db.Querier, c Case) (Case, error) {
		var err error
		if c.History, err = history(ctx, q, c.ID); err != nil {
			return c, err
		}
		open, err = hasOpenActions(ctx, q, c)
		return c, err
	})
	if err != nil {
		return c, err
	}
	if c.AllowedTransitions, err = s.allowedTransitions(ctx, p, c, open); err != nil {
		return Case{}, err
	}
	return s.withQueue(c, s.asOf()), nil
}

var planColumns = authz.Columns{
	"request.resource.id":               "id",
	"request.resource.attr.org_id":      "organization_id",
	"request.resource.attr.status":      "status",
	"request.resource.attr.property_id": "property_id",
	"request.resource.attr.created_by":  "created_by",
}

// ListSort is the order of case/v1/list.
type ListSort string

// ListSorts lists the orders: NEWEST first (by creation), or URGENCY (the
// work queue: most urgent first, then oldest).
var ListSorts = enum.New[ListSort]("NEWEST", "URGENCY")

// JSONSchema makes every ListSort field an enum.
func (ListSort) JSONSchema() *jsonschema.Schema { return ListSorts.Schema() }

// urgencyExpr is a case's urgency rank in SQL (0 most urgent), at a bound
// instant under bound targets.
const urgencyExpr = `hestami_case_urgency(cases, ?::timestamptz, ?::jsonb)`

// List returns the cases the principal may view, newest first or by
// urgency; filters combine. Every page of one listing computes urgency at
// the instant of its first page (carried in the cursor), so a case whose
// urgency changes while the caller pages is neither repeated nor skipped.
func (s *Service) List(ctx context.Context, p authz.Principal, in ListInput) (listing.Page[Case], error) {
	at := s.asOf()
	if pin := records.Pinned(in.Cursor); pin != "" {
		if t, err := time.Parse(time.RFC3339Nano, pin); err == nil {
			at = t
		}
	}
	targets := s.targets.SQLArg()
	filters := func(f *records.Filters) {
		if len(in.Status) > 0 {
			f.Where(`status = ANY(?)`, in.Status)
		}
		if len(in.Priority) > 0 {
			f.Where(`priority = ANY(?)`, in.Priority)
		}
		if in.PropertyID != "" {
			f.Where(`property_id = ?`, in.PropertyID)
		}
		if in.AssigneeID != "" {
			f.Where(`assignee_id = ?`, in.AssigneeID)
		}
		switch in.Assignee {
		case "":
		case "none":
			f.Where(`assignee_id IS NULL`)
		case "me":
			f.Where(`assignee_id = ?`, p.UserID)
		default:
			f.Where(`assignee_id = ?::uuid`, in.Assignee)
		}
		if len(in.WaitingOn) > 0 {
			var statuses []Status
			for _, party := range in.WaitingOn {
				statuses = append(statuses, partyStatuses(party)...)
			}
			f.Where(`status = ANY(?)`, statuses)
		}
		if len(in.Urgency) > 0 {
			ranks := make([]int16, len(in.Urgency))
			for i, u := range in.Urgency {
				ranks[i] = int16(u.rank())
			}
			f.Where(urgencyExpr+` = ANY(?)`, at, targets, ranks)
		}
	}
	page := records.Page{Limit: in.Limit, Cursor: in.Cursor}
	var out listing.Page[Case]
	var err error
	if in.Sort == "URGENCY" {
		out, err = records.ListSorted(ctx, s.db, s.pdp, p, table, records.Sort[Case]{
			Exprs:  []string{urgencyExpr, `created_at`},
			Values: []any{at, targets},
			Casts:  []string{"smallint", "timestamptz"},
			Key: func(c Case) []string {
				return []string{strconv.Itoa(QueueOf(c, at, s.targets).Urgency.rank()), c.CreatedAt.UTC().Format(time.RFC3339Nano)}
			},
			Pin: at.Format(time.RFC3339Nano),
		}, page, filters)
	} else {
		out, err = records.List(ctx, s.db, s.pdp, p, table, page, filters)
	}
	for i := range out.Items {
		out.Items[i] = s.withQueue(out.Items[i], at)
	}
	return out, err
}

// isForeignKey reports whether err is a violation of the named foreign key.
func isForeignKey(err error, constraint string) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23503" && pgErr.ConstraintName == constraint
}
