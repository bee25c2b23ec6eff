package portfolio

import (
	"context"
	"errors"
	"slices"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/cases"
	"github.com/hestami/concierge/internal/db"
)

// Money is an exact decimal amount in a currency; the amount is a string so
// that no JSON reader turns it into a float.
type Money struct {
	Amount   string `json:"amount" jsonschema:"pattern=^-?[0-9]+(\\.[0-9]+)?$"`
	Currency string `json:"currency" jsonschema:"pattern=^[A-Z]{3}$"`
}

// StatusCount is how many open cases are in a status.
type StatusCount struct {
	Status cases.Status `json:"status"`
	Count  int          `json:"count"`
}

// PriorityCount is how many open cases have a priority.
type PriorityCount struct {
	Priority cases.Priority `json:"priority"`
	Count    int            `json:"count"`
}

// PropertySummary is one property's line of a summary.
type PropertySummary struct {
	PropertyID       string  `json:"propertyId"`
	Name             string  `json:"name"`
	OpenCases        int     `json:"openCases"`
	PendingApprovals int     `json:"pendingApprovals"`
	Spend            []Money `json:"spend"`
}

// MonthSpend is what was spent in one calendar month (UTC).
type MonthSpend struct {
	Month string  `json:"month"` // YYYY-MM
	Spend []Money `json:"spend"`
}

// Summary is the owner-level context of a portfolio or of a whole
// organization. Money is totalled per currency, never converted: a spend
// list holds one entry per currency spent in, and is empty when nothing was.
type Summary struct {
	OrganizationID string `json:"organizationId"`
	// PortfolioID and PortfolioName are set for a portfolio's summary.
	PortfolioID         string            `json:"portfolioId,omitempty"`
	PortfolioName       string            `json:"portfolioName,omitempty"`
	PropertyCount       int               `json:"propertyCount"`
	OpenCases           int               `json:"openCases"`
	OpenCasesByStatus   []StatusCount     `json:"openCasesByStatus"`
	OpenCasesByPriority []PriorityCount   `json:"openCasesByPriority"`
	PendingApprovals    int               `json:"pendingApprovals"`
	Spend               []Money           `json:"spend"`
	Properties          []PropertySummary `json:"properties"`
	SpendByMonth        []MonthSpend      `json:"spendByMonth"`
}

// OrganizationSummaryInput is empty: the summary is of the active
// organization.
type OrganizationSummaryInput struct{}

// closedStatuses are the statuses of cases that are no longer open.
var closedStatuses = []cases.Status{cases.Resolved, cases.Closed, cases.Cancelled}

// Spend is what was committed to vendors (migration 0021): every invoice
// APPROVED or PAID, at its approval, and every ACCEPTED quote that no such
// invoice bills yet, at its acceptance — so a quote and the invoice that
// bills it are never counted twice, and an invoice approved for less than
// its quote counts as what it says. A DISPUTED invoice commits nothing (its
// quote, if any, still does). Each row is attributed to its case's property.
const spendSource = `SELECT c.property_id, q.decided_at AS spent_at, q.amount, q.currency
		FROM quotes q JOIN cases c ON c.organization_id = q.organization_id AND c.id = q.case_id
		WHERE q.status = 'ACCEPTED' AND NOT EXISTS (SELECT 1 FROM invoices i
			WHERE i.organization_id = q.organization_id AND i.quote_id = q.id AND i.status IN ('APPROVED', 'PAID'))
	UNION ALL
	SELECT c.property_id, i.approved_at, i.amount, i.currency
		FROM invoices i JOIN cases c ON c.organization_id = i.organization_id AND c.id = i.case_id
		WHERE i.status IN ('APPROVED', 'PAID')`

// Pending approvals likewise: one row per HOA approval awaiting a decision
// (migration 0020): still to be sent (PENDING) or sent (SUBMITTED).
const approvalSource = `SELECT a.property_id FROM hoa_approvals a WHERE a.status IN ('PENDING', 'SUBMITTED')`

