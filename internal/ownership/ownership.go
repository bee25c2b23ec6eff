// Package ownership owns the ownership records of properties (domain.md §1):
// who holds a property — a user of hestami or an external person known by
// name — in which role (OWNER, CO_OWNER, TRUSTEE_MANAGER), with which
// share, from when to when.
//
// Two rules span a property's records, so each write locks the property row
// before it reads or writes any of them, decides in that transaction, and a
// constraint trigger taking the same lock checks both again as the last
// wall (migrations/0011_ownership.sql). The lock is FOR NO KEY UPDATE: it
// serializes ownership writes exactly as FOR UPDATE would, but does not
// block the KEY SHARE locks of foreign-key checks (a case being opened on
// the property), and two writers that both inserted a row (holding KEY
// SHARE) before the trigger's lock cannot deadlock on it.
//
//   - the percentages of the ACTIVE records of a property sum to at most 100;
//   - the last ACTIVE OWNER of a property cannot be suspended, removed, or
//     given another role (a CONFLICT naming the rule last-active-owner).
//
// A record's status follows this table (Transitions; anything else is an
// INVALID_TRANSITION):
//
//	| from                 | allowed to           |
//	|----------------------|----------------------|
//	| (new record)         | ACTIVE, PENDING_VERIFICATION |
//	| PENDING_VERIFICATION | ACTIVE, TERMINATED   |
//	| ACTIVE               | SUSPENDED, TERMINATED |
//	| SUSPENDED            | ACTIVE, TERMINATED   |
//	| TERMINATED           | — (final: the record changes no more) |
//
// Removing a record is the move to TERMINATED: the record stays, with its
// effective end date, and the runtime role cannot delete it.
package ownership

import (
	"context"
	"errors"
	"math/big"
	"strings"
	"time"

	"github.com/invopop/jsonschema"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/hestami/concierge/internal/activity"
	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/db"
	"github.com/hestami/concierge/internal/listing"
	"github.com/hestami/concierge/internal/records"
)

// Percent is an exact share of a property, "0.01" to "100", at most two
// decimals; a string in JSON so that no float ever carries it.
type Percent string

// JSONSchema describes the decimal string.
func (Percent) JSONSchema() *jsonschema.Schema {
	return &jsonschema.Schema{Type: "string", Pattern: `^[0-9]{1,3}(\.[0-9]{1,2})?$`, MaxLength: uintPtr(6),
		Description: "exact decimal share, greater than 0 and at most 100, at most 2 decimals (\"33.33\")"}
}

// Date is a calendar date, YYYY-MM-DD.
type Date string

// JSONSchema describes the date.
func (Date) JSONSchema() *jsonschema.Schema {
	return &jsonschema.Schema{Type: "string", Format: "date", Description: "a calendar date, YYYY-MM-DD"}
}

func uintPtr(n uint64) *uint64 { return &n }

// Party is who holds the record: a user of hestami (UserID), or an external
// person given by name with an optional e-mail. Exactly one of UserID and
// Name is set.
type Party struct {
	UserID string `json:"userId,omitempty" jsonschema:"format=uuid"`
	Name   string `json:"name,omitempty" jsonschema:"maxLength=200,pattern=^[^\\x00-\\x1F\\x7F-\\x9F]*$"`
	Email  string `json:"email,omitempty" jsonschema:"format=email,maxLength=254"`
}

// Ownership is one ownership record.
type Ownership struct {
	ID             string    `json:"id"`
	OrganizationID string    `json:"organizationId"`
	PropertyID     string    `json:"propertyId"`
	Party          Party     `json:"party"`
	Role           Role      `json:"role"`
	Status         Status    `json:"status"`
	Percentage     *Percent  `json:"percentage,omitempty"`
	EffectiveFrom  Date      `json:"effectiveFrom"`
	EffectiveTo    *Date     `json:"effectiveTo,omitempty"`
	CreatedBy      string    `json:"createdBy"`
	CreatedAt      time.Time `json:"createdAt"`
	UpdatedAt      time.Time `json:"updatedAt"`
}

// AddInput records a party's holding of a property.
type AddInput struct {
	PropertyID    string   `json:"propertyId" jsonschema:"format=uuid"`
	Party         Party    `json:"party"`
	Role          Role     `json:"role"`
	Status        Status   `json:"status,omitempty" jsonschema:"description=ACTIVE (the default) or PENDING_VERIFICATION"`
	Percentage    *Percent `json:"percentage,omitempty"`
	EffectiveFrom *Date    `json:"effectiveFrom,omitempty" jsonschema:"description=default: today"`
	EffectiveTo   *Date    `json:"effectiveTo,omitempty"`
}

