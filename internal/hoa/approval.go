package hoa

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/invopop/jsonschema"
	"github.com/jackc/pgx/v5"

	"github.com/hestami/concierge/internal/activity"
	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/cases"
	"github.com/hestami/concierge/internal/db"
	"github.com/hestami/concierge/internal/enum"
	"github.com/hestami/concierge/internal/listing"
	"github.com/hestami/concierge/internal/records"
	"github.com/hestami/concierge/internal/statemachine"
)

// Status is where an HOA approval is (domain.md §7).
type Status string

const (
	NotRequired            Status = "NOT_REQUIRED"
	Pending                Status = "PENDING"
	Submitted              Status = "SUBMITTED"
	Approved               Status = "APPROVED"
	ApprovedWithConditions Status = "APPROVED_WITH_CONDITIONS"
	Denied                 Status = "DENIED"
	Expired                Status = "EXPIRED"
)

// Statuses lists every status an approval is stored or read in.
var Statuses = enum.New(NotRequired, Pending, Submitted, Approved, ApprovedWithConditions, Denied, Expired).
	Stored("hoa_approvals", "status")

func (Status) JSONSchema() *jsonschema.Schema { return Statuses.Schema() }

// Transitions is the approval machine of domain.md §7:
//
//	| from                     | allowed to                                         |
//	|--------------------------|----------------------------------------------------|
//	| (new)                    | NOT_REQUIRED, PENDING                              |
//	| NOT_REQUIRED, PENDING    | SUBMITTED                                          |
//	| SUBMITTED                | APPROVED, APPROVED_WITH_CONDITIONS, DENIED, EXPIRED |
//	| DENIED                   | SUBMITTED (resubmission)                           |
//	| APPROVED, APPROVED_WITH_CONDITIONS, EXPIRED | — (final)                       |
//
// A SUBMITTED approval is EXPIRED when the HOA let it lapse (recorded as
// its decision). An APPROVED or APPROVED_WITH_CONDITIONS approval past its
// expiry reads as EXPIRED from that instant — no transition is written and
// no job runs (effectiveStatus); the decision stays readable as Outcome.
var Transitions = statemachine.Table[Status]{
	NotRequired: {Submitted},
	Pending:     {Submitted},
	Submitted:   {Approved, ApprovedWithConditions, Denied, Expired},
	Denied:      {Submitted},
}

// Initial lists the statuses an approval is created in.
var Initial = []Status{Pending, NotRequired}

// Outcome is what the HOA decided on a submission.
type Outcome string

// Outcomes lists every decision (the targets of SUBMITTED).
var Outcomes = enum.New[Outcome](Outcome(Approved), Outcome(ApprovedWithConditions), Outcome(Denied), Outcome(Expired))

func (Outcome) JSONSchema() *jsonschema.Schema { return Outcomes.Schema() }

// Type is what an approval is for.
type Type string

// Types lists every approval type.
var Types = enum.New[Type]("ARCHITECTURAL", "LANDSCAPING", "RENTAL", "OTHER").Stored("hoa_approvals", "type")

func (Type) JSONSchema() *jsonschema.Schema { return Types.Schema() }

// Approval is one approval a case needs from an HOA.
type Approval struct {
	ID             string `json:"id"`
	OrganizationID string `json:"organizationId"`
	CaseID         string `json:"caseId"`
	CaseNumber     string `json:"caseNumber"`
	ContextID      string `json:"contextId"`
	// ContextName is the HOA's name.
	ContextName string `json:"contextName"`
	PropertyID  string `json:"propertyId"`
	Type        Type   `json:"type"`
	// Status is as of the read: an approval past its expiry is EXPIRED.
	Status Status `json:"status"`
	// Outcome is the HOA's decision as recorded (APPROVED stays APPROVED
	// here once the approval has expired).
	Outcome             *Outcome   `json:"outcome,omitempty"`
	Description         string     `json:"description,omitempty"`
	ReferenceNumber     string     `json:"referenceNumber,omitempty"`
	Conditions          string     `json:"conditions,omitempty"`
	DecisionNotes       string     `json:"decisionNotes,omitempty"`
	SubmittedAt         *time.Time `json:"submittedAt,omitempty"`
	DecidedAt           *time.Time `json:"decidedAt,omitempty"`
	ExpiresAt           *time.Time `json:"expiresAt,omitempty"`
	EvidenceDocumentIDs []string   `json:"evidenceDocumentIds"`
	CreatedBy           string     `json:"createdBy"`
	CreatedAt           time.Time  `json:"createdAt"`
	UpdatedAt           time.Time  `json:"updatedAt"`
}

