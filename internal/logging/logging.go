// Package logging builds hestami's process logger: structured records on
// stderr, for a collector or for a person.
package logging

import (
	"io"
	"log/slog"
	"os"
)

// New returns a logger writing records of level and above to w: text when
// w is a terminal, where a person reads it, JSON otherwise, where a log
// collector does.
func New(w io.Writer, level slog.Level) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if isTerminal(w) {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// Level is the configured level, or def when none is configured.
func Level(configured *slog.Level, def slog.Level) slog.Level {
	if configured != nil {
		return *configured
	}
	return def
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
