// Package pdp runs hestami's default Cerbos PDP: the real `cerbos` server
// binary, started as a child process on a private unix socket with the
// policies embedded in hestami, and restarted when it dies. Only the main
// command and the test harness import it; the domain talks to any PDP
// through internal/authz.
package pdp

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/hestami/concierge/policies"
)

// ErrNoBinary says how to get a PDP.
var ErrNoBinary = errors.New("the Cerbos PDP binary was not found (looked at authz.cerbos_binary, `cerbos` on PATH, next to the hestami executable and in the npm global root): " +
	"install it with `scripts/install-cerbos` or `npm install -g @cerbos/cerbos-linux-x64@0.55.0`, or point authz.pdp_address at a running PDP")

// errStopped: Stop was called, nothing more is started.
var errStopped = errors.New("the PDP sidecar is stopped")

// Restart pacing. A PDP that dies at once is not restarted in a loop; one
// that has served for stableAfter starts again from minBackoff.
const (
	defaultMinBackoff  = 100 * time.Millisecond
	defaultMaxBackoff  = 30 * time.Second
	defaultStableAfter = time.Minute
)

// Sidecar is a supervised PDP child process: when the child dies it is
// restarted on the same socket, so clients reconnect without being told.
type Sidecar struct {
	binary   string
	dir      string
	confPath string
	address  string
	timeout  time.Duration // how long a (re)started child may take to answer
	log      *slog.Logger

	minBackoff, maxBackoff, stableAfter time.Duration

	ctx    context.Context // cancelled by Stop
	cancel context.CancelFunc

	mu    sync.Mutex
	child *child // the current child; nil before the first start

	supervised chan struct{} // closed when supervision has ended
	stopOnce   sync.Once
}

// child is one run of the PDP binary.
type child struct {
	cmd     *exec.Cmd
	out     *tail
	started time.Time
	done    chan struct{} // closed when the process has exited
}

// Option adjusts a Sidecar before it starts.
type Option func(*Sidecar)

// WithLogger sends the PDP's deaths and restarts to l instead of
// slog.Default().
func WithLogger(l *slog.Logger) Option { return func(s *Sidecar) { s.log = l } }

// withBackoff lets tests see a capped backoff without waiting for it.
func withBackoff(min, max time.Duration) Option {
	return func(s *Sidecar) { s.minBackoff, s.maxBackoff = min, max }
}

// Address is the gRPC address to dial ("unix:/..."); it stays the same
// across restarts.
func (s *Sidecar) Address() string { return s.address }

// PID is the process id of the running PDP, 0 while none runs.
func (s *Sidecar) PID() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.child == nil || s.child.exited() {
		return 0
	}
	return s.child.cmd.Process.Pid
}

// FindBinary locates the cerbos executable.
func FindBinary(configured string) (string, error) {
	if configured != "" {
		if _, err := os.Stat(configured); err != nil {
			return "", fmt.Errorf("authz.cerbos_binary %s: %w", configured, err)
		}
		return configured, nil
	}
	if p, err := exec.LookPath("cerbos"); err == nil {
		return p, nil
	}
	var candidates []string
	if exe, err := os.Executable(); err == nil {
		candidates = append(candidates, filepath.Join(filepath.Dir(exe), "cerbos"))
	}
	npmPkg := filepath.Join("@cerbos", "cerbos-"+runtime.GOOS+"-"+npmArch(), "cerbos-"+runtime.GOOS+"-"+npmArch())
	for _, root := range []string{"/usr/lib/node_modules", "/usr/local/lib/node_modules"} {
		candidates = append(candidates, filepath.Join(root, npmPkg))
	}
	for _, c := range candidates {
		if st, err := os.Stat(c); err == nil && !st.IsDir() {
			return c, nil
		}
	}
	return "", ErrNoBinary
}

func npmArch() string {
	if runtime.GOARCH == "amd64" {
		return "x64"
	}
	return runtime.GOARCH
}

// Start writes the embedded policies and a config into a private directory
// under runDir and starts the PDP, returning once it answers. From then on
// the PDP is supervised until Stop.
func Start(ctx context.Context, binary, runDir string, timeout time.Duration, opts ...Option) (*Sidecar, error) {
	dir := filepath.Join(runDir, "pdp-"+strconv.Itoa(os.Getpid())+"-"+strconv.FormatInt(time.Now().UnixNano()%1e6, 10))
	if err := os.MkdirAll(filepath.Join(dir, "policies"), 0o700); err != nil {
		return nil, err
	}
	if err := writePolicies(filepath.Join(dir, "policies")); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	sock := filepath.Join(dir, "grpc.sock")
	conf := fmt.Sprintf(`server:
  grpcListenAddr: "unix:%s"
  httpListenAddr: "unix:%s"
storage:
  driver: disk
  disk:
    directory: %q
    watchForChanges: false
telemetry:
  disabled: true
audit:
  enabled: false
`, sock, filepath.Join(dir, "http.sock"), filepath.Join(dir, "policies"))
	confPath := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(confPath, []byte(conf), 0o600); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	s := &Sidecar{binary: binary, dir: dir, confPath: confPath, address: "unix:" + sock, timeout: timeout,
		log: slog.Default(), minBackoff: defaultMinBackoff, maxBackoff: defaultMaxBackoff, stableAfter: defaultStableAfter,
		supervised: make(chan struct{})}
	for _, o := range opts {
		o(s)
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	c, err := s.spawn()
	if err == nil {
		err = s.waitReady(ctx, c)
	}
	if err != nil {
		close(s.supervised) // nothing to supervise
		s.Stop()
		return nil, err
	}
	go s.supervise(c)
	return s, nil
}

func writePolicies(dst string) error {
	return fs.WalkDir(policies.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(policies.FS, path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, filepath.Base(path)), b, 0o600)
	})
}