// CreateApprovalInput records that a case needs (or does not need) an HOA
// approval.
type CreateApprovalInput struct {
	CaseID          string `json:"caseId" jsonschema:"minLength=1,maxLength=100,pattern=^[^\\x00-\\x1F\\x7F-\\x9F]*$,description=the case id or number (CASE-2026-7)"`
	ContextID       string `json:"contextId" jsonschema:"format=uuid,description=the HOA context (of the case's property)"`
	Type            Type   `json:"type"`
	Status          Status `json:"status,omitempty" jsonschema:"description=PENDING (default) or NOT_REQUIRED"`
	Description     string `json:"description,omitempty" jsonschema:"maxLength=10000"`
	ReferenceNumber string `json:"referenceNumber,omitempty" jsonschema:"maxLength=200,pattern=^[^\\x00-\\x1F\\x7F-\\x9F]*$"`
}

// SubmitApprovalInput records that the application went to the HOA (or
// went again, after a denial).
type SubmitApprovalInput struct {
	ID string `json:"id" jsonschema:"format=uuid"`
	// SubmittedAt defaults to now; it is never in the future.
	SubmittedAt         *time.Time `json:"submittedAt,omitempty"`
	ReferenceNumber     string     `json:"referenceNumber,omitempty" jsonschema:"maxLength=200,pattern=^[^\\x00-\\x1F\\x7F-\\x9F]*$,description=the HOA's reference (kept when omitted)"`
	EvidenceDocumentIDs []string   `json:"evidenceDocumentIds,omitempty" jsonschema:"maxItems=50,uniqueItems=true,items.format=uuid,description=documents added to the evidence"`
	// KeepCaseStatus leaves the case where it is; by default it moves to
	// PENDING_EXTERNAL, waiting on this HOA.
	KeepCaseStatus bool `json:"keepCaseStatus,omitempty"`
}

// DecideApprovalInput records the HOA's decision on a submission.
type DecideApprovalInput struct {
	ID      string  `json:"id" jsonschema:"format=uuid"`
	Outcome Outcome `json:"outcome"`
	// DecidedAt defaults to now; never in the future nor before the
	// submission.
	DecidedAt *time.Time `json:"decidedAt,omitempty"`
	// ExpiresAt is when an approval stops (APPROVED and
	// APPROVED_WITH_CONDITIONS only).
	ExpiresAt           *time.Time `json:"expiresAt,omitempty"`
	Conditions          string     `json:"conditions,omitempty" jsonschema:"maxLength=10000,description=required for APPROVED_WITH_CONDITIONS and refused otherwise"`
	Notes               string     `json:"notes,omitempty" jsonschema:"maxLength=10000"`
	ReferenceNumber     string     `json:"referenceNumber,omitempty" jsonschema:"maxLength=200,pattern=^[^\\x00-\\x1F\\x7F-\\x9F]*$"`
	EvidenceDocumentIDs []string   `json:"evidenceDocumentIds,omitempty" jsonschema:"maxItems=50,uniqueItems=true,items.format=uuid"`
	// KeepCaseStatus leaves the case waiting; by default a case waiting on
	// this HOA returns to IN_PROGRESS once no other submission to it is open.
	KeepCaseStatus bool `json:"keepCaseStatus,omitempty"`
}

// ListApprovalsInput filters and pages approvals, newest first.
type ListApprovalsInput struct {
	CaseID    string   `json:"caseId,omitempty" jsonschema:"maxLength=100,pattern=^[^\\x00-\\x1F\\x7F-\\x9F]*$,description=the case id or number"`
	ContextID string   `json:"contextId,omitempty" jsonschema:"format=uuid"`
	Status    []Status `json:"status,omitempty" jsonschema:"description=as of now (EXPIRED includes approvals past their expiry)"`
	Limit     int      `json:"limit,omitempty" jsonschema:"minimum=1,maximum=100"`
	Cursor    string   `json:"cursor,omitempty" jsonschema:"maxLength=500"`
}

