package server_test

import (
	"context"
	"testing"

	"github.com/hestami/concierge/internal/api/client"
	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/cases"
	"github.com/hestami/concierge/internal/listing"
)

// The registry-driven Go client against the running server.
func TestGoClient(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	ctx := context.Background()
	owner := client.New(s.URL, s.Owner, s.W.Rivera.ID)
	staff := client.New(s.URL, s.Staff, s.W.Rivera.ID)
	var c cases.Case
	if _, err := owner.Call(ctx, "case/v1/create", cases.CreateInput{PropertyID: s.Property, Title: "Leak"}, &c, "k1"); err != nil {
		t.Fatal(err)
	}
	var again cases.Case
	res, err := owner.Call(ctx, "case/v1/create", cases.CreateInput{PropertyID: s.Property, Title: "Leak"}, &again, "k1")
	if err != nil || !res.Replayed || again.ID != c.ID {
		t.Fatalf("replay: %+v %v %v", res, again.ID, err)
	}
	var moved cases.Case
	if _, err := staff.Call(ctx, "case/v1/updateStatus", cases.UpdateStatusInput{ID: c.Number, Status: "ASSESSMENT"}, &moved, "m1"); err != nil || moved.Status != cases.Assessment {
		t.Fatalf("%v %v", moved.Status, err)
	}
	_, err = staff.Call(ctx, "case/v1/updateStatus", cases.UpdateStatusInput{ID: c.ID, Status: "CLOSED"}, nil, "m2")
	if apperr.CodeOf(err) != apperr.InvalidTransition {
		t.Fatalf("%v", err)
	}
	_, err = owner.Call(ctx, "case/v1/create", cases.CreateInput{Title: ""}, nil, "")
	if e := apperr.From(err); e.Code != apperr.Validation || len(e.Fields) < 2 {
		t.Fatalf("%+v", e)
	}
	var page listing.Page[cases.Case]
	if _, err := staff.Call(ctx, "case/v1/list", cases.ListInput{Status: []cases.Status{"ASSESSMENT"}}, &page, ""); err != nil || len(page.Items) != 1 {
		t.Fatalf("%v %v", page, err)
	}
	if _, err := owner.Call(ctx, "case/v1/nope", nil, nil, ""); err == nil {
		t.Fatal("unknown procedure accepted")
	}
}
