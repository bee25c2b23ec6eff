// Package intent owns owner intents (domain.md §3): a request in the
// owner's own words, classified on submission by a Classifier whose
// proposal is stored whole (cues, name, version) apart from any human
// override, and converted to a case only by an explicit, authorized act.
//
// Conversion runs in the caller's one transaction: the case is created
// through internal/cases, linked both ways (cases.origin_intent_id,
// intents.case_id), and the intent marked CONVERTED. The intent row is
// locked first, so a second conversion waits and then finds it CONVERTED:
// a CONFLICT naming the existing case, never a second case (and unique
// indexes on both links are the last wall).
package intent

import (
	"context"
	"encoding/json"
	"errors"
	"math/big"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/invopop/jsonschema"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/hestami/concierge/internal/activity"
	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/cases"
	"github.com/hestami/concierge/internal/db"
	"github.com/hestami/concierge/internal/intent/classify"
	"github.com/hestami/concierge/internal/listing"
	"github.com/hestami/concierge/internal/money"
	"github.com/hestami/concierge/internal/records"
)

// Date is a calendar date, YYYY-MM-DD.
type Date string

// JSONSchema describes the date.
func (Date) JSONSchema() *jsonschema.Schema {
	return &jsonschema.Schema{Type: "string", Format: "date", Description: "a calendar date, YYYY-MM-DD"}
}

// Money is an exact amount in a currency.
type Money = money.Money

// Constraints are what the owner asks the work to respect.
type Constraints struct {
	BudgetCeiling *Money `json:"budgetCeiling,omitempty"`
	PreferredFrom *Date  `json:"preferredFrom,omitempty"`
	PreferredTo   *Date  `json:"preferredTo,omitempty"`
	AccessNotes   string `json:"accessNotes,omitempty" jsonschema:"maxLength=2000"`
}

// Override is a person's reclassification; it never replaces the proposal.
type Override struct {
	Category cases.Category `json:"category,omitempty"`
	Priority cases.Priority `json:"priority,omitempty"`
	Reason   string         `json:"reason,omitempty"`
	By       string         `json:"by"`
	At       time.Time      `json:"at"`
}

// Intent is an owner's request.
type Intent struct {
	ID             string `json:"id"`
	OrganizationID string `json:"organizationId"`
	PropertyID     string `json:"propertyId"`
	Title          string `json:"title"`
	Text           string `json:"text"`
	Status         Status `json:"status"`
	// Category and Priority are in effect: the override where a person
	// set one, else the proposal's; empty before any classification.
	Category    cases.Category     `json:"category,omitempty"`
	Priority    cases.Priority     `json:"priority,omitempty"`
	Constraints Constraints        `json:"constraints"`
	Proposal    *classify.Proposal `json:"proposal,omitempty"`
	ProposedAt  *time.Time         `json:"proposedAt,omitempty"`
	Override    *Override          `json:"override,omitempty"`
	CaseID      *string            `json:"caseId,omitempty"`
	CaseNumber  *string            `json:"caseNumber,omitempty"`
	// StatusReason is why it was declined or withdrawn.
	StatusReason    string    `json:"statusReason,omitempty"`
	CreatedBy       string    `json:"createdBy"`
	SubmittedBy     *string   `json:"submittedBy,omitempty"`
	CreatedAt       time.Time `json:"createdAt"`
	UpdatedAt       time.Time `json:"updatedAt"`
	StatusChangedAt time.Time `json:"statusChangedAt"`
}

// CreateInput drafts an intent.
type CreateInput struct {
	PropertyID  string       `json:"propertyId" jsonschema:"format=uuid"`
	Text        string       `json:"text" jsonschema:"minLength=1,maxLength=10000"`
	Title       string       `json:"title,omitempty" jsonschema:"maxLength=200,pattern=^[^\\x00-\\x1F\\x7F-\\x9F]*$,description=default: the start of the text"`
	Constraints *Constraints `json:"constraints,omitempty"`
}

