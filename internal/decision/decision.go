// Package decision is the decision ledger (domain.md §9): who decided what,
// why (a rationale is mandatory), among which options, on which evidence,
// as which actor and under which authority (the actor's roles, and for a
// delegated agent the delegation grant that allowed it).
//
// # Append-only
//
// There is no update or delete procedure, and the runtime database role
// may only SELECT and INSERT the ledger tables (migration 0018). An
// outcome, a correction or a supersession is a new entry that refers to
// the earlier one (refersTo + relation OUTCOME, CORRECTION or
// SUPERSESSION).
//
// # Visibility
//
// The owner side (owner, co-owner, trustee-manager) sees its
// organization's decisions: the title, the human-readable summary, the
// rationale, options and evidence. Concierge staff and platform admins
// also see the audit part: the internal audit detail and the evidence that
// is itself staff-only (an INTERNAL case note). Only they may record one.
// Whether a principal sees the audit part is the PDP's "view_audit" on the
// organization's ledger (policies/decision.yaml), asked once per request;
// every other caller gets the decision with no trace of it. A delegated
// agent sees the decisions of the properties its grants cover, and records
// one under a grant for the decision's property whose type fits the
// category (VENDOR_SELECTION → VENDOR_SELECTION, COST_AUTHORIZATION →
// FINANCIAL_DECISIONS, any other → CASE_MANAGEMENT; FULL_AUTHORITY covers
// all).
//
// # Hash chain
//
// Each organization's entries are numbered 1, 2, 3, … without gaps
// (UNIQUE (organization_id, sequence)) and chained: an entry's hash is
//
//	hash = lower-case hex SHA-256(canonical encoding of the entry)
//
// and the encoding includes the previous entry's hash (64 zeros for entry
// 1). Appending takes a transaction-scoped advisory lock per organization
// before reading the head, so concurrent records in one organization queue
// up and each sees the one before it; the unique sequence is the backstop.
//
// The canonical encoding (version "hestami.decision.v1") is one JSON array,
// no whitespace anywhere, of these values in this order:
//
//	 1 "hestami.decision.v1"
//	 2 organization id
//	 3 sequence              integer, decimal, no sign, no leading zeros
//	 4 id
//	 5 previous hash         64 lower-case hex digits
//	 6 recorded at           UTC RFC 3339 with exactly 6 fractional digits,
//	                         "2026-06-01T12:00:00.000000Z"
//	 7 category
//	 8 title
//	 9 summary
//	10 rationale
//	11 case id               or null
//	12 property id           or null
//	13 options               [[label, [pros…], [cons…], chosen (true|false)], …]
//	14 public evidence       [[kind, id], …]
//	15 actor kind            HUMAN, AI or SYSTEM
//	16 actor id
//	17 authority roles       [role, …]
//	18 delegation id         or null
//	19 refers to             or null
//	20 relation              or null
//	21 audit digest          64 lower-case hex digits
//
// The audit digest is lower-case hex SHA-256 of
// ["hestami.decision.audit.v1", nonce, audit detail, [[kind, id], …]] (the
// internal evidence), encoded the same way; the nonce is 32 random hex
// digits per entry, so that an export without the audit part (the owner
// side's) still verifies but its digests reveal nothing guessable.
//
// Ids are lower-case canonical UUID strings. Strings are JSON strings of
// their UTF-8 bytes with only three escapes: `"` as \", `\` as \\ and
// each byte below 0x20 as \u00xx (lower-case hex); nothing else is escaped.
// Arrays keep the order the entry was recorded with (options and evidence
// as given; roles sorted).
//
// # Verification
//
// decision/v1/verify (`hestami decision verify`) reads the organization's
// chain in sequence order and recomputes it; the first entry that breaks
// it is named with its sequence number, id and why: a sequence gap (an
// entry deleted), a previous hash that does not match (reordered, or an
// earlier entry replaced together with its hash), or content that does not
// match its hash (changed). Deleting the newest entries leaves a shorter,
// valid chain: compare the head (sequence and hash) verify prints with one
// noted earlier, or with an export's.
//
// # Export
//
// decision/v1/export pages the chain; `hestami decision export --out FILE`
// writes it as JSON lines: a header
//
//	{"format":"hestami.decision.export","version":1,"encoding":"hestami.decision.v1",
//	 "organizationId":…,"exportedAt":…,"headSequence":N,"headHash":…,"audit":true|false}
//
// then one ExportEntry per line in sequence order, each with its hash and
// audit digest, and its audit part (nonce, detail, internal evidence) when
// the exporter may see it. `hestami decision verify --file FILE` (VerifyExport)
// checks such a file with no database: the header, every entry's hash and
// link, each audit part against its digest, and that the last entry is the
// header's head.
package decision

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/invopop/jsonschema"
	"github.com/jackc/pgx/v5"

	"github.com/hestami/concierge/internal/activity"
	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/db"
	"github.com/hestami/concierge/internal/enum"
	"github.com/hestami/concierge/internal/listing"
	"github.com/hestami/concierge/internal/records"
)