// summaryCTEs follow a "members" CTE (id, name of the properties summed)
// and take the closed statuses as $1; spend is the spend source.
func summaryCTEs(spend string) string {
	return `,
	open_cases AS (
		SELECT c.property_id, c.status, c.priority FROM cases c JOIN members m ON m.id = c.property_id
		WHERE c.status <> ALL ($1::text[])),
	spend AS (` + spend + `),
	member_spend AS (SELECT s.property_id, s.spent_at, s.amount, s.currency FROM spend s JOIN members m ON m.id = s.property_id),
	approvals AS (` + approvalSource + `),
	member_approvals AS (SELECT a.property_id FROM approvals a JOIN members m ON m.id = a.property_id)`
}

// summaryColumns are the aggregates, each over the CTEs above; amounts leave
// the database as numeric text, so no float ever holds them.
const summaryColumns = `
	(SELECT count(*) FROM members),
	(SELECT count(*) FROM open_cases),
	(SELECT coalesce(jsonb_object_agg(status, n), '{}') FROM (SELECT status, count(*) AS n FROM open_cases GROUP BY status) s),
	(SELECT coalesce(jsonb_object_agg(priority, n), '{}') FROM (SELECT priority, count(*) AS n FROM open_cases GROUP BY priority) s),
	(SELECT count(*) FROM member_approvals),
	(SELECT coalesce(jsonb_agg(jsonb_build_object('currency', currency, 'amount', total::text) ORDER BY currency), '[]')
	   FROM (SELECT currency, sum(amount) AS total FROM member_spend GROUP BY currency) s),
	(SELECT coalesce(jsonb_agg(jsonb_build_object('propertyId', m.id, 'name', m.name, 'openCases', coalesce(oc.n, 0),
	        'pendingApprovals', coalesce(pa.n, 0), 'spend', coalesce(sp.spend, '[]')) ORDER BY m.name, m.id), '[]')
	   FROM members m
	   LEFT JOIN (SELECT property_id, count(*) AS n FROM open_cases GROUP BY property_id) oc ON oc.property_id = m.id
	   LEFT JOIN (SELECT property_id, count(*) AS n FROM member_approvals GROUP BY property_id) pa ON pa.property_id = m.id
	   LEFT JOIN (SELECT property_id, jsonb_agg(jsonb_build_object('currency', currency, 'amount', total::text) ORDER BY currency) AS spend
	              FROM (SELECT property_id, currency, sum(amount) AS total FROM member_spend GROUP BY property_id, currency) t
	              GROUP BY property_id) sp ON sp.property_id = m.id),
	(SELECT coalesce(jsonb_agg(jsonb_build_object('month', month, 'spend', spend) ORDER BY month), '[]')
	   FROM (SELECT month, jsonb_agg(jsonb_build_object('currency', currency, 'amount', total::text) ORDER BY currency) AS spend
	         FROM (SELECT to_char(spent_at AT TIME ZONE 'UTC', 'YYYY-MM') AS month, currency, sum(amount) AS total
	               FROM member_spend GROUP BY 1, 2) t
	         GROUP BY month) s)`

// portfolioSummarySQL reads the portfolio ($2) and its summary in one
// statement: no row when the portfolio does not exist (or RLS hides it).
func portfolioSummarySQL(spend string) string {
	return `WITH pf AS (SELECT ` + columns + ` FROM portfolios WHERE id = $2::uuid),
	members AS (SELECT pr.id, pr.name FROM properties pr
		JOIN portfolio_properties pp ON pp.organization_id = pr.organization_id AND pp.property_id = pr.id
		WHERE pp.portfolio_id = $2::uuid)` + summaryCTEs(spend) + `
	SELECT pf.*,` + summaryColumns + ` FROM pf`
}

// organizationSummarySQL sums every property of the active organization
// (RLS shows no other).
func organizationSummarySQL(spend string) string {
	return `WITH members AS (SELECT id, name FROM properties)` + summaryCTEs(spend) + `
	SELECT` + summaryColumns
}

// tally is what scanning the aggregates yields before it is ordered.
type tally struct {
	byStatus   map[string]int
	byPriority map[string]int
	s          Summary
}

