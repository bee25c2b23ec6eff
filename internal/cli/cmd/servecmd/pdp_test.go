package servecmd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hestami/concierge/internal/cli/factory"
	"github.com/hestami/concierge/internal/config"
	"github.com/hestami/concierge/internal/db"
	"github.com/hestami/concierge/internal/identity"
	"github.com/hestami/concierge/internal/logging/logtest"
	"github.com/hestami/concierge/internal/pdp"
	"github.com/hestami/concierge/internal/testkit"
)

func TestMain(m *testing.M) { testkit.Main(m) }

// serving is a `hestami serve` running in the test.
type serving struct {
	ended chan struct{} // closed when the command has returned
	err   error
}

// until polls f until it returns nil, failing after 30 s or when serve ends.
func until(t *testing.T, served *serving, what string, f func() error) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := f()
		if err == nil {
			return
		}
		select {
		case <-served.ended:
			t.Fatalf("%s: serve ended: %v", what, served.err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still %v after 30s", what, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

type answer struct {
	status int
	body   map[string]any
}

func call(method, url, token, orgID string, body any) (answer, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return answer{}, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return answer{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("X-Org-Id", orgID)
	req.Header.Set("Idempotency-Key", fmt.Sprintf("k-%d", time.Now().UnixNano()))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	a := answer{status: resp.StatusCode}
	if err := json.NewDecoder(resp.Body).Decode(&a.body); err != nil {
		return a, fmt.Errorf("%d answer is not JSON: %w", resp.StatusCode, err)
	}
	return a, nil
}

// `hestami serve` supervises its PDP: killed by PID, it is restarted (here
// once its binary is back), and meanwhile calls fail closed with 503
// DEPENDENCY_UNAVAILABLE and /readyz is 503; afterwards both are green again
// without a restart of serve. The death and the restart are logged, without
// the caller's token or e-mail.
func TestServeRecoversFromPDPDeath(t *testing.T) {
	ownerURL, appURL := testkit.NewDatabase(t)
	ctx := context.Background()
	d, err := db.Open(ctx, ownerURL, appURL)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ids := identity.New(d)
	org, err := ids.CreateOrg(ctx, "Rivera", "INDIVIDUAL_PROPERTY_OWNER")
	if err != nil {
		t.Fatal(err)
	}
	const email = "jordan@rivera.test"
	u, err := ids.CreateUser(ctx, email, "Jordan")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ids.AddMember(ctx, org.ID, u.ID, "OWNER"); err != nil {
		t.Fatal(err)
	}
	tok, err := ids.CreateToken(ctx, u.ID, "test", time.Hour)
	if err != nil {
		t.Fatal(err)
	}

	// The PDP binary is started through a link, so that the test can take
	// it away and keep the PDP down for as long as it looks.
	dir := t.TempDir()
	bin, err := pdp.FindBinary(os.Getenv("HESTAMI_AUTHZ_CERBOS_BINARY"))
	if err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "cerbos")
	if err := os.Symlink(bin, link); err != nil {
		t.Fatal(err)
	}
	v := config.NewViper()
	v.Set("database.url", ownerURL)
	v.Set("database.app_url", appURL)
	v.Set("data_dir", dir)
	v.Set("authz.pdp_address", "")
	v.Set("authz.cerbos_binary", link)
	v.Set("workflow.executor_id", "serve-pdp-test")
	var errOut logtest.Buffer
	f := factory.New(v)
	f.Out, f.ErrOut = io.Discard, &errOut
	defer f.Close()
	sctx, stop := context.WithCancel(ctx)
	cmd := NewCmd(f)
	cmd.SetArgs([]string{"--addr", "127.0.0.1:0"})
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	served := &serving{ended: make(chan struct{})}
	go func() { served.err = cmd.ExecuteContext(sctx); close(served.ended) }()
	defer func() { stop(); <-served.ended }() // before f.Close

	var base string
	until(t, served, "serve to listen", func() error {
		if rs := errOut.Records(t, logtest.Message("hestami serving")); len(rs) == 1 {
			base, _ = rs[0]["addr"].(string)
			return nil
		}
		return errors.New("not serving yet")
	})
	ready := func(want int) func() error {
		return func() error {
			a, err := call("GET", base+"/readyz", "", "", nil)
			if err != nil {
				return err
			}
			if a.status != want {
				return fmt.Errorf("/readyz %d %v", a.status, a.body)
			}
			return nil
		}
	}
	until(t, served, "ready", ready(http.StatusOK))
	created, err := call("POST", base+"/api/v1/property/v1/create", tok.Token, org.ID, map[string]any{
		"name": "Home", "type": "SINGLE_FAMILY",
		"address": map[string]any{"line1": "1 Main St", "city": "Austin", "country": "US"}})
	if err != nil || created.status != http.StatusOK {
		t.Fatalf("create: %v %v", created, err)
	}
	get := func() (answer, error) {
		return call("POST", base+"/api/v1/property/v1/get", tok.Token, org.ID, map[string]any{"id": created.body["id"]})
	}

	if err := os.Remove(link); err != nil {
		t.Fatal(err)
	}
	pid := f.Sidecar().PID()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	until(t, served, "/readyz to turn red", ready(http.StatusServiceUnavailable))
	a, err := get()
	if e, _ := a.body["error"].(map[string]any); err != nil || a.status != http.StatusServiceUnavailable || e["code"] != "DEPENDENCY_UNAVAILABLE" {
		t.Fatalf("get with the PDP dead: %v %v, want 503 DEPENDENCY_UNAVAILABLE", a, err)
	}

	if err := os.Symlink(bin, link); err != nil {
		t.Fatal(err)
	}
	until(t, served, "/readyz to turn green again", ready(http.StatusOK))
	if a, err := get(); err != nil || a.status != http.StatusOK || a.body["id"] != created.body["id"] {
		t.Fatalf("get after the restart: %v %v", a, err)
	}
	if now := f.Sidecar().PID(); now == 0 || now == pid {
		t.Fatalf("PDP pid after the restart: %d (killed %d)", now, pid)
	}

	stop() // SIGINT
	<-served.ended
	if served.err != nil {
		t.Fatalf("serve: %v", served.err)
	}
	if rs := errOut.Records(t, logtest.Message("the Cerbos PDP exited")); len(rs) != 1 || rs[0]["level"] != "ERROR" || rs[0]["pid"] != float64(pid) || rs[0]["status"] != "signal: killed" {
		t.Fatalf("death log: %v", rs)
	}
	if rs := errOut.Records(t, logtest.Message("restarting the Cerbos PDP failed")); len(rs) == 0 || rs[0]["level"] != "ERROR" {
		t.Fatalf("failed restarts log: %v", rs)
	}
	if rs := errOut.Records(t, logtest.Message("restarted the Cerbos PDP")); len(rs) != 1 || rs[0]["level"] != "INFO" {
		t.Fatalf("restart log: %v", rs)
	}
	if rs := errOut.Records(t, logtest.Message("shutting down")); len(rs) != 1 {
		t.Fatalf("shutdown log: %v", rs)
	}
	if out := errOut.String(); strings.Contains(out, tok.Token) || strings.Contains(out, email) {
		t.Fatalf("the log holds the caller's token or e-mail:\n%s", out)
	}
}
