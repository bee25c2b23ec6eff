package cmdutil

import (
	"errors"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/hestami/concierge/internal/apperr"
)

func TestNameFlagsNamesTheFlagThatSetAField(t *testing.T) {
	cmd := &cobra.Command{Use: "x"}
	fl := cmd.Flags()
	for _, name := range []string{"to", "property", "line", "city", "yes"} {
		fl.String(name, "", "")
	}
	fl.Bool("json", false, "")
	FieldFlags(cmd, map[string]string{"status": "to"})
	FieldFlags(cmd, map[string]string{"address.city": "city", "lineItems": "line"})
	in := &apperr.Error{Code: apperr.Validation, Message: "the input is invalid", Fields: []apperr.FieldError{
		{Field: "status", Message: "status must be one of INTAKE or CLOSED"},
		{Field: "propertyId", Message: "propertyId names no property of this organization"},
		{Field: "address.city", Message: "address.city must be a single line"},
		{Field: "lineItems[1].unitPrice", Message: "must be an exact amount"},
		{Field: "id", Message: "id is required"},
	}}
	got := NameFlags(cmd, in).Error()
	for _, want := range []string{
		"\n  --to: must be one of INTAKE or CLOSED",
		"\n  --property: names no property of this organization",
		"\n  --city: must be a single line",
		"\n  --line (lineItems[1].unitPrice): must be an exact amount",
		"\n  id: id is required", // no flag sets it: left as it is
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in:\n%s", want, got)
		}
	}
	if in.Fields[0].Field != "status" {
		t.Errorf("the original error was changed: %+v", in.Fields[0])
	}

	// --json keeps the API's paths: a machine contract.
	_ = fl.Set("json", "true")
	if got := NameFlags(cmd, in); got != error(in) {
		t.Errorf("with --json: %v", got)
	}
	// Other errors pass through.
	other := errors.New("boom")
	if got := NameFlags(cmd, other); got != other {
		t.Errorf("untyped error changed: %v", got)
	}
}