func (t *tally) dest() []any {
	return []any{&t.s.PropertyCount, &t.s.OpenCases, &t.byStatus, &t.byPriority, &t.s.PendingApprovals,
		&t.s.Spend, &t.s.Properties, &t.s.SpendByMonth}
}

// summary orders the counts by the lifecycle and priority scales, with a
// zero for every open status and priority that has no case, so a table of
// them always has the same rows.
func (t *tally) summary() Summary {
	s := t.s
	s.OpenCasesByStatus = []StatusCount{}
	for _, st := range cases.Statuses.Values() {
		if !slices.Contains(closedStatuses, st) {
			s.OpenCasesByStatus = append(s.OpenCasesByStatus, StatusCount{Status: st, Count: t.byStatus[string(st)]})
		}
	}
	s.OpenCasesByPriority = []PriorityCount{}
	for _, pr := range cases.Priorities.Values() {
		s.OpenCasesByPriority = append(s.OpenCasesByPriority, PriorityCount{Priority: pr, Count: t.byPriority[string(pr)]})
	}
	for i := range s.Properties {
		if s.Properties[i].Spend == nil {
			s.Properties[i].Spend = []Money{}
		}
	}
	return s
}

func closedArg() []string {
	out := make([]string, len(closedStatuses))
	for i, s := range closedStatuses {
		out[i] = string(s)
	}
	return out
}

// Summary returns a portfolio's summary. It is exactly one statement (one
// QueryRow): the portfolio and every aggregate come back together, and the
// PDP decides on the portfolio as read; one the principal may not view is
// NOT_FOUND, its numbers never leave this function.
func (s *Service) Summary(ctx context.Context, p authz.Principal, ref string) (Summary, error) {
	return s.summary(ctx, p, ref, spendSource)
}

func (s *Service) summary(ctx context.Context, p authz.Principal, ref, spend string) (Summary, error) {
	id, err := uuid.Parse(ref)
	if err != nil {
		return Summary{}, table.NotFound(ref)
	}
	var pf Portfolio
	var t tally
	err = s.db.InTenantRead(ctx, p.OrgID, func(q db.Querier) error {
		dest := append([]any{&pf.ID, &pf.OrganizationID, &pf.Name, &pf.Description, &pf.PropertyIDs, &pf.CreatedBy, &pf.CreatedAt, &pf.UpdatedAt}, t.dest()...)
		return q.QueryRow(ctx, portfolioSummarySQL(spend), closedArg(), id.String()).Scan(dest...)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return Summary{}, table.NotFound(ref)
	}
	if err != nil {
		return Summary{}, err
	}
	if err := s.pdp.Authorize(ctx, p, resourceOf(pf), "view"); err != nil {
		return Summary{}, table.HideForbidden(err, ref)
	}
	t.s.OrganizationID, t.s.PortfolioID, t.s.PortfolioName = pf.OrganizationID, pf.ID, pf.Name
	return t.summary(), nil
}

// orgKind is the PDP resource of the organization summary.
const orgKind = "organization"

// OrganizationSummary returns the summary of the active organization: the
// PDP decides first (nothing is read for a principal it refuses), then one
// statement (one QueryRow) reads every aggregate.
func (s *Service) OrganizationSummary(ctx context.Context, p authz.Principal) (Summary, error) {
	return s.organizationSummary(ctx, p, spendSource)
}

func (s *Service) organizationSummary(ctx context.Context, p authz.Principal, spend string) (Summary, error) {
	res := authz.Resource{Kind: orgKind, ID: p.OrgID, Attr: map[string]any{"org_id": p.OrgID}}
	if err := s.pdp.Authorize(ctx, p, res, "view_summary"); err != nil {
		return Summary{}, err
	}
	var t tally
	err := s.db.InTenantRead(ctx, p.OrgID, func(q db.Querier) error {
		return q.QueryRow(ctx, organizationSummarySQL(spend), closedArg()).Scan(t.dest()...)
	})
	if err != nil {
		return Summary{}, err
	}
	t.s.OrganizationID = p.OrgID
	return t.summary(), nil
}
