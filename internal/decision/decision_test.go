package decision_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/cases"
	"github.com/hestami/concierge/internal/db"
	"github.com/hestami/concierge/internal/decision"
	"github.com/hestami/concierge/internal/delegation"
	"github.com/hestami/concierge/internal/listing"
	"github.com/hestami/concierge/internal/testkit"
)

func TestMain(m *testing.M) { testkit.Main(m) }

type fixture struct {
	*testkit.Bundle
	w     *testkit.World
	staff authz.Principal // staff acting in Rivera through the engagement
	owner authz.Principal // Rivera's owner
	prop  string          // Rivera's property
	c     cases.Case      // a Rivera case on it
	mu    sync.Mutex
	n     int
}

func setup(t *testing.T) *fixture {
	t.Helper()
	b := testkit.Setup(t)
	w := b.NewWorld()
	f := &fixture{Bundle: b, w: w, staff: b.Principal(w.Staff, w.Rivera.ID), owner: w.RiveraOwner}
	f.prop = b.NewProperty(f.owner, "Rivera home").ID
	var err error
	f.c, err = testkit.Call[cases.Case](b, f.owner, "case/v1/create", cases.CreateInput{PropertyID: f.prop, Title: "Fence repaint"}, f.key())
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) key() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n++
	return fmt.Sprint("k", f.n)
}

func (f *fixture) record(p authz.Principal, in decision.RecordInput) (decision.Decision, error) {
	return testkit.Call[decision.Decision](f.Bundle, p, "decision/v1/record", in, f.key())
}

func (f *fixture) mustRecord(p authz.Principal, in decision.RecordInput) decision.Decision {
	f.T.Helper()
	d, err := f.record(p, in)
	if err != nil {
		f.T.Fatalf("record: %v", err)
	}
	return d
}

func (f *fixture) note(p authz.Principal, audience cases.Audience, text string) cases.Note {
	f.T.Helper()
	n, err := testkit.Call[cases.Note](f.Bundle, p, "case/v1/addNote", cases.AddNoteInput{CaseID: f.c.ID, Audience: audience, Text: text}, f.key())
	if err != nil {
		f.T.Fatal(err)
	}
	return n
}

func (f *fixture) verify(p authz.Principal) decision.Report {
	f.T.Helper()
	r, err := testkit.Call[decision.Report](f.Bundle, p, "decision/v1/verify", decision.VerifyInput{}, "")
	if err != nil {
		f.T.Fatalf("verify: %v", err)
	}
	return r
}

func simple(title string) decision.RecordInput {
	return decision.RecordInput{Category: "OTHER", Title: title, Summary: "summary of " + title, Rationale: "because " + title}
}

func wantField(t *testing.T, err error, field, code string) {
	t.Helper()
	e := apperr.From(err)
	if e == nil || e.Code != apperr.Validation {
		t.Fatalf("got %v, want a field error on %s", err, field)
	}
	for _, fe := range e.Fields {
		if fe.Field == field && (code == "" || fe.Code == code) {
			return
		}
	}
	t.Fatalf("got field errors %+v, want %s (%s)", e.Fields, field, code)
}

func wantCode(t *testing.T, err error, code apperr.Code, contains ...string) {
	t.Helper()
	if apperr.CodeOf(err) != code {
		t.Fatalf("got %v, want %s", err, code)
	}
	for _, s := range contains {
		if !strings.Contains(apperr.From(err).Message, s) {
			t.Fatalf("message %q does not say %q", apperr.From(err).Message, s)
		}
	}
}

const secret = "internal: vendor B's owner is the lead's cousin"

