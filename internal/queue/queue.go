// Package queue loads the concierge's work queue across organizations: the
// organizations the caller may act in (organization/v1/mine), the first
// page of each one's urgency-ordered case list (case/v1/list, sort
// URGENCY), read concurrently with bounded parallelism and merged into one
// list, most urgent first, then oldest. It holds no rule of its own: every
// call goes through a Caller (local or remote), so visibility, urgency and
// RLS are the procedures'. The TUI (`hestami queue`) and scripts/bench use it.
package queue

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/hestami/concierge/internal/cases"
	"github.com/hestami/concierge/internal/listing"
	"github.com/hestami/concierge/internal/workable"
)

// Caller runs a procedure as the caller in organization org ("" for the
// configured one); factory.Caller is one.
type Caller interface {
	Call(ctx context.Context, org, procedure string, in, out any, key string) error
}

// Row is one case of the merged queue with the organization it is in.
type Row struct {
	Org  workable.Organization
	Case cases.Case
}

// DefaultLimit is how many cases of each organization the first screen
// reads.
const DefaultLimit = 50

// DefaultParallel bounds the concurrent case/v1/list calls.
const DefaultParallel = 8

// Organizations lists the organizations the caller may act in, by name.
func Organizations(ctx context.Context, c Caller) ([]workable.Organization, error) {
	var l workable.List
	if err := c.Call(ctx, "", "organization/v1/mine", workable.Input{}, &l, ""); err != nil {
		return nil, err
	}
	return l.Items, nil
}

// Load reads the first page of each organization's queue under filter
// (its Sort and Cursor are set here; Limit 0 means DefaultLimit), at most
// parallel at a time (0: DefaultParallel), and returns them merged. An
// organization whose read fails is left out and named in the error, so a
// screen can show the others and say which failed.
func Load(ctx context.Context, c Caller, orgs []workable.Organization, filter cases.ListInput, parallel int) ([]Row, error) {
	filter.Sort, filter.Cursor = "URGENCY", ""
	if filter.Limit == 0 {
		filter.Limit = DefaultLimit
	}
	if parallel <= 0 {
		parallel = DefaultParallel
	}
	pages := make([][]Row, len(orgs))
	errs := make([]error, len(orgs))
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for i, o := range orgs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				errs[i] = fmt.Errorf("%s: %w", o.Name, ctx.Err())
				return
			}
			defer func() { <-sem }()
			var page listing.Page[cases.Case]
			if err := c.Call(ctx, o.ID, "case/v1/list", filter, &page, ""); err != nil {
				errs[i] = fmt.Errorf("%s: %w", o.Name, err)
				return
			}
			rows := make([]Row, len(page.Items))
			for j, cs := range page.Items {
				rows[j] = Row{Org: o, Case: cs}
			}
			pages[i] = rows
		}()
	}
	wg.Wait()
	return Merge(slices.Concat(pages...)), errors.Join(errs...)
}

// Merge sorts rows as one queue, in place, and returns them: most urgent
// first (the urgency each case/v1/list computed), then oldest, then by
// organization name and case number so that equal rows keep one order
// between refreshes. A row without a queue view sorts last among equals
// of creation time.
func Merge(rows []Row) []Row {
	slices.SortStableFunc(rows, func(a, b Row) int {
		return cmp.Or(
			cmp.Compare(rank(a.Case), rank(b.Case)),
			a.Case.CreatedAt.Compare(b.Case.CreatedAt),
			cmp.Compare(a.Org.Name, b.Org.Name),
			cmp.Compare(a.Org.ID, b.Org.ID),
			cmp.Compare(a.Case.Number, b.Case.Number),
		)
	})
	return rows
}

// rank is a case's urgency rank (0 most urgent), as case/v1/list orders by
// it; no queue view ranks after every urgency.
func rank(c cases.Case) int {
	urgencies := cases.Urgencies.Values()
	if c.Queue == nil {
		return len(urgencies)
	}
	if i := slices.Index(urgencies, c.Queue.Urgency); i >= 0 {
		return i
	}
	return len(urgencies)
}
