package server_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"net/http/httptest"

	"go.opentelemetry.io/otel/attribute"

	"github.com/hestami/concierge/internal/app"
	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/server"
)

func createCaseBody(prop, title string) string {
	return fmt.Sprintf(`{"json":{"propertyId":%q,"title":%q,"priority":"HIGH","dueAt":"2027-03-04T05:06:07.089Z"},"meta":[[1,"dueAt"]]}`, prop, title)
}

func TestRPCCreateGetListWithDates(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	org := s.W.Rivera.ID
	st, h, body := s.call(t, "POST", "/api/v1/rpc/case/v1/create", as(s.Owner, org, "Idempotency-Key", "c1"), createCaseBody(s.Property, "Leak"))
	if st != 200 || h.Get("Content-Type") != "application/json" {
		t.Fatalf("%d %s", st, body)
	}
	res := decode(t, body)
	if dig(res, "json", "dueAt") != "2027-03-04T05:06:07.089Z" || dig(res, "json", "status") != "INTAKE" {
		t.Fatalf("%s", body)
	}
	meta, _ := json.Marshal(res["meta"])
	for _, want := range []string{`[1,"dueAt"]`, `[1,"createdAt"]`, `[1,"updatedAt"]`} {
		if !strings.Contains(string(meta), want) {
			t.Errorf("meta %s lacks %s", meta, want)
		}
	}
	id := dig(res, "json", "id").(string)
	// GET is allowed for queries, with the envelope in ?data=.
	st, _, body = s.call(t, "GET", "/api/v1/rpc/case/v1/get?data="+urlEncode(fmt.Sprintf(`{"json":{"id":%q}}`, id)), as(s.Staff, org), "")
	if st != 200 || dig(decode(t, body), "json", "history", 0, "to") != "INTAKE" {
		t.Fatalf("get: %d %s", st, body)
	}
	st, _, body = s.call(t, "POST", "/api/v1/rpc/case/v1/list/", as(s.Staff, org), `{"json":{"status":["INTAKE"],"priority":["HIGH"]}}`)
	if st != 200 || len(dig(decode(t, body), "json", "items").([]any)) != 1 {
		t.Fatalf("list (trailing slash): %d %s", st, body)
	}
	// The same procedure over plain JSON.
	st, _, body = s.call(t, "POST", "/api/v1/case/v1/get", as(s.Owner, org), fmt.Sprintf(`{"id":%q}`, id))
	if st != 200 || dig(decode(t, body), "dueAt") != "2027-03-04T05:06:07.089Z" {
		t.Fatalf("plain get: %d %s", st, body)
	}
}

func urlEncode(s string) string {
	r := strings.NewReplacer("{", "%7B", "}", "%7D", `"`, "%22", ":", "%3A", ",", "%2C", " ", "%20")
	return r.Replace(s)
}