// UpdateInput changes the fields that are set.
type UpdateInput struct {
	ID              string   `json:"id" jsonschema:"format=uuid"`
	Role            *Role    `json:"role,omitempty"`
	Status          *Status  `json:"status,omitempty"`
	Percentage      *Percent `json:"percentage,omitempty"`
	ClearPercentage bool     `json:"clearPercentage,omitempty" jsonschema:"description=remove the percentage (the record holds no stated share)"`
	EffectiveFrom   *Date    `json:"effectiveFrom,omitempty"`
	EffectiveTo     *Date    `json:"effectiveTo,omitempty"`
}

// RemoveInput ends a record (status TERMINATED).
type RemoveInput struct {
	ID          string `json:"id" jsonschema:"format=uuid"`
	EffectiveTo *Date  `json:"effectiveTo,omitempty" jsonschema:"description=default: the record's end date if it has one, else today (or its start, if later)"`
}

// ListInput lists the records of one property.
type ListInput struct {
	PropertyID string   `json:"propertyId" jsonschema:"format=uuid"`
	Status     []Status `json:"status,omitempty"`
	Limit      int      `json:"limit,omitempty" jsonschema:"minimum=1,maximum=100"`
	Cursor     string   `json:"cursor,omitempty" jsonschema:"maxLength=500"`
}

// Service is the ownership domain.
type Service struct {
	db  *db.DB
	pdp authz.Decider
	// afterLock runs once a write holds the property lock; tests use it to
	// line concurrent writers up on that lock deterministically.
	afterLock func()
}

// New returns the ownership service.
func New(d *db.DB, pdp authz.Decider) *Service { return &Service{db: d, pdp: pdp} }

const kind = "ownership"

// The rule names callers see in refusals.
const (
	ruleLastOwner = "last-active-owner"
	// The trigger's constraint names (migrations/0011_ownership.sql).
	trigPercentTotal = "ownerships_active_percentage_total"
	trigLastOwner    = "ownerships_last_active_owner"
	uniqueLiveUser   = "ownerships_live_user_role_idx"
)

func resourceOf(o Ownership) authz.Resource {
	return authz.Resource{Kind: kind, ID: o.ID, Attr: map[string]any{
		"org_id": o.OrganizationID, "property_id": o.PropertyID, "role": string(o.Role), "status": string(o.Status)}}
}

const columns = `id, organization_id, property_id, party_user_id, party_name, party_email, role, status,
	trim_scale(percentage)::text, effective_from::text, effective_to::text, created_by, created_at, updated_at`

