package vendor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hestami/concierge/internal/activity"
	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/db"
	"github.com/hestami/concierge/internal/listing"
	"github.com/hestami/concierge/internal/money"
	"github.com/hestami/concierge/internal/records"
)

// Quote is a vendor's offer for (part of) a case.
type Quote struct {
	ID             string      `json:"id"`
	OrganizationID string      `json:"organizationId"`
	CaseID         string      `json:"caseId"`
	CaseNumber     string      `json:"caseNumber"`
	VendorID       string      `json:"vendorId"`
	VendorName     string      `json:"vendorName"`
	ScopeKey       string      `json:"scopeKey"`
	Amount         string      `json:"amount"`
	Currency       string      `json:"currency"`
	LineItems      []LineItem  `json:"lineItems"`
	Scope          string      `json:"scope,omitempty"`
	ValidUntil     *time.Time  `json:"validUntil,omitempty"`
	Status         QuoteStatus `json:"status"`
	DocumentID     *string     `json:"documentId,omitempty"`
	DecidedAt      *time.Time  `json:"decidedAt,omitempty"`
	DecidedBy      *string     `json:"decidedBy,omitempty"`
	// DecisionReason is the rationale of an accept, or why the quote was
	// rejected or withdrawn.
	DecisionReason string    `json:"decisionReason,omitempty"`
	CreatedBy      string    `json:"createdBy"`
	CreatedAt      time.Time `json:"createdAt"`
	UpdatedAt      time.Time `json:"updatedAt"`
	// PropertyID is the case's property: what a delegation grant is for.
	PropertyID string `json:"-"`
}

// Money is the quote's amount with its currency.
func (q Quote) Money() money.Money { return money.Money{Amount: q.Amount, Currency: q.Currency} }

// LineItem is one priced line of a quote; LineTotal is quantity × unit
// price, exact.
type LineItem struct {
	Description string `json:"description"`
	Quantity    string `json:"quantity"`
	UnitPrice   string `json:"unitPrice"`
	LineTotal   string `json:"lineTotal"`
}

// LineItemInput is one line of a new quote.
type LineItemInput struct {
	Description string `json:"description" jsonschema:"minLength=1,maxLength=500,pattern=^[^\\x00-\\x1F\\x7F-\\x9F]*$"`
	Quantity    string `json:"quantity,omitempty" jsonschema:"pattern=^[0-9]{1\\,9}(\\.[0-9]{1\\,3})?$,description=exact decimal (\"2.5\"); default 1"`
	UnitPrice   string `json:"unitPrice" jsonschema:"pattern=^[0-9]{1\\,12}(\\.[0-9]{1\\,2})?$,description=exact decimal in the quote's currency (\"120.00\")"`
}

// AddQuoteInput records a vendor's quote on a case.
type AddQuoteInput struct {
	CaseID   string `json:"caseId" jsonschema:"minLength=1,maxLength=100,pattern=^[^\\x00-\\x1F\\x7F-\\x9F]*$,description=the case id or number (CASE-2026-7)"`
	VendorID string `json:"vendorId" jsonschema:"format=uuid"`
	ScopeKey string `json:"scopeKey,omitempty" jsonschema:"maxLength=100,pattern=^[^\\x00-\\x1F\\x7F-\\x9F]*$,description=the part of the case the quote is for (\"fence\"); default: the whole case. One quote per case scope can be accepted"`
	Amount   string `json:"amount" jsonschema:"pattern=^[0-9]{1\\,12}(\\.[0-9]{1\\,2})?$,description=exact decimal amount (\"1500.00\")"`
	Currency string `json:"currency" jsonschema:"pattern=^[A-Z]{3}$,description=ISO 4217 code"`
	// LineItems, when given, must sum exactly to Amount.
	LineItems  []LineItemInput `json:"lineItems,omitempty" jsonschema:"maxItems=200"`
	Scope      string          `json:"scope,omitempty" jsonschema:"maxLength=10000,description=what the quote covers, in the vendor's words"`
	ValidUntil *time.Time      `json:"validUntil,omitempty" jsonschema:"description=the instant the offer lapses (RFC 3339); the quote reads EXPIRED from then on"`
	DocumentID string          `json:"documentId,omitempty" jsonschema:"format=uuid,description=the quote document, if uploaded"`
}

