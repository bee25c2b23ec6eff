package cli_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/hestami/concierge/internal/cli"
	"github.com/hestami/concierge/internal/cli/factory"
	"github.com/hestami/concierge/internal/config"
	"github.com/hestami/concierge/internal/server"
	"github.com/hestami/concierge/internal/telemetry"
	"github.com/hestami/concierge/internal/testkit"
)

func TestMain(m *testing.M) {
	testscript.Main(testkit.Runner(m), map[string]func(){
		"hestami": func() { os.Exit(cli.Main()) },
	})
}

// TestScripts runs testdata/script/*.txtar against the real binary entry
// point, each script on its own fresh database and the shared PDP, the
// commands calling procedures in process (local mode).
func TestScripts(t *testing.T) {
	t.Parallel()
	testscript.Run(t, scriptParams(false))
}

// TestScriptsRemote runs the same scripts in remote mode: each against a
// hestami server (the handler `hestami serve` runs) over the script's own
// database, which the commands reach through HESTAMI_SERVER. The scripts
// pass unchanged; `[remote]` marks the few lines (and the local-only
// scripts) that configure what only a server's own configuration can.
func TestScriptsRemote(t *testing.T) {
	t.Parallel()
	// The servers log every request; their answers are what the scripts
	// check. (Commands run in their own processes: this changes no output.)
	slog.SetDefault(slog.New(slog.DiscardHandler))
	// As in `hestami serve` (the root command sets it up): a refusal's
	// envelope carries the trace id of the server's span.
	shutdown, err := telemetry.Setup(context.Background(), false, io.Discard, "test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = shutdown(context.Background()) })
	testscript.Run(t, scriptParams(true))
}

func scriptParams(remote bool) testscript.Params {
	return testscript.Params{
		Dir: "testdata/script",
		Condition: func(cond string) (bool, error) {
			if cond == "remote" {
				return remote, nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
		Setup: func(env *testscript.Env) error {
			owner, app, drop, err := testkit.CreateDatabase(context.Background())
			if err != nil {
				return err
			}
			env.Defer(drop)
			// A private data dir the postgres OS user can enter (for db.txtar).
			dataDir, err := os.MkdirTemp("", "hestami-cli-")
			if err != nil {
				return err
			}
			if err := os.Chmod(dataDir, 0o755); err != nil {
				return err
			}
			env.Defer(func() { os.RemoveAll(dataDir) })
			env.Setenv("HESTAMI_DATABASE_URL", owner)
			env.Setenv("HESTAMI_DATABASE_APP_URL", app)
			env.Setenv("HESTAMI_AUTHZ_PDP_ADDRESS", testkit.PDPAddress())
			env.Setenv("EMBEDDED_DATA_DIR", dataDir)
			env.Setenv("HESTAMI_DATA_DIR", filepath.Join(env.WorkDir, "data"))
			env.Setenv("XDG_CONFIG_HOME", filepath.Join(env.WorkDir, ".config"))
			if remote {
				url, stop, err := startServer(owner, app, filepath.Join(env.WorkDir, "data"))
				if err != nil {
					return err
				}
				env.Defer(stop)
				env.Setenv("HESTAMI_SERVER", url)
			}
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			// freeport VAR: set VAR to a free loopback address.
			"freeport": func(ts *testscript.TestScript, neg bool, args []string) {
				l, err := net.Listen("tcp", "127.0.0.1:0")
				ts.Check(err)
				ts.Setenv(args[0], l.Addr().String())
				l.Close()
			},
			// httpget URL [STATUS]: wait up to 30 s for URL to answer STATUS
			// (default 200); the body goes to stdout.
			"httpget": func(ts *testscript.TestScript, neg bool, args []string) {
				want := 200
				if len(args) > 1 {
					fmt.Sscan(args[1], &want)
				}
				deadline := time.Now().Add(30 * time.Second)
				for {
					resp, err := http.Get(args[0])
					if err == nil {
						body, _ := io.ReadAll(resp.Body)
						resp.Body.Close()
						if resp.StatusCode == want {
							ts.Stdout().Write(body)
							return
						}
					}
					if time.Now().After(deadline) {
						ts.Fatalf("%s did not answer %d: %v", args[0], want, err)
					}
					time.Sleep(100 * time.Millisecond)
				}
			},
			// exitcode N PROG [ARGS...]: run PROG and require exit code N; its
			// stdout and stderr are kept for the next assertions, as after exec.
			"exitcode": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) < 2 {
					ts.Fatalf("usage: exitcode N PROG [ARGS...]")
				}
				want, err := strconv.Atoi(args[0])
				ts.Check(err)
				err = ts.Exec(args[1], args[2:]...)
				got := 0
				var ee *exec.ExitError
				if errors.As(err, &ee) {
					got = ee.ExitCode()
				} else {
					ts.Check(err)
				}
				if got != want {
					ts.Fatalf("%s exited %d, want %d", strings.Join(args[1:], " "), got, want)
				}
			},
			// envq VAR GO-STRING: set VAR to a Go-quoted string literal, for
			// arguments holding control characters ("a\nb").
			"envq": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 2 {
					ts.Fatalf("usage: envq VAR GO-STRING")
				}
				v, err := strconv.Unquote(args[1])
				ts.Check(err)
				ts.Setenv(args[0], v)
			},
			// jsonenv VAR FILE PATH: set VAR to the value at a dotted PATH of
			// the JSON in FILE (keys with dots or @ are fine: split on '/').
			"jsonenv": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 3 {
					ts.Fatalf("usage: jsonenv VAR FILE PATH")
				}
				var v any
				ts.Check(json.Unmarshal([]byte(ts.ReadFile(args[1])), &v))
				for _, k := range strings.Split(args[2], "/") {
					switch cur := v.(type) {
					case map[string]any:
						v = cur[k]
					case []any:
						var i int
						fmt.Sscan(k, &i)
						v = cur[i]
					}
				}
				if v == nil {
					ts.Fatalf("no value at %s", args[2])
				}
				ts.Setenv(args[0], fmt.Sprint(v))
			},
		},
	}
}

// startServer serves the API over the script's database as `hestami serve`
// does (internal/app through the factory, internal/server), with its data
// dir (document content) at dataDir, and returns its URL.
func startServer(ownerURL, appURL, dataDir string) (string, func(), error) {
	v := config.NewViper()
	v.Set("database.url", ownerURL)
	v.Set("database.app_url", appURL)
	v.Set("authz.pdp_address", testkit.PDPAddress())
	v.Set("data_dir", dataDir)
	f := factory.New(v)
	f.Out, f.ErrOut = io.Discard, io.Discard
	ctx := context.Background()
	a, err := f.App(ctx, true)
	if err != nil {
		f.Close()
		return "", nil, err
	}
	pdp, err := f.PDP(ctx)
	if err != nil {
		f.Close()
		return "", nil, err
	}
	h, err := server.New(a.Invoker, map[string]server.Pinger{"postgres": a.DB, "pdp": pdp})
	if err != nil {
		f.Close()
		return "", nil, err
	}
	ts := httptest.NewServer(h)
	return ts.URL, func() { ts.Close(); f.Close() }, nil
}