func TestRPCErrorsCarryTheCanonicalEnvelope(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	org := s.W.Rivera.ID
	// Validation: every violation, with paths, in field_errors and issues.
	st, _, body := s.call(t, "POST", "/api/v1/rpc/case/v1/create", as(s.Owner, org, "Idempotency-Key", "v1"),
		`{"json":{"propertyId":"`+s.Property+`","title":"","priority":"SOON","surprise":1}}`)
	e := decode(t, body)
	if st != 400 || dig(e, "json", "code") != "VALIDATION_FAILED" || dig(e, "json", "status") != 400.0 || dig(e, "json", "defined") != true {
		t.Fatalf("%d %s", st, body)
	}
	keys := map[string]bool{}
	for k := range e["json"].(map[string]any) {
		keys[k] = true
	}
	if len(keys) != 5 || !keys["defined"] || !keys["code"] || !keys["status"] || !keys["message"] || !keys["data"] {
		t.Fatalf("error keys %v", keys)
	}
	fields := map[string]bool{}
	for _, f := range dig(e, "json", "data", "field_errors").([]any) {
		fields[f.(map[string]any)["field"].(string)] = true
	}
	for _, want := range []string{"title", "priority", "surprise"} {
		if !fields[want] {
			t.Errorf("field_errors %v lack %s", fields, want)
		}
	}
	if len(dig(e, "json", "data", "issues").([]any)) != len(fields) || dig(e, "json", "data", "trace_id") == "" {
		t.Fatalf("issues/trace: %s", body)
	}
	// Nothing was created by the refused call.
	st, _, body = s.call(t, "POST", "/api/v1/rpc/case/v1/list", as(s.Owner, org), `{}`)
	if st != 200 || len(dig(decode(t, body), "json", "items").([]any)) != 0 {
		t.Fatalf("list after refusal: %s", body)
	}

	checks := []struct {
		name, method, path string
		headers            map[string]string
		body               string
		status             int
		code               string
	}{
		{"no token", "POST", "/api/v1/rpc/case/v1/list", map[string]string{"X-Org-Id": org}, `{}`, 401, "UNAUTHENTICATED"},
		{"bad token", "POST", "/api/v1/rpc/case/v1/list", as("hst_nope", org), `{}`, 401, "UNAUTHENTICATED"},
		{"no org", "POST", "/api/v1/rpc/case/v1/list", as(s.Owner, ""), `{}`, 400, "VALIDATION_FAILED"},
		{"not a member", "POST", "/api/v1/rpc/case/v1/list", as(s.Chen, org), `{}`, 403, "FORBIDDEN"},
		{"staff without engagement", "POST", "/api/v1/rpc/case/v1/list", as(s.Staff, s.W.Chen.ID), `{}`, 403, "FORBIDDEN"},
		{"missing key", "POST", "/api/v1/rpc/case/v1/create", as(s.Owner, org), createCaseBody(s.Property, "x"), 400, "IDEMPOTENCY_KEY_REQUIRED"},
		{"unknown procedure", "POST", "/api/v1/rpc/case/v1/nope", as(s.Owner, org), `{}`, 404, "NOT_FOUND"},
		{"GET on a mutation", "GET", "/api/v1/rpc/case/v1/create", as(s.Owner, org), ``, 405, "METHOD_NOT_SUPPORTED"},
		{"malformed body", "POST", "/api/v1/rpc/case/v1/list", as(s.Owner, org), `{"json":`, 400, "BAD_REQUEST"},
		{"bad meta", "POST", "/api/v1/rpc/case/v1/list", as(s.Owner, org), `{"json":{"limit":1},"meta":[[0,"limit"]]}`, 400, "BAD_REQUEST"},
		{"unseen case", "POST", "/api/v1/rpc/case/v1/get", as(s.Owner, org), `{"json":{"id":"CASE-2020-1"}}`, 404, "NOT_FOUND"},
	}
	for _, c := range checks {
		st, h, body := s.call(t, c.method, c.path, c.headers, c.body)
		e := decode(t, body)
		if st != c.status || dig(e, "json", "code") != c.code || dig(e, "json", "status") != float64(c.status) || h.Get("Content-Type") != "application/json" {
			t.Errorf("%s: %d %s", c.name, st, body)
		}
	}
	// Malformed requests get oRPC's exact message.
	_, _, body = s.call(t, "POST", "/api/v1/rpc/case/v1/list", as(s.Owner, org), `{"json":`)
	if !strings.Contains(string(body), "Malformed request. Ensure the request body is properly formatted") {
		t.Errorf("malformed: %s", body)
	}
}

