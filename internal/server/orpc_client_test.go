package server_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestORPCClient drives the running server with an unmodified @orpc/client
// RPCLink (testdata/e2e/client.mjs, the version pinned in its package.json)
// under Node: Dates both ways, idempotent retries by header and by input key,
// list filters, typed and validation errors, an unknown procedure and
// batches in both response modes. Node 20+ and npm are required.
func TestORPCClient(t *testing.T) {
	dir, err := filepath.Abs(filepath.Join("testdata", "e2e"))
	if err != nil {
		t.Fatal(err)
	}
	node := nodeTool(t, "node")
	if out, err := exec.Command(node, "--version").Output(); err != nil {
		t.Fatalf("node --version: %v", err)
	} else if v := strings.TrimPrefix(strings.TrimSpace(string(out)), "v"); majorOf(v) < 20 {
		t.Fatalf("TestORPCClient needs Node 20 or newer; %s is %s", node, v)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@orpc", "client", "package.json")); err != nil {
		npm := nodeTool(t, "npm")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("npm ci in %s: %v\n%s", dir, err, out)
		}
	}

	s := newStack(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "client.mjs")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"BASE_URL="+s.URL,
		"OWNER_TOKEN="+s.Owner,
		"STAFF_TOKEN="+s.Staff,
		"ORG_ID="+s.W.Rivera.ID,
		"PROPERTY_ID="+s.Property,
	)
	out, err := cmd.CombinedOutput()
	t.Logf("node client.mjs:\n%s", out)
	if err != nil {
		t.Fatalf("node client.mjs failed (%v):\n%s", err, out)
	}
}

// nodeTool finds a Node tool on PATH or fails the test: the e2e check must
// not be skipped silently.
func nodeTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("TestORPCClient needs %s (Node.js 20+ with npm) on PATH: %v; install Node.js (scripts/ensure-deps installs the e2e client's packages)", name, err)
	}
	return p
}

func majorOf(version string) int {
	major, _, _ := strings.Cut(version, ".")
	n, _ := strconv.Atoi(major)
	return n
}
