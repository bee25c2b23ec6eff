package inputs_test

import (
	"encoding/json"
	"testing"

	"github.com/hestami/concierge/internal/app"
	"github.com/hestami/concierge/internal/apperr"
)

// One-line fields refuse control characters with a field error that names
// the field and says what is wrong; multi-line fields keep them; printable
// text of any script passes.
func TestSingleLineFieldsRefuseControlCharacters(t *testing.T) {
	t.Parallel()
	r := app.Declarations()
	const id = "3f0c9a52-3d5c-4b5e-9a57-0d8f3c1e2a11"
	addr := func(field, v string) map[string]any {
		a := map[string]any{"line1": "1 Elm", "city": "Austin", "country": "US"}
		a[field] = v
		return a
	}
	type fieldOf struct {
		procedure, field string
		input            func(v string) map[string]any
	}
	cases := []fieldOf{
		{"property/v1/create", "name", func(v string) map[string]any {
			return map[string]any{"name": v, "type": "CONDO", "address": addr("line1", "1 Elm")}
		}},
		{"property/v1/update", "name", func(v string) map[string]any { return map[string]any{"id": id, "name": v} }},
		{"case/v1/create", "title", func(v string) map[string]any { return map[string]any{"propertyId": id, "title": v} }},
		// References too: they reach logs and span attributes.
		{"case/v1/get", "id", func(v string) map[string]any { return map[string]any{"id": v} }},
		{"property/v1/get", "id", func(v string) map[string]any { return map[string]any{"id": v} }},
		{"property/v1/update", "id", func(v string) map[string]any { return map[string]any{"id": v} }},
		{"case/v1/updateStatus", "id", func(v string) map[string]any { return map[string]any{"id": v, "status": "ASSESSMENT"} }},
	}
	for _, f := range []string{"line1", "line2", "city", "region", "postalCode"} {
		cases = append(cases,
			fieldOf{"property/v1/create", "address." + f, func(v string) map[string]any {
				return map[string]any{"name": "Home", "type": "CONDO", "address": addr(f, v)}
			}},
			fieldOf{"property/v1/update", "address." + f, func(v string) map[string]any {
				return map[string]any{"id": id, "address": addr(f, v)}
			}})
	}
	for _, c := range cases {
		p, ok := r.Lookup(c.procedure)
		if !ok {
			t.Fatalf("no %s", c.procedure)
		}
		decode := func(v string) error {
			raw, err := json.Marshal(c.input(v))
			if err != nil {
				t.Fatal(err)
			}
			_, err = p.DecodeInput(raw)
			return err
		}
		// NUL is refused before the schema, in every field (input_test.go).
		for _, bad := range []string{"a\nb", "tab\there", "cr\r", "esc\x1b[2J", "del\x7f", "c1\u0085"} {
			e := apperr.From(decode(bad))
			if e == nil || e.Code != apperr.Validation || len(e.Fields) != 1 {
				t.Errorf("%s %s=%q: %v, want one field error", c.procedure, c.field, bad, e)
				continue
			}
			fe := e.Fields[0]
			want := c.field + " must be a single line: no line breaks, tabs or other control characters"
			if fe.Field != c.field || fe.Code != "pattern" || fe.Message != want {
				t.Errorf("%s %s=%q: %+v, want field %s code pattern message %q", c.procedure, c.field, bad, fe, c.field, want)
			}
		}
		for _, good := range []string{"Water heater leaking", "水管漏水 🔥", "Ünïcödé — “quoted”", `back\slash`} {
			if err := decode(good); err != nil {
				t.Errorf("%s %s=%q: %v", c.procedure, c.field, good, err)
			}
		}
	}
	// Multi-line fields keep their line breaks and tabs.
	p, _ := r.Lookup("case/v1/create")
	if _, err := p.DecodeInput([]byte(`{"propertyId":"` + id + `","title":"Leak","description":"line one\nline two\tindented"}`)); err != nil {
		t.Errorf("description with line breaks: %v", err)
	}
}
