package quoteimport

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

var fixedNow = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

// readAll parses and validates every row of data.
func readAll(t testing.TB, data []byte, opts Options) (recs []Record, issues []Issue, err error) {
	p, err := NewParser(bytes.NewReader(data), opts)
	if err != nil {
		return nil, nil, err
	}
	for {
		row, err := p.Next()
		if errors.Is(err, io.EOF) {
			return recs, issues, nil
		}
		if err != nil {
			return recs, issues, err
		}
		rec, is := Validate(row, fixedNow)
		if len(is) > 0 {
			issues = append(issues, is...)
			continue
		}
		recs = append(recs, rec)
	}
}

const header = "external_ref,case,vendor,amount,currency,valid_until,scope\n"

// badInputs are the inputs of issue 10's list, each with the code of the
// issue it must produce (a file error's or a row's).
var badInputs = []struct {
	name, data, code string
	opts             Options
}{
	{"wrong delimiter", "external_ref;case;vendor;amount;currency\nR1;CASE-1;Acme;10.00;USD\n", "wrong_delimiter", Options{}},
	{"empty file", "", "empty", Options{}},
	{"empty JSONL", "", "empty", Options{Format: FormatJSONL}},
	{"bad UTF-8", header + "R1,CASE-1,Acme\xff\xfe,10.00,USD,,\n", "bad_utf8", Options{}},
	{"bad UTF-8 JSONL", "{\"case\":\"CASE-1\",\"vendor\":\"A\xff\",\"amount\":\"1\",\"currency\":\"USD\"}\n", "bad_utf8", Options{}},
	{"missing column", "external_ref,case,vendor,currency\nR1,CASE-1,Acme,USD\n", "missing_column", Options{}},
	{"duplicated column", "case,vendor,amount,total,currency\nCASE-1,Acme,1,1,USD\n", "duplicate_column", Options{}},
	{"unknown column", "case,vendor,amount,currency,colour\nCASE-1,Acme,1,USD,red\n", "unknown_column", Options{}},
	{"negative amount", header + "R1,CASE-1,Acme,-10.00,USD,,\n", "out_of_range", Options{}},
	{"zero amount", header + "R1,CASE-1,Acme,0.00,USD,,\n", "out_of_range", Options{}},
	{"non-numeric amount", header + "R1,CASE-1,Acme,ten,USD,,\n", "invalid", Options{}},
	{"grouped amount", header + "R1,CASE-1,Acme,\"1,000.00\",USD,,\n", "invalid", Options{}},
	{"exponent amount", header + "R1,CASE-1,Acme,1e3,USD,,\n", "invalid", Options{}},
	{"too many decimals", header + "R1,CASE-1,Acme,10.001,USD,,\n", "too_many_decimals", Options{}},
	{"decimals in a 0-digit currency", header + "R1,CASE-1,Acme,10.5,JPY,,\n", "too_many_decimals", Options{}},
	{"unknown currency", header + "R1,CASE-1,Acme,10.00,XYZ,,\n", "unknown_currency", Options{}},
	{"3-decimal currency", header + "R1,CASE-1,Acme,10.000,KWD,,\n", "unsupported_currency", Options{}},
	{"valid until in the past", header + "R1,CASE-1,Acme,10.00,USD,2020-01-01,\n", "in_the_past", Options{}},
	{"missing case", header + "R1,,Acme,10.00,USD,,\n", "required", Options{}},
	{"field count", header + "R1,CASE-1,Acme,10.00\n", "field_count", Options{}},
	{"bare quote", header + "R1,CA\"SE,Acme,10.00,USD,,\n", "malformed", Options{}},
	{"line items not summing", "case,vendor,amount,currency,line_items\nCASE-1,Acme,10.00,USD,\"[{\"\"description\"\":\"\"a\"\",\"\"unitPrice\"\":\"\"9.00\"\"}]\"\n", "sum_mismatch", Options{}},
	{"line items not JSON", "case,vendor,amount,currency,line_items\nCASE-1,Acme,10.00,USD,nope\n", "invalid", Options{}},
	{"JSONL not an object", "[1,2]\n", "malformed", Options{Format: FormatJSONL}},
	{"JSONL amount as bool", "{\"case\":\"CASE-1\",\"vendor\":\"A\",\"amount\":true,\"currency\":\"USD\"}\n", "invalid", Options{}},
	{"JSONL unknown field", "{\"case\":\"CASE-1\",\"vendor\":\"A\",\"amount\":\"1\",\"currency\":\"USD\",\"x\":\"1\"}\n", "unknown_column", Options{}},
}

