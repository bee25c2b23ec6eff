package logging

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"os"
	"strings"
	"testing"
)

// Anything but a terminal gets one JSON object a line, below the level
// nothing.
func TestPipeGetsJSONAtTheLevel(t *testing.T) {
	var buf bytes.Buffer
	l := New(&buf, slog.LevelWarn)
	l.Info("hidden")
	l.Warn("shown", "n", 1)
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("lines: %q", lines)
	}
	var r map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &r); err != nil {
		t.Fatalf("not JSON: %q", lines[0])
	}
	if r["msg"] != "shown" || r["level"] != "WARN" || r["n"] != float64(1) {
		t.Fatalf("record: %v", r)
	}
}

// A terminal gets text.
func TestTerminalGetsText(t *testing.T) {
	tty, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer tty.Close()
	if _, ok := New(tty, slog.LevelInfo).Handler().(*slog.TextHandler); !ok {
		t.Fatal("a terminal got a handler other than text")
	}
	f, err := os.CreateTemp(t.TempDir(), "log")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, ok := New(f, slog.LevelInfo).Handler().(*slog.JSONHandler); !ok {
		t.Fatal("a regular file got a handler other than JSON")
	}
}

func TestLevel(t *testing.T) {
	debug := slog.LevelDebug
	if Level(&debug, slog.LevelWarn) != slog.LevelDebug || Level(nil, slog.LevelWarn) != slog.LevelWarn {
		t.Fatal("Level")
	}
}
