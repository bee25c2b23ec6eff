// Package server is `hestami serve`'s HTTP face: the oRPC transport at
// /api/v1/rpc/, plain JSON at /api/v1/{namespace}/{version}/{procedure}, the
// generated OpenAPI document at /api/v1/openapi.json, and health endpoints.
// It adapts requests to api.Invoker; it decides nothing.
package server

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/hestami/concierge/internal/api"
	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/orpc"
)

const (
	rpcPrefix   = "/api/v1/rpc"
	plainPrefix = "/api/v1"
	maxBody     = 10 << 20
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

// ServeHTTP routes r. A panic becomes a 500 INTERNAL answer in the
// transport's error shape that reveals nothing but the trace id of the log
// line (net/http's own abort stays an abort).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		v := recover()
		if v == nil {
			return
		}
		if v == http.ErrAbortHandler {
			panic(v)
		}
		slog.Error("panic serving request", "path", r.URL.Path, "panic", v, "stack", string(debug.Stack()))
		e := apperr.New(apperr.Internal, "internal error")
		if strings.HasPrefix(r.URL.Path, rpcPrefix) {
			writeRPCError(w, 500, orpc.ErrorJSON{Code: string(apperr.Internal), Status: 500, Message: e.PublicMessage()})
			return
		}
		writePlainError(w, api.Response{Err: e})
	}()
	s.mux.ServeHTTP(w, r)
}

func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	status := map[string]string{}
	ok := true
	for name, d := range s.deps {
		if err := d.Ping(ctx); err != nil {
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

// request builds the pipeline request from the HTTP headers.
func request(r *http.Request, p *api.Procedure, input json.RawMessage) api.Request {
	token := ""
	if h := r.Header.Get("Authorization"); len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		token = strings.TrimSpace(h[7:])
	}
	return api.Request{Procedure: p, Token: token, OrgID: strings.TrimSpace(r.Header.Get("X-Org-Id")),
		IdempotencyKey: r.Header.Get("Idempotency-Key"), Input: input}
}

// commonHeaders sets the headers every response of a call carries.
func commonHeaders(w http.ResponseWriter, res api.Response) {
	if res.Replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	if res.Err != nil {
		if res.Err.Code == apperr.IdempotencyInProgress || res.Err.Code == apperr.DependencyUnavailable {
			w.Header().Set("Retry-After", "1")
		}
	}
	if res.TraceID != "" {
		w.Header().Set("X-Trace-Id", res.TraceID)
	}
}

func statusOf(e *apperr.Error) int { return apperr.SpecOf(e.Code).HTTPStatus }
