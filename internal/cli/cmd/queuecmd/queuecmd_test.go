package queuecmd_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/x/vt"
	"github.com/creack/pty"

	"github.com/hestami/concierge/internal/cli"
	"github.com/hestami/concierge/internal/testkit"
)

// asHestami makes the test binary the hestami binary (cli.Main, the real
// entry point), as the testscripts do, so the test can start it in a
// pseudo-terminal.
const asHestami = "HESTAMI_QUEUECMD_TEST_AS_HESTAMI"

func TestMain(m *testing.M) {
	if os.Getenv(asHestami) == "1" {
		os.Exit(cli.Main())
	}
	testkit.Main(m)
}

// screen is a terminal: the program's output drawn by an emulator, whose
// answers to the program's queries go back to it.
type screen struct {
	mu   sync.Mutex
	term *vt.Emulator
}

func (s *screen) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.term.Write(p)
}

func (s *screen) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.term.String()
}

// waitFor waits for the screen to show want; a minute covers the first
// call, which starts the local pipeline.
func (s *screen) waitFor(t *testing.T, want string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !strings.Contains(s.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("the screen never showed %q:\n%s", want, s.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestQueueInAPseudoTerminal runs `hestami queue` in a pseudo-terminal
// against a seeded database, claims the most urgent case from the
// keyboard, and sees it become the staff member's, on the screen and in
// the database: once locally, once against a `hestami serve` (remote mode,
// HESTAMI_SERVER), with the same keys and the same screens.
func TestQueueInAPseudoTerminal(t *testing.T) {
	t.Run("local", func(t *testing.T) { queueInAPseudoTerminal(t, false) })
	t.Run("remote", func(t *testing.T) { queueInAPseudoTerminal(t, true) })
}

func queueInAPseudoTerminal(t *testing.T, remote bool) {
	owner, app := testkit.NewDatabase(t)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	env := append(os.Environ(), asHestami+"=1",
		"HESTAMI_DATABASE_URL="+owner, "HESTAMI_DATABASE_APP_URL="+app,
		"HESTAMI_AUTHZ_PDP_ADDRESS="+testkit.PDPAddress(),
		"HESTAMI_DATA_DIR="+filepath.Join(dir, "data"), "XDG_CONFIG_HOME="+filepath.Join(dir, "config"))
	hestami := func(args ...string) []byte {
		t.Helper()
		cmd := exec.Command(self, args...)
		cmd.Env = env
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("hestami %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}
	var seed struct {
		Organizations map[string]string `json:"organizations"`
		Users         map[string]struct {
			ID    string `json:"id"`
			Token string `json:"token"`
		} `json:"users"`
	}
	if err := json.Unmarshal(hestami("dev", "seed", "--json"), &seed); err != nil {
		t.Fatal(err)
	}
	staff := seed.Users["staff@hestami.demo"]
	if remote {
		env = append(env, "HESTAMI_SERVER="+startServe(t, self, env))
	}
	env = append(env, "HESTAMI_TOKEN="+staff.Token, "HESTAMI_ORG="+seed.Organizations["rivera"], "TERM=xterm-256color", "NO_COLOR=1")

	cmd := exec.Command(self, "queue", "--refresh", "0")
	cmd.Env = env
	tty, err := pty.StartWithSize(cmd, &pty.Winsize{Cols: 100, Rows: 30})
	if err != nil {
		t.Fatal(err)
	}
	defer tty.Close()
	scr := &screen{term: vt.NewEmulator(100, 30)}
	go func() { _, _ = io.Copy(scr, tty) }()
	go func() { _, _ = io.Copy(tty, scr.term) }()
	var exitErr error
	exited := make(chan struct{})
	go func() { exitErr = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})

	scr.waitFor(t, "CASE-2026-3")
	if got := scr.String(); !strings.Contains(got, "Jordan Rivera") || !strings.Contains(got, "WAITING ON") {
		t.Fatalf("no header with the organization, or no columns:\n%s", got)
	}
	// The staff member works every organization that engaged its operator;
	// find the Riveras' water heater (nobody's yet) and claim it.
	send := func(keys string) { _, _ = tty.Write([]byte(keys)) }
	send("/Water heater\r")
	scr.waitFor(t, "1/1 cases · /Water heater")
	send("a")
	scr.waitFor(t, "Claim CASE-2026-1 (Water heater leaking)")
	send("y")
	scr.waitFor(t, "claimed CASE-2026-1")
	send("\x1b") // esc clears the search
	scr.waitFor(t, "cases · all open cases")
	send("m") // mine
	scr.waitFor(t, "· mine")
	got := scr.String()
	if !strings.Contains(got, "1/1 cases · mine") || !strings.Contains(got, "CASE-2026-1") || !strings.Contains(got, " me") {
		t.Fatalf("the claimed case is not shown as mine:\n%s", got)
	}
	// Work it to the end from the keyboard: add an action, start and finish it,
	// resolve (IN_PROGRESS offers PENDING_EXTERNAL, PENDING_OWNER, ON_HOLD,
	// RESOLVED, CANCELLED: RESOLVED is the fourth), then close.
	send("x")
	scr.waitFor(t, "Actions of CASE-2026-1")
	send("\rShut the water off\r")
	scr.waitFor(t, "Shut the water off")
	send("y")
	scr.waitFor(t, "action added to CASE-2026-1")
	send("x")
	scr.waitFor(t, "start: Shut the water off")
	send("j\r")
	scr.waitFor(t, "Confirm?")
	send("y")
	scr.waitFor(t, "action started on CASE-2026-1")
	send("x")
	scr.waitFor(t, "complete: Shut the water off")
	send("j\rDone by the owner\r")
	scr.waitFor(t, "Done by the owner")
	send("y")
	scr.waitFor(t, "action completed on CASE-2026-1")
	send("s")
	scr.waitFor(t, "Move CASE-2026-1 from IN_PROGRESS")
	send("jjj\rReplaced the heater\r\r")
	scr.waitFor(t, "Replaced the heater")
	send("y")
	scr.waitFor(t, "CASE-2026-1 moved to RESOLVED")
	send("s")
	scr.waitFor(t, "Move CASE-2026-1 from RESOLVED")
	scr.waitFor(t, "> CLOSED")
	send("\r\r")
	scr.waitFor(t, "Confirm?")
	send("y")
	scr.waitFor(t, "CASE-2026-1 moved to CLOSED")
	send("q")
	select {
	case <-exited:
		if exitErr != nil {
			t.Fatalf("queue exited with %v", exitErr)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("q did not quit")
	}
	got = string(hestami("case", "get", "CASE-2026-1", "--json", "--token", staff.Token, "--org", seed.Organizations["rivera"]))
	for _, want := range []string{`"status": "CLOSED"`, `"assigneeId": "` + staff.ID + `"`, `"resolutionSummary": "Replaced the heater"`} {
		if !strings.Contains(got, want) {
			t.Fatalf("the day's work is not in the database (%s):\n%s", want, got)
		}
	}
}

// startServe runs `hestami serve` over the test's database and returns its
// URL once it answers.
func startServe(t *testing.T, self string, env []string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cmd := exec.Command(self, "serve", "--addr", addr)
	cmd.Env = env
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	url := "http://" + addr
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return url
			}
		}
		select {
		case <-done:
			t.Fatalf("hestami serve exited:\n%s", log.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("hestami serve did not become ready:\n%s", log.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}
