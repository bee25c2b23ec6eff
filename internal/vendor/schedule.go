package vendor

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hestami/concierge/internal/activity"
	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/db"
	"github.com/hestami/concierge/internal/listing"
	"github.com/hestami/concierge/internal/records"
)

// Schedule is a vendor visit booked on a case.
type Schedule struct {
	ID             string         `json:"id"`
	OrganizationID string         `json:"organizationId"`
	CaseID         string         `json:"caseId"`
	CaseNumber     string         `json:"caseNumber"`
	VendorID       string         `json:"vendorId"`
	VendorName     string         `json:"vendorName"`
	QuoteID        *string        `json:"quoteId,omitempty"`
	WindowStart    time.Time      `json:"windowStart"`
	WindowEnd      time.Time      `json:"windowEnd"`
	Notes          string         `json:"notes,omitempty"`
	Status         ScheduleStatus `json:"status"`
	// Outcome is what came of a DONE visit, or why it was cancelled.
	Outcome    string    `json:"outcome,omitempty"`
	CreatedBy  string    `json:"createdBy"`
	CreatedAt  time.Time `json:"createdAt"`
	UpdatedAt  time.Time `json:"updatedAt"`
	PropertyID string    `json:"-"`
}

// AddScheduleInput books a vendor visit on a case.
type AddScheduleInput struct {
	CaseID      string    `json:"caseId" jsonschema:"minLength=1,maxLength=100,pattern=^[^\\x00-\\x1F\\x7F-\\x9F]*$,description=the case id or number (CASE-2026-7)"`
	VendorID    string    `json:"vendorId" jsonschema:"format=uuid"`
	QuoteID     string    `json:"quoteId,omitempty" jsonschema:"format=uuid,description=the quote of this case and vendor the visit carries out"`
	WindowStart time.Time `json:"windowStart" jsonschema:"description=when the visit window opens (RFC 3339)"`
	WindowEnd   time.Time `json:"windowEnd" jsonschema:"description=when it closes, after windowStart"`
	Notes       string    `json:"notes,omitempty" jsonschema:"maxLength=10000"`
}

// ScheduleListInput lists visits by window start.
type ScheduleListInput struct {
	CaseID   string           `json:"caseId,omitempty" jsonschema:"maxLength=100,pattern=^[^\\x00-\\x1F\\x7F-\\x9F]*$,description=only this case's visits (id or number)"`
	VendorID string           `json:"vendorId,omitempty" jsonschema:"format=uuid"`
	Status   []ScheduleStatus `json:"status,omitempty"`
	Limit    int              `json:"limit,omitempty" jsonschema:"minimum=1,maximum=100"`
	Cursor   string           `json:"cursor,omitempty" jsonschema:"maxLength=500"`
}

// FinishScheduleInput marks a visit DONE (with its outcome) or CANCELLED
// (with the reason).
type FinishScheduleInput struct {
	ID      string `json:"id" jsonschema:"format=uuid"`
	Outcome string `json:"outcome,omitempty" jsonschema:"maxLength=10000,description=what came of the visit, or why it was called off"`
}

const scheduleKind = "schedule"

const scheduleProperty = `(SELECT c.property_id FROM cases c WHERE c.id = vendor_schedules.case_id)`

const scheduleColumns = `id, organization_id, case_id, (SELECT c.number FROM cases c WHERE c.id = vendor_schedules.case_id),
	vendor_id, (SELECT v.name FROM vendors v WHERE v.id = vendor_schedules.vendor_id), quote_id, window_start, window_end, notes,
	status, outcome, created_by, created_at, updated_at, ` + scheduleProperty

func scanSchedule(r db.Row) (Schedule, error) {
	var s Schedule
	err := r.Scan(&s.ID, &s.OrganizationID, &s.CaseID, &s.CaseNumber, &s.VendorID, &s.VendorName, &s.QuoteID, &s.WindowStart, &s.WindowEnd,
		&s.Notes, &s.Status, &s.Outcome, &s.CreatedBy, &s.CreatedAt, &s.UpdatedAt, &s.PropertyID)
	return s, err
}

func scheduleResource(s Schedule) authz.Resource {
	return authz.Resource{Kind: scheduleKind, ID: s.ID, Attr: authz.AmountAttr(map[string]any{
		"org_id": s.OrganizationID, "case_id": s.CaseID, "property_id": s.PropertyID, "status": string(s.Status),
		"vendor_id": s.VendorID}, nil)}
}

var scheduleTable = &records.Table[Schedule]{
	Kind: scheduleKind, Name: "vendor_schedules", Columns: scheduleColumns, Scan: scanSchedule, Resource: scheduleResource,
	Plan: authz.Columns{
		"request.resource.id":               "id",
		"request.resource.attr.org_id":      "organization_id",
		"request.resource.attr.case_id":     "case_id",
		"request.resource.attr.property_id": scheduleProperty,
		"request.resource.attr.status":      "status",
		"request.resource.attr.vendor_id":   "vendor_id",
	},
	Order: records.Order[Schedule]{Column: "window_start", Ascending: true,
		Key: func(s Schedule) string { return s.WindowStart.UTC().Format(time.RFC3339Nano) }},
}

// GetSchedule returns one visit the principal may view.
func (s *Service) GetSchedule(ctx context.Context, p authz.Principal, id string) (Schedule, error) {
	return records.Get(ctx, s.db, s.pdp, p, scheduleTable, id, nil)
}

