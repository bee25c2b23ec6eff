package cases

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hestami/concierge/internal/action"
	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/db"
)

// DetailLimit bounds each list of a case's detail: the latest entries are
// kept and Truncated says that older ones were left out (page through
// case/v1/listNotes or action/v1/list for them).
const DetailLimit = 200

// Detail is a case with everything about it the caller may see, read in
// one transaction: the case as case/v1/get returns it, the intent it came
// from, a timeline, its notes, actions and participants. Each part is
// filtered by its own PDP view rule; an owner-side principal learns nothing
// of internal notes, not even that they exist.
//
// The parts of other domains (documents, HOA approvals, quotes, visits,
// invoices, decisions) are not here: those domains import cases, so cases
// cannot import them. internal/casedetail composes them with this Detail
// through DetailWith, in the same transaction, and declares case/v1/detail;
// this type is the part of its output cases owns, and its JSON shape is
// unchanged by the composition (casedetail embeds it).
type Detail struct {
	Case         Case                `json:"case"`
	Origin       *Origin             `json:"origin,omitempty"`
	Timeline     Part[TimelineEntry] `json:"timeline"`
	Notes        Part[Note]          `json:"notes"`
	Actions      Part[action.Action] `json:"actions"`
	Participants Part[Participant]   `json:"participants"`
}

// Part is one bounded list of a case's detail, oldest first.
type Part[T any] struct {
	Items []T `json:"items"`
	// Truncated reports that older entries the caller may see were left out.
	Truncated bool `json:"truncated"`
}

// Origin is the owner intent a case was converted from (intent/v1/get
// has all of it).
type Origin struct {
	ID              string     `json:"id"`
	PropertyID      string     `json:"propertyId"`
	Title           string     `json:"title"`
	Text            string     `json:"text"`
	Status          string     `json:"status"`
	CreatedBy       string     `json:"createdBy"`
	SubmittedBy     *string    `json:"submittedBy,omitempty"`
	CreatedAt       time.Time  `json:"createdAt"`
	StatusChangedAt *time.Time `json:"statusChangedAt,omitempty"`
}

// TimelineEntry is one thing that happened to a case, its actions or the
// intent it came from.
type TimelineEntry struct {
	At        time.Time `json:"at"`
	ActorKind string    `json:"actorKind"`
	ActorID   string    `json:"actorId"`
	// Entity is what the entry is about: case, action or intent.
	Entity   string `json:"entity"`
	EntityID string `json:"entityId"`
	Verb     string `json:"verb"`
	Summary  string `json:"summary"`
}

// The origin intent is read with the intent resource's own PDP view rule:
// cases cannot import internal/intent (it imports cases), so this is the
// intent domain's resource shape restated — its kind, its attributes and
// their columns. A policy condition on an attribute missing here fails the
// translation, an error, never a wider read.
const intentKind = "intent"

var intentPlan = authz.Columns{
	"request.resource.id":               "id",
	"request.resource.attr.org_id":      "organization_id",
	"request.resource.attr.property_id": "property_id",
	"request.resource.attr.status":      "status",
	"request.resource.attr.created_by":  "created_by",
}

// Detail returns the case ref names (id or number) with its parts. A case
// the principal may not view is not found.
func (s *Service) Detail(ctx context.Context, p authz.Principal, ref string) (Detail, error) {
	return s.DetailWith(ctx, p, ref, nil)
}

// DetailWith is Detail that also runs more, when not nil, in the same
// transaction once the case is found and the principal may view it: what
// other domains add to a case's detail reads the same snapshot, and never
// for a case the caller may not see. more must ask the PDP for its plans
// before calling DetailWith, so that no PDP round trip holds a connection.
func (s *Service) DetailWith(ctx context.Context, p authz.Principal, ref string, more func(ctx context.Context, q db.Querier, c Case) error) (Detail, error) {
	// The plans are asked before the transaction opens: a PDP round trip
	// holds no connection.
	notePlan, err := s.pdp.QueryFilter(ctx, p, noteKind, "view")
	if err != nil {
		return Detail{}, err
	}
	actionPlan, err := s.pdp.QueryFilter(ctx, p, "action", "view")
	if err != nil {
		return Detail{}, err
	}
	originPlan, err := s.pdp.QueryFilter(ctx, p, intentKind, "view")
	if err != nil {
		return Detail{}, err
	}
	var open bool
	d, err := db.InTenantResult(ctx, s.db, p.OrgID, func(q db.Querier) (Detail, error) {
		c, err := load(ctx, q, ref, false)
		if err != nil {
			return Detail{}, err
		}
		if err := s.pdp.Authorize(ctx, p, resourceOf(c), "view"); err != nil {
			return Detail{}, table.HideForbidden(err, ref)
		}
		d := Detail{Case: c}
		if d.Case.History, err = history(ctx, q, c.ID); err != nil {
			return Detail{}, err
		}
		if d.Origin, err = originOf(ctx, q, originPlan, c.ID); err != nil {
			return Detail{}, err
		}
		if d.Notes, err = notesOf(ctx, q, notePlan, c.ID); err != nil {
			return Detail{}, err
		}
		if d.Actions.Items, d.Actions.Truncated, err = action.ForCaseTx(ctx, q, actionPlan, c.ID, DetailLimit); err != nil {
			return Detail{}, err
		}
		if d.Participants.Items, err = participantsOf(ctx, q, c.ID); err != nil {
			return Detail{}, err
		}
		if d.Timeline, err = timelineOf(ctx, q, c.ID, d.Origin, notePlan, actionPlan); err != nil {
			return Detail{}, err
		}
		if open, err = hasOpenActions(ctx, q, c); err != nil {
			return Detail{}, err
		}
		if more != nil {
			if err := more(ctx, q, c); err != nil {
				return Detail{}, err
			}
		}
		return d, nil
	})
	if err != nil {
		return Detail{}, err
	}
	// Asked once the transaction is over: a PDP round trip holds no
	// connection.
	if d.Case.AllowedTransitions, err = s.allowedTransitions(ctx, p, d.Case, open); err != nil {
		return Detail{}, err
	}
	return d, nil
}

