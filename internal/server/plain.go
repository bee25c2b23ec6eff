package server

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/hestami/concierge/internal/api"
	"github.com/hestami/concierge/internal/apperr"
)

// plain serves POST /api/v1/{namespace}/{version}/{procedure} with plain JSON
// bodies and the canonical error envelope. Unknown paths and other methods
// get the envelope with NOT_FOUND.
func (s *Server) plain(w http.ResponseWriter, r *http.Request) {
	path := strings.Trim(strings.TrimPrefix(r.URL.Path, plainPrefix), "/")
	p, ok := s.registry.Lookup(path)
	if !ok || r.Method != http.MethodPost {
		writePlainError(w, api.Response{Err: apperr.New(apperr.NotFound, "no procedure %s %s", r.Method, r.URL.Path)})
		return
	}
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, maxBody)); err != nil {
		writePlainError(w, api.Response{Err: apperr.New(apperr.Validation, "the request body could not be read")})
		return
	}
	input := buf.Bytes()
	if len(bytes.TrimSpace(input)) > 0 && !json.Valid(input) {
		writePlainError(w, api.Response{Err: &apperr.Error{Code: apperr.Validation, Message: "the request body is not valid JSON",
			Fields: []apperr.FieldError{{Field: "(body)", Code: "invalid_json", Message: "the request body is not valid JSON"}}}})
		return
	}
	res := s.invoker.Invoke(r.Context(), request(r, p, input))
	commonHeaders(w, res)
	if res.Err != nil {
		writePlainError(w, res)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(res.Output)
}

func writePlainError(w http.ResponseWriter, res api.Response) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(statusOf(res.Err))
	json.NewEncoder(w).Encode(apperr.ToEnvelope(res.Err, res.TraceID))
}
