package inputs_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/hestami/concierge/internal/app"
	"github.com/hestami/concierge/internal/apperr"
)

// Hostile input is a field error naming the field, never INTERNAL and never
// decoder text.
func TestHostileInputIsAFieldError(t *testing.T) {
	t.Parallel()
	r := app.Declarations()
	prop := `"propertyId":"6f1c2a7e-9d7b-4a4e-8f7a-0c1d2e3f4a5b"`
	cases := []struct {
		proc, raw, field, code string
	}{
		{"case/v1/create", `{` + prop + `,"title":"a\u0000b"}`, "title", "nul_character"},
		{"case/v1/create", `{` + prop + `,"title":"ok","description":"x\u0000"}`, "description", "nul_character"},
		{"case/v1/get", `{"id":"CASE-\u0000"}`, "id", "nul_character"},
		{"case/v1/list", `{"cursor":"\u0000"}`, "cursor", "nul_character"},
		{"case/v1/list", `{"status":["INTAKE","\u0000"]}`, "status[1]", "nul_character"},
		{"property/v1/create", `{"name":"n","type":"LAND","address":{"line1":"\u0000","city":"c","country":"US"}}`, "address.line1", "nul_character"},
		{"case/v1/create", `{` + prop + `,"title":"t","idempotencyKey":"k\u0000"}`, "idempotencyKey", "nul_character"},
		{"case/v1/create", `{` + prop + `,"title":"a` + "\xff\xfe" + `"}`, "title", "invalid_utf8"},
		{"case/v1/list", `{"c` + "\xc3" + `":1}`, "c\uFFFD", "invalid_utf8"},
		{"case/v1/create", `{` + prop + `,"title":"t","dueAt":"9999-12-31T23:59:59-23:59"}`, "dueAt", "out_of_range"},
		{"case/v1/create", `{` + prop + `,"title":"t","dueAt":"0000-01-01T00:00:00+23:59"}`, "dueAt", "out_of_range"},
		{"case/v1/create", `{` + prop + `,"title":"t","dueAt":"2026-12-31T23:59:60Z"}`, "dueAt", ""},
		{"case/v1/list", `{"limit":100.5}`, "limit", ""},
	}
	for _, c := range cases {
		p, _ := r.Lookup(c.proc)
		_, err := p.DecodeInput([]byte(c.raw))
		e := apperr.From(err)
		if err == nil || e.Code != apperr.Validation {
			t.Errorf("%s %q: %v", c.proc, c.raw, err)
			continue
		}
		found := false
		for _, f := range e.Fields {
			if f.Field == c.field && (c.code == "" || f.Code == c.code) {
				found = true
			}
			if strings.Contains(f.Message, "json:") || strings.Contains(f.Message, "Go struct") {
				t.Errorf("%s %q: decoder text in %q", c.proc, c.raw, f.Message)
			}
		}
		if !found {
			t.Errorf("%s %q: fields %+v, want %s/%s", c.proc, c.raw, e.Fields, c.field, c.code)
		}
	}
}

// The schema calls 100.0 an integer, so the decoder must too.
func TestIntegralFloatsDecodeAsIntegers(t *testing.T) {
	t.Parallel()
	p, _ := app.Declarations().Lookup("case/v1/list")
	for _, raw := range []string{`{"limit":100.0}`, `{"limit":1e2}`, `{"limit":5.000}`} {
		in, err := p.DecodeInput([]byte(raw))
		if err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		if got := reflectLimit(in); got != 100 && got != 5 {
			t.Fatalf("%s: limit %d", raw, got)
		}
	}
}

func reflectLimit(in any) int {
	return int(reflect.ValueOf(in).Elem().FieldByName("Limit").Int())
}
