package authz_test

import (
	"reflect"
	"strings"
	"testing"

	enginev1 "github.com/cerbos/cerbos/api/genpb/cerbos/engine/v1"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/hestami/concierge/internal/authz"
)

type operand = enginev1.PlanResourcesFilter_Expression_Operand

func variable(name string) *operand {
	return &operand{Node: &enginev1.PlanResourcesFilter_Expression_Operand_Variable{Variable: name}}
}

func value(v any) *operand {
	val, err := structpb.NewValue(v)
	if err != nil {
		panic(err)
	}
	return &operand{Node: &enginev1.PlanResourcesFilter_Expression_Operand_Value{Value: val}}
}

func expr(op string, args ...*operand) *operand {
	return &operand{Node: &enginev1.PlanResourcesFilter_Expression_Operand_Expression{
		Expression: &enginev1.PlanResourcesFilter_Expression{Operator: op, Operands: args}}}
}

var cols = authz.Columns{
	"request.resource.attr.org_id": "organization_id",
	"request.resource.attr.status": "status",
	"request.resource.attr.rank":   "rank",
	"request.resource.attr.flag":   "flag",
}

func TestPlanTranslation(t *testing.T) {
	t.Parallel()
	conditional := enginev1.PlanResourcesFilter_KIND_CONDITIONAL
	cases := []struct {
		name     string
		kind     enginev1.PlanResourcesFilter_Kind
		cond     *operand
		wantSQL  string
		wantArgs []any
	}{
		{"always allowed", enginev1.PlanResourcesFilter_KIND_ALWAYS_ALLOWED, nil, "TRUE", nil},
		{"always denied", enginev1.PlanResourcesFilter_KIND_ALWAYS_DENIED, nil, "FALSE", nil},
		{"eq", conditional, expr("eq", variable("request.resource.attr.org_id"), value("o1")), "(organization_id = $1)", []any{"o1"}},
		{"eq value first", conditional, expr("eq", value("o1"), variable("request.resource.attr.org_id")), "(organization_id = $1)", []any{"o1"}},
		{"lt value first flips", conditional, expr("lt", value(3.0), variable("request.resource.attr.rank")), "(rank > $1)", []any{3.0}},
		{"ne is null-safe", conditional, expr("ne", variable("request.resource.attr.status"), value("CLOSED")), "(status IS DISTINCT FROM $1)", []any{"CLOSED"}},
		{"eq null", conditional, expr("eq", variable("request.resource.attr.status"), value(nil)), "(status IS NULL)", nil},
		{"and/or/not", conditional,
			expr("and", expr("eq", variable("request.resource.attr.org_id"), value("o1")),
				expr("or", expr("eq", variable("request.resource.attr.status"), value("INTAKE")),
					expr("not", expr("ge", variable("request.resource.attr.rank"), value(2.0))))),
			"((organization_id = $1) AND ((status = $2) OR (NOT (rank >= $3))))", []any{"o1", "INTAKE", 2.0}},
		{"in", conditional, expr("in", variable("request.resource.attr.status"), value([]any{"A", "B"})), "(status = ANY($1))", []any{[]string{"A", "B"}}},
		{"bare boolean variable", conditional, variable("request.resource.attr.flag"), "(flag IS TRUE)", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := &authz.Args{}
			sql, err := authz.NewPlan(c.kind, c.cond).SQL(cols, args)
			if err != nil {
				t.Fatal(err)
			}
			if sql != c.wantSQL {
				t.Errorf("sql = %s, want %s", sql, c.wantSQL)
			}
			if !reflect.DeepEqual(args.List(), c.wantArgs) {
				t.Errorf("args = %#v, want %#v", args.List(), c.wantArgs)
			}
		})
	}
}

// Anything the translator does not understand is an error, never a
// predicate that lets rows through.
func TestPlanTranslationRejectsTheUnknown(t *testing.T) {
	t.Parallel()
	conditional := enginev1.PlanResourcesFilter_KIND_CONDITIONAL
	bad := map[string]*operand{
		"unknown operator":     expr("hasIntersection", variable("request.resource.attr.status"), value([]any{"A"})),
		"unmapped variable":    expr("eq", variable("request.resource.attr.secret"), value("x")),
		"two variables":        expr("eq", variable("request.resource.attr.org_id"), variable("request.resource.attr.status")),
		"object value":         expr("eq", variable("request.resource.attr.org_id"), value(map[string]any{"a": 1})),
		"non-boolean constant": value("yes"),
		"empty operand":        {},
		"and with one operand": expr("and", expr("eq", variable("request.resource.attr.org_id"), value("o1"))),
		"in with a scalar":     expr("in", variable("request.resource.attr.status"), value("A")),
		"in with numbers":      expr("in", variable("request.resource.attr.status"), value([]any{1.0})),
		"nested unknown":       expr("or", expr("eq", variable("request.resource.attr.org_id"), value("o1")), expr("matches", variable("request.resource.attr.status"), value(".*"))),
	}
	for name, cond := range bad {
		t.Run(name, func(t *testing.T) {
			sql, err := authz.NewPlan(conditional, cond).SQL(cols, &authz.Args{})
			if err == nil {
				t.Fatalf("translated to %q, want an error", sql)
			}
		})
	}
	if _, err := authz.NewPlan(enginev1.PlanResourcesFilter_KIND_UNSPECIFIED, nil).SQL(cols, &authz.Args{}); err == nil ||
		!strings.Contains(err.Error(), "not supported") {
		t.Fatalf("unspecified kind: %v", err)
	}
}
