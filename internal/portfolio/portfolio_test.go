package portfolio_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/hestami/concierge/internal/activity"
	"github.com/hestami/concierge/internal/api"
	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/cases"
	"github.com/hestami/concierge/internal/db"
	"github.com/hestami/concierge/internal/listing"
	"github.com/hestami/concierge/internal/portfolio"
	"github.com/hestami/concierge/internal/testkit"
)

func TestMain(m *testing.M) { testkit.Main(m) }

type fixture struct {
	*testkit.Bundle
	w   *testkit.World
	key int
}

func setup(t *testing.T) *fixture {
	t.Helper()
	b := testkit.Setup(t)
	return &fixture{Bundle: b, w: b.NewWorld()}
}

// call runs procedure as p through the pipeline, with a fresh idempotency key.
func call[O any](f *fixture, p authz.Principal, procedure string, in any) (O, error) {
	f.T.Helper()
	f.key++
	return testkit.Call[O](f.Bundle, p, procedure, in, fmt.Sprintf("k%d", f.key))
}

func (f *fixture) create(p authz.Principal, name string) portfolio.Portfolio {
	f.T.Helper()
	out, err := call[portfolio.Portfolio](f, p, "portfolio/v1/create", portfolio.CreateInput{Name: name})
	if err != nil {
		f.T.Fatal(err)
	}
	return out
}

func (f *fixture) add(p authz.Principal, pf, prop string) (portfolio.Portfolio, error) {
	f.T.Helper()
	return call[portfolio.Portfolio](f, p, "portfolio/v1/addProperty", portfolio.MemberInput{ID: pf, PropertyID: prop})
}

func (f *fixture) remove(p authz.Principal, pf, prop string) (portfolio.Portfolio, error) {
	f.T.Helper()
	return call[portfolio.Portfolio](f, p, "portfolio/v1/removeProperty", portfolio.MemberInput{ID: pf, PropertyID: prop})
}

func wantCode(t *testing.T, err error, code apperr.Code) {
	t.Helper()
	if apperr.CodeOf(err) != code {
		t.Fatalf("got %v, want %s", err, code)
	}
}

func wantField(t *testing.T, err error, field, code string) {
	t.Helper()
	wantCode(t, err, apperr.Validation)
	fs := apperr.From(err).Fields
	if len(fs) != 1 || fs[0].Field != field || (code != "" && fs[0].Code != code) {
		t.Fatalf("field errors %+v, want %s %s", fs, field, code)
	}
}

func (f *fixture) events(orgID, id string) []string {
	f.T.Helper()
	events, err := db.InTenantResult(f.Ctx, f.DB, orgID, func(q db.Querier) ([]activity.Entry, error) {
		return activity.ForEntity(f.Ctx, q, "portfolio", id)
	})
	if err != nil {
		f.T.Fatal(err)
	}
	var verbs []string
	for _, e := range events {
		verbs = append(verbs, e.Verb)
	}
	return verbs
}

