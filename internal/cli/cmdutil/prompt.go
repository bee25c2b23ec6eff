package cmdutil

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/hestami/concierge/internal/apperr"
)

// promptAnnotation holds the question a required flag is asked with on a
// terminal.
const promptAnnotation = "hestami_prompt"

// Required marks flags a command cannot run without. A missing one is a
// usage error naming the flag, raised before anything is called (the root
// checks, see CheckRequired); the shell completes required flags first.
func Required(cmd *cobra.Command, names ...string) {
	for _, n := range names {
		if err := cmd.MarkFlagRequired(n); err != nil {
			panic(fmt.Sprintf("%s: %v", cmd.CommandPath(), err)) // a programming mistake: no such flag
		}
	}
}

// Prompted marks a required text flag that a person at a terminal is asked
// for (question) instead of being refused.
func Prompted(cmd *cobra.Command, name, question string) {
	Required(cmd, name)
	_ = cmd.Flags().SetAnnotation(name, promptAnnotation, []string{question})
}

// CheckRequired asks for the missing prompted flags when interactive and
// refuses every other missing required flag as a usage error naming them.
// The root runs it before each command, in place of cobra's untyped check.
func CheckRequired(cmd *cobra.Command) error {
	var missing []string
	var firstErr error
	interactive := Interactive()
	cmd.Flags().VisitAll(func(fl *pflag.Flag) {
		if firstErr != nil || fl.Changed {
			return
		}
		if req := fl.Annotations[cobra.BashCompOneRequiredFlag]; len(req) == 0 || req[0] != "true" {
			return
		}
		if q := fl.Annotations[promptAnnotation]; interactive && len(q) > 0 {
			answer, err := ask(cmd, q[0]+": ")
			if err == nil && answer != "" {
				firstErr = cmd.Flags().Set(fl.Name, answer)
				if firstErr != nil {
					firstErr = UsageError(cmd, "--%s: %s", fl.Name, firstErr)
				}
				return
			}
		}
		missing = append(missing, "--"+fl.Name)
	})
	if firstErr != nil {
		return firstErr
	}
	switch len(missing) {
	case 0:
		return nil
	case 1:
		return UsageError(cmd, "missing required flag: %s", missing[0])
	}
	sort.Strings(missing)
	return UsageError(cmd, "missing required flags: %s", strings.Join(missing, ", "))
}

// ArgOrPrompt returns the positional argument args[i] (named name in the
// usage), asking a person at a terminal with question when it was left out.
// The command's Args must allow it to be missing.
func ArgOrPrompt(cmd *cobra.Command, args []string, i int, name, question string) (string, error) {
	if i < len(args) {
		return args[i], nil
	}
	if Interactive() {
		if answer, err := ask(cmd, question+": "); err == nil && answer != "" {
			return answer, nil
		}
	}
	return "", UsageError(cmd, "missing argument %s", name)
}

// YesFlag defines --yes (-y) into p, the consent Confirm reads.
func YesFlag(cmd *cobra.Command, p *bool) {
	cmd.Flags().BoolVarP(p, "yes", "y", false, "do it without asking; required when not on a terminal, as this cannot be undone")
}

// Confirm lets a command that cannot be undone go ahead: with --yes; on a
// terminal when the person answers yes to question; never otherwise, so a
// script that forgot --yes changes nothing. Both refusals are usage errors.
func Confirm(cmd *cobra.Command, yes bool, question string) error {
	if yes {
		return nil
	}
	if !Interactive() {
		return UsageError(cmd, "this cannot be undone: confirm with --yes")
	}
	answer, err := ask(cmd, question+" [y/N] ")
	if err == nil && (strings.EqualFold(answer, "y") || strings.EqualFold(answer, "yes")) {
		return nil
	}
	return &apperr.Error{Code: apperr.Validation, Message: "cancelled: nothing was changed"}
}

// stdin is read through one buffer for the whole process, so two prompts in
// one run never lose what the first read ahead.
var (
	stdinOnce sync.Once
	stdin     *bufio.Reader
)

// ask writes question to stderr (stdout stays the command's result) and
// reads one line, trimmed.
func ask(cmd *cobra.Command, question string) (string, error) {
	stdinOnce.Do(func() { stdin = bufio.NewReader(os.Stdin) })
	fmt.Fprint(cmd.ErrOrStderr(), question)
	line, err := stdin.ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		fmt.Fprintln(cmd.ErrOrStderr())
		return "", err
	}
	return strings.TrimSpace(line), nil
}
