package cmdutil

import (
	"testing"
	"time"
)

func TestTimeFlagReadsInstantsDatesAndDurations(t *testing.T) {
	now := time.Date(2026, 12, 3, 10, 0, 0, 500, time.UTC)
	read := func(means DateMeans, s string) (*time.Time, error) {
		var p *time.Time
		err := (&timeValue{p: &p, means: means, now: func() time.Time { return now }}).Set(s)
		return p, err
	}
	for _, tc := range []struct {
		means DateMeans
		in    string
		want  time.Time
	}{
		{DayStart, "2027-01-31T17:00:00Z", time.Date(2027, 1, 31, 17, 0, 0, 0, time.UTC)},
		{DayStart, "2027-01-31", time.Date(2027, 1, 31, 0, 0, 0, 0, time.UTC)},
		{DayEnd, "2027-01-31", time.Date(2027, 2, 1, 0, 0, 0, 0, time.UTC)},
		{DayEnd, "720h", time.Date(2027, 1, 2, 10, 0, 0, 0, time.UTC)},
	} {
		got, err := read(tc.means, tc.in)
		if err != nil || !got.Equal(tc.want) {
			t.Errorf("%q (%d): %v %v, want %v", tc.in, tc.means, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "yesterday", "-1h", "0s", "2027-13-01", "31/01/2027"} {
		if got, err := read(DayEnd, bad); err == nil {
			t.Errorf("%q read as %v, want an error", bad, got)
		}
	}
}