// SubmitInput submits a draft (ID) or creates and submits an intent in one
// step (PropertyID and Text, as CreateInput).
type SubmitInput struct {
	ID          string       `json:"id,omitempty" jsonschema:"format=uuid,description=a DRAFT intent to submit"`
	PropertyID  string       `json:"propertyId,omitempty" jsonschema:"format=uuid"`
	Text        string       `json:"text,omitempty" jsonschema:"maxLength=10000"`
	Title       string       `json:"title,omitempty" jsonschema:"maxLength=200,pattern=^[^\\x00-\\x1F\\x7F-\\x9F]*$"`
	Constraints *Constraints `json:"constraints,omitempty"`
}

// ListInput filters and pages intents; filters combine.
type ListInput struct {
	Status     []Status `json:"status,omitempty"`
	PropertyID string   `json:"propertyId,omitempty" jsonschema:"format=uuid"`
	Limit      int      `json:"limit,omitempty" jsonschema:"minimum=1,maximum=100"`
	Cursor     string   `json:"cursor,omitempty" jsonschema:"maxLength=500"`
}

// IDInput names an intent.
type IDInput struct {
	ID string `json:"id" jsonschema:"format=uuid"`
}

// ReasonInput names an intent and says why.
type ReasonInput struct {
	ID     string `json:"id" jsonschema:"format=uuid"`
	Reason string `json:"reason,omitempty" jsonschema:"maxLength=2000"`
}

// ReclassifyInput is a person's override of the proposal.
type ReclassifyInput struct {
	ID       string         `json:"id" jsonschema:"format=uuid"`
	Category cases.Category `json:"category,omitempty"`
	Priority cases.Priority `json:"priority,omitempty"`
	Reason   string         `json:"reason,omitempty" jsonschema:"maxLength=2000"`
}

// Service is the intent domain.
type Service struct {
	db         *db.DB
	pdp        authz.Decider
	cases      *cases.Service
	classifier classify.Classifier
	// afterLock runs once a mutation holds the intent row lock; tests use
	// it to line concurrent conversions up on that lock.
	afterLock func()
}

// rules is compiled once; classify.Rules is safe for concurrent use.
var rules = classify.NewRules()

// New returns the intent service; conversion creates cases through cs.
func New(d *db.DB, pdp authz.Decider, cs *cases.Service) *Service {
	return &Service{db: d, pdp: pdp, cases: cs, classifier: rules}
}

const kind = "intent"

func resourceOf(i Intent) authz.Resource {
	// The budget ceiling is the amount a delegated agent's limit must cover.
	return authz.Resource{Kind: kind, ID: i.ID, Attr: authz.AmountAttr(map[string]any{
		"org_id": i.OrganizationID, "property_id": i.PropertyID, "status": string(i.Status), "created_by": i.CreatedBy},
		i.Constraints.BudgetCeiling)}
}

const columns = `id, organization_id, property_id, title, text, status,
	budget_amount::text, budget_currency, preferred_from::text, preferred_to::text, access_notes,
	proposal, proposed_at, override_category, override_priority, override_reason, override_by, override_at,
	case_id, (SELECT c.number FROM cases c WHERE c.id = intents.case_id), status_reason,
	created_by, submitted_by, created_at, updated_at, status_changed_at`

func scan(r db.Row) (Intent, error) {
	var i Intent
	var amount, currency *string
	var proposal []byte
	var oCat, oPri, oBy *string
	var oAt *time.Time
	var oReason string
	err := r.Scan(&i.ID, &i.OrganizationID, &i.PropertyID, &i.Title, &i.Text, &i.Status,
		&amount, &currency, &i.Constraints.PreferredFrom, &i.Constraints.PreferredTo, &i.Constraints.AccessNotes,
		&proposal, &i.ProposedAt, &oCat, &oPri, &oReason, &oBy, &oAt,
		&i.CaseID, &i.CaseNumber, &i.StatusReason, &i.CreatedBy, &i.SubmittedBy, &i.CreatedAt, &i.UpdatedAt, &i.StatusChangedAt)
	if err != nil {
		return i, err
	}
	if amount != nil && currency != nil {
		i.Constraints.BudgetCeiling = &Money{Amount: *amount, Currency: *currency}
	}
	if proposal != nil {
		i.Proposal = &classify.Proposal{}
		if err := json.Unmarshal(proposal, i.Proposal); err != nil {
			return i, err
		}
	}
	if oBy != nil {
		i.Override = &Override{Category: cases.Category(deref(oCat)), Priority: cases.Priority(deref(oPri)), Reason: oReason, By: *oBy}
		if oAt != nil {
			i.Override.At = *oAt
		}
	}
	i.Category, i.Priority = effective(i)
	return i, nil
}