func TestCreateGetListUpdateAndMembership(t *testing.T) {
	t.Parallel()
	f := setup(t)
	owner := f.w.RiveraOwner
	a, b := f.NewProperty(owner, "Alder"), f.NewProperty(owner, "Birch")

	pf := f.create(owner, " Rentals ")
	if pf.Name != "Rentals" || pf.OrganizationID != f.w.Rivera.ID || len(pf.PropertyIDs) != 0 || pf.CreatedBy != owner.UserID {
		t.Fatalf("created %+v", pf)
	}
	other := f.create(owner, "Coast")

	// A property may be in several portfolios.
	for _, id := range []string{pf.ID, other.ID} {
		if _, err := f.add(owner, id, a.ID); err != nil {
			t.Fatal(err)
		}
	}
	got, err := f.add(owner, pf.ID, b.ID)
	if err != nil || !slices.Equal(got.PropertyIDs, []string{a.ID, b.ID}) {
		t.Fatalf("after adds: %+v %v", got, err)
	}
	// Adding a member again (with another key) succeeds and changes nothing.
	again, err := f.add(owner, pf.ID, a.ID)
	if err != nil || !slices.Equal(again.PropertyIDs, []string{a.ID, b.ID}) || !again.UpdatedAt.Equal(got.UpdatedAt) {
		t.Fatalf("add again: %+v %v", again, err)
	}

	got, err = f.remove(owner, pf.ID, a.ID)
	if err != nil || !slices.Equal(got.PropertyIDs, []string{b.ID}) {
		t.Fatalf("after remove: %+v %v", got, err)
	}
	// Removing a non-member succeeds and changes nothing; the other
	// portfolio keeps the property.
	if got, err = f.remove(owner, pf.ID, a.ID); err != nil || !slices.Equal(got.PropertyIDs, []string{b.ID}) {
		t.Fatalf("remove again: %+v %v", got, err)
	}
	if o, err := call[portfolio.Portfolio](f, owner, "portfolio/v1/get", api.GetInput{ID: other.ID}); err != nil || !slices.Equal(o.PropertyIDs, []string{a.ID}) {
		t.Fatalf("other portfolio: %+v %v", o, err)
	}

	name, desc := "Long-term rentals", "  leased homes "
	up, err := call[portfolio.Portfolio](f, owner, "portfolio/v1/update", portfolio.UpdateInput{ID: pf.ID, Name: &name, Description: &desc})
	if err != nil || up.Name != name || up.Description != "leased homes" || !slices.Equal(up.PropertyIDs, []string{b.ID}) {
		t.Fatalf("update: %+v %v", up, err)
	}

	page, err := call[listing.Page[portfolio.Portfolio]](f, owner, "portfolio/v1/list", portfolio.ListInput{Limit: 1})
	if err != nil || len(page.Items) != 1 || page.Items[0].Name != "Coast" || page.NextCursor == "" {
		t.Fatalf("list page 1: %+v %v", page, err)
	}
	page, err = call[listing.Page[portfolio.Portfolio]](f, owner, "portfolio/v1/list", portfolio.ListInput{Limit: 1, Cursor: page.NextCursor})
	if err != nil || len(page.Items) != 1 || page.Items[0].Name != name || page.NextCursor != "" {
		t.Fatalf("list page 2: %+v %v", page, err)
	}

	// Only changes are recorded: the repeated add and remove are not.
	want := "created,property_added,property_added,property_removed,updated"
	if got := strings.Join(f.events(f.w.Rivera.ID, pf.ID), ","); got != want {
		t.Fatalf("events %s, want %s", got, want)
	}
}

func TestBadInputIsAFieldError(t *testing.T) {
	t.Parallel()
	f := setup(t)
	owner := f.w.RiveraOwner
	pf := f.create(owner, "Rentals")

	_, err := call[portfolio.Portfolio](f, owner, "portfolio/v1/create", portfolio.CreateInput{Name: "  "})
	wantField(t, err, "name", "")
	_, err = call[portfolio.Portfolio](f, owner, "portfolio/v1/create", portfolio.CreateInput{})
	wantField(t, err, "name", "")
	blank := " "
	_, err = call[portfolio.Portfolio](f, owner, "portfolio/v1/update", portfolio.UpdateInput{ID: pf.ID, Name: &blank})
	wantField(t, err, "name", "")
	_, err = f.add(owner, pf.ID, "not-a-uuid")
	wantField(t, err, "propertyId", "")

	// A property of another organization and one that does not exist are
	// the same field error: nothing says the first exists.
	oak := f.NewProperty(f.w.OakTrustee, "Oak house")
	_, err = f.add(owner, pf.ID, oak.ID)
	wantField(t, err, "propertyId", "not_found")
	_, err = f.add(owner, pf.ID, "6f1c1d2e-0000-4000-8000-000000000000")
	wantField(t, err, "propertyId", "not_found")
	if got, err := call[portfolio.Portfolio](f, owner, "portfolio/v1/get", api.GetInput{ID: pf.ID}); err != nil || len(got.PropertyIDs) != 0 {
		t.Fatalf("after refusals: %+v %v", got, err)
	}
	// An unknown portfolio is NOT_FOUND.
	_, err = f.add(owner, "6f1c1d2e-0000-4000-8000-000000000001", oak.ID)
	wantCode(t, err, apperr.NotFound)
}

