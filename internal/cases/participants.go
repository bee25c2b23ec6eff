package cases

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/invopop/jsonschema"
	"github.com/jackc/pgx/v5"

	"github.com/hestami/concierge/internal/activity"
	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/db"
	"github.com/hestami/concierge/internal/enum"
)

// ParticipantRole is the part someone plays on a case (domain.md §4).
type ParticipantRole string

const (
	OwnerContact  ParticipantRole = "OWNER_CONTACT"
	Tenant        ParticipantRole = "TENANT"
	VendorContact ParticipantRole = "VENDOR_CONTACT"
	HOAContact    ParticipantRole = "HOA_CONTACT"
	StaffRole     ParticipantRole = "STAFF"
	OtherRole     ParticipantRole = "OTHER"
)

// ParticipantRoles lists every participant role.
var ParticipantRoles = enum.New(OwnerContact, Tenant, VendorContact, HOAContact, StaffRole, OtherRole).
	Stored("case_participants", "role")

// JSONSchema makes every ParticipantRole field an enum.
func (ParticipantRole) JSONSchema() *jsonschema.Schema { return ParticipantRoles.Schema() }

// Participant is someone a case involves: a user of the platform (UserID
// set; Name is the display name it had when added) or an external contact
// (no UserID; Name and the optional contact details identify them).
type Participant struct {
	ID               string          `json:"id"`
	OrganizationID   string          `json:"organizationId"`
	CaseID           string          `json:"caseId"`
	Role             ParticipantRole `json:"role"`
	UserID           *string         `json:"userId,omitempty"`
	Name             string          `json:"name"`
	Email            string          `json:"email,omitempty"`
	Phone            string          `json:"phone,omitempty"`
	OrganizationName string          `json:"organizationName,omitempty"`
	AddedBy          string          `json:"addedBy"`
	AddedAt          time.Time       `json:"addedAt"`
}

// AddParticipantInput adds a user (UserID) or an external contact (Name,
// with optional Email, Phone, OrganizationName) to a case with a role.
type AddParticipantInput struct {
	CaseID           string          `json:"caseId" jsonschema:"minLength=1,maxLength=100,pattern=^[^\\x00-\\x1F\\x7F-\\x9F]*$,description=the case id or number (CASE-2026-7)"`
	Role             ParticipantRole `json:"role"`
	UserID           string          `json:"userId,omitempty" jsonschema:"format=uuid,description=a member of the case's organization or staff of its concierge operator; or give name"`
	Name             string          `json:"name,omitempty" jsonschema:"maxLength=200,pattern=^[^\\x00-\\x1F\\x7F-\\x9F]*$,description=an external contact's name; or give userId"`
	Email            string          `json:"email,omitempty" jsonschema:"maxLength=320,pattern=^[^\\x00-\\x1F\\x7F-\\x9F]*$"`
	Phone            string          `json:"phone,omitempty" jsonschema:"maxLength=50,pattern=^[^\\x00-\\x1F\\x7F-\\x9F]*$"`
	OrganizationName string          `json:"organizationName,omitempty" jsonschema:"maxLength=200,pattern=^[^\\x00-\\x1F\\x7F-\\x9F]*$,description=the contact's company, HOA or agency"`
}

// RemoveParticipantInput takes a participant off its case.
type RemoveParticipantInput struct {
	ID string `json:"id" jsonschema:"format=uuid"`
}

// ListParticipantsInput names the case whose participants to list.
type ListParticipantsInput struct {
	CaseID string `json:"caseId" jsonschema:"minLength=1,maxLength=100,pattern=^[^\\x00-\\x1F\\x7F-\\x9F]*$,description=the case id or number (CASE-2026-7)"`
}

// Participants is every participant of a case, in the order they were
// added. A case has few; the list is not paged.
type Participants struct {
	CaseID string        `json:"caseId"`
	Items  []Participant `json:"items"`
}

const participantColumns = `id, organization_id, case_id, role, user_id, name, email, phone, organization_name, added_by, added_at`

