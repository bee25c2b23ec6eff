package cmdutil

import (
	"fmt"
	"strconv"

	"github.com/spf13/pflag"

	"github.com/hestami/concierge/internal/listing"
)

// LimitVar defines --limit (page size) into p, starting at the default page
// size. Values outside 1–100 are refused as flag errors: the API reads a
// limit of 0 as "not given", so `--limit 0` would silently be the default.
func LimitVar(fl *pflag.FlagSet, p *int) {
	*p = listing.DefaultLimit
	fl.Var(limitValue{p}, "limit", fmt.Sprintf("page size (1-%d)", listing.MaxLimit))
}

type limitValue struct{ p *int }

func (v limitValue) String() string { return strconv.Itoa(*v.p) }
func (v limitValue) Type() string   { return "int" }

func (v limitValue) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil {
		return fmt.Errorf("not a whole number")
	}
	if n < 1 || n > listing.MaxLimit {
		return fmt.Errorf("must be between 1 and %d", listing.MaxLimit)
	}
	*v.p = n
	return nil
}