// QuoteListInput lists quotes, oldest first.
type QuoteListInput struct {
	CaseID   string        `json:"caseId,omitempty" jsonschema:"maxLength=100,pattern=^[^\\x00-\\x1F\\x7F-\\x9F]*$,description=only this case's quotes (id or number)"`
	VendorID string        `json:"vendorId,omitempty" jsonschema:"format=uuid"`
	Status   []QuoteStatus `json:"status,omitempty" jsonschema:"description=statuses as read now (EXPIRED included)"`
	Limit    int           `json:"limit,omitempty" jsonschema:"minimum=1,maximum=100"`
	Cursor   string        `json:"cursor,omitempty" jsonschema:"maxLength=500"`
}

// QuoteRef names one quote.
type QuoteRef struct {
	ID string `json:"id" jsonschema:"format=uuid"`
}

// AcceptInput accepts a quote under review, with the rationale the
// decision ledger records.
type AcceptInput struct {
	ID        string `json:"id" jsonschema:"format=uuid"`
	Rationale string `json:"rationale" jsonschema:"minLength=1,maxLength=10000,description=why this vendor (recorded as the VENDOR_SELECTION decision)"`
	// RejectOthers rejects the other open quotes of the same case scope in
	// the same transaction; otherwise they stay open.
	RejectOthers bool `json:"rejectOthers,omitempty"`
}

// ReasonInput moves a quote with an optional reason.
type ReasonInput struct {
	ID     string `json:"id" jsonschema:"format=uuid"`
	Reason string `json:"reason,omitempty" jsonschema:"maxLength=10000"`
}

const quoteKind = "quote"

// quoteStatusSQL is the status as read: an open quote past its
// valid-until is EXPIRED.
const quoteStatusSQL = `CASE WHEN status IN ('RECEIVED', 'UNDER_REVIEW') AND valid_until <= now() THEN 'EXPIRED' ELSE status END`

const quoteProperty = `(SELECT c.property_id FROM cases c WHERE c.id = quotes.case_id)`

const quoteColumns = `id, organization_id, case_id, (SELECT c.number FROM cases c WHERE c.id = quotes.case_id),
	vendor_id, (SELECT v.name FROM vendors v WHERE v.id = quotes.vendor_id), scope_key, amount::text, currency,
	coalesce((SELECT jsonb_agg(jsonb_build_object('description', li.description, 'quantity', li.quantity::text,
	          'unitPrice', li.unit_price::text, 'lineTotal', li.line_total::text) ORDER BY li.position)
	   FROM quote_line_items li WHERE li.organization_id = quotes.organization_id AND li.quote_id = quotes.id), '[]'),
	scope, valid_until, ` + quoteStatusSQL + `, document_id, decided_at, decided_by, decision_reason,
	created_by, created_at, updated_at, ` + quoteProperty

func scanQuote(r db.Row) (Quote, error) {
	var q Quote
	var lines []byte
	err := r.Scan(&q.ID, &q.OrganizationID, &q.CaseID, &q.CaseNumber, &q.VendorID, &q.VendorName, &q.ScopeKey, &q.Amount, &q.Currency,
		&lines, &q.Scope, &q.ValidUntil, &q.Status, &q.DocumentID, &q.DecidedAt, &q.DecidedBy, &q.DecisionReason,
		&q.CreatedBy, &q.CreatedAt, &q.UpdatedAt, &q.PropertyID)
	if err == nil {
		err = json.Unmarshal(lines, &q.LineItems)
	}
	return q, err
}

