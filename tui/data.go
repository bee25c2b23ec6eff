package tui

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hestami/concierge/internal/cases"
	"github.com/hestami/concierge/internal/listing"
	"github.com/hestami/concierge/internal/property"
)

// Row is one case of the queue with the names it is shown with.
type Row struct {
	Org      Organization
	Property string
	Case     cases.Case
	// search is what / matches, lower-cased once per load rather than on
	// every keystroke for every row.
	search string
}

// openStatuses are the statuses the queue lists: a closed or cancelled
// case needs no more work.
func openStatuses() []cases.Status {
	var out []cases.Status
	for _, s := range cases.Statuses.Values() {
		if !cases.Terminal(s) {
			out = append(out, s)
		}
	}
	return out
}

// pageLimit is the largest page case/v1/list and property/v1/list serve.
const pageLimit = 100

// loadWorkers bounds how many organizations load at once: enough to hide
// a slow link's latency, few enough not to crowd a server's pool.
const loadWorkers = 4

// loadQueue reads the open cases of every organization of the session,
// each organization as its own authorized, RLS-scoped call, and merges them
// most urgent first, then oldest.
func loadQueue(ctx context.Context, b Backend, s Session) ([]Row, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	parts := make([][]Row, len(s.Organizations))
	errs := make([]error, len(s.Organizations))
	sem := make(chan struct{}, loadWorkers)
	var wg sync.WaitGroup
	for i, org := range s.Organizations {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			parts[i], errs[i] = loadOrg(ctx, b, org)
			if errs[i] != nil {
				cancel()
			}
		}()
	}
	wg.Wait()
	// The first organization's failure in session order, not whichever
	// the cancellation made fail first.
	for _, err := range errs {
		if err != nil && !errors.Is(err, context.Canceled) {
			return nil, err
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	var rows []Row
	for _, p := range parts {
		rows = append(rows, p...)
	}
	sortRows(rows)
	return rows, nil
}

func loadOrg(ctx context.Context, b Backend, org Organization) ([]Row, error) {
	names, err := propertyNames(ctx, b, org.ID)
	if err != nil {
		return nil, err
	}
	var rows []Row
	in := cases.ListInput{Status: openStatuses(), Sort: cases.ListSort("URGENCY"), Limit: pageLimit}
	for {
		var page listing.Page[cases.Case]
		if err := b.Call(ctx, org.ID, "case/v1/list", in, &page, ""); err != nil {
			return nil, err
		}
		for _, c := range page.Items {
			r := Row{Org: org, Property: names[c.PropertyID], Case: c}
			r.search = r.haystack()
			rows = append(rows, r)
		}
		if page.NextCursor == "" {
			return rows, nil
		}
		in.Cursor = page.NextCursor
	}
}

func propertyNames(ctx context.Context, b Backend, org string) (map[string]string, error) {
	names := map[string]string{}
	in := property.ListInput{Limit: pageLimit}
	for {
		var page listing.Page[property.Property]
		if err := b.Call(ctx, org, "property/v1/list", in, &page, ""); err != nil {
			return nil, err
		}
		for _, p := range page.Items {
			names[p.ID] = p.Name
		}
		if page.NextCursor == "" {
			return names, nil
		}
		in.Cursor = page.NextCursor
	}
}

// urgencyRank orders urgencies most urgent first, as case/v1/list does.
func urgencyRank(c cases.Case) int {
	if c.Queue != nil {
		if i := slices.Index(cases.Urgencies.Values(), c.Queue.Urgency); i >= 0 {
			return i
		}
	}
	return len(cases.Urgencies.Values())
}

// sortRows merges the organizations' lists: most urgent first, then
// oldest, then by number so equal cases keep one order.
func sortRows(rows []Row) {
	slices.SortStableFunc(rows, func(a, b Row) int {
		if d := urgencyRank(a.Case) - urgencyRank(b.Case); d != 0 {
			return d
		}
		if d := a.Case.CreatedAt.Compare(b.Case.CreatedAt); d != 0 {
			return d
		}
		return strings.Compare(a.Case.Number, b.Case.Number)
	})
}

// Assignees are the assignee filters.
const (
	AssigneeAll        = "all"
	AssigneeMine       = "mine"
	AssigneeUnassigned = "unassigned"
)

var assigneeCycle = []string{AssigneeAll, AssigneeMine, AssigneeUnassigned}

// Filter narrows the queue. A saved view (queue.views in the config file)
// is a named Filter.
type Filter struct {
	Assignee     string          `mapstructure:"assignee" yaml:"assignee,omitempty"`
	Status       []cases.Status  `mapstructure:"status" yaml:"status,omitempty"`
	Urgency      []cases.Urgency `mapstructure:"urgency" yaml:"urgency,omitempty"`
	Organization string          `mapstructure:"organization" yaml:"organization,omitempty"`
	Text         string          `mapstructure:"text" yaml:"text,omitempty"`
}

// View is a saved, named filter.
type View struct {
	Name   string
	Filter Filter
}

// apply returns the indices of the rows f keeps, in their order.
func (f Filter) apply(rows []Row, me string) []int {
	text := strings.ToLower(strings.TrimSpace(f.Text))
	out := make([]int, 0, len(rows))
	for i := range rows {
		r := &rows[i]
		c := &r.Case
		switch f.Assignee {
		case AssigneeMine:
			if c.AssigneeID == nil || *c.AssigneeID != me {
				continue
			}
		case AssigneeUnassigned:
			if c.AssigneeID != nil {
				continue
			}
		}
		if len(f.Status) > 0 && !slices.Contains(f.Status, c.Status) {
			continue
		}
		if len(f.Urgency) > 0 && (c.Queue == nil || !slices.Contains(f.Urgency, c.Queue.Urgency)) {
			continue
		}
		if f.Organization != "" && f.Organization != r.Org.ID && !strings.EqualFold(f.Organization, r.Org.Name) {
			continue
		}
		if text != "" && !r.matches(text) {
			continue
		}
		out = append(out, i)
	}
	return out
}

func (r *Row) matches(lower string) bool {
	if r.search == "" {
		r.search = r.haystack()
	}
	return strings.Contains(r.search, lower)
}

// haystack is the lower-cased text / searches; the separator keeps a
// match from spanning two fields.
func (r Row) haystack() string {
	return strings.ToLower(strings.Join([]string{r.Case.Number, r.Case.Title, r.Property, r.Org.Name, string(r.Case.Status)}, "\x00"))
}

// describe says the filter in a few words for the header.
func (f Filter) describe() string {
	parts := []string{}
	if f.Assignee != "" && f.Assignee != AssigneeAll {
		parts = append(parts, f.Assignee)
	}
	for _, s := range f.Status {
		parts = append(parts, string(s))
	}
	for _, u := range f.Urgency {
		parts = append(parts, string(u))
	}
	if f.Organization != "" {
		parts = append(parts, "org "+f.Organization)
	}
	if f.Text != "" {
		parts = append(parts, "/"+f.Text)
	}
	if len(parts) == 0 {
		return "all open cases"
	}
	return strings.Join(parts, " ")
}

// since says how long ago t was, or how far ahead, from now: "3h ago",
// "in 2d".
func since(now, t time.Time) string {
	d := now.Sub(t)
	if d < 0 {
		return "in " + short(-d)
	}
	return short(d) + " ago"
}

// short is a duration in its largest unit: 45s, 12m, 5h, 3d.
func short(d time.Duration) string {
	switch {
	case d < time.Minute:
		return itoa(int(d/time.Second)) + "s"
	case d < time.Hour:
		return itoa(int(d/time.Minute)) + "m"
	case d < 48*time.Hour:
		return itoa(int(d/time.Hour)) + "h"
	default:
		return itoa(int(d/(24*time.Hour))) + "d"
	}
}

// clean makes stored text safe to draw: a control character or a bidi
// override in a title or a note could move the cursor or reorder the
// screen, so each shows as U+FFFD.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || (r >= 0x7f && r <= 0x9f) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) {
			return '\uFFFD'
		}
		return r
	}, s)
}

func itoa(n int) string { return strconv.Itoa(n) }
