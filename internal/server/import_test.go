package server_test

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hestami/concierge/internal/cases"
	"github.com/hestami/concierge/internal/config"
	"github.com/hestami/concierge/internal/db"
	"github.com/hestami/concierge/internal/testkit"
	"github.com/hestami/concierge/internal/vendor"
)

// importStack is a server with a Rivera case and vendor, and a case of
// another organization (Chen).
type importStack struct {
	*stack
	number, chenCase string
	n                int
}

func newImportStack(t *testing.T) *importStack {
	t.Helper()
	s := &importStack{stack: newStack(t)}
	c, err := testkit.Call[cases.Case](s.Bundle, s.W.RiveraOwner, "case/v1/create", cases.CreateInput{PropertyID: s.Property, Title: "Repaint the fence"}, "c1")
	if err != nil {
		t.Fatal(err)
	}
	s.number = c.Number
	chenProp := s.NewProperty(s.W.ChenOwner, "Chen home").ID
	chen, err := testkit.Call[cases.Case](s.Bundle, s.W.ChenOwner, "case/v1/create", cases.CreateInput{PropertyID: chenProp, Title: "Chen roof"}, "c2")
	if err != nil {
		t.Fatal(err)
	}
	s.chenCase = chen.ID
	if _, err := testkit.Call[vendor.Vendor](s.Bundle, s.Principal(s.W.Staff, s.W.Rivera.ID), "vendor/v1/create", vendor.CreateInput{Name: "Austin Fences"}, "v1"); err != nil {
		t.Fatal(err)
	}
	return s
}

func (s *importStack) key() string { s.n++; return fmt.Sprint("imp-", s.n) }