func TestRPCTypedInvalidTransitionAndRetriedStatusChange(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	org := s.W.Rivera.ID
	_, _, body := s.call(t, "POST", "/api/v1/rpc/case/v1/create", as(s.Owner, org, "Idempotency-Key", "c"), createCaseBody(s.Property, "Leak"))
	id := dig(decode(t, body), "json", "id").(string)
	move := func(to, key string) (int, http.Header, map[string]any) {
		st, h, b := s.call(t, "POST", "/api/v1/rpc/case/v1/updateStatus", as(s.Staff, org, "Idempotency-Key", key),
			fmt.Sprintf(`{"json":{"id":%q,"status":%q,"reason":"r"}}`, id, to))
		return st, h, decode(t, b)
	}
	st, h, e := move("CLOSED", "k0")
	if st != 409 || dig(e, "json", "code") != "INVALID_TRANSITION" || dig(e, "json", "defined") != true || dig(e, "json", "data", "type") != "conflict" {
		t.Fatalf("%d %v", st, e)
	}
	if h.Get("Idempotent-Replayed") != "" {
		t.Fatalf("a first refusal says it is replayed")
	}
	// A retried refusal is replayed too.
	if st, h, _ = move("CLOSED", "k0"); st != 409 || h.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("retried refusal: %d, Idempotent-Replayed %q", st, h.Get("Idempotent-Replayed"))
	}
	st, h, first := move("ASSESSMENT", "k1")
	if st != 200 || h.Get("Idempotent-Replayed") != "" {
		t.Fatalf("%d %v, Idempotent-Replayed %q", st, first, h.Get("Idempotent-Replayed"))
	}
	st, h, again := move("ASSESSMENT", "k1")
	if st != 200 || fmt.Sprint(again) != fmt.Sprint(first) {
		t.Fatalf("retried updateStatus: %d %v\nfirst %v", st, again, first)
	}
	if h.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("retried updateStatus: Idempotent-Replayed %q", h.Get("Idempotent-Replayed"))
	}
	// The plain JSON transport says so as well.
	st, h, _ = s.call(t, "POST", "/api/v1/case/v1/updateStatus", as(s.Staff, org, "Idempotency-Key", "k1"),
		fmt.Sprintf(`{"id":%q,"status":"ASSESSMENT","reason":"r"}`, id))
	if st != 200 || h.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("plain retried updateStatus: %d, Idempotent-Replayed %q", st, h.Get("Idempotent-Replayed"))
	}
	st, _, e = move("IN_PROGRESS", "k1")
	if st != 422 || dig(e, "json", "code") != "IDEMPOTENCY_KEY_REUSED" {
		t.Fatalf("reuse: %d %v", st, e)
	}
}

func TestPlainJSONTransport(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	org := s.W.Rivera.ID
	in := fmt.Sprintf(`{"propertyId":%q,"title":"Leak","dueAt":"2027-03-04T05:06:07Z"}`, s.Property)
	st, h, body := s.call(t, "POST", "/api/v1/case/v1/create", as(s.Owner, org, "Idempotency-Key", "p1"), in)
	if st != 200 || h.Get("Idempotent-Replayed") != "" {
		t.Fatalf("%d %s", st, body)
	}
	st, h, again := s.call(t, "POST", "/api/v1/case/v1/create", as(s.Owner, org, "Idempotency-Key", "p1"), in)
	if st != 200 || h.Get("Idempotent-Replayed") != "true" || !bytes.Equal(body, again) {
		t.Fatalf("replay %d %s\nfirst %s", st, again, body)
	}
	st, _, body = s.call(t, "POST", "/api/v1/case/v1/create", as(s.Owner, org, "Idempotency-Key", "p1"), strings.Replace(in, "Leak", "Other", 1))
	if e := decode(t, body); st != 422 || dig(e, "error", "code") != "IDEMPOTENCY_KEY_REUSED" || dig(e, "error", "http_status") != 422.0 {
		t.Fatalf("%d %s", st, body)
	}
	st, _, body = s.call(t, "POST", "/api/v1/case/v1/create", as(s.Owner, org, "Idempotency-Key", "p2"), `{"title":"","bogus":true}`)
	e := decode(t, body)
	if st != 400 || dig(e, "error", "type") != "validation" || len(dig(e, "error", "field_errors").([]any)) < 3 || dig(e, "error", "retryable") != false || dig(e, "error", "trace_id") == "" {
		t.Fatalf("%d %s", st, body)
	}
	// The key may travel in the input instead of the header.
	st, _, body = s.call(t, "POST", "/api/v1/property/v1/create", as(s.Owner, org),
		`{"name":"Cabin","type":"LAND","address":{"line1":"1 Lake Rd","city":"Austin","country":"US"},"idempotencyKey":"in-body"}`)
	if st != 200 {
		t.Fatalf("key in input: %d %s", st, body)
	}
	for _, c := range []struct{ method, path string }{{"GET", "/api/v1/case/v1/list"}, {"POST", "/api/v1/case/v1/nope"}} {
		st, _, body := s.call(t, c.method, c.path, as(s.Owner, org), `{}`)
		if st != 404 || dig(decode(t, body), "error", "code") != "NOT_FOUND" {
			t.Errorf("%s %s: %d %s", c.method, c.path, st, body)
		}
	}
	st, _, body = s.call(t, "GET", "/api/v1/openapi.json", nil, "")
	if st != 200 || dig(decode(t, body), "paths", "/case/v1/updateStatus", "post", "operationId") != "case.v1.updateStatus" {
		t.Fatalf("openapi: %d", st)
	}
}

