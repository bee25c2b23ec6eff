// Package pdp runs hestami's default Cerbos PDP: the real `cerbos` server
// binary, started as a child process on a private unix socket with the
// policies embedded in hestami. Only the main command and the test harness
// import it; the domain talks to any PDP through internal/authz.
package pdp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
	"time"

	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/policies"
)

// ErrNoBinary says how to get a PDP.
var ErrNoBinary = errors.New("the Cerbos PDP binary was not found (looked at authz.cerbos_binary, `cerbos` on PATH, next to the hestami executable and in the npm global root): " +
	"install it with `scripts/install-cerbos` or `npm install -g @cerbos/cerbos-linux-x64@0.55.0`, or point authz.pdp_address at a running PDP")

// Sidecar is a running PDP child process.
type Sidecar struct {
	cmd     *exec.Cmd
	dir     string
	address string
	log     bytes.Buffer
	done    chan struct{}
}

// Address is the gRPC address to dial ("unix:/...").
func (s *Sidecar) Address() string { return s.address }

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
// under runDir and starts the PDP, returning once it answers.
func Start(ctx context.Context, binary, runDir string, timeout time.Duration) (*Sidecar, error) {
	dir := filepath.Join(runDir, "pdp-"+strconv.Itoa(os.Getpid())+"-"+strconv.FormatInt(time.Now().UnixNano()%1e6, 10))
	if err := os.MkdirAll(filepath.Join(dir, "policies"), 0o700); err != nil {
		return nil, err
	}
	if err := writePolicies(filepath.Join(dir, "policies")); err != nil {
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
		return nil, err
	}
	s := &Sidecar{dir: dir, address: "unix:" + sock, done: make(chan struct{})}
	s.cmd = exec.Command(binary, "server", "--config="+confPath, "--log-level=warn")
	s.cmd.Env = append(os.Environ(), "CERBOS_NO_TELEMETRY=1")
	s.cmd.Stdout = &s.log
	s.cmd.Stderr = &s.log
	s.cmd.SysProcAttr = childAttrs()
	if err := s.cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("starting the Cerbos PDP %s: %w", binary, err)
	}
	go func() { s.cmd.Wait(); close(s.done) }() //nolint:errcheck
	if err := s.waitReady(ctx, timeout); err != nil {
		s.Stop()
		return nil, err
	}
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

func (s *Sidecar) waitReady(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	client, err := authz.Dial(s.address, time.Second)
	if err != nil {
		return err
	}
	for {
		select {
		case <-s.done:
			return fmt.Errorf("the Cerbos PDP exited at start: %s", bytes.TrimSpace(s.log.Bytes()))
		default:
		}
		if _, err := os.Stat(s.address[len("unix:"):]); err == nil {
			if err := client.Ping(ctx); err == nil {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the Cerbos PDP did not answer within %s: %s", timeout, bytes.TrimSpace(s.log.Bytes()))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Stop terminates the PDP and removes its directory.
func (s *Sidecar) Stop() {
	if s.cmd.Process != nil {
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(5 * time.Second):
			_ = s.cmd.Process.Kill()
			<-s.done
		}
	}
	os.RemoveAll(s.dir)
}
