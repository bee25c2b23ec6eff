package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hestami/concierge/internal/app"
	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/server"
)

// lintDir holds the npm project that pins the independent validator.
const lintDir = "testdata/openapi-lint"

// openAPIJSON is the document exactly as the server serves it at
// /api/v1/openapi.json (indented the same way, so line numbers in problems
// are readable).
func openAPIJSON(t *testing.T) []byte {
	t.Helper()
	doc, err := server.OpenAPI(app.Declarations())
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// redocly returns the absolute path of the pinned Redocly CLI, running
// `npm ci` first when node_modules is missing or holds another version than
// package.json pins. Without Node.js and npm the test fails: it never skips.
func redocly(t *testing.T) (bin, dir, version string) {
	t.Helper()
	dir, err := filepath.Abs(lintDir)
	if err != nil {
		t.Fatal(err)
	}
	var pkg struct {
		DevDependencies map[string]string `json:"devDependencies"`
	}
	readJSON(t, filepath.Join(dir, "package.json"), &pkg)
	want := pkg.DevDependencies["@redocly/cli"]
	if want == "" {
		t.Fatalf("%s/package.json does not pin @redocly/cli", lintDir)
	}
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not on PATH: the OpenAPI lint needs Node.js 20.19+ or 22.12+ with npm to run @redocly/cli@%s; install them, then scripts/ensure-deps installs the pinned package", tool, want)
		}
	}
	bin = filepath.Join(dir, "node_modules", ".bin", "redocly")
	installed := func() string {
		var p struct {
			Version string `json:"version"`
		}
		b, err := os.ReadFile(filepath.Join(dir, "node_modules", "@redocly", "cli", "package.json"))
		if err != nil || json.Unmarshal(b, &p) != nil {
			return ""
		}
		if _, err := os.Stat(bin); err != nil {
			return ""
		}
		return p.Version
	}
	if got := installed(); got != want {
		t.Logf("installing @redocly/cli@%s in %s (found %q)", want, lintDir, got)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "npm", "ci", "--no-audit", "--no-fund")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("npm ci in %s: %v\n%s", lintDir, err, out)
		}
		if got := installed(); got != want {
			t.Fatalf("after npm ci, %s/node_modules holds @redocly/cli %q, want %q", lintDir, got, want)
		}
	}
	return bin, dir, want
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// lintReport is `redocly lint --format=json` output.
type lintReport struct {
	Totals struct {
		Errors   int `json:"errors"`
		Warnings int `json:"warnings"`
		Ignored  int `json:"ignored"`
	} `json:"totals"`
	Version  string `json:"version"`
	Problems []struct {
		RuleID   string `json:"ruleId"`
		Severity string `json:"severity"`
		Message  string `json:"message"`
		Location []struct {
			Pointer string `json:"pointer"`
			Start   struct {
				Line int `json:"line"`
			} `json:"start"`
		} `json:"location"`
	} `json:"problems"`
}

// TestOpenAPIDocumentPassesRedoclyLint validates the generated document with
// an independent validator: the pinned Redocly CLI's strict `spec` ruleset
// (structure of every OpenAPI object and JSON Schema, references, unique
// operationIds, ...). Any error or warning fails the test. No network: the
// telemetry and the update check are off.
func TestOpenAPIDocumentPassesRedoclyLint(t *testing.T) {
	bin, dir, pinned := redocly(t)
	file := filepath.Join(t.TempDir(), "openapi.json")
	if err := os.WriteFile(file, openAPIJSON(t), 0o644); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "lint", "--extends=spec", "--config", filepath.Join(dir, "redocly.yaml"), "--format=json", file)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "REDOCLY_TELEMETRY=off", "REDOCLY_SUPPRESS_UPDATE_NOTICE=true", "NO_COLOR=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()

	var rep lintReport
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("redocly lint gave no JSON report (%v, run error %v)\nstdout:\n%s\nstderr:\n%s", err, runErr, stdout.String(), stderr.String())
	}
	if strings.Contains(stderr.String(), "configuration struct rule") {
		t.Errorf("redocly rejects %s/redocly.yaml:\n%s", lintDir, stderr.String())
	}
	if rep.Version != pinned {
		t.Errorf("redocly reports version %q, want the pinned %s", rep.Version, pinned)
	}
	if rep.Totals.Errors > 0 || rep.Totals.Warnings > 0 || len(rep.Problems) > 0 {
		var b strings.Builder
		for _, p := range rep.Problems {
			where := ""
			if len(p.Location) > 0 {
				where = fmt.Sprintf("%s (line %d)", p.Location[0].Pointer, p.Location[0].Start.Line)
			}
			fmt.Fprintf(&b, "  %s %s: %s\n    at %s\n", p.Severity, p.RuleID, p.Message, where)
		}
		t.Fatalf("redocly lint --extends=spec: %d error(s), %d warning(s) in the generated OpenAPI document:\n%s", rep.Totals.Errors, rep.Totals.Warnings, b.String())
	}
	if runErr != nil {
		t.Fatalf("redocly lint reported no problem but failed: %v\n%s", runErr, stderr.String())
	}
}

