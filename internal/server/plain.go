package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/orpc"
	"github.com/hestami/concierge/internal/telemetry"
)

// plain serves POST /api/v1/{namespace}/{version}/{procedure} with plain JSON
// bodies and the canonical error envelope. Unknown paths and other methods
// get the envelope with NOT_FOUND.
func (s *Server) plain(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	traceID := telemetry.TraceID(ctx)
	out := outcome{org: orgOf(r.Header)}
	fail := func(e *apperr.Error) {
		out.code = string(e.Code)
		noteOutcome(ctx, out)
		logFailure(ctx, e, traceID, out)
		writePlainError(w, e, traceID)
	}
	path := strings.Trim(strings.TrimPrefix(r.URL.Path, plainPrefix), "/")
	p, ok := s.registry.Lookup(path)
	if !ok || r.Method != http.MethodPost {
		fail(apperr.New(apperr.NotFound, "no procedure %s %s", r.Method, routeOf(r.URL.Path)))
		return
	}
	out.procedure = p.Path()
	noteOutcome(ctx, out) // known now, should the procedure panic
	if !orpc.IsJSON(r.Header.Get("Content-Type")) {
		fail(unsupported())
		return
	}
	if r.ContentLength > maxBody {
		fail(tooLarge())
		return
	}
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, maxBody)); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			fail(tooLarge())
			return
		}
		fail(&apperr.Error{Code: apperr.Validation, Message: "the request body could not be read",
			Fields: []apperr.FieldError{{Field: "(body)", Code: "unreadable", Message: "the request body could not be read"}}})
		return
	}
	input := buf.Bytes()
	if len(bytes.TrimSpace(input)) > 0 && !json.Valid(input) {
		fail(&apperr.Error{Code: apperr.Validation, Message: "the request body is not valid JSON",
			Fields: []apperr.FieldError{{Field: "(body)", Code: "invalid_json", Message: "the request body is not valid JSON"}}})
		return
	}
	req, rerr := request(r.Header, p, input)
	if rerr != nil {
		fail(rerr)
		return
	}
	res := s.invoker.Invoke(ctx, req)
	out.replayed = res.Replayed
	for k, v := range callHeaders(res) {
		w.Header()[k] = v
	}
	if res.Err != nil {
		fail(res.Err)
		return
	}
	out.code = "OK"
	noteOutcome(ctx, out)
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(res.Output)
}

func writePlainError(w http.ResponseWriter, e *apperr.Error, traceID string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(statusOf(e))
	json.NewEncoder(w).Encode(apperr.ToEnvelope(e, traceID))
}
