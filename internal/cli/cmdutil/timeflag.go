package cmdutil

import (
	"fmt"
	"time"

	"github.com/spf13/pflag"
)

// DateMeans says which instant a bare date ("2027-01-31") names.
type DateMeans int

const (
	// DayStart is midnight UTC beginning the day: when something happened.
	DayStart DateMeans = iota
	// DayEnd is midnight UTC ending the day: a deadline met "through" it.
	DayEnd
)

// TimeVar defines a flag read into *p as an RFC 3339 instant, a date (the
// instant means says), or a positive duration from now ("720h"), so every
// command reads times the same way. A value it cannot read is a usage
// error naming the flag.
func TimeVar(fl *pflag.FlagSet, p **time.Time, name string, means DateMeans, usage string) {
	fl.Var(&timeValue{p: p, means: means, now: time.Now}, name, usage)
}

type timeValue struct {
	p     **time.Time
	means DateMeans
	now   func() time.Time
}

func (v *timeValue) String() string {
	if *v.p == nil {
		return ""
	}
	return (*v.p).UTC().Format(time.RFC3339)
}

func (v *timeValue) Type() string { return "time" }

func (v *timeValue) Set(s string) error {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		*v.p = &t
		return nil
	}
	if d, err := time.Parse(time.DateOnly, s); err == nil {
		if v.means == DayEnd {
			d = d.AddDate(0, 0, 1)
		}
		*v.p = &d
		return nil
	}
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		t := v.now().Add(d).UTC().Truncate(time.Second)
		*v.p = &t
		return nil
	}
	return fmt.Errorf(`want an RFC 3339 instant ("2027-01-31T17:00:00Z"), a date ("2027-01-31") or a duration from now ("720h")`)
}
