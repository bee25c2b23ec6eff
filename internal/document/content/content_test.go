package content

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func hash(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func TestDirStagesCommitsDedupsAndVerifies(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := NewDir(t.TempDir())
	data := bytes.Repeat([]byte("0123456789"), 100)
	s, err := d.Stage(bytes.NewReader(data), int64(len(data)))
	if err != nil || s.SHA256 != hash(data) || s.Size != int64(len(data)) || len(s.Head) != SniffLen {
		t.Fatalf("stage: %+v %v", s, err)
	}
	if existed, err := d.Put(ctx, s); err != nil || existed {
		t.Fatalf("put: %v %v", existed, err)
	}
	s2, _ := d.Stage(bytes.NewReader(data), int64(len(data)))
	if existed, err := d.Put(ctx, s2); err != nil || !existed {
		t.Fatalf("second put: %v %v", existed, err)
	}
	if staged, _ := os.ReadDir(filepath.Join(d.Root(), "staging")); len(staged) != 0 {
		t.Fatalf("staging files left: %v", staged)
	}
	b, n, err := Verified(ctx, d, hash(data))
	if err != nil || n != int64(len(data)) {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(b)
	b.Close()
	if !bytes.Equal(got, data) {
		t.Fatal("content differs")
	}
	// Over the limit: refused, nothing staged beyond limit+1 bytes, nothing left.
	if _, err := d.Stage(bytes.NewReader(data), int64(len(data))-1); !IsTooLarge(err) {
		t.Fatalf("over the limit: %v", err)
	}
	if staged, _ := os.ReadDir(filepath.Join(d.Root(), "staging")); len(staged) != 0 {
		t.Fatalf("staging files left after refusal: %v", staged)
	}
	// A changed byte is ErrCorrupt; a missing blob ErrNotFound; a bad sum too.
	path := d.Path(hash(data))
	os.Chmod(path, 0o600)
	os.WriteFile(path, append([]byte("X"), data[1:]...), 0o600)
	if _, _, err := Verified(ctx, d, hash(data)); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("corrupt: %v", err)
	}
	if _, _, err := Verified(ctx, d, hash([]byte("absent"))); !errors.Is(err, ErrNotFound) {
		t.Fatalf("absent: %v", err)
	}
	if _, err := d.Open(ctx, "../../etc/passwd"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("bad sum: %v", err)
	}
}

// recorder is an HTTP server that notes what the S3 store asks of it and
// answers as S3 does for a bucket holding what was PUT.
type recorder struct {
	mu      sync.Mutex
	reqs    []string
	headers []http.Header
	objects map[string][]byte
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reqs = append(r.reqs, req.Method+" "+req.URL.Path)
	r.headers = append(r.headers, req.Header.Clone())
	obj, ok := r.objects[req.URL.Path]
	switch req.Method {
	case http.MethodPut:
		if req.Header.Get("Content-Encoding") == "aws-chunked" {
			body = unchunk(body)
		}
		r.objects[req.URL.Path] = body
		w.Header().Set("ETag", `"`+hash(body)[:32]+`"`)
	case http.MethodHead, http.MethodGet:
		if !ok {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusNotFound)
			if req.Method == http.MethodGet {
				io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey</Code><Message>none</Message></Error>`)
			}
			return
		}
		w.Header().Set("Content-Length", itoa(len(obj)))
		w.Header().Set("ETag", `"`+hash(obj)[:32]+`"`)
		w.Header().Set("Last-Modified", "Mon, 01 Jun 2026 12:00:00 GMT")
		if req.Method == http.MethodGet {
			w.Write(obj)
		}
	}
}

// unchunk decodes an aws-chunked body (SigV4 streaming): chunks of
// "<hex size>;chunk-signature=<sig>\r\n<bytes>\r\n", ending with size 0.
func unchunk(b []byte) []byte {
	var out []byte
	for {
		line, rest, ok := bytes.Cut(b, []byte("\r\n"))
		if !ok {
			return out
		}
		size, _, _ := bytes.Cut(line, []byte(";"))
		n := 0
		for _, c := range size {
			n = n*16 + strings.IndexByte("0123456789abcdef", c)
		}
		if n == 0 || len(rest) < n {
			return out
		}
		out = append(out, rest[:n]...)
		b = bytes.TrimPrefix(rest[n:], []byte("\r\n"))
	}
}

func itoa(n int) string {
	b := []byte{}
	if n == 0 {
		return "0"
	}
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}

// The S3 store's requests: a HEAD to learn whether the blob exists, a
// signed PUT of exactly the staged bytes under sha256/<aa>/<sum> with the
// hash as metadata, nothing when the blob is already there, and a GET for
// reads.
func TestS3RequestShape(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rec := &recorder{objects: map[string][]byte{}}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	s, err := NewS3(S3Config{Endpoint: strings.TrimPrefix(srv.URL, "http://"), Bucket: "docs", AccessKey: "AK", SecretKey: "SK",
		StagingDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	data := []byte("an HOA letter")
	sum := hash(data)
	key := "/docs/sha256/" + sum[:2] + "/" + sum
	st, err := s.Stage(bytes.NewReader(data), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if existed, err := s.Put(ctx, st); err != nil || existed {
		t.Fatalf("put: %v %v", existed, err)
	}
	rec.mu.Lock()
	if got := strings.Join(rec.reqs, "; "); got != "HEAD "+key+"; PUT "+key {
		t.Fatalf("requests: %s", got)
	}
	put := rec.headers[1]
	if put.Get("X-Amz-Meta-Sha256") != sum || put.Get("X-Amz-Decoded-Content-Length") != itoa(len(data)) ||
		!strings.HasPrefix(put.Get("Authorization"), "AWS4-HMAC-SHA256 Credential=AK/") || !bytes.Equal(rec.objects[key], data) {
		t.Fatalf("PUT headers: %v", put)
	}
	rec.reqs = nil
	rec.mu.Unlock()

	st, _ = s.Stage(bytes.NewReader(data), 1<<20)
	if existed, err := s.Put(ctx, st); err != nil || !existed {
		t.Fatalf("second put: %v %v", existed, err)
	}
	b, n, err := Verified(ctx, s, sum)
	if err != nil || n != int64(len(data)) {
		t.Fatalf("verified read: %v", err)
	}
	got, _ := io.ReadAll(b)
	b.Close()
	if !bytes.Equal(got, data) {
		t.Fatalf("read %q", got)
	}
	rec.mu.Lock()
	// The second put only asks (HEAD); the verified read checks the object
	// exists (HEAD), reads it to hash it (GET) and again to serve it (GET).
	if got := strings.Join(rec.reqs, "; "); got != "HEAD "+key+"; HEAD "+key+"; GET "+key+"; GET "+key {
		t.Fatalf("requests: %v", rec.reqs)
	}
	rec.objects[key] = []byte("an HOA lettuce")
	rec.mu.Unlock()
	if _, _, err := Verified(ctx, s, sum); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("corrupted object: %v", err)
	}
	if _, _, err := Verified(ctx, s, hash([]byte("absent"))); !errors.Is(err, ErrNotFound) {
		t.Fatalf("absent object: %v", err)
	}
}