// The database refuses a membership that joins two tenants even if a
// statement names the other tenant's property: the composite foreign key.
func TestMembershipCannotCrossTenants(t *testing.T) {
	t.Parallel()
	f := setup(t)
	pf := f.create(f.w.RiveraOwner, "Rentals")
	oak := f.NewProperty(f.w.OakTrustee, "Oak house")
	err := f.DB.InTenant(f.Ctx, f.w.Rivera.ID, func(q db.Querier) error {
		_, err := q.Exec(f.Ctx, `INSERT INTO portfolio_properties (organization_id, portfolio_id, property_id, added_by) VALUES ($1, $2, $3, $4)`,
			f.w.Rivera.ID, pf.ID, oak.ID, f.w.RiveraOwner.UserID)
		return err
	})
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.ConstraintName != "portfolio_properties_organization_id_property_id_fkey" {
		t.Fatalf("cross-tenant membership: %v", err)
	}
}

func TestOtherTenantsPortfolioIsInvisible(t *testing.T) {
	t.Parallel()
	f := setup(t)
	pf := f.create(f.w.RiveraOwner, "Rentals")
	home := f.NewProperty(f.w.RiveraOwner, "Home")
	oakProp := f.NewProperty(f.w.OakTrustee, "Oak house")
	oak := f.w.OakTrustee
	name := "mine now"

	_, err := call[portfolio.Portfolio](f, oak, "portfolio/v1/get", api.GetInput{ID: pf.ID})
	wantCode(t, err, apperr.NotFound)
	_, err = call[portfolio.Portfolio](f, oak, "portfolio/v1/update", portfolio.UpdateInput{ID: pf.ID, Name: &name})
	wantCode(t, err, apperr.NotFound)
	_, err = f.add(oak, pf.ID, oakProp.ID)
	wantCode(t, err, apperr.NotFound)
	_, err = f.remove(oak, pf.ID, home.ID)
	wantCode(t, err, apperr.NotFound)
	_, err = call[portfolio.Summary](f, oak, "portfolio/v1/summary", api.GetInput{ID: pf.ID})
	wantCode(t, err, apperr.NotFound)
	page, err := call[listing.Page[portfolio.Portfolio]](f, oak, "portfolio/v1/list", portfolio.ListInput{})
	if err != nil || len(page.Items) != 0 {
		t.Fatalf("oak list: %+v %v", page, err)
	}
	// Oak's organization summary knows nothing of Rivera's property.
	s, err := call[portfolio.Summary](f, oak, "organization/v1/summary", portfolio.OrganizationSummaryInput{})
	if err != nil || s.PropertyCount != 1 || len(s.Properties) != 1 || s.Properties[0].PropertyID != oakProp.ID {
		t.Fatalf("oak summary: %+v %v", s, err)
	}
}

