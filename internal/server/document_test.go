package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"os"
	"strings"
	"testing"

	"github.com/hestami/concierge/internal/document"
	"github.com/hestami/concierge/internal/document/content"
)

const docLimit = 64 << 10

// docStack is a stack whose documents are stored in a directory of the
// test, with a small size limit.
func docStack(t *testing.T) (*stack, string) {
	t.Helper()
	s := newStack(t)
	spool := t.TempDir()
	s.App.ConfigureDocuments(document.Config{Store: content.NewDir(t.TempDir()), MaxBytes: docLimit}, spool)
	return s, spool
}

// rpcUpload is what oRPC's RPCLink sends for an input holding a File: part
// "data" with the envelope and maps, part "0" with the file.
func rpcUpload(t *testing.T, input map[string]any, name string, data []byte) (string, *bytes.Buffer) {
	t.Helper()
	input["file"] = map[string]any{}
	env, _ := json.Marshal(map[string]any{"json": input, "meta": []any{}, "maps": [][]string{{"file"}}})
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if err := mw.WriteField("data", string(env)); err != nil {
		t.Fatal(err)
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="0"; filename=%q`, name))
	h.Set("Content-Type", "text/plain")
	pw, _ := mw.CreatePart(h)
	pw.Write(data)
	mw.Close()
	return mw.FormDataContentType(), &body
}

// plainUpload is the plain transport's multipart: part "input" (JSON) and
// the file part named after the input field.
func plainUpload(t *testing.T, input map[string]any, name string, data []byte) (string, *bytes.Buffer) {
	t.Helper()
	raw, _ := json.Marshal(input)
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("input", string(raw))
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(data)
	mw.Close()
	return mw.FormDataContentType(), &body
}

func (s *stack) send(t *testing.T, path, token, contentType, key string, body io.Reader) (int, http.Header, []byte) {
	t.Helper()
	h := http.Header{}
	h.Set("Authorization", "Bearer "+token)
	h.Set("X-Org-Id", s.W.Rivera.ID)
	h.Set("Content-Type", contentType)
	if key != "" {
		h.Set("Idempotency-Key", key)
	}
	return s.do(t, http.MethodPost, path, h, body)
}

func spoolEmpty(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) != 0 {
		t.Fatalf("spool files left behind: %v %v", entries, err)
	}
}

func TestDocumentUploadAndDownloadOverBothTransports(t *testing.T) {
	t.Parallel()
	s, spool := docStack(t)
	data := []byte("Dear owner, the HOA approves the fence repaint.\n")
	meta := func() map[string]any {
		return map[string]any{"category": "CORRESPONDENCE", "visibility": "OWNER_AND_STAFF", "propertyId": s.Property, "title": "HOA letter"}
	}

	ct, body := rpcUpload(t, meta(), "letter.txt", data)
	status, _, out := s.send(t, "/api/v1/rpc/document/v1/upload", s.Staff, ct, "up-1", body)
	if status != 200 {
		t.Fatalf("rpc upload: %d %s", status, out)
	}
	doc := dig(decode(t, out), "json").(map[string]any)
	if doc["size"] != float64(len(data)) || doc["mediaType"] != "text/plain; charset=utf-8" || doc["fileName"] != "letter.txt" {
		t.Fatalf("rpc upload: %s", out)
	}
	spoolEmpty(t, spool)

	ct, body = plainUpload(t, meta(), "letter-again.txt", data)
	status, _, out = s.send(t, "/api/v1/document/v1/upload", s.Owner, ct, "up-2", body)
	if status != 200 {
		t.Fatalf("plain upload: %d %s", status, out)
	}
	plainDoc := decode(t, out)
	if plainDoc["sha256"] != doc["sha256"] || plainDoc["id"] == doc["id"] {
		t.Fatalf("plain upload: %s", out)
	}
	spoolEmpty(t, spool)

	// Download answers with the file itself, on both transports.
	for path, in := range map[string]string{
		"/api/v1/rpc/document/v1/download": fmt.Sprintf(`{"json":{"id":%q}}`, doc["id"]),
		"/api/v1/document/v1/download":     fmt.Sprintf(`{"id":%q}`, plainDoc["id"]),
	} {
		status, h, got := s.send(t, path, s.Owner, "application/json", "", strings.NewReader(in))
		if status != 200 || !bytes.Equal(got, data) || h.Get("Content-Type") != "text/plain; charset=utf-8" ||
			!strings.HasPrefix(h.Get("Content-Disposition"), "attachment; filename=") {
			t.Fatalf("%s: %d %v %q", path, status, h, got)
		}
	}
}

func TestDocumentOverTheLimitIs413(t *testing.T) {
	t.Parallel()
	s, spool := docStack(t)
	big := bytes.Repeat([]byte("a"), docLimit+1)
	in := func() map[string]any {
		return map[string]any{"category": "OTHER", "visibility": "OWNER_AND_STAFF", "propertyId": s.Property}
	}
	ct, body := rpcUpload(t, in(), "big.txt", big)
	status, _, out := s.send(t, "/api/v1/rpc/document/v1/upload", s.Staff, ct, "big-1", body)
	if status != 413 || dig(decode(t, out), "json", "code") != "PAYLOAD_TOO_LARGE" ||
		!strings.Contains(fmt.Sprint(dig(decode(t, out), "json", "message")), fmt.Sprint(docLimit)) {
		t.Fatalf("rpc: %d %s", status, out)
	}
	ct, body = plainUpload(t, in(), "big.txt", big)
	status, _, out = s.send(t, "/api/v1/document/v1/upload", s.Staff, ct, "big-2", body)
	if status != 413 || dig(decode(t, out), "error", "code") != "PAYLOAD_TOO_LARGE" {
		t.Fatalf("plain: %d %s", status, out)
	}
	spoolEmpty(t, spool)
	// At the limit it fits.
	ct, body = plainUpload(t, in(), "fits.txt", big[:docLimit])
	if status, _, out := s.send(t, "/api/v1/document/v1/upload", s.Staff, ct, "fits", body); status != 200 {
		t.Fatalf("at the limit: %d %s", status, out)
	}
}

func TestStaffOnlyDocumentIsNotFoundForTheOwnerOverHTTP(t *testing.T) {
	t.Parallel()
	s, _ := docStack(t)
	ct, body := plainUpload(t, map[string]any{"category": "OTHER", "visibility": "STAFF_ONLY", "propertyId": s.Property}, "m.txt", []byte("margin"))
	status, _, out := s.send(t, "/api/v1/document/v1/upload", s.Staff, ct, "so", body)
	if status != 200 {
		t.Fatalf("upload: %d %s", status, out)
	}
	id := decode(t, out)["id"]
	status, h, got := s.send(t, "/api/v1/document/v1/download", s.Owner, "application/json", "", strings.NewReader(fmt.Sprintf(`{"id":%q}`, id)))
	if status != 404 || h.Get("Content-Disposition") != "" || bytes.Contains(got, []byte("margin")) {
		t.Fatalf("owner download: %d %v %s", status, h, got)
	}
}