func scanParticipant(r db.Row) (Participant, error) {
	var p Participant
	err := r.Scan(&p.ID, &p.OrganizationID, &p.CaseID, &p.Role, &p.UserID, &p.Name, &p.Email, &p.Phone, &p.OrganizationName,
		&p.AddedBy, &p.AddedAt)
	return p, err
}

// maxParticipants bounds a case's participants, so that listing them
// whole stays cheap.
const maxParticipants = 100

// lockForParticipants locks the case ref names for a participant change
// and decides action on the locked row: a case p may not view is not
// found, an action p may not take is forbidden, and a terminal case takes
// no change (domain.md §4).
func (s *Service) lockForParticipants(ctx context.Context, q db.Querier, p authz.Principal, ref, action, refusal string) (Case, error) {
	c, err := load(ctx, q, ref, true)
	if err != nil {
		return c, err
	}
	if err := s.pdp.Authorize(ctx, p, resourceOf(c), "view"); err != nil {
		return Case{}, table.HideForbidden(err, ref)
	}
	if err := s.pdp.Authorize(ctx, p, resourceOf(c), action); err != nil {
		if apperr.CodeOf(err) == apperr.Forbidden {
			return Case{}, apperr.New(apperr.Forbidden, "not allowed to %s participants of this case", refusal)
		}
		return Case{}, err
	}
	if Terminal(c.Status) {
		return Case{}, apperr.New(apperr.Conflict, "case %s is %s: nothing can be added to a terminal case, nor taken from it", c.Number, c.Status)
	}
	return c, nil
}

// AddParticipantTx adds a participant to a case in the caller's
// transaction. The same user in the same role twice is a CONFLICT naming
// the existing participant: the idempotency key already makes a retry
// harmless, so a second add with a new key is a mistake worth reporting.
// External contacts are not deduplicated (two plumbers may share a name).
func (s *Service) AddParticipantTx(ctx context.Context, q db.Querier, p authz.Principal, in AddParticipantInput) (Participant, error) {
	in.Name, in.Email = strings.TrimSpace(in.Name), strings.TrimSpace(in.Email)
	in.Phone, in.OrganizationName = strings.TrimSpace(in.Phone), strings.TrimSpace(in.OrganizationName)
	var f apperr.Fields
	switch {
	case in.UserID != "":
		for field, v := range map[string]string{"name": in.Name, "email": in.Email, "phone": in.Phone, "organizationName": in.OrganizationName} {
			if v != "" {
				f.Add(field, "not_allowed", field+" is for external contacts; a user participant is named by userId alone")
			}
		}
	case in.Name == "":
		f.Add("name", "required", "give userId (a user) or name (an external contact)")
	}
	if in.Email != "" && !strings.Contains(strings.TrimPrefix(in.Email, "@"), "@") {
		f.Add("email", "invalid", "email is not an e-mail address")
	}
	if err := f.Err(); err != nil {
		return Participant{}, err
	}
	c, err := s.lockForParticipants(ctx, q, p, in.CaseID, "add_participant", "add")
	if err != nil {
		return Participant{}, err
	}
	var count int
	if err := q.QueryRow(ctx, `SELECT count(*) FROM case_participants WHERE case_id = $1`, c.ID).Scan(&count); err != nil {
		return Participant{}, err
	}
	if count >= maxParticipants {
		return Participant{}, apperr.New(apperr.Conflict, "case %s already has %d participants, the most it may have", c.Number, maxParticipants)
	}
	var userID *string
	if in.UserID != "" {
		userID = &in.UserID
		var name *string
		if err := q.QueryRow(ctx, `SELECT hestami_case_participant_name($1::uuid)`, in.UserID).Scan(&name); err != nil {
			return Participant{}, err
		}
		if name == nil {
			return Participant{}, apperr.Field("userId", "not_found",
				"userId names no member of this organization and no concierge staff of an operator it engages")
		}
		in.Name = *name
		var existing string
		err := q.QueryRow(ctx, `SELECT id FROM case_participants WHERE case_id = $1 AND user_id = $2 AND role = $3`,
			c.ID, in.UserID, in.Role).Scan(&existing)
		if err == nil {
			return Participant{}, apperr.New(apperr.Conflict, "that user is already a %s participant of case %s (participant %s)", in.Role, c.Number, existing)
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return Participant{}, err
		}
	}
	out, err := scanParticipant(q.QueryRow(ctx, `INSERT INTO case_participants
		(organization_id, case_id, role, user_id, name, email, phone, organization_name, added_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING `+participantColumns,
		c.OrganizationID, c.ID, in.Role, userID, in.Name, in.Email, in.Phone, in.OrganizationName, p.UserID))
	if err != nil {
		return Participant{}, err
	}
	return out, activity.Record(ctx, q, p, activity.Event{EntityType: kind, EntityID: c.ID, Verb: "participant_added", After: out})
}