// quotes counts Rivera's quotes (as the runtime role: RLS applies).
func (s *importStack) quotes(t *testing.T) int {
	t.Helper()
	var n int
	if err := s.DB.InTenant(s.Ctx, s.W.Rivera.ID, func(q db.Querier) error {
		return q.QueryRow(s.Ctx, `SELECT count(*) FROM quotes`).Scan(&n)
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

// importFile sends data to quote/v1/import with options in, over oRPC
// (rpc) or the plain transport, as token in org; it returns the status, the
// headers and the output or error body (oRPC's "json" member unwrapped).
func (s *importStack) importFile(t *testing.T, rpc bool, token, org, key string, in map[string]any, data string) (int, http.Header, map[string]any) {
	t.Helper()
	path, upload := "/api/v1/quote/v1/import", plainUpload
	if rpc {
		path, upload = "/api/v1/rpc/quote/v1/import", rpcUpload
	}
	ct, body := upload(t, in, "quotes.csv", []byte(data))
	h := http.Header{}
	h.Set("Authorization", "Bearer "+token)
	h.Set("X-Org-Id", org)
	h.Set("Content-Type", ct)
	h.Set("Idempotency-Key", key)
	status, hdr, out := s.do(t, http.MethodPost, path, h, body)
	m := decode(t, out)
	if rpc {
		m, _ = m["json"].(map[string]any)
	}
	return status, hdr, m
}

// importError returns the code and field errors of an error body of either
// transport.
func importError(rpc bool, m map[string]any) (string, []any) {
	if rpc {
		fields, _ := dig(m, "data", "field_errors").([]any)
		return fmt.Sprint(m["code"]), fields
	}
	fields, _ := dig(m, "error", "field_errors").([]any)
	return fmt.Sprint(dig(m, "error", "code")), fields
}

func issueCodes(m map[string]any) string {
	var out []string
	issues, _ := m["issues"].([]any)
	for _, i := range issues {
		out = append(out, fmt.Sprintf("%v:%v:%v", dig(i, "row"), dig(i, "column"), dig(i, "code")))
	}
	return strings.Join(out, " ")
}

// quote/v1/import over both transports: the valid rows are written and the
// rest reported (another organization's case as unknown); a replay with
// the same key answers the same summary and imports nothing; the same file
// under another key writes nothing (alreadyImported); a dry run writes
// nothing.
func TestQuoteImportOverBothTransports(t *testing.T) {
	t.Parallel()
	s := newImportStack(t)
	for _, rpc := range []bool{true, false} {
		t.Run(map[bool]string{true: "rpc", false: "plain"}[rpc], func(t *testing.T) {
			// Each transport imports its own file (a batch is its content).
			ref := map[bool]string{true: "rpc-", false: "plain-"}[rpc]
			data := "external_ref,case,vendor,amount,currency\n" +
				ref + "1," + s.number + ",Austin Fences,100.00,USD\n" +
				ref + "2," + s.chenCase + ",Austin Fences,5.00,USD\n" +
				ref + "3," + s.number + ",Nobody,5.00,USD\n" +
				ref + "4," + s.number + ",austin fences,7.50,EUR\n"
			before := s.quotes(t)
			key := s.key()
			status, h, out := s.importFile(t, rpc, s.Staff, s.W.Rivera.ID, key, map[string]any{"fileName": "vendor-export.csv"}, data)
			if status != 200 {
				t.Fatalf("import: %d %v", status, out)
			}
			if out["rowsRead"] != 4.0 || out["rowsWritten"] != 2.0 || out["rowsRejected"] != 2.0 || out["status"] != "IMPORTED" ||
				out["fileName"] != "vendor-export.csv" || out["format"] != "CSV" || out["alreadyImported"] != nil ||
				out["issuesTotal"] != 2.0 || out["issuesTruncated"] != nil || h.Get("Idempotent-Replayed") == "true" {
				t.Fatalf("summary %v", out)
			}
			if got := issueCodes(out); got != "2:case:unknown_case 3:vendor:unknown_vendor" {
				t.Errorf("issues %s", got)
			}
			if n := s.quotes(t) - before; n != 2 {
				t.Fatalf("%d quotes written, want 2", n)
			}
			batch := out["batchId"]

			// The same key again: the same answer, replayed, nothing read.
			status, h, again := s.importFile(t, rpc, s.Staff, s.W.Rivera.ID, key, map[string]any{"fileName": "vendor-export.csv"}, data)
			if status != 200 || h.Get("Idempotent-Replayed") != "true" || again["batchId"] != batch || again["alreadyImported"] != nil ||
				again["rowsWritten"] != 2.0 || again["durationMs"] != out["durationMs"] || issueCodes(again) != issueCodes(out) {
				t.Fatalf("replay: %d %v %v", status, h, again)
			}
			// The same key with another file is a reused key, not a replay.
			status, _, reused := s.importFile(t, rpc, s.Staff, s.W.Rivera.ID, key, map[string]any{"fileName": "vendor-export.csv"}, data+"\n")
			if code, _ := importError(rpc, reused); status != 422 || code != "IDEMPOTENCY_KEY_REUSED" {
				t.Fatalf("reused key: %d %v", status, reused)
			}
			// Another key, the same file: the batch exists, nothing is written.
			status, _, second := s.importFile(t, rpc, s.Staff, s.W.Rivera.ID, s.key(), map[string]any{}, data)
			if status != 200 || second["batchId"] != batch || second["alreadyImported"] != true || second["rowsWritten"] != 2.0 {
				t.Fatalf("second upload: %d %v", status, second)
			}
			// A dry run of a new file reports and writes nothing.
			dry := data + ref + "9," + s.number + ",Austin Fences,1.00,USD\n"
			status, _, checked := s.importFile(t, rpc, s.Staff, s.W.Rivera.ID, s.key(), map[string]any{"dryRun": true}, dry)
			if status != 200 || checked["dryRun"] != true || checked["rowsRead"] != 5.0 || checked["rowsWritten"] != 0.0 {
				t.Fatalf("dry run: %d %v", status, checked)
			}
			if n := s.quotes(t) - before; n != 2 {
				t.Fatalf("%d quotes after the replay, second upload and dry run, want 2", n)
			}
		})
	}
}

// Refusals: an agent may not import (FORBIDDEN, as Service.Import decides
// it); a file that cannot be read and a --strict refusal are VALIDATION
// naming the input field "file"; no file part is missing_content.
func TestQuoteImportRefusals(t *testing.T) {
	t.Parallel()
	s := newImportStack(t)
	good := "case,vendor,amount,currency\n" + s.number + ",Austin Fences,1.00,USD\n"
	tok, err := s.Identity.CreateToken(s.Ctx, s.W.OakAgent.UserID, "test", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	for _, rpc := range []bool{true, false} {
		status, _, out := s.importFile(t, rpc, tok.Token, s.W.Oak.ID, s.key(), map[string]any{}, good)
		if code, _ := importError(rpc, out); status != 403 || code != "FORBIDDEN" {
			t.Errorf("agent (rpc %v): %d %v", rpc, status, out)
		}
		status, _, out = s.importFile(t, rpc, s.Staff, s.W.Rivera.ID, s.key(), map[string]any{}, "case;vendor;amount;currency\nx;y;1;USD\n")
		code, fields := importError(rpc, out)
		if status != 400 || code != "VALIDATION_FAILED" || len(fields) != 1 || dig(fields, 0, "field") != "file" ||
			!strings.Contains(fmt.Sprint(dig(fields, 0, "message")), "comma-separated") {
			t.Errorf("bad file (rpc %v): %d %v", rpc, status, out)
		}
		bad := good + s.number + ",Austin Fences,1.001,USD\n"
		status, _, out = s.importFile(t, rpc, s.Staff, s.W.Rivera.ID, s.key(), map[string]any{"strict": true}, bad)
		code, fields = importError(rpc, out)
		if status != 400 || code != "VALIDATION_FAILED" || len(fields) != 1 || dig(fields, 0, "field") != "file" ||
			dig(fields, 0, "code") != "too_many_decimals" || !strings.HasPrefix(fmt.Sprint(dig(fields, 0, "message")), "row 2.amount: ") {
			t.Errorf("strict (rpc %v): %d %v", rpc, status, out)
		}
	}
	// A file description with no file part.
	in := `{"file":{"name":"q.csv","size":3,"sha256":"` + strings.Repeat("a", 64) + `"}}`
	status, _, body := s.call(t, http.MethodPost, "/api/v1/quote/v1/import", as(s.Staff, s.W.Rivera.ID, "Idempotency-Key", s.key()), in)
	m := decode(t, body)
	if code, fields := importError(false, m); status != 400 || code != "VALIDATION_FAILED" || dig(fields, 0, "code") != "missing_content" {
		t.Errorf("no file part: %d %s", status, body)
	}
	if n := s.quotes(t); n != 0 {
		t.Errorf("%d quotes written by refused imports", n)
	}
}

// An import's file is bounded by imports.max_bytes, not by the documents'
// limit; its answer carries at most MaxReportedIssues issues, counting all.
func TestQuoteImportLimitAndBoundedIssues(t *testing.T) {
	t.Parallel()
	s, spool := docStack(t) // documents limited to docLimit
	is := &importStack{stack: s}
	s.App.ConfigureImports(config.Imports{MaxBytes: 4 * docLimit})
	var b bytes.Buffer
	b.WriteString("case,vendor,amount,currency\n")
	for b.Len() <= 2*docLimit {
		fmt.Fprintf(&b, "CASE-1999-%d,Nobody,1.00,USD\n", b.Len())
	}
	rows := strings.Count(b.String(), "\n") - 1
	status, _, out := is.importFile(t, false, s.Staff, s.W.Rivera.ID, is.key(), map[string]any{"dryRun": true}, b.String())
	issues, _ := out["issues"].([]any)
	if status != 200 || out["rowsRead"] != float64(rows) || len(issues) != 1000 || out["issuesTotal"] != float64(rows) || out["issuesTruncated"] != true {
		t.Fatalf("a file over the documents' limit: %d rows, %d %v", rows, status, dig(out, "error"))
	}
	for b.Len() <= 4*docLimit {
		b.WriteString("CASE-1999-1,Nobody,1.00,USD\n")
	}
	for _, rpc := range []bool{true, false} {
		status, _, out = is.importFile(t, rpc, s.Staff, s.W.Rivera.ID, is.key(), map[string]any{}, b.String())
		msg := dig(out, "error", "message")
		if rpc {
			msg = out["message"]
		}
		if code, _ := importError(rpc, out); status != 413 || code != "PAYLOAD_TOO_LARGE" || !strings.Contains(fmt.Sprint(msg), "(imports.max_bytes)") {
			t.Errorf("over imports.max_bytes (rpc %v): %d %v", rpc, status, out)
		}
	}
	spoolEmpty(t, spool)
}