func issueCodes(err error, issues []Issue) []string {
	var codes []string
	var fe *FileError
	if errors.As(err, &fe) {
		codes = append(codes, fe.Issue.Code)
	}
	for _, i := range issues {
		codes = append(codes, i.Code)
	}
	return codes
}

// Every bad input of the issue gets its own clear code, and no bad row is
// accepted.
func TestBadInputs(t *testing.T) {
	for _, c := range badInputs {
		t.Run(c.name, func(t *testing.T) {
			recs, issues, err := readAll(t, []byte(c.data), c.opts)
			if len(recs) > 0 {
				t.Errorf("accepted %+v", recs)
			}
			codes := issueCodes(err, issues)
			if !strings.Contains(","+strings.Join(codes, ",")+",", ","+c.code+",") {
				t.Errorf("codes %v (err %v), want %s", codes, err, c.code)
			}
			for _, i := range issues {
				if i.Row < 1 || i.Message == "" {
					t.Errorf("issue without row or message: %+v", i)
				}
			}
		})
	}
}

// What the format allows is read: a BOM, CRLF line ends, quoted newlines
// and commas, aliases in any case, amounts as JSON numbers.
func TestGoodInputs(t *testing.T) {
	csvFile := "\xEF\xBB\xBFExternal Reference,Case Number,VENDOR_NAME,Total,CCY,Valid-Until,Scope\r\n" +
		"R1,CASE-1,\"Acme, Inc.\",10.50,usd,2026-12-31,\"two\r\nlines\"\r\n" +
		"R2,CASE-2,Bolt,7,JPY,2026-07-01T00:00:00Z,\r\n"
	recs, issues, err := readAll(t, []byte(csvFile), Options{})
	if err != nil || len(issues) > 0 || len(recs) != 2 {
		t.Fatalf("recs %+v issues %+v err %v", recs, issues, err)
	}
	if r := recs[0]; r.ExternalRef != "R1" || r.Vendor != "Acme, Inc." || r.Amount != "10.50" || r.Currency != "USD" ||
		r.Scope != "two\nlines" || r.ValidUntil == nil || r.ValidUntil.Format(time.DateOnly) != "2026-12-31" || r.Row != 1 {
		t.Errorf("row 1 = %+v", r)
	}
	if recs[1].Row != 2 || recs[1].Currency != "JPY" {
		t.Errorf("row 2 = %+v", recs[1])
	}

	jsonl := "\xEF\xBB\xBF{\"externalRef\":\"J1\",\"caseNumber\":\"CASE-1\",\"vendorId\":\"Acme\",\"amount\":12.30,\"currency\":\"EUR\"," +
		"\"lineItems\":[{\"description\":\"x\",\"quantity\":\"2\",\"unitPrice\":\"6.15\"}]}\r\n\r\n" +
		"{\"case\":\"CASE-2\",\"vendor\":\"Bolt\",\"amount\":\"1\",\"currency\":\"USD\"}\n"
	p, err := NewParser(strings.NewReader(jsonl), Options{})
	if err != nil || p.Format != FormatJSONL {
		t.Fatalf("format %v err %v", p, err)
	}
	recs, issues, err = readAll(t, []byte(jsonl), Options{})
	if err != nil || len(issues) > 0 || len(recs) != 2 {
		t.Fatalf("recs %+v issues %+v err %v", recs, issues, err)
	}
	if recs[0].Amount != "12.30" || string(recs[0].LineItems) != `[{"description":"x","quantity":"2","unitPrice":"6.15"}]` {
		t.Errorf("row 1 = %+v %s", recs[0], recs[0].LineItems)
	}
	// Unknown columns are skipped when asked.
	recs, issues, err = readAll(t, []byte("case,vendor,amount,currency,colour\nCASE-1,Acme,1,USD,red\n"), Options{IgnoreUnknownColumns: true})
	if err != nil || len(issues) > 0 || len(recs) != 1 {
		t.Errorf("ignore unknown: recs %+v issues %+v err %v", recs, issues, err)
	}
}

// endless is a single line that never ends.
type endless struct{ prefix []byte }

func (e *endless) Read(p []byte) (int, error) {
	n := copy(p, e.prefix)
	e.prefix = e.prefix[n:]
	for i := n; i < len(p); i++ {
		p[i] = 'a'
	}
	return len(p), nil
}