func quoteResource(q Quote) authz.Resource {
	m := q.Money()
	return authz.Resource{Kind: quoteKind, ID: q.ID, Attr: authz.AmountAttr(map[string]any{
		"org_id": q.OrganizationID, "case_id": q.CaseID, "property_id": q.PropertyID, "status": string(q.Status),
		"vendor_id": q.VendorID}, &m)}
}

var quoteTable = &records.Table[Quote]{
	Kind: quoteKind, Name: "quotes", Columns: quoteColumns, Scan: scanQuote, Resource: quoteResource,
	Plan: authz.Columns{
		"request.resource.id":               "id",
		"request.resource.attr.org_id":      "organization_id",
		"request.resource.attr.case_id":     "case_id",
		"request.resource.attr.property_id": quoteProperty,
		"request.resource.attr.status":      "(" + quoteStatusSQL + ")",
		"request.resource.attr.vendor_id":   "vendor_id",
	},
	Order: records.Order[Quote]{Column: "created_at", Ascending: true,
		Key: func(q Quote) string { return q.CreatedAt.UTC().Format(time.RFC3339Nano) }},
}

// GetQuote returns one quote the principal may view, its status as of now.
func (s *Service) GetQuote(ctx context.Context, p authz.Principal, id string) (Quote, error) {
	return records.Get(ctx, s.db, s.pdp, p, quoteTable, id, nil)
}

// ListQuotes returns the quotes the principal may view, oldest first.
func (s *Service) ListQuotes(ctx context.Context, p authz.Principal, in QuoteListInput) (listing.Page[Quote], error) {
	return records.List(ctx, s.db, s.pdp, p, quoteTable, records.Page{Limit: in.Limit, Cursor: in.Cursor}, func(f *records.Filters) {
		caseFilter(f, in.CaseID)
		if in.VendorID != "" {
			f.Where(`vendor_id = ?::uuid`, in.VendorID)
		}
		if len(in.Status) > 0 {
			f.Where(`(`+quoteStatusSQL+`) = ANY(?)`, in.Status)
		}
	})
}

// caseFilter narrows a list to one case, by id or number.
func caseFilter(f *records.Filters, ref string) {
	if ref == "" {
		return
	}
	where, arg := caseWhere(ref)
	f.Where(`case_id = (SELECT id FROM cases WHERE `+strings.Replace(where, "$1", "?", 1)+`)`, arg)
}

// lineTotals checks the line items against the amount: each line's
// quantity × unit price, exactly, and their sum equal to amount.
func lineTotals(f *apperr.Fields, amount string, lines []LineItemInput) []LineItemInput {
	out := make([]LineItemInput, len(lines))
	sum := new(big.Int)
	for i, l := range lines {
		field := "lineItems[" + strconv.Itoa(i) + "]"
		l.Description = strings.TrimSpace(l.Description)
		if l.Description == "" {
			f.Add(field+".description", "required", "a line item needs a description")
		}
		if l.Quantity == "" {
			l.Quantity = "1"
		}
		qty, ok1 := scaled(l.Quantity, 3)
		price, ok2 := scaled(l.UnitPrice, 2)
		switch {
		case !ok1:
			f.Add(field+".quantity", "invalid", "quantity must be an exact decimal with at most 3 decimals")
		case !ok2:
			f.Add(field+".unitPrice", "invalid", "unitPrice must be an exact decimal with at most 2 decimals")
		case qty.Sign() == 0:
			f.Add(field+".quantity", "out_of_range", "quantity must be greater than 0")
		default:
			sum.Add(sum, new(big.Int).Mul(qty, price))
		}
		out[i] = l
	}
	if len(lines) == 0 || f.Err() != nil {
		return out
	}
	want, ok := scaled(amount, lineScale)
	if ok && sum.Cmp(want) != 0 {
		f.Add("lineItems", "sum_mismatch", fmt.Sprintf("the line items sum to %s, not to the amount %s", formatScaled(sum, lineScale), amount))
	}
	return out
}

