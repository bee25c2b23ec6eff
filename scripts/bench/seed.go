package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hestami/concierge/internal/cases"
	"github.com/hestami/concierge/internal/property"
)

// tenant is one seeded owner organization as a client sees it.
type tenant struct {
	OrgID      string
	UserID     string // its OWNER
	Token      string // the OWNER's bearer token
	PropertyID string
}

// seed creates the operator, the owner organizations (engaged with the
// operator, each with an OWNER, a token and a property) through the domain
// services, then bulk-loads the cases with COPY on the owner pool.
func seed(ctx context.Context, st *stack, opts options) ([]tenant, error) {
	logf("seeding %d organizations (identity service) and %d cases (COPY)", opts.orgs, opts.orgs*opts.casesPerOrg)
	op, err := st.ids.CreateOrg(ctx, "Bench Concierge Operator", "PLATFORM_OPERATOR")
	if err != nil {
		return nil, err
	}
	staff, err := st.ids.CreateUser(ctx, "staff@bench.test", "Bench Staff")
	if err != nil {
		return nil, err
	}
	if _, err := st.ids.AddMember(ctx, op.ID, staff.ID, "CONCIERGE_STAFF"); err != nil {
		return nil, err
	}
	tenants := make([]tenant, opts.orgs)
	for i := range tenants {
		org, err := st.ids.CreateOrg(ctx, fmt.Sprintf("Bench Owner %03d", i), "INDIVIDUAL_PROPERTY_OWNER")
		if err != nil {
			return nil, err
		}
		if _, err := st.ids.Engage(ctx, org.ID, op.ID); err != nil {
			return nil, err
		}
		email := fmt.Sprintf("owner%03d@bench.test", i)
		u, err := st.ids.CreateUser(ctx, email, fmt.Sprintf("Bench Owner %03d", i))
		if err != nil {
			return nil, err
		}
		if _, err := st.ids.AddMember(ctx, org.ID, u.ID, "OWNER"); err != nil {
			return nil, err
		}
		tok, err := st.ids.CreateToken(ctx, u.ID, "bench", 24*time.Hour)
		if err != nil {
			return nil, err
		}
		p, err := st.ids.Principal(ctx, u.ID, org.ID)
		if err != nil {
			return nil, err
		}
		prop, err := st.props.Create(ctx, p, property.CreateInput{Name: fmt.Sprintf("Bench home %03d", i), Type: "SINGLE_FAMILY",
			Address: property.Address{Line1: fmt.Sprintf("%d Main St", 100+i), City: "Austin", Region: "TX", PostalCode: "78701", Country: "US"}})
		if err != nil {
			return nil, err
		}
		tenants[i] = tenant{OrgID: org.ID, UserID: u.ID, Token: tok.Token, PropertyID: prop.ID}
	}
	logf("seeded %d organizations; loading cases", len(tenants))
	if err := copyCases(ctx, st, tenants, opts.casesPerOrg); err != nil {
		return nil, err
	}
	logf("vacuuming and analyzing")
	if _, err := st.rawPool.Exec(ctx, `VACUUM (ANALYZE) cases, case_status_history, case_counters, organizations, memberships, concierge_engagements, properties, users, api_tokens`); err != nil {
		return nil, err
	}
	var n int
	if err := st.rawPool.QueryRow(ctx, `SELECT count(*) FROM cases`).Scan(&n); err != nil {
		return nil, err
	}
	logf("seeded: %d cases in %d organizations", n, len(tenants))
	return tenants, nil
}

// copyCases loads perOrg cases per tenant (numbers CASE-<year>-1…perOrg,
// created over the past weeks, statuses and priorities mixed), their
// "opened" history rows, and each organization's case counter so that cases
// created through the API continue the numbering.
func copyCases(ctx context.Context, st *stack, tenants []tenant, perOrg int) error {
	rng := rand.New(rand.NewPCG(1, 2))
	statuses, categories, priorities := cases.Statuses.Strings(), cases.Categories.Strings(), cases.Priorities.Strings()
	now := time.Now().UTC()
	year := now.Year()
	total := len(tenants) * perOrg
	ids := make([]string, total)
	created := make([]time.Time, total)
	for i := range ids {
		ids[i] = uuid.NewString()
	}
	i := 0
	caseRows := pgx.CopyFromFunc(func() ([]any, error) {
		if i >= total {
			return nil, nil
		}
		t := tenants[i/perOrg]
		n := i%perOrg + 1
		// Newest cases have the highest numbers; a few minutes apart, and
		// organizations interleaved so created_at values rarely tie.
		created[i] = now.Add(-time.Duration(perOrg-n)*7*time.Minute - time.Duration(i/perOrg)*time.Second)
		status := statuses[rng.IntN(len(statuses))]
		// The SLA clock as the status transaction would have left it:
		// answered when it left INTAKE, stopped since it began to wait.
		var responded, pausedSince *time.Time
		var waitKind, waitName *string
		if status != "INTAKE" {
			responded = &created[i]
		}
		switch status {
		case "PENDING_OWNER", "PENDING_EXTERNAL", "RESOLVED", "CLOSED", "CANCELLED":
			pausedSince = &created[i]
		}
		if status == "PENDING_EXTERNAL" {
			k, n := "VENDOR", "Seeded vendor"
			waitKind, waitName = &k, &n
		}
		row := []any{ids[i], t.OrgID, t.PropertyID, fmt.Sprintf("CASE-%d-%d", year, n),
			fmt.Sprintf("Seeded case %d of %s", n, t.OrgID[:8]), "Seeded by scripts/bench.",
			categories[rng.IntN(len(categories))], priorities[rng.IntN(len(priorities))],
			status, t.UserID, created[i], created[i], created[i], responded, pausedSince, waitKind, waitName}
		i++
		return row, nil
	})
	if _, err := st.rawPool.CopyFrom(ctx, pgx.Identifier{"cases"}, []string{"id", "organization_id", "property_id", "number", "title",
		"description", "category", "priority", "status", "created_by", "created_at", "updated_at", "status_changed_at",
		"responded_at", "paused_since", "waiting_on_kind", "waiting_on_name"}, caseRows); err != nil {
		return fmt.Errorf("copying cases: %w", err)
	}
	j := 0
	historyRows := pgx.CopyFromFunc(func() ([]any, error) {
		if j >= total {
			return nil, nil
		}
		t := tenants[j/perOrg]
		row := []any{t.OrgID, ids[j], nil, string(cases.Intake), "opened", "HUMAN", t.UserID, created[j]}
		j++
		return row, nil
	})
	if _, err := st.rawPool.CopyFrom(ctx, pgx.Identifier{"case_status_history"}, []string{"organization_id", "case_id", "from_status",
		"to_status", "reason", "actor_kind", "actor_id", "changed_at"}, historyRows); err != nil {
		return fmt.Errorf("copying case history: %w", err)
	}
	b := &pgx.Batch{}
	for _, t := range tenants {
		b.Queue(`INSERT INTO case_counters (organization_id, year, last_number) VALUES ($1, $2, $3)`, t.OrgID, year, perOrg)
	}
	return st.rawPool.SendBatch(ctx, b).Close()
}