// ListSchedules returns the visits the principal may view, earliest window
// first.
func (s *Service) ListSchedules(ctx context.Context, p authz.Principal, in ScheduleListInput) (listing.Page[Schedule], error) {
	return records.List(ctx, s.db, s.pdp, p, scheduleTable, records.Page{Limit: in.Limit, Cursor: in.Cursor}, func(f *records.Filters) {
		caseFilter(f, in.CaseID)
		if in.VendorID != "" {
			f.Where(`vendor_id = ?::uuid`, in.VendorID)
		}
		if len(in.Status) > 0 {
			f.Where(`status = ANY(?)`, in.Status)
		}
	})
}

// linkedQuote checks that quoteID names a quote of the case and vendor and
// returns its currency and status as of now.
func linkedQuote(ctx context.Context, q db.Querier, quoteID, caseID, vendorID string) (currency string, status QuoteStatus, err error) {
	var qCase, qVendor string
	err = q.QueryRow(ctx, `SELECT case_id, vendor_id, currency, `+quoteStatusSQL+` FROM quotes WHERE id = $1::uuid`, quoteID).
		Scan(&qCase, &qVendor, &currency, &status)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", "", apperr.Field("quoteId", "not_found", "quoteId names no quote of this organization")
	}
	if err != nil {
		return "", "", err
	}
	if qCase != caseID || qVendor != vendorID {
		return "", "", apperr.Field("quoteId", "mismatch", "quoteId names a quote of another case or vendor")
	}
	return currency, status, nil
}

// AddScheduleTx books a visit (SCHEDULED) on a case that has not ended.
func (s *Service) AddScheduleTx(ctx context.Context, q db.Querier, p authz.Principal, in AddScheduleInput) (Schedule, error) {
	c, found, err := readCase(ctx, q, in.CaseID, true)
	if err != nil {
		return Schedule{}, err
	}
	if err := s.authorizeNew(ctx, p, scheduleKind, "caseId", c, found, nil); err != nil {
		return Schedule{}, err
	}
	if err := c.refuseTerminal(); err != nil {
		return Schedule{}, err
	}
	if !in.WindowEnd.After(in.WindowStart) {
		return Schedule{}, apperr.Field("windowEnd", "out_of_range", "windowEnd must be after windowStart")
	}
	if _, err := vendorName(ctx, q, in.VendorID); err != nil {
		return Schedule{}, err
	}
	var quote *string
	if in.QuoteID != "" {
		if _, _, err := linkedQuote(ctx, q, in.QuoteID, c.ID, in.VendorID); err != nil {
			return Schedule{}, err
		}
		quote = &in.QuoteID
	}
	var id string
	if err := q.QueryRow(ctx, `INSERT INTO vendor_schedules (organization_id, case_id, vendor_id, quote_id, window_start, window_end, notes, created_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		p.OrgID, c.ID, in.VendorID, quote, in.WindowStart, in.WindowEnd, strings.TrimSpace(in.Notes), p.UserID).Scan(&id); err != nil {
		return Schedule{}, err
	}
	out, err := scheduleTable.Load(ctx, q, id, false)
	if err != nil {
		return out, err
	}
	return out, activity.Record(ctx, q, p, activity.Event{EntityType: scheduleKind, EntityID: out.ID, Verb: "scheduled", After: out})
}

// CompleteScheduleTx marks a visit DONE.
func (s *Service) CompleteScheduleTx(ctx context.Context, q db.Querier, p authz.Principal, in FinishScheduleInput) (Schedule, error) {
	return s.finishSchedule(ctx, q, p, in, ScheduleDone, "done")
}

// CancelScheduleTx calls a visit off.
func (s *Service) CancelScheduleTx(ctx context.Context, q db.Querier, p authz.Principal, in FinishScheduleInput) (Schedule, error) {
	return s.finishSchedule(ctx, q, p, in, ScheduleCancelled, "cancelled")
}

func (s *Service) finishSchedule(ctx context.Context, q db.Querier, p authz.Principal, in FinishScheduleInput, to ScheduleStatus,
	verb string) (Schedule, error) {
	before, err := scheduleTable.Load(ctx, q, in.ID, true)
	if err != nil {
		return before, err
	}
	if err := s.pdp.Authorize(ctx, p, scheduleResource(before), "view"); err != nil {
		return Schedule{}, scheduleTable.HideForbidden(err, in.ID)
	}
	if err := s.pdp.Authorize(ctx, p, scheduleResource(before), "update"); err != nil {
		return Schedule{}, err
	}
	if !ScheduleTransitions.Allows(before.Status, to) {
		return Schedule{}, apperr.New(apperr.InvalidTransition, "%s", ScheduleTransitions.Refusal("a visit", before.Status, to))
	}
	out, err := scanSchedule(q.QueryRow(ctx, `UPDATE vendor_schedules SET status = $2, outcome = $3, updated_at = now()
		WHERE id = $1 RETURNING `+scheduleColumns, before.ID, to, strings.TrimSpace(in.Outcome)))
	if err != nil {
		return out, err
	}
	return out, activity.Record(ctx, q, p, activity.Event{EntityType: scheduleKind, EntityID: out.ID, Verb: verb, Before: before, After: out})
}