const approvalKind = "hoa_approval"

func approvalResource(a Approval) authz.Resource {
	return authz.Resource{Kind: approvalKind, ID: a.ID, Attr: map[string]any{
		"org_id": a.OrganizationID, "case_id": a.CaseID, "context_id": a.ContextID, "property_id": a.PropertyID,
		"status": string(a.Status), "type": string(a.Type)}}
}

// effectiveStatus is the status as read: a granted approval past its expiry
// is EXPIRED. now() is the transaction's start, the instant of the read.
const effectiveStatus = `CASE WHEN status IN ('APPROVED', 'APPROVED_WITH_CONDITIONS') AND expires_at <= now()
	THEN 'EXPIRED' ELSE status END`

const approvalColumns = `id, organization_id, case_id,
	(SELECT c.number FROM cases c WHERE c.id = hoa_approvals.case_id),
	context_id, (SELECT hc.name FROM hoa_contexts hc WHERE hc.id = hoa_approvals.context_id),
	property_id, type, ` + effectiveStatus + `,
	CASE WHEN decided_at IS NOT NULL THEN status END,
	description, reference_number, conditions, decision_notes, submitted_at, decided_at, expires_at,
	evidence_document_ids::text[], created_by, created_at, updated_at`

func scanApproval(r db.Row) (Approval, error) {
	var a Approval
	err := r.Scan(&a.ID, &a.OrganizationID, &a.CaseID, &a.CaseNumber, &a.ContextID, &a.ContextName, &a.PropertyID, &a.Type,
		&a.Status, &a.Outcome, &a.Description, &a.ReferenceNumber, &a.Conditions, &a.DecisionNotes,
		&a.SubmittedAt, &a.DecidedAt, &a.ExpiresAt, &a.EvidenceDocumentIDs, &a.CreatedBy, &a.CreatedAt, &a.UpdatedAt)
	if a.EvidenceDocumentIDs == nil {
		a.EvidenceDocumentIDs = []string{}
	}
	return a, err
}

var approvals = &records.Table[Approval]{
	Kind: approvalKind, Name: "hoa_approvals", Columns: approvalColumns, Scan: scanApproval, Resource: approvalResource,
	Plan: authz.Columns{
		"request.resource.id":               "id",
		"request.resource.attr.org_id":      "organization_id",
		"request.resource.attr.case_id":     "case_id",
		"request.resource.attr.context_id":  "context_id",
		"request.resource.attr.property_id": "property_id",
		"request.resource.attr.status":      "(" + effectiveStatus + ")",
		"request.resource.attr.type":        "type",
	},
	Order: records.Order[Approval]{Column: "created_at", Key: func(a Approval) string { return a.CreatedAt.UTC().Format(time.RFC3339Nano) }},
}

// caseWhere selects a case by its id or, when ref is no uuid, its number.
func caseWhere(ref string) (where string, arg string) {
	if id, err := uuid.Parse(ref); err == nil {
		return `id = ?::uuid`, id.String()
	}
	return `number = ?`, ref
}

// GetApproval returns one approval the principal may view, as of now.
func (s *Service) GetApproval(ctx context.Context, p authz.Principal, id string) (Approval, error) {
	return records.Get(ctx, s.db, s.pdp, p, approvals, id, nil)
}

// ListApprovals returns the approvals the principal may view, newest first.
func (s *Service) ListApprovals(ctx context.Context, p authz.Principal, in ListApprovalsInput) (listing.Page[Approval], error) {
	return records.List(ctx, s.db, s.pdp, p, approvals, records.Page{Limit: in.Limit, Cursor: in.Cursor}, func(f *records.Filters) {
		if in.CaseID != "" {
			where, arg := caseWhere(in.CaseID)
			f.Where(`case_id = (SELECT id FROM cases WHERE `+where+`)`, arg)
		}
		if in.ContextID != "" {
			f.Where(`context_id = ?::uuid`, in.ContextID)
		}
		if len(in.Status) > 0 {
			f.Where(`(`+effectiveStatus+`) = ANY(?)`, in.Status)
		}
	})
}

