package factory

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"

	"github.com/hestami/concierge/internal/api"
	"github.com/hestami/concierge/internal/app"
	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/cli/output"
)

// Caller runs API procedures as this process's caller. Every command, the
// work queue and `hestami api` go through it, so they share one pipeline
// (schema validation, authorization, RLS, idempotency, the span) whether it
// runs in this process or on a server.
type Caller interface {
	// Call runs procedure with in as the caller in organization org (""
	// means the configured active organization) and decodes the output
	// into out (a pointer, or nil to drop it). key is the idempotency key of
	// a mutation. A failure is an *apperr.Error, with the call's trace id
	// attached for output.PrintError.
	Call(ctx context.Context, org, procedure string, in, out any, key string) error
}

// declarations answers what a procedure is (kind, durability) before any
// dependency is built.
var declarations = app.Declarations()

// Caller returns how this process calls procedures: on the configured
// server (remote mode: server, HESTAMI_SERVER or `auth login`), else in
// process, on the embedded or configured database and PDP.
func (f *Factory) Caller() Caller {
	if f.Remote() {
		return remoteCaller{f}
	}
	return localCaller{f}
}

type localCaller struct{ f *Factory }

func (c localCaller) Call(ctx context.Context, org, procedure string, in, out any, key string) error {
	decl, ok := declarations.Lookup(procedure)
	if !ok {
		return fmt.Errorf("unknown procedure %s", procedure)
	}
	a, err := c.f.App(ctx, decl.Durable)
	if err != nil {
		return err
	}
	var p authz.Principal
	if decl.NoOrg {
		// The pipeline drops any organization; resolving one here would
		// refuse a caller who has not chosen one yet.
		p.UserID, err = c.f.UserID(ctx)
		p.ActorKind = authz.Human
	} else {
		p, err = c.f.PrincipalIn(ctx, org)
	}
	if err != nil {
		return err
	}
	raw, err := json.Marshal(in)
	if err != nil {
		return err
	}
	proc, _ := a.Invoker.Registry.Lookup(procedure)
	res := a.Invoker.InvokeAs(ctx, p, api.Request{Procedure: proc, IdempotencyKey: key, Input: raw})
	if res.Err != nil {
		return output.WithTrace(res.Err, res.TraceID)
	}
	return assign(out, res.Output)
}

// assign stores a procedure's output (a pointer to its output type) in
// out: directly when out points to that type, else through JSON, as a
// remote caller would decode it.
func assign(out, result any) error {
	if out == nil || result == nil {
		return nil
	}
	dst, src := reflect.ValueOf(out), reflect.ValueOf(result)
	if dst.Kind() == reflect.Pointer && src.Kind() == reflect.Pointer && dst.Type() == src.Type() {
		dst.Elem().Set(src.Elem())
		return nil
	}
	// An interface the output implements (api.FileOutput): the output
	// itself, as a remote caller hands over the response body.
	if dst.Kind() == reflect.Pointer && dst.Elem().Kind() == reflect.Interface && src.Type().Implements(dst.Elem().Type()) {
		dst.Elem().Set(src)
		return nil
	}
	raw, err := json.Marshal(result)
	if err != nil {
		return err
	}
	return json.Unmarshal(raw, out)
}

// PrincipalIn resolves the caller (the user behind --token, or --as USER for
// operators) in organization org, or in the active organization --org when
// org is empty.
func (f *Factory) PrincipalIn(ctx context.Context, org string) (authz.Principal, error) {
	cfg, err := f.Config()
	if err != nil {
		return authz.Principal{}, err
	}
	if org == "" {
		org = cfg.Org
	}
	userID, err := f.UserID(ctx)
	if err != nil {
		return authz.Principal{}, err
	}
	ids, err := f.Identity(ctx)
	if err != nil {
		return authz.Principal{}, err
	}
	return ids.Principal(ctx, userID, org)
}
