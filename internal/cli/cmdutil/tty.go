package cmdutil

import (
	"os"

	"github.com/mattn/go-isatty"
)

// ForceTTYEnv overrides terminal detection: "1" makes the process behave as
// if stdin and stdout were terminals, "0" as if they were not. Tests use it
// to drive the interactive paths; it is read here and nowhere else.
const ForceTTYEnv = "HESTAMI_FORCE_TTY"

// Interactive reports whether a person can answer a prompt: stdin and stdout
// are both terminals. A script piping either must never block on a question.
func Interactive() bool {
	if v, ok := forcedTTY(); ok {
		return v
	}
	return isTerminal(os.Stdin) && isTerminal(os.Stdout)
}

// StdoutTTY reports whether stdout is a terminal (honouring ForceTTYEnv),
// for output that differs on a terminal.
func StdoutTTY() bool {
	if v, ok := forcedTTY(); ok {
		return v
	}
	return isTerminal(os.Stdout)
}

func forcedTTY() (value, set bool) {
	switch os.Getenv(ForceTTYEnv) {
	case "1":
		return true, true
	case "0":
		return false, true
	}
	return false, false
}

func isTerminal(f *os.File) bool {
	return isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd())
}