// Category is what kind of decision an entry records.
type Category string

// Categories lists them (domain.md §9).
var Categories = enum.New[Category]("VENDOR_SELECTION", "APPROVAL", "COST_AUTHORIZATION", "SCHEDULING",
	"ESCALATION", "RESOLUTION", "OTHER").Stored("decisions", "category")

func (Category) JSONSchema() *jsonschema.Schema { return Categories.Schema() }

// Relation is how an entry concerns the earlier one it refers to.
type Relation string

// Relations lists them.
var Relations = enum.New[Relation]("OUTCOME", "CORRECTION", "SUPERSESSION").Stored("decisions", "relation")

func (Relation) JSONSchema() *jsonschema.Schema { return Relations.Schema() }

// EvidenceKind is what a piece of evidence is.
type EvidenceKind string

// EvidenceKinds lists every kind the ledger stores; the kinds a record may
// cite today are those of evidenceTables.
var EvidenceKinds = enum.New[EvidenceKind]("CASE", "NOTE", "DOCUMENT", "QUOTE", "HOA_RULE", "INVOICE", "DECISION").
	Stored("decision_evidence", "kind")

func (EvidenceKind) JSONSchema() *jsonschema.Schema { return EvidenceKinds.Schema() }

// actorKinds binds the actor kinds (authz.ActorKinds) to this table's
// column for the catalog test.
var _ = enum.New(authz.Human, authz.AI, authz.System).Stored("decisions", "actor_kind")

// evidenceTable is where evidence of one kind lives, and which of its rows
// are staff-only (a SQL condition on the row; "" when none are).
type evidenceTable struct {
	name     string
	internal string
}

// evidenceTables is the one map from evidence kind to table. A kind is
// checked to exist in the same organization (RLS) before it is cited.
// Every kind can be cited; the map stays the one place that says where
// each lives.
var evidenceTables = map[EvidenceKind]evidenceTable{
	"CASE":     {name: "cases"},
	"NOTE":     {name: "case_notes", internal: "audience = 'INTERNAL'"},
	"DECISION": {name: "decisions"},
	"HOA_RULE": {name: "hoa_rules"},
	"DOCUMENT": {name: "documents", internal: "visibility = 'STAFF_ONLY'"},
	"QUOTE":    {name: "quotes"},
	"INVOICE":  {name: "invoices"},
}

// Option is one option considered.
type Option struct {
	Label  string   `json:"label" jsonschema:"maxLength=200,pattern=^[^\\x00-\\x1F\\x7F-\\x9F]*$"`
	Pros   []string `json:"pros,omitempty" jsonschema:"maxItems=20"`
	Cons   []string `json:"cons,omitempty" jsonschema:"maxItems=20"`
	Chosen bool     `json:"chosen,omitempty"`
}

// Evidence links a decision to a record of its organization.
type Evidence struct {
	Kind EvidenceKind `json:"kind"`
	ID   string       `json:"id" jsonschema:"format=uuid"`
}

// Authority is what a decision was made under.
type Authority struct {
	// Roles are the actor's roles in the organization.
	Roles []string `json:"roles"`
	// DelegationID is the grant that allowed a delegated agent.
	DelegationID *string `json:"delegationId,omitempty"`
}

