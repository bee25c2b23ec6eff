package property_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/hestami/concierge/internal/activity"
	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/db"
	"github.com/hestami/concierge/internal/property"
	"github.com/hestami/concierge/internal/testkit"
)

func TestMain(m *testing.M) { testkit.Main(m) }

func addr() property.Address {
	return property.Address{Line1: "1 Main St", City: "Austin", Region: "TX", PostalCode: "78701", Country: "US"}
}

func TestCreateGetUpdateRecordActivity(t *testing.T) {
	t.Parallel()
	b := testkit.Setup(t)
	w := b.NewWorld()
	p, err := b.Property.Create(b.Ctx, w.RiveraOwner, property.CreateInput{Name: " Home ", Type: "CONDO", Address: addr()})
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "Home" || p.OrganizationID != w.Rivera.ID || !p.Active {
		t.Fatalf("created %+v", p)
	}
	got, err := b.Property.Get(b.Ctx, w.RiveraOwner, p.ID)
	if err != nil || got.ID != p.ID {
		t.Fatalf("get %+v %v", got, err)
	}
	name, inactive := "Old home", false
	up, err := b.Property.Update(b.Ctx, w.RiveraOwner, property.UpdateInput{ID: p.ID, Name: &name, Active: &inactive})
	if err != nil {
		t.Fatal(err)
	}
	if up.Name != name || up.Active || up.Type != "CONDO" || up.Address != p.Address {
		t.Fatalf("updated %+v", up)
	}
	events, err := db.InTenantResult(b.Ctx, b.DB, w.Rivera.ID, func(q db.Querier) ([]activity.Entry, error) {
		return activity.ForEntity(b.Ctx, q, "property", p.ID)
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 2 || events[0].Verb != "created" || events[1].Verb != "updated" || events[1].ActorID != w.RiveraOwner.UserID {
		t.Fatalf("events %+v", events)
	}
	if !strings.Contains(string(events[1].Before), `"Home"`) || !strings.Contains(string(events[1].After), `"Old home"`) {
		t.Fatalf("before/after %s → %s", events[1].Before, events[1].After)
	}
}

func TestValidationNamesEveryField(t *testing.T) {
	t.Parallel()
	b := testkit.Setup(t)
	w := b.NewWorld()
	// Through the pipeline: the schema names every malformed field at once.
	_, err := testkit.Call[property.Property](b, w.RiveraOwner, "property/v1/create",
		property.CreateInput{Type: "CASTLE", Address: property.Address{Country: "usa"}}, "k1")
	wantFields(t, err, "address.city,address.country,address.line1,name,type")
	// What only the domain knows: a value of spaces is no value.
	_, err = testkit.Call[property.Property](b, w.RiveraOwner, "property/v1/create",
		property.CreateInput{Name: " ", Type: "CONDO", Address: property.Address{Line1: " ", City: "Austin", Country: "US"}}, "k2")
	wantFields(t, err, "address.line1,name")
}

func wantFields(t *testing.T, err error, fields string) {
	t.Helper()
	e := apperr.From(err)
	if e == nil || e.Code != apperr.Validation {
		t.Fatalf("%v", err)
	}
	var got []string
	for _, f := range e.Fields {
		got = append(got, f.Field)
	}
	sort.Strings(got)
	if strings.Join(got, ",") != fields {
		t.Fatalf("fields %+v, want %s", e.Fields, fields)
	}
}

func TestRolesAcrossOrganizations(t *testing.T) {
	t.Parallel()
	b := testkit.Setup(t)
	w := b.NewWorld()
	p := b.NewProperty(w.RiveraOwner, "Home")
	staff := b.Principal(w.Staff, w.Rivera.ID)
	admin := b.Principal(w.Admin, w.Rivera.ID)

	// Staff may view an engaged owner's property but not create or change one.
	if _, err := b.Property.Get(b.Ctx, staff, p.ID); err != nil {
		t.Fatalf("staff get: %v", err)
	}
	if _, err := b.Property.Create(b.Ctx, staff, property.CreateInput{Name: "x", Type: "LAND", Address: addr()}); apperr.CodeOf(err) != apperr.Forbidden {
		t.Fatalf("staff create: %v", err)
	}
	name := "renamed"
	if _, err := b.Property.Update(b.Ctx, staff, property.UpdateInput{ID: p.ID, Name: &name}); apperr.CodeOf(err) != apperr.Forbidden {
		t.Fatalf("staff update: %v", err)
	}
	// The platform admin may.
	if _, err := b.Property.Update(b.Ctx, admin, property.UpdateInput{ID: p.ID, Name: &name}); err != nil {
		t.Fatalf("admin update: %v", err)
	}
	// Another organization's owner: not found, not forbidden.
	if _, err := b.Property.Get(b.Ctx, w.OakTrustee, p.ID); apperr.CodeOf(err) != apperr.NotFound {
		t.Fatalf("other org get: %v", err)
	}
	if _, err := b.Property.Update(b.Ctx, w.OakTrustee, property.UpdateInput{ID: p.ID, Name: &name}); apperr.CodeOf(err) != apperr.NotFound {
		t.Fatalf("other org update: %v", err)
	}
	// A delegated agent with no grant sees nothing, even in its own organization.
	oak := b.NewProperty(w.OakTrustee, "Oak")
	if _, err := b.Property.Get(b.Ctx, w.OakAgent, oak.ID); apperr.CodeOf(err) != apperr.NotFound {
		t.Fatalf("agent get: %v", err)
	}
	page, err := b.Property.List(b.Ctx, w.OakAgent, property.ListInput{})
	if err != nil || len(page.Items) != 0 {
		t.Fatalf("agent list: %v %v", page.Items, err)
	}
}

func TestListIsFilteredAndPaged(t *testing.T) {
	t.Parallel()
	b := testkit.Setup(t)
	w := b.NewWorld()
	for i := range 5 {
		b.NewProperty(w.RiveraOwner, fmt.Sprintf("R%d", i))
	}
	b.NewProperty(w.OakTrustee, "Oak")
	staff := b.Principal(w.Staff, w.Rivera.ID)
	var names []string
	cursor := ""
	for {
		page, err := b.Property.List(b.Ctx, staff, property.ListInput{Limit: 2, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range page.Items {
			names = append(names, p.Name)
		}
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	if got := strings.Join(names, ","); got != "R0,R1,R2,R3,R4" {
		t.Fatalf("pages: %s", got)
	}
}

// Any spelling of a property id names it, in a read and in an update alike.
func TestIdSpellings(t *testing.T) {
	t.Parallel()
	b := testkit.Setup(t)
	w := b.NewWorld()
	p := b.NewProperty(w.RiveraOwner, "Home")
	name := "Renamed"
	for _, ref := range []string{"urn:uuid:" + p.ID, "{" + p.ID + "}", strings.ToUpper(p.ID)} {
		if got, err := b.Property.Get(b.Ctx, w.RiveraOwner, ref); err != nil || got.ID != p.ID {
			t.Fatalf("get %s: %+v %v", ref, got, err)
		}
		if got, err := b.Property.Update(b.Ctx, w.RiveraOwner, property.UpdateInput{ID: ref, Name: &name}); err != nil || got.ID != p.ID {
			t.Fatalf("update %s: %+v %v", ref, got, err)
		}
	}
}
