// Package logtest collects the JSON log records a test's code writes (from
// any number of goroutines) and finds them by message or trace id.
package logtest

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"
)

// Buffer is an io.Writer of JSON log lines, safe for concurrent writers.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String is everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Logger writes JSON records at every level into b.
func (b *Buffer) Logger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// Records returns the records for which keep is true; a line that is not a
// JSON record fails the test.
func (b *Buffer) Records(t testing.TB, keep func(r map[string]any) bool) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		if line == "" {
			continue
		}
		var r map[string]any
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("a log line is not a JSON record: %q", line)
		}
		if keep(r) {
			out = append(out, r)
		}
	}
	return out
}

// Message keeps the records whose message starts with prefix.
func Message(prefix string) func(map[string]any) bool {
	return func(r map[string]any) bool {
		m, _ := r["msg"].(string)
		return strings.HasPrefix(m, prefix)
	}
}

// Trace keeps the records of one trace.
func Trace(id string) func(map[string]any) bool {
	return func(r map[string]any) bool { return r["trace_id"] == id }
}