// N concurrent requests with one key: one effect; the others are told the
// first is in progress (409, Retry-After) or get the replay; every final
// answer is identical.
func TestConcurrentRequestsWithOneKeyHaveOneEffect(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	org := s.W.Rivera.ID
	const n = 8
	bodies := make([][]byte, n)
	var wg sync.WaitGroup
	var mu sync.Mutex
	inProgress := 0
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for attempt := 0; attempt < 50; attempt++ {
				st, h, body := s.call(t, "POST", "/api/v1/case/v1/create", as(s.Owner, org, "Idempotency-Key", "same"),
					fmt.Sprintf(`{"propertyId":%q,"title":"Once"}`, s.Property))
				if st == 409 {
					if h.Get("Retry-After") == "" || dig(decode(t, body), "error", "code") != "IDEMPOTENCY_IN_PROGRESS" {
						t.Errorf("409 without Retry-After: %s", body)
					}
					mu.Lock()
					inProgress++
					mu.Unlock()
					time.Sleep(20 * time.Millisecond)
					continue
				}
				if st != 200 {
					t.Errorf("%d %s", st, body)
				}
				bodies[i] = body
				return
			}
		}()
	}
	wg.Wait()
	for i := 1; i < n; i++ {
		if !bytes.Equal(bodies[i], bodies[0]) {
			t.Fatalf("answer %d differs:\n%s\n%s", i, bodies[i], bodies[0])
		}
	}
	_, _, body := s.call(t, "POST", "/api/v1/case/v1/list", as(s.Owner, org), `{}`)
	if items := dig(decode(t, body), "items").([]any); len(items) != 1 {
		t.Fatalf("%d cases created", len(items))
	}
	t.Logf("%d in-progress answers", inProgress)
}

// The process dies after the write committed but before the response left:
// the client sees a broken connection, retries, and gets the replay — one
// effect.
func TestLostResponseThenRetryHasOneEffect(t *testing.T) {
	t.Parallel()
	var once sync.Once
	lose := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			dropped := false
			once.Do(func() { dropped = true })
			if !dropped || r.URL.Path != "/api/v1/case/v1/create" {
				next.ServeHTTP(w, r)
				return
			}
			next.ServeHTTP(discard{header: http.Header{}}, r) // committed, answer lost
			panic(http.ErrAbortHandler)
		})
	}
	s := newStack(t, lose)
	org := s.W.Rivera.ID
	body := fmt.Sprintf(`{"propertyId":%q,"title":"Once"}`, s.Property)
	req, _ := http.NewRequest("POST", s.URL+"/api/v1/case/v1/create", strings.NewReader(body))
	for k, v := range as(s.Owner, org, "Idempotency-Key", "lost") {
		req.Header.Set(k, v)
	}
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("the first response was not lost: %d", resp.StatusCode)
	}
	st, h, out := s.call(t, "POST", "/api/v1/case/v1/create", as(s.Owner, org, "Idempotency-Key", "lost"), body)
	if st != 200 || h.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("retry: %d %v %s", st, h, out)
	}
	_, _, list := s.call(t, "POST", "/api/v1/case/v1/list", as(s.Owner, org), `{}`)
	if items := dig(decode(t, list), "items").([]any); len(items) != 1 {
		t.Fatalf("%d cases created", len(items))
	}
}