// A staff decision with an audit detail and internal evidence: staff read
// all of it, the owner side the summary, rationale, options and public
// evidence, with no trace of the audit part on any path (get, list, the
// record answer, the activity log).
func TestOwnersSeeTheSummaryStaffTheAuditDetail(t *testing.T) {
	t.Parallel()
	f := setup(t)
	internal := f.note(f.staff, cases.Internal, "vendor B relation")
	shared := f.note(f.staff, cases.Shared, "two quotes received")
	in := decision.RecordInput{Category: "VENDOR_SELECTION", CaseID: f.c.Number, Title: "Pick the painter",
		Summary: "We chose Austin Fences: cheaper and sooner.", Rationale: "  Lower price, earlier start, HOA-approved color.  ",
		Options: []decision.Option{
			{Label: "Austin Fences", Pros: []string{"$1,200", "starts Monday"}, Cons: []string{"new vendor"}, Chosen: true},
			{Label: "Vendor B", Pros: []string{"known"}, Cons: []string{"$1,900"}},
		},
		Evidence:    []decision.Evidence{{Kind: "NOTE", ID: internal.ID}, {Kind: "NOTE", ID: shared.ID}, {Kind: "CASE", ID: f.c.ID}},
		AuditDetail: secret}
	d := f.mustRecord(f.staff, in)
	if d.Sequence != 1 || d.PrevHash != decision.GenesisHash || len(d.Hash) != 64 || d.Rationale != "Lower price, earlier start, HOA-approved color." {
		t.Fatalf("recorded %+v", d)
	}
	if d.CaseID == nil || *d.CaseID != f.c.ID || d.PropertyID == nil || *d.PropertyID != f.prop {
		t.Fatalf("case and property: %v %v", d.CaseID, d.PropertyID)
	}
	if d.ActorID != f.staff.UserID || d.ActorKind != "HUMAN" || strings.Join(d.Authority.Roles, ",") != "CONCIERGE_STAFF" || d.Authority.DelegationID != nil {
		t.Fatalf("actor and authority: %+v", d)
	}
	if d.Audit == nil || d.Audit.Detail != secret || len(d.Audit.Evidence) != 1 || d.Audit.Evidence[0].ID != internal.ID {
		t.Fatalf("staff's answer lacks the audit part: %+v", d.Audit)
	}
	if len(d.Evidence) != 2 || d.Evidence[0].ID != shared.ID || d.Evidence[1].Kind != "CASE" {
		t.Fatalf("public evidence %+v", d.Evidence)
	}

	staffView, err := testkit.Call[decision.Decision](f.Bundle, f.staff, "decision/v1/get", map[string]string{"id": d.ID}, "")
	if err != nil || staffView.Audit == nil || staffView.Audit.Detail != secret || staffView.Hash != d.Hash {
		t.Fatalf("staff get: %+v %v", staffView, err)
	}
	ownerView, err := testkit.Call[decision.Decision](f.Bundle, f.owner, "decision/v1/get", map[string]string{"id": d.ID}, "")
	if err != nil {
		t.Fatal(err)
	}
	page, err := testkit.Call[listing.Page[decision.Decision]](f.Bundle, f.owner, "decision/v1/list", decision.ListInput{CaseID: f.c.Number}, "")
	if err != nil || len(page.Items) != 1 {
		t.Fatalf("owner list: %+v %v", page, err)
	}
	for what, v := range map[string]decision.Decision{"get": ownerView, "list": page.Items[0]} {
		if v.Summary != in.Summary || v.Audit != nil || len(v.Evidence) != 2 || len(v.Options) != 2 {
			t.Fatalf("owner %s: %+v", what, v)
		}
		raw, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		shown := fmt.Sprintf("%s %+v", raw, v)
		if strings.Contains(shown, secret) || strings.Contains(shown, internal.ID) {
			t.Fatalf("owner %s shows the audit part: %s", what, shown)
		}
	}
	// An owner's own record answer has no audit part either, and its shape
	// is the same as a staff-free decision's.
	mine := f.mustRecord(f.owner, simple("owner's own"))
	if mine.Audit != nil || mine.Authority.Roles[0] != "OWNER" || mine.Sequence != 2 || mine.PrevHash != d.Hash {
		t.Fatalf("owner's record: %+v", mine)
	}
	var after string
	if err := f.DB.Owner.QueryRow(f.Ctx, `SELECT after::text FROM activity_events WHERE entity_type = 'decision' AND entity_id = $1 AND verb = 'recorded'`,
		d.ID).Scan(&after); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(after, secret) || strings.Contains(after, internal.ID) || !strings.Contains(after, d.Hash) {
		t.Fatalf("the activity event carries the audit part or not the entry: %s", after)
	}
}