// caseRow is what an approval needs of its case, read under the case lock.
type caseRow struct {
	id, number, propertyID string
	status                 cases.Status
	waitingKind            *string
	waitingName            *string
}

// lockCase reads the case ref names FOR NO KEY UPDATE: a cancel or close
// (which takes FOR UPDATE) cannot slip in beside what is added to it, and
// foreign-key checks of other writers are not blocked.
func lockCase(ctx context.Context, q db.Querier, ref string) (caseRow, error) {
	var c caseRow
	where, arg := caseWhere(ref)
	where = strings.Replace(where, "?", "$1", 1)
	err := q.QueryRow(ctx, `SELECT id, number, property_id, status, waiting_on_kind, waiting_on_name FROM cases WHERE `+where+
		` FOR NO KEY UPDATE`, arg).Scan(&c.id, &c.number, &c.propertyID, &c.status, &c.waitingKind, &c.waitingName)
	return c, err
}

// ended refuses to add anything to a case that is closed or cancelled.
func (c caseRow) ended() error {
	if cases.Terminal(c.status) {
		return apperr.New(apperr.Conflict, "case %s is %s: nothing can be added to it", c.number, c.status)
	}
	return nil
}

// waitsOn reports whether the case is waiting on the HOA named name.
func (c caseRow) waitsOn(name string) bool {
	return c.status == cases.PendingExternal && c.waitingKind != nil && *c.waitingKind == "HOA" &&
		c.waitingName != nil && strings.EqualFold(*c.waitingName, name)
}

