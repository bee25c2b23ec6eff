package authz_test

import (
	"context"
	"net"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/authz"
)

// A PDP that has gone away is redialled with a backoff, not in a loop: the
// socket below accepts and hangs up, as a dying PDP does, and counts how
// often the idle client comes back.
func TestGonePDPIsNotRedialledInALoop(t *testing.T) {
	t.Parallel()
	sock := filepath.Join(t.TempDir(), "gone.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var dials atomic.Int64
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			dials.Add(1)
			conn.Close()
		}
	}()
	c, err := authz.Dial("unix:"+sock, 200*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	p := authz.Principal{UserID: "u1", OrgID: "o1", Roles: []string{"OWNER"}, ActorKind: authz.Human}
	err = c.Authorize(context.Background(), p, authz.Resource{Kind: "property", ID: "p1"}, "view")
	if apperr.CodeOf(err) != apperr.DependencyUnavailable {
		t.Fatalf("Authorize: %v, want DEPENDENCY_UNAVAILABLE", err)
	}
	before := dials.Load()
	time.Sleep(time.Second) // nobody calls
	n := dials.Load() - before
	t.Logf("%d dials in the idle second", n)
	if n > 10 {
		t.Fatalf("the idle client dialled the gone PDP %d times in a second", n)
	}
}
