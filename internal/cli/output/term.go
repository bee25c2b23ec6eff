package output

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// ForceTTYEnv names the variable that overrides whether standard output is
// a terminal: 1 prints the terminal form (header, relative times, colour
// unless NO_COLOR) into a pipe, which is how tests see it; 0 prints the
// piped form on a terminal.
const ForceTTYEnv = "HESTAMI_FORCE_TTY"

// Term is what the stream a command prints to can show. On a terminal
// (TTY) tables are aligned under a header and times are relative to Now;
// otherwise rows are tab-separated, headerless, with absolute RFC 3339
// times, the form scripts parse. Color is only ever on with TTY.
type Term struct {
	TTY   bool
	Color bool
	// Now is the instant relative times count from; nil is the clock.
	Now func() time.Time
}

// DetectTerm decides the Term of w from what w is and the environment:
// ForceTTYEnv, then NO_COLOR (any value, https://no-color.org) and
// TERM=dumb, which turn colour off.
func DetectTerm(w io.Writer, lookupEnv func(string) (string, bool)) Term {
	tty := IsTerminal(w)
	switch v, _ := lookupEnv(ForceTTYEnv); v {
	case "1", "true":
		tty = true
	case "0", "false":
		tty = false
	}
	_, noColor := lookupEnv("NO_COLOR")
	term, _ := lookupEnv("TERM")
	return Term{TTY: tty, Color: tty && !noColor && term != "dumb"}
}

func (t Term) now() time.Time {
	if t.Now != nil {
		return t.Now()
	}
	return time.Now()
}

// Typed cells. A plain string is text; these say what a value is, so the
// Term decides how it looks instead of guessing from the text.
type (
	// Time is an instant: relative ("3h ago", "in 2d") on a terminal,
	// RFC 3339 in UTC otherwise; the zero time is an empty cell.
	Time time.Time
	// ID is an identifier, dimmed on a colour terminal.
	ID string
	// State is an enumerated value (a status, priority, urgency, SLA
	// state), coloured on a colour terminal by what it means.
	State string
	// Seq is one cell made of several, such as a time and who did it.
	Seq []any
)

// SGR parameters of the few styles used.
const (
	sgrBold   = "1"
	sgrDim    = "2"
	sgrRed    = "31"
	sgrGreen  = "32"
	sgrYellow = "33"
)

// stateColors colours a value by what it asks of the reader: red needs
// attention now, yellow soon or waits on someone, green is done or fine,
// dim is over. Values not listed are plain.
var stateColors = map[string]string{
	"CRITICAL": sgrRed, "EMERGENCY": sgrRed, "URGENT": sgrRed, "BREACHED": sgrRed,
	"REJECTED": sgrRed, "DENIED": sgrRed, "BROKEN": sgrRed, "DISPUTED": sgrRed, "EXPIRED": sgrRed,
	"HIGH": sgrYellow, "AT_RISK": sgrYellow, "ON_HOLD": sgrYellow, "PENDING": sgrYellow,
	"PENDING_OWNER": sgrYellow, "PENDING_EXTERNAL": sgrYellow, "PENDING_REVIEW": sgrYellow,
	"PENDING_ACCEPTANCE": sgrYellow, "UNDER_REVIEW": sgrYellow, "SUBMITTED": sgrYellow,
	"ON_TRACK": sgrGreen, "ACTIVE": sgrGreen, "APPROVED": sgrGreen, "APPROVED_WITH_CONDITIONS": sgrGreen,
	"RESOLVED": sgrGreen, "DONE": sgrGreen, "ACCEPTED": sgrGreen, "PAID": sgrGreen, "SCHEDULED": sgrGreen,
	"CLOSED": sgrDim, "CANCELLED": sgrDim, "WITHDRAWN": sgrDim, "REVOKED": sgrDim, "LOW": sgrDim,
}

// rendered is a cell as text (for widths) and as printed (with colour).
type rendered struct{ text, styled string }

func (t Term) style(text, sgr string) rendered {
	if !t.TTY || !t.Color || sgr == "" || text == "" {
		return rendered{text, text}
	}
	return rendered{text, "\x1b[" + sgr + "m" + text + "\x1b[0m"}
}

// render shows one cell; every text is escaped (see Escape).
func (t Term) render(c any) rendered {
	switch v := c.(type) {
	case string:
		return t.style(Escape(v), "")
	case Time:
		return t.style(t.FormatTime(time.Time(v)), "")
	case ID:
		return t.style(Escape(string(v)), sgrDim)
	case State:
		return t.style(Escape(string(v)), stateColors[string(v)])
	case Seq:
		var r rendered
		for _, p := range v {
			pr := t.render(p)
			r.text += pr.text
			r.styled += pr.styled
		}
		return r
	case nil:
		return rendered{}
	default:
		return t.style(Escape(fmt.Sprint(v)), "")
	}
}

// FormatTime shows tm as a Time cell does; the zero time is "".
func (t Term) FormatTime(tm time.Time) string {
	switch {
	case tm.IsZero():
		return ""
	case t.TTY:
		return Relative(tm, t.now())
	default:
		return tm.UTC().Format(time.RFC3339)
	}
}

// Relative says how far tm is from now in the largest whole unit: "now"
// within a minute, then "5m ago", "3h ago", "2d ago", "4mo ago", "2y ago",
// or "in 5m" … for the future. Hours run to 48 and days to 60, so
// "yesterday"-ish and "last month"-ish stay precise enough to act on.
func Relative(tm, now time.Time) string {
	d := now.Sub(tm)
	future := d < 0
	if future {
		d = -d
	}
	var s string
	switch {
	case d < time.Minute:
		return "now"
	case d < time.Hour:
		s = fmt.Sprintf("%dm", int(d/time.Minute))
	case d < 48*time.Hour:
		s = fmt.Sprintf("%dh", int(d/time.Hour))
	case d < 60*24*time.Hour:
		s = fmt.Sprintf("%dd", int(d/(24*time.Hour)))
	case d < 2*365*24*time.Hour:
		s = fmt.Sprintf("%dmo", int(d/(30*24*time.Hour)))
	default:
		s = fmt.Sprintf("%dy", int(d/(365*24*time.Hour)))
	}
	if future {
		return "in " + s
	}
	return s + " ago"
}

// Table prints rows of cells under header: on a terminal aligned by display
// width, with the header (bold in colour), relative times and colour; in a
// pipe tab-separated without the header, with absolute times and no
// colour.
func (t Term) Table(w io.Writer, header []string, rows [][]any) error {
	lines := make([][]rendered, 0, len(rows)+1)
	if t.TTY {
		h := make([]rendered, len(header))
		for i, c := range header {
			h[i] = t.style(c, sgrBold)
		}
		lines = append(lines, h)
	}
	for _, r := range rows {
		l := make([]rendered, len(r))
		for j, c := range r {
			l[j] = t.render(c)
		}
		lines = append(lines, l)
	}
	if t.TTY {
		return align(w, lines, "  ")
	}
	var b strings.Builder
	for _, l := range lines {
		for j, c := range l {
			if j > 0 {
				b.WriteByte('\t')
			}
			b.WriteString(c.styled)
		}
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Fields prints "key: value" lines with the values aligned, in both forms;
// pairs alternate a key (a string) and a cell.
func (t Term) Fields(w io.Writer, pairs ...any) {
	lines := make([][]rendered, 0, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		lines = append(lines, []rendered{t.style(fmt.Sprint(pairs[i])+":", ""), t.render(pairs[i+1])})
	}
	_ = align(w, lines, " ")
}
