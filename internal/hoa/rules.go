package hoa

import (
	"context"
	"strings"
	"time"

	"github.com/invopop/jsonschema"

	"github.com/hestami/concierge/internal/activity"
	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/db"
	"github.com/hestami/concierge/internal/enum"
	"github.com/hestami/concierge/internal/records"
)

// RuleCategory is what an HOA rule is about.
type RuleCategory string

// RuleCategories lists every rule category.
var RuleCategories = enum.New[RuleCategory]("ARCHITECTURAL", "LANDSCAPING", "RENTAL", "PARKING", "PETS", "NOISE",
	"MAINTENANCE", "FEES", "OTHER").Stored("hoa_rules", "category")

// JSONSchema makes every RuleCategory field an enum.
func (RuleCategory) JSONSchema() *jsonschema.Schema { return RuleCategories.Schema() }

// Completeness is what every rule answer says of the rules it holds: they
// are what someone recorded from the documents at hand, never the HOA's
// whole rule book, and never checked against it.
const Completeness = "as recorded; not verified complete"

// Rule is one HOA rule as read from a document.
type Rule struct {
	ID             string       `json:"id"`
	OrganizationID string       `json:"organizationId"`
	ContextID      string       `json:"contextId"`
	PropertyID     string       `json:"propertyId"`
	Category       RuleCategory `json:"category"`
	Text           string       `json:"text"`
	// DocumentID and Page cite where the rule was read.
	DocumentID   string    `json:"documentId"`
	Page         int       `json:"page"`
	Completeness string    `json:"completeness"`
	CreatedBy    string    `json:"createdBy"`
	CreatedAt    time.Time `json:"createdAt"`
}

// RulePage is one page of rules, saying what the list is not.
type RulePage struct {
	Items        []Rule `json:"items"`
	NextCursor   string `json:"nextCursor,omitempty"`
	Completeness string `json:"completeness"`
}

// AddRuleInput records a rule read from a document.
type AddRuleInput struct {
	ContextID  string       `json:"contextId" jsonschema:"format=uuid"`
	Category   RuleCategory `json:"category"`
	Text       string       `json:"text" jsonschema:"minLength=1,maxLength=10000,description=the rule as the document states it"`
	DocumentID string       `json:"documentId" jsonschema:"format=uuid,description=the document the rule was read from"`
	Page       int          `json:"page" jsonschema:"minimum=1,maximum=100000,description=the page of the document"`
}

// ListRulesInput lists the rules of one context, oldest first.
type ListRulesInput struct {
	ContextID string         `json:"contextId" jsonschema:"format=uuid"`
	Category  []RuleCategory `json:"category,omitempty"`
	Limit     int            `json:"limit,omitempty" jsonschema:"minimum=1,maximum=100"`
	Cursor    string         `json:"cursor,omitempty" jsonschema:"maxLength=500"`
}

const ruleKind = "hoa_rule"

func ruleResource(r Rule) authz.Resource {
	return authz.Resource{Kind: ruleKind, ID: r.ID, Attr: map[string]any{
		"org_id": r.OrganizationID, "context_id": r.ContextID, "property_id": r.PropertyID, "category": string(r.Category)}}
}

const ruleColumns = `id, organization_id, context_id, property_id, category, text, document_id, page, created_by, created_at`

func scanRule(r db.Row) (Rule, error) {
	x := Rule{Completeness: Completeness}
	err := r.Scan(&x.ID, &x.OrganizationID, &x.ContextID, &x.PropertyID, &x.Category, &x.Text, &x.DocumentID, &x.Page,
		&x.CreatedBy, &x.CreatedAt)
	return x, err
}

// rules are listed oldest first: the order they were read in.
var rules = &records.Table[Rule]{
	Kind: ruleKind, Name: "hoa_rules", Columns: ruleColumns, Scan: scanRule, Resource: ruleResource,
	Plan: authz.Columns{
		"request.resource.id":               "id",
		"request.resource.attr.org_id":      "organization_id",
		"request.resource.attr.context_id":  "context_id",
		"request.resource.attr.property_id": "property_id",
		"request.resource.attr.category":    "category",
	},
	Order: records.Order[Rule]{Column: "created_at", Ascending: true,
		Key: func(r Rule) string { return r.CreatedAt.UTC().Format(time.RFC3339Nano) }},
}

// GetRule returns one rule the principal may view.
func (s *Service) GetRule(ctx context.Context, p authz.Principal, id string) (Rule, error) {
	return records.Get(ctx, s.db, s.pdp, p, rules, id, nil)
}

// ListRules returns the rules of a context the principal may view, oldest
// first, and says that they are not known to be all of them.
func (s *Service) ListRules(ctx context.Context, p authz.Principal, in ListRulesInput) (RulePage, error) {
	page, err := records.List(ctx, s.db, s.pdp, p, rules, records.Page{Limit: in.Limit, Cursor: in.Cursor}, func(f *records.Filters) {
		f.Where(`context_id = ?::uuid`, in.ContextID)
		if len(in.Category) > 0 {
			f.Where(`category = ANY(?)`, in.Category)
		}
	})
	return RulePage{Items: page.Items, NextCursor: page.NextCursor, Completeness: Completeness}, err
}

// AddRuleTx records a rule on a context the principal may view.
func (s *Service) AddRuleTx(ctx context.Context, q db.Querier, p authz.Principal, in AddRuleInput) (Rule, error) {
	r := Rule{OrganizationID: p.OrgID, ContextID: in.ContextID, Category: in.Category, Text: strings.TrimSpace(in.Text),
		DocumentID: in.DocumentID, Page: in.Page, CreatedBy: p.UserID}
	// No lock on the context: its property never changes, and the rule's
	// composite reference keeps the pair consistent.
	c, err := s.viewableContext(ctx, q, p, "contextId", in.ContextID, false)
	if err != nil {
		return Rule{}, err
	}
	r.PropertyID = c.PropertyID
	res := ruleResource(r)
	res.ID = "new"
	if err := s.pdp.Authorize(ctx, p, res, "create"); err != nil {
		return Rule{}, err
	}
	if r.Text == "" {
		return Rule{}, apperr.Field("text", "required", "text must not be blank")
	}
	if err := checkDocument(ctx, q, "documentId", in.DocumentID); err != nil {
		return Rule{}, err
	}
	out, err := scanRule(q.QueryRow(ctx, `INSERT INTO hoa_rules (organization_id, context_id, property_id, category, text, document_id, page, created_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING `+ruleColumns,
		p.OrgID, c.ID, c.PropertyID, r.Category, r.Text, r.DocumentID, r.Page, p.UserID))
	if err != nil {
		return out, err
	}
	return out, activity.Record(ctx, q, p, activity.Event{EntityType: ruleKind, EntityID: out.ID, Verb: "created", After: out})
}