// Decision is one ledger entry as the caller may see it.
type Decision struct {
	ID             string     `json:"id"`
	OrganizationID string     `json:"organizationId"`
	Sequence       int64      `json:"sequence"`
	Category       Category   `json:"category"`
	Title          string     `json:"title"`
	Summary        string     `json:"summary"`
	Rationale      string     `json:"rationale"`
	CaseID         *string    `json:"caseId,omitempty"`
	PropertyID     *string    `json:"propertyId,omitempty"`
	Options        []Option   `json:"options"`
	Evidence       []Evidence `json:"evidence"`
	ActorKind      string     `json:"actorKind"`
	ActorID        string     `json:"actorId"`
	Authority      Authority  `json:"authority"`
	RefersTo       *string    `json:"refersTo,omitempty"`
	Relation       *Relation  `json:"relation,omitempty"`
	RecordedAt     time.Time  `json:"recordedAt"`
	PrevHash       string     `json:"prevHash"`
	Hash           string     `json:"hash"`
	// Audit is the staff-only part; absent for everyone else.
	Audit *AuditView `json:"audit,omitempty"`

	audit     Audit // always read; shown only through Audit
	showAudit bool  // the recorder may see it (RecordTx)
}

// AuditView is the audit part as staff see it.
type AuditView struct {
	Detail   string     `json:"detail"`
	Evidence []Evidence `json:"evidence"`
}

// entry is d as the chain covers it.
func (d Decision) entry() Entry {
	return Entry{OrganizationID: d.OrganizationID, Sequence: d.Sequence, ID: d.ID, PrevHash: d.PrevHash, RecordedAt: d.RecordedAt,
		Category: d.Category, Title: d.Title, Summary: d.Summary, Rationale: d.Rationale, CaseID: d.CaseID, PropertyID: d.PropertyID,
		Options: d.Options, Evidence: d.Evidence, ActorKind: d.ActorKind, ActorID: d.ActorID, AuthorityRoles: d.Authority.Roles,
		DelegationID: d.Authority.DelegationID, RefersTo: d.RefersTo, Relation: d.Relation, AuditDigest: d.audit.Digest()}
}

// withAudit returns d with its audit part shown when show, and without
// any trace of it otherwise.
func (d Decision) withAudit(show bool) Decision {
	d.Audit = nil
	if show {
		d.Audit = &AuditView{Detail: d.audit.Detail, Evidence: d.audit.Evidence}
	} else {
		// Not even in memory: whatever prints d cannot reveal it.
		d.audit = Audit{}
	}
	return d
}

// RecordInput records a decision.
type RecordInput struct {
	Category Category `json:"category"`
	CaseID   string   `json:"caseId,omitempty" jsonschema:"maxLength=100,pattern=^[^\\x00-\\x1F\\x7F-\\x9F]*$,description=the case it belongs to: id or number (CASE-2026-7)"`
	// PropertyID defaults to the case's property (or the referred entry's).
	PropertyID string     `json:"propertyId,omitempty" jsonschema:"format=uuid,description=the property it concerns (default: the case's)"`
	Title      string     `json:"title" jsonschema:"maxLength=200,pattern=^[^\\x00-\\x1F\\x7F-\\x9F]*$"`
	Summary    string     `json:"summary" jsonschema:"maxLength=4000,description=the human-readable summary the owner side reads"`
	Rationale  string     `json:"rationale,omitempty" jsonschema:"maxLength=10000,description=why (required)"`
	Options    []Option   `json:"options,omitempty" jsonschema:"maxItems=20,description=the options considered; at most one chosen"`
	Evidence   []Evidence `json:"evidence,omitempty" jsonschema:"maxItems=50"`
	// AuditDetail is internal: staff record and read it, the owner side never.
	AuditDetail string   `json:"auditDetail,omitempty" jsonschema:"maxLength=10000,description=internal audit detail (concierge staff only; never shown to the owner side)"`
	RefersTo    string   `json:"refersTo,omitempty" jsonschema:"format=uuid,description=an earlier entry this one concerns (with relation)"`
	Relation    Relation `json:"relation,omitempty"`
}

