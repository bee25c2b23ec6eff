package records_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/cases"
	"github.com/hestami/concierge/internal/db"
	"github.com/hestami/concierge/internal/listing"
	"github.com/hestami/concierge/internal/records"
	"github.com/hestami/concierge/internal/testkit"
)

func TestMain(m *testing.M) { testkit.Main(m) }

// row is a case as a minimal table of the test's own sees it.
type row struct {
	ID, OrgID, Status, PropertyID, CreatedBy, Number string
	CreatedAt                                        time.Time
}

func table(plan authz.Columns) *records.Table[row] {
	return &records.Table[row]{
		Kind: "case", Name: "cases", NumberColumn: "number",
		Columns: "id, organization_id, status, property_id, created_by, number, created_at",
		Scan: func(r db.Row) (row, error) {
			var x row
			err := r.Scan(&x.ID, &x.OrgID, &x.Status, &x.PropertyID, &x.CreatedBy, &x.Number, &x.CreatedAt)
			return x, err
		},
		Resource: func(x row) authz.Resource {
			return authz.Resource{Kind: "case", ID: x.ID, Attr: map[string]any{"org_id": x.OrgID, "status": x.Status,
				"property_id": x.PropertyID, "created_by": x.CreatedBy}}
		},
		Plan:  plan,
		Order: records.NewestFirst(func(x row) time.Time { return x.CreatedAt }),
	}
}

var fullPlan = authz.Columns{"request.resource.id": "id", "request.resource.attr.org_id": "organization_id",
	"request.resource.attr.status": "status", "request.resource.attr.property_id": "property_id",
	"request.resource.attr.created_by": "created_by"}

type fixture struct {
	*testkit.Bundle
	w     *testkit.World
	cases []cases.Case // three Oak cases, oldest first
}

func setup(t *testing.T) *fixture {
	t.Helper()
	b := testkit.Setup(t)
	w := b.NewWorld()
	prop := b.NewProperty(w.OakTrustee, "Oak condo")
	f := &fixture{Bundle: b, w: w}
	for i := range 3 {
		c, err := b.App.Cases.Create(b.Ctx, w.OakTrustee, cases.CreateInput{PropertyID: prop.ID, Title: fmt.Sprint("case ", i)})
		if err != nil {
			t.Fatal(err)
		}
		f.cases = append(f.cases, c)
	}
	return f
}

// A record the PDP does not let the caller view is not found, in the same
// words as one that does not exist; by number as by id.
func TestGetHidesWhatThePDPDenies(t *testing.T) {
	t.Parallel()
	f := setup(t)
	tbl := table(fullPlan)
	c := f.cases[0]
	got, err := records.Get(f.Ctx, f.DB, f.PDP, f.w.OakTrustee, tbl, c.Number, nil)
	if err != nil || got.ID != c.ID {
		t.Fatalf("by number: %+v %v", got, err)
	}
	// The delegated agent holds no grant: the row is visible to RLS, the PDP denies.
	_, err = records.Get(f.Ctx, f.DB, f.PDP, f.w.OakAgent, tbl, c.ID, nil)
	missing := "00000000-0000-4000-8000-000000000000"
	_, errMissing := records.Get(f.Ctx, f.DB, f.PDP, f.w.OakTrustee, tbl, missing, nil)
	if apperr.CodeOf(err) != apperr.NotFound || apperr.CodeOf(errMissing) != apperr.NotFound {
		t.Fatalf("denied: %v; missing: %v", err, errMissing)
	}
	if err.Error() != fmt.Sprintf("case %s not found", c.ID) || errMissing.Error() != fmt.Sprintf("case %s not found", missing) {
		t.Fatalf("messages differ in form: %q / %q", err, errMissing)
	}
	// Any spelling of the id names the record; PostgreSQL never sees one
	// it cannot cast.
	for _, spelling := range []string{"urn:uuid:" + c.ID, "{" + c.ID + "}"} {
		if got, err := records.Get(f.Ctx, f.DB, f.PDP, f.w.OakTrustee, tbl, spelling, nil); err != nil || got.ID != c.ID {
			t.Fatalf("%s: %+v %v", spelling, got, err)
		}
	}
	// Neither an id nor, for a table without numbers, a number.
	noNumbers := table(fullPlan)
	noNumbers.NumberColumn = ""
	if _, err := records.Get(f.Ctx, f.DB, f.PDP, f.w.OakTrustee, noNumbers, c.Number, nil); apperr.CodeOf(err) != apperr.NotFound {
		t.Fatalf("number on a table without numbers: %v", err)
	}
}

