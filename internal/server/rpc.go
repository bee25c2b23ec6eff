package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/hestami/concierge/internal/api"
	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/orpc"
	"github.com/hestami/concierge/internal/telemetry"
)

// callResult is what one oRPC call answers: the status, the headers of the
// call itself and the body. The single-call path writes it to the wire; a
// batch places it in its list.
type callResult struct {
	status int
	header http.Header
	body   []byte
	// file is a file output, answered as the body by a single call (a
	// batch item answers the JSON of the output and closes it).
	file api.FileOutput
	outcome
}

// rpc serves the oRPC RPC protocol. The HTTP method plays no part in
// matching; GET is allowed only for queries (input in ?data=).
func (s *Server) rpc(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("X-Orpc-Batch") != "" {
		s.batch(w, r)
		return
	}
	input := func(p *api.Procedure) (json.RawMessage, []*api.Attachment, error) {
		if r.Method == http.MethodGet {
			if vals := r.URL.Query()["data"]; len(vals) > 0 && vals[len(vals)-1] != "" {
				in, err := orpc.DecodeEnvelope([]byte(vals[len(vals)-1]))
				return in, nil, err
			}
			return nil, nil, nil
		}
		if !p.TakesFiles() {
			in, err := orpc.DecodeRequest(r, maxBody)
			return in, nil, err
		}
		var atts []*api.Attachment
		up := s.invoker.Uploads.For(p)
		in, err := orpc.DecodeRequestFiles(r, maxBody, up.Limit(), func(part io.Reader, name, typ string) (any, error) {
			a, err := up.Spool(part, name, typ)
			if err != nil {
				return nil, err
			}
			atts = append(atts, a)
			return a.File, nil
		})
		if err != nil {
			release(atts)
			return nil, nil, err
		}
		return in, atts, nil
	}
	res := s.call(r.Context(), strings.TrimPrefix(r.URL.EscapedPath(), rpcPrefix), r.Method, r.Header, input)
	noteOutcome(r.Context(), res.outcome)
	for k, v := range res.header {
		w.Header()[k] = v
	}
	if res.file != nil {
		// A file output is the whole body, as oRPC answers a procedure
		// that returns a File (orpc-protocol.md §3).
		writeFile(w, res.file)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(res.status)
	w.Write(res.body)
}

func release(atts []*api.Attachment) {
	for _, a := range atts {
		a.Release()
	}
}

// writeFile answers with f's bytes and closes it. The content is streamed;
// a failure half way aborts the response so the client sees an error, not a
// short file.
func writeFile(w http.ResponseWriter, f api.FileOutput) {
	defer f.Close()
	w.Header().Set("Content-Type", f.MediaType())
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": f.FileName()}))
	w.Header().Set("Content-Length", strconv.FormatInt(f.FileSize(), 10))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	if n, err := io.Copy(w, f); err != nil || n != f.FileSize() {
		panic(http.ErrAbortHandler)
	}
}

// call runs one oRPC call: the procedure's escaped path beneath the RPC
// prefix, the HTTP method, the headers and the input, decoded only once the
// procedure and method are known to be right (as oRPC does). A panic in the
// procedure is answered here, so a batch item's goroutine cannot take the
// process down.
func (s *Server) call(ctx context.Context, escapedPath, method string, h http.Header, input func(*api.Procedure) (json.RawMessage, []*api.Attachment, error)) (res callResult) {
	traceID := telemetry.TraceID(ctx)
	out := outcome{org: orgOf(h)}
	defer func() {
		v := recover()
		if v == nil {
			return
		}
		if v == http.ErrAbortHandler {
			panic(v)
		}
		slog.ErrorContext(ctx, "panic serving a call", "trace_id", traceID, "procedure", out.procedure, "org", out.org,
			"code", string(apperr.Internal), "cause", fmt.Sprint(v), "stack", string(debug.Stack()))
		res = refusal(traceID, 500, string(apperr.Internal), "", apperr.New(apperr.Internal, "internal error"), out)
	}()
	path, err := url.PathUnescape(strings.Trim(escapedPath, "/"))
	p, ok := s.registry.Lookup(path)
	if err != nil || !ok {
		return refusal(traceID, http.StatusNotFound, "NOT_FOUND", "Not Found", apperr.New(apperr.NotFound, "no such procedure"), out)
	}
	out.procedure = p.Path()
	if method == http.MethodGet && p.Kind != api.Query {
		// oRPC's StrictGetMethodPlugin: a GET must be safe, so no mutation
		// runs from a link, an image or a GET batch.
		return refusal(traceID, http.StatusMethodNotAllowed, "METHOD_NOT_SUPPORTED", "Method Not Supported", &apperr.Error{Code: apperr.Validation,
			Message: "GET is allowed only for queries", Fields: []apperr.FieldError{{Field: "(method)", Code: "method_not_supported", Message: p.Path() + " is a mutation: send it with POST"}}}, out)
	}
	in, atts, err := input(p)
	if err != nil {
		return decodeRefusal(traceID, err, out)
	}
	defer release(atts)
	ctx = api.WithAttachments(ctx, atts...)
	req, rerr := request(h, p, in)
	var resp api.Response
	if rerr != nil {
		resp = api.Response{Err: rerr, TraceID: traceID}
	} else {
		resp = s.invoker.Invoke(ctx, req)
	}
	out.replayed = resp.Replayed
	res = callResult{header: callHeaders(resp), outcome: out}
	if resp.Err != nil {
		res.code = string(resp.Err.Code)
		logFailure(ctx, resp.Err, traceID, out)
		res.status = statusOf(resp.Err)
		res.body, _ = orpc.EncodeError(rpcError(p, resp))
		return res
	}
	res.code = "OK"
	res.status = http.StatusOK
	if f, ok := resp.Output.(api.FileOutput); ok {
		res.file = f
		return res
	}
	if res.body, err = orpc.EncodeSuccess(resp.Output); err != nil {
		e := apperr.Wrap(apperr.Internal, err, "internal error")
		logFailure(ctx, e, traceID, out)
		return refusal(traceID, 500, string(apperr.Internal), "", e, out)
	}
	return res
}

// decodeRefusal answers an input that could not be read, with oRPC's code
// and message for it.
func decodeRefusal(traceID string, err error, out outcome) callResult {
	switch {
	case apperr.CodeOf(err) == apperr.PayloadTooLarge:
		// A file over the upload limit: the message says which limit.
		return refusal(traceID, http.StatusRequestEntityTooLarge, "PAYLOAD_TOO_LARGE", "", apperr.From(err), out)
	case errors.Is(err, orpc.ErrTooLarge):
		return refusal(traceID, http.StatusRequestEntityTooLarge, "PAYLOAD_TOO_LARGE", "Payload Too Large", tooLarge(), out)
	case errors.Is(err, orpc.ErrUnsupportedMediaType):
		return refusal(traceID, http.StatusUnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE", "Unsupported Media Type", unsupported(), out)
	}
	return refusal(traceID, http.StatusBadRequest, "BAD_REQUEST", orpc.MalformedMessage, &apperr.Error{Code: apperr.Validation,
		Message: "the request could not be decoded", Fields: []apperr.FieldError{{Field: "(body)", Code: "malformed", Message: "the body is not a valid oRPC request"}}}, out)
}

func tooLarge() *apperr.Error {
	return apperr.New(apperr.PayloadTooLarge, "the request body exceeds %d bytes", maxBody)
}

func unsupported() *apperr.Error {
	return apperr.New(apperr.UnsupportedMediaType, "the request body must be application/json (Content-Type: application/json; curl -d sends application/x-www-form-urlencoded unless told)")
}

// refusal is an RPC error answered before (or instead of) the procedure:
// oRPC's own code, status and message where oRPC defines them, and the
// canonical error in data, with the trace id, as for every other error.
func refusal(traceID string, status int, code, message string, e *apperr.Error, out outcome) callResult {
	if message == "" {
		message = e.PublicMessage()
	}
	body, _ := orpc.EncodeError(orpc.ErrorJSON{Code: code, Status: status, Message: message, Data: dataOf(e, traceID)})
	out.code = string(e.Code)
	return callResult{status: status, body: body, outcome: out}
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

func dataOf(e *apperr.Error, traceID string) rpcData {
	spec := apperr.SpecOf(e.Code)
	data := rpcData{Type: spec.Type, FieldErrors: e.FieldList(), TraceID: traceID, Retryable: spec.Retryable, Issues: []issue{}}
	for _, f := range data.FieldErrors {
		data.Issues = append(data.Issues, issue{Path: issuePath(f.Field), Message: f.Message, Code: f.Code})
	}
	return data
}

func rpcError(p *api.Procedure, res api.Response) orpc.ErrorJSON {
	e := res.Err
	spec := apperr.SpecOf(e.Code)
	return orpc.ErrorJSON{Defined: p.Declares(e.Code), Code: string(e.Code), Status: spec.HTTPStatus, Message: e.PublicMessage(), Data: dataOf(e, res.TraceID)}
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

// writeRPCRefusal writes a refusal of the whole HTTP request.
func writeRPCRefusal(w http.ResponseWriter, r *http.Request, status int, code, message string, e *apperr.Error) {
	res := refusal(telemetry.TraceID(r.Context()), status, code, message, e, outcome{org: orgOf(r.Header)})
	noteOutcome(r.Context(), res.outcome)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(res.status)
	w.Write(res.body)
}
