package orpc_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hestami/concierge/internal/orpc"
)

// golden reads a captured exchange (testdata, copied from
// shared/spec/orpc-golden) as a request and a de-chunked response body.
func golden(t *testing.T, name string) (*http.Request, *http.Response, []byte) {
	t.Helper()
	raw, err := os.ReadFile("testdata/" + name + ".http")
	if err != nil {
		t.Fatal(err)
	}
	reqPart, respPart, ok := strings.Cut(string(raw), "<<<<<<<< RESPONSE\n")
	if !ok {
		t.Fatalf("%s: no response", name)
	}
	reqPart = strings.TrimPrefix(reqPart, ">>>>>>>> REQUEST\n")
	req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(reqPart)))
	if err != nil {
		t.Fatalf("%s request: %v", name, err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(strings.NewReader(respPart)), req)
	if err != nil {
		t.Fatalf("%s response: %v", name, err)
	}
	body, _ := io.ReadAll(resp.Body)
	return req, resp, bytes.TrimSpace(body)
}

func TestDecodeGoldenRequests(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"01-success-date":               `{"title":"Printer on fire","priority":"high","due_at":"2025-06-01T12:00:00.000Z","tags":["hw"]}`,
		"06-rich-meta-echo":             `{"big":"12345678901234567890","when":"2024-02-03T04:05:06.007Z","bad_date":null,"nan":null,"url":"https://example.com/a?b=1","re":"/ab+c/gi","set":[1,2],"map":[["k","1"]],"arr":[1,null,3],"nested":{"d":["1970-01-01T00:00:00.000Z"]},"we/ird.key":1}`,
		"07-no-input":                   ``,
		"17-raw-plain-json-no-envelope": ``,
		"18-raw-empty-body":             ``,
		"20-raw-unknown-meta-type":      `{"d":"x"}`,
	}
	for name, want := range cases {
		t.Run(name, func(t *testing.T) {
			req, _, _ := golden(t, name)
			got, err := orpc.DecodeRequest(req, 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			if want == "" {
				if got != nil {
					t.Fatalf("input %s, want undefined", got)
				}
				return
			}
			assertJSONEqual(t, got, []byte(want))
		})
	}
}

func TestDecodeRejectsMalformedGoldens(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"16-raw-malformed-json", "19-raw-bad-meta"} {
		req, resp, body := golden(t, name)
		_, err := orpc.DecodeRequest(req, 1<<20)
		if !errors.Is(err, orpc.ErrMalformed) {
			t.Fatalf("%s: %v", name, err)
		}
		// And what we answer is byte for byte what oRPC answers.
		ours, _ := orpc.EncodeError(orpc.ErrorJSON{Code: "BAD_REQUEST", Status: 400, Message: orpc.MalformedMessage})
		if resp.StatusCode != 400 || !bytes.Equal(ours, body) {
			t.Fatalf("%s: ours %s\ngolden %s", name, ours, body)
		}
	}
}

func TestMetaChecks(t *testing.T) {
	t.Parallel()
	bad := []string{
		`{"json":{"d":"x"},"meta":[[1,"missing"]]}`,
		`{"json":{"d":"12a"},"meta":[[0,"d"]]}`,
		`{"json":{"d":1},"meta":[[1,"d"]]}`,
		`{"json":{"d":0},"meta":[[2,"d"]]}`,
		`{"json":{"d":"ab"},"meta":[[5,"d"]]}`,
		`{"json":{"d":"/a/gg"},"meta":[[5,"d"]]}`,
		`{"json":{"d":"/a/uv"},"meta":[[5,"d"]]}`,
		`{"json":{"d":"x"},"meta":[[6,"d"]]}`,
		`{"json":{"d":[1]},"meta":[[1,"d",3]]}`,
		`{"json":{"d":"not a url"},"meta":[[4,"d"]]}`,
		`{"json":1,"meta":[["1"]]}`,
	}
	for _, b := range bad {
		if _, err := orpc.DecodeEnvelope([]byte(b)); !errors.Is(err, orpc.ErrMalformed) {
			t.Errorf("%s: %v, want malformed", b, err)
		}
	}
	good := []string{
		`{"json":"2025-01-01T00:00:00.000Z","meta":[[1]]}`,
		`{"json":{"d":null},"meta":[[1,"d"]]}`,
		`{"json":{"s":["1970-01-01T00:00:00.000Z"]},"meta":[[1,"s",0],[6,"s"]]}`,
		`{"json":{"d":"/a/gi"},"meta":[[5,"d"]]}`,
		`{"json":null}`,
	}
	for _, b := range good {
		if _, err := orpc.DecodeEnvelope([]byte(b)); err != nil {
			t.Errorf("%s: %v", b, err)
		}
	}
}