// Every role of domain.md §10, through the pipeline.
func TestRoles(t *testing.T) {
	t.Parallel()
	f := setup(t)
	w := f.w
	home := f.NewProperty(w.RiveraOwner, "Home")
	coOwner := f.Member(w.Rivera, "co@rivera.test", "CO_OWNER")
	agent := f.Member(w.Rivera, "agent@rivera.test", "DELEGATED_AGENT")
	staff := f.Principal(w.Staff, w.Rivera.ID)
	lead := f.Principal(w.Lead, w.Rivera.ID)
	admin := f.Principal(w.Admin, w.Rivera.ID)
	seed := f.create(w.RiveraOwner, "Seed")

	type outcome struct{ manage, view bool }
	for _, tc := range []struct {
		name string
		p    authz.Principal
		want outcome
	}{
		{"owner", w.RiveraOwner, outcome{true, true}},
		{"co-owner", coOwner, outcome{true, true}},
		{"platform admin", admin, outcome{true, true}},
		{"concierge staff", staff, outcome{false, true}},
		{"concierge lead", lead, outcome{false, true}},
		{"delegated agent", agent, outcome{false, false}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := call[portfolio.Portfolio](f, tc.p, "portfolio/v1/create", portfolio.CreateInput{Name: "by " + tc.name})
			name := "renamed by " + tc.name
			_, uerr := call[portfolio.Portfolio](f, tc.p, "portfolio/v1/update", portfolio.UpdateInput{ID: seed.ID, Name: &name})
			_, aerr := f.add(tc.p, seed.ID, home.ID)
			_, rerr := f.remove(tc.p, seed.ID, home.ID)
			_, gerr := call[portfolio.Portfolio](f, tc.p, "portfolio/v1/get", api.GetInput{ID: seed.ID})
			_, serr := call[portfolio.Summary](f, tc.p, "portfolio/v1/summary", api.GetInput{ID: seed.ID})
			_, oerr := call[portfolio.Summary](f, tc.p, "organization/v1/summary", portfolio.OrganizationSummaryInput{})
			page, lerr := call[listing.Page[portfolio.Portfolio]](f, tc.p, "portfolio/v1/list", portfolio.ListInput{})
			if lerr != nil {
				t.Fatal(lerr)
			}
			switch {
			case tc.want.manage:
				for _, e := range []error{err, uerr, aerr, rerr, gerr, serr, oerr} {
					if e != nil {
						t.Fatal(e)
					}
				}
			case tc.want.view:
				wantCode(t, err, apperr.Forbidden)
				wantCode(t, uerr, apperr.Forbidden)
				wantCode(t, aerr, apperr.Forbidden)
				wantCode(t, rerr, apperr.Forbidden)
				for _, e := range []error{gerr, serr, oerr} {
					if e != nil {
						t.Fatal(e)
					}
				}
			default:
				// Nothing: what it may not view does not exist for it.
				wantCode(t, err, apperr.Forbidden)
				wantCode(t, uerr, apperr.NotFound)
				wantCode(t, aerr, apperr.NotFound)
				wantCode(t, rerr, apperr.NotFound)
				wantCode(t, gerr, apperr.NotFound)
				wantCode(t, serr, apperr.NotFound)
				wantCode(t, oerr, apperr.Forbidden)
			}
			if tc.want.view != (len(page.Items) > 0) {
				t.Fatalf("list: %d portfolios", len(page.Items))
			}
		})
	}
	// A trustee-manager, in its own organization.
	if _, err := call[portfolio.Portfolio](f, w.OakTrustee, "portfolio/v1/create", portfolio.CreateInput{Name: "Trust"}); err != nil {
		t.Fatalf("trustee create: %v", err)
	}
	if _, err := call[portfolio.Summary](f, w.OakTrustee, "organization/v1/summary", portfolio.OrganizationSummaryInput{}); err != nil {
		t.Fatalf("trustee summary: %v", err)
	}
}

// world opens cases in several statuses on three properties of Rivera
// (Alder, Birch, Cedar) and one on Oak's; Rentals holds Alder and Birch,
// Coast holds Birch (a property in two portfolios).
type world struct {
	*fixture
	alder, birch, cedar string
	rentals, coast      portfolio.Portfolio
}

