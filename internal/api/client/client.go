// Package client is the Go client of the hestami API, driven by the
// procedure registry: it calls any registered procedure over the plain JSON
// transport and turns the canonical error envelope back into *apperr.Error.
package client

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"

	"github.com/hestami/concierge/internal/api"
	"github.com/hestami/concierge/internal/app"
	"github.com/hestami/concierge/internal/apperr"
)

// Client calls one server as one user in one organization.
type Client struct {
	BaseURL string // e.g. http://127.0.0.1:8080
	Token   string
	OrgID   string
	HTTP    *http.Client

	registry *api.Registry
}

// New returns a client for baseURL.
func New(baseURL, token, orgID string) *Client {
	return &Client{BaseURL: strings.TrimRight(baseURL, "/"), Token: token, OrgID: orgID, HTTP: http.DefaultClient, registry: app.Declarations()}
}

// Result carries what the server said besides the output.
type Result struct {
	Replayed bool
	TraceID  string
}

// Call invokes procedure ("case/v1/create") with in, decoding the output
// into out. Mutations use key as the idempotency key; an empty key gets a
// random one (so a caller that wants safe retries passes its own).
//
// The files ctx carries (api.WithAttachments) travel as multipart file
// parts when the procedure takes files. A procedure whose output is a file
// needs out to be an *api.FileOutput: it receives the response body, which
// the caller closes.
func (c *Client) Call(ctx context.Context, procedure string, in, out any, key string) (Result, error) {
	p, ok := c.registry.Lookup(procedure)
	if !ok {
		return Result{}, apperr.New(apperr.NotFound, "no procedure %s", procedure)
	}
	if in == nil {
		in = struct{}{}
	}
	body, err := json.Marshal(in)
	if err != nil {
		return Result{}, err
	}
	contentType := "application/json"
	var reader io.Reader = bytes.NewReader(body)
	if atts := api.AttachmentsOf(ctx); len(atts) > 0 && p.TakesFiles() {
		if reader, contentType, err = multipartBody(body, atts); err != nil {
			return Result{}, err
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.BaseURL+"/api/v1/"+p.Path(), reader)
	if err != nil {
		return Result{}, err
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Authorization", "Bearer "+c.Token)
	req.Header.Set("X-Org-Id", c.OrgID)
	if p.Kind == api.Mutation {
		if key == "" {
			b := make([]byte, 16)
			_, _ = rand.Read(b)
			key = hex.EncodeToString(b)
		}
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return Result{}, ctx.Err()
		}
		return Result{}, apperr.Wrap(apperr.DependencyUnavailable, err, "the hestami server at %s is unreachable", c.BaseURL)
	}
	res := Result{Replayed: resp.Header.Get("Idempotent-Replayed") == "true", TraceID: resp.Header.Get("X-Trace-Id")}
	if fo, ok := out.(*api.FileOutput); ok && resp.StatusCode == http.StatusOK && isAttachment(resp.Header) {
		*fo = newFile(resp)
		return res, nil
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return res, apperr.Wrap(apperr.DependencyUnavailable, err, "the hestami server at %s broke off its answer", c.BaseURL)
	}
	if resp.StatusCode != http.StatusOK {
		var env apperr.Envelope
		if json.Unmarshal(raw, &env) != nil || env.Error.Code == "" {
			// Not hestami's envelope: a proxy or another program answered.
			return res, apperr.New(apperr.DependencyUnavailable, "the hestami server at %s answered %s to %s", c.BaseURL, resp.Status, procedure)
		}
		if res.TraceID == "" {
			res.TraceID = env.Error.TraceID
		}
		fields := env.Error.FieldErrors
		if len(fields) == 0 {
			fields = nil
		}
		return res, &apperr.Error{Code: env.Error.Code, Message: env.Error.Message, Fields: fields}
	}
	if out != nil {
		if fo, ok := out.(*api.FileOutput); ok {
			// A file procedure answered JSON: not a server of this version.
			*fo = nil
			return res, apperr.New(apperr.DependencyUnavailable, "the hestami server at %s did not answer %s with a file", c.BaseURL, procedure)
		}
		if err := json.Unmarshal(raw, out); err != nil {
			return res, apperr.Wrap(apperr.DependencyUnavailable, err, "the hestami server at %s answered %s with output this client cannot read (a different version?)", c.BaseURL, procedure)
		}
	}
	return res, nil
}

// multipartBody is the plain transport's upload form: the part "input"
// holds the JSON input, and each attachment goes as a file part named after
// the input member that describes it (the server puts the spooled file's
// description back at that member).
func multipartBody(input []byte, atts []*api.Attachment) (io.Reader, string, error) {
	var members map[string]json.RawMessage
	if err := json.Unmarshal(input, &members); err != nil {
		return nil, "", fmt.Errorf("client: a file upload's input must be an object: %w", err)
	}
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		pw.CloseWithError(writeParts(mw, input, members, atts))
	}()
	return pr, mw.FormDataContentType(), nil
}

func writeParts(mw *multipart.Writer, input []byte, members map[string]json.RawMessage, atts []*api.Attachment) error {
	part, err := mw.CreateFormField("input")
	if err != nil {
		return err
	}
	if _, err := part.Write(input); err != nil {
		return err
	}
	for name, raw := range members {
		var f api.File
		if json.Unmarshal(raw, &f) != nil || f.SHA256 == "" {
			continue
		}
		for _, a := range atts {
			if a.SHA256 != f.SHA256 || a.Size != f.Size {
				continue
			}
			if err := writeFilePart(mw, name, a); err != nil {
				return err
			}
			break
		}
	}
	return mw.Close()
}

func writeFilePart(mw *multipart.Writer, name string, a *api.Attachment) error {
	src, err := a.Open()
	if err != nil {
		return err
	}
	defer src.Close()
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", mime.FormatMediaType("form-data", map[string]string{"name": name, "filename": a.Name}))
	typ := a.Type
	if typ == "" {
		typ = "application/octet-stream"
	}
	h.Set("Content-Type", typ)
	w, err := mw.CreatePart(h)
	if err != nil {
		return err
	}
	_, err = io.Copy(w, src)
	return err
}

func isAttachment(h http.Header) bool {
	d, _, err := mime.ParseMediaType(h.Get("Content-Disposition"))
	return err == nil && d == "attachment"
}

// file is a file output streamed from the response body.
type file struct {
	io.ReadCloser
	name, mediaType string
	size            int64
}

func newFile(resp *http.Response) *file {
	_, params, _ := mime.ParseMediaType(resp.Header.Get("Content-Disposition"))
	return &file{ReadCloser: resp.Body, name: params["filename"], mediaType: resp.Header.Get("Content-Type"), size: resp.ContentLength}
}

func (f *file) FileName() string  { return f.name }
func (f *file) MediaType() string { return f.mediaType }
func (f *file) FileSize() int64   { return f.size }

// Read reports a body cut short as an error, so a broken download is never
// taken for a complete, shorter file.
func (f *file) Read(p []byte) (int, error) {
	n, err := f.ReadCloser.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		return n, apperr.Wrap(apperr.DependencyUnavailable, err, "the download of %s broke off", f.name)
	}
	return n, err
}
