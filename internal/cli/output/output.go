// Package output prints command results: JSON with --json, otherwise a
// table that is aligned on a terminal and tab-separated in a pipe.
package output

import (
	"encoding/json"
	"fmt"
	"io"
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

// PrintError writes err for a human (or as the envelope with asJSON) and
// returns the exit code of its type.
func PrintError(w io.Writer, err error, asJSON bool) int {
	e := apperr.From(err)
	if asJSON {
		env := apperr.ToEnvelope(err, "")
		if e.Code == apperr.Internal && e.Err != nil {
			// The CLI runs on the operator's own machine: show the cause.
			env.Error.Message = e.Err.Error()
		}
		_ = JSON(w, env)
	} else if e.Code == apperr.Internal && e.Err != nil {
		fmt.Fprintf(w, "error: %v\n", e.Err)
	} else {
		fmt.Fprintf(w, "error: %s\n", e.Error())
	}
	return apperr.SpecOf(e.Code).ExitCode
}
