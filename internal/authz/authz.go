// Package authz asks the Cerbos PDP. Authorize answers for one resource;
// QueryFilter turns the PDP's query plan into a SQL predicate for lists. A PDP
// error or timeout is DEPENDENCY_UNAVAILABLE and an unknown plan expression an
// error: the call fails closed, nothing is allowed.
package authz

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/cerbos/cerbos-sdk-go/cerbos"
	enginev1 "github.com/cerbos/cerbos/api/genpb/cerbos/engine/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/status"

	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/enum"
	"github.com/hestami/concierge/internal/money"
	"github.com/hestami/concierge/internal/telemetry"
)

// ActorKind says who acts: a person, an AI or the system itself.
type ActorKind string

const (
	Human  ActorKind = "HUMAN"
	AI     ActorKind = "AI"
	System ActorKind = "SYSTEM"
)

// ActorKinds lists who may act; every record of an action stores one.
var ActorKinds = enum.New(Human, AI, System).Stored("case_status_history", "actor_kind").Stored("activity_events", "actor_kind")

// Principal is an authenticated actor in its active organization.
type Principal struct {
	UserID    string
	OrgID     string // the active organization
	OrgType   string
	Roles     []string // held in the active organization
	Engaged   bool     // staff acting through a concierge engagement
	ActorKind ActorKind
	// Grants is the delegated authority held in the active organization
	// (delegated agents only; loaded by the pipeline for every call). The
	// policies decide what it allows; hestami only carries it.
	Grants []Grant
}

// Grant is one delegation grant as the PDP sees it (domain.md §1).
type Grant struct {
	ID          string
	Status      string // PENDING_ACCEPTANCE, ACTIVE or REVOKED: expiry is the PDP's to judge
	Types       []string
	PropertyIDs []string
	ExpiresAt   *time.Time
	Limit       *money.Money
}

func (g Grant) attr() (map[string]any, error) {
	m := map[string]any{"id": g.ID, "status": g.Status, "types": g.Types, "property_ids": g.PropertyIDs,
		"expires_at": "", "limit": "", "limit_e4": int64(0), "limit_currency": ""}
	if g.ExpiresAt != nil {
		m["expires_at"] = g.ExpiresAt.UTC().Format(time.RFC3339Nano)
	}
	if g.Limit != nil {
		e4, err := g.Limit.E4()
		if err != nil {
			return nil, fmt.Errorf("grant %s: %w", g.ID, err)
		}
		m["limit"], m["limit_e4"], m["limit_currency"] = g.Limit.String(), e4, g.Limit.Currency
	}
	return m, nil
}

// AmountAttr sets the attributes through which the policies compare an
// amount with a delegated limit (policies/delegation_variables.yaml); nil
// is "no amount". An amount that has no exact integer form is sent as the
// largest one: over every limit, so doubt denies.
func AmountAttr(attr map[string]any, m *money.Money) map[string]any {
	attr["amount"], attr["amount_e4"], attr["amount_currency"] = "", int64(0), ""
	if m == nil {
		return attr
	}
	e4, err := m.E4()
	if err != nil {
		e4 = math.MaxInt64
	}
	attr["amount"], attr["amount_e4"], attr["amount_currency"] = m.String(), e4, m.Currency
	return attr
}

// Resource is one thing an action is asked about.
type Resource struct {
	Kind string
	ID   string
	Attr map[string]any
}

// Decider is what the domain layer needs from the PDP.
type Decider interface {
	Authorize(ctx context.Context, p Principal, r Resource, action string) error
	// Allowed returns the subset of actions p may take on r, in one PDP
	// call (what a screen offers; nothing is refused by it).
	Allowed(ctx context.Context, p Principal, r Resource, actions ...string) ([]string, error)
	QueryFilter(ctx context.Context, p Principal, kind, action string) (*Plan, error)
}

// Client is the Cerbos gRPC client (embedded sidecar or external PDP).
type Client struct {
	grpc    *cerbos.GRPCClient
	timeout time.Duration
	plans   *planCache // nil: every list asks the PDP
}

// WithPlanCache keeps query plans for ttl (0 disables) and returns c.
func (c *Client) WithPlanCache(ttl time.Duration) *Client {
	if ttl > 0 {
		c.plans = &planCache{ttl: ttl}
	}
	return c
}

