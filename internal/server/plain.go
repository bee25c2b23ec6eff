package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"

	"github.com/hestami/concierge/internal/api"
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
	var input []byte
	if mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err == nil && mt == "multipart/form-data" && p.TakesFiles() {
		in, atts, e := s.plainMultipart(w, r, s.invoker.Uploads.For(p), params["boundary"])
		defer release(atts)
		if e != nil {
			fail(e)
			return
		}
		input = in
		ctx = api.WithAttachments(ctx, atts...)
	} else {
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
			fail(unreadable())
			return
		}
		input = buf.Bytes()
	}
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
	if f, ok := res.Output.(api.FileOutput); ok {
		writeFile(w, f)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(res.Output)
}

func writePlainError(w http.ResponseWriter, e *apperr.Error, traceID string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(statusOf(e))
	json.NewEncoder(w).Encode(apperr.ToEnvelope(e, traceID))
}

func unreadable() *apperr.Error {
	return &apperr.Error{Code: apperr.Validation, Message: "the request body could not be read",
		Fields: []apperr.FieldError{{Field: "(body)", Code: "unreadable", Message: "the request body could not be read"}}}
}

// plainMultipart reads a plain multipart/form-data call: the part "input"
// is the JSON input (an object), every part with a file name is a file,
// streamed to the upload spool and placed at the input member its part
// names, e.g.
//
//	curl -F 'input={"category":"PERMIT","visibility":"OWNER_AND_STAFF","propertyId":"…"}' -F file=@permit.pdf …
func (s *Server) plainMultipart(w http.ResponseWriter, r *http.Request, up api.Uploads, boundary string) ([]byte, []*api.Attachment, *apperr.Error) {
	malformed := &apperr.Error{Code: apperr.Validation, Message: "the multipart body is malformed",
		Fields: []apperr.FieldError{{Field: "(body)", Code: "malformed", Message: "send a part \"input\" (JSON) and file parts with a filename"}}}
	limit := up.Limit()
	if boundary == "" {
		return nil, nil, malformed
	}
	if r.ContentLength > maxBody+limit {
		return nil, nil, up.TooLarge()
	}
	mr := multipart.NewReader(http.MaxBytesReader(w, r.Body, maxBody+limit), boundary)
	input := map[string]any{}
	var atts []*api.Attachment
	files := map[string]api.File{}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, atts, up.TooLarge()
		}
		if err != nil {
			return nil, atts, malformed
		}
		switch {
		case part.FileName() != "":
			a, err := up.Spool(part, part.FileName(), part.Header.Get("Content-Type"))
			if err != nil {
				if errors.As(err, &mbe) {
					return nil, atts, up.TooLarge()
				}
				if e := apperr.From(err); e.Code == apperr.PayloadTooLarge {
					return nil, atts, e
				}
				return nil, atts, unreadable()
			}
			atts = append(atts, a)
			files[part.FormName()] = a.File
		case part.FormName() == "input":
			var buf bytes.Buffer
			if _, err := buf.ReadFrom(io.LimitReader(part, maxBody+1)); err != nil {
				return nil, atts, unreadable()
			}
			if int64(buf.Len()) > maxBody {
				return nil, atts, tooLarge()
			}
			if err := json.Unmarshal(buf.Bytes(), &input); err != nil {
				return nil, atts, &apperr.Error{Code: apperr.Validation, Message: "the input part is not a JSON object",
					Fields: []apperr.FieldError{{Field: "input", Code: "invalid_json", Message: "the input part must be a JSON object"}}}
			}
		default:
			return nil, atts, malformed
		}
	}
	for name, f := range files {
		input[name] = f
	}
	out, err := json.Marshal(input)
	if err != nil {
		return nil, atts, malformed
	}
	return out, atts, nil
}
