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

// ErrorBody is the canonical error envelope of the plain transport.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is the canonical error (api.md §4).
type ErrorDetail struct {
	Code        apperr.Code         `json:"code"`
	Type        string              `json:"type"`
	Message     string              `json:"message"`
	HTTPStatus  int                 `json:"http_status"`
	FieldErrors []apperr.FieldError `json:"field_errors"`
	TraceID     string              `json:"trace_id"`
	Retryable   bool                `json:"retryable"`
}

func writePlainError(w http.ResponseWriter, res api.Response) {
	e := res.Err
	spec := apperr.SpecOf(e.Code)
	body := ErrorBody{Error: ErrorDetail{Code: e.Code, Type: spec.Type, Message: publicMessage(e), HTTPStatus: spec.HTTPStatus,
		FieldErrors: fieldErrors(e), TraceID: res.TraceID, Retryable: spec.Retryable}}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(spec.HTTPStatus)
	json.NewEncoder(w).Encode(body)
}
