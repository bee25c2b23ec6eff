package authz

import (
	"testing"
	"time"
)

func TestPlanCacheKeysOnTheWholePrincipalAndExpires(t *testing.T) {
	t.Parallel()
	c := &planCache{ttl: 50 * time.Millisecond}
	owner := Principal{UserID: "u1", OrgID: "o1", Roles: []string{"OWNER"}, ActorKind: Human}
	allowed := &Plan{}
	c.put(planKey(owner, "case", "view"), allowed)
	if p, ok := c.get(planKey(owner, "case", "view")); !ok || p != allowed {
		t.Fatal("cached plan not returned")
	}
	for name, other := range map[string]string{
		"other action": planKey(owner, "case", "update"),
		"other kind":   planKey(owner, "property", "view"),
		"other org":    planKey(Principal{UserID: "u1", OrgID: "o2", Roles: []string{"OWNER"}, ActorKind: Human}, "case", "view"),
		"other roles":  planKey(Principal{UserID: "u1", OrgID: "o1", Roles: []string{"DELEGATED_AGENT"}, ActorKind: Human}, "case", "view"),
		"engaged":      planKey(Principal{UserID: "u1", OrgID: "o1", Roles: []string{"OWNER"}, Engaged: true, ActorKind: Human}, "case", "view"),
		"other user":   planKey(Principal{UserID: "u2", OrgID: "o1", Roles: []string{"OWNER"}, ActorKind: Human}, "case", "view"),
	} {
		if _, ok := c.get(other); ok {
			t.Errorf("%s: served another principal's plan", name)
		}
	}
	time.Sleep(60 * time.Millisecond)
	if _, ok := c.get(planKey(owner, "case", "view")); ok {
		t.Fatal("expired plan served")
	}
}
