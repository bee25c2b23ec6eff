// Package api is hestami's procedure registry: every API operation is
// declared once — namespace, version, name, kind, input and output types,
// authorization action, declared errors — and the HTTP transports, the
// OpenAPI document and the Go client are driven by it. Invoke runs one call
// through the common pipeline: authentication, active organization,
// validation against the published schema, idempotency, the domain call and
// its span.
package api

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/db"
	"github.com/hestami/concierge/internal/workflow"
)

// Kind separates reads from writes: every mutation needs an idempotency key.
type Kind string

const (
	Query    Kind = "query"
	Mutation Kind = "mutation"
)

// Call is what a procedure receives besides its input.
type Call struct {
	Principal      authz.Principal
	Tx             db.Querier // the idempotency-guarded transaction of a mutation
	IdempotencyKey string
	replayed       *bool
}

// MarkReplayed tells the pipeline that a durable procedure answered from an
// earlier call with the same idempotency key, so the transports say so
// (Idempotent-Replayed: true) as they do for the idempotency table's replays.
func (c Call) MarkReplayed() {
	if c.replayed != nil {
		*c.replayed = true
	}
}

// Spec declares a procedure.
type Spec struct {
	Namespace, Version, Name string
	Kind                     Kind
	Summary                  string
	// Resource is the PDP resource kind the procedure acts on, and Actions
	// every PDP action it may ask about it (the first is the one it is
	// named for). A test checks both against the policies.
	Resource string
	Actions  []string
	// IDField is the JSON name of the input field that names the resource
	// ("id" when empty); the span records it as hestami.<resource>_id, and
	// for a create the output's id.
	IDField string
	Errors  []apperr.Code
	// Durable mutations get exactly-once semantics from their own durable
	// workflow (keyed by the idempotency scope) instead of the idempotency
	// table, and receive no Tx.
	Durable bool
	// NoOrg declares a query that runs before the caller has chosen an
	// organization (the list of those it may act in): the pipeline resolves
	// only the user, ignores any active organization sent, and hands over a
	// principal without one; the procedure must read through row-level
	// security keyed by the user and ask the PDP per organization itself.
	NoOrg bool
}

// Procedure is a registered procedure.
type Procedure struct {
	Spec
	Input, Output reflect.Type
	InputSchema   map[string]any
	OutputSchema  map[string]any
	validator     *validator
	// idAttribute is the span attribute of the resource id; inputID and
	// outputID index the struct fields that hold it (nil: none).
	idAttribute       string
	inputID, outputID []int
	call              func(ctx context.Context, c Call, in any) (any, error)
}

// Path is "namespace/version/name".
func (p *Procedure) Path() string { return p.Namespace + "/" + p.Version + "/" + p.Name }

// OperationID is "namespace.version.name" (as oRPC's OpenAPI generator names it).
func (p *Procedure) OperationID() string { return p.Namespace + "." + p.Version + "." + p.Name }

// Declares reports whether the procedure declares code (oRPC "defined").
func (p *Procedure) Declares(code apperr.Code) bool {
	for _, c := range p.Errors {
		if c == code {
			return true
		}
	}
	return false
}

// NewInput returns a pointer to a zero input.
func (p *Procedure) NewInput() any { return reflect.New(p.Input).Interface() }

// NewOutput returns a pointer to a zero output.
func (p *Procedure) NewOutput() any { return reflect.New(p.Output).Interface() }

// Registry holds every procedure.
type Registry struct {
	byPath map[string]*Procedure
}

// Lookup finds a procedure by "namespace/version/name".
func (r *Registry) Lookup(path string) (*Procedure, bool) {
	p, ok := r.byPath[path]
	return p, ok
}

// All lists the procedures in path order.
func (r *Registry) All() []*Procedure {
	out := make([]*Procedure, 0, len(r.byPath))
	for _, p := range r.byPath {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path() < out[j].Path() })
	return out
}

var commonErrors = []apperr.Code{apperr.Validation, apperr.Unauthenticated, apperr.Forbidden, apperr.NotFound, apperr.DependencyUnavailable}

var mutationErrors = []apperr.Code{apperr.IdempotencyKeyRequired, apperr.IdempotencyInProgress, apperr.IdempotencyKeyReused, apperr.Conflict}

// Action is the PDP action the procedure is named for.
func (p *Procedure) Action() string {
	if len(p.Actions) == 0 {
		return ""
	}
	return p.Actions[0]
}

// Module is one domain area: it declares its procedures on a registry. A
// module whose procedures are durable also implements WorkflowModule.
type Module interface {
	Register(r *Registry)
}

// WorkflowModule is a module with durable procedures: it registers their
// workflows on the engine they will run on, before the engine launches.
type WorkflowModule interface {
	Module
	RegisterWorkflows(e *workflow.Engine)
}

