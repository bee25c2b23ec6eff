package authz

import (
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// planCache keeps the PDP's query plans for a short time. A plan depends
// only on the principal (id, roles, attributes), the kind, the action and
// the policies; the policies of the embedded PDP never change while hestami
// runs, and an external PDP's changes are picked up within the TTL. Errors
// are never cached. Single-resource decisions are never cached.
type planCache struct {
	ttl     time.Duration
	mu      sync.Mutex
	entries map[string]planEntry
}

type planEntry struct {
	plan    *Plan
	expires time.Time
}

const maxCachedPlans = 10000

func planKey(p Principal, kind, action string) string {
	roles := append([]string(nil), p.Roles...)
	sort.Strings(roles)
	return strings.Join([]string{kind, action, p.UserID, p.OrgID, strings.Join(roles, ","), strconv.FormatBool(p.Engaged), string(p.ActorKind)}, "\x00")
}

func (c *planCache) get(key string) (*Plan, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || time.Now().After(e.expires) {
		return nil, false
	}
	return e.plan, true
}

func (c *planCache) put(key string, p *Plan) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || len(c.entries) >= maxCachedPlans {
		c.entries = map[string]planEntry{}
	}
	c.entries[key] = planEntry{plan: p, expires: time.Now().Add(c.ttl)}
}
