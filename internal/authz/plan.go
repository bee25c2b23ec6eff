package authz

import (
	"fmt"
	"strconv"
	"strings"

	enginev1 "github.com/cerbos/cerbos/api/genpb/cerbos/engine/v1"
	"google.golang.org/protobuf/types/known/structpb"
)

// Plan is a PDP query plan for one kind and action.
type Plan struct {
	kind enginev1.PlanResourcesFilter_Kind
	cond *enginev1.PlanResourcesFilter_Expression_Operand
}

// NewPlan builds a plan from its parts (used by tests of the translator).
func NewPlan(kind enginev1.PlanResourcesFilter_Kind, cond *enginev1.PlanResourcesFilter_Expression_Operand) *Plan {
	return &Plan{kind: kind, cond: cond}
}

// Args accumulates bound arguments and hands out their placeholders.
type Args struct{ list []any }

// Add binds v and returns its placeholder.
func (a *Args) Add(v any) string {
	a.list = append(a.list, v)
	return "$" + strconv.Itoa(len(a.list))
}

// List returns the bound values in placeholder order.
func (a *Args) List() []any { return a.list }

// Columns maps plan variables (request.resource.attr.X, request.resource.id)
// to SQL column expressions. A variable not in the map is an error.
type Columns map[string]string

// SQL renders the plan as a boolean SQL expression over cols. ALWAYS_DENIED
// renders as FALSE; any operator, variable or value the translator does not
// know is an error, never "allow all".
func (p *Plan) SQL(cols Columns, args *Args) (string, error) {
	switch p.kind {
	case enginev1.PlanResourcesFilter_KIND_ALWAYS_ALLOWED:
		return "TRUE", nil
	case enginev1.PlanResourcesFilter_KIND_ALWAYS_DENIED:
		return "FALSE", nil
	case enginev1.PlanResourcesFilter_KIND_CONDITIONAL:
		t := translator{cols: cols, args: args}
		return t.operand(p.cond)
	default:
		return "", fmt.Errorf("query plan kind %v is not supported", p.kind)
	}
}

// Denied reports whether the plan allows nothing at all.
func (p *Plan) Denied() bool { return p.kind == enginev1.PlanResourcesFilter_KIND_ALWAYS_DENIED }

type translator struct {
	cols Columns
	args *Args
}

var comparisons = map[string]string{"eq": "=", "ne": "<>", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}

func (t translator) operand(o *enginev1.PlanResourcesFilter_Expression_Operand) (string, error) {
	switch n := o.GetNode().(type) {
	case *enginev1.PlanResourcesFilter_Expression_Operand_Expression:
		return t.expression(n.Expression)
	case *enginev1.PlanResourcesFilter_Expression_Operand_Variable:
		// A bare boolean attribute used as a condition.
		col, err := t.column(n.Variable)
		if err != nil {
			return "", err
		}
		return "(" + col + " IS TRUE)", nil
	case *enginev1.PlanResourcesFilter_Expression_Operand_Value:
		if b, ok := n.Value.GetKind().(*structpb.Value_BoolValue); ok {
			if b.BoolValue {
				return "TRUE", nil
			}
			return "FALSE", nil
		}
		return "", fmt.Errorf("query plan: a non-boolean value cannot be a condition")
	default:
		return "", fmt.Errorf("query plan: empty operand")
	}
}

func (t translator) column(variable string) (string, error) {
	col, ok := t.cols[variable]
	if !ok {
		return "", fmt.Errorf("query plan: variable %q has no column mapping", variable)
	}
	return col, nil
}

func (t translator) expression(e *enginev1.PlanResourcesFilter_Expression) (string, error) {
	ops := e.GetOperands()
	switch op := e.GetOperator(); op {
	case "and", "or":
		if len(ops) < 2 {
			return "", fmt.Errorf("query plan: %s needs at least two operands", op)
		}
		parts := make([]string, len(ops))
		for i, o := range ops {
			s, err := t.operand(o)
			if err != nil {
				return "", err
			}
			parts[i] = s
		}
		return "(" + strings.Join(parts, " "+strings.ToUpper(op)+" ") + ")", nil
	case "not":
		if len(ops) != 1 {
			return "", fmt.Errorf("query plan: not needs one operand")
		}
		s, err := t.operand(ops[0])
		if err != nil {
			return "", err
		}
		return "(NOT " + s + ")", nil
	case "eq", "ne", "lt", "le", "gt", "ge":
		if len(ops) != 2 {
			return "", fmt.Errorf("query plan: %s needs two operands", op)
		}
		col, val, flipped, err := t.columnAndValue(ops[0], ops[1])
		if err != nil {
			return "", err
		}
		sqlOp := comparisons[op]
		if flipped {
			sqlOp = flip(sqlOp)
		}
		if val == nil {
			switch op {
			case "eq":
				return "(" + col + " IS NULL)", nil
			case "ne":
				return "(" + col + " IS NOT NULL)", nil
			}
			return "", fmt.Errorf("query plan: %s with null", op)
		}
		if op == "ne" {
			// CEL's != is true for a null column; SQL's <> is not.
			return "(" + col + " IS DISTINCT FROM " + t.args.Add(val) + ")", nil
		}
		return "(" + col + " " + sqlOp + " " + t.args.Add(val) + ")", nil
	case "in":
		if len(ops) != 2 {
			return "", fmt.Errorf("query plan: in needs two operands")
		}
		col, err := t.column(ops[0].GetVariable())
		if err != nil {
			return "", err
		}
		list := ops[1].GetValue().GetListValue()
		if list == nil {
			return "", fmt.Errorf("query plan: in needs a list value")
		}
		vals := make([]string, 0, len(list.GetValues()))
		for _, v := range list.GetValues() {
			s, ok := v.GetKind().(*structpb.Value_StringValue)
			if !ok {
				return "", fmt.Errorf("query plan: in supports string lists only")
			}
			vals = append(vals, s.StringValue)
		}
		return "(" + col + " = ANY(" + t.args.Add(vals) + "))", nil
	default:
		return "", fmt.Errorf("query plan: operator %q is not supported", op)
	}
}

func flip(op string) string {
	switch op {
	case "<":
		return ">"
	case "<=":
		return ">="
	case ">":
		return "<"
	case ">=":
		return "<="
	}
	return op
}

// columnAndValue accepts variable-op-value in either order.
func (t translator) columnAndValue(a, b *enginev1.PlanResourcesFilter_Expression_Operand) (col string, val any, flipped bool, err error) {
	va, vb := a.GetVariable(), b.GetVariable()
	switch {
	case va != "" && b.GetValue() != nil:
		col, err = t.column(va)
		if err == nil {
			val, err = scalar(b.GetValue())
		}
		return col, val, false, err
	case vb != "" && a.GetValue() != nil:
		col, err = t.column(vb)
		if err == nil {
			val, err = scalar(a.GetValue())
		}
		return col, val, true, err
	default:
		return "", nil, false, fmt.Errorf("query plan: comparisons must be between a variable and a value")
	}
}

func scalar(v *structpb.Value) (any, error) {
	switch k := v.GetKind().(type) {
	case *structpb.Value_StringValue:
		return k.StringValue, nil
	case *structpb.Value_BoolValue:
		return k.BoolValue, nil
	case *structpb.Value_NumberValue:
		return k.NumberValue, nil
	case *structpb.Value_NullValue:
		return nil, nil
	default:
		return nil, fmt.Errorf("query plan: value of kind %T is not supported", k)
	}
}
