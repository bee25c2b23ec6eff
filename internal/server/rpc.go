package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/hestami/concierge/internal/api"
	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/orpc"
)

// rpc serves the oRPC RPC protocol. The HTTP method plays no part in
// matching; GET is allowed only for queries (input in ?data=).
func (s *Server) rpc(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("X-Orpc-Batch") != "" {
		s.batch(w, r)
		return
	}
	rest := strings.Trim(strings.TrimPrefix(r.URL.EscapedPath(), rpcPrefix), "/")
	path, err := url.PathUnescape(rest)
	p, ok := s.registry.Lookup(path)
	if err != nil || !ok {
		writeRPCError(w, http.StatusNotFound, orpc.ErrorJSON{Code: "NOT_FOUND", Status: 404, Message: "Not Found"})
		return
	}
	var input json.RawMessage
	if r.Method == http.MethodGet {
		if p.Kind != api.Query {
			writeRPCError(w, http.StatusMethodNotAllowed, orpc.ErrorJSON{Code: "METHOD_NOT_SUPPORTED", Status: 405, Message: "Method Not Supported"})
			return
		}
		if vals := r.URL.Query()["data"]; len(vals) > 0 && vals[len(vals)-1] != "" {
			input, err = orpc.DecodeEnvelope([]byte(vals[len(vals)-1]))
		}
	} else {
		input, err = orpc.DecodeRequest(r, maxBody)
	}
	if err != nil {
		if errors.Is(err, orpc.ErrTooLarge) {
			writeRPCError(w, http.StatusRequestEntityTooLarge, orpc.ErrorJSON{Code: "PAYLOAD_TOO_LARGE", Status: 413, Message: "Payload Too Large"})
			return
		}
		writeRPCError(w, http.StatusBadRequest, orpc.ErrorJSON{Code: "BAD_REQUEST", Status: 400, Message: orpc.MalformedMessage})
		return
	}
	res := s.invoker.Invoke(r.Context(), request(r, p, input))
	commonHeaders(w, res)
	if res.Err != nil {
		writeRPCError(w, statusOf(res.Err), rpcError(p, res))
		return
	}
	body, err := orpc.EncodeSuccess(res.Output)
	if err != nil {
		writeRPCError(w, 500, orpc.ErrorJSON{Code: string(apperr.Internal), Status: 500, Message: "internal error"})
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}

// rpcData is the canonical envelope inside oRPC's error data, with issues
// in the shape oRPC form helpers read.
type rpcData struct {
	Type        string              `json:"type"`
	FieldErrors []apperr.FieldError `json:"field_errors"`
	TraceID     string              `json:"trace_id"`
	Retryable   bool                `json:"retryable"`
	Issues      []issue             `json:"issues"`
}

type issue struct {
	Path    []any  `json:"path"`
	Message string `json:"message"`
	Code    string `json:"code"`
}

func rpcError(p *api.Procedure, res api.Response) orpc.ErrorJSON {
	e := res.Err
	spec := apperr.SpecOf(e.Code)
	data := rpcData{Type: spec.Type, FieldErrors: e.FieldList(), TraceID: res.TraceID, Retryable: spec.Retryable, Issues: []issue{}}
	for _, f := range data.FieldErrors {
		data.Issues = append(data.Issues, issue{Path: issuePath(f.Field), Message: f.Message, Code: f.Code})
	}
	return orpc.ErrorJSON{Defined: p.Declares(e.Code), Code: string(e.Code), Status: spec.HTTPStatus, Message: e.PublicMessage(), Data: data}
}

// issuePath turns "address.line1" into ["address","line1"] and "status[0]"
// into ["status",0].
func issuePath(field string) []any {
	var out []any
	for _, seg := range strings.Split(field, ".") {
		name, rest, _ := strings.Cut(seg, "[")
		if name != "" {
			out = append(out, name)
		}
		for rest != "" {
			idx, after, _ := strings.Cut(rest, "]")
			if n, err := strconv.Atoi(idx); err == nil {
				out = append(out, n)
			}
			rest = strings.TrimPrefix(after, "[")
		}
	}
	if out == nil {
		out = []any{}
	}
	return out
}

func writeRPCError(w http.ResponseWriter, status int, e orpc.ErrorJSON) {
	body, _ := orpc.EncodeError(e)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(body)
}

type batchItem struct {
	Body    json.RawMessage   `json:"body"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers"`
	Method  string            `json:"method"`
}

type batchResult struct {
	Index   int               `json:"index"`
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    json.RawMessage   `json:"body"`
}

// batch runs up to ten calls; each answer is exactly what the single call
// would have answered. Streaming mode sends them as SSE in completion order.
func (s *Server) batch(w http.ResponseWriter, r *http.Request) {
	var raw []byte
	if r.Method == http.MethodGet {
		raw = []byte(r.URL.Query().Get("batch"))
	} else {
		var buf bytes.Buffer
		if _, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, maxBody)); err != nil {
			http.Error(w, "Invalid batch request", http.StatusBadRequest)
			return
		}
		raw = buf.Bytes()
	}
	var items []batchItem
	if err := json.Unmarshal(raw, &items); err != nil {
		http.Error(w, "Invalid batch request", http.StatusBadRequest)
		return
	}
	if len(items) > maxBatch {
		http.Error(w, "Batch request size exceeds the maximum allowed size", http.StatusRequestEntityTooLarge)
		return
	}
	buffered := r.Header.Get("X-Orpc-Batch") == "buffered"
	results := make(chan batchResult, len(items))
	var wg sync.WaitGroup
	for i, it := range items {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results <- s.runItem(r, i, it)
		}()
	}
	go func() { wg.Wait(); close(results) }()

	if buffered {
		out := make([]batchResult, len(items))
		for res := range results {
			out[res.Index] = res
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusMultiStatus)
		json.NewEncoder(w).Encode(out)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusMultiStatus)
	flusher, _ := w.(http.Flusher)
	w.Write([]byte(": \n\n"))
	for res := range results {
		b, _ := json.Marshal(res)
		w.Write([]byte("event: message\ndata: "))
		w.Write(b)
		w.Write([]byte("\n\n"))
		if flusher != nil {
			flusher.Flush()
		}
	}
}