func newWorld(t *testing.T) *world {
	f := setup(t)
	w := &world{fixture: f}
	owner, staff := f.w.RiveraOwner, f.Principal(f.w.Staff, f.w.Rivera.ID)
	w.alder, w.birch, w.cedar = f.NewProperty(owner, "Alder").ID, f.NewProperty(owner, "Birch").ID, f.NewProperty(owner, "Cedar").ID
	oakProp := f.NewProperty(f.w.OakTrustee, "Oak house").ID
	w.rentals, w.coast = f.create(owner, "Rentals"), f.create(owner, "Coast")
	for _, m := range [][2]string{{w.rentals.ID, w.alder}, {w.rentals.ID, w.birch}, {w.coast.ID, w.birch}} {
		if _, err := f.add(owner, m[0], m[1]); err != nil {
			t.Fatal(err)
		}
	}
	open := func(p authz.Principal, prop string, pri cases.Priority, path ...cases.Status) {
		t.Helper()
		c, err := call[cases.Case](f, p, "case/v1/create", cases.CreateInput{PropertyID: prop, Title: "case", Priority: pri})
		if err != nil {
			t.Fatal(err)
		}
		for _, to := range path {
			in := cases.UpdateStatusInput{ID: c.ID, Status: to, Reason: "test", ResolutionSummary: "done"}
			if _, err := call[cases.Case](f, staff, "case/v1/updateStatus", in); err != nil {
				t.Fatalf("%s → %s: %v", c.Number, to, err)
			}
		}
	}
	open(owner, w.alder, "HIGH")                                                      // INTAKE
	open(owner, w.alder, "NORMAL", "ASSESSMENT", "IN_PROGRESS")                       // IN_PROGRESS
	open(owner, w.alder, "URGENT", "ASSESSMENT", "IN_PROGRESS", "RESOLVED")           // not open
	open(owner, w.birch, "HIGH", "ASSESSMENT", "PENDING_OWNER")                       // PENDING_OWNER
	open(owner, w.birch, "LOW", "CANCELLED")                                          // not open
	open(owner, w.cedar, "EMERGENCY", "ASSESSMENT")                                   // ASSESSMENT
	open(owner, w.cedar, "NORMAL", "ASSESSMENT", "IN_PROGRESS", "RESOLVED", "CLOSED") // not open
	open(f.w.OakTrustee, oakProp, "HIGH")                                             // another tenant
	return w
}

// counts renders the non-zero counts of a summary, in order.
func counts(s portfolio.Summary) string {
	var parts []string
	for _, c := range s.OpenCasesByStatus {
		if c.Count > 0 {
			parts = append(parts, fmt.Sprintf("%s=%d", c.Status, c.Count))
		}
	}
	for _, c := range s.OpenCasesByPriority {
		if c.Count > 0 {
			parts = append(parts, fmt.Sprintf("%s=%d", c.Priority, c.Count))
		}
	}
	for _, p := range s.Properties {
		parts = append(parts, fmt.Sprintf("%s:%d", p.Name, p.OpenCases))
	}
	return strings.Join(parts, " ")
}

func TestSummaryNumbers(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	staff := w.Principal(w.w.Staff, w.w.Rivera.ID)

	s, err := call[portfolio.Summary](w.fixture, w.w.RiveraOwner, "portfolio/v1/summary", api.GetInput{ID: w.rentals.ID})
	if err != nil {
		t.Fatal(err)
	}
	if s.PortfolioID != w.rentals.ID || s.PortfolioName != "Rentals" || s.OrganizationID != w.w.Rivera.ID ||
		s.PropertyCount != 2 || s.OpenCases != 3 || s.PendingApprovals != 0 {
		t.Fatalf("rentals: %+v", s)
	}
	if got, want := counts(s), "INTAKE=1 IN_PROGRESS=1 PENDING_OWNER=1 NORMAL=1 HIGH=2 Alder:2 Birch:1"; got != want {
		t.Fatalf("rentals counts %q, want %q", got, want)
	}
	// Every open status and every priority has a row, closed statuses none.
	if len(s.OpenCasesByStatus) != 6 || len(s.OpenCasesByPriority) != 5 {
		t.Fatalf("rows: %+v %+v", s.OpenCasesByStatus, s.OpenCasesByPriority)
	}
	for _, c := range s.OpenCasesByStatus {
		if c.Status == cases.Resolved || c.Status == cases.Closed || c.Status == cases.Cancelled {
			t.Fatalf("closed status listed: %+v", c)
		}
	}

	s, err = call[portfolio.Summary](w.fixture, staff, "portfolio/v1/summary", api.GetInput{ID: w.coast.ID})
	if err != nil || s.PropertyCount != 1 || counts(s) != "PENDING_OWNER=1 HIGH=1 Birch:1" {
		t.Fatalf("coast as staff: %q %+v %v", counts(s), s, err)
	}

	s, err = call[portfolio.Summary](w.fixture, w.w.RiveraOwner, "organization/v1/summary", portfolio.OrganizationSummaryInput{})
	if err != nil || s.PropertyCount != 3 || s.OpenCases != 4 || s.PortfolioID != "" {
		t.Fatalf("organization: %+v %v", s, err)
	}
	if got, want := counts(s), "INTAKE=1 ASSESSMENT=1 IN_PROGRESS=1 PENDING_OWNER=1 NORMAL=1 HIGH=2 EMERGENCY=1 Alder:2 Birch:1 Cedar:1"; got != want {
		t.Fatalf("organization counts %q, want %q", got, want)
	}

	// Before vendors exist nothing was spent: empty lists (not null) in JSON.
	raw, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	for _, frag := range []string{`"spend":[]`, `"spendByMonth":[]`, `"pendingApprovals":0`} {
		if !strings.Contains(string(raw), frag) {
			t.Fatalf("summary JSON lacks %s: %s", frag, raw)
		}
	}

	// An empty portfolio sums to zeros.
	empty := w.create(w.w.RiveraOwner, "Empty")
	s, err = call[portfolio.Summary](w.fixture, w.w.RiveraOwner, "portfolio/v1/summary", api.GetInput{ID: empty.ID})
	if err != nil || s.PropertyCount != 0 || s.OpenCases != 0 || len(s.Properties) != 0 || counts(s) != "" {
		t.Fatalf("empty: %+v %v", s, err)
	}
	_, err = call[portfolio.Summary](w.fixture, w.w.RiveraOwner, "portfolio/v1/summary", api.GetInput{ID: "nope"})
	wantCode(t, err, apperr.NotFound)
}