func originOf(ctx context.Context, q db.Querier, plan *authz.Plan, caseID string) (*Origin, error) {
	args := &authz.Args{}
	allowed, err := plan.SQL(intentPlan, args)
	if err != nil {
		return nil, err
	}
	rows, err := q.Query(ctx, `SELECT id, property_id, title, text, status, created_by, submitted_by, created_at, status_changed_at
		FROM intents WHERE case_id = `+args.Add(caseID)+`::uuid AND `+allowed+` ORDER BY created_at LIMIT 1`, args.List()...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	if !rows.Next() {
		return nil, rows.Err()
	}
	var o Origin
	if err := rows.Scan(&o.ID, &o.PropertyID, &o.Title, &o.Text, &o.Status, &o.CreatedBy, &o.SubmittedBy, &o.CreatedAt, &o.StatusChangedAt); err != nil {
		return nil, err
	}
	return &o, rows.Err()
}

// notesOf reads the latest notes of a case the note plan allows (what
// case/v1/listNotes shows), oldest first.
func notesOf(ctx context.Context, q db.Querier, plan *authz.Plan, caseID string) (Part[Note], error) {
	args := &authz.Args{}
	allowed, err := plan.SQL(noteTable.Plan, args)
	if err != nil {
		return Part[Note]{}, err
	}
	rows, err := q.Query(ctx, `SELECT `+noteColumns+` FROM case_notes WHERE case_id = `+args.Add(caseID)+`::uuid AND `+allowed+
		` ORDER BY created_at DESC, id DESC LIMIT `+args.Add(DetailLimit+1), args.List()...)
	if err != nil {
		return Part[Note]{}, err
	}
	defer rows.Close()
	out := Part[Note]{Items: []Note{}}
	for rows.Next() {
		n, err := scanNote(rows)
		if err != nil {
			return out, err
		}
		out.Items = append(out.Items, n)
	}
	return bounded(out), rows.Err()
}

// bounded keeps the DetailLimit latest of items read newest first (one
// more than the limit, to know), oldest first.
func bounded[T any](p Part[T]) Part[T] {
	if len(p.Items) > DetailLimit {
		p.Items, p.Truncated = p.Items[:DetailLimit], true
	}
	slices.Reverse(p.Items)
	return p
}

// timelineSQL merges the case's status history with the activity events of
// the case, of its actions and of the intent it came from, newest first.
// Every filter applies before the limit: an event about a note the caller
// may not read (one that names a noteId outside the note plan) is not
// there, not even counted; so is an event of an action outside the action
// plan. The case's "created" and "status_changed" events say what its
// status history says, which is the entry kept (it has the reason).
const timelineSQL = `SELECT at, actor_kind, actor_id, entity, entity_id, verb, from_status, to_status, reason, before, after FROM (
	SELECT changed_at AS at, actor_kind, actor_id::text, 'case' AS entity, case_id AS entity_id,
		CASE WHEN from_status IS NULL THEN 'opened' ELSE 'status_changed' END AS verb,
		from_status, to_status, reason, NULL::jsonb AS before, NULL::jsonb AS after, 0 AS src, id AS seq
	FROM case_status_history WHERE case_id = %[1]s
	UNION ALL
	SELECT occurred_at, actor_kind, actor_id::text, entity_type, entity_id, verb, NULL, NULL, '', before, after, 1, id
	FROM activity_events
	WHERE entity_type = 'case' AND entity_id = %[1]s AND verb NOT IN ('created', 'status_changed')
		AND (COALESCE(after->>'noteId', before->>'noteId') IS NULL
			OR COALESCE(after->>'noteId', before->>'noteId') IN (SELECT id::text FROM case_notes WHERE case_id = %[1]s AND %[2]s))
	UNION ALL
	SELECT occurred_at, actor_kind, actor_id::text, entity_type, entity_id, verb, NULL, NULL, '', before, after, 1, id
	FROM activity_events
	WHERE entity_type = 'action' AND entity_id IN (SELECT id FROM case_actions WHERE case_id = %[1]s AND %[3]s)
	UNION ALL
	SELECT occurred_at, actor_kind, actor_id::text, entity_type, entity_id, verb, NULL, NULL, '', before, after, 1, id
	FROM activity_events
	WHERE entity_type = 'intent' AND entity_id = %[4]s
) t ORDER BY at DESC, src DESC, seq DESC LIMIT %[5]s`

func timelineOf(ctx context.Context, q db.Querier, caseID string, origin *Origin, notePlan, actionPlan *authz.Plan) (Part[TimelineEntry], error) {
	args := &authz.Args{}
	caseArg := args.Add(caseID) + `::uuid`
	notes, err := notePlan.SQL(noteTable.Plan, args)
	if err != nil {
		return Part[TimelineEntry]{}, err
	}
	actions, err := action.ViewFilter(actionPlan, args)
	if err != nil {
		return Part[TimelineEntry]{}, err
	}
	// The intent's events are the caller's only if the intent itself is.
	var originID *string
	if origin != nil {
		originID = &origin.ID
	}
	sql := fmt.Sprintf(timelineSQL, caseArg, notes, actions, args.Add(originID)+`::uuid`, args.Add(DetailLimit+1))
	rows, err := q.Query(ctx, sql, args.List()...)
	if err != nil {
		return Part[TimelineEntry]{}, err
	}
	defer rows.Close()
	out := Part[TimelineEntry]{Items: []TimelineEntry{}}
	for rows.Next() {
		var e TimelineEntry
		var from, to *string
		var reason string
		var before, after []byte
		if err := rows.Scan(&e.At, &e.ActorKind, &e.ActorID, &e.Entity, &e.EntityID, &e.Verb, &from, &to, &reason, &before, &after); err != nil {
			return out, err
		}
		e.Summary = summarize(e, from, to, reason, before, after)
		out.Items = append(out.Items, e)
	}
	return bounded(out), rows.Err()
}

// summarize says in words what a timeline entry records. It reads only
// what the entry's own event carries about the entity it is about.
func summarize(e TimelineEntry, from, to *string, reason string, before, after []byte) string {
	var a, b map[string]any
	_ = json.Unmarshal(after, &a)
	_ = json.Unmarshal(before, &b)
	str := func(m map[string]any, k string) string { s, _ := m[k].(string); return s }
	withReason := func(s string) string {
		if reason != "" {
			return s + ": " + reason
		}
		return s
	}
	switch e.Entity + "/" + e.Verb {
	case "case/opened":
		if reason == "opened" { // what every case's first entry says
			reason = ""
		}
		return withReason("opened the case in " + deref(to))
	case "case/status_changed":
		return withReason(fmt.Sprintf("moved the case from %s to %s", deref(from), deref(to)))
	case "case/note_added":
		what := "a shared note"
		if Audience(str(a, "audience")) == Internal {
			what = "an internal note"
		}
		switch NoteKind(str(a, "kind")) {
		case ClarificationRequest:
			return "asked the owner a question (a shared note)"
		case ClarificationResponse:
			return "answered the open question (a shared note)"
		case DecisionRationale:
			what += " with a decision's rationale"
		}
		return "added " + what
	case "case/assigned":
		return "assigned the case"
	case "case/unassigned":
		return "left the case without an assignee"
	case "case/participant_added":
		return fmt.Sprintf("added %s (%s) as a participant", str(a, "name"), str(a, "role"))
	case "case/participant_removed":
		return fmt.Sprintf("removed participant %s (%s)", str(b, "name"), str(b, "role"))
	case "action/created":
		return fmt.Sprintf("planned action %q (%s)", str(a, "title"), str(a, "type"))
	case "intent/classified":
		return fmt.Sprintf("classified the request as %s, priority %s", str(a, "category"), str(a, "priority"))
	}
	switch e.Entity {
	case "action":
		s := fmt.Sprintf("action %q: %s", str(a, "title"), strings.ReplaceAll(e.Verb, "_", " "))
		if st := str(a, "status"); st != "" {
			s += " (now " + st + ")"
		}
		return s
	case "intent":
		s := "request " + strings.ReplaceAll(e.Verb, "_", " ")
		if st := str(a, "status"); st != "" {
			s += " (now " + st + ")"
		}
		return s
	}
	return e.Entity + " " + strings.ReplaceAll(e.Verb, "_", " ")
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