func scan(r db.Row) (Ownership, error) {
	var o Ownership
	var userID, name, email *string
	err := r.Scan(&o.ID, &o.OrganizationID, &o.PropertyID, &userID, &name, &email, &o.Role, &o.Status,
		&o.Percentage, &o.EffectiveFrom, &o.EffectiveTo, &o.CreatedBy, &o.CreatedAt, &o.UpdatedAt)
	o.Party = Party{UserID: deref(userID), Name: deref(name), Email: deref(email)}
	return o, err
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// table is how ownership records are stored, authorized and listed
// (oldest first: the order they were recorded in).
var table = &records.Table[Ownership]{
	Kind: kind, Name: "ownerships", Columns: columns, Scan: scan, Resource: resourceOf,
	Plan: authz.Columns{
		"request.resource.id":               "id",
		"request.resource.attr.org_id":      "organization_id",
		"request.resource.attr.property_id": "property_id",
		"request.resource.attr.role":        "role",
		"request.resource.attr.status":      "status",
	},
	Order: records.Order[Ownership]{Column: "created_at", Ascending: true,
		Key: func(o Ownership) string { return o.CreatedAt.UTC().Format(time.RFC3339Nano) }},
}

// List returns the records of one property that the principal may view,
// oldest first.
func (s *Service) List(ctx context.Context, p authz.Principal, in ListInput) (listing.Page[Ownership], error) {
	return records.List(ctx, s.db, s.pdp, p, table, records.Page{Limit: in.Limit, Cursor: in.Cursor}, func(f *records.Filters) {
		f.Where(`property_id = ?::uuid`, in.PropertyID)
		if len(in.Status) > 0 {
			f.Where(`status = ANY(?)`, in.Status)
		}
	})
}

// checkPercent records a percentage outside (0, 100]; the schema already
// holds it to digits with at most two decimals.
func checkPercent(f *apperr.Fields, v *Percent) {
	if v == nil {
		return
	}
	r, ok := new(big.Rat).SetString(string(*v))
	if !ok || r.Sign() <= 0 || r.Cmp(big.NewRat(100, 1)) > 0 {
		f.Add("percentage", "out_of_range", "percentage must be greater than 0 and at most 100")
	}
}

// checkDate records a date PostgreSQL cannot hold (the schema's date
// format admits year 0000).
func checkDate(f *apperr.Fields, field string, d *Date) {
	if d != nil && strings.HasPrefix(string(*d), "0000") {
		f.Add(field, "out_of_range", field+" must be a date from year 0001")
	}
}

// checkDates records an end before the start; dates are YYYY-MM-DD, so
// their order is their string order.
func checkDates(f *apperr.Fields, from Date, to *Date) {
	if to != nil && *to < from {
		f.Add("effectiveTo", "before_start", "effectiveTo must not be before effectiveFrom ("+string(from)+")")
	}
}

func today() Date { return Date(time.Now().UTC().Format(time.DateOnly)) }

// siblings is what the rules need to know about a property's other records
// (all but the one being written), read under the property lock.
type siblings struct {
	remaining   string // 100 minus their ACTIVE percentages, as text
	otherOwner  bool   // another ACTIVE OWNER exists
	partyMember bool   // the party user is a member of the organization
}

func readSiblings(ctx context.Context, q db.Querier, propertyID, excludeID, partyUserID string) (siblings, error) {
	var s siblings
	err := q.QueryRow(ctx, `SELECT
			trim_scale(100 - COALESCE(sum(percentage) FILTER (WHERE status = 'ACTIVE'), 0))::text,
			COALESCE(bool_or(role = 'OWNER' AND status = 'ACTIVE'), false),
			EXISTS (SELECT 1 FROM memberships WHERE user_id = $3::uuid)
		FROM ownerships WHERE property_id = $1 AND id IS DISTINCT FROM $2::uuid`,
		propertyID, nilIfEmpty(excludeID), nilIfEmpty(partyUserID)).Scan(&s.remaining, &s.otherOwner, &s.partyMember)
	return s, err
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// fits refuses an ACTIVE record whose percentage exceeds what its
// property's other ACTIVE records leave.
func fits(o Ownership, s siblings) error {
	if o.Status != Active || o.Percentage == nil {
		return nil
	}
	want, _ := new(big.Rat).SetString(string(*o.Percentage))
	left, ok := new(big.Rat).SetString(s.remaining)
	if !ok {
		return apperr.New(apperr.Internal, "ownership: unreadable remaining share %q", s.remaining)
	}
	if want.Cmp(left) > 0 {
		return apperr.Field("percentage", "exceeds_remaining",
			"percentage "+string(*o.Percentage)+" exceeds the remaining share of the property: "+s.remaining+
				" of 100 is not held by its ACTIVE ownerships")
	}
	return nil
}

// keepsAnOwner refuses a change that leaves the property without an ACTIVE
// OWNER when before was one.
func keepsAnOwner(before, after Ownership, s siblings) error {
	wasOwner := before.Role == Owner && before.Status == Active
	isOwner := after.Role == Owner && after.Status == Active
	if wasOwner && !isOwner && !s.otherOwner {
		return lastOwnerError()
	}
	return nil
}

func lastOwnerError() error {
	return apperr.New(apperr.Conflict, "rule %s: this is the last ACTIVE OWNER of the property; it cannot be suspended, removed "+
		"or given another role until another OWNER is ACTIVE", ruleLastOwner)
}

// lockProperty takes the property row lock every ownership write holds
// first; it reports false when the tenant has no such property.
func (s *Service) lockProperty(ctx context.Context, q db.Querier, propertyID string) (bool, error) {
	var one int
	err := q.QueryRow(ctx, `SELECT 1 FROM properties WHERE id = $1 FOR NO KEY UPDATE`, propertyID).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err == nil && s.afterLock != nil {
		s.afterLock()
	}
	return err == nil, err
}

// mapWriteError turns the database's refusals of a write into the errors
// the service would have given (the trigger is the last wall; the service
// normally refuses first).
func mapWriteError(err error) error {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return err
	}
	switch pgErr.ConstraintName {
	case trigPercentTotal:
		return apperr.Field("percentage", "exceeds_remaining", "the ACTIVE percentages of the property would sum to more than 100")
	case trigLastOwner:
		return lastOwnerError()
	case uniqueLiveUser:
		return apperr.New(apperr.Conflict, "this user already holds a live ownership of this property in this role")
	case "ownerships_party_user_id_fkey":
		return apperr.Field("party.userId", "not_found", "party.userId names no user")
	}
	return err
}

// Add records a holding of a property.
func (s *Service) Add(ctx context.Context, p authz.Principal, in AddInput) (Ownership, error) {
	return db.InTenantResult(ctx, s.db, p.OrgID, func(q db.Querier) (Ownership, error) { return s.AddTx(ctx, q, p, in) })
}

// AddTx is Add inside the caller's tenant transaction.
func (s *Service) AddTx(ctx context.Context, q db.Querier, p authz.Principal, in AddInput) (Ownership, error) {
	if in.Status == "" {
		in.Status = Active
	}
	o := Ownership{OrganizationID: p.OrgID, PropertyID: in.PropertyID, Role: in.Role, Status: in.Status,
		Percentage: in.Percentage, EffectiveFrom: today(), EffectiveTo: in.EffectiveTo, CreatedBy: p.UserID,
		Party: Party{UserID: in.Party.UserID, Name: strings.TrimSpace(in.Party.Name), Email: strings.ToLower(strings.TrimSpace(in.Party.Email))}}
	if in.EffectiveFrom != nil {
		o.EffectiveFrom = *in.EffectiveFrom
	}
	var f apperr.Fields
	switch {
	case o.Party.UserID == "" && o.Party.Name == "":
		f.Add("party", "required", "party needs a userId (a user of hestami) or a name (an external person)")
	case o.Party.UserID != "" && (in.Party.Name != "" || in.Party.Email != ""):
		f.Add("party", "one_party", "party is either a userId or a name with an optional email, not both")
	}
	if o.Status != Active && o.Status != PendingVerification {
		f.Add("status", "invalid_initial", "a new ownership starts ACTIVE or PENDING_VERIFICATION")
	}
	checkPercent(&f, o.Percentage)
	checkDate(&f, "effectiveFrom", in.EffectiveFrom)
	checkDate(&f, "effectiveTo", o.EffectiveTo)
	checkDates(&f, o.EffectiveFrom, o.EffectiveTo)
	if err := f.Err(); err != nil {
		return Ownership{}, err
	}
	res := resourceOf(o)
	res.ID = "new"
	if err := s.pdp.Authorize(ctx, p, res, "add"); err != nil {
		return Ownership{}, err
	}
	ok, err := s.lockProperty(ctx, q, o.PropertyID)
	if err != nil {
		return Ownership{}, err
	}
	if !ok {
		return Ownership{}, apperr.Field("propertyId", "not_found", "propertyId names no property of this organization")
	}
	sib, err := readSiblings(ctx, q, o.PropertyID, "", o.Party.UserID)
	if err != nil {
		return Ownership{}, err
	}
	if o.Party.UserID != "" && !sib.partyMember {
		return Ownership{}, apperr.Field("party.userId", "not_member", "party.userId names no member of this organization")
	}
	if err := fits(o, sib); err != nil {
		return Ownership{}, err
	}
	out, err := scan(q.QueryRow(ctx, `INSERT INTO ownerships (organization_id, property_id, party_user_id, party_name, party_email,
			role, status, percentage, effective_from, effective_to, created_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8::numeric, $9::date, $10::date, $11) RETURNING `+columns,
		p.OrgID, o.PropertyID, nilIfEmpty(o.Party.UserID), nilIfEmpty(o.Party.Name), nilIfEmpty(o.Party.Email),
		o.Role, o.Status, o.Percentage, o.EffectiveFrom, o.EffectiveTo, p.UserID))
	if err != nil {
		return out, mapWriteError(err)
	}
	return out, activity.Record(ctx, q, p, activity.Event{EntityType: kind, EntityID: out.ID, Verb: "added", After: out})
}

// Update changes a record's fields.
func (s *Service) Update(ctx context.Context, p authz.Principal, in UpdateInput) (Ownership, error) {
	return db.InTenantResult(ctx, s.db, p.OrgID, func(q db.Querier) (Ownership, error) { return s.UpdateTx(ctx, q, p, in) })
}

// UpdateTx is Update inside the caller's tenant transaction.
func (s *Service) UpdateTx(ctx context.Context, q db.Querier, p authz.Principal, in UpdateInput) (Ownership, error) {
	var f apperr.Fields
	if in.ClearPercentage && in.Percentage != nil {
		f.Add("clearPercentage", "conflicting", "clearPercentage and percentage cannot be given together")
	}
	checkPercent(&f, in.Percentage)
	checkDate(&f, "effectiveFrom", in.EffectiveFrom)
	checkDate(&f, "effectiveTo", in.EffectiveTo)
	if err := f.Err(); err != nil {
		return Ownership{}, err
	}
	return s.change(ctx, q, p, in.ID, "updated", func(before Ownership) (Ownership, error) {
		after := before
		if in.Role != nil {
			after.Role = *in.Role
		}
		if in.Status != nil {
			after.Status = *in.Status
		}
		if in.Percentage != nil {
			after.Percentage = in.Percentage
		}
		if in.ClearPercentage {
			after.Percentage = nil
		}
		if in.EffectiveFrom != nil {
			after.EffectiveFrom = *in.EffectiveFrom
		}
		if in.EffectiveTo != nil {
			after.EffectiveTo = in.EffectiveTo
		}
		return after, nil
	})
}

// Remove ends a record: it moves to TERMINATED with an end date.
func (s *Service) Remove(ctx context.Context, p authz.Principal, in RemoveInput) (Ownership, error) {
	return db.InTenantResult(ctx, s.db, p.OrgID, func(q db.Querier) (Ownership, error) { return s.RemoveTx(ctx, q, p, in) })
}

// RemoveTx is Remove inside the caller's tenant transaction.
func (s *Service) RemoveTx(ctx context.Context, q db.Querier, p authz.Principal, in RemoveInput) (Ownership, error) {
	var f apperr.Fields
	checkDate(&f, "effectiveTo", in.EffectiveTo)
	if err := f.Err(); err != nil {
		return Ownership{}, err
	}
	return s.change(ctx, q, p, in.ID, "removed", func(before Ownership) (Ownership, error) {
		after := before
		after.Status = Terminated
		switch {
		case in.EffectiveTo != nil:
			after.EffectiveTo = in.EffectiveTo
		case before.EffectiveTo == nil:
			end := max(today(), before.EffectiveFrom)
			after.EffectiveTo = &end
		}
		return after, nil
	})
}

// change applies edit to the record id under the property lock: it
// authorizes on the locked row, runs the state machine and the property's
// rules, writes, and records the event.
func (s *Service) change(ctx context.Context, q db.Querier, p authz.Principal, id, verb string,
	edit func(before Ownership) (Ownership, error)) (Ownership, error) {
	// The property lock comes first, as in Add (one lock order, no
	// deadlock); the record is read again once it is held, since a write
	// that held the lock before may have changed it.
	var propertyID string
	err := q.QueryRow(ctx, `SELECT p.id FROM ownerships o JOIN properties p ON p.organization_id = o.organization_id AND p.id = o.property_id
		WHERE o.id = $1 FOR NO KEY UPDATE OF p`, id).Scan(&propertyID)
	if errors.Is(err, pgx.ErrNoRows) {
		return Ownership{}, table.NotFound(id)
	}
	if err != nil {
		return Ownership{}, err
	}
	if s.afterLock != nil {
		s.afterLock()
	}
	before, err := table.Load(ctx, q, id, true)
	if err != nil {
		return before, err
	}
	if err := s.pdp.Authorize(ctx, p, resourceOf(before), "view"); err != nil {
		return Ownership{}, table.HideForbidden(err, id)
	}
	after, err := edit(before)
	if err != nil {
		return Ownership{}, err
	}
	action := "update"
	if verb == "removed" || after.Status == Terminated {
		action = "remove"
	}
	if err := s.pdp.Authorize(ctx, p, resourceOf(before), action); err != nil {
		return Ownership{}, err
	}
	if Terminal(before.Status) {
		return Ownership{}, apperr.New(apperr.InvalidTransition, "an ownership in %s is final and cannot change", before.Status)
	}
	if after.Status != before.Status && !CanTransition(before.Status, after.Status) {
		return Ownership{}, apperr.New(apperr.InvalidTransition, "%s", transitionRefusal(before.Status, after.Status))
	}
	var f apperr.Fields
	checkDates(&f, after.EffectiveFrom, after.EffectiveTo)
	if err := f.Err(); err != nil {
		return Ownership{}, err
	}
	sib, err := readSiblings(ctx, q, before.PropertyID, before.ID, "")
	if err != nil {
		return Ownership{}, err
	}
	if err := keepsAnOwner(before, after, sib); err != nil {
		return Ownership{}, err
	}
	if err := fits(after, sib); err != nil {
		return Ownership{}, err
	}
	out, err := scan(q.QueryRow(ctx, `UPDATE ownerships SET role = $2, status = $3, percentage = $4::numeric, effective_from = $5::date,
			effective_to = $6::date, updated_at = now()
		WHERE id = $1 RETURNING `+columns,
		before.ID, after.Role, after.Status, after.Percentage, after.EffectiveFrom, after.EffectiveTo))
	if err != nil {
		return out, mapWriteError(err)
	}
	return out, activity.Record(ctx, q, p, activity.Event{EntityType: kind, EntityID: out.ID, Verb: verb, Before: before, After: out})
}