// Pages are newest first, stable, and end; filters narrow them.
func TestListPagesNewestFirstWithFilters(t *testing.T) {
	t.Parallel()
	f := setup(t)
	tbl := table(fullPlan)
	var seen []string
	cursor := ""
	for range 4 {
		page, err := records.List(f.Ctx, f.DB, f.PDP, f.w.OakTrustee, tbl, records.Page{Limit: 2, Cursor: cursor}, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range page.Items {
			seen = append(seen, x.ID)
		}
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	want := []string{f.cases[2].ID, f.cases[1].ID, f.cases[0].ID}
	if fmt.Sprint(seen) != fmt.Sprint(want) {
		t.Fatalf("pages %v, want %v", seen, want)
	}
	page, err := records.List(f.Ctx, f.DB, f.PDP, f.w.OakTrustee, tbl, records.Page{}, func(fl *records.Filters) {
		fl.Where(`id = ? OR number = ?`, f.cases[0].ID, f.cases[2].Number)
	})
	if err != nil || len(page.Items) != 2 {
		t.Fatalf("filtered: %+v %v", page.Items, err)
	}
	// The agent's plan allows nothing: an empty page, not an error.
	page, err = records.List(f.Ctx, f.DB, f.PDP, f.w.OakAgent, tbl, records.Page{}, nil)
	if err != nil || len(page.Items) != 0 {
		t.Fatalf("agent: %+v %v", page.Items, err)
	}
}

// A cursor that this server did not hand out is a field error on cursor,
// never a 500 from a failed cast.
func TestForgedCursorsAreFieldErrors(t *testing.T) {
	t.Parallel()
	f := setup(t)
	tbl := table(fullPlan)
	for _, cur := range []string{"garbage", listing.Encode("2026-01-01T00:00:00Z", "not-a-uuid"), listing.Encode("yesterday", f.cases[0].ID),
		listing.Encode("2026-01-01T00:00:00Z", "urn:uuid:"+f.cases[0].ID+"x")} {
		_, err := records.List(f.Ctx, f.DB, f.PDP, f.w.OakTrustee, tbl, records.Page{Cursor: cur}, nil)
		e := apperr.From(err)
		if e == nil || e.Code != apperr.Validation || len(e.Fields) != 1 || e.Fields[0].Field != "cursor" {
			t.Errorf("cursor %q: %v", cur, err)
		}
	}
}

// A plan that names an attribute the table does not map fails the list
// closed: an error, never every row.
func TestUnmappedPlanAttributeFailsClosed(t *testing.T) {
	t.Parallel()
	f := setup(t)
	onlyID := table(authz.Columns{"request.resource.id": "id"})
	page, err := records.List(f.Ctx, f.DB, f.PDP, f.w.OakTrustee, onlyID, records.Page{}, nil)
	if apperr.CodeOf(err) != apperr.Internal || len(page.Items) != 0 {
		t.Fatalf("got %d items, %v", len(page.Items), err)
	}
}

// A table that declares no order cannot be listed: an error naming the
// table, not a panic on the second page.
func TestListWithoutAnOrderIsRefused(t *testing.T) {
	t.Parallel()
	f := setup(t)
	unordered := table(fullPlan)
	unordered.Order = records.Order[row]{}
	_, err := records.List(f.Ctx, f.DB, f.PDP, f.w.OakTrustee, unordered, records.Page{Limit: 1}, nil)
	if apperr.CodeOf(err) != apperr.Internal {
		t.Fatalf("got %v", err)
	}
}
