package api

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"unicode"

	"github.com/google/uuid"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/db"
	"github.com/hestami/concierge/internal/idempotency"
	"github.com/hestami/concierge/internal/identity"
	"github.com/hestami/concierge/internal/telemetry"
)

// Invoker runs calls through the pipeline.
type Invoker struct {
	Registry *Registry
	Identity *identity.Service
	DB       *db.DB
	// Authority loads the delegated authority a caller holds (nil: none is
	// ever loaded, so no delegated agent is allowed anything).
	Authority Authority
	// Uploads bounds the file inputs the transports spool (File).
	Uploads Uploads
}

// Authority is what a principal holds beyond its roles: its delegation
// grants, for the PDP to judge on every action. With q (a mutation's
// transaction) the grants are read under a lock, so that a revoke and the
// act it races are ordered; with nil q they are read in a transaction of
// their own.
type Authority interface {
	Grants(ctx context.Context, q db.Querier, p authz.Principal) ([]authz.Grant, error)
}

func (iv *Invoker) withGrants(ctx context.Context, q db.Querier, p *authz.Principal) error {
	if iv.Authority == nil {
		return nil
	}
	grants, err := iv.Authority.Grants(ctx, q, *p)
	p.Grants = grants
	return err
}

// Request is one call as the transports hand it over.
type Request struct {
	Procedure      *Procedure
	Token          string          // bearer token
	OrgID          string          // the active organization header
	IdempotencyKey string          // the header
	Input          json.RawMessage // plain JSON (the RPC meta already checked)
}

// Response is the outcome of a call.
type Response struct {
	Output   any // *O
	Err      *apperr.Error
	Replayed bool
	TraceID  string
}

var tracer = otel.Tracer("github.com/hestami/concierge/internal/api")

// Invoke authenticates, resolves the active organization, validates, applies
// idempotency and calls the procedure, inside one span with the attributes
// of api.md §7.
func (iv *Invoker) Invoke(ctx context.Context, req Request) Response {
	ctx, span := iv.start(ctx, req.Procedure)
	defer span.End()
	principal, err := iv.authenticate(ctx, span, req)
	if err != nil {
		return iv.finish(span, req.Procedure, nil, false, err)
	}
	out, replayed, err := iv.run(ctx, span, principal, req)
	return iv.finish(span, req.Procedure, out, replayed, err)
}

// InvokeAs runs a call for a caller resolved by other means (the local CLI:
// a token or an operator's --as), through the same pipeline from
// validation on. req.Token and req.OrgID are ignored.
func (iv *Invoker) InvokeAs(ctx context.Context, principal authz.Principal, req Request) Response {
	principal.OrgID = canonicalOrg(principal.OrgID)
	if req.Procedure.NoOrg {
		principal = authz.Principal{UserID: principal.UserID, ActorKind: principal.ActorKind}
	}
	ctx, span := iv.start(ctx, req.Procedure)
	defer span.End()
	span.SetAttributes(attribute.String("hestami.actor.id", principal.UserID), attribute.String("hestami.actor.kind", string(principal.ActorKind)),
		attribute.String("hestami.organization_id", principal.OrgID))
	out, replayed, err := iv.run(ctx, span, principal, req)
	return iv.finish(span, req.Procedure, out, replayed, err)
}

// canonicalOrg writes an organization id as PostgreSQL writes a uuid:
// resources carry the stored form, and the PDP compares strings, so an
// upper-case or dash-less header would otherwise pass for lists and fail for
// single records. Anything that is not a UUID is left for Caller to refuse.
func canonicalOrg(id string) string {
	if u, err := uuid.Parse(id); err == nil {
		return u.String()
	}
	return id
}

// start opens the call's span: a child of the HTTP request's server span
// when there is one, else the server span itself (the local CLI).
// "hestami.authz.decision" starts as "none" (no PDP decision was needed or
// reached); internal/authz overwrites it with the PDP's answer.
func (iv *Invoker) start(ctx context.Context, p *Procedure) (context.Context, trace.Span) {
	kind := trace.SpanKindServer
	if trace.SpanContextFromContext(ctx).IsValid() {
		kind = trace.SpanKindInternal
	}
	return tracer.Start(ctx, p.Path(), trace.WithSpanKind(kind),
		trace.WithAttributes(attribute.String("hestami.procedure", p.Path()), attribute.String("hestami.procedure.kind", string(p.Kind)),
			attribute.String(telemetry.AuthzDecision, telemetry.DecisionNone)))
}

func (iv *Invoker) finish(span trace.Span, p *Procedure, out any, replayed bool, err error) Response {
	res := Response{Output: out, Replayed: replayed, TraceID: span.SpanContext().TraceID().String()}
	if err != nil {
		res.Err = apperr.From(err)
		res.Output = nil
	}
	telemetry.Finish(span, err)
	span.SetAttributes(attribute.Bool("hestami.idempotent_replay", replayed))
	if id := resourceID(res.Output, p.outputID); id != "" {
		span.SetAttributes(attribute.String(p.idAttribute, id))
	}
	return res
}

