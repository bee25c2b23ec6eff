package hoa

import (
	"context"

	"github.com/hestami/concierge/internal/api"
	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/listing"
)

// Register declares the HOA procedures (api.Module): three resources, one
// namespace.
func (s *Service) Register(r *api.Registry) {
	ctxSpec := api.Specs{Namespace: "hoa", Resource: contextKind}.Spec
	api.Register(r, ctxSpec("createContext", api.Mutation, "Record a property's HOA: its name, contacts and portal", nil, "create"),
		func(ctx context.Context, c api.Call, in CreateContextInput) (Context, error) {
			return s.CreateContextTx(ctx, c.Tx, c.Principal, in)
		})
	api.Register(r, ctxSpec("updateContext", api.Mutation, "Change an HOA context; contacts, when given, replace the list", nil, "view", "update"),
		func(ctx context.Context, c api.Call, in UpdateContextInput) (Context, error) {
			return s.UpdateContextTx(ctx, c.Tx, c.Principal, in)
		})
	api.Register(r, ctxSpec("getContext", api.Query, "Get one HOA context", nil, "view"),
		func(ctx context.Context, c api.Call, in api.GetInput) (Context, error) {
			return s.GetContext(ctx, c.Principal, in.ID)
		})
	api.Register(r, ctxSpec("listContexts", api.Query, "List the HOA contexts you may see, newest first", nil, "view"),
		func(ctx context.Context, c api.Call, in ListContextsInput) (listing.Page[Context], error) {
			return s.ListContexts(ctx, c.Principal, in)
		})

	ruleSpec := api.Specs{Namespace: "hoa", Resource: ruleKind}.Spec
	api.Register(r, ruleSpec("addRule", api.Mutation, "Record an HOA rule read from a document, citing the document and page", nil, "create"),
		func(ctx context.Context, c api.Call, in AddRuleInput) (Rule, error) {
			return s.AddRuleTx(ctx, c.Tx, c.Principal, in)
		})
	api.Register(r, ruleSpec("getRule", api.Query, "Get one recorded HOA rule", nil, "view"),
		func(ctx context.Context, c api.Call, in api.GetInput) (Rule, error) {
			return s.GetRule(ctx, c.Principal, in.ID)
		})
	api.Register(r, ruleSpec("listRules", api.Query,
		"List the rules recorded for an HOA context, oldest first: as recorded, never known to be complete", nil, "view"),
		func(ctx context.Context, c api.Call, in ListRulesInput) (RulePage, error) {
			return s.ListRules(ctx, c.Principal, in)
		})

	apSpec := api.Specs{Namespace: "hoa", Resource: approvalKind}.Spec
	// CONFLICT (the case has ended) comes with every approval mutation.
	lifecycle := []apperr.Code{apperr.InvalidTransition}
	api.Register(r, apSpec("createApproval", api.Mutation, "Record that a case needs (or does not need) an HOA approval", nil, "create"),
		func(ctx context.Context, c api.Call, in CreateApprovalInput) (Approval, error) {
			return s.CreateApprovalTx(ctx, c.Tx, c.Principal, in)
		})
	api.Register(r, apSpec("submitApproval", api.Mutation,
		"Record a submission (or, after a denial, a resubmission) to the HOA; the case waits on the HOA", lifecycle, "view", "submit"),
		func(ctx context.Context, c api.Call, in SubmitApprovalInput) (Approval, error) {
			return s.SubmitApprovalTx(ctx, c.Tx, c.Principal, in)
		})
	api.Register(r, apSpec("decideApproval", api.Mutation,
		"Record the HOA's decision on a submission; a case waiting on the HOA resumes", lifecycle, "view", "decide"),
		func(ctx context.Context, c api.Call, in DecideApprovalInput) (Approval, error) {
			return s.DecideApprovalTx(ctx, c.Tx, c.Principal, in)
		})
	api.Register(r, apSpec("getApproval", api.Query, "Get one HOA approval, its status as of now (EXPIRED from the instant its expiry passed)", nil, "view"),
		func(ctx context.Context, c api.Call, in api.GetInput) (Approval, error) {
			return s.GetApproval(ctx, c.Principal, in.ID)
		})
	api.Register(r, apSpec("listApprovals", api.Query, "List the HOA approvals you may see, newest first", nil, "view"),
		func(ctx context.Context, c api.Call, in ListApprovalsInput) (listing.Page[Approval], error) {
			return s.ListApprovals(ctx, c.Principal, in)
		})
}