// The spend part of the summary query, fed a spend source of the shape
// quotes and invoices will have: exact decimal sums per currency, per
// property and per UTC month, never mixed across currencies or tenants.
func TestSpendIsSummedExactlyPerCurrency(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	spend := `SELECT p.id AS property_id, v.at::timestamptz AS spent_at, v.amount::numeric AS amount, v.currency
		FROM (VALUES ('Alder', '2026-01-31T23:30:00Z', '0.10', 'USD'), ('Alder', '2026-01-02T00:00:00Z', '0.20', 'USD'),
		             ('Birch', '2026-02-01T00:00:00Z', '1000000000000.01', 'USD'), ('Birch', '2026-02-03T00:00:00Z', '99.5', 'EUR'),
		             ('Cedar', '2026-02-05T00:00:00Z', '7', 'USD')) AS v(name, at, amount, currency)
		JOIN properties p ON p.name = v.name`
	owner := w.w.RiveraOwner
	s, err := w.App.Portfolio.SummaryWithSpend(w.Ctx, owner, w.rentals.ID, spend)
	if err != nil {
		t.Fatal(err)
	}
	render := func(ms []portfolio.Money) string {
		var out []string
		for _, m := range ms {
			out = append(out, m.Amount+" "+m.Currency)
		}
		sort.Strings(out)
		return strings.Join(out, "+")
	}
	var lines []string
	lines = append(lines, "total "+render(s.Spend))
	for _, p := range s.Properties {
		lines = append(lines, p.Name+" "+render(p.Spend))
	}
	for _, m := range s.SpendByMonth {
		lines = append(lines, m.Month+" "+render(m.Spend))
	}
	want := "total 1000000000000.31 USD+99.5 EUR|Alder 0.30 USD|Birch 1000000000000.01 USD+99.5 EUR|2026-01 0.30 USD|2026-02 1000000000000.01 USD+99.5 EUR"
	if got := strings.Join(lines, "|"); got != want {
		t.Fatalf("rentals spend\n got %s\nwant %s", got, want)
	}
	o, err := w.App.Portfolio.OrganizationSummaryWithSpend(w.Ctx, owner, spend)
	if err != nil {
		t.Fatal(err)
	}
	if got := render(o.Spend); got != "1000000000007.31 USD+99.5 EUR" {
		t.Fatalf("organization spend %s", got)
	}
	// Oak's summary sees none of it (RLS hides Rivera's properties).
	o, err = w.App.Portfolio.OrganizationSummaryWithSpend(w.Ctx, w.w.OakTrustee, spend)
	if err != nil || len(o.Spend) != 0 {
		t.Fatalf("oak spend %+v %v", o.Spend, err)
	}
}
