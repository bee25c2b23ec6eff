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
	"text/tabwriter"

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

// Table prints rows under a header.
func Table(w io.Writer, header []string, rows [][]string) error {
	if !IsTerminal(w) {
		for _, r := range rows {
			fmt.Fprintln(w, strings.Join(r, "\t"))
		}
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}

// Fields prints key: value lines.
func Fields(w io.Writer, pairs ...string) {
	tw := tabwriter.NewWriter(w, 0, 4, 1, ' ', 0)
	for i := 0; i+1 < len(pairs); i += 2 {
		fmt.Fprintf(tw, "%s:\t%s\n", pairs[i], pairs[i+1])
	}
	tw.Flush()
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
	if internal {
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