func TestRecordRefusals(t *testing.T) {
	t.Parallel()
	f := setup(t)
	chenProp := f.NewProperty(f.w.ChenOwner, "Chen home").ID
	chenCase, err := testkit.Call[cases.Case](f.Bundle, f.w.ChenOwner, "case/v1/create", cases.CreateInput{PropertyID: chenProp, Title: "x"}, f.key())
	if err != nil {
		t.Fatal(err)
	}
	internal := f.note(f.staff, cases.Internal, "staff only")
	base := simple("refused")

	in := base
	in.Rationale = "   "
	_, err = f.record(f.owner, in)
	wantField(t, err, "rationale", "required")
	in.Rationale = ""
	_, err = f.record(f.staff, in)
	wantField(t, err, "rationale", "required")

	in = base
	in.Options = []decision.Option{{Label: "A", Chosen: true}, {Label: "B", Chosen: true}}
	_, err = f.record(f.owner, in)
	wantField(t, err, "options[1].chosen", "more_than_one")
	in.Options = []decision.Option{{Label: "A"}, {Label: " a "}}
	_, err = f.record(f.owner, in)
	wantField(t, err, "options[1].label", "duplicate")

	// Evidence of another organization does not exist here.
	in = base
	in.Evidence = []decision.Evidence{{Kind: "CASE", ID: f.c.ID}, {Kind: "CASE", ID: chenCase.ID}}
	_, err = f.record(f.owner, in)
	wantField(t, err, "evidence[1].id", "not_found")
	// A document id that is a case's id names no document.
	in.Evidence = []decision.Evidence{{Kind: "DOCUMENT", ID: f.c.ID}}
	_, err = f.record(f.owner, in)
	wantField(t, err, "evidence[0].id", "not_found")
	// An internal note is not evidence the owner side can cite (or learn of).
	in.Evidence = []decision.Evidence{{Kind: "NOTE", ID: internal.ID}}
	_, err = f.record(f.owner, in)
	wantField(t, err, "evidence[0].id", "not_found")

	in = base
	in.AuditDetail = "owners have no audit detail"
	_, err = f.record(f.owner, in)
	wantField(t, err, "auditDetail", "staff_only")

	in = base
	in.CaseID = chenCase.ID
	_, err = f.record(f.owner, in)
	wantField(t, err, "caseId", "not_found")
	in = base
	in.PropertyID = chenProp
	_, err = f.record(f.owner, in)
	wantField(t, err, "propertyId", "not_found")

	first := f.mustRecord(f.owner, base)
	in = base
	in.RefersTo = first.ID
	_, err = f.record(f.owner, in)
	wantField(t, err, "relation", "required")
	in.Relation = "CORRECTION"
	corr := f.mustRecord(f.owner, in)
	if corr.RefersTo == nil || *corr.RefersTo != first.ID || *corr.Relation != "CORRECTION" || corr.Sequence != 2 {
		t.Fatalf("correction: %+v", corr)
	}
	// Another organization's entry is neither referable nor visible.
	chenDecision := f.mustRecord(f.w.ChenOwner, simple("chen's"))
	in.RefersTo = chenDecision.ID
	_, err = f.record(f.owner, in)
	wantField(t, err, "refersTo", "not_found")
	_, err = testkit.Call[decision.Decision](f.Bundle, f.owner, "decision/v1/get", map[string]string{"id": chenDecision.ID}, "")
	wantCode(t, err, apperr.NotFound)
	_, err = testkit.Call[decision.Decision](f.Bundle, f.staff, "decision/v1/get", map[string]string{"id": chenDecision.ID}, "")
	wantCode(t, err, apperr.NotFound)
	// Nothing refused was chained: Rivera's ledger is the two entries, Chen's one.
	if r := f.verify(f.owner); !r.Valid || r.Entries != 2 {
		t.Fatalf("rivera %+v", r)
	}
	if r := f.verify(f.w.ChenOwner); !r.Valid || r.Entries != 1 || chenDecision.Sequence != 1 {
		t.Fatalf("chen %+v", r)
	}
}

