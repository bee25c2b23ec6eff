package server_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/hestami/concierge/internal/server"
	"github.com/hestami/concierge/internal/testkit"
)

func TestMain(m *testing.M) { testkit.Main(m) }

var (
	spansOnce sync.Once
	spans     *tracetest.InMemoryExporter
)

// exporter installs an in-memory span exporter as the global provider once
// per test binary; tests find their spans by trace id.
func exporter() *tracetest.InMemoryExporter {
	spansOnce.Do(func() {
		spans = tracetest.NewInMemoryExporter()
		otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans)))
	})
	return spans
}

// stack is a running server on its own database, with a small world.
type stack struct {
	*testkit.Bundle
	W        *testkit.World
	URL      string
	Server   *server.Server
	Handler  http.Handler
	Owner    string // token of the Rivera owner
	Staff    string // token of concierge staff
	Chen     string // token of the un-engaged owner
	Property string // a Rivera property id
}

func newStack(t *testing.T, wrap ...func(http.Handler) http.Handler) *stack {
	t.Helper()
	exporter()
	b := testkit.Setup(t)
	w := b.NewWorld()
	b.Cases() // durable procedures need the workflow engine
	srv, err := server.New(b.App.Invoker, map[string]server.Pinger{"postgres": b.DB, "pdp": b.PDP})
	if err != nil {
		t.Fatal(err)
	}
	var h http.Handler = srv
	for _, wr := range wrap {
		h = wr(h)
	}
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	token := func(uid string) string {
		tok, err := b.Identity.CreateToken(b.Ctx, uid, "test", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return tok.Token
	}
	s := &stack{Bundle: b, W: w, URL: ts.URL, Server: srv, Handler: h,
		Owner: token(w.RiveraOwner.UserID), Staff: token(w.Staff), Chen: token(w.ChenOwner.UserID)}
	s.Property = b.NewProperty(w.RiveraOwner, "Rivera home").ID
	return s
}

// call sends one request and returns status, headers and body.
func (s *stack) call(t *testing.T, method, path string, headers map[string]string, body string) (int, http.Header, []byte) {
	t.Helper()
	h := http.Header{}
	for k, v := range headers {
		h.Set(k, v)
	}
	return s.do(t, method, path, h, strings.NewReader(body))
}

// as returns the headers of a JSON call by token in org.
func as(token, org string, extra ...string) map[string]string {
	h := map[string]string{"Authorization": "Bearer " + token, "X-Org-Id": org, "Content-Type": "application/json"}
	for i := 0; i+1 < len(extra); i += 2 {
		h[extra[i]] = extra[i+1]
	}
	return h
}

func decode(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return m
}

// dig follows keys and indices into decoded JSON.
func dig(v any, path ...any) any {
	for _, p := range path {
		switch c := v.(type) {
		case map[string]any:
			v = c[p.(string)]
		case []any:
			i := p.(int)
			if i >= len(c) {
				return nil
			}
			v = c[i]
		default:
			return nil
		}
	}
	return v
}