// AddQuoteTx records a quote (RECEIVED) on a case that has not ended.
func (s *Service) AddQuoteTx(ctx context.Context, q db.Querier, p authz.Principal, in AddQuoteInput) (Quote, error) {
	c, found, err := readCase(ctx, q, in.CaseID, true)
	if err != nil {
		return Quote{}, err
	}
	m := money.Money{Amount: in.Amount, Currency: in.Currency}
	if err := s.authorizeNew(ctx, p, quoteKind, "caseId", c, found, func(a map[string]any) { authz.AmountAttr(a, &m) }); err != nil {
		return Quote{}, err
	}
	if err := c.refuseTerminal(); err != nil {
		return Quote{}, err
	}
	var f apperr.Fields
	lines := lineTotals(&f, in.Amount, in.LineItems)
	if in.ValidUntil != nil && !in.ValidUntil.After(time.Now()) {
		f.Add("validUntil", "in_the_past", "validUntil must be in the future: the quote would be expired already")
	}
	if err := f.Err(); err != nil {
		return Quote{}, err
	}
	if _, err := vendorName(ctx, q, in.VendorID); err != nil {
		return Quote{}, err
	}
	doc, err := documentRef(ctx, q, in.DocumentID)
	if err != nil {
		return Quote{}, err
	}
	var id string
	if err := q.QueryRow(ctx, `INSERT INTO quotes (organization_id, case_id, vendor_id, scope_key, amount, currency, scope, valid_until,
			document_id, created_by)
		VALUES ($1, $2, $3, $4, $5::numeric, $6, $7, $8, $9, $10) RETURNING id`,
		p.OrgID, c.ID, in.VendorID, strings.TrimSpace(in.ScopeKey), in.Amount, in.Currency, strings.TrimSpace(in.Scope), in.ValidUntil,
		doc, p.UserID).Scan(&id); err != nil {
		return Quote{}, err
	}
	for i, l := range lines {
		if err := db.Queue(ctx, q, `INSERT INTO quote_line_items (organization_id, quote_id, position, description, quantity, unit_price)
			VALUES ($1, $2, $3, $4, $5::numeric, $6::numeric)`, p.OrgID, id, i+1, l.Description, l.Quantity, l.UnitPrice); err != nil {
			return Quote{}, err
		}
	}
	out, err := quoteTable.Load(ctx, q, id, false)
	if err != nil {
		return out, err
	}
	return out, activity.Record(ctx, q, p, activity.Event{EntityType: quoteKind, EntityID: out.ID, Verb: "received", After: out})
}

// ReviewQuoteTx puts a RECEIVED quote UNDER_REVIEW.
func (s *Service) ReviewQuoteTx(ctx context.Context, q db.Querier, p authz.Principal, in QuoteRef) (Quote, error) {
	before, err := s.lockQuote(ctx, q, p, in.ID, "review", QuoteUnderReview)
	if err != nil {
		return before, err
	}
	return s.writeQuote(ctx, q, p, before, QuoteUnderReview, "", "reviewed")
}

// RejectQuoteTx turns an open quote down.
func (s *Service) RejectQuoteTx(ctx context.Context, q db.Querier, p authz.Principal, in ReasonInput) (Quote, error) {
	before, err := s.lockQuote(ctx, q, p, in.ID, "reject", QuoteRejected)
	if err != nil {
		return before, err
	}
	return s.writeQuote(ctx, q, p, before, QuoteRejected, strings.TrimSpace(in.Reason), "rejected")
}

// WithdrawQuoteTx records that the vendor withdrew an open quote.
func (s *Service) WithdrawQuoteTx(ctx context.Context, q db.Querier, p authz.Principal, in ReasonInput) (Quote, error) {
	before, err := s.lockQuote(ctx, q, p, in.ID, "withdraw", QuoteWithdrawn)
	if err != nil {
		return before, err
	}
	return s.writeQuote(ctx, q, p, before, QuoteWithdrawn, strings.TrimSpace(in.Reason), "withdrawn")
}

