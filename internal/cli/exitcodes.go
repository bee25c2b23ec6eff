package cli

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hestami/concierge/internal/apperr"
)

// exitMeanings says what each error type of apperr's table means to
// someone scripting hestami. The codes, exit codes and types themselves
// come from apperr; TestEveryErrorTypeHasAMeaning keeps this in step.
var exitMeanings = map[string]string{
	"validation":     "the input or the command line is wrong (a usage mistake, a missing or bad flag or field, a bad --json field, --jq expression or --template)",
	"authentication": "nobody known is acting: no token, or a bad, expired or revoked one",
	"authorization":  "the acting user may not do this here",
	"not_found":      "what was named does not exist, or is not visible to the acting user",
	"conflict":       "the current state does not allow it (a transition, a concurrent change, an idempotency key in use or reused with other input)",
	"rate_limit":     "too many requests; retry later",
	"unavailable":    "a dependency (database, PDP, server) is unavailable; retry later",
	"internal":       "an unexpected failure; the message carries a trace id (HESTAMI_LOG_LEVEL=debug logs the cause)",
}

// exitCode is one row of the exit-code table.
type exitCode struct {
	Code    int
	Meaning string
	Errors  []string // apperr codes, sorted
}

// exitCodes derives the exit-code table from apperr's: 0 for success, then
// every exit code apperr maps a code to, with the codes and what their
// types mean.
func exitCodes() []exitCode {
	byExit := map[int]*exitCode{}
	types := map[int][]string{}
	for _, c := range apperr.Codes() {
		s := apperr.SpecOf(c)
		e, ok := byExit[s.ExitCode]
		if !ok {
			e = &exitCode{Code: s.ExitCode}
			byExit[s.ExitCode] = e
		}
		e.Errors = append(e.Errors, string(c))
		if !slices.Contains(types[s.ExitCode], s.Type) {
			types[s.ExitCode] = append(types[s.ExitCode], s.Type)
		}
	}
	out := []exitCode{{Code: 0, Meaning: "success (a command group run alone, or --help, prints help and succeeds too)"}}
	for code, e := range byExit {
		slices.Sort(e.Errors)
		ts := types[code]
		slices.Sort(ts)
		meanings := make([]string, len(ts))
		for i, t := range ts {
			meanings[i] = exitMeanings[t]
			if meanings[i] == "" {
				meanings[i] = t
			}
		}
		e.Meaning = strings.Join(meanings, "; ")
		out = append(out, *e)
	}
	slices.SortFunc(out, func(a, b exitCode) int { return a.Code - b.Code })
	return out
}

// exitCodesHelp is `hestami help exit-codes`.
func exitCodesHelp() string {
	var b strings.Builder
	b.WriteString(`hestami exits with a code that says what kind of failure it met; the error
codes are those of the API's error envelope (--json prints it on stderr).

`)
	for _, e := range exitCodes() {
		fmt.Fprintf(&b, "%3d  %s\n", e.Code, e.Meaning)
		if len(e.Errors) > 0 {
			fmt.Fprintf(&b, "     %s\n", strings.Join(e.Errors, ", "))
		}
	}
	return b.String()
}

// ExitCodesMarkdown is the README's exit-code table.
func ExitCodesMarkdown() string {
	var b strings.Builder
	b.WriteString("| Exit | Error codes | Meaning |\n|---|---|---|\n")
	for _, e := range exitCodes() {
		codes := make([]string, len(e.Errors))
		for i, c := range e.Errors {
			codes[i] = "`" + c + "`"
		}
		errs := strings.Join(codes, ", ")
		if errs == "" {
			errs = "—"
		}
		fmt.Fprintf(&b, "| %d | %s | %s |\n", e.Code, errs, e.Meaning)
	}
	return b.String()
}

// helpTopics are `hestami help TOPIC` pages that are not commands; cobra
// lists them under "Additional help topics".
func helpTopics() []*cobra.Command {
	exit := &cobra.Command{
		Use:   "exit-codes",
		Short: "What hestami's exit codes mean, and which error codes map to each",
		Long:  exitCodesHelp(),
	}
	exit.SetHelpFunc(func(c *cobra.Command, _ []string) { fmt.Fprint(c.OutOrStdout(), c.Long) })
	return []*cobra.Command{exit}
}