// A delegated agent records only under a grant for the decision's
// property whose type fits the category, and the entry names that grant.
func TestADelegatedAgentRecordsWithinItsGrant(t *testing.T) {
	t.Parallel()
	b := testkit.Setup(t)
	w := b.NewWorld()
	f := &fixture{Bundle: b, w: w, owner: b.Member(w.Oak, "owner@oak.test", "OWNER"), staff: b.Principal(w.Staff, w.Oak.ID)}
	f.prop = b.NewProperty(f.owner, "Oak granted").ID
	other := b.NewProperty(f.owner, "Oak other").ID
	var err error
	if f.c, err = testkit.Call[cases.Case](b, f.owner, "case/v1/create", cases.CreateInput{PropertyID: f.prop, Title: "Fence"}, f.key()); err != nil {
		t.Fatal(err)
	}
	grant := func(types ...delegation.AuthorityType) delegation.Delegation {
		d, err := testkit.Call[delegation.Delegation](b, f.owner, "delegation/v1/grant", delegation.GrantInput{DelegateID: w.OakAgent.UserID,
			PropertyIDs: []string{f.prop}, AuthorityTypes: types}, f.key())
		if err == nil {
			d, err = testkit.Call[delegation.Delegation](b, w.OakAgent, "delegation/v1/accept", delegation.AcceptInput{ID: d.ID}, f.key())
		}
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	agent := w.OakAgent
	vendor := func(cat decision.Category) decision.RecordInput {
		in := simple("agent's " + string(cat))
		in.Category, in.CaseID = cat, f.c.Number
		return in
	}
	_, err = f.record(agent, vendor("VENDOR_SELECTION"))
	wantCode(t, err, apperr.Forbidden, "no active VENDOR_SELECTION grant covers this property")

	_ = grant("CASE_MANAGEMENT")
	g := grant("VENDOR_SELECTION")
	d := f.mustRecord(agent, vendor("VENDOR_SELECTION"))
	if d.Authority.DelegationID == nil || *d.Authority.DelegationID != g.ID || d.Authority.Roles[0] != "DELEGATED_AGENT" {
		t.Fatalf("the entry does not name the vendor-selection grant %s: %+v", g.ID, d.Authority)
	}
	_, err = f.record(agent, vendor("COST_AUTHORIZATION"))
	wantCode(t, err, apperr.Forbidden, "no active FINANCIAL_DECISIONS grant covers this property")
	sched := f.mustRecord(agent, vendor("SCHEDULING"))
	if sched.Authority.DelegationID == nil || *sched.Authority.DelegationID == g.ID {
		t.Fatalf("scheduling is not under the case-management grant: %+v", sched.Authority)
	}
	// Another property, or none: no grant covers it.
	in := simple("elsewhere")
	in.Category, in.PropertyID = "VENDOR_SELECTION", other
	_, err = f.record(agent, in)
	wantCode(t, err, apperr.Forbidden)
	_, err = f.record(agent, simple("nowhere"))
	wantCode(t, err, apperr.Forbidden, "only about a property its grants cover")

	// The agent sees the granted property's decisions only, never the
	// audit part, and verifies nothing (it does not see the whole chain).
	in.Category, in.AuditDetail = "OTHER", "staff note"
	otherDecision := f.mustRecord(f.staff, in)
	page, err := testkit.Call[listing.Page[decision.Decision]](b, agent, "decision/v1/list", decision.ListInput{}, "")
	if err != nil || len(page.Items) != 2 {
		t.Fatalf("agent list: %d items %v", len(page.Items), err)
	}
	_, err = testkit.Call[decision.Decision](b, agent, "decision/v1/get", map[string]string{"id": otherDecision.ID}, "")
	wantCode(t, err, apperr.NotFound)
	_, err = testkit.Call[decision.Report](b, agent, "decision/v1/verify", decision.VerifyInput{}, "")
	wantCode(t, err, apperr.Forbidden)
	_, err = testkit.Call[decision.ExportPage](b, agent, "decision/v1/export", decision.ExportInput{}, "")
	wantCode(t, err, apperr.Forbidden)
}

// The ledger is append-only by privilege: the runtime role may read and
// insert its tables and nothing else.
func TestTheRuntimeRoleCannotChangeTheLedger(t *testing.T) {
	t.Parallel()
	f := setup(t)
	for _, table := range []string{"decisions", "decision_evidence"} {
		for priv, want := range map[string]bool{"SELECT": true, "INSERT": true, "UPDATE": false, "DELETE": false, "TRUNCATE": false, "REFERENCES": false, "TRIGGER": false} {
			var got bool
			if err := f.DB.Owner.QueryRow(f.Ctx, `SELECT has_table_privilege($1, $2, $3)`, db.RuntimeRole, table, priv).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("%s on %s: %v, want %v", priv, table, got, want)
			}
		}
		var cols int
		if err := f.DB.Owner.QueryRow(f.Ctx, `SELECT count(*) FROM information_schema.column_privileges
			WHERE grantee = $1 AND table_name = $2 AND privilege_type = 'UPDATE'`, db.RuntimeRole, table).Scan(&cols); err != nil {
			t.Fatal(err)
		}
		if cols != 0 {
			t.Errorf("%s: the runtime role may update %d columns", table, cols)
		}
	}
	d := f.mustRecord(f.owner, simple("kept"))
	err := f.DB.InTenant(f.Ctx, f.w.Rivera.ID, func(q db.Querier) error {
		_, err := q.Exec(f.Ctx, `UPDATE decisions SET rationale = 'rewritten' WHERE id = $1`, d.ID)
		return err
	})
	if err == nil {
		t.Fatal("the runtime role updated a ledger entry")
	}
}