// RemoveParticipantTx takes a participant off its case in the caller's
// transaction. The activity event keeps who it was.
func (s *Service) RemoveParticipantTx(ctx context.Context, q db.Querier, p authz.Principal, in RemoveParticipantInput) (Participant, error) {
	notFound := apperr.New(apperr.NotFound, "participant %s not found", in.ID)
	var caseID string
	err := q.QueryRow(ctx, `SELECT case_id FROM case_participants WHERE id = $1`, in.ID).Scan(&caseID)
	if errors.Is(err, pgx.ErrNoRows) {
		return Participant{}, notFound
	}
	if err != nil {
		return Participant{}, err
	}
	if _, err := s.lockForParticipants(ctx, q, p, caseID, "remove_participant", "remove"); err != nil {
		if apperr.CodeOf(err) == apperr.NotFound {
			return Participant{}, notFound
		}
		return Participant{}, err
	}
	// Read again under the case lock: a concurrent removal that won the
	// lock has already taken it.
	out, err := scanParticipant(q.QueryRow(ctx, `DELETE FROM case_participants WHERE id = $1 RETURNING `+participantColumns, in.ID))
	if errors.Is(err, pgx.ErrNoRows) {
		return Participant{}, notFound
	}
	if err != nil {
		return Participant{}, err
	}
	return out, activity.Record(ctx, q, p, activity.Event{EntityType: kind, EntityID: caseID, Verb: "participant_removed", Before: out})
}

// ListParticipants returns the participants of a case p may view.
func (s *Service) ListParticipants(ctx context.Context, p authz.Principal, in ListParticipantsInput) (Participants, error) {
	c, err := s.viewable(ctx, p, in.CaseID)
	if err != nil {
		return Participants{}, err
	}
	out := Participants{CaseID: c.ID}
	err = s.db.InTenantRead(ctx, p.OrgID, func(q db.Querier) error {
		out.Items, err = participantsOf(ctx, q, c.ID)
		return err
	})
	return out, err
}

// viewable returns the case ref names if p may view it; any other is not
// found.
func (s *Service) viewable(ctx context.Context, p authz.Principal, ref string) (Case, error) {
	c, err := db.InTenantResult(ctx, s.db, p.OrgID, func(q db.Querier) (Case, error) { return load(ctx, q, ref, false) })
	if err != nil {
		return Case{}, err
	}
	if err := s.pdp.Authorize(ctx, p, resourceOf(c), "view"); err != nil {
		return Case{}, table.HideForbidden(err, ref)
	}
	return c, nil
}

// participantsOf reads a case's participants, oldest first. Whoever may
// view a case may see who takes part in it; the caller decided that.
func participantsOf(ctx context.Context, q db.Querier, caseID string) ([]Participant, error) {
	rows, err := q.Query(ctx, `SELECT `+participantColumns+` FROM case_participants WHERE case_id = $1
		ORDER BY added_at, id LIMIT `+strconv.Itoa(maxParticipants), caseID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Participant{}
	for rows.Next() {
		v, err := scanParticipant(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
