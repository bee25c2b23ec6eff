// Package output prints command results: JSON with --json, otherwise a
// table that is aligned on a terminal and tab-separated in a pipe.
package output

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mattn/go-runewidth"

	"github.com/hestami/concierge/internal/apperr"
)

// JSON writes v as indented JSON.
func JSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// IsTerminal reports whether w is a terminal.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// Table prints rows under a header: aligned by display width on a terminal,
// tab-separated without the header in a pipe. Control characters in cells
// are escaped in both, so a cell never breaks a row or a column. Commands
// print through Term.Table, which also knows about relative times and
// colour; this is for writers whose terminal-ness is all there is to know.
func Table(w io.Writer, header []string, rows [][]string) error {
	return table(w, header, rows, IsTerminal(w))
}

func table(w io.Writer, header []string, rows [][]string, aligned bool) error {
	cells := make([][]any, len(rows))
	for i, r := range rows {
		cells[i] = make([]any, len(r))
		for j, c := range r {
			cells[i][j] = c
		}
	}
	return Term{TTY: aligned}.Table(w, header, cells)
}

// Fields prints key: value lines with the values aligned; control
// characters in values are escaped.
func Fields(w io.Writer, pairs ...string) {
	cells := make([]any, len(pairs))
	for i, p := range pairs {
		cells[i] = p
	}
	Term{TTY: IsTerminal(w)}.Fields(w, cells...)
}

// align writes lines with every column but the last padded to its widest
// cell. Widths are terminal columns (East Asian wide characters and emoji
// take two), which text/tabwriter does not know about; they are measured on
// the text alone, so a cell's colour never shifts a column.
func align(w io.Writer, lines [][]rendered, gap string) error {
	var widths []int
	for _, l := range lines {
		for j, c := range l {
			if j == len(widths) {
				widths = append(widths, 0)
			}
			widths[j] = max(widths[j], runewidth.StringWidth(c.text))
		}
	}
	var b strings.Builder
	for _, l := range lines {
		for j, c := range l {
			b.WriteString(c.styled)
			if j < len(l)-1 {
				b.WriteString(strings.Repeat(" ", widths[j]-runewidth.StringWidth(c.text)))
				b.WriteString(gap)
			}
		}
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Escape makes s safe to print as one cell of one line: line breaks, tabs,
// other control characters (C0, DEL, C1), bidirectional overrides and bytes
// that are not UTF-8 are shown as Go-style escapes (\n, \t, \r, \x1b,
// \u202e). It is for display; --json carries the exact value.
func Escape(s string) string {
	if !needsEscape(s) {
		return s
	}
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == utf8.RuneError:
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				fmt.Fprintf(&b, "\\x%02x", s[i])
				continue
			}
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x80 && unicode.IsControl(r):
			fmt.Fprintf(&b, "\\x%02x", r)
		case unicode.IsControl(r) || isBidiControl(r):
			fmt.Fprintf(&b, "\\u%04x", r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func needsEscape(s string) bool {
	if !utf8.ValidString(s) {
		return true
	}
	for _, r := range s {
		if unicode.IsControl(r) || isBidiControl(r) {
			return true
		}
	}
	return false
}

// isBidiControl reports the embedding, override and isolate controls that
// can make a terminal show text in another order than it is stored.
func isBidiControl(r rune) bool {
	return (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069)
}

// LogLevelEnv names the variable that sets the CLI's log level (debug,
// info, warn, error; default info). At debug, the cause of an internal error
// is logged to the error stream next to the message users see.
const LogLevelEnv = "HESTAMI_LOG_LEVEL"

// traced is an error with the trace id of the call that produced it.
type traced struct {
	err     error
	traceID string
}

func (t *traced) Error() string { return t.err.Error() }
func (t *traced) Unwrap() error { return t.err }

// WithTrace attaches the trace id of the call that failed with err, for
// PrintError to show; a nil err stays nil.
func WithTrace(err error, traceID string) error {
	if err == nil || traceID == "" {
		return err
	}
	return &traced{err: err, traceID: traceID}
}

func traceOf(err error) string {
	var t *traced
	if errors.As(err, &t) {
		return t.traceID
	}
	return ""
}

// PrintError writes err for a human (or as the envelope with asJSON) and
// returns the exit code of its type. An internal error shows only its public
// message and the trace id, as over the API: its cause (driver text, file
// paths) is logged at debug level (HESTAMI_LOG_LEVEL=debug) and never printed
// otherwise.
func PrintError(w io.Writer, err error, asJSON bool) int {
	e := apperr.From(err)
	traceID := traceOf(err)
	internal := e.Code == apperr.Internal
	debug := false
	// A dependency's own error text (a driver's, gRPC's) is for the log too.
	if internal || (e.Code == apperr.DependencyUnavailable && e.Err != nil) {
		debug = logCause(w, e, traceID)
	}
	switch {
	case asJSON:
		_ = JSON(w, apperr.ToEnvelope(e, traceID))
	case internal:
		msg := e.PublicMessage()
		if traceID != "" {
			msg += " (trace " + traceID + ")"
		}
		fmt.Fprintf(w, "error: %s\n", msg)
		if !debug {
			fmt.Fprintf(w, "  set %s=debug to log the cause\n", LogLevelEnv)
		}
	default:
		fmt.Fprintf(w, "error: %s\n", e.Error())
	}
	return apperr.SpecOf(e.Code).ExitCode
}

// logCause logs the cause of an internal error at debug level and reports
// whether debug logging is on.
func logCause(w io.Writer, e *apperr.Error, traceID string) bool {
	var level slog.Level
	if err := level.UnmarshalText([]byte(os.Getenv(LogLevelEnv))); err != nil {
		level = slog.LevelInfo
	}
	if level > slog.LevelDebug {
		return false
	}
	cause := error(e)
	if e.Err != nil {
		cause = e.Err
	}
	slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level})).
		Debug("internal error", "trace_id", traceID, "cause", cause.Error())
	return true
}
