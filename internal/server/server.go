// Package server is `hestami serve`'s HTTP face: the oRPC transport at
// /api/v1/rpc/, plain JSON at /api/v1/{namespace}/{version}/{procedure}, the
// generated OpenAPI document at /api/v1/openapi.json, and health endpoints.
// It adapts requests to api.Invoker; it decides nothing.
package server

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/hestami/concierge/internal/api"
	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/telemetry"
)

var tracer = otel.Tracer("github.com/hestami/concierge/internal/server")

const (
	rpcPrefix   = "/api/v1/rpc"
	plainPrefix = "/api/v1"
	maxBody     = 10 << 20 // bytes of one request, a batch included (README)
	maxBatch    = 10
)

// Pinger reports whether a dependency answers.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Server routes HTTP requests.
type Server struct {
	invoker  *api.Invoker
	registry *api.Registry
	openapi  []byte
	deps     map[string]Pinger
	mux      *http.ServeMux
}

// New builds the handler. deps are checked by /readyz.
func New(iv *api.Invoker, deps map[string]Pinger) (*Server, error) {
	doc, err := OpenAPI(iv.Registry)
	if err != nil {
		return nil, err
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, err
	}
	s := &Server{invoker: iv, registry: iv.Registry, openapi: b, deps: deps, mux: http.NewServeMux()}
	s.mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"status":"ok"}`))
	})
	s.mux.HandleFunc("/readyz", s.ready)
	s.mux.HandleFunc("GET /api/v1/openapi.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(s.openapi)
	})
	s.mux.HandleFunc(rpcPrefix+"/", s.rpc)
	s.mux.HandleFunc(rpcPrefix, s.rpc)
	s.mux.HandleFunc(plainPrefix+"/", s.plain)
	return s, nil
}

// ServeHTTP routes r. Every /api/v1 request runs in a server span, so every
// answer, transport refusals included, carries its trace id (X-Trace-Id and
// the error body), and ends with one access log line. A panic becomes a 500
// INTERNAL answer in the transport's error shape that reveals nothing but
// the trace id (net/http's own abort stays an abort).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.URL.Path, plainPrefix+"/") {
		s.mux.ServeHTTP(w, r)
		return
	}
	start := time.Now()
	ctx := otel.GetTextMapPropagator().Extract(r.Context(), propagation.HeaderCarrier(r.Header))
	ctx, span := tracer.Start(ctx, r.Method+" "+routeOf(r.URL.Path), trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(attribute.String("http.request.method", r.Method), attribute.String("url.path", routeOf(r.URL.Path))))
	defer span.End()
	rec := &outcome{}
	ctx = context.WithValue(ctx, outcomeKey{}, rec)
	r = r.WithContext(ctx)
	sw := &statusWriter{ResponseWriter: w}
	traceID := telemetry.TraceID(ctx)
	sw.Header().Set("X-Trace-Id", traceID)
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				accessLog(r, rec, 0, traceID, start)
				panic(v)
			}
			slog.ErrorContext(ctx, "panic serving request", "trace_id", traceID, "path", routeOf(r.URL.Path),
				"procedure", rec.procedure, "org", rec.org, "code", string(apperr.Internal), "cause", fmt.Sprint(v), "stack", string(debug.Stack()))
			e := apperr.New(apperr.Internal, "internal error")
			rec.code = string(e.Code)
			if sw.status == 0 {
				if strings.HasPrefix(r.URL.Path, rpcPrefix) {
					writeRPCRefusal(sw, r, 500, string(apperr.Internal), "", e)
				} else {
					writePlainError(sw, e, traceID)
				}
			}
		}
		span.SetAttributes(attribute.Int("http.response.status_code", sw.status))
		if sw.status >= 500 {
			span.SetStatus(codes.Error, rec.code)
		}
		accessLog(r, rec, sw.status, traceID, start)
	}()
	s.mux.ServeHTTP(sw, r)
}

// routeOf names a path by its route, not its raw text: the procedure path
// for calls (a bounded set), the prefix for anything else.
func routeOf(path string) string {
	switch {
	case strings.HasPrefix(path, rpcPrefix+"/") || path == rpcPrefix:
		return rpcPrefix
	case path == plainPrefix+"/openapi.json":
		return path
	}
	return plainPrefix
}

func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	status := map[string]string{}
	ok := true
	for name, d := range s.deps {
		if err := d.Ping(ctx); err != nil {
			slog.WarnContext(ctx, "dependency unavailable", "dependency", name, "code", string(apperr.DependencyUnavailable), "cause", err.Error())
			status[name] = "unavailable"
			ok = false
		} else {
			status[name] = "ok"
		}
	}
	w.Header().Set("Content-Type", "application/json")
	if !ok {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	json.NewEncoder(w).Encode(map[string]any{"ready": ok, "dependencies": status})
}

// request builds the pipeline request from the HTTP headers. The caller's
// headers must each appear once: two Authorization or X-Org-Id headers
// would otherwise be resolved silently to the first, and a proxy and a
// client could each believe theirs counted.
func request(h http.Header, p *api.Procedure, input json.RawMessage) (api.Request, *apperr.Error) {
	var fields apperr.Fields
	for _, name := range []string{"Authorization", "X-Org-Id", "Idempotency-Key"} {
		if len(h.Values(name)) > 1 {
			fields.Add(name, "duplicate", name+" must be sent once")
		}
	}
	if err := fields.Err(); err != nil {
		return api.Request{}, apperr.From(err)
	}
	token := ""
	if v := h.Get("Authorization"); len(v) > 7 && strings.EqualFold(v[:7], "bearer ") {
		token = strings.TrimSpace(v[7:])
	}
	return api.Request{Procedure: p, Token: token, OrgID: strings.TrimSpace(h.Get("X-Org-Id")),
		IdempotencyKey: h.Get("Idempotency-Key"), Input: input}, nil
}

// callHeaders are the headers of a call's answer besides its content type.
func callHeaders(res api.Response) http.Header {
	h := http.Header{}
	if res.Replayed {
		h.Set("Idempotent-Replayed", "true")
	}
	if res.Err != nil {
		if res.Err.Code == apperr.IdempotencyInProgress || res.Err.Code == apperr.DependencyUnavailable {
			h.Set("Retry-After", "1")
		}
	}
	return h
}

func statusOf(e *apperr.Error) int { return apperr.SpecOf(e.Code).HTTPStatus }