// NewRegistry declares the procedures of modules.
func NewRegistry(modules ...Module) *Registry {
	r := &Registry{byPath: map[string]*Procedure{}}
	for _, m := range modules {
		m.Register(r)
	}
	return r
}

// Register adds a typed procedure; modules call it from their Register.
func Register[I, O any](r *Registry, spec Spec, fn func(ctx context.Context, c Call, in I) (O, error)) {
	if spec.Resource == "" || len(spec.Actions) == 0 {
		panic("procedure " + spec.Namespace + "/" + spec.Version + "/" + spec.Name + " declares no resource or action")
	}
	if spec.NoOrg && spec.Kind != Query {
		panic("procedure " + spec.Namespace + "/" + spec.Version + "/" + spec.Name + ": only a query may run without an organization")
	}
	if r.byPath == nil {
		r.byPath = map[string]*Procedure{}
	}
	spec.Errors = append(append([]apperr.Code{}, commonErrors...), spec.Errors...)
	if spec.Kind == Mutation {
		spec.Errors = append(spec.Errors, mutationErrors...)
	}
	p := &Procedure{Spec: spec, Input: reflect.TypeFor[I](), Output: reflect.TypeFor[O]()}
	var err error
	if p.InputSchema, err = schemaFor(p.Input); err != nil {
		panic(err)
	}
	if spec.Kind == Mutation {
		// Clients that cannot set headers send the key in the input.
		props, _ := p.InputSchema["properties"].(map[string]any)
		if props == nil {
			props = map[string]any{}
			p.InputSchema["properties"] = props
		}
		props["idempotencyKey"] = map[string]any{"type": "string", "minLength": 1, "maxLength": 255,
			"description": "idempotency key, when the Idempotency-Key header cannot be set"}
	}
	if p.OutputSchema, err = schemaFor(p.Output); err != nil {
		panic(err)
	}
	if p.validator, err = compile(p.Path(), p.InputSchema); err != nil {
		panic(err)
	}
	p.idAttribute = "hestami." + spec.Resource + "_id"
	idField := spec.IDField
	if idField == "" {
		idField = "id"
	}
	p.inputID = jsonField(p.Input, idField)
	if spec.IDField == "" {
		p.outputID = jsonField(p.Output, "id")
	}
	p.call = func(ctx context.Context, c Call, in any) (any, error) { return fn(ctx, c, *(in.(*I))) }
	if _, dup := r.byPath[p.Path()]; dup {
		panic("duplicate procedure " + p.Path())
	}
	r.byPath[p.Path()] = p
}

// jsonField returns the index of the struct field of t whose JSON name is
// name, or nil.
func jsonField(t reflect.Type, name string) []int {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	for _, f := range reflect.VisibleFields(t) {
		if !f.IsExported() {
			continue
		}
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if tag == name {
			return f.Index
		}
	}
	return nil
}

// DecodeInput validates raw JSON against the procedure's published schema
// and decodes it, as the pipeline does before any work: a typed
// VALIDATION_FAILED naming every bad field, or a pointer to the input.
func (p *Procedure) DecodeInput(raw json.RawMessage) (any, error) { return p.decodeInput(raw) }

// decodeInput validates raw JSON against the schema and decodes it. An
// absent input is an empty object.
func (p *Procedure) decodeInput(raw json.RawMessage) (any, error) {
	if len(raw) == 0 || string(raw) == "null" {
		raw = json.RawMessage("{}")
	}
	if fields := checkText(raw); len(fields) > 0 {
		return nil, &apperr.Error{Code: apperr.Validation, Message: "the input is invalid", Fields: fields}
	}
	if err := p.validator.Validate(raw); err != nil {
		return nil, err
	}
	in := p.NewInput()
	if err := decodeInto(raw, in); err != nil {
		return nil, err
	}
	var fields []apperr.FieldError
	checkTimes(reflect.ValueOf(in), nil, &fields)
	if len(fields) > 0 {
		return nil, &apperr.Error{Code: apperr.Validation, Message: "the input is invalid", Fields: fields}
	}
	return in, nil
}

func (p *Procedure) String() string { return fmt.Sprintf("%s (%s)", p.Path(), p.Kind) }

// Specs declares the v1 procedures of one namespace on one PDP resource, so
// that a module states its namespace and resource once:
//
//	spec := api.Specs{Namespace: "action", Resource: kind}.Spec
//	api.Register(r, spec("start", api.Mutation, "Start an action", errs, "view", "update"), …)
type Specs struct{ Namespace, Resource string }

// Spec is one procedure of the namespace: its name, kind, summary, the
// error codes it adds to the common ones, and every PDP action it asks.
func (s Specs) Spec(name string, k Kind, summary string, errs []apperr.Code, actions ...string) Spec {
	return Spec{Namespace: s.Namespace, Version: "v1", Name: name, Kind: k, Resource: s.Resource, Actions: actions,
		Summary: summary, Errors: errs}
}