// Dial connects to a PDP at address ("unix:/path" or "host:port", plaintext).
func Dial(address string, timeout time.Duration) (*Client, error) {
	// WithConnectTimeout(0): any other value makes the SDK pass gRPC connect
	// parameters with an all-zero backoff, and a channel whose PDP is gone
	// then redials in a tight loop (two CPU seconds out of three, measured).
	// gRPC's own backoff applies instead, and reconnectNow keeps it from
	// delaying recovery.
	c, err := cerbos.New(address, cerbos.WithPlaintext(), cerbos.WithConnectTimeout(0),
		cerbos.WithUnaryInterceptors(uncompressed, reconnectNow))
	if err != nil {
		return nil, fmt.Errorf("connecting to the Cerbos PDP at %s: %w", address, err)
	}
	// The PDP validates every request itself; validating it here too only
	// doubled the work (measured by scripts/bench).
	return &Client{grpc: c.With(cerbos.AllowPartialRequests()), timeout: timeout}, nil
}

// uncompressed turns off the gzip the SDK forces on every call: the PDP
// answers over a local socket, where compressing costs CPU and saves nothing
// (it halved query-plan throughput in scripts/bench).
func uncompressed(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	return invoker(ctx, method, req, reply, cc, append(opts, grpc.UseCompressor(encoding.Identity))...)
}

// reconnectNow cuts short the reconnect backoff when a call finds the PDP
// unreachable. gRPC backs off up to two minutes between dials while the PDP
// is away; a restarted PDP (the sidecar comes back on the same socket) would
// stay unused, and the API stay 503, that long. Callers set the pace instead:
// each failed call dials once more, the idle channel waits.
func reconnectNow(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	err := invoker(ctx, method, req, reply, cc, opts...)
	if status.Code(err) == codes.Unavailable {
		cc.ResetConnectBackoff()
	}
	return err
}

// Ping checks that the PDP answers.
func (c *Client) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	_, err := c.grpc.ServerInfo(ctx)
	return err
}

func principalOf(p Principal) (*cerbos.Principal, error) {
	grants := make([]any, 0, len(p.Grants))
	for _, g := range p.Grants {
		a, err := g.attr()
		if err != nil {
			return nil, err
		}
		grants = append(grants, a)
	}
	return cerbos.NewPrincipal(p.UserID, p.Roles...).
		WithAttr("active_org_id", p.OrgID).
		WithAttr("engaged", p.Engaged).
		WithAttr("actor_kind", string(p.ActorKind)).
		WithAttr("grants", grants), nil
}

func unavailable(err error) error {
	return apperr.Wrap(apperr.DependencyUnavailable, err, "the authorization service is unavailable")
}

// Authorize returns nil when the PDP allows action on r, FORBIDDEN when it
// denies, and DEPENDENCY_UNAVAILABLE when it cannot answer. The decision is
// recorded on the caller's span as it was made, whatever the caller later
// shows (a denied view becomes NOT_FOUND).
func (c *Client) Authorize(ctx context.Context, p Principal, r Resource, action string) error {
	err := c.authorize(ctx, p, r, action)
	telemetry.RecordDecision(ctx, decisionOf(err))
	return err
}

func decisionOf(err error) string {
	switch apperr.CodeOf(err) {
	case "":
		return telemetry.DecisionAllow
	case apperr.Forbidden:
		return telemetry.DecisionDeny
	}
	return telemetry.DecisionError
}

