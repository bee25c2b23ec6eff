package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/hestami/concierge/internal/api"
	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/orpc"
	"github.com/hestami/concierge/internal/telemetry"
)

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

// batch runs up to maxBatch calls of one request; each answer is exactly
// what the single call would have answered. Streaming mode sends them as
// SSE in completion order. The whole request is checked before any item
// runs: an item may not itself be a batch (so the limit counts every call
// of the request), and a GET batch runs every item as a GET, so it can run
// queries only.
func (s *Server) batch(w http.ResponseWriter, r *http.Request) {
	noteOutcome(r.Context(), outcome{procedure: "(batch)", org: orgOf(r.Header)})
	var raw []byte
	if r.Method == http.MethodGet {
		raw = []byte(r.URL.Query().Get("batch"))
	} else {
		if !orpc.IsJSON(r.Header.Get("Content-Type")) {
			writeRPCRefusal(w, r, http.StatusUnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE", "Unsupported Media Type", unsupported())
			return
		}
		if r.ContentLength > maxBody {
			writeRPCRefusal(w, r, http.StatusRequestEntityTooLarge, "PAYLOAD_TOO_LARGE", "Payload Too Large", tooLarge())
			return
		}
		var buf bytes.Buffer
		if _, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, maxBody)); err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				writeRPCRefusal(w, r, http.StatusRequestEntityTooLarge, "PAYLOAD_TOO_LARGE", "Payload Too Large", tooLarge())
				return
			}
			writeRPCRefusal(w, r, http.StatusBadRequest, "BAD_REQUEST", "Invalid batch request", badBatch("the batch body could not be read"))
			return
		}
		raw = buf.Bytes()
	}
	var items []batchItem
	if err := json.Unmarshal(raw, &items); err != nil {
		writeRPCRefusal(w, r, http.StatusBadRequest, "BAD_REQUEST", "Invalid batch request", badBatch("the batch must be a JSON array of calls"))
		return
	}
	if len(items) > maxBatch {
		writeRPCRefusal(w, r, http.StatusRequestEntityTooLarge, "PAYLOAD_TOO_LARGE", "Batch request size exceeds the maximum allowed size",
			apperr.New(apperr.PayloadTooLarge, "a batch holds at most %d calls", maxBatch))
		return
	}
	for _, it := range items {
		for k := range it.Headers {
			if strings.EqualFold(k, "X-Orpc-Batch") {
				writeRPCRefusal(w, r, http.StatusBadRequest, "BAD_REQUEST", "Invalid batch request", badBatch("a batch item may not itself be a batch"))
				return
			}
		}
	}
	noteOutcome(r.Context(), outcome{procedure: "(batch)", org: orgOf(r.Header), items: len(items)})

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

	if r.Header.Get("X-Orpc-Batch") == "buffered" {
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

func badBatch(why string) *apperr.Error {
	return &apperr.Error{Code: apperr.Validation, Message: "the batch request is invalid",
		Fields: []apperr.FieldError{{Field: "(body)", Code: "invalid_batch", Message: why}}}
}

// runItem dispatches one item to the single-call path with the batch's
// headers overlaid by the item's.
func (s *Server) runItem(batchReq *http.Request, index int, it batchItem) batchResult {
	u, err := url.Parse(it.URL)
	if err != nil || !strings.HasPrefix(u.EscapedPath(), rpcPrefix+"/") {
		// Answered as an unknown procedure is, with a trace id (oRPC's stock
		// plugin sends a bare string, which the client maps to NOT_FOUND too).
		res := refusal(telemetry.TraceID(batchReq.Context()), http.StatusNotFound, "NOT_FOUND", "Not Found", apperr.New(apperr.NotFound, "no such procedure"), outcome{})
		return batchResult{Index: index, Status: res.status, Body: res.body}
	}
	method := batchReq.Method
	if it.Method != "" && method != http.MethodGet {
		method = strings.ToUpper(it.Method)
	}
	h := batchReq.Header.Clone()
	h.Del("X-Orpc-Batch")
	h.Del("Content-Length")
	h.Del("Content-Type")
	// An item header replaces the batch's; two spellings of one name in an
	// item stay two values, which the duplicate-header check refuses.
	replaced := map[string]bool{}
	for k, v := range it.Headers {
		ck := http.CanonicalHeaderKey(k)
		if !replaced[ck] {
			h.Del(ck)
			replaced[ck] = true
		}
		h.Add(ck, v)
	}
	res := s.call(batchReq.Context(), strings.TrimPrefix(u.EscapedPath(), rpcPrefix), method, h,
		func(*api.Procedure) (json.RawMessage, []*api.Attachment, error) {
			in, err := orpc.DecodeEnvelope(it.Body)
			return in, nil, err
		})
	if res.file != nil {
		// Batch items never carry files (orpc-protocol.md §2.5): the item
		// answers the output's JSON.
		res.file.Close()
		res.body, _ = orpc.EncodeSuccess(res.file)
	}
	out := batchResult{Index: index, Status: res.status, Body: res.body}
	for k, v := range res.header {
		if out.Headers == nil {
			out.Headers = map[string]string{}
		}
		out.Headers[strings.ToLower(k)] = v[0]
	}
	return out
}