// lockQuote loads the quote id FOR UPDATE, authorizes action on it as
// locked and checks that the machine allows its move to `to`.
func (s *Service) lockQuote(ctx context.Context, q db.Querier, p authz.Principal, id, action string, to QuoteStatus) (Quote, error) {
	before, err := quoteTable.Load(ctx, q, id, true)
	if err != nil {
		return before, err
	}
	if err := s.pdp.Authorize(ctx, p, quoteResource(before), "view"); err != nil {
		return Quote{}, quoteTable.HideForbidden(err, id)
	}
	if err := s.pdp.Authorize(ctx, p, quoteResource(before), action); err != nil {
		return Quote{}, err
	}
	return before, quoteTransition(before, to)
}

func quoteTransition(before Quote, to QuoteStatus) error {
	if QuoteTransitions.Allows(before.Status, to) {
		return nil
	}
	msg := QuoteTransitions.Refusal("a quote", before.Status, to)
	if before.Status == QuoteExpired {
		msg += ": it was valid until " + before.ValidUntil.UTC().Format(time.RFC3339)
	}
	return apperr.New(apperr.InvalidTransition, "%s", msg)
}

// writeQuote stores the move of before to status `to` and its event.
func (s *Service) writeQuote(ctx context.Context, q db.Querier, p authz.Principal, before Quote, to QuoteStatus, reason, verb string) (Quote, error) {
	decided := to != QuoteUnderReview
	if _, err := q.Exec(ctx, `UPDATE quotes SET status = $2, updated_at = now(),
			decided_at = CASE WHEN $3 THEN now() END, decided_by = CASE WHEN $3 THEN $4::uuid END, decision_reason = $5
		WHERE id = $1`, before.ID, to, decided, p.UserID, reason); err != nil {
		return Quote{}, err
	}
	out, err := quoteTable.Load(ctx, q, before.ID, false)
	if err != nil {
		return out, err
	}
	return out, activity.Record(ctx, q, p, activity.Event{EntityType: quoteKind, EntityID: out.ID, Verb: verb, Before: before, After: out})
}

// AcceptQuoteTx accepts a quote under review: at most one per case scope,
// never an expired one, never on a case that ended; in the same
// transaction it records the VENDOR_SELECTION decision (RecordSelection)
// and, when asked, rejects the scope's other open quotes.
//
// Every accept of a case takes the case row lock before any quote row, so
// accepts of one case run one after another (and never deadlock over each
// other's quotes): the second sees the first's ACCEPTED quote and is a
// CONFLICT naming it. The partial unique index quotes_one_accepted is the
// database's own guarantee under it.
func (s *Service) AcceptQuoteTx(ctx context.Context, q db.Querier, p authz.Principal, in AcceptInput) (Quote, error) {
	if s.RecordSelection == nil {
		return Quote{}, apperr.New(apperr.Internal, "quotes cannot be accepted: the decision ledger is not connected")
	}
	rationale := strings.TrimSpace(in.Rationale)
	if rationale == "" {
		return Quote{}, apperr.Field("rationale", "required", "accepting a quote needs the rationale of the choice")
	}
	peek, err := quoteTable.Load(ctx, q, in.ID, false)
	if err != nil {
		return peek, err
	}
	if err := s.pdp.Authorize(ctx, p, quoteResource(peek), "view"); err != nil {
		return Quote{}, quoteTable.HideForbidden(err, in.ID)
	}
	c, _, err := readCase(ctx, q, peek.CaseID, true)
	if err != nil {
		return Quote{}, err
	}
	before, err := s.lockQuote(ctx, q, p, in.ID, "accept", QuoteAccepted)
	if err != nil {
		return before, err
	}
	if err := c.refuseTerminal(); err != nil {
		return Quote{}, err
	}
	var other, otherVendor string
	err = q.QueryRow(ctx, `SELECT q.id, v.name FROM quotes q JOIN vendors v ON v.id = q.vendor_id
		WHERE q.case_id = $1 AND q.scope_key = $2 AND q.status = 'ACCEPTED'`, before.CaseID, before.ScopeKey).Scan(&other, &otherVendor)
	if err == nil {
		return Quote{}, apperr.New(apperr.Conflict, "case %s already has an accepted quote for %s: quote %s from %s",
			c.Number, scopeName(before.ScopeKey), other, otherVendor)
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return Quote{}, err
	}
	out, err := s.writeQuote(ctx, q, p, before, QuoteAccepted, rationale, "accepted")
	if err != nil {
		return out, err
	}
	if in.RejectOthers {
		if err := s.rejectOthers(ctx, q, p, out); err != nil {
			return Quote{}, err
		}
	}
	if err := s.RecordSelection(ctx, q, p, out, rationale); err != nil {
		return Quote{}, err
	}
	return out, nil
}