// ListInput filters and pages the ledger, newest first.
type ListInput struct {
	CaseID     string     `json:"caseId,omitempty" jsonschema:"maxLength=100,pattern=^[^\\x00-\\x1F\\x7F-\\x9F]*$,description=only this case's (id or number)"`
	PropertyID string     `json:"propertyId,omitempty" jsonschema:"format=uuid"`
	Category   []Category `json:"category,omitempty"`
	RefersTo   string     `json:"refersTo,omitempty" jsonschema:"format=uuid,description=only the entries referring to this one"`
	Limit      int        `json:"limit,omitempty" jsonschema:"minimum=1,maximum=100"`
	Cursor     string     `json:"cursor,omitempty" jsonschema:"maxLength=500"`
}

// Service is the decision ledger.
type Service struct {
	db  *db.DB
	pdp authz.Decider
}

// New returns the ledger service.
func New(d *db.DB, pdp authz.Decider) *Service { return &Service{db: d, pdp: pdp} }

const kind = "decision"

func resourceOf(d Decision) authz.Resource {
	return authz.Resource{Kind: kind, ID: d.ID, Attr: map[string]any{
		"org_id": d.OrganizationID, "property_id": deref(d.PropertyID), "case_id": deref(d.CaseID), "category": string(d.Category)}}
}