// TestOpenAPIDocumentCoversTheRegistry: every procedure has exactly one
// path /{ns}/{ver}/{name} with a post operation named ns.ver.name, a request
// body schema, a 200 response and a response for the HTTP status of each
// declared error.
func TestOpenAPIDocumentCoversTheRegistry(t *testing.T) {
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(openAPIJSON(t), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi = %q, want 3.1.0", doc.OpenAPI)
	}
	procs := app.Declarations().All()
	if len(procs) == 0 {
		t.Fatal("the registry has no procedures")
	}
	if len(doc.Paths) != len(procs) {
		t.Errorf("%d paths for %d procedures", len(doc.Paths), len(procs))
	}
	opIDs := map[string]string{}
	for _, p := range procs {
		path := "/" + p.Namespace + "/" + p.Version + "/" + p.Name
		item, ok := doc.Paths[path]
		if !ok {
			t.Errorf("%s: no path %s", p, path)
			continue
		}
		if len(item) != 1 || item["post"] == nil {
			keys := make([]string, 0, len(item))
			for k := range item {
				keys = append(keys, k)
			}
			t.Errorf("%s: path item has %v, want exactly post", path, keys)
		}
		var op struct {
			OperationID string `json:"operationId"`
			RequestBody struct {
				Required bool `json:"required"`
				Content  map[string]struct {
					Schema map[string]any `json:"schema"`
				} `json:"content"`
			} `json:"requestBody"`
			Responses map[string]struct {
				Description string                     `json:"description"`
				Content     map[string]json.RawMessage `json:"content"`
			} `json:"responses"`
		}
		if err := json.Unmarshal(item["post"], &op); err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		wantID := p.Namespace + "." + p.Version + "." + p.Name
		if op.OperationID != wantID {
			t.Errorf("%s: operationId %q, want %q", path, op.OperationID, wantID)
		}
		if prev, dup := opIDs[op.OperationID]; dup {
			t.Errorf("operationId %q on both %s and %s", op.OperationID, prev, path)
		}
		opIDs[op.OperationID] = path
		if !op.RequestBody.Required || len(op.RequestBody.Content["application/json"].Schema) == 0 {
			t.Errorf("%s: no required application/json request body schema", path)
		}
		if r, ok := op.Responses["200"]; !ok || r.Content["application/json"] == nil {
			t.Errorf("%s: no 200 application/json response", path)
		}
		for _, c := range append(append([]apperr.Code{}, p.Errors...), apperr.PayloadTooLarge, apperr.UnsupportedMediaType) {
			st := strconv.Itoa(apperr.SpecOf(c).HTTPStatus)
			r, ok := op.Responses[st]
			if !ok {
				t.Errorf("%s: declared error %s has no %s response", path, c, st)
				continue
			}
			if !strings.Contains(r.Description, string(c)) {
				t.Errorf("%s: response %s does not name %s: %q", path, st, c, r.Description)
			}
		}
	}
}
