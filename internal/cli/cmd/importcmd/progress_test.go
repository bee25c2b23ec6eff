package importcmd

import (
	"bytes"
	"strings"
	"testing"

	"github.com/hestami/concierge/internal/quoteimport"
)

// On a terminal the import shows a bar of the bytes read with its phase,
// the rows read and their rate, the byte rate and [elapsed:left], and
// clears it when done.
func TestProgressBarShowsRateAndTimeLeft(t *testing.T) {
	var out bytes.Buffer
	bar := newBar(&out, 1000)
	describe(bar)(quoteimport.Progress{Phase: "reading", RowsRead: 20000, BytesRead: 400, Bytes: 1000})
	got := out.String()
	for _, want := range []string{"reading 20000 rows", "rows/s", "40%", "B/s", "[0s:"} {
		if !strings.Contains(got, want) {
			t.Errorf("bar %q lacks %q", got, want)
		}
	}
	out.Reset()
	if err := bar.Clear(); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "rows/s") {
		t.Errorf("cleared bar still shows %q", out.String())
	}
}
