package authz_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/authz"
)

// With no PDP answering, both entry points fail closed with
// DEPENDENCY_UNAVAILABLE: never an allow, never an empty filter.
func TestUnreachablePDPDenies(t *testing.T) {
	t.Parallel()
	c, err := authz.Dial("unix:"+filepath.Join(t.TempDir(), "nobody.sock"), 200*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	p := authz.Principal{UserID: "u1", OrgID: "o1", Roles: []string{"OWNER"}, ActorKind: authz.Human}
	err = c.Authorize(context.Background(), p, authz.Resource{Kind: "property", ID: "p1", Attr: map[string]any{"org_id": "o1"}}, "view")
	if apperr.CodeOf(err) != apperr.DependencyUnavailable {
		t.Fatalf("Authorize: %v, want DEPENDENCY_UNAVAILABLE", err)
	}
	plan, err := c.QueryFilter(context.Background(), p, "property", "view")
	if apperr.CodeOf(err) != apperr.DependencyUnavailable || plan != nil {
		t.Fatalf("QueryFilter: %v %v, want DEPENDENCY_UNAVAILABLE", plan, err)
	}
}

func TestNoRolesIsDeniedWithoutAsking(t *testing.T) {
	t.Parallel()
	c, err := authz.Dial("unix:"+filepath.Join(t.TempDir(), "nobody.sock"), 200*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	p := authz.Principal{UserID: "u1", OrgID: "o1"}
	if err := c.Authorize(context.Background(), p, authz.Resource{Kind: "case", ID: "c1"}, "view"); apperr.CodeOf(err) != apperr.Forbidden {
		t.Fatalf("Authorize: %v", err)
	}
	plan, err := c.QueryFilter(context.Background(), p, "case", "view")
	if err != nil || !plan.Denied() {
		t.Fatalf("QueryFilter: %v %v", plan, err)
	}
}