func TestDecodeGoldenMultipart(t *testing.T) {
	t.Parallel()
	req, _, _ := golden(t, "08-file-multipart")
	got, err := orpc.DecodeRequest(req, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	var in struct {
		CaseID string    `json:"case_id"`
		Note   string    `json:"note"`
		File   orpc.File `json:"file"`
	}
	if err := json.Unmarshal(got, &in); err != nil {
		t.Fatal(err)
	}
	if in.CaseID != "case_123" || in.Note != "n" || in.File.Name != "note.txt" || in.File.Type != "text/plain" ||
		in.File.Size != 10 || string(in.File.Content) != "hello file" {
		t.Fatalf("decoded %+v", in)
	}
}

type goldenCase struct {
	ID        string    `json:"id"`
	Title     string    `json:"title"`
	Priority  string    `json:"priority"`
	DueAt     time.Time `json:"due_at"`
	Tags      []string  `json:"tags"`
	CreatedAt time.Time `json:"created_at"`
}

func TestEncodeMatchesGoldenBytes(t *testing.T) {
	t.Parallel()
	_, resp, body := golden(t, "01-success-date")
	due := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	created := time.Date(2024, 1, 2, 4, 4, 5, 678_900_000, time.FixedZone("CET", 3600)) // UTC 03:04:05.6789, truncated to ms
	ours, err := orpc.EncodeSuccess(&goldenCase{ID: "case_123", Title: "Printer on fire", Priority: "high", DueAt: due, Tags: []string{"hw"}, CreatedAt: created})
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || !bytes.Equal(ours, body) {
		t.Fatalf("ours   %s\ngolden %s", ours, body)
	}

	_, resp, body = golden(t, "03-typed-error-field-errors")
	type fe struct {
		Field   string `json:"field"`
		Message string `json:"message"`
	}
	ours, _ = orpc.EncodeError(orpc.ErrorJSON{Defined: true, Code: "CONFLICT", Status: 409, Message: "A case with this title already exists",
		Data: map[string]any{"field_errors": []fe{{"title", "must be unique"}}}})
	if resp.StatusCode != 409 || !bytes.Equal(ours, body) {
		t.Fatalf("ours   %s\ngolden %s", ours, body)
	}
	for name, e := range map[string]orpc.ErrorJSON{
		"12-get-on-post-procedure-405":  {Code: "METHOD_NOT_SUPPORTED", Status: 405, Message: "Method Not Supported"},
		"13-unknown-procedure-json-404": {Code: "NOT_FOUND", Status: 404, Message: "Not Found"},
	} {
		_, _, body := golden(t, name)
		ours, _ := orpc.EncodeError(e)
		if !bytes.Equal(ours, body) {
			t.Fatalf("%s: ours %s\ngolden %s", name, ours, body)
		}
	}
	if b, _ := orpc.EncodeSuccess(nil); string(b) != "{}" {
		t.Fatalf("undefined output: %s", b)
	}
}

func assertJSONEqual(t *testing.T, got, want []byte) {
	t.Helper()
	var a, b any
	if err := json.Unmarshal(got, &a); err != nil {
		t.Fatalf("got %s: %v", got, err)
	}
	_ = json.Unmarshal(want, &b)
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if !bytes.Equal(ja, jb) {
		t.Fatalf("got  %s\nwant %s", ja, jb)
	}
}

// The one-pass encoder writes what encoding/json writes (less HTML
// escaping), for every shape our outputs use.
func TestEncoderAgreesWithEncodingJSON(t *testing.T) {
	t.Parallel()
	type inner struct {
		N    int               `json:"n"`
		Tags []string          `json:"tags,omitempty"`
		M    map[string]any    `json:"m,omitempty"`
		P    *string           `json:"p,omitempty"`
		Raw  json.RawMessage   `json:"raw,omitempty"`
		B    []byte            `json:"b,omitempty"`
		F    float64           `json:"f"`
		Skip string            `json:"-"`
		Opt  map[string]string `json:"opt"`
	}
	type Embedded struct {
		E string `json:"e"`
	}
	type outer struct {
		Embedded
		S     string  `json:"s"`
		Items []inner `json:"items"`
		Empty []inner `json:"empty"`
		Ok    bool    `json:"ok"`
	}
	p := "x"
	v := outer{Embedded: Embedded{E: "emb"}, S: "quote\" back\\ nl\n tab\t ctl\x01 é ☃ <&>", Ok: true, Items: []inner{
		{N: -3, Tags: []string{"a", "b"}, M: map[string]any{"z": 1.5, "a": []any{"x", nil, true}}, P: &p, Raw: json.RawMessage(`{"k":[1,2]}`), B: []byte("hi"), F: 2.25},
		{},
	}}
	ours, err := orpc.EncodeSuccess(v)
	if err != nil {
		t.Fatal(err)
	}
	var env struct {
		JSON json.RawMessage `json:"json"`
	}
	if err := json.Unmarshal(ours, &env); err != nil {
		t.Fatalf("%s: %v", ours, err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	if want := bytes.TrimSpace(buf.Bytes()); !bytes.Equal(env.JSON, want) {
		t.Fatalf("ours %s\nwant %s", env.JSON, want)
	}
}

func TestDateMetaPathsThroughArraysMapsAndPointers(t *testing.T) {
	t.Parallel()
	type item struct {
		T  time.Time  `json:"t"`
		P  *time.Time `json:"p,omitempty"`
		We string     `json:"we/ird.key"`
	}
	at := time.Date(2026, 1, 2, 3, 4, 5, 6_000_000, time.UTC)
	v := struct {
		Items []item          `json:"items"`
		ByKey map[string]item `json:"byKey"`
	}{Items: []item{{T: at}, {T: at, P: &at}}, ByKey: map[string]item{"k\"1": {T: at}}}
	b, err := orpc.EncodeSuccess(v)
	if err != nil {
		t.Fatal(err)
	}
	want := `"meta":[[1,"items",0,"t"],[1,"items",1,"t"],[1,"items",1,"p"],[1,"byKey","k\"1","t"]]}`
	if !strings.HasSuffix(string(b), want) || !strings.Contains(string(b), `"t":"2026-01-02T03:04:05.006Z"`) {
		t.Fatalf("%s", b)
	}
	// And it decodes back as a valid envelope.
	if _, err := orpc.DecodeEnvelope(b); err != nil {
		t.Fatalf("round trip: %v", err)
	}
}
