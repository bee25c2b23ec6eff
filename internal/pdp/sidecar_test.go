package pdp

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/logging/logtest"
)

func binary(t *testing.T) string {
	t.Helper()
	bin, err := FindBinary(os.Getenv("HESTAMI_AUTHZ_CERBOS_BINARY"))
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

var owner = authz.Principal{UserID: "u1", OrgID: "o1", Roles: []string{"OWNER"}, ActorKind: authz.Human}

func authorize(c *authz.Client) error {
	return c.Authorize(context.Background(), owner, authz.Resource{Kind: "property", ID: "p1", Attr: map[string]any{"org_id": "o1"}}, "view")
}

// eventually polls f until it returns nil, failing the test after 30 s.
func eventually(t *testing.T, what string, f func() error) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still %v after 30s", what, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// kill SIGKILLs the running PDP and waits until the sidecar has seen it die.
func kill(t *testing.T, s *Sidecar) int {
	t.Helper()
	pid := s.PID()
	if pid == 0 {
		t.Fatal("no PDP running")
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the sidecar noticing the death", func() error {
		if s.PID() == pid {
			return errors.New("PDP still recorded as running")
		}
		return nil
	})
	return pid
}

// A PDP killed by PID is restarted on the same socket: calls fail closed
// while it is away, then the same client is answered again; the death and
// the restart are logged.
func TestKilledPDPIsRestarted(t *testing.T) {
	t.Parallel()
	var logs logtest.Buffer
	// A first restart after a second leaves time to see the calls fail.
	s, err := Start(context.Background(), binary(t), t.TempDir(), 30*time.Second, WithLogger(logs.Logger()), withBackoff(time.Second, 30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	c, err := authz.Dial(s.Address(), 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if err := authorize(c); err != nil {
		t.Fatalf("before the kill: %v", err)
	}

	pid := kill(t, s)
	if err := authorize(c); apperr.CodeOf(err) != apperr.DependencyUnavailable {
		t.Fatalf("with the PDP dead: %v, want DEPENDENCY_UNAVAILABLE", err)
	}
	if err := c.Ping(context.Background()); err == nil {
		t.Fatal("with the PDP dead, Ping answered")
	}

	eventually(t, "authorizing after the restart", func() error { return authorize(c) })
	if err := c.Ping(context.Background()); err != nil {
		t.Fatalf("after the restart, Ping: %v", err)
	}
	if now := s.PID(); now == 0 || now == pid {
		t.Fatalf("PID after the restart: %d (killed %d)", now, pid)
	}
	deaths := logs.Records(t, logtest.Message("the Cerbos PDP exited"))
	if len(deaths) != 1 || deaths[0]["level"] != "ERROR" || deaths[0]["status"] != "signal: killed" || deaths[0]["pid"] != float64(pid) {
		t.Fatalf("death log: %v", deaths)
	}
	restarts := logs.Records(t, logtest.Message("restarted the Cerbos PDP"))
	if len(restarts) != 1 || restarts[0]["level"] != "INFO" || restarts[0]["pid"] != float64(s.PID()) {
		t.Fatalf("restart log: %v", restarts)
	}
}

// A PDP whose binary has gone cannot be restarted: the sidecar keeps trying
// with a capped backoff, logs every failure, and recovers once the binary is
// back.
func TestPDPWithoutBinaryKeepsRetrying(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	link := filepath.Join(dir, "cerbos")
	if err := os.Symlink(binary(t), link); err != nil {
		t.Fatal(err)
	}
	var logs logtest.Buffer
	s, err := Start(context.Background(), link, dir, 30*time.Second, WithLogger(logs.Logger()), withBackoff(10*time.Millisecond, 40*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	c, err := authz.Dial(s.Address(), 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(link); err != nil {
		t.Fatal(err)
	}
	kill(t, s)
	eventually(t, "five failed restarts", func() error {
		if n := len(logs.Records(t, logtest.Message("restarting the Cerbos PDP failed"))); n < 5 {
			return errors.New("fewer than five logged")
		}
		return nil
	})
	failures := logs.Records(t, logtest.Message("restarting the Cerbos PDP failed"))
	for i, r := range failures {
		if r["level"] != "ERROR" || r["attempt"] != float64(i+1) || !strings.Contains(r["err"].(string), "no such file") {
			t.Fatalf("failure %d: %v", i+1, r)
		}
	}
	if last := failures[len(failures)-1]["retry_in"]; last != "40ms" {
		t.Fatalf("backoff after %d failures: %v, want the 40ms cap", len(failures), last)
	}
	if err := authorize(c); apperr.CodeOf(err) != apperr.DependencyUnavailable {
		t.Fatalf("without a PDP: %v, want DEPENDENCY_UNAVAILABLE", err)
	}

	if err := os.Symlink(binary(t), link); err != nil {
		t.Fatal(err)
	}
	eventually(t, "authorizing once the binary is back", func() error { return authorize(c) })
	if n := len(logs.Records(t, logtest.Message("restarted the Cerbos PDP"))); n != 1 {
		t.Fatalf("%d restarts logged, want 1", n)
	}
}

// Stop ends supervision: the PDP is terminated, not restarted, and its
// directory is gone.
func TestStopDoesNotRestart(t *testing.T) {
	t.Parallel()
	var logs logtest.Buffer
	s, err := Start(context.Background(), binary(t), t.TempDir(), 30*time.Second, WithLogger(logs.Logger()), withBackoff(time.Millisecond, time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	pid := s.PID()
	s.Stop()
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Fatalf("the PDP %d after Stop: %v, want it gone", pid, err)
	}
	if s.PID() != 0 {
		t.Fatalf("a PDP runs after Stop: %d", s.PID())
	}
	if _, err := os.Stat(s.dir); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("the PDP directory after Stop: %v", err)
	}
	if b := logs.String(); b != "" {
		t.Fatalf("Stop logged: %s", b)
	}
	s.Stop() // a second Stop is harmless
}

// After a long outage the client's gRPC channel is deep in its reconnect
// backoff (seconds, up to two minutes); the first call after the PDP is back
// must still be answered, not wait out the backoff.
func TestFirstCallAfterLongOutageIsAnswered(t *testing.T) {
	t.Parallel()
	var logs logtest.Buffer
	s, err := Start(context.Background(), binary(t), t.TempDir(), 30*time.Second, WithLogger(logs.Logger()), withBackoff(6*time.Second, 30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	c, err := authz.Dial(s.Address(), 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if err := authorize(c); err != nil {
		t.Fatal(err)
	}
	kill(t, s)
	if err := authorize(c); apperr.CodeOf(err) != apperr.DependencyUnavailable {
		t.Fatalf("with the PDP dead: %v, want DEPENDENCY_UNAVAILABLE", err)
	}
	eventually(t, "the restart", func() error {
		if len(logs.Records(t, logtest.Message("restarted the Cerbos PDP"))) == 0 {
			return errors.New("not restarted yet")
		}
		return nil
	})
	if err := authorize(c); err != nil {
		t.Fatalf("first call after the restart: %v", err)
	}
}