// authenticate resolves the bearer token in the active organization.
func (iv *Invoker) authenticate(ctx context.Context, span trace.Span, req Request) (authz.Principal, error) {
	if req.Token == "" {
		return authz.Principal{}, apperr.New(apperr.Unauthenticated, "a bearer token is required (Authorization: Bearer <token>)")
	}
	if req.Procedure.NoOrg {
		userID, err := iv.Identity.Authenticate(ctx, req.Token)
		if err != nil {
			return authz.Principal{}, err
		}
		span.SetAttributes(attribute.String("hestami.actor.id", userID), attribute.String("hestami.actor.kind", string(authz.Human)))
		return authz.Principal{UserID: userID, ActorKind: authz.Human}, nil
	}
	if req.OrgID == "" {
		return authz.Principal{}, &apperr.Error{Code: apperr.Validation, Message: "the active organization is required",
			Fields: []apperr.FieldError{{Field: "X-Org-Id", Code: "required", Message: "set the X-Org-Id header to the active organization id"}}}
	}
	principal, err := iv.Identity.Caller(ctx, req.Token, canonicalOrg(req.OrgID))
	if principal.UserID != "" {
		span.SetAttributes(attribute.String("hestami.actor.id", principal.UserID), attribute.String("hestami.actor.kind", string(authz.Human)))
	}
	if err != nil {
		return authz.Principal{}, err
	}
	span.SetAttributes(attribute.String("hestami.organization_id", principal.OrgID))
	return principal, nil
}

// run validates, applies idempotency and calls the procedure.
func (iv *Invoker) run(ctx context.Context, span trace.Span, principal authz.Principal, req Request) (any, bool, error) {
	p := req.Procedure
	key := req.IdempotencyKey
	if p.Kind == Mutation {
		if k, ok := inputKey(req.Input); ok {
			if key != "" && k != key {
				return nil, false, &apperr.Error{Code: apperr.Validation, Message: "the input is invalid",
					Fields: []apperr.FieldError{{Field: "idempotencyKey", Code: "mismatch", Message: "idempotencyKey differs from the Idempotency-Key header"}}}
			}
			key = k
		}
		if err := idempotency.ValidateKey(key); err != nil {
			return nil, false, err
		}
		span.SetAttributes(attribute.String("hestami.idempotency_key", key))
	}
	in, err := p.decodeInput(req.Input)
	if err != nil {
		return nil, false, err
	}
	if id := resourceID(in, p.inputID); id != "" {
		span.SetAttributes(attribute.String(p.idAttribute, id))
	}
	var replayed bool
	call := Call{Principal: principal, IdempotencyKey: key, replayed: &replayed}
	if p.Kind == Query || p.Durable {
		if p.NoOrg {
			// Grants are held in an organization; there is none here.
			out, err := p.call(ctx, call, in)
			return boxed(out), replayed, err
		}
		if err := iv.withGrants(ctx, nil, &call.Principal); err != nil {
			return nil, false, err
		}
		out, err := p.call(ctx, call, in)
		return boxed(out), replayed, err
	}
	fp, err := idempotency.Fingerprint(in)
	if err != nil {
		return nil, false, err
	}
	oc, err := idempotency.Execute(ctx, iv.DB, principal, p.Path(), key, fp, func(ctx context.Context, q db.Querier) (any, error) {
		call.Tx = q
		if err := iv.withGrants(ctx, q, &call.Principal); err != nil {
			return nil, err
		}
		return p.call(ctx, call, in)
	})
	if err != nil {
		return nil, false, err
	}
	if oc.Err != nil {
		return nil, oc.Replayed, oc.Err
	}
	if oc.Value != nil {
		return boxed(oc.Value), false, nil
	}
	out := p.NewOutput()
	if err := json.Unmarshal(oc.Output, out); err != nil {
		return nil, oc.Replayed, err
	}
	return out, oc.Replayed, nil
}

// boxed returns a pointer to v so every Output is a pointer.
func boxed(v any) any {
	if v == nil {
		return nil
	}
	pv := reflect.New(reflect.TypeOf(v))
	pv.Elem().Set(reflect.ValueOf(v))
	return pv.Interface()
}

func inputKey(raw json.RawMessage) (string, bool) {
	var probe struct {
		Key *string `json:"idempotencyKey"`
	}
	if json.Unmarshal(raw, &probe) != nil || probe.Key == nil {
		return "", false
	}
	return *probe.Key, true
}

// resourceID reads the field at index idx of the struct v points to (an
// input or an output), for the span's hestami.<resource>_id; references
// that are not plain identifiers (free text) are left out.
func resourceID(v any, idx []int) string {
	if v == nil || idx == nil {
		return ""
	}
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return ""
		}
		rv = rv.Elem()
	}
	if rv.Kind() != reflect.Struct {
		return ""
	}
	f := rv.FieldByIndex(idx)
	if f.Kind() != reflect.String || strings.IndexFunc(f.String(), func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return ""
	}
	return f.String()
}
