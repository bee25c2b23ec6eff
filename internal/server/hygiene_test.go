package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
)

// do sends one request with exactly the given header values (repeated
// names included) and returns status, headers and body.
func (s *stack) do(t *testing.T, method, path string, h http.Header, body io.Reader) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range h {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

func header(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h
}

// caseCount counts the cases of org the owner sees.
func (s *stack) caseCount(t *testing.T, org string) int {
	t.Helper()
	st, _, body := s.call(t, "POST", "/api/v1/case/v1/list", as(s.Owner, org), `{}`)
	if st != 200 {
		t.Fatalf("list: %d %s", st, body)
	}
	return len(dig(decode(t, body), "items").([]any))
}

// errorOf reads code, status and trace id from either transport's error
// body: the oRPC error JSON on /api/v1/rpc, the canonical envelope elsewhere.
func errorOf(t *testing.T, rpc bool, body []byte) (code string, status float64, traceID string) {
	t.Helper()
	m := decode(t, body)
	if rpc {
		code, _ = dig(m, "json", "code").(string)
		status, _ = dig(m, "json", "status").(float64)
		traceID, _ = dig(m, "json", "data", "trace_id").(string)
		return
	}
	code, _ = dig(m, "error", "code").(string)
	status, _ = dig(m, "error", "http_status").(float64)
	traceID, _ = dig(m, "error", "trace_id").(string)
	return
}

// A batch item that is itself a batch is refused with the whole request,
// before any item runs: the limit counts every call of the request.
func TestBatchRefusesNestedBatchesBeforeRunningAnything(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	org := s.W.Rivera.ID
	nested := fmt.Sprintf(`[{"body":%s,"url":"%s/api/v1/rpc/case/v1/create","headers":{"idempotency-key":"n1"}},`+
		`{"body":[{"body":{},"url":"%s/api/v1/rpc/case/v1/list"}],"url":"%s/api/v1/rpc/case/v1/list/__batch__","headers":{"x-orpc-batch":"buffered"}}]`,
		createCaseBody(s.Property, "Leak"), s.URL, s.URL, s.URL)
	for _, mode := range []string{"buffered", "streaming"} {
		st, h, body := s.call(t, "POST", "/api/v1/rpc/case/v1/create/__batch__", as(s.Owner, org, "X-Orpc-Batch", mode), nested)
		code, status, trace := errorOf(t, true, body)
		if st != 400 || code != "BAD_REQUEST" || status != 400 || trace == "" || h.Get("X-Trace-Id") != trace {
			t.Fatalf("%s: %d %v %s", mode, st, h, body)
		}
	}
	if n := s.caseCount(t, org); n != 0 {
		t.Fatalf("the refused batch created %d cases", n)
	}
	// An item outside the RPC prefix is an unknown procedure, with a trace id.
	outside := fmt.Sprintf(`[{"body":{},"url":"%s/elsewhere"}]`, s.URL)
	st, _, body := s.call(t, "POST", "/api/v1/rpc/x/__batch__", as(s.Owner, org, "X-Orpc-Batch", "buffered"), outside)
	var items []map[string]any
	if err := json.Unmarshal(body, &items); st != 207 || err != nil || len(items) != 1 || items[0]["status"] != 404.0 ||
		dig(items[0], "body", "json", "code") != "NOT_FOUND" || dig(items[0], "body", "json", "data", "trace_id") == nil {
		t.Fatalf("outside item: %d %s", st, body)
	}
	// Ten items are fine; eleven are refused whole.
	ten := "[" + strings.TrimSuffix(strings.Repeat(`{"body":{},"url":"`+s.URL+`/api/v1/rpc/case/v1/list"},`, 10), ",") + "]"
	if st, _, body := s.call(t, "POST", "/api/v1/rpc/case/v1/list/__batch__", as(s.Owner, org, "X-Orpc-Batch", "buffered"), ten); st != 207 {
		t.Fatalf("ten items: %d %s", st, body)
	}
}

// A GET batch runs every item as a GET: a mutation in it is refused like a
// GET of that mutation (405) and never runs, whatever method the item names.
func TestGETBatchNeverRunsAMutation(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	org := s.W.Rivera.ID
	items := fmt.Sprintf(`[{"body":%s,"url":"%s/api/v1/rpc/case/v1/create","method":"POST","headers":{"idempotency-key":"g1"}},`+
		`{"body":%s,"url":"%s/api/v1/rpc/case/v1/create","headers":{"idempotency-key":"g2"}},`+
		`{"body":{"json":{}},"url":"%s/api/v1/rpc/case/v1/list"}]`,
		createCaseBody(s.Property, "Leak"), s.URL, createCaseBody(s.Property, "Drip"), s.URL, s.URL)
	st, _, body := s.call(t, "GET", "/api/v1/rpc/case/v1/create/__batch__?batch="+urlQueryEscape(items), as(s.Owner, org, "X-Orpc-Batch", "buffered"), "")
	if st != 207 {
		t.Fatalf("%d %s", st, body)
	}
	var res []struct {
		Index  int             `json:"index"`
		Status int             `json:"status"`
		Body   json.RawMessage `json:"body"`
	}
	if err := json.Unmarshal(body, &res); err != nil || len(res) != 3 {
		t.Fatalf("%s", body)
	}
	if res[0].Status != 405 || res[1].Status != 405 || res[2].Status != 200 || !strings.Contains(string(res[0].Body), "METHOD_NOT_SUPPORTED") {
		t.Fatalf("%s", body)
	}
	if n := s.caseCount(t, org); n != 0 {
		t.Fatalf("the GET batch created %d cases", n)
	}
}

func urlQueryEscape(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// unsized hides a body's length so the client sends it chunked.
type unsized struct{ io.Reader }

// Transport refusals on both transports: the status, the transport's error
// shape, and a trace id in the body equal to the X-Trace-Id header.
func TestTransportErrorsCarryStatusShapeAndTraceID(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	org := s.W.Rivera.ID
	big := func() io.Reader { return bytes.NewReader(bytes.Repeat([]byte(" "), 11<<20)) }
	var mp bytes.Buffer
	mw := multipart.NewWriter(&mp)
	fw, _ := mw.CreateFormField("data")
	fw.Write([]byte(`{"json":{"limit":5}}`))
	fw, _ = mw.CreateFormFile("0", "big.bin")
	fw.Write(bytes.Repeat([]byte("x"), 11<<20))
	mw.Close()
	auth := func(kv ...string) http.Header {
		return header(append([]string{"Authorization", "Bearer " + s.Owner, "X-Org-Id", org}, kv...)...)
	}
	checks := []struct {
		name, method, path string
		h                  http.Header
		body               func() io.Reader
		status             int
		code               string
	}{
		{"rpc text/plain", "POST", "/api/v1/rpc/case/v1/list", auth("Content-Type", "text/plain"), func() io.Reader { return strings.NewReader(`{"json":{}}`) }, 415, "UNSUPPORTED_MEDIA_TYPE"},
		{"rpc form", "POST", "/api/v1/rpc/case/v1/list", auth("Content-Type", "application/x-www-form-urlencoded"), func() io.Reader { return strings.NewReader(`a=1`) }, 415, "UNSUPPORTED_MEDIA_TYPE"},
		{"plain text/plain", "POST", "/api/v1/case/v1/list", auth("Content-Type", "text/plain"), func() io.Reader { return strings.NewReader(`{}`) }, 415, "UNSUPPORTED_MEDIA_TYPE"},
		{"plain form", "POST", "/api/v1/case/v1/list", auth("Content-Type", "application/x-www-form-urlencoded"), func() io.Reader { return strings.NewReader(`a=1`) }, 415, "UNSUPPORTED_MEDIA_TYPE"},
		{"rpc jsonl", "POST", "/api/v1/rpc/case/v1/list", auth("Content-Type", "application/jsonl"), func() io.Reader { return strings.NewReader(`{"json":{}}`) }, 415, "UNSUPPORTED_MEDIA_TYPE"},
		{"plain json-seq", "POST", "/api/v1/case/v1/list", auth("Content-Type", "application/json-seq"), func() io.Reader { return strings.NewReader(`{}`) }, 415, "UNSUPPORTED_MEDIA_TYPE"},
		{"batch text/plain", "POST", "/api/v1/rpc/case/v1/list/__batch__", auth("Content-Type", "text/plain", "X-Orpc-Batch", "buffered"), func() io.Reader { return strings.NewReader(`[]`) }, 415, "UNSUPPORTED_MEDIA_TYPE"},
		{"rpc too large", "POST", "/api/v1/rpc/case/v1/list", auth("Content-Type", "application/json"), big, 413, "PAYLOAD_TOO_LARGE"},
		{"rpc too large chunked", "POST", "/api/v1/rpc/case/v1/list", auth("Content-Type", "application/json"), func() io.Reader { return unsized{big()} }, 413, "PAYLOAD_TOO_LARGE"},
		{"rpc multipart too large", "POST", "/api/v1/rpc/case/v1/list", auth("Content-Type", mw.FormDataContentType()), func() io.Reader { return unsized{bytes.NewReader(mp.Bytes())} }, 413, "PAYLOAD_TOO_LARGE"},
		{"plain too large", "POST", "/api/v1/case/v1/list", auth("Content-Type", "application/json"), big, 413, "PAYLOAD_TOO_LARGE"},
		{"plain too large chunked", "POST", "/api/v1/case/v1/list", auth("Content-Type", "application/json"), func() io.Reader { return unsized{big()} }, 413, "PAYLOAD_TOO_LARGE"},
		{"batch too large", "POST", "/api/v1/rpc/case/v1/list/__batch__", auth("Content-Type", "application/json", "X-Orpc-Batch", "buffered"), big, 413, "PAYLOAD_TOO_LARGE"},
		{"rpc malformed", "POST", "/api/v1/rpc/case/v1/list", auth("Content-Type", "application/json"), func() io.Reader { return strings.NewReader(`{"json":`) }, 400, "BAD_REQUEST"},
		{"plain malformed", "POST", "/api/v1/case/v1/list", auth("Content-Type", "application/json"), func() io.Reader { return strings.NewReader(`{"limit":`) }, 400, "VALIDATION_FAILED"},
		{"batch malformed", "POST", "/api/v1/rpc/case/v1/list/__batch__", auth("Content-Type", "application/json", "X-Orpc-Batch", "buffered"), func() io.Reader { return strings.NewReader(`[{`) }, 400, "BAD_REQUEST"},
		{"rpc unknown", "POST", "/api/v1/rpc/case/v1/nope", auth("Content-Type", "application/json"), func() io.Reader { return strings.NewReader(`{}`) }, 404, "NOT_FOUND"},
		{"plain unknown", "POST", "/api/v1/case/v1/nope", auth("Content-Type", "application/json"), func() io.Reader { return strings.NewReader(`{}`) }, 404, "NOT_FOUND"},
		{"plain wrong method", "GET", "/api/v1/case/v1/list", auth(), func() io.Reader { return nil }, 404, "NOT_FOUND"},
		{"rpc GET mutation", "GET", "/api/v1/rpc/case/v1/create", auth(), func() io.Reader { return nil }, 405, "METHOD_NOT_SUPPORTED"},
		{"rpc unauthenticated", "POST", "/api/v1/rpc/case/v1/list", header("Content-Type", "application/json", "X-Org-Id", org), func() io.Reader { return strings.NewReader(`{}`) }, 401, "UNAUTHENTICATED"},
		{"plain unauthenticated", "POST", "/api/v1/case/v1/list", header("Content-Type", "application/json", "X-Org-Id", org), func() io.Reader { return strings.NewReader(`{}`) }, 401, "UNAUTHENTICATED"},
	}
	for _, c := range checks {
		st, h, body := s.do(t, c.method, c.path, c.h, c.body())
		rpc := strings.HasPrefix(c.path, "/api/v1/rpc/")
		code, status, trace := errorOf(t, rpc, body)
		if st != c.status || code != c.code || status != float64(c.status) || h.Get("Content-Type") != "application/json" {
			t.Errorf("%s: %d %s", c.name, st, body)
		}
		if trace == "" || h.Get("X-Trace-Id") != trace {
			t.Errorf("%s: trace %q, header %q", c.name, trace, h.Get("X-Trace-Id"))
		}
	}
	// What clients send is accepted: JSON with a charset, no content type,
	// multipart (files) and GET (no body).
	for _, c := range []struct {
		name, method, path, ct, body string
	}{
		{"rpc json charset", "POST", "/api/v1/rpc/case/v1/list", "application/json; charset=utf-8", `{"json":{}}`},
		{"rpc no content type", "POST", "/api/v1/rpc/case/v1/list", "", `{"json":{}}`},
		{"rpc GET query", "GET", "/api/v1/rpc/case/v1/list?data=" + urlQueryEscape(`{"json":{}}`), "", ``},
		{"plain json charset", "POST", "/api/v1/case/v1/list", "application/json; charset=utf-8", `{}`},
		{"plain no content type", "POST", "/api/v1/case/v1/list", "", `{}`},
		// One rule on every JSON path: application/json with parameters, or +json.
		{"rpc +json", "POST", "/api/v1/rpc/case/v1/list", "application/vnd.api+json", `{"json":{}}`},
		{"plain +json", "POST", "/api/v1/case/v1/list", "application/vnd.api+json", `{}`},
		{"batch json charset", "POST", "/api/v1/rpc/__batch__", "application/json; charset=utf-8", `[{"url":"/api/v1/rpc/case/v1/list","body":{"json":{}}}]`},
		{"batch +json", "POST", "/api/v1/rpc/__batch__", "application/vnd.api+json", `[{"url":"/api/v1/rpc/case/v1/list","body":{"json":{}}}]`},
	} {
		h := auth()
		if c.ct != "" {
			h.Set("Content-Type", c.ct)
		}
		want := 200
		if strings.Contains(c.path, "__batch__") {
			h.Set("X-Orpc-Batch", "buffered")
			want = 207
		}
		st, rh, body := s.do(t, c.method, c.path, h, strings.NewReader(c.body))
		if st != want || rh.Get("X-Trace-Id") == "" {
			t.Errorf("%s: %d %s", c.name, st, body)
		}
	}
	var small bytes.Buffer
	mw = multipart.NewWriter(&small)
	fw, _ = mw.CreateFormField("data")
	fw.Write([]byte(`{"json":{"limit":5}}`))
	mw.Close()
	if st, _, body := s.do(t, "POST", "/api/v1/rpc/case/v1/list", auth("Content-Type", mw.FormDataContentType()), &small); st != 200 {
		t.Errorf("multipart: %d %s", st, body)
	}
	// Every /api/v1 answer carries a trace id, the OpenAPI document too.
	if _, h, _ := s.call(t, "GET", "/api/v1/openapi.json", nil, ""); h.Get("X-Trace-Id") == "" {
		t.Errorf("openapi.json without X-Trace-Id")
	}
}
