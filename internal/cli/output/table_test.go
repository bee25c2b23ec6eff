package output

import (
	"bytes"
	"strings"
	"testing"
)

// width is the display width of the characters these tests use, worked out
// here rather than with the library under test: ASCII is one column; CJK
// ideographs, CJK punctuation (the ideographic space), kana, fullwidth forms and pictographic emoji are two.
func width(t *testing.T, s string) int {
	t.Helper()
	n := 0
	for _, r := range s {
		switch {
		case r >= 0x20 && r < 0x7F:
			n++
		case r >= 0x3000 && r <= 0x30FF, r >= 0x4E00 && r <= 0x9FFF, r >= 0xFF01 && r <= 0xFF60, r >= 0x1F300 && r <= 0x1FAFF:
			n += 2
		default:
			t.Fatalf("width: no known width for %U in %q", r, s)
		}
	}
	return n
}

// columnStarts splits an aligned line into the cells it was made of and
// returns the display column where each cell starts.
func columnStarts(t *testing.T, line string, cells []string) []int {
	t.Helper()
	var starts []int
	col := 0
	rest := line
	for i, c := range cells {
		if !strings.HasPrefix(rest, c) {
			t.Fatalf("line %q: cell %d is not %q", line, i, c)
		}
		starts = append(starts, col)
		col += width(t, c)
		rest = rest[len(c):]
		if i == len(cells)-1 {
			if rest != "" {
				t.Fatalf("line %q: trailing %q after the last cell", line, rest)
			}
			break
		}
		pad := len(rest) - len(strings.TrimLeft(rest, " "))
		if pad < 2 {
			t.Fatalf("line %q: cells %d and %d are %d spaces apart, want at least 2", line, i, i+1, pad)
		}
		col += pad
		rest = rest[pad:]
	}
	return starts
}

func TestAlignedTableKeepsColumnsOfWideCharacters(t *testing.T) {
	header := []string{"NUMBER", "TITLE", "STATUS"}
	rows := [][]string{
		{"CASE-1", "水管漏水", "INTAKE"},
		{"CASE-22", "🔥 fire in the 🏠", "IN_PROGRESS"},
		{"CASE-333", "ｆｕｌｌ　ｗｉｄｔｈ", "CLOSED"}, // the ideographic space is wide too
		{"C-4", "plain title", "ON_HOLD"},
		{"C-5", "カタカナ", "RESOLVED"},
	}
	var buf bytes.Buffer
	if err := table(&buf, header, rows, true); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != len(rows)+1 {
		t.Fatalf("got %d lines, want %d:\n%s", len(lines), len(rows)+1, buf.String())
	}
	want := columnStarts(t, lines[0], header)
	for i, r := range rows {
		got := columnStarts(t, lines[i+1], r)
		for j := range got {
			if got[j] != want[j] {
				t.Errorf("row %d column %d starts at display column %d, the header's at %d:\n%s", i, j, got[j], want[j], buf.String())
			}
		}
	}
}

func TestTableEscapesControlCharacters(t *testing.T) {
	rows := [][]string{{"CASE-1", "a\nb\tc\rd", "\x1b[31mred"}, {"CASE-2", "ok", "bell\a"}}
	const row1 = `CASE-1  a\nb\tc\rd  \x1b[31mred`
	const row2 = `CASE-2  ok          bell\x07`

	var tty bytes.Buffer
	if err := table(&tty, []string{"NUMBER", "TITLE", "NOTE"}, rows, true); err != nil {
		t.Fatal(err)
	}
	wantTTY := "NUMBER  TITLE       NOTE\n" + row1 + "\n" + row2 + "\n"
	if tty.String() != wantTTY {
		t.Errorf("terminal table:\n%q\nwant\n%q", tty.String(), wantTTY)
	}

	var pipe bytes.Buffer
	if err := table(&pipe, []string{"NUMBER", "TITLE", "NOTE"}, rows, false); err != nil {
		t.Fatal(err)
	}
	wantTSV := "CASE-1\t" + `a\nb\tc\rd` + "\t" + `\x1b[31mred` + "\n" + "CASE-2\tok\t" + `bell\x07` + "\n"
	if pipe.String() != wantTSV {
		t.Errorf("piped table:\n%q\nwant\n%q", pipe.String(), wantTSV)
	}
}

func TestEscape(t *testing.T) {
	for in, want := range map[string]string{
		"plain":           "plain",
		"水管 🔥":            "水管 🔥",
		"👨\u200d👩\u200d👧": "👨\u200d👩\u200d👧", // a joined emoji is not a control
		"a\nb":            `a\nb`,
		"\x00\x7f":        `\x00\x7f`,
		"c1\u0085":        `c1\u0085`,
		"evil\u202etxt":   `evil\u202etxt`,
		"bad\xffbyte":     `bad\xffbyte`,
		`back\slash`:      `back\slash`,
	} {
		if got := Escape(in); got != want {
			t.Errorf("Escape(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFieldsKeepOneLinePerField(t *testing.T) {
	var buf bytes.Buffer
	Fields(&buf, "title", "a\nb", "number", "CASE-1")
	want := "title:  a\\nb\nnumber: CASE-1\n"
	if buf.String() != want {
		t.Errorf("Fields:\n%q\nwant\n%q", buf.String(), want)
	}
}
