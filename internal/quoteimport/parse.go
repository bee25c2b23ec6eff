package quoteimport

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/invopop/jsonschema"

	"github.com/hestami/concierge/internal/enum"
)

// Format is the shape of an import file.
type Format string

const (
	FormatCSV   Format = "CSV"
	FormatJSONL Format = "JSONL"
)

// Formats lists the file formats.
var Formats = enum.New(FormatCSV, FormatJSONL).Stored("quote_import_batches", "format")

func (Format) JSONSchema() *jsonschema.Schema { return Formats.Schema() }

// MaxRowBytes bounds one row (a CSV record, quoted newlines included, or a
// JSON line). A longer row ends the file with an error naming it: reading
// on would hold an unbounded row in memory (a 2 GB line).
const MaxRowBytes = 1 << 20

// Column is a canonical column of an import file.
type Column string

const (
	ColExternalRef Column = "external_ref"
	ColCase        Column = "case"
	ColVendor      Column = "vendor"
	ColAmount      Column = "amount"
	ColCurrency    Column = "currency"
	ColValidUntil  Column = "valid_until"
	ColScope       Column = "scope"
	ColScopeKey    Column = "scope_key"
	ColLineItems   Column = "line_items"
)

// Aliases maps a header name, folded (lower case, without spaces,
// underscores, hyphens and dots), to its column. It is the documented list
// of accepted names.
var Aliases = map[string]Column{
	"externalref": ColExternalRef, "externalreference": ColExternalRef, "reference": ColExternalRef, "ref": ColExternalRef,
	"externalid": ColExternalRef, "quoteref": ColExternalRef, "quotereference": ColExternalRef,
	"case": ColCase, "casenumber": ColCase, "caseid": ColCase, "caseno": ColCase, "caseref": ColCase,
	"vendor": ColVendor, "vendorname": ColVendor, "vendorid": ColVendor, "supplier": ColVendor,
	"amount": ColAmount, "total": ColAmount, "price": ColAmount, "quoteamount": ColAmount,
	"currency": ColCurrency, "currencycode": ColCurrency, "ccy": ColCurrency,
	"validuntil": ColValidUntil, "expires": ColValidUntil, "expiresat": ColValidUntil, "validto": ColValidUntil,
	"scope": ColScope, "description": ColScope,
	"scopekey": ColScopeKey, "part": ColScopeKey,
	"lineitems": ColLineItems, "lines": ColLineItems,
}

// required are the columns every file must have.
var required = []Column{ColCase, ColVendor, ColAmount, ColCurrency}

func fold(name string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '_', '-', '.', '\t':
			return -1
		}
		return r
	}, strings.ToLower(strings.TrimSpace(name)))
}

// Row is one data row as read: its number (the first data row is 1; a
// CSV header is row 0) and its raw values by column.
type Row struct {
	Number int
	Values [len(columnOrder)]string
	// Issues found while reading it (bad UTF-8, wrong field count, bad
	// JSON): the row is rejected whatever its values.
	Issues []Issue
}

var columnOrder = [...]Column{ColExternalRef, ColCase, ColVendor, ColAmount, ColCurrency, ColValidUntil, ColScope, ColScopeKey, ColLineItems}

func columnIndex(c Column) int {
	for i, v := range columnOrder {
		if v == c {
			return i
		}
	}
	return -1
}

// Get returns the row's value of c.
func (r *Row) Get(c Column) string { return r.Values[columnIndex(c)] }