func (c *Client) authorize(ctx context.Context, p Principal, r Resource, action string) error {
	if len(p.Roles) == 0 {
		return apperr.New(apperr.Forbidden, "not allowed to %s this %s", action, r.Kind)
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	principal, err := principalOf(p)
	if err != nil {
		return err
	}
	res := cerbos.NewResource(r.Kind, r.ID).WithAttributes(r.Attr)
	resp, err := c.grpc.CheckResources(ctx, principal, cerbos.NewResourceBatch().Add(res, action))
	if err != nil {
		return unavailable(err)
	}
	rr := resp.GetResource(r.ID)
	if rr == nil || rr.Err() != nil {
		return unavailable(fmt.Errorf("PDP returned no result for %s %s", r.Kind, r.ID))
	}
	if !rr.IsAllowed(action) {
		msg := fmt.Sprintf("not allowed to %s this %s", action, r.Kind)
		if reasons := refusalReasons(rr, action); reasons != "" {
			msg += ": " + reasons
		}
		return apperr.New(apperr.Forbidden, "%s", msg)
	}
	return nil
}

// Allowed returns the actions of actions p may take on r, asked in one
// CheckResources call, and DEPENDENCY_UNAVAILABLE when the PDP cannot
// answer. A denied action is not an error: the caller offers what is left.
func (c *Client) Allowed(ctx context.Context, p Principal, r Resource, actions ...string) ([]string, error) {
	allowed := []string{}
	if len(p.Roles) == 0 || len(actions) == 0 {
		return allowed, nil
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	principal, err := principalOf(p)
	if err != nil {
		return nil, err
	}
	res := cerbos.NewResource(r.Kind, r.ID).WithAttributes(r.Attr)
	resp, err := c.grpc.CheckResources(ctx, principal, cerbos.NewResourceBatch().Add(res, actions...))
	if err != nil {
		telemetry.RecordDecision(ctx, telemetry.DecisionError)
		return nil, unavailable(err)
	}
	rr := resp.GetResource(r.ID)
	if rr == nil || rr.Err() != nil {
		telemetry.RecordDecision(ctx, telemetry.DecisionError)
		return nil, unavailable(fmt.Errorf("PDP returned no result for %s %s", r.Kind, r.ID))
	}
	for _, a := range actions {
		if rr.IsAllowed(a) {
			allowed = append(allowed, a)
		}
	}
	return allowed, nil
}

// refusalReasons joins the reasons the policies gave for denying action:
// string outputs of the rules whose condition was not met (e.g. "6000.00
// USD is over the delegated limit of 5000.00 USD"). Policies write them for
// the person refused, so they name only what that person may know.
func refusalReasons(rr *cerbos.ResourceResult, action string) string {
	var reasons []string
	for _, o := range rr.GetOutputs() {
		if o.GetAction() != action {
			continue
		}
		if s := o.GetVal().GetStringValue(); s != "" && !slices.Contains(reasons, s) {
			reasons = append(reasons, s)
		}
	}
	return strings.Join(reasons, "; ")
}

// QueryFilter asks the PDP which resources of kind p may act on and returns
// the plan; Plan.SQL translates it. An always-denied plan is recorded as a
// denial, any other plan as an allow (its condition filters the rows).
func (c *Client) QueryFilter(ctx context.Context, p Principal, kind, action string) (*Plan, error) {
	plan, err := c.queryFilter(ctx, p, kind, action)
	switch {
	case err != nil:
		telemetry.RecordDecision(ctx, telemetry.DecisionError)
	case plan.kind == enginev1.PlanResourcesFilter_KIND_ALWAYS_DENIED:
		telemetry.RecordDecision(ctx, telemetry.DecisionDeny)
	default:
		telemetry.RecordDecision(ctx, telemetry.DecisionAllow)
	}
	return plan, err
}

func (c *Client) queryFilter(ctx context.Context, p Principal, kind, action string) (*Plan, error) {
	if len(p.Roles) == 0 {
		return &Plan{kind: enginev1.PlanResourcesFilter_KIND_ALWAYS_DENIED}, nil
	}
	var key string
	// A plan built from grants embeds the instant it was made (expiry is
	// judged with now()), so it is never reused.
	if c.plans != nil && len(p.Grants) == 0 {
		key = planKey(p, kind, action)
		if plan, ok := c.plans.get(key); ok {
			return plan, nil
		}
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	principal, err := principalOf(p)
	if err != nil {
		return nil, err
	}
	resp, err := c.grpc.PlanResources(ctx, principal, cerbos.NewResource(kind, ""), action)
	if err != nil {
		return nil, unavailable(err)
	}
	f := resp.GetFilter()
	if f == nil {
		return nil, unavailable(fmt.Errorf("PDP returned no filter"))
	}
	plan := &Plan{kind: f.GetKind(), cond: f.GetCondition()}
	if key != "" {
		c.plans.put(key, plan)
	}
	return plan, nil
}