// N records at once in one organization make one gapless, valid chain.
// The chain lock is held from outside first, so every writer is seen
// waiting for it before any proceeds: they really contend.
func TestConcurrentRecordsMakeOneChain(t *testing.T) {
	t.Parallel()
	f := setup(t)
	const n = 8
	hold, err := f.DB.Owner.Begin(f.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := hold.Exec(f.Ctx, `SELECT pg_advisory_xact_lock(715521, hashtext($1))`, f.w.Rivera.ID); err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := f.owner
			if i%2 == 1 {
				p = f.staff
			}
			_, err := f.record(p, simple(fmt.Sprint("concurrent ", i)))
			errs <- err
		}()
	}
	waitErr := f.AwaitLockWaiters(n)
	if err := hold.Rollback(f.Ctx); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	close(errs)
	if waitErr != nil {
		t.Fatal(waitErr)
	}
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	r := f.verify(f.staff)
	if !r.Valid || r.Entries != n || r.HeadSequence != n {
		t.Fatalf("after %d concurrent records: %+v", n, r)
	}
}

func TestVerifyNamesTheFirstTamperedEntry(t *testing.T) {
	t.Parallel()
	f := setup(t)
	note := f.note(f.staff, cases.Internal, "evidence")
	var ds []decision.Decision
	for i := range 4 {
		in := simple(fmt.Sprint("entry ", i+1))
		in.AuditDetail = "detail"
		in.Evidence = []decision.Evidence{{Kind: "NOTE", ID: note.ID}, {Kind: "CASE", ID: f.c.ID}}
		ds = append(ds, f.mustRecord(f.staff, in))
	}
	if r := f.verify(f.owner); !r.Valid || r.Entries != 4 || r.HeadHash != ds[3].Hash {
		t.Fatalf("untouched: %+v", r)
	}
	owner := func(sql string, args ...any) {
		t.Helper()
		if _, err := f.DB.Owner.Exec(f.Ctx, sql, args...); err != nil {
			t.Fatal(err)
		}
	}
	broken := func(seq int64, reason string, verified ...int64) {
		t.Helper()
		r := f.verify(f.staff)
		if r.Valid || r.FirstBroken == nil || r.FirstBroken.Sequence != seq || r.FirstBroken.ID != ds[seq-1].ID ||
			!strings.Contains(r.FirstBroken.Reason, reason) {
			t.Fatalf("got %+v %+v, want entry %d broken: %s", r, r.FirstBroken, seq, reason)
		}
		want := seq - 1
		if len(verified) > 0 {
			want = verified[0]
		}
		if r.HeadSequence != want {
			t.Fatalf("verified up to %d, want %d", r.HeadSequence, want)
		}
	}
	restoreValid := func() {
		t.Helper()
		if r := f.verify(f.staff); !r.Valid {
			t.Fatalf("not restored: %+v", r.FirstBroken)
		}
	}

	// Content changed as the database owner.
	owner(`UPDATE decisions SET rationale = 'a better reason' WHERE id = $1`, ds[1].ID)
	broken(2, "content does not match its hash")
	owner(`UPDATE decisions SET rationale = $2 WHERE id = $1`, ds[1].ID, ds[1].Rationale)
	restoreValid()
	// The audit part is covered too (through its digest).
	owner(`UPDATE decisions SET audit_detail = 'nothing to see' WHERE id = $1`, ds[2].ID)
	broken(3, "content does not match its hash")
	owner(`UPDATE decisions SET audit_detail = 'detail' WHERE id = $1`, ds[2].ID)
	// So is the evidence, public and internal.
	owner(`DELETE FROM decision_evidence WHERE decision_id = $1 AND internal`, ds[2].ID)
	broken(3, "content does not match its hash")
	owner(`INSERT INTO decision_evidence (organization_id, decision_id, position, kind, ref_id, internal) VALUES ($1, $2, 1, 'NOTE', $3, true)`,
		f.w.Rivera.ID, ds[2].ID, note.ID)
	restoreValid()
	// A hash changed alone is a content mismatch; an entry changed
	// together with a recomputed hash of its own breaks the next link.
	owner(`UPDATE decisions SET hash = $2 WHERE id = $1`, ds[1].ID, strings.Repeat("a", 64))
	broken(2, "content does not match its hash")
	forged := ds[1]
	forged.Title = "forged"
	owner(`UPDATE decisions SET title = $2, hash = $3 WHERE id = $1`, ds[1].ID, forged.Title, decision.EntryOf(forged).Hash())
	broken(3, "previous hash does not match the hash of entry 2")
	owner(`UPDATE decisions SET title = $2, hash = $3 WHERE id = $1`, ds[1].ID, ds[1].Title, ds[1].Hash)
	restoreValid()
	// Reordered: entries 2 and 3 swap places.
	owner(`UPDATE decisions SET sequence = 100 WHERE id = $1`, ds[1].ID)
	owner(`UPDATE decisions SET sequence = 2 WHERE id = $1`, ds[2].ID)
	owner(`UPDATE decisions SET sequence = 3 WHERE id = $1`, ds[1].ID)
	r := f.verify(f.staff)
	if r.Valid || r.FirstBroken.Sequence != 2 || r.FirstBroken.ID != ds[2].ID || !strings.Contains(r.FirstBroken.Reason, "previous hash") {
		t.Fatalf("reordered: %+v", r.FirstBroken)
	}
	owner(`UPDATE decisions SET sequence = 100 WHERE id = $1`, ds[2].ID)
	owner(`UPDATE decisions SET sequence = 2 WHERE id = $1`, ds[1].ID)
	owner(`UPDATE decisions SET sequence = 3 WHERE id = $1`, ds[2].ID)
	restoreValid()
	// Deleted: entry 2 is gone, entry 3 is the first broken one.
	owner(`DELETE FROM decision_evidence WHERE decision_id = $1`, ds[1].ID)
	owner(`DELETE FROM decisions WHERE id = $1`, ds[1].ID)
	broken(3, "entries 2 to 2 are missing", 1)
}