func (s *Server) runItem(batchReq *http.Request, index int, it batchItem) batchResult {
	u, err := url.Parse(it.URL)
	if err != nil || !strings.HasPrefix(u.EscapedPath(), rpcPrefix+"/") {
		return batchResult{Index: index, Status: 404, Body: json.RawMessage(`"No procedure matched"`)}
	}
	method := batchReq.Method
	if it.Method != "" {
		method = it.Method
	}
	var body []byte
	if method != http.MethodGet {
		body = it.Body
	} else {
		q := u.Query()
		q.Set("data", string(it.Body))
		u.RawQuery = q.Encode()
	}
	req := httptest.NewRequestWithContext(batchReq.Context(), method, u.RequestURI(), bytes.NewReader(body))
	for k, vs := range batchReq.Header {
		if strings.EqualFold(k, "X-Orpc-Batch") || strings.EqualFold(k, "Content-Length") {
			continue
		}
		req.Header[k] = vs
	}
	for k, v := range it.Headers {
		req.Header.Set(k, v)
	}
	if method != http.MethodGet {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	s.rpc(rec, req)
	res := batchResult{Index: index, Status: rec.Code, Body: rec.Body.Bytes()}
	for _, k := range []string{"Idempotent-Replayed", "Retry-After"} {
		if v := rec.Header().Get(k); v != "" {
			if res.Headers == nil {
				res.Headers = map[string]string{}
			}
			res.Headers[strings.ToLower(k)] = v
		}
	}
	return res
}