// ledger is the organization's whole ledger, as the PDP is asked about it
// (verify, export, view_audit).
func ledger(orgID string) authz.Resource {
	return authz.Resource{Kind: kind, ID: "ledger", Attr: map[string]any{"org_id": orgID, "property_id": "", "case_id": "", "category": ""}}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

const columns = `id, organization_id, sequence, category, title, summary, rationale, case_id, property_id, options,
	actor_kind, actor_id, authority_roles, delegation_id, refers_to, relation, recorded_at, prev_hash, hash,
	audit_nonce, audit_detail,
	ARRAY(SELECT e.kind FROM decision_evidence e WHERE e.organization_id = decisions.organization_id AND e.decision_id = decisions.id ORDER BY e.position),
	ARRAY(SELECT e.ref_id::text FROM decision_evidence e WHERE e.organization_id = decisions.organization_id AND e.decision_id = decisions.id ORDER BY e.position),
	ARRAY(SELECT e.internal FROM decision_evidence e WHERE e.organization_id = decisions.organization_id AND e.decision_id = decisions.id ORDER BY e.position)`

func scan(r db.Row) (Decision, error) {
	var d Decision
	var options []byte
	var kinds, refs []string
	var internal []bool
	err := r.Scan(&d.ID, &d.OrganizationID, &d.Sequence, &d.Category, &d.Title, &d.Summary, &d.Rationale, &d.CaseID, &d.PropertyID,
		&options, &d.ActorKind, &d.ActorID, &d.Authority.Roles, &d.Authority.DelegationID, &d.RefersTo, &d.Relation,
		&d.RecordedAt, &d.PrevHash, &d.Hash, &d.audit.Nonce, &d.audit.Detail, &kinds, &refs, &internal)
	if err != nil {
		return d, err
	}
	d.RecordedAt = d.RecordedAt.UTC()
	if err := json.Unmarshal(options, &d.Options); err != nil {
		return d, fmt.Errorf("decision %s: options: %w", d.ID, err)
	}
	d.Evidence, d.audit.Evidence = []Evidence{}, []Evidence{}
	if len(kinds) != len(refs) || len(kinds) != len(internal) {
		return d, fmt.Errorf("decision %s: evidence arrays disagree", d.ID)
	}
	for i := range kinds {
		e := Evidence{Kind: EvidenceKind(kinds[i]), ID: refs[i]}
		if internal[i] {
			d.audit.Evidence = append(d.audit.Evidence, e)
		} else {
			d.Evidence = append(d.Evidence, e)
		}
	}
	return d, nil
}

// table is how entries are stored, authorized and listed (newest first:
// the sequence order).
var table = &records.Table[Decision]{
	Kind: kind, Name: "decisions", Columns: columns, Scan: scan, Resource: resourceOf,
	Plan: authz.Columns{
		"request.resource.id":               "id",
		"request.resource.attr.org_id":      "organization_id",
		"request.resource.attr.property_id": "coalesce(property_id::text, '')",
		"request.resource.attr.case_id":     "coalesce(case_id::text, '')",
		"request.resource.attr.category":    "category",
	},
	Order: records.Order[Decision]{Column: "sequence", Cast: "bigint", Key: func(d Decision) string { return fmt.Sprint(d.Sequence) }},
}

// mayAudit reports whether p sees the audit part of its organization's
// decisions.
func (s *Service) mayAudit(ctx context.Context, p authz.Principal) (bool, error) {
	err := s.pdp.Authorize(ctx, p, ledger(p.OrgID), "view_audit")
	switch apperr.CodeOf(err) {
	case "":
		return true, nil
	case apperr.Forbidden:
		return false, nil
	}
	return false, err
}

// Get returns one entry the principal may view.
func (s *Service) Get(ctx context.Context, p authz.Principal, id string) (Decision, error) {
	d, err := records.Get(ctx, s.db, s.pdp, p, table, id, nil)
	if err != nil {
		return d, err
	}
	show, err := s.mayAudit(ctx, p)
	return d.withAudit(show), err
}

// List returns the entries the principal may view, newest first.
func (s *Service) List(ctx context.Context, p authz.Principal, in ListInput) (listing.Page[Decision], error) {
	show, err := s.mayAudit(ctx, p)
	if err != nil {
		return listing.Page[Decision]{}, err
	}
	page, err := records.List(ctx, s.db, s.pdp, p, table, records.Page{Limit: in.Limit, Cursor: in.Cursor}, func(f *records.Filters) {
		if in.CaseID != "" {
			if id, err := uuid.Parse(in.CaseID); err == nil {
				f.Where(`case_id = ?::uuid`, id.String())
			} else {
				f.Where(`case_id = (SELECT id FROM cases WHERE number = ?)`, in.CaseID)
			}
		}
		if in.PropertyID != "" {
			f.Where(`property_id = ?::uuid`, in.PropertyID)
		}
		if len(in.Category) > 0 {
			f.Where(`category = ANY(?)`, in.Category)
		}
		if in.RefersTo != "" {
			f.Where(`refers_to = ?::uuid`, in.RefersTo)
		}
	})
	for i := range page.Items {
		page.Items[i] = page.Items[i].withAudit(show)
	}
	return page, err
}

// Record records a decision in a transaction of its own.
func (s *Service) Record(ctx context.Context, p authz.Principal, in RecordInput) (Decision, error) {
	return db.InTenantResult(ctx, s.db, p.OrgID, func(q db.Querier) (Decision, error) { return s.RecordTx(ctx, q, p, in) })
}

// chainLock is the advisory lock class of the per-organization chain head
// (the object is hashtext of the organization id; a collision only makes
// two organizations queue behind each other).
const chainLock = 715521

// RecordTx appends a decision to the organization's ledger inside the
// caller's tenant transaction q (another domain's, when one act both
// changes its records and records the decision: a quote's acceptance). It
// authorizes "record" for p, checks the evidence and the reference, then
// chains the entry under the organization's chain lock, held until q ends.
func (s *Service) RecordTx(ctx context.Context, q db.Querier, p authz.Principal, in RecordInput) (Decision, error) {
	d, err := s.prepare(ctx, q, p, in)
	if err != nil {
		return Decision{}, err
	}
	if err := db.Queue(ctx, q, `SELECT pg_advisory_xact_lock($1, hashtext($2))`, chainLock, p.OrgID); err != nil {
		return Decision{}, err
	}
	// A statement of its own after the lock: under READ COMMITTED it sees
	// the entry the previous holder committed.
	var seq *int64
	var prev *string
	if err := q.QueryRow(ctx, `SELECT h.sequence, h.hash, now() FROM (SELECT 1) one
		LEFT JOIN LATERAL (SELECT sequence, hash FROM decisions ORDER BY sequence DESC LIMIT 1) h ON true`).
		Scan(&seq, &prev, &d.RecordedAt); err != nil {
		return Decision{}, err
	}
	d.Sequence, d.PrevHash = 1, GenesisHash
	if seq != nil {
		d.Sequence, d.PrevHash = *seq+1, *prev
	}
	d.RecordedAt = d.RecordedAt.UTC().Truncate(time.Microsecond)
	d.Hash = d.entry().Hash()
	options, err := json.Marshal(d.Options)
	if err != nil {
		return Decision{}, err
	}
	if _, err := q.Exec(ctx, `INSERT INTO decisions (id, organization_id, sequence, case_id, property_id, category, title, summary,
			rationale, options, audit_detail, audit_nonce, actor_kind, actor_id, authority_roles, delegation_id, refers_to, relation,
			recorded_at, prev_hash, hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)`,
		d.ID, d.OrganizationID, d.Sequence, d.CaseID, d.PropertyID, d.Category, d.Title, d.Summary, d.Rationale, options,
		d.audit.Detail, d.audit.Nonce, d.ActorKind, d.ActorID, d.Authority.Roles, d.Authority.DelegationID, d.RefersTo, d.Relation,
		d.RecordedAt, d.PrevHash, d.Hash); err != nil {
		return Decision{}, err
	}
	var kinds, refs []string
	var internal []bool
	for _, list := range []struct {
		items    []Evidence
		internal bool
	}{{d.Evidence, false}, {d.audit.Evidence, true}} {
		for _, e := range list.items {
			kinds, refs, internal = append(kinds, string(e.Kind)), append(refs, e.ID), append(internal, list.internal)
		}
	}
	if len(kinds) > 0 {
		// Positions: the public evidence first, then the internal, each in
		// the order given; readers split them again by internal.
		if err := db.Queue(ctx, q, `INSERT INTO decision_evidence (organization_id, decision_id, position, kind, ref_id, internal)
			SELECT $1, $2, (n - 1)::smallint, k, r::uuid, i FROM unnest($3::text[], $4::text[], $5::bool[]) WITH ORDINALITY AS x(k, r, i, n)`,
			d.OrganizationID, d.ID, kinds, refs, internal); err != nil {
			return Decision{}, err
		}
	}
	// The activity log is read more widely than the ledger: it gets the
	// entry without its audit part.
	if err := activity.Record(ctx, q, p, activity.Event{EntityType: kind, EntityID: d.ID, Verb: "recorded", After: d.withAudit(false)}); err != nil {
		return Decision{}, err
	}
	return d.withAudit(d.showAudit), nil
}

// prepare checks in and p's authority and returns the entry to chain
// (without sequence, time and hashes).
func (s *Service) prepare(ctx context.Context, q db.Querier, p authz.Principal, in RecordInput) (Decision, error) {
	d, f := normalize(in)
	d.OrganizationID, d.ActorKind, d.ActorID = p.OrgID, string(p.ActorKind), p.UserID
	if d.ActorKind == "" {
		d.ActorKind = string(authz.Human)
	}
	d.Authority.Roles = slices.Sorted(slices.Values(p.Roles))
	// The case and the earlier entry give the property; who may not record
	// learns nothing about which of them exist (the field errors come after
	// the authorization).
	var missing []apperr.FieldError
	if in.RefersTo != "" {
		ref, err := table.Load(ctx, q, in.RefersTo, false)
		if err == nil {
			err = s.pdp.Authorize(ctx, p, resourceOf(ref), "view")
		}
		switch apperr.CodeOf(err) {
		case "":
			if d.CaseID == nil && in.CaseID == "" && in.PropertyID == "" {
				d.CaseID, d.PropertyID = ref.CaseID, ref.PropertyID
			}
		case apperr.NotFound, apperr.Forbidden:
			missing = append(missing, apperr.FieldError{Field: "refersTo", Code: "not_found", Message: "refersTo names no decision of this organization"})
		default:
			return Decision{}, err
		}
	}
	if in.CaseID != "" {
		where, arg := `number = $1`, in.CaseID
		if id, err := uuid.Parse(in.CaseID); err == nil {
			where, arg = `id = $1::uuid`, id.String()
		}
		var caseID, propertyID string
		err := q.QueryRow(ctx, `SELECT id, property_id FROM cases WHERE `+where, arg).Scan(&caseID, &propertyID)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			missing = append(missing, apperr.FieldError{Field: "caseId", Code: "not_found", Message: "caseId names no case of this organization"})
		case err != nil:
			return Decision{}, err
		default:
			d.CaseID = &caseID
			if d.PropertyID != nil && *d.PropertyID != propertyID {
				f.Add("propertyId", "mismatch", "propertyId is not the property of case "+in.CaseID)
			}
			d.PropertyID = &propertyID
		}
	}
	if d.PropertyID != nil && in.CaseID == "" {
		var ok bool
		if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM properties WHERE id = $1::uuid)`, *d.PropertyID).Scan(&ok); err != nil {
			return Decision{}, err
		}
		if !ok {
			missing = append(missing, apperr.FieldError{Field: "propertyId", Code: "not_found", Message: "propertyId names no property of this organization"})
		}
	}
	grant, err := s.authorizeRecord(ctx, p, d)
	if err != nil {
		return Decision{}, err
	}
	d.Authority.DelegationID = grant
	if d.showAudit, err = s.mayAudit(ctx, p); err != nil {
		return Decision{}, err
	}
	if d.audit.Detail != "" && !d.showAudit {
		f.Add("auditDetail", "staff_only", "only concierge staff record an internal audit detail")
	}
	if err := s.checkEvidence(ctx, q, &d, in.Evidence, &f); err != nil {
		return Decision{}, err
	}
	for _, m := range missing {
		f.Add(m.Field, m.Code, m.Message)
	}
	if err := f.Err(); err != nil {
		return Decision{}, err
	}
	nonce := make([]byte, 16)
	if _, err := rand.Read(nonce); err != nil {
		return Decision{}, err
	}
	d.audit.Nonce = hex.EncodeToString(nonce)
	d.ID = uuid.NewString()
	return d, nil
}

// authorizeRecord asks the PDP whether p may record d. For a delegated
// agent it also finds the grant that allows it: the first of its grants
// that the PDP accepts alone, so which grant counts is the policy's to say.
func (s *Service) authorizeRecord(ctx context.Context, p authz.Principal, d Decision) (*string, error) {
	res := resourceOf(d)
	res.ID = "new"
	if err := s.pdp.Authorize(ctx, p, res, "record"); err != nil {
		return nil, err
	}
	if !slices.Contains(p.Roles, "DELEGATED_AGENT") || len(p.Grants) == 0 {
		return nil, nil
	}
	for _, g := range p.Grants {
		one := p
		one.Grants = []authz.Grant{g}
		err := s.pdp.Authorize(ctx, one, res, "record")
		switch apperr.CodeOf(err) {
		case "":
			id := g.ID
			return &id, nil
		case apperr.Forbidden:
			continue
		default:
			return nil, err
		}
	}
	// Allowed with all grants but by none alone: the role allowed it, not
	// a grant (no policy does that today).
	return nil, nil
}

// normalize trims in and checks what needs no database.
func normalize(in RecordInput) (Decision, apperr.Fields) {
	var f apperr.Fields
	d := Decision{Category: in.Category, Title: strings.TrimSpace(in.Title), Summary: strings.TrimSpace(in.Summary),
		Rationale: strings.TrimSpace(in.Rationale), Options: []Option{}, Evidence: []Evidence{}}
	d.audit.Detail = strings.TrimSpace(in.AuditDetail)
	if d.Title == "" {
		f.Add("title", "required", "title must not be blank")
	}
	if d.Summary == "" {
		f.Add("summary", "required", "summary must not be blank: it is what the owner side reads")
	}
	if d.Rationale == "" {
		f.Add("rationale", "required", "a decision records why it was made: rationale must not be blank")
	}
	if in.PropertyID != "" {
		id := strings.ToLower(in.PropertyID)
		d.PropertyID = &id
	}
	labels := map[string]int{}
	chosen := -1
	for i, o := range in.Options {
		o.Label = strings.TrimSpace(o.Label)
		if o.Label == "" {
			f.Add(fmt.Sprintf("options[%d].label", i), "required", "an option has a label")
		} else if j, dup := labels[strings.ToLower(o.Label)]; dup {
			f.Add(fmt.Sprintf("options[%d].label", i), "duplicate", fmt.Sprintf("options[%d] has the same label", j))
		} else {
			labels[strings.ToLower(o.Label)] = i
		}
		o.Pros, o.Cons = trimAll(&f, fmt.Sprintf("options[%d].pros", i), o.Pros), trimAll(&f, fmt.Sprintf("options[%d].cons", i), o.Cons)
		if o.Chosen {
			if chosen >= 0 {
				f.Add(fmt.Sprintf("options[%d].chosen", i), "more_than_one", fmt.Sprintf("options[%d] is already chosen: a decision chooses at most one option", chosen))
			}
			chosen = i
		}
		d.Options = append(d.Options, o)
	}
	switch {
	case in.RefersTo != "" && in.Relation == "":
		f.Add("relation", "required", "an entry that refers to an earlier one says how: "+Relations.Help())
	case in.RefersTo == "" && in.Relation != "":
		f.Add("refersTo", "required", "relation "+string(in.Relation)+" needs the entry it refers to")
	case in.RefersTo != "":
		ref, rel := strings.ToLower(in.RefersTo), in.Relation
		d.RefersTo, d.Relation = &ref, &rel
	}
	return d, f
}

func trimAll(f *apperr.Fields, field string, list []string) []string {
	out := make([]string, 0, len(list))
	for i, s := range list {
		s = strings.TrimSpace(s)
		if s == "" {
			f.Add(fmt.Sprintf("%s[%d]", field, i), "required", "must not be blank")
		} else if len(s) > 1000 {
			f.Add(fmt.Sprintf("%s[%d]", field, i), "too_long", "at most 1000 bytes")
		}
		out = append(out, s)
	}
	return out
}

// checkEvidence checks that each piece of evidence names a record of the
// organization, and sorts it into the public and the internal evidence of
// d. Staff-only evidence that p may not see does not exist for p.
func (s *Service) checkEvidence(ctx context.Context, q db.Querier, d *Decision, in []Evidence, f *apperr.Fields) error {
	seen := map[Evidence]int{}
	for i, e := range in {
		e.ID = strings.ToLower(e.ID)
		field := fmt.Sprintf("evidence[%d]", i)
		if j, dup := seen[e]; dup {
			f.Add(field+".id", "duplicate", fmt.Sprintf("evidence[%d] cites the same record", j))
			continue
		}
		seen[e] = i
		t, ok := evidenceTables[e.Kind]
		if !ok {
			f.Add(field+".kind", "unsupported", fmt.Sprintf("%s evidence cannot be cited yet (supported: %s)", e.Kind, supportedKinds()))
			continue
		}
		internal := "false"
		if t.internal != "" {
			internal = t.internal
		}
		var isInternal bool
		err := q.QueryRow(ctx, `SELECT `+internal+` FROM `+t.name+` WHERE id = $1::uuid`, e.ID).Scan(&isInternal)
		if errors.Is(err, pgx.ErrNoRows) || (err == nil && isInternal && !d.showAudit) {
			f.Add(field+".id", "not_found", fmt.Sprintf("names no %s of this organization", strings.ToLower(string(e.Kind))))
			continue
		}
		if err != nil {
			return err
		}
		if isInternal {
			d.audit.Evidence = append(d.audit.Evidence, e)
		} else {
			d.Evidence = append(d.Evidence, e)
		}
	}
	return nil
}

func supportedKinds() string {
	var out []string
	for _, k := range EvidenceKinds.Values() {
		if _, ok := evidenceTables[k]; ok {
			out = append(out, string(k))
		}
	}
	return strings.Join(out, ", ")
}