// CreateApprovalTx records an approval a case needs from one of its
// property's HOAs.
func (s *Service) CreateApprovalTx(ctx context.Context, q db.Querier, p authz.Principal, in CreateApprovalInput) (Approval, error) {
	if in.Status == "" {
		in.Status = Pending
	}
	a := Approval{OrganizationID: p.OrgID, Type: in.Type, Status: in.Status, ContextID: in.ContextID}
	c, err := lockCase(ctx, q, in.CaseID)
	if errors.Is(err, pgx.ErrNoRows) {
		// Who may not record approvals learns nothing about which cases exist.
		res := approvalResource(a)
		res.ID = "new"
		if err := s.pdp.Authorize(ctx, p, res, "create"); err != nil {
			return Approval{}, err
		}
		return Approval{}, apperr.Field("caseId", "not_found", "caseId names no case of this organization")
	}
	if err != nil {
		return Approval{}, err
	}
	a.CaseID, a.PropertyID = c.id, c.propertyID
	res := approvalResource(a)
	res.ID = "new"
	if err := s.pdp.Authorize(ctx, p, res, "create"); err != nil {
		return Approval{}, err
	}
	if !slices.Contains(Initial, in.Status) {
		return Approval{}, apperr.Field("status", "not_allowed", "an approval starts PENDING or NOT_REQUIRED")
	}
	hc, err := s.viewableContext(ctx, q, p, "contextId", in.ContextID, false)
	if err != nil {
		return Approval{}, err
	}
	if hc.PropertyID != c.propertyID {
		return Approval{}, apperr.Field("contextId", "other_property",
			"contextId is the HOA context of another property than case "+c.number+"'s")
	}
	if err := c.ended(); err != nil {
		return Approval{}, err
	}
	var id string
	if err := q.QueryRow(ctx, `INSERT INTO hoa_approvals (organization_id, case_id, context_id, property_id, type, status,
			description, reference_number, created_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
		p.OrgID, c.id, hc.ID, hc.PropertyID, in.Type, in.Status, strings.TrimSpace(in.Description),
		strings.TrimSpace(in.ReferenceNumber), p.UserID).Scan(&id); err != nil {
		return Approval{}, err
	}
	out, err := approvals.Load(ctx, q, id, false)
	if err != nil {
		return out, err
	}
	return out, activity.Record(ctx, q, p, activity.Event{EntityType: approvalKind, EntityID: out.ID, Verb: "created", After: out})
}

// SubmitApprovalTx records a submission to the HOA — a first one, or a
// resubmission after a denial — and, unless in.KeepCaseStatus, moves the
// case to PENDING_EXTERNAL waiting on the HOA by name in the same
// transaction (through cases.ChangeStatusTx, so the case's own rules and
// policy apply): its work queue then says it waits on HOA "<name>". A case
// already waiting on this HOA is left as it is; one the case machine cannot
// move there (INTAKE, PENDING_OWNER, RESOLVED, or waiting on another party)
// refuses the submission with the case's reason.
func (s *Service) SubmitApprovalTx(ctx context.Context, q db.Querier, p authz.Principal, in SubmitApprovalInput) (Approval, error) {
	before, c, err := s.loadForChange(ctx, q, p, in.ID, "submit", Submitted)
	if err != nil {
		return Approval{}, err
	}
	if err := checkEvidence(ctx, q, in.EvidenceDocumentIDs); err != nil {
		return Approval{}, err
	}
	at := s.now()
	if in.SubmittedAt != nil {
		if in.SubmittedAt.After(at) {
			return Approval{}, apperr.Field("submittedAt", "in_the_future", "submittedAt must not be in the future")
		}
		at = *in.SubmittedAt
	}
	ref := before.ReferenceNumber
	if r := strings.TrimSpace(in.ReferenceNumber); r != "" {
		ref = r
	}
	// A resubmission starts a new round: the denial's details stay in the
	// activity record of this change (its "before").
	if _, err := q.Exec(ctx, `UPDATE hoa_approvals SET status = 'SUBMITTED', submitted_at = $2, reference_number = $3,
			evidence_document_ids = ARRAY(SELECT DISTINCT unnest(evidence_document_ids || $4::uuid[]) ORDER BY 1),
			decided_at = NULL, expires_at = NULL, conditions = '', decision_notes = '', updated_at = now()
		WHERE id = $1`, before.ID, at, ref, evidence(in.EvidenceDocumentIDs)); err != nil {
		return Approval{}, err
	}
	if !in.KeepCaseStatus && !c.waitsOn(before.ContextName) {
		_, err := s.cases.ChangeStatusTx(ctx, q, p, cases.UpdateStatusInput{ID: c.id, Status: cases.PendingExternal,
			Reason:    "HOA approval (" + string(before.Type) + ") submitted to " + before.ContextName,
			WaitingOn: &cases.WaitingOn{Kind: "HOA", Name: before.ContextName}})
		if err != nil {
			return Approval{}, withHint(err, "submit with keepCaseStatus to leave the case as it is")
		}
	}
	return s.finish(ctx, q, p, before, "submitted")
}

// DecideApprovalTx records the HOA's decision on a submission. A case
// waiting on this HOA goes back to IN_PROGRESS in the same transaction
// (unless in.KeepCaseStatus) once no other submission of the case to an HOA
// of that name is open.
func (s *Service) DecideApprovalTx(ctx context.Context, q db.Querier, p authz.Principal, in DecideApprovalInput) (Approval, error) {
	to := Status(in.Outcome)
	granted := to == Approved || to == ApprovedWithConditions
	conditions := strings.TrimSpace(in.Conditions)
	var f apperr.Fields
	switch {
	case to == ApprovedWithConditions && conditions == "":
		f.Add("conditions", "required", "an approval with conditions needs its conditions")
	case to != ApprovedWithConditions && conditions != "":
		f.Add("conditions", "not_allowed", "conditions are only for APPROVED_WITH_CONDITIONS")
	}
	if in.ExpiresAt != nil && !granted {
		f.Add("expiresAt", "not_allowed", "only an approval (APPROVED or APPROVED_WITH_CONDITIONS) expires")
	}
	if err := f.Err(); err != nil {
		return Approval{}, err
	}
	before, c, err := s.loadForChange(ctx, q, p, in.ID, "decide", to)
	if err != nil {
		return Approval{}, err
	}
	if err := checkEvidence(ctx, q, in.EvidenceDocumentIDs); err != nil {
		return Approval{}, err
	}
	at := s.now()
	if in.DecidedAt != nil {
		if in.DecidedAt.After(at) {
			return Approval{}, apperr.Field("decidedAt", "in_the_future", "decidedAt must not be in the future")
		}
		at = *in.DecidedAt
	}
	if before.SubmittedAt != nil && at.Before(*before.SubmittedAt) {
		return Approval{}, apperr.Field("decidedAt", "before_submission", "decidedAt must not precede the submission ("+
			before.SubmittedAt.UTC().Format(time.RFC3339)+")")
	}
	if in.ExpiresAt != nil && !in.ExpiresAt.After(at) {
		return Approval{}, apperr.Field("expiresAt", "before_decision", "expiresAt must be after the decision")
	}
	ref := before.ReferenceNumber
	if r := strings.TrimSpace(in.ReferenceNumber); r != "" {
		ref = r
	}
	if _, err := q.Exec(ctx, `UPDATE hoa_approvals SET status = $2, decided_at = $3, expires_at = $4, conditions = $5,
			decision_notes = $6, reference_number = $7,
			evidence_document_ids = ARRAY(SELECT DISTINCT unnest(evidence_document_ids || $8::uuid[]) ORDER BY 1),
			updated_at = now()
		WHERE id = $1`, before.ID, to, at, in.ExpiresAt, conditions, strings.TrimSpace(in.Notes), ref,
		evidence(in.EvidenceDocumentIDs)); err != nil {
		return Approval{}, err
	}
	if !in.KeepCaseStatus && c.waitsOn(before.ContextName) {
		var open bool
		if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM hoa_approvals a JOIN hoa_contexts hc ON hc.id = a.context_id
			WHERE a.case_id = $1 AND a.status = 'SUBMITTED' AND lower(hc.name) = lower($2))`, c.id, before.ContextName).Scan(&open); err != nil {
			return Approval{}, err
		}
		if !open {
			if _, err := s.cases.ChangeStatusTx(ctx, q, p, cases.UpdateStatusInput{ID: c.id, Status: cases.InProgress,
				Reason: "HOA " + before.ContextName + " decided: " + string(to)}); err != nil {
				return Approval{}, withHint(err, "decide with keepCaseStatus to leave the case as it is")
			}
		}
	}
	return s.finish(ctx, q, p, before, "decided")
}