// effective is the category and priority in force: a person's override
// wins over the proposal, field by field.
func effective(i Intent) (cases.Category, cases.Priority) {
	var c cases.Category
	var p cases.Priority
	if i.Proposal != nil {
		c, p = i.Proposal.Category, i.Proposal.Priority
	}
	if i.Override != nil {
		if i.Override.Category != "" {
			c = i.Override.Category
		}
		if i.Override.Priority != "" {
			p = i.Override.Priority
		}
	}
	return c, p
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// table is how intents are stored, authorized and listed (newest first).
var table = &records.Table[Intent]{
	Kind: kind, Name: "intents", Columns: columns, Scan: scan, Resource: resourceOf,
	Plan: authz.Columns{
		"request.resource.id":               "id",
		"request.resource.attr.org_id":      "organization_id",
		"request.resource.attr.property_id": "property_id",
		"request.resource.attr.status":      "status",
		"request.resource.attr.created_by":  "created_by",
	},
	Order: records.NewestFirst(func(i Intent) time.Time { return i.CreatedAt }),
}

// Get returns an intent the principal may view.
func (s *Service) Get(ctx context.Context, p authz.Principal, id string) (Intent, error) {
	return records.Get(ctx, s.db, s.pdp, p, table, id, nil)
}

// List returns the intents the principal may view, newest first.
func (s *Service) List(ctx context.Context, p authz.Principal, in ListInput) (listing.Page[Intent], error) {
	return records.List(ctx, s.db, s.pdp, p, table, records.Page{Limit: in.Limit, Cursor: in.Cursor}, func(f *records.Filters) {
		if len(in.Status) > 0 {
			f.Where(`status = ANY(?)`, in.Status)
		}
		if in.PropertyID != "" {
			f.Where(`property_id = ?::uuid`, in.PropertyID)
		}
	})
}

// draft is a new intent from the create fields, checked.
func draft(p authz.Principal, propertyID, text, title string, c *Constraints) (Intent, error) {
	i := Intent{OrganizationID: p.OrgID, PropertyID: propertyID, Text: strings.TrimSpace(text),
		Title: strings.TrimSpace(title), Status: Draft, CreatedBy: p.UserID}
	if c != nil {
		i.Constraints = *c
		i.Constraints.AccessNotes = strings.TrimSpace(c.AccessNotes)
	}
	var f apperr.Fields
	if propertyID == "" {
		f.Add("propertyId", "required", "propertyId is required")
	}
	if i.Text == "" {
		f.Add("text", "required", "text must not be blank")
	}
	if i.Title == "" {
		i.Title = titleOf(i.Text)
	}
	checkConstraints(&f, i.Constraints)
	return i, f.Err()
}

// titleOf is the first line of the text, cut to a readable length.
func titleOf(text string) string {
	line, _, _ := strings.Cut(text, "\n")
	line = strings.Join(strings.FieldsFunc(line, func(r rune) bool { return r < ' ' || r == ' ' || (r >= 0x7F && r <= 0x9F) }), " ")
	const limit = 80
	if utf8.RuneCountInString(line) > limit {
		line = string([]rune(line)[:limit-1]) + "…"
	}
	if line == "" {
		// A first line of nothing printable still needs a title.
		return "Owner request"
	}
	return line
}

func checkConstraints(f *apperr.Fields, c Constraints) {
	if b := c.BudgetCeiling; b != nil {
		if r, ok := new(big.Rat).SetString(b.Amount); !ok || r.Sign() <= 0 {
			f.Add("constraints.budgetCeiling.amount", "out_of_range", "the budget ceiling must be greater than 0")
		}
	}
	for field, d := range map[string]*Date{"constraints.preferredFrom": c.PreferredFrom, "constraints.preferredTo": c.PreferredTo} {
		if d != nil && strings.HasPrefix(string(*d), "0000") {
			f.Add(field, "out_of_range", field+" must be a date from year 0001")
		}
	}
	if c.PreferredFrom != nil && c.PreferredTo != nil && *c.PreferredTo < *c.PreferredFrom {
		f.Add("constraints.preferredTo", "before_start", "preferredTo must not be before preferredFrom")
	}
}

// CreateTx drafts an intent in the caller's tenant transaction.
func (s *Service) CreateTx(ctx context.Context, q db.Querier, p authz.Principal, in CreateInput) (Intent, error) {
	i, err := draft(p, in.PropertyID, in.Text, in.Title, in.Constraints)
	if err != nil {
		return Intent{}, err
	}
	return s.insert(ctx, q, p, i, "create")
}

// SubmitTx submits a draft, or creates and submits an intent, and
// classifies it; the proposal is recorded as the system's event.
func (s *Service) SubmitTx(ctx context.Context, q db.Querier, p authz.Principal, in SubmitInput) (Intent, error) {
	if in.ID != "" {
		if in.PropertyID != "" || in.Text != "" || in.Title != "" || in.Constraints != nil {
			return Intent{}, apperr.Field("id", "conflicting", "give either id (a draft to submit) or the fields of a new intent, not both")
		}
		return s.change(ctx, q, p, in.ID, "submit", "submitted", Submitted, func(i *Intent) error {
			s.classify(i, p)
			return nil
		})
	}
	i, err := draft(p, in.PropertyID, in.Text, in.Title, in.Constraints)
	if err != nil {
		return Intent{}, err
	}
	i.Status = Submitted
	s.classify(&i, p)
	return s.insert(ctx, q, p, i, "submit")
}

func (s *Service) classify(i *Intent, p authz.Principal) {
	// A title the owner wrote adds words; a title cut from the text would
	// only count its cues twice.
	text := i.Text
	if !strings.Contains(strings.ToLower(i.Text), strings.ToLower(strings.TrimSuffix(i.Title, "…"))) {
		text = i.Title + "\n" + i.Text
	}
	prop := s.classifier.Classify(text)
	if prop.Cues == nil {
		prop.Cues = []classify.Cue{}
	}
	i.Proposal = &prop
	i.SubmittedBy = &p.UserID
}

func (s *Service) insert(ctx context.Context, q db.Querier, p authz.Principal, i Intent, action string) (Intent, error) {
	res := resourceOf(i)
	res.ID = "new"
	if err := s.pdp.Authorize(ctx, p, res, action); err != nil {
		return Intent{}, err
	}
	w, err := writable(i)
	if err != nil {
		return Intent{}, err
	}
	out, err := scan(q.QueryRow(ctx, `INSERT INTO intents (organization_id, property_id, title, text, status,
			budget_amount, budget_currency, preferred_from, preferred_to, access_notes,
			proposal, proposed_category, proposed_priority, classifier, classifier_version, proposed_at, submitted_by, created_by)
		VALUES ($1, $2, $3, $4, $5, $6::numeric, $7, $8::date, $9::date, $10, $11, $12, $13, $14, $15,
			CASE WHEN $11::jsonb IS NULL THEN NULL ELSE now() END, $16, $17)
		RETURNING `+columns,
		p.OrgID, i.PropertyID, i.Title, i.Text, i.Status, w.amount, w.currency, i.Constraints.PreferredFrom, i.Constraints.PreferredTo,
		i.Constraints.AccessNotes, w.proposal, w.category, w.priority, w.classifier, w.version, i.SubmittedBy, p.UserID))
	if isForeignKey(err, "intents_organization_id_property_id_fkey") {
		return Intent{}, apperr.Field("propertyId", "not_found", "propertyId names no property of this organization")
	}
	if err != nil {
		return out, err
	}
	verb := "created"
	if out.Status == Submitted {
		verb = "submitted"
	}
	if err := activity.Record(ctx, q, p, activity.Event{EntityType: kind, EntityID: out.ID, Verb: verb, After: out}); err != nil {
		return out, err
	}
	return out, s.recordProposal(ctx, q, p, out)
}

// recordProposal records a new proposal as the system's act: the rules
// proposed it, the person only asked for it.
func (s *Service) recordProposal(ctx context.Context, q db.Querier, p authz.Principal, after Intent) error {
	if after.Proposal == nil {
		return nil
	}
	sys := p
	sys.ActorKind = authz.System
	return activity.Record(ctx, q, sys, activity.Event{EntityType: kind, EntityID: after.ID, Verb: "classified", After: after.Proposal})
}

// row is the stored form of an intent's proposal and constraints.
type row struct {
	amount, currency, proposal, category, priority, classifier, version any
}

func writable(i Intent) (row, error) {
	var w row
	if b := i.Constraints.BudgetCeiling; b != nil {
		w.amount, w.currency = b.Amount, b.Currency
	}
	if pr := i.Proposal; pr != nil {
		raw, err := json.Marshal(pr)
		if err != nil {
			return w, err
		}
		w.proposal, w.category, w.priority, w.classifier, w.version = raw, string(pr.Category), string(pr.Priority), pr.Classifier, pr.Version
	}
	return w, nil
}

// change moves the intent id to status to (or keeps its status when to is
// empty), applying edit, on the locked row: it authorizes view (a refusal
// is NOT_FOUND) and then action, checks the machine, writes, and records
// the event.
func (s *Service) change(ctx context.Context, q db.Querier, p authz.Principal, id, action, verb string, to Status,
	edit func(i *Intent) error) (Intent, error) {
	before, err := table.Load(ctx, q, id, true)
	if err != nil {
		return before, err
	}
	if s.afterLock != nil {
		s.afterLock()
	}
	if err := s.pdp.Authorize(ctx, p, resourceOf(before), "view"); err != nil {
		return Intent{}, table.HideForbidden(err, id)
	}
	if err := s.pdp.Authorize(ctx, p, resourceOf(before), action); err != nil {
		return Intent{}, err
	}
	if to == Converted && before.Status == Converted {
		// Read the number in a statement of its own: when this one waited
		// for the converting transaction's lock, the row it returned is the
		// new version but its subquery saw the snapshot taken before the
		// case existed.
		var number string
		if err := q.QueryRow(ctx, `SELECT number FROM cases WHERE id = $1`, before.CaseID).Scan(&number); err != nil {
			return Intent{}, err
		}
		return Intent{}, apperr.New(apperr.Conflict, "intent %s is already converted to case %s", before.ID, number)
	}
	if to == "" && Terminal(before.Status) {
		return Intent{}, apperr.New(apperr.InvalidTransition, "an intent in %s is final and cannot change", before.Status)
	}
	if to != "" && !CanTransition(before.Status, to) {
		return Intent{}, apperr.New(apperr.InvalidTransition, "%s", transitionRefusal(before.Status, to))
	}
	after := before
	if to != "" {
		after.Status = to
	}
	if err := edit(&after); err != nil {
		return Intent{}, err
	}
	// edit classifies by setting a new proposal: stamp and record it.
	proposed := after.Proposal != before.Proposal
	w, err := writable(after)
	if err != nil {
		return Intent{}, err
	}
	var oCat, oPri, oBy any
	oReason := ""
	if o := after.Override; o != nil {
		oCat, oPri, oBy, oReason = nilIfEmpty(string(o.Category)), nilIfEmpty(string(o.Priority)), o.By, o.Reason
	}
	out, err := scan(q.QueryRow(ctx, `UPDATE intents SET status = $2, status_reason = $3,
			proposal = $4, proposed_category = $5, proposed_priority = $6, classifier = $7, classifier_version = $8,
			proposed_at = CASE WHEN $16 THEN now() ELSE proposed_at END,
			override_category = $9, override_priority = $10, override_reason = $11, override_by = $12,
			override_at = CASE WHEN $12::uuid IS NULL THEN NULL WHEN $13 THEN now() ELSE override_at END,
			case_id = $14, submitted_by = $15, updated_at = now(),
			status_changed_at = CASE WHEN status <> $2 THEN now() ELSE status_changed_at END
		WHERE id = $1 RETURNING `+columns,
		before.ID, after.Status, after.StatusReason, w.proposal, w.category, w.priority, w.classifier, w.version,
		oCat, oPri, oReason, oBy, after.Override != nil && after.Override.At.IsZero(), after.CaseID, after.SubmittedBy, proposed))
	if err != nil {
		return out, err
	}
	if err := activity.Record(ctx, q, p, activity.Event{EntityType: kind, EntityID: out.ID, Verb: verb, Before: before, After: out}); err != nil {
		return out, err
	}
	if !proposed {
		return out, nil
	}
	return out, s.recordProposal(ctx, q, p, out)
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// AcknowledgeTx records that staff have seen a submitted intent.
func (s *Service) AcknowledgeTx(ctx context.Context, q db.Querier, p authz.Principal, in ReasonInput) (Intent, error) {
	return s.change(ctx, q, p, in.ID, "acknowledge", "acknowledged", Acknowledged, func(*Intent) error { return nil })
}

// DeclineTx turns an intent down; the reason is required, for the owner.
func (s *Service) DeclineTx(ctx context.Context, q db.Querier, p authz.Principal, in ReasonInput) (Intent, error) {
	if strings.TrimSpace(in.Reason) == "" {
		return Intent{}, apperr.Field("reason", "required", "a declined intent needs a reason for the owner")
	}
	return s.change(ctx, q, p, in.ID, "decline", "declined", Declined, func(i *Intent) error {
		i.StatusReason = strings.TrimSpace(in.Reason)
		return nil
	})
}

// WithdrawTx withdraws an intent that is not final.
func (s *Service) WithdrawTx(ctx context.Context, q db.Querier, p authz.Principal, in ReasonInput) (Intent, error) {
	return s.change(ctx, q, p, in.ID, "withdraw", "withdrawn", Withdrawn, func(i *Intent) error {
		i.StatusReason = strings.TrimSpace(in.Reason)
		return nil
	})
}

// ReclassifyTx records a person's category and/or priority; the proposal
// stays as it was.
func (s *Service) ReclassifyTx(ctx context.Context, q db.Querier, p authz.Principal, in ReclassifyInput) (Intent, error) {
	if in.Category == "" && in.Priority == "" {
		return Intent{}, apperr.Field("category", "required", "give a category, a priority or both")
	}
	return s.change(ctx, q, p, in.ID, "reclassify", "reclassified", "", func(i *Intent) error {
		o := Override{By: p.UserID, Reason: strings.TrimSpace(in.Reason)}
		if i.Override != nil {
			o.Category, o.Priority = i.Override.Category, i.Override.Priority
		}
		if in.Category != "" {
			o.Category = in.Category
		}
		if in.Priority != "" {
			o.Priority = in.Priority
		}
		i.Override = &o // At zero: stamped now by the write
		return nil
	})
}

// ConvertTx turns an intent into a case, atomically, in the caller's
// transaction.
func (s *Service) ConvertTx(ctx context.Context, q db.Querier, p authz.Principal, in IDInput) (Intent, error) {
	return s.change(ctx, q, p, in.ID, "convert", "converted", Converted, func(i *Intent) error {
		cat, pri := i.Category, i.Priority
		if cat == "" {
			cat = "OTHER"
		}
		if pri == "" {
			pri = "NORMAL"
		}
		c, err := s.cases.CreateTx(ctx, q, p, cases.CreateInput{PropertyID: i.PropertyID, Title: i.Title,
			Description: describe(*i), Category: cat, Priority: pri})
		if err != nil {
			return err
		}
		if _, err := q.Exec(ctx, `UPDATE cases SET origin_intent_id = $1 WHERE id = $2`, i.ID, c.ID); err != nil {
			return err
		}
		i.CaseID = &c.ID
		return nil
	})
}

// describe is the case description: the owner's words, then the
// constraints they stated (the case has no columns of its own for them).
func describe(i Intent) string {
	var lines []string
	c := i.Constraints
	if c.BudgetCeiling != nil {
		lines = append(lines, "Budget ceiling: "+c.BudgetCeiling.Amount+" "+c.BudgetCeiling.Currency)
	}
	if c.PreferredFrom != nil || c.PreferredTo != nil {
		lines = append(lines, "Preferred dates: "+string(derefDate(c.PreferredFrom))+" to "+string(derefDate(c.PreferredTo)))
	}
	if c.AccessNotes != "" {
		lines = append(lines, "Access notes: "+c.AccessNotes)
	}
	if len(lines) == 0 {
		return i.Text
	}
	return i.Text + "\n\n" + strings.Join(lines, "\n")
}

func derefDate(d *Date) Date {
	if d == nil {
		return "…"
	}
	return *d
}

// isForeignKey reports whether err is a violation of the named foreign key.
func isForeignKey(err error, constraint string) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23503" && pgErr.ConstraintName == constraint
}
