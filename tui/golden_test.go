package tui

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/hestami/concierge/internal/apperr"
)

// TestGolden runs the queue as a program (teatest) at fixed sizes, with
// the ASCII colour profile and a fixed clock, and compares the final
// screen with testdata/TestGolden/*.golden (go test -run TestGolden
// -update rewrites them; README.md's capture is list_100x30).
func TestGolden(t *testing.T) {
	failing := func() *fakeBackend {
		b := world()
		b.fail["case/v1/claim"] = []error{apperr.New(apperr.Conflict, "CASE-2026-4 is assigned to someone else; ask them or use assign")}
		return b
	}
	for _, tc := range []struct {
		name    string
		w, h    int
		backend func() *fakeBackend
		keys    []string
		wait    string
	}{
		{"list_100x30", 100, 30, world, nil, "CASE-2026-3"},
		{"list_80x24", 80, 24, world, []string{"j", "{space}"}, "1 marked"},
		{"detail_100x30", 100, 30, world, []string{"j", "{enter}"}, "Timeline"},
		{"detail_80x24", 80, 24, world, []string{"j", "{enter}"}, "Timeline"},
		{"help_80x24", 80, 24, world, []string{"?"}, "Keys"},
		{"error_80x24", 80, 24, failing, []string{"a", "y"}, "refused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := Options{Now: func() time.Time { return clock }, NewKey: func() string { return "key" }}
			tm := teatest.NewTestModel(t, New(tc.backend(), opts), teatest.WithInitialTermSize(tc.w, tc.h),
				teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.Ascii)))
			waitFor(t, tm, "CASE-2026-3")
			for _, k := range tc.keys {
				for _, msg := range keyMsgs(k) {
					tm.Send(msg)
				}
			}
			if len(tc.keys) > 0 {
				waitFor(t, tm, tc.wait)
			}
			if err := tm.Quit(); err != nil {
				t.Fatal(err)
			}
			final := tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(Model)
			screen := ansi.Strip(final.render())
			for i, l := range strings.Split(screen, "\n") {
				if w := ansi.StringWidth(l); w > tc.w {
					t.Errorf("line %d is %d cells wide at %d columns", i, w, tc.w)
				}
			}
			golden.RequireEqual(t, screen+"\n")
		})
	}
}

// colour matches an SGR sequence that sets a foreground or background
// colour; the ASCII profile (what NO_COLOR selects) must have none.
var colour = regexp.MustCompile(`\x1b\[[0-9;]*(3[0-9]|4[0-9]|9[0-7]|10[0-7])(;[0-9;]*)?m`)

func TestASCIIProfileDrawsNoColour(t *testing.T) {
	opts := Options{Now: func() time.Time { return clock }}
	tm := teatest.NewTestModel(t, New(world(), opts), teatest.WithInitialTermSize(100, 30),
		teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.Ascii)))
	var out bytes.Buffer
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		out.Write(b)
		return bytes.Contains(out.Bytes(), []byte("CASE-2026-3"))
	}, teatest.WithDuration(10*time.Second))
	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	if loc := colour.FindIndex(out.Bytes()); loc != nil {
		t.Fatalf("colour in ASCII output: %q", out.Bytes()[loc[0]:loc[1]])
	}
	// The cursor row is still visible without colour: reverse video.
	if !bytes.Contains(out.Bytes(), []byte("\x1b[7m")) && !bytes.Contains(out.Bytes(), []byte(";7m")) {
		t.Fatal("no reverse video for the cursor row")
	}
}

func keyMsgs(k string) []tea.KeyPressMsg {
	if strings.HasPrefix(k, "{") {
		return []tea.KeyPressMsg{keyMsg(strings.Trim(k, "{}"))}
	}
	var out []tea.KeyPressMsg
	for _, r := range k {
		out = append(out, keyMsg(string(r)))
	}
	return out
}

func waitFor(t *testing.T, tm *teatest.TestModel, s string) {
	t.Helper()
	var seen bytes.Buffer
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		seen.Write(b)
		return bytes.Contains(seen.Bytes(), []byte(s))
	}, teatest.WithDuration(10*time.Second), teatest.WithCheckInterval(20*time.Millisecond))
}