// Issue is one problem of one row (Row 0: the file or its header).
type Issue struct {
	Row     int    `json:"row"`
	Column  string `json:"column,omitempty"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// FileError is a problem with the file as a whole (no header, duplicate
// columns, a row over MaxRowBytes): nothing of it is imported.
type FileError struct{ Issue Issue }

func (e *FileError) Error() string {
	if e.Issue.Row > 0 {
		return fmt.Sprintf("row %d: %s", e.Issue.Row, e.Issue.Message)
	}
	return e.Issue.Message
}

func fileErr(row int, column, code, format string, args ...any) error {
	return &FileError{Issue{Row: row, Column: column, Code: code, Message: fmt.Sprintf(format, args...)}}
}

// Options shape how a file is read.
type Options struct {
	// Format forces the format; "" detects it from the content.
	Format Format
	// IgnoreUnknownColumns skips columns with no known name instead of
	// refusing the file.
	IgnoreUnknownColumns bool
}

// Parser reads rows from a file, streaming.
type Parser struct {
	Format Format
	next   func() (*Row, error)
}

// Next returns the next row, or io.EOF after the last.
func (p *Parser) Next() (*Row, error) { return p.next() }

// countingReader counts the bytes read through it and refuses to read more
// than limit bytes past the start of the current row (mark), which bounds
// the memory one row can take whatever the reader above buffers.
type countingReader struct {
	r     io.Reader
	n     int64
	mark  func() int64
	limit int64
}

var errRowTooLong = errors.New("row too long")

func (c *countingReader) Read(p []byte) (int, error) {
	if c.mark != nil && c.n-c.mark() > c.limit {
		return 0, errRowTooLong
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

var bom = []byte{0xEF, 0xBB, 0xBF}

// NewParser starts reading r: it strips a UTF-8 byte order mark, detects
// the format (a first non-blank byte '{' is JSON Lines, anything else
// CSV) unless opts say, and reads the CSV header.
func NewParser(r io.Reader, opts Options) (*Parser, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	if head, _ := br.Peek(3); bytes.Equal(head, bom) {
		_, _ = br.Discard(3)
	}
	format := opts.Format
	if format == "" {
		format = FormatCSV
		for i := 1; ; i++ {
			head, err := br.Peek(i)
			if len(head) < i {
				if err == nil || errors.Is(err, io.EOF) || errors.Is(err, bufio.ErrBufferFull) {
					break
				}
				return nil, err
			}
			c := head[i-1]
			if c == ' ' || c == '\t' || c == '\r' || c == '\n' {
				continue
			}
			if c == '{' {
				format = FormatJSONL
			}
			break
		}
	}
	switch format {
	case FormatCSV:
		return newCSV(br, opts)
	case FormatJSONL:
		return newJSONL(br, opts)
	}
	return nil, fileErr(0, "", "invalid", "unknown format %q: use CSV or JSONL", format)
}

func newCSV(br *bufio.Reader, opts Options) (*Parser, error) {
	cr := &countingReader{r: br, limit: MaxRowBytes}
	r := csv.NewReader(cr)
	cr.mark = r.InputOffset
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		return nil, fileErr(0, "", "empty", "the file is empty: a CSV file needs a header row")
	}
	if err != nil {
		return nil, csvFileError(err, 0)
	}
	index := make([]int, len(header)) // file column → columnOrder index, -1 skipped
	seen := map[Column]string{}
	var unknown []string
	for i, name := range header {
		if i == 0 {
			name = strings.TrimPrefix(name, "\uFEFF")
		}
		if !utf8.ValidString(name) {
			return nil, fileErr(0, "", "bad_utf8", "header column %d is not valid UTF-8", i+1)
		}
		c, ok := Aliases[fold(name)]
		if !ok {
			index[i] = -1
			unknown = append(unknown, fmt.Sprintf("%q", name))
			continue
		}
		if prev, dup := seen[c]; dup {
			return nil, fileErr(0, name, "duplicate_column", "columns %q and %q both name %s", prev, name, c)
		}
		seen[c] = name
		index[i] = columnIndex(c)
	}
	if len(unknown) > 0 && !opts.IgnoreUnknownColumns {
		msg := "unknown columns " + strings.Join(unknown, ", ") + " (see the accepted names; --ignore-unknown-columns skips them)"
		if len(header) == 1 && strings.ContainsAny(header[0], ";\t|") {
			msg = "the header is one column " + unknown[0] + ": the file is not comma-separated"
			return nil, fileErr(0, "", "wrong_delimiter", "%s", msg)
		}
		return nil, fileErr(0, "", "unknown_column", "%s", msg)
	}
	var missing []string
	for _, c := range required {
		if _, ok := seen[c]; !ok {
			missing = append(missing, string(c))
		}
	}
	if len(missing) > 0 {
		return nil, fileErr(0, "", "missing_column", "missing required columns: %s", strings.Join(missing, ", "))
	}
	n := 0
	p := &Parser{Format: FormatCSV}
	p.next = func() (*Row, error) {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return nil, io.EOF
		}
		n++
		row := &Row{Number: n}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) && (errors.Is(pe.Err, csv.ErrBareQuote) || errors.Is(pe.Err, csv.ErrQuote)) {
				// The reader resumes at the next line: only this row is lost.
				row.Issues = append(row.Issues, Issue{Row: n, Code: "malformed",
					Message: fmt.Sprintf("malformed CSV at line %d, column %d: %v", pe.Line, pe.Column, pe.Err)})
				return row, nil
			}
			return nil, csvFileError(err, n)
		}
		if len(rec) != len(header) {
			row.Issues = append(row.Issues, Issue{Row: n, Code: "field_count",
				Message: fmt.Sprintf("the row has %d fields, the header %d", len(rec), len(header))})
			return row, nil
		}
		for i, v := range rec {
			if index[i] < 0 {
				continue
			}
			if !utf8.ValidString(v) {
				row.Issues = append(row.Issues, Issue{Row: n, Column: string(columnOrder[index[i]]), Code: "bad_utf8",
					Message: "the value is not valid UTF-8"})
				continue
			}
			row.Values[index[i]] = v
		}
		return row, nil
	}
	return p, nil
}

func csvFileError(err error, row int) error {
	if errors.Is(err, errRowTooLong) {
		return fileErr(row, "", "row_too_long", "the row is longer than %d bytes (the maximum row size)", MaxRowBytes)
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fileErr(row, "", "malformed", "malformed CSV at line %d, column %d: %v", pe.Line, pe.Column, pe.Err)
	}
	return err
}

func newJSONL(br *bufio.Reader, opts Options) (*Parser, error) {
	n := 0
	var line []byte
	p := &Parser{Format: FormatJSONL}
	p.next = func() (*Row, error) {
		for {
			line = line[:0]
			for {
				chunk, err := br.ReadSlice('\n')
				line = append(line, chunk...)
				if len(line) > MaxRowBytes+2 {
					return nil, fileErr(n+1, "", "row_too_long", "the row is longer than %d bytes (the maximum row size)", MaxRowBytes)
				}
				if errors.Is(err, bufio.ErrBufferFull) {
					continue
				}
				if errors.Is(err, io.EOF) && len(line) == 0 {
					if n == 0 {
						return nil, fileErr(0, "", "empty", "the file is empty")
					}
					return nil, io.EOF
				}
				if err != nil && !errors.Is(err, io.EOF) {
					return nil, err
				}
				break
			}
			text := bytes.TrimSpace(line)
			if len(text) == 0 {
				continue // blank lines separate nothing
			}
			n++
			return parseJSONLine(n, text, opts), nil
		}
	}
	return p, nil
}

func parseJSONLine(n int, text []byte, opts Options) *Row {
	row := &Row{Number: n}
	if !utf8.Valid(text) {
		row.Issues = append(row.Issues, Issue{Row: n, Code: "bad_utf8", Message: "the line is not valid UTF-8"})
		return row
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(text, &obj); err != nil {
		row.Issues = append(row.Issues, Issue{Row: n, Code: "malformed", Message: "the line is not a JSON object: " + jsonReason(err)})
		return row
	}
	seen := map[Column]string{}
	for name, raw := range obj {
		c, ok := Aliases[fold(name)]
		if !ok {
			if !opts.IgnoreUnknownColumns {
				row.Issues = append(row.Issues, Issue{Row: n, Column: name, Code: "unknown_column",
					Message: fmt.Sprintf("unknown field %q (--ignore-unknown-columns skips it)", name)})
			}
			continue
		}
		if prev, dup := seen[c]; dup {
			row.Issues = append(row.Issues, Issue{Row: n, Column: string(c), Code: "duplicate_column",
				Message: fmt.Sprintf("fields %q and %q both name %s", prev, name, c)})
			continue
		}
		seen[c] = name
		v, ok := jsonValue(c, raw)
		if !ok {
			row.Issues = append(row.Issues, Issue{Row: n, Column: string(c), Code: "invalid",
				Message: fmt.Sprintf("%s must be a string%s", c, map[bool]string{true: " or a number", false: ""}[c == ColAmount])})
			continue
		}
		row.Values[columnIndex(c)] = v
	}
	return row
}

// jsonValue is a field's text: a string's value, an amount's number
// literal as written (never through a float), line items' array as JSON.
func jsonValue(c Column, raw json.RawMessage) (string, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", true
	}
	switch {
	case raw[0] == '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", false
		}
		return s, true
	case c == ColAmount && (raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9'):
		return string(raw), true
	case c == ColLineItems && raw[0] == '[':
		return string(raw), true
	}
	return "", false
}

func jsonReason(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("%v (at byte %d)", se, se.Offset)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return "expected an object, got " + te.Value
	}
	return "invalid JSON"
}
