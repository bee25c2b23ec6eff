// Package demo loads a realistic demo dataset through the domain layer, so
// every demo row passed the same rules, authorization and RLS as real data.
// Seeding twice finds what exists and reuses it.
package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/cases"
	"github.com/hestami/concierge/internal/identity"
	"github.com/hestami/concierge/internal/ownership"
	"github.com/hestami/concierge/internal/property"
)

// Services is what seeding needs.
type Services struct {
	Identity  *identity.Service
	Property  *property.Service
	Ownership *ownership.Service
	Cases     *cases.Service
}

// Result lists what the seed created or found.
type Result struct {
	Organizations map[string]string `json:"organizations"`
	Users         map[string]User   `json:"users"`
	Properties    map[string]string `json:"properties"`
	Cases         []SeededCase      `json:"cases"`
}

// User is a demo user with a fresh demo token.
type User struct {
	ID    string `json:"id"`
	Org   string `json:"org"`
	Role  string `json:"role"`
	Token string `json:"token"`
}

// SeededCase is one demo case.
type SeededCase struct {
	Org    string `json:"org"`
	ID     string `json:"id"`
	Number string `json:"number"`
	Title  string `json:"title"`
	Status string `json:"status"`
}

type orgSpec struct{ key, name, typ string }
type userSpec struct{ email, name, org, role string }
type propSpec struct {
	key, org, owner, name, typ string
	addr                       property.Address
}
type caseSpec struct {
	org, owner, prop, title, desc, category, priority string
	path                                              []cases.Status
}

var orgs = []orgSpec{
	{"operator", "Hestami Concierge", "PLATFORM_OPERATOR"},
	{"rivera", "Jordan Rivera", "INDIVIDUAL_PROPERTY_OWNER"},
	{"oakhollow", "Oak Hollow Family Trust", "TRUST_OR_LLC"},
	{"chen", "Chen Holdings LLC", "TRUST_OR_LLC"}, // not engaged: staff see nothing of it
}

var users = []userSpec{
	{"lead@hestami.demo", "Avery Lead", "operator", "CONCIERGE_LEAD"},
	{"staff@hestami.demo", "Riley Staff", "operator", "CONCIERGE_STAFF"},
	{"admin@hestami.demo", "Casey Admin", "operator", "PLATFORM_ADMIN"},
	{"jordan@rivera.demo", "Jordan Rivera", "rivera", "OWNER"},
	{"sam@rivera.demo", "Sam Rivera", "rivera", "CO_OWNER"},
	{"morgan@oakhollow.demo", "Morgan Oak", "oakhollow", "TRUSTEE_MANAGER"},
	{"pat@oakhollow.demo", "Pat Oak", "oakhollow", "OWNER"},
	{"agent@oakhollow.demo", "Drew Agent", "oakhollow", "DELEGATED_AGENT"},
	{"lin@chen.demo", "Lin Chen", "chen", "OWNER"},
}

var props = []propSpec{
	{"rivera-home", "rivera", "jordan@rivera.demo", "Rivera residence", "SINGLE_FAMILY", property.Address{Line1: "1402 Barton Hills Dr", City: "Austin", Region: "TX", PostalCode: "78704", Country: "US"}},
	{"rivera-cabin", "rivera", "jordan@rivera.demo", "Lake cabin", "SINGLE_FAMILY", property.Address{Line1: "88 Shoreline Rd", City: "Marble Falls", Region: "TX", PostalCode: "78654", Country: "US"}},
	{"oak-condo", "oakhollow", "morgan@oakhollow.demo", "Riverside condo 4B", "CONDO", property.Address{Line1: "200 Riverside Dr", Line2: "Unit 4B", City: "Austin", Region: "TX", PostalCode: "78701", Country: "US"}},
	{"oak-duplex", "oakhollow", "morgan@oakhollow.demo", "Elm St duplex", "MULTI_FAMILY", property.Address{Line1: "512 Elm St", City: "Round Rock", Region: "TX", PostalCode: "78664", Country: "US"}},
	{"chen-office", "chen", "lin@chen.demo", "Chen office", "COMMERCIAL", property.Address{Line1: "9 Congress Ave", City: "Austin", Region: "TX", PostalCode: "78701", Country: "US"}},
}

var demoCases = []caseSpec{
	{"rivera", "jordan@rivera.demo", "rivera-home", "Water heater leaking", "Puddle under the water heater in the garage since Monday.", "REPAIR", "HIGH",
		[]cases.Status{cases.Assessment, cases.InProgress}},
	{"rivera", "sam@rivera.demo", "rivera-home", "New fence needs HOA approval", "We want a 6ft cedar fence on the north side.", "HOA_APPROVAL", "NORMAL",
		[]cases.Status{cases.Assessment, cases.PendingExternal}},
	{"rivera", "jordan@rivera.demo", "rivera-cabin", "Gutter cleaning before winter", "", "MAINTENANCE", "LOW", nil},
	{"oakhollow", "morgan@oakhollow.demo", "oak-condo", "Roof inspection after hail", "Hail on Oct 3; check for damage.", "REPAIR", "URGENT",
		[]cases.Status{cases.Assessment, cases.InProgress, cases.Resolved}},
	{"oakhollow", "morgan@oakhollow.demo", "oak-duplex", "Annual HVAC service", "", "MAINTENANCE", "NORMAL",
		[]cases.Status{cases.Cancelled}},
	{"oakhollow", "morgan@oakhollow.demo", "oak-duplex", "Permit for rear deck", "Owner wants a 12x16 deck; check the city permit.", "COMPLIANCE", "NORMAL", nil},
	{"chen", "lin@chen.demo", "chen-office", "Lobby light out", "", "REPAIR", "LOW", nil},
}

