package inputs_test

import (
	"context"
	"strings"
	"testing"

	"github.com/hestami/concierge/internal/api"
	"github.com/hestami/concierge/internal/app"
	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/authz"
)

// decode runs raw through the pipeline of the declarations up to input
// validation (which rejects it before any dependency is needed).
func decode(t *testing.T, r *api.Registry, procedure, raw string) error {
	t.Helper()
	p, ok := r.Lookup(procedure)
	if !ok {
		t.Fatalf("no procedure %s", procedure)
	}
	iv := &api.Invoker{Registry: r}
	res := iv.InvokeAs(context.Background(), authz.Principal{}, api.Request{Procedure: p, IdempotencyKey: "k", Input: []byte(raw)})
	if res.Err == nil {
		t.Fatalf("%s accepted %s", procedure, raw)
	}
	return res.Err
}

// Every violation is reported at once, each with its path and a message
// that names the field.
func TestSchemaValidationReportsEveryViolation(t *testing.T) {
	t.Parallel()
	r := app.Declarations()
	err := decode(t, r, "case/v1/create", `{"propertyId":"nope","title":"","priority":"SOON","dueAt":"tomorrow","surprise":1}`)
	e := apperr.From(err)
	if e.Code != apperr.Validation {
		t.Fatalf("%v", err)
	}
	got := map[string]string{}
	for _, f := range e.Fields {
		got[f.Field] = f.Code + ": " + f.Message
	}
	want := map[string]string{
		"propertyId": "format: propertyId must be a UUID",
		"title":      "minLength: title must not be empty",
		"priority":   "enum: priority must be one of LOW, NORMAL, HIGH, URGENT, EMERGENCY",
		"dueAt":      "format: dueAt must be an RFC 3339 date-time such as 2026-01-02T15:04:05Z",
		"surprise":   "unknown_field: surprise is not a known field",
	}
	for f, w := range want {
		if got[f] != w {
			t.Errorf("%s: %q, want %q", f, got[f], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("fields %v", got)
	}
	err = decode(t, r, "case/v1/list", `{"status":["OPEN"],"limit":500,"propertyId":7}`)
	var paths []string
	for _, f := range apperr.From(err).Fields {
		paths = append(paths, f.Field)
	}
	if strings.Join(paths, ",") == "" || !strings.Contains(strings.Join(paths, ","), "status[0]") {
		t.Fatalf("paths %v", paths)
	}
	for _, f := range apperr.From(err).Fields {
		if f.Field == "limit" && f.Message != "limit must be at most 100" {
			t.Errorf("limit: %q", f.Message)
		}
		if f.Field == "propertyId" && f.Message != "propertyId must be string, not number" {
			t.Errorf("propertyId: %q", f.Message)
		}
	}
}