func (f *fixture) export(p authz.Principal, pageSize int) []byte {
	f.T.Helper()
	var buf bytes.Buffer
	_, err := decision.WriteExport(&buf, func(after, through int64) (decision.ExportPage, error) {
		return testkit.Call[decision.ExportPage](f.Bundle, p, "decision/v1/export",
			decision.ExportInput{After: after, Through: through, Limit: pageSize}, "")
	})
	if err != nil {
		f.T.Fatal(err)
	}
	return buf.Bytes()
}

func TestAnExportVerifiesOfflineAndCorruptionIsFound(t *testing.T) {
	t.Parallel()
	f := setup(t)
	note := f.note(f.staff, cases.Internal, "evidence")
	var ds []decision.Decision
	for i := range 5 {
		in := simple(fmt.Sprintf("entry %d with \"quotes\", a \\ and <&>", i+1))
		in.Summary = "résumé ✓\na second line\ttab " + in.Summary
		if i%2 == 0 {
			in.AuditDetail = fmt.Sprint(secret, i)
			in.Evidence = []decision.Evidence{{Kind: "NOTE", ID: note.ID}}
		}
		in.Options = []decision.Option{{Label: "yes", Pros: []string{"p"}, Chosen: true}, {Label: "no"}}
		p := f.staff
		if i == 3 {
			p, in.AuditDetail, in.Evidence = f.owner, "", nil
		}
		ds = append(ds, f.mustRecord(p, in))
	}
	online := f.verify(f.staff)

	staffFile := f.export(f.staff, 2) // three pages
	r, err := decision.VerifyExport(bytes.NewReader(staffFile))
	if err != nil || !r.Valid || r.Entries != 5 || r.HeadHash != online.HeadHash || r.HeadHash != ds[4].Hash {
		t.Fatalf("staff export: %+v %v\n%s", r, err, staffFile)
	}
	if !bytes.Contains(staffFile, []byte(secret)) {
		t.Fatal("the staff export lacks the audit detail")
	}
	ownerFile := f.export(f.owner, 0)
	r, err = decision.VerifyExport(bytes.NewReader(ownerFile))
	if err != nil || !r.Valid || r.Entries != 5 || r.HeadHash != online.HeadHash {
		t.Fatalf("owner export: %+v %v", r, err)
	}
	if bytes.Contains(ownerFile, []byte("internal:")) || bytes.Contains(ownerFile, []byte(note.ID)) || bytes.Contains(ownerFile, []byte(`"audit":{`)) {
		t.Fatalf("the owner export carries the audit part:\n%s", ownerFile)
	}

	lines := bytes.Split(bytes.TrimSuffix(staffFile, []byte("\n")), []byte("\n"))
	corrupt := func(name string, edit func(lines [][]byte) [][]byte, seq int64, reason string) {
		t.Helper()
		cp := make([][]byte, len(lines))
		for i := range lines {
			cp[i] = bytes.Clone(lines[i])
		}
		r, err := decision.VerifyExport(bytes.NewReader(append(bytes.Join(edit(cp), []byte("\n")), '\n')))
		if err != nil || r.Valid || r.FirstBroken == nil || r.FirstBroken.Sequence != seq || !strings.Contains(r.FirstBroken.Reason, reason) {
			t.Fatalf("%s: got %+v %+v %v, want entry %d: %s", name, r, r.FirstBroken, err, seq, reason)
		}
	}
	corrupt("a changed title", func(l [][]byte) [][]byte {
		l[3] = bytes.Replace(l[3], []byte("entry 3"), []byte("entry 9"), 1)
		return l
	}, 3, "content does not match its hash")
	corrupt("a changed audit detail", func(l [][]byte) [][]byte {
		l[1] = bytes.Replace(l[1], []byte(secret), []byte("nothing"), 1)
		return l
	}, 1, "audit part does not match")
	corrupt("a removed entry", func(l [][]byte) [][]byte { return append(l[:2], l[3:]...) }, 3, "missing")
	corrupt("a cut tail", func(l [][]byte) [][]byte { return l[:len(l)-1] }, 5, "header names head 5")
	corrupt("a garbled line", func(l [][]byte) [][]byte {
		l[2] = []byte("{not json")
		return l
	}, 2, "line 3 is not an entry")
	corrupt("swapped lines", func(l [][]byte) [][]byte {
		l[2], l[3] = l[3], l[2]
		return l
	}, 3, "missing")
	if _, err := decision.VerifyExport(strings.NewReader("hello\n")); !errors.Is(err, decision.ErrNotAnExport) {
		t.Fatalf("not an export: %v", err)
	}
}

