package output_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/cli/output"
)

var now = time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)

func fixed() time.Time { return now }

func env(vars map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := vars[k]
		return v, ok
	}
}

func TestDetectTerm(t *testing.T) {
	var buf bytes.Buffer // not a terminal
	for _, tc := range []struct {
		name       string
		vars       map[string]string
		tty, color bool
	}{
		{"pipe", nil, false, false},
		{"forced", map[string]string{output.ForceTTYEnv: "1"}, true, true},
		{"forced, NO_COLOR empty still counts", map[string]string{output.ForceTTYEnv: "1", "NO_COLOR": ""}, true, false},
		{"forced, NO_COLOR=1", map[string]string{output.ForceTTYEnv: "1", "NO_COLOR": "1"}, true, false},
		{"forced, TERM=dumb", map[string]string{output.ForceTTYEnv: "1", "TERM": "dumb"}, true, false},
		{"forced off", map[string]string{output.ForceTTYEnv: "0"}, false, false},
	} {
		got := output.DetectTerm(&buf, env(tc.vars))
		if got.TTY != tc.tty || got.Color != tc.color {
			t.Errorf("%s: TTY %v color %v, want %v %v", tc.name, got.TTY, got.Color, tc.tty, tc.color)
		}
	}
}

func TestRelative(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{-30 * time.Second, "now"},
		{20 * time.Second, "now"},
		{-5 * time.Minute, "5m ago"},
		{-3 * time.Hour, "3h ago"},
		{-47 * time.Hour, "47h ago"},
		{2 * 24 * time.Hour, "in 2d"},
		{90 * time.Minute, "in 1h"},
		{-59 * 24 * time.Hour, "59d ago"},
		{-90 * 24 * time.Hour, "3mo ago"},
		{3 * 365 * 24 * time.Hour, "in 3y"},
	} {
		if got := output.Relative(now.Add(tc.d), now); got != tc.want {
			t.Errorf("Relative(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

func rows() [][]any {
	due := now.Add(50 * time.Hour)
	return [][]any{
		{"CASE-1", output.State("CRITICAL"), output.Time(due), output.ID("c-1"), output.Seq{output.Time(now.Add(-3 * time.Hour)), " by Jo"}},
		{"CASE-22", output.State("INTAKE"), output.Time(time.Time{}), output.ID("c-22"), "tab\there"},
	}
}

func TestPipedTableIsTabSeparatedWithAbsoluteTimesAndNoColour(t *testing.T) {
	var b bytes.Buffer
	term := output.Term{TTY: false, Color: true, Now: fixed} // colour never applies without a terminal
	if err := term.Table(&b, []string{"NUMBER", "URGENCY", "DUE", "ID", "CREATED"}, rows()); err != nil {
		t.Fatal(err)
	}
	want := "CASE-1\tCRITICAL\t2026-12-05T14:00:00Z\tc-1\t2026-12-03T09:00:00Z by Jo\n" +
		"CASE-22\tINTAKE\t\tc-22\ttab\\there\n"
	if b.String() != want {
		t.Errorf("piped table:\n%q\nwant\n%q", b.String(), want)
	}
}

func TestPipedTimeIsUTC(t *testing.T) {
	var b bytes.Buffer
	tm := time.Date(2026, 12, 3, 8, 0, 0, 0, time.FixedZone("CST", -6*3600))
	_ = output.Term{}.Table(&b, nil, [][]any{{output.Time(tm)}})
	if b.String() != "2026-12-03T14:00:00Z\n" {
		t.Errorf("got %q", b.String())
	}
}

func TestTerminalTableHasHeaderRelativeTimesAndColour(t *testing.T) {
	var b bytes.Buffer
	term := output.Term{TTY: true, Color: true, Now: fixed}
	if err := term.Table(&b, []string{"NUMBER", "URGENCY", "DUE", "ID", "CREATED"}, rows()); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("want a header and two rows, got %q", b.String())
	}
	if !strings.Contains(lines[0], "\x1b[1mNUMBER\x1b[0m") {
		t.Errorf("header not bold: %q", lines[0])
	}
	for _, want := range []string{"\x1b[31mCRITICAL\x1b[0m", "in 2d", "\x1b[2mc-1\x1b[0m", "3h ago by Jo"} {
		if !strings.Contains(lines[1], want) {
			t.Errorf("row %q lacks %q", lines[1], want)
		}
	}
	if strings.Contains(b.String(), "\t") || strings.Contains(b.String(), "2026-") {
		t.Errorf("terminal table has tabs or absolute times: %q", b.String())
	}
	// Colour codes take no columns: without them the columns line up.
	plain := stripSGR(b.String())
	ls := strings.Split(plain, "\n")
	if i, j := strings.Index(ls[1], "CRITICAL"), strings.Index(ls[2], "INTAKE"); i != j || i != strings.Index(ls[0], "URGENCY") {
		t.Errorf("columns do not line up:\n%s", plain)
	}
}

func TestTerminalTableWithoutColour(t *testing.T) {
	var b bytes.Buffer
	_ = output.Term{TTY: true, Color: false, Now: fixed}.Table(&b, []string{"NUMBER", "URGENCY", "DUE", "ID", "CREATED"}, rows())
	if strings.Contains(b.String(), "\x1b") {
		t.Errorf("colour without Color: %q", b.String())
	}
	if !strings.HasPrefix(b.String(), "NUMBER   URGENCY") {
		t.Errorf("no plain header: %q", b.String())
	}
}

func TestFieldsShowRelativeTimesOnATerminal(t *testing.T) {
	var tty, pipe bytes.Buffer
	pairs := []any{"status", output.State("BREACHED"), "created", output.Seq{output.Time(now.Add(-26 * time.Hour)), " by Jo"}}
	output.Term{TTY: true, Now: fixed}.Fields(&tty, pairs...)
	output.Term{TTY: false, Now: fixed}.Fields(&pipe, pairs...)
	if want := "status:  BREACHED\ncreated: 26h ago by Jo\n"; tty.String() != want {
		t.Errorf("terminal fields %q, want %q", tty.String(), want)
	}
	if want := "status:  BREACHED\ncreated: 2026-12-02T10:00:00Z by Jo\n"; pipe.String() != want {
		t.Errorf("piped fields %q, want %q", pipe.String(), want)
	}
}

func stripSGR(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == 0x1b {
			for i < len(s) && s[i] != 'm' {
				i++
			}
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// --- JSON views ---

type item struct {
	Number string     `json:"number"`
	Status string     `json:"status"`
	Title  string     `json:"title"`
	Due    *time.Time `json:"dueAt,omitempty"`
	Hidden string     `json:"-"`
}

type page struct {
	Items      []item `json:"items"`
	NextCursor string `json:"nextCursor,omitempty"`
}

func view(t *testing.T, jv output.JSONView, v any) (string, error) {
	t.Helper()
	var b bytes.Buffer
	err := jv.Write(&b, v, output.Term{Now: fixed})
	return b.String(), err
}

func isValidation(err error) bool {
	var e *apperr.Error
	return errors.As(err, &e) && e.Code == apperr.Validation && apperr.SpecOf(e.Code).ExitCode == 2
}

func TestJSONFieldsOfAListKeepTheCursor(t *testing.T) {
	p := page{Items: []item{{Number: "C-1", Status: "INTAKE", Title: "x"}}, NextCursor: "abc"}
	got, err := view(t, output.JSONView{Fields: []string{"number", "status"}}, p)
	if err != nil {
		t.Fatal(err)
	}
	want := "{\n  \"items\": [\n    {\n      \"number\": \"C-1\",\n      \"status\": \"INTAKE\"\n    }\n  ],\n  \"nextCursor\": \"abc\"\n}\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestJSONFieldsOfAnObject(t *testing.T) {
	got, err := view(t, output.JSONView{Fields: []string{"title"}}, item{Number: "C-1", Title: "x"})
	if err != nil || got != "{\n  \"title\": \"x\"\n}\n" {
		t.Errorf("got %q, %v", got, err)
	}
}

func TestUnknownJSONFieldListsTheTypesFieldsEvenForAnEmptyList(t *testing.T) {
	_, err := view(t, output.JSONView{Fields: []string{"number", "bogus"}}, page{})
	if !isValidation(err) {
		t.Fatalf("want a validation error, got %v", err)
	}
	// dueAt is omitempty and Hidden is json:"-": the type, not the data,
	// says what exists.
	if want := `--json: unknown field "bogus"; available fields: dueAt, number, status, title`; err.Error() != want {
		t.Errorf("got %q\nwant %q", err.Error(), want)
	}
}

func TestJQ(t *testing.T) {
	p := page{Items: []item{{Number: "C-1", Status: "INTAKE"}, {Number: "C-2", Status: "CLOSED"}}}
	got, err := view(t, output.JSONView{JQ: `.items[] | select(.status == "INTAKE") | .number`}, p)
	if err != nil || got != "C-1\n" {
		t.Errorf("string result: %q, %v", got, err)
	}
	got, err = view(t, output.JSONView{JQ: `[.items[].number]`}, p)
	if err != nil || got != "[\n  \"C-1\",\n  \"C-2\"\n]\n" {
		t.Errorf("array result: %q, %v", got, err)
	}
	got, err = view(t, output.JSONView{JQ: `.n + 1`}, map[string]int64{"n": 9007199254740993})
	if err != nil || got != "9007199254740994\n" {
		t.Errorf("exact integers: %q, %v", got, err)
	}
	for _, bad := range []string{`.items[] |`, `.items | error("boom")`, `nosuchfn(1)`} {
		if _, err := view(t, output.JSONView{JQ: bad}, p); !isValidation(err) || !strings.HasPrefix(err.Error(), "--jq: ") {
			t.Errorf("%q: want a validation error naming --jq, got %v", bad, err)
		}
	}
}

func TestTemplate(t *testing.T) {
	due := now.Add(-3 * time.Hour)
	p := page{Items: []item{{Number: "C-1", Title: "Water heater leaking", Due: &due}}}
	got, err := view(t, output.JSONView{Template: `{{range .items}}{{.number}} {{truncate 6 .title}} {{timeago .dueAt}} {{json .number}}{{end}}`}, p)
	if err != nil || got != `C-1 Water… 3h ago "C-1"` {
		t.Errorf("got %q, %v", got, err)
	}
	got, err = view(t, output.JSONView{Template: `{{join ", " .tags}}`}, map[string]any{"tags": []string{"a", "b"}})
	if err != nil || got != "a, b" {
		t.Errorf("join: %q, %v", got, err)
	}
	for _, bad := range []string{`{{.items`, `{{nosuch .x}}`, `{{timeago .number}}`} {
		if _, err := view(t, output.JSONView{Template: bad}, item{Number: "C-1"}); !isValidation(err) || !strings.Contains(err.Error(), "--template") {
			t.Errorf("%q: want a validation error naming --template, got %v", bad, err)
		}
	}
}

func TestFieldsThenJQ(t *testing.T) {
	p := page{Items: []item{{Number: "C-1", Status: "INTAKE", Title: "x"}}}
	got, err := view(t, output.JSONView{Fields: []string{"number"}, JQ: `.items[0] | keys | join(",")`}, p)
	if err != nil || got != "number\n" {
		t.Errorf("got %q, %v", got, err)
	}
}
