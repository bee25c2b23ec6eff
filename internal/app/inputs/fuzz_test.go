package inputs_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/hestami/concierge/internal/app"
	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/orpc"
)

// FuzzDecodeInput feeds arbitrary bytes to every procedure's input decoder,
// both as plain JSON and through the oRPC envelope decoder. Nothing may
// panic, and every refusal is a VALIDATION_FAILED with field errors (an
// INTERNAL here would be a 500 for a bad request). The committed corpus in
// testdata/fuzz/FuzzDecodeInput runs with every `go test`.
func FuzzDecodeInput(f *testing.F) {
	r := app.Declarations()
	procs := r.All()
	f.Add("case/v1/list", []byte(`{"json":{"limit":100.0}}`))
	// The corpus names each seed's procedure, so a new procedure never
	// shifts the committed seeds onto other inputs; a mutated name still
	// reaches some procedure.
	f.Fuzz(func(t *testing.T, path string, body []byte) {
		p, ok := r.Lookup(path)
		if !ok {
			p = procs[len(path)%len(procs)]
		}
		check := func(what string, raw []byte) {
			in, err := p.DecodeInput(raw)
			if err == nil {
				// What passes must be safe to store and to write back.
				if _, err := json.Marshal(in); err != nil {
					t.Fatalf("%s %s %q: accepted input cannot be encoded: %v", p.Path(), what, raw, err)
				}
				if bad := unsafeText(reflect.ValueOf(in)); bad != "" {
					t.Fatalf("%s %s %q: accepted %q", p.Path(), what, raw, bad)
				}
				return
			}
			var e *apperr.Error
			if !errors.As(err, &e) || e.Code != apperr.Validation || len(e.Fields) == 0 {
				t.Fatalf("%s %s %q: %#v", p.Path(), what, raw, err)
			}
			for _, f := range e.Fields {
				if strings.Contains(f.Message, "json: ") {
					t.Fatalf("%s %s %q: decoder text %q", p.Path(), what, raw, f.Message)
				}
			}
		}
		check("plain", body)
		in, err := orpc.DecodeEnvelope(body)
		if err != nil {
			if !errors.Is(err, orpc.ErrMalformed) {
				t.Fatalf("envelope %q: %v", body, err)
			}
			return
		}
		check("rpc", in)
	})
}

// unsafeText returns the first string in v that PostgreSQL would refuse.
func unsafeText(v reflect.Value) string {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			return unsafeText(v.Elem())
		}
	case reflect.String:
		if s := v.String(); !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
			return s
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				if s := unsafeText(v.Field(i)); s != "" {
					return s
				}
			}
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			if s := unsafeText(v.Index(i)); s != "" {
				return s
			}
		}
	}
	return ""
}