func scopeName(key string) string {
	if key == "" {
		return "the whole case"
	}
	return "scope " + strconv.Quote(key)
}

// rejectOthers rejects the open quotes of accepted's case scope, each
// authorized on its locked row.
func (s *Service) rejectOthers(ctx context.Context, q db.Querier, p authz.Principal, accepted Quote) error {
	rows, err := q.Query(ctx, `SELECT id FROM quotes WHERE case_id = $1 AND scope_key = $2 AND id <> $3
		AND (`+quoteStatusSQL+`) = ANY($4) ORDER BY created_at, id`, accepted.CaseID, accepted.ScopeKey, accepted.ID, openQuote)
	if err != nil {
		return err
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	reason := "quote " + accepted.ID + " from " + accepted.VendorName + " was accepted"
	for _, id := range ids {
		before, err := s.lockQuote(ctx, q, p, id, "reject", QuoteRejected)
		if err != nil {
			return err
		}
		if _, err := s.writeQuote(ctx, q, p, before, QuoteRejected, reason, "rejected"); err != nil {
			return err
		}
	}
	return nil
}

// CompareInput asks for a case's quotes side by side.
type CompareInput struct {
	CaseID string `json:"caseId" jsonschema:"minLength=1,maxLength=100,pattern=^[^\\x00-\\x1F\\x7F-\\x9F]*$,description=the case id or number (CASE-2026-7)"`
	// ScopeKey, when set, compares only the quotes of that case scope ("" is
	// the whole case).
	ScopeKey *string `json:"scopeKey,omitempty" jsonschema:"maxLength=100,pattern=^[^\\x00-\\x1F\\x7F-\\x9F]*$"`
	// Open compares only quotes still open (RECEIVED, UNDER_REVIEW).
	Open bool `json:"open,omitempty"`
}

// Comparison is a case's quotes side by side: amount, validity, vendor and
// scope of each (ordered by scope, currency, then amount, cheapest first),
// and every line description with what each quote charges for it, so the
// differences in scope show.
type Comparison struct {
	CaseID     string           `json:"caseId"`
	CaseNumber string           `json:"caseNumber"`
	Quotes     []Quote          `json:"quotes"`
	Lines      []ComparisonLine `json:"lines"`
	// Cheapest is, per scope key and currency, the id of the open quote with
	// the lowest amount.
	Cheapest []Cheapest `json:"cheapest"`
}

// ComparisonLine is one line description across the compared quotes:
// Totals[i] is what Quotes[i] charges for it, "" when it does not include
// it (the scope differs there). InAll is true when every quote does.
type ComparisonLine struct {
	Description string   `json:"description"`
	Totals      []string `json:"totals"`
	InAll       bool     `json:"inAll"`
}

// Cheapest names the cheapest open quote of a scope and currency.
type Cheapest struct {
	ScopeKey string `json:"scopeKey"`
	Currency string `json:"currency"`
	QuoteID  string `json:"quoteId"`
	Amount   string `json:"amount"`
}

// Compare returns the case's quotes the principal may view, side by side.
func (s *Service) Compare(ctx context.Context, p authz.Principal, in CompareInput) (Comparison, error) {
	plan, err := s.pdp.QueryFilter(ctx, p, quoteKind, "view")
	if err != nil {
		return Comparison{}, err
	}
	args := &authz.Args{}
	allowed, err := plan.SQL(quoteTable.Plan, args)
	if err != nil {
		return Comparison{}, apperr.Wrap(apperr.Internal, err, "authorization filter could not be applied")
	}
	var c caseRow
	var found bool
	var quotes []Quote
	err = s.db.InTenant(ctx, p.OrgID, func(q db.Querier) error {
		c, found, err = readCase(ctx, q, in.CaseID, false)
		if err != nil || !found {
			return err
		}
		sql := `SELECT ` + quoteColumns + ` FROM quotes WHERE case_id = ` + args.Add(c.ID) + `::uuid AND ` + allowed
		if in.ScopeKey != nil {
			sql += ` AND scope_key = ` + args.Add(strings.TrimSpace(*in.ScopeKey))
		}
		if in.Open {
			sql += ` AND (` + quoteStatusSQL + `) = ANY(` + args.Add(openQuote) + `)`
		}
		rows, err := q.Query(ctx, sql+` ORDER BY scope_key, currency, quotes.amount, created_at, id`, args.List()...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			v, err := scanQuote(rows)
			if err != nil {
				return err
			}
			quotes = append(quotes, v)
		}
		return rows.Err()
	})
	if err != nil {
		return Comparison{}, err
	}
	notFound := apperr.New(apperr.NotFound, "case %s not found", in.CaseID)
	if !found {
		return Comparison{}, notFound
	}
	// Whoever may not see the quotes of this case learns nothing of it.
	res := quoteResource(Quote{ID: "case:" + c.ID, OrganizationID: p.OrgID, CaseID: c.ID, PropertyID: c.PropertyID})
	authz.AmountAttr(res.Attr, nil)
	if err := s.pdp.Authorize(ctx, p, res, "view"); err != nil {
		if apperr.CodeOf(err) == apperr.Forbidden {
			return Comparison{}, notFound
		}
		return Comparison{}, err
	}
	return compare(c, quotes), nil
}

// compare lays quotes out side by side.
func compare(c caseRow, quotes []Quote) Comparison {
	out := Comparison{CaseID: c.ID, CaseNumber: c.Number, Quotes: quotes, Lines: []ComparisonLine{}, Cheapest: []Cheapest{}}
	if out.Quotes == nil {
		out.Quotes = []Quote{}
	}
	index := map[string]int{}
	for i, q := range quotes {
		for _, l := range q.LineItems {
			key := strings.ToLower(strings.Join(strings.Fields(l.Description), " "))
			n, ok := index[key]
			if !ok {
				n = len(out.Lines)
				index[key] = n
				out.Lines = append(out.Lines, ComparisonLine{Description: l.Description, Totals: make([]string, len(quotes))})
			}
			if t := out.Lines[n].Totals[i]; t != "" {
				// The same description twice in one quote: show the sum.
				a, _ := scaled(t, lineScale)
				b, _ := scaled(l.LineTotal, lineScale)
				if a != nil && b != nil {
					out.Lines[n].Totals[i] = formatScaled(a.Add(a, b), lineScale)
				}
				continue
			}
			out.Lines[n].Totals[i] = l.LineTotal
		}
	}
	for i := range out.Lines {
		out.Lines[i].InAll = !slices.Contains(out.Lines[i].Totals, "")
	}
	// quotes come ordered by scope, currency and amount: the first open one
	// of each (scope, currency) is its cheapest.
	seen := map[[2]string]bool{}
	for _, q := range quotes {
		k := [2]string{q.ScopeKey, q.Currency}
		if seen[k] || !slices.Contains(openQuote, q.Status) {
			continue
		}
		seen[k] = true
		out.Cheapest = append(out.Cheapest, Cheapest{ScopeKey: q.ScopeKey, Currency: q.Currency, QuoteID: q.ID, Amount: q.Amount})
	}
	return out
}