// The canonical encoding is the specification written in the package doc,
// byte for byte.
func TestCanonicalEncoding(t *testing.T) {
	t.Parallel()
	caseID, rel, ref := "0d5e517b-0244-4ca9-93ba-1789e34de052", decision.Relation("OUTCOME"), "d0000000-0000-4000-8000-000000000001"
	at, _ := time.Parse(time.RFC3339Nano, "2026-06-01T12:00:00.5Z")
	e := decision.Entry{OrganizationID: "7af3afd9-b0aa-4103-9cb7-7e8d6655be9f", Sequence: 12, ID: "d0000000-0000-4000-8000-00000000000c",
		PrevHash: decision.GenesisHash, RecordedAt: at, Category: "APPROVAL", Title: `say "yes"`, Summary: "a\\b\nc\u0001é<",
		Rationale: "r", CaseID: &caseID, Options: []decision.Option{{Label: "x", Pros: []string{"p1", "p2"}, Chosen: true}, {Label: "y", Cons: []string{"c"}}},
		Evidence: []decision.Evidence{{Kind: "CASE", ID: caseID}}, ActorKind: "HUMAN", ActorID: "92a51d12-6bfb-4997-b726-80cde1e174cf",
		AuthorityRoles: []string{"OWNER"}, RefersTo: &ref, Relation: &rel, AuditDigest: strings.Repeat("f", 64)}
	want := `["hestami.decision.v1","7af3afd9-b0aa-4103-9cb7-7e8d6655be9f",12,"d0000000-0000-4000-8000-00000000000c",` +
		`"` + strings.Repeat("0", 64) + `","2026-06-01T12:00:00.500000Z","APPROVAL","say \"yes\"","a\\b\u000ac\u0001é<","r",` +
		`"0d5e517b-0244-4ca9-93ba-1789e34de052",null,[["x",["p1","p2"],[],true],["y",[],["c"],false]],` +
		`[["CASE","0d5e517b-0244-4ca9-93ba-1789e34de052"]],"HUMAN","92a51d12-6bfb-4997-b726-80cde1e174cf",["OWNER"],null,` +
		`"d0000000-0000-4000-8000-000000000001","OUTCOME","` + strings.Repeat("f", 64) + `"]`
	if got := string(e.Canonical()); got != want {
		t.Fatalf("canonical encoding\n got %s\nwant %s", got, want)
	}
	a := decision.Audit{Nonce: strings.Repeat("0", 32), Detail: "d", Evidence: []decision.Evidence{}}
	if got := string(a.Canonical()); got != `["hestami.decision.audit.v1","00000000000000000000000000000000","d",[]]` {
		t.Fatalf("audit encoding %s", got)
	}
}