// loadForChange locks the approval, authorizes action on the locked row,
// runs the machine towards to and locks the case, refusing a case that
// ended.
func (s *Service) loadForChange(ctx context.Context, q db.Querier, p authz.Principal, id, action string, to Status) (Approval, caseRow, error) {
	before, err := approvals.Load(ctx, q, id, true)
	if err != nil {
		return before, caseRow{}, err
	}
	if err := s.pdp.Authorize(ctx, p, approvalResource(before), "view"); err != nil {
		return Approval{}, caseRow{}, approvals.HideForbidden(err, id)
	}
	if err := s.pdp.Authorize(ctx, p, approvalResource(before), action); err != nil {
		return Approval{}, caseRow{}, err
	}
	if !Transitions.Allows(before.Status, to) {
		msg := Transitions.Refusal("an approval", before.Status, to)
		if before.Status == Expired && before.ExpiresAt != nil {
			msg += "; it expired at " + before.ExpiresAt.UTC().Format(time.RFC3339) + ": record a new approval"
		}
		return Approval{}, caseRow{}, apperr.New(apperr.InvalidTransition, "%s", msg)
	}
	c, err := lockCase(ctx, q, before.CaseID)
	if err != nil {
		return Approval{}, caseRow{}, err
	}
	return before, c, c.ended()
}

// finish reads the changed approval back and records the event.
func (s *Service) finish(ctx context.Context, q db.Querier, p authz.Principal, before Approval, verb string) (Approval, error) {
	out, err := approvals.Load(ctx, q, before.ID, false)
	if err != nil {
		return out, err
	}
	return out, activity.Record(ctx, q, p, activity.Event{EntityType: approvalKind, EntityID: out.ID, Verb: verb, Before: before, After: out})
}

func evidence(ids []string) []string {
	if ids == nil {
		return []string{}
	}
	return ids
}

// withHint adds the way forward to a refusal from the case domain.
func withHint(err error, hint string) error {
	var ae *apperr.Error
	if errors.As(err, &ae) && ae.Code != apperr.Internal && ae.Code != apperr.DependencyUnavailable {
		return &apperr.Error{Code: ae.Code, Message: ae.Message + "; " + hint, Fields: ae.Fields}
	}
	return err
}