type discard struct{ header http.Header }

func (d discard) Header() http.Header         { return d.header }
func (d discard) Write(b []byte) (int, error) { return len(b), nil }
func (d discard) WriteHeader(int)             {}

func TestBatchBufferedAndStreaming(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	org := s.W.Rivera.ID
	items := fmt.Sprintf(`[{"body":{"json":{"id":%q}},"url":"%s/api/v1/rpc/property/v1/get"},`+
		`{"body":{"json":{"title":""}},"url":"%s/api/v1/rpc/case/v1/create","headers":{"idempotency-key":"b1"}},`+
		`{"body":{"json":{}},"url":"%s/api/v1/rpc/case/v1/nope"}]`, s.Property, s.URL, s.URL, s.URL)
	st, h, body := s.call(t, "POST", "/api/v1/rpc/property/v1/get/__batch__", as(s.Owner, org, "X-Orpc-Batch", "buffered"), items)
	if st != 207 || h.Get("Content-Type") != "application/json" {
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
	if res[0].Status != 200 || !strings.Contains(string(res[0].Body), `"name":"Rivera home"`) ||
		res[1].Status != 400 || !strings.Contains(string(res[1].Body), "VALIDATION_FAILED") || res[2].Status != 404 {
		t.Fatalf("%s", body)
	}
	st, h, body = s.call(t, "POST", "/api/v1/rpc/property/v1/get/__batch__", as(s.Owner, org, "X-Orpc-Batch", "streaming"), items)
	if st != 207 || h.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("%d %s", st, body)
	}
	seen := map[float64]float64{}
	sc := bufio.NewScanner(bytes.NewReader(body))
	for sc.Scan() {
		if line, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			m := decode(t, []byte(line))
			seen[m["index"].(float64)] = m["status"].(float64)
		}
	}
	if len(seen) != 3 || seen[0] != 200 || seen[1] != 400 || seen[2] != 404 {
		t.Fatalf("streamed %v\n%s", seen, body)
	}
	many := "[" + strings.Repeat(`{"body":{},"url":"`+s.URL+`/api/v1/rpc/case/v1/list"},`, 11)
	st, _, _ = s.call(t, "POST", "/api/v1/rpc/case/v1/list/__batch__", as(s.Owner, org, "X-Orpc-Batch", "buffered"), strings.TrimSuffix(many, ",")+"]")
	if st != 413 {
		t.Fatalf("11 items: %d", st)
	}
}

func TestSpansCarryTheCallAttributes(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	org := s.W.Rivera.ID
	_, h, body := s.call(t, "POST", "/api/v1/rpc/case/v1/create", as(s.Owner, org, "Idempotency-Key", "span-key"), createCaseBody(s.Property, "Leak"))
	caseID := dig(decode(t, body), "json", "id").(string)
	traceID := h.Get("X-Trace-Id")
	_, h2, _ := s.call(t, "POST", "/api/v1/rpc/case/v1/updateStatus", as(s.Owner, org, "Idempotency-Key", "deny"),
		fmt.Sprintf(`{"json":{"id":%q,"status":"ASSESSMENT"}}`, caseID))
	attrsOf := func(trace string) map[attribute.Key]string {
		for _, sp := range exporter().GetSpans() {
			if sp.SpanContext.TraceID().String() == trace && strings.HasPrefix(sp.Name, "case/v1/") {
				m := map[attribute.Key]string{}
				for _, a := range sp.Attributes {
					m[a.Key] = a.Value.Emit()
				}
				return m
			}
		}
		return nil
	}
	a := attrsOf(traceID)
	want := map[attribute.Key]string{
		"hestami.procedure": "case/v1/create", "hestami.organization_id": org, "hestami.actor.id": s.W.RiveraOwner.UserID,
		"hestami.actor.kind": "HUMAN", "hestami.case_id": caseID, "hestami.idempotency_key": "span-key",
		"hestami.authz.decision": "allow", "hestami.result_code": "OK",
	}
	for k, v := range want {
		if a[k] != v {
			t.Errorf("%s = %q, want %q (all: %v)", k, a[k], v, a)
		}
	}
	for _, v := range a {
		if strings.Contains(v, "Leak") {
			t.Errorf("free text in span attributes: %v", a)
		}
	}
	// The activity event of the write carries the same trace.
	var eventTrace string
	err := s.DB.Owner.QueryRow(context.Background(), `SELECT trace_id FROM activity_events WHERE entity_id = $1 AND verb = 'created'`, caseID).Scan(&eventTrace)
	if err != nil || eventTrace != traceID {
		t.Errorf("activity trace %q (err %v), want %q", eventTrace, err, traceID)
	}
	// A refused call records the denial.
	if b := attrsOf(h2.Get("X-Trace-Id")); b["hestami.result_code"] != "FORBIDDEN" || b["hestami.authz.decision"] != "deny" {
		t.Errorf("denied call: %v", b)
	}
}

