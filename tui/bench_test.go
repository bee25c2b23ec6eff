package tui

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/hestami/concierge/internal/cases"
	"github.com/hestami/concierge/internal/listing"
	"github.com/hestami/concierge/internal/property"
)

// bigBackend serves 10,000 open cases across 50 organizations in pages
// of 100, each page through JSON as a remote answer would come: what the
// queue itself costs at that size, without the server's share.
type bigBackend struct {
	orgs  []Organization
	cases map[string][]cases.Case
}

func newBigBackend(orgs, perOrg int) *bigBackend {
	b := &bigBackend{cases: map[string][]cases.Case{}}
	urg := cases.Urgencies.Values()
	statuses := openStatuses()
	for o := range orgs {
		id := fmt.Sprintf("org-%02d", o)
		b.orgs = append(b.orgs, Organization{ID: id, Name: fmt.Sprintf("Household %02d", o)})
		for i := range perOrg {
			n := o*perOrg + i
			c := mkCase(id, n, statuses[n%len(statuses)], "NORMAL", urg[n%len(urg)], time.Duration(n)*time.Minute, nil,
				"Case "+strconv.Itoa(n)+" about the roof, the fence or the water heater")
			b.cases[id] = append(b.cases[id], c)
		}
	}
	return b
}

func (b *bigBackend) Session(context.Context) (Session, error) {
	return Session{UserID: me, Organizations: b.orgs}, nil
}

func (b *bigBackend) Call(_ context.Context, org, procedure string, in, out any, _ string) error {
	var result any
	switch procedure {
	case "property/v1/list":
		result = listing.Page[property.Property]{Items: []property.Property{{ID: "p-" + org, Name: "Home of " + org}}}
	case "case/v1/list":
		li := in.(cases.ListInput)
		start, _ := strconv.Atoi(li.Cursor)
		all := b.cases[org]
		end := min(start+li.Limit, len(all))
		page := listing.Page[cases.Case]{Items: all[start:end]}
		if end < len(all) {
			page.NextCursor = strconv.Itoa(end)
		}
		result = page
	}
	raw, err := json.Marshal(result)
	if err != nil {
		return err
	}
	return json.Unmarshal(raw, out)
}

// BenchmarkFirstScreen is the time from start to the first drawn queue:
// the session, every organization's pages, the merge and the first View.
func BenchmarkFirstScreen(b *testing.B) {
	backend := newBigBackend(50, 200)
	for b.Loop() {
		m := New(backend, Options{Now: func() time.Time { return clock }})
		m.width, m.height = 100, 30
		s, _ := backend.Session(context.Background())
		rows, err := loadQueue(context.Background(), backend, s)
		if err != nil || len(rows) != 10000 {
			b.Fatalf("%d rows, %v", len(rows), err)
		}
		m.session, m.rows, m.loaded = s, rows, true
		m.list.setRows(rows, me)
		_ = m.View()
	}
}

// BenchmarkFilterKeystroke is one key of a / search over 10,000 cases:
// the filter over every row and the redraw.
func BenchmarkFilterKeystroke(b *testing.B) {
	backend := newBigBackend(50, 200)
	s, _ := backend.Session(context.Background())
	rows, err := loadQueue(context.Background(), backend, s)
	if err != nil {
		b.Fatal(err)
	}
	m := New(backend, Options{Now: func() time.Time { return clock }})
	m.width, m.height = 100, 30
	m.session, m.rows, m.loaded = s, rows, true
	m.list.setRows(rows, me)
	next, _ := m.Update(keyMsg("/"))
	m = next.(Model)
	keys := []string{"f", "e", "n", "c", "e"}
	i := 0
	for b.Loop() {
		k := keyMsg(keys[i%len(keys)])
		if i%len(keys) == 0 && i > 0 {
			// Start the word again: backspace five times is five keys too.
			m.list.filter.Text = ""
		}
		next, _ := m.Update(k)
		m = next.(Model)
		_ = m.View()
		i++
	}
}