// Seed loads the dataset and issues a fresh demo token per user.
func Seed(ctx context.Context, s Services) (Result, error) {
	r := Result{Organizations: map[string]string{}, Users: map[string]User{}, Properties: map[string]string{}}
	existing, err := s.Identity.ListOrgs(ctx)
	if err != nil {
		return r, err
	}
	for _, o := range orgs {
		for _, e := range existing {
			if e.Name == o.name && e.Type == o.typ {
				r.Organizations[o.key] = e.ID
			}
		}
		if r.Organizations[o.key] == "" {
			created, err := s.Identity.CreateOrg(ctx, o.name, o.typ)
			if err != nil {
				return r, err
			}
			r.Organizations[o.key] = created.ID
			if o.typ != "PLATFORM_OPERATOR" && o.key != "chen" {
				if _, err := s.Identity.Engage(ctx, created.ID, r.Organizations["operator"]); err != nil {
					return r, err
				}
			}
		}
	}
	for _, u := range users {
		created, err := s.Identity.CreateUser(ctx, u.email, u.name)
		id := created.ID
		if apperr.CodeOf(err) == apperr.Conflict {
			if id, err = s.Identity.LookupUser(ctx, u.email); err != nil {
				return r, err
			}
		} else if err != nil {
			return r, err
		}
		if _, err := s.Identity.AddMember(ctx, r.Organizations[u.org], id, u.role); err != nil && apperr.CodeOf(err) != apperr.Conflict {
			return r, err
		}
		tok, err := s.Identity.CreateToken(ctx, id, "demo", 30*24*time.Hour)
		if err != nil {
			return r, err
		}
		r.Users[u.email] = User{ID: id, Org: r.Organizations[u.org], Role: u.role, Token: tok.Token}
	}
	for _, p := range props {
		owner, err := s.Identity.Principal(ctx, r.Users[p.owner].ID, r.Organizations[p.org])
		if err != nil {
			return r, err
		}
		page, err := s.Property.List(ctx, owner, property.ListInput{Limit: 100})
		if err != nil {
			return r, err
		}
		for _, e := range page.Items {
			if e.Name == p.name {
				r.Properties[p.key] = e.ID
			}
		}
		if r.Properties[p.key] != "" {
			continue
		}
		created, err := s.Property.Create(ctx, owner, property.CreateInput{Name: p.name, Type: property.Type(p.typ), Address: p.addr})
		if err != nil {
			return r, err
		}
		r.Properties[p.key] = created.ID
	}
	for _, p := range props {
		if err := seedOwnership(ctx, s, r, p); err != nil {
			return r, err
		}
	}
	for i, c := range demoCases {
		owner, err := s.Identity.Principal(ctx, r.Users[c.owner].ID, r.Organizations[c.org])
		if err != nil {
			return r, err
		}
		existing, err := s.Cases.List(ctx, owner, cases.ListInput{Limit: 100})
		if err != nil {
			return r, err
		}
		var cs cases.Case
		for _, e := range existing.Items {
			if e.Title == c.title {
				cs = e
			}
		}
		if cs.ID == "" {
			if cs, err = s.Cases.Create(ctx, owner, cases.CreateInput{PropertyID: r.Properties[c.prop], Title: c.title, Description: c.desc, Category: cases.Category(c.category), Priority: cases.Priority(c.priority)}); err != nil {
				return r, err
			}
		}
		if len(c.path) > 0 {
			staff, err := s.Identity.Principal(ctx, r.Users["staff@hestami.demo"].ID, r.Organizations[c.org])
			if err != nil {
				return r, err
			}
			for step, to := range c.path {
				in := cases.UpdateStatusInput{ID: cs.ID, Status: to, Reason: "demo: " + string(to)}
				if to == cases.Resolved {
					in.ResolutionSummary = "Inspected; two shingles replaced, photos on file."
				}
				if to == cases.PendingExternal {
					in.WaitingOn = &cases.WaitingOn{Kind: "HOA", Name: "Barton Hills HOA board"}
				}
				// Stable keys: seeding again replays these changes instead of repeating them.
				if cs, err = s.Cases.UpdateStatus(ctx, staff, in, fmt.Sprintf("demo-seed-%d-%d", i, step)); err != nil {
					return r, fmt.Errorf("seeding %q → %s: %w", c.title, to, err)
				}
			}
		}
		r.Cases = append(r.Cases, SeededCase{Org: c.org, ID: cs.ID, Number: cs.Number, Title: cs.Title, Status: string(cs.Status)})
	}
	return r, nil
}

// seedOwnership records who owns a property, once: the individual owner
// holds it outright; a trust's property is owned by the trust (an external
// party) and managed by its trustee.
func seedOwnership(ctx context.Context, s Services, r Result, p propSpec) error {
	actor, err := s.Identity.Principal(ctx, r.Users[p.owner].ID, r.Organizations[p.org])
	if err != nil {
		return err
	}
	existing, err := s.Ownership.List(ctx, actor, ownership.ListInput{PropertyID: r.Properties[p.key]})
	if err != nil || len(existing.Items) > 0 {
		return err
	}
	full := ownership.Percent("100")
	records := []ownership.AddInput{{Party: ownership.Party{UserID: actor.UserID}, Role: ownership.Owner, Percentage: &full}}
	if r.Users[p.owner].Role == "TRUSTEE_MANAGER" {
		records = []ownership.AddInput{
			{Party: ownership.Party{Name: "The Oak Hollow Family Trust"}, Role: ownership.Owner, Percentage: &full},
			{Party: ownership.Party{UserID: actor.UserID}, Role: ownership.TrusteeManager},
		}
	}
	for _, in := range records {
		in.PropertyID = r.Properties[p.key]
		if _, err := s.Ownership.Add(ctx, actor, in); err != nil {
			return err
		}
	}
	return nil
}
