package server_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// Hostile input answers 400 with a field error naming the field, on both
// transports, and never 500.
func TestHostileInputAnswersFieldErrors(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	org := s.W.Rivera.ID
	create := func(extra string) string {
		return fmt.Sprintf(`{"propertyId":%q,"title":"t"%s}`, s.Property, extra)
	}
	checks := []struct {
		name, procedure, input string
		extra                  []string // header name, value pairs
		field                  string
	}{
		{"NUL in a title", "case/v1/create", fmt.Sprintf(`{"propertyId":%q,"title":"a\u0000b"}`, s.Property), []string{"Idempotency-Key", "h1"}, "title"},
		{"NUL in an id", "case/v1/get", `{"id":"CASE\u0000"}`, nil, "id"},
		{"NUL in a cursor", "case/v1/list", `{"cursor":"\u0000"}`, nil, "cursor"},
		{"NUL in a nested field", "property/v1/create", `{"name":"n","type":"LAND","address":{"line1":"\u0000","city":"c","country":"US"}}`, []string{"Idempotency-Key", "h2"}, "address.line1"},
		{"NUL in the body key", "case/v1/create", create(`,"idempotencyKey":"k\u0000"`), nil, "idempotencyKey"},
		{"invalid UTF-8 in a title", "case/v1/create", fmt.Sprintf(`{"propertyId":%q,"title":"a%sb"}`, s.Property, "\xff"), []string{"Idempotency-Key", "h3"}, "title"},
		{"invalid UTF-8 in the key header", "case/v1/create", create(""), []string{"Idempotency-Key", "k\xff\xfe"}, "idempotencyKey"},
		{"key of 256 characters", "case/v1/create", create(""), []string{"Idempotency-Key", strings.Repeat("é", 256)}, "idempotencyKey"},
		{"date past 9999", "case/v1/create", create(`,"dueAt":"9999-12-31T23:59:59-23:59"`), []string{"Idempotency-Key", "h4"}, "dueAt"},
		{"date before 0001", "case/v1/create", create(`,"dueAt":"0000-01-01T00:00:00+23:59"`), []string{"Idempotency-Key", "h5"}, "dueAt"},
		{"a fractional limit", "case/v1/list", `{"limit":50.5}`, nil, "limit"},
		{"two Authorization headers", "case/v1/list", `{}`, []string{"Authorization", "Bearer " + s.Staff}, "Authorization"},
		{"two X-Org-Id headers", "case/v1/list", `{}`, []string{"X-Org-Id", s.W.Oak.ID}, "X-Org-Id"},
		{"two Idempotency-Key headers", "case/v1/create", create(""), []string{"Idempotency-Key", "a", "Idempotency-Key", "b"}, "Idempotency-Key"},
	}
	for _, c := range checks {
		for _, rpc := range []bool{false, true} {
			path, body := "/api/v1/"+c.procedure, c.input
			if rpc {
				path, body = "/api/v1/rpc/"+c.procedure, `{"json":`+c.input+`}`
			}
			h := header("Authorization", "Bearer "+s.Owner, "X-Org-Id", org, "Content-Type", "application/json")
			for i := 0; i+1 < len(c.extra); i += 2 {
				h.Add(c.extra[i], c.extra[i+1])
			}
			st, _, out := s.do(t, "POST", path, h, strings.NewReader(body))
			m := decode(t, out)
			fields := dig(m, "error", "field_errors")
			if rpc {
				fields = dig(m, "json", "data", "field_errors")
			}
			found := false
			for _, f := range asList(fields) {
				if dig(f, "field") == c.field {
					found = true
				}
			}
			if st != 400 || !found || strings.Contains(string(out), "json: ") {
				t.Errorf("%s (rpc %v): %d %s", c.name, rpc, st, out)
			}
		}
	}
	if n := s.caseCount(t, org); n != 0 {
		t.Fatalf("refused calls created %d cases", n)
	}
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

// What the schema accepts works: an integral float for an integer, a key of
// 255 characters in more bytes, and an organization id in any UUID spelling
// for every procedure.
func TestAcceptedSpellings(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	org := s.W.Rivera.ID
	for _, rpc := range []bool{false, true} {
		path, body := "/api/v1/case/v1/list", `{"limit":100.0}`
		if rpc {
			path, body = "/api/v1/rpc/case/v1/list", `{"json":{"limit":100.0}}`
		}
		if st, _, out := s.call(t, "POST", path, as(s.Owner, org), body); st != 200 {
			t.Errorf("limit 100.0 (rpc %v): %d %s", rpc, st, out)
		}
	}
	st, _, out := s.call(t, "POST", "/api/v1/case/v1/create", as(s.Owner, org, "Idempotency-Key", strings.Repeat("é", 255)),
		fmt.Sprintf(`{"propertyId":%q,"title":"Leak"}`, s.Property))
	if st != 200 {
		t.Fatalf("255-character key: %d %s", st, out)
	}
	id := dig(decode(t, out), "id").(string)
	odd := strings.ToUpper(strings.ReplaceAll(org, "-", ""))
	for _, c := range []struct{ procedure, body string }{
		{"case/v1/get", fmt.Sprintf(`{"id":%q}`, id)},
		{"case/v1/list", `{}`},
		{"property/v1/get", fmt.Sprintf(`{"id":%q}`, s.Property)},
	} {
		if st, _, out := s.call(t, "POST", "/api/v1/"+c.procedure, as(s.Owner, odd), c.body); st != 200 {
			t.Errorf("%s with X-Org-Id %s: %d %s", c.procedure, odd, st, out)
		}
	}
	st, _, out = s.call(t, "POST", "/api/v1/case/v1/create", as(s.Owner, odd, "Idempotency-Key", "odd"),
		fmt.Sprintf(`{"propertyId":%q,"title":"Drip"}`, s.Property))
	if st != 200 || dig(decode(t, out), "organizationId") != org {
		t.Errorf("create with X-Org-Id %s: %d %s", odd, st, out)
	}
	_ = http.MethodPost
}