func TestHealthAndReadiness(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	if st, _, _ := s.call(t, "GET", "/healthz", nil, ""); st != 200 {
		t.Fatalf("healthz %d", st)
	}
	st, _, body := s.call(t, "GET", "/readyz", nil, "")
	if st != 200 || dig(decode(t, body), "dependencies", "pdp") != "ok" {
		t.Fatalf("readyz %d %s", st, body)
	}
}

// Readiness fails while a dependency is unreachable (here a PDP address
// nobody listens on), and says which.
func TestReadinessFailsWhileAPDPIsUnreachable(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	dead, err := authz.Dial("unix:"+t.TempDir()+"/no-pdp.sock", 200*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(app.New(s.DB, dead).Invoker, map[string]server.Pinger{"postgres": s.DB, "pdp": dead})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	resp, err := http.Get(ts.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	json.NewDecoder(resp.Body).Decode(&body)
	if resp.StatusCode != 503 || dig(body, "dependencies", "pdp") != "unavailable" || dig(body, "dependencies", "postgres") != "ok" {
		t.Fatalf("%d %v", resp.StatusCode, body)
	}
	// And a call that needs the PDP fails closed with 503, never an allow.
	req, _ := http.NewRequest("POST", ts.URL+"/api/v1/property/v1/list", strings.NewReader(`{}`))
	for k, v := range as(s.Owner, s.W.Rivera.ID) {
		req.Header.Set(k, v)
	}
	r2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Body.Close()
	var e map[string]any
	json.NewDecoder(r2.Body).Decode(&e)
	if r2.StatusCode != 503 || dig(e, "error", "code") != "DEPENDENCY_UNAVAILABLE" || dig(e, "error", "retryable") != true {
		t.Fatalf("%d %v", r2.StatusCode, e)
	}
}

// A panic inside a procedure answers 500 INTERNAL in the transport's shape,
// revealing nothing of the cause.
func TestPanicsAnswerInternalWithoutDetails(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	// No PDP: calling a procedure dereferences nil inside the domain.
	srv, err := server.New(app.New(s.DB, nil).Invoker, nil)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	for _, c := range []struct{ path, body, codePath string }{
		{"/api/v1/rpc/property/v1/list", `{"json":{}}`, "json"},
		{"/api/v1/property/v1/list", `{}`, "error"},
	} {
		req, _ := http.NewRequest("POST", ts.URL+c.path, strings.NewReader(c.body))
		for k, v := range as(s.Owner, s.W.Rivera.ID) {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body map[string]any
		json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != 500 || dig(body, c.codePath, "code") != "INTERNAL" || dig(body, c.codePath, "message") != "internal error" {
			t.Fatalf("%s: %d %v", c.path, resp.StatusCode, body)
		}
		if b, _ := json.Marshal(body); strings.Contains(string(b), "nil pointer") || strings.Contains(string(b), "goroutine") {
			t.Fatalf("leaked: %s", b)
		}
	}
}