// A 2 GB line is refused after MaxRowBytes, holding at most about that
// much: the parser never reads the rest.
func TestEndlessLineIsBounded(t *testing.T) {
	for _, c := range []struct {
		name   string
		prefix string
	}{{"CSV", header + "R1,CASE-1,"}, {"CSV header", "case,"}, {"JSONL", "{\"case\":\""}} {
		t.Run(c.name, func(t *testing.T) {
			var before runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			src := &endless{prefix: []byte(c.prefix)}
			p, err := NewParser(io.LimitReader(src, 2<<30), Options{})
			if err == nil {
				_, err = p.Next()
			}
			var fe *FileError
			if !errors.As(err, &fe) || fe.Issue.Code != "row_too_long" {
				t.Fatalf("err = %v, want row_too_long", err)
			}
			var after runtime.MemStats
			runtime.ReadMemStats(&after)
			if grown := after.TotalAlloc - before.TotalAlloc; grown > 64*MaxRowBytes {
				t.Errorf("allocated %d bytes reading a line bounded at %d", grown, MaxRowBytes)
			}
		})
	}
}

// FuzzParseValidate reads arbitrary bytes as an import file: it never
// panics, never accepts a row that breaks a rule, and numbers rows in order.
// The seed corpus (testdata/fuzz/FuzzParseValidate) holds every bad input
// of issue 10.
func FuzzParseValidate(f *testing.F) {
	for _, c := range badInputs {
		f.Add([]byte(c.data), c.opts.Format == FormatJSONL)
	}
	f.Fuzz(func(t *testing.T, data []byte, jsonl bool) {
		opts := Options{}
		if jsonl {
			opts.Format = FormatJSONL
		}
		p, err := NewParser(bytes.NewReader(data), opts)
		if err != nil {
			var fe *FileError
			if !errors.As(err, &fe) || fe.Issue.Code == "" || fe.Issue.Message == "" {
				t.Fatalf("unclear file error %v", err)
			}
			return
		}
		last := 0
		for {
			row, err := p.Next()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				var fe *FileError
				if !errors.As(err, &fe) || fe.Issue.Code == "" {
					t.Fatalf("unclear error %v", err)
				}
				return
			}
			if row.Number != last+1 {
				t.Fatalf("row %d after %d", row.Number, last)
			}
			last = row.Number
			rec, issues := Validate(row, fixedNow)
			for _, i := range issues {
				if i.Row != row.Number || i.Code == "" || i.Message == "" {
					t.Fatalf("bad issue %+v on row %d", i, row.Number)
				}
			}
			if len(issues) > 0 {
				continue
			}
			checkRecord(t, rec)
		}
	})
}

// checkRecord asserts what an accepted record must be.
func checkRecord(t *testing.T, r Record) {
	t.Helper()
	digits, ok := minorDigits[r.Currency]
	if !ok {
		t.Fatalf("accepted currency %q", r.Currency)
	}
	whole, frac, _ := strings.Cut(r.Amount, ".")
	if !amountSyntax.MatchString(r.Amount) || len(frac) > digits || len(strings.TrimLeft(whole, "0")) > 12 || strings.Trim(whole+frac, "0") == "" {
		t.Fatalf("accepted amount %q in %s", r.Amount, r.Currency)
	}
	for _, s := range []string{r.ExternalRef, r.Case, r.Vendor, r.Scope, r.ScopeKey} {
		if !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
			t.Fatalf("accepted text %q", s)
		}
	}
	if r.Case == "" || r.Vendor == "" {
		t.Fatalf("accepted without case or vendor: %+v", r)
	}
	if r.ValidUntil != nil && !r.ValidUntil.After(fixedNow) {
		t.Fatalf("accepted valid_until %v", r.ValidUntil)
	}
	if r.LineItems != nil {
		var lines []lineItem
		if err := json.Unmarshal(r.LineItems, &lines); err != nil {
			t.Fatalf("accepted line items %s", r.LineItems)
		}
		sum := "0"
		for _, l := range lines {
			q, _ := scaled(l.Quantity, 3)
			p, _ := scaled(l.UnitPrice, 2)
			s, _ := scaled(sum, 5)
			sum = formatScaled(s.Add(s, q.Mul(q, p)), 5)
		}
		a, _ := scaled(r.Amount, 5)
		if formatScaled(a, 5) != sum {
			t.Fatalf("accepted line items summing to %s for %s", sum, r.Amount)
		}
	}
}
