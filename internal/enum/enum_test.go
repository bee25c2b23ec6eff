package enum

import (
	"reflect"
	"testing"

	"github.com/invopop/jsonschema"
)

type color string

var colors = New[color]("RED", "GREEN", "BLUE").Stored("paint", "color")

func (color) JSONSchema() *jsonschema.Schema { return colors.Schema() }

func TestSetAnswersFromItsOneDeclaration(t *testing.T) {
	if got := colors.Help(); got != "RED, GREEN or BLUE" {
		t.Errorf("Help() = %q", got)
	}
	if !colors.Contains("GREEN") || colors.Contains("green") || colors.Contains("") {
		t.Error("Contains is exact")
	}
	if got := colors.Columns(); !reflect.DeepEqual(got, []Column{{"paint", "color"}}) {
		t.Errorf("Columns() = %v", got)
	}
	found := false
	for _, d := range All() {
		if reflect.DeepEqual(d.Strings(), []string{"RED", "GREEN", "BLUE"}) {
			found = true
		}
	}
	if !found {
		t.Error("All() does not list the declared set")
	}
}

func TestFieldsOfTheTypeGetTheEnumInTheirSchema(t *testing.T) {
	type input struct {
		One  color   `json:"one"`
		Many []color `json:"many"`
		Opt  *color  `json:"opt,omitempty"`
	}
	r := &jsonschema.Reflector{DoNotReference: true, Anonymous: true}
	s := r.Reflect(&input{})
	for _, name := range []string{"one", "opt"} {
		p, _ := s.Properties.Get(name)
		if p == nil || len(p.Enum) != 3 || p.Type != "string" {
			t.Errorf("%s: schema %+v has no enum of 3", name, p)
		}
	}
	many, _ := s.Properties.Get("many")
	if many == nil || many.Items == nil || len(many.Items.Enum) != 3 {
		t.Errorf("many: items have no enum: %+v", many)
	}
}