// spawn starts one child. The sockets of a killed child are still on disk
// and would make the new one fail to listen.
func (s *Sidecar) spawn() (*child, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ctx.Err() != nil {
		return nil, errStopped
	}
	for _, name := range []string{"grpc.sock", "http.sock"} {
		if err := os.Remove(filepath.Join(s.dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}
	c := &child{out: &tail{max: 4 << 10}, done: make(chan struct{})}
	c.cmd = exec.Command(s.binary, "server", "--config="+s.confPath, "--log-level=warn")
	c.cmd.Env = append(os.Environ(), "CERBOS_NO_TELEMETRY=1")
	c.cmd.Stdout = c.out
	c.cmd.Stderr = c.out
	c.cmd.SysProcAttr = childAttrs()
	if err := c.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting the Cerbos PDP %s: %w", s.binary, err)
	}
	c.started = time.Now()
	s.child = c
	go func() { _ = c.cmd.Wait(); close(c.done) }()
	return c, nil
}

func (c *child) exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// terminate asks the child to stop, then kills it.
func (c *child) terminate() {
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(5 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.done
	}
}

// waitReady returns once c answers gRPC calls, or an error with the tail of
// its output when it exits or stays silent past s.timeout.
func (s *Sidecar) waitReady(ctx context.Context, c *child) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	stop := context.AfterFunc(s.ctx, cancel)
	defer stop()
	p, err := newProber(s.address)
	if err != nil {
		return err
	}
	defer p.close()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if _, err := os.Stat(filepath.Join(s.dir, "grpc.sock")); err == nil && p.ping(ctx) == nil {
			return nil
		}
		select {
		case <-c.done:
			return fmt.Errorf("the Cerbos PDP exited at start (%s): %s", c.cmd.ProcessState, c.out)
		case <-ctx.Done():
			if s.ctx.Err() != nil {
				return errStopped
			}
			return fmt.Errorf("the Cerbos PDP did not answer within %s: %s", s.timeout, c.out)
		case <-tick.C:
		}
	}
}

// supervise restarts the PDP each time it dies, until Stop. Callers keep
// failing closed while it is away: their calls find no socket and are
// denied as DEPENDENCY_UNAVAILABLE.
func (s *Sidecar) supervise(c *child) {
	defer close(s.supervised)
	backoff := s.minBackoff
	for {
		select {
		case <-s.ctx.Done():
			return // Stop terminates the child
		case <-c.done:
		}
		if s.ctx.Err() != nil {
			return
		}
		up := time.Since(c.started)
		if up >= s.stableAfter {
			backoff = s.minBackoff
		}
		s.log.Error("the Cerbos PDP exited; authorization fails closed until it is restarted",
			"pid", c.cmd.Process.Pid, "status", c.cmd.ProcessState.String(), "uptime", up.Round(time.Millisecond).String(),
			"restart_in", backoff.String(), "output", c.out.String())
		for attempt := 1; ; attempt++ {
			t := time.NewTimer(backoff)
			select {
			case <-s.ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
			backoff = min(2*backoff, s.maxBackoff)
			next, err := s.spawn()
			if err == nil {
				if err = s.waitReady(s.ctx, next); err != nil && !next.exited() {
					next.terminate()
				}
			}
			if errors.Is(err, errStopped) {
				return
			}
			if err != nil {
				s.log.Error("restarting the Cerbos PDP failed", "attempt", attempt, "err", err.Error(), "retry_in", backoff.String())
				continue
			}
			s.log.Info("restarted the Cerbos PDP", "pid", next.cmd.Process.Pid, "attempt", attempt)
			c = next
			break
		}
	}
}

// Stop ends supervision, terminates the PDP and removes its directory.
func (s *Sidecar) Stop() {
	s.stopOnce.Do(func() {
		s.mu.Lock()
		s.cancel() // under mu: no spawn starts after this
		c := s.child
		s.mu.Unlock()
		if c != nil {
			c.terminate()
		}
		<-s.supervised
		os.RemoveAll(s.dir)
	})
}
