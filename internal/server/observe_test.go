package server_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"

	"github.com/hestami/concierge/internal/app"
	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/logging/logtest"
	"github.com/hestami/concierge/internal/server"
)

// spanAttrs returns the attributes of the procedure span of a trace.
func spanAttrs(trace, procedure string) map[attribute.Key]string {
	for _, sp := range exporter().GetSpans() {
		if sp.SpanContext.TraceID().String() == trace && sp.Name == procedure {
			m := map[attribute.Key]string{}
			for _, a := range sp.Attributes {
				m[a.Key] = a.Value.Emit()
			}
			return m
		}
	}
	return nil
}

// The span records what the PDP decided, not what the caller was shown: a
// case the PDP hides answers NOT_FOUND and records "deny".
func TestSpanRecordsThePDPDecision(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	oak := s.W.Oak.ID
	trustee, err := s.Identity.CreateToken(s.Ctx, s.W.OakTrustee.UserID, "test", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	agent, err := s.Identity.CreateToken(s.Ctx, s.W.OakAgent.UserID, "test", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	prop := s.NewProperty(s.W.OakTrustee, "Oak house").ID
	st, _, body := s.call(t, "POST", "/api/v1/rpc/case/v1/create", as(trustee.Token, oak, "Idempotency-Key", "d1"), createCaseBody(prop, "Roof"))
	if st != 200 {
		t.Fatalf("create: %d %s", st, body)
	}
	id := dig(decode(t, body), "json", "id").(string)
	get := fmt.Sprintf(`{"json":{"id":%q}}`, id)

	checks := []struct {
		name, token, procedure, body string
		status                       int
		decision                     string
	}{
		{"invisible case", agent.Token, "case/v1/get", get, 404, "deny"},
		{"visible case", trustee.Token, "case/v1/get", get, 200, "allow"},
		{"list", trustee.Token, "case/v1/list", `{}`, 200, "allow"},
		{"unauthenticated", "hst_nope", "case/v1/get", get, 401, "none"},
		{"invalid input", trustee.Token, "case/v1/get", `{"json":{"id":""}}`, 400, "none"},
	}
	for _, c := range checks {
		st, h, body := s.call(t, "POST", "/api/v1/rpc/"+c.procedure, as(c.token, oak), c.body)
		if st != c.status {
			t.Errorf("%s: %d %s", c.name, st, body)
			continue
		}
		if a := spanAttrs(h.Get("X-Trace-Id"), c.procedure); a["hestami.authz.decision"] != c.decision {
			t.Errorf("%s: decision %q, want %q (%v)", c.name, a["hestami.authz.decision"], c.decision, a)
		}
	}
}

// One access line per request with the fields operators search by; an
// error line with the cause of an INTERNAL (which the caller never sees), a
// warn line for a dependency outage; never a token, an e-mail or free text.
// Not parallel: it swaps the process's default logger.
func TestLogsOneLinePerRequestWithoutSecrets(t *testing.T) {
	s := newStack(t)
	org := s.W.Rivera.ID
	buf := &logtest.Buffer{}
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewJSONHandler(buf, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })

	const email, title = "jordan@rivera.test", "Leak under the sink"
	in := fmt.Sprintf(`{"propertyId":%q,"title":%q,"description":%q}`, s.Property, title, "call "+email)
	st, h, body := s.call(t, "POST", "/api/v1/case/v1/create", as(s.Owner, org, "Idempotency-Key", "log-1"), in)
	if st != 200 {
		t.Fatalf("%d %s", st, body)
	}
	lines := buf.Records(t, logtest.Trace(h.Get("X-Trace-Id")))
	if len(lines) != 1 {
		t.Fatalf("want one line, got %v", lines)
	}
	l := lines[0]
	want := map[string]any{"level": "INFO", "msg": "request", "method": "POST", "path": "/api/v1", "procedure": "case/v1/create",
		"status": 200.0, "code": "OK", "org": org, "replayed": false}
	for k, v := range want {
		if l[k] != v {
			t.Errorf("%s = %v, want %v (%v)", k, l[k], v, l)
		}
	}
	if _, ok := l["latency_ms"].(float64); !ok {
		t.Errorf("latency_ms missing: %v", l)
	}
	_, h, _ = s.call(t, "POST", "/api/v1/case/v1/create", as(s.Owner, org, "Idempotency-Key", "log-1"), in)
	if l := buf.Records(t, logtest.Trace(h.Get("X-Trace-Id"))); len(l) != 1 || l[0]["replayed"] != true {
		t.Errorf("replay: %v", l)
	}
	_, h, _ = s.call(t, "POST", "/api/v1/rpc/case/v1/get", as(s.Owner, org), `{"json":{"id":"CASE-2020-9"}}`)
	if l := buf.Records(t, logtest.Trace(h.Get("X-Trace-Id"))); len(l) != 1 || l[0]["code"] != "NOT_FOUND" || l[0]["status"] != 404.0 || l[0]["path"] != "/api/v1/rpc" {
		t.Errorf("not found: %v", l)
	}

	// INTERNAL: the services are missing, so the procedure panics.
	broken, err := server.New(app.New(s.DB, nil).Invoker, nil)
	if err != nil {
		t.Fatal(err)
	}
	// A PDP nobody listens on: DEPENDENCY_UNAVAILABLE.
	dead, err := authz.Dial("unix:"+t.TempDir()+"/no-pdp.sock", 200*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	down, err := server.New(app.New(s.DB, dead).Invoker, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name    string
		h       http.Handler
		path    string
		body    string
		status  int
		level   string
		code    string
		inCause string
	}{
		{"internal rpc", broken, "/api/v1/rpc/property/v1/list", `{"json":{}}`, 500, "ERROR", "INTERNAL", "nil pointer"},
		{"internal plain", broken, "/api/v1/property/v1/list", `{}`, 500, "ERROR", "INTERNAL", "nil pointer"},
		{"pdp down", down, "/api/v1/property/v1/list", `{}`, 503, "WARN", "DEPENDENCY_UNAVAILABLE", ""},
	} {
		ts := httptest.NewServer(c.h)
		req, _ := http.NewRequest("POST", ts.URL+c.path, strings.NewReader(c.body))
		for k, v := range as(s.Owner, org) {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		out.ReadFrom(resp.Body)
		resp.Body.Close()
		ts.Close()
		trace := resp.Header.Get("X-Trace-Id")
		if resp.StatusCode != c.status || trace == "" || !strings.Contains(out.String(), trace) {
			t.Errorf("%s: %d %s", c.name, resp.StatusCode, out.String())
		}
		if c.inCause != "" && strings.Contains(out.String(), c.inCause) {
			t.Errorf("%s: the cause reached the caller: %s", c.name, out.String())
		}
		var access, failure map[string]any
		for _, l := range buf.Records(t, logtest.Trace(trace)) {
			if l["msg"] == "request" {
				access = l
			} else if l["level"] == c.level {
				failure = l
			}
		}
		if access == nil || access["status"] != float64(c.status) || access["code"] != c.code {
			t.Errorf("%s: access line %v", c.name, access)
		}
		if failure == nil || failure["code"] != c.code || failure["cause"] == nil || !strings.Contains(fmt.Sprint(failure["cause"]), c.inCause) {
			t.Errorf("%s: %s line %v", c.name, c.level, failure)
		}
	}

	all := buf.String()
	for _, secret := range []string{s.Owner, email, title, "Bearer"} {
		if strings.Contains(all, secret) {
			t.Errorf("the log holds %q:\n%s", secret, all)
		}
	}
}
