package tui

import (
	"context"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"time"

	"github.com/hestami/concierge/internal/api"
	"github.com/hestami/concierge/internal/casedetail"
	"github.com/hestami/concierge/internal/cases"
)

// Detail is case/v1/detail's output.
type Detail = casedetail.Detail

func fetchDetail(ctx context.Context, b Backend, r Row) (Detail, error) {
	var d Detail
	err := b.Call(ctx, r.Org.ID, "case/v1/detail", api.GetInput{ID: r.Case.ID}, &d, "")
	return d, err
}

// detailModel is one case with everything about it, scrolled by line.
type detailModel struct {
	caseID string
	row    Row
	d      *Detail
	offset int
	lines  int
	err    string
}

func (m *detailModel) set(d Detail) {
	m.d, m.err = &d, ""
	m.row.Case = d.Case
}

func (m *detailModel) scroll(n int) {
	m.offset = max(0, min(m.offset+n, m.lines-1))
}

func (m *detailModel) view(w, h int, now time.Time, me string) string {
	if m.d == nil {
		state := "loading…"
		if m.err != "" {
			state = "could not load the case: " + m.err + " (r retries)"
		}
		return styleTitle.Render(clean(m.row.Case.Number+"  "+m.row.Case.Title)) + "\n" + state
	}
	lines := strings.Split(m.render(w, now, me), "\n")
	m.lines = len(lines)
	off := max(0, min(m.offset, len(lines)-h))
	return strings.Join(lines[off:], "\n")
}

// render lays the whole detail out; view shows the scrolled part.
func (m detailModel) render(w int, now time.Time, me string) string {
	d := m.d
	c := d.Case
	var b strings.Builder
	line := func(format string, a ...any) { b.WriteString(clip(clean(fmt.Sprintf(format, a...)), w) + "\n") }
	section := func(title string, n int, truncated bool) bool {
		more := ""
		if truncated {
			more = ", older left out"
		}
		b.WriteString("\n" + styleHeader.Render(fmt.Sprintf("%s (%d%s)", title, n, more)) + "\n")
		return n > 0
	}
	b.WriteString(styleTitle.Render(clip(clean(c.Number+"  "+c.Title), w)) + "\n")
	q := queueOf(Row{Case: c})
	line("%s · %s · %s priority · %s urgency · in state %s", orgName(m.row.Org), m.row.Property, c.Priority, q.Urgency,
		short(time.Duration(q.InStateSeconds)*time.Second))
	line("status %s · waiting on %s · assignee %s", c.Status, q.WaitingOnLabel, assignee(c.AssigneeID, me))
	if q.SLA.DueAt != nil {
		paused := ""
		if q.SLA.Paused {
			paused = ", clock paused"
		}
		line("SLA %s: %s due %s%s", q.SLA.State, q.SLA.Target, since(now, *q.SLA.DueAt), paused)
	}
	line("next: %s", q.NextAction)
	if d.Origin != nil {
		section("Intent", 1, false)
		line("%s (%s, %s)", d.Origin.Title, d.Origin.Status, since(now, d.Origin.CreatedAt))
		wrap(&b, d.Origin.Text, w, "  ")
	} else if c.Description != "" {
		section("Description", 1, false)
		wrap(&b, c.Description, w, "  ")
	}
	if section("Timeline", len(d.Timeline.Items), d.Timeline.Truncated) {
		for _, e := range d.Timeline.Items {
			line("  %-8s %-7s %s", since(now, e.At), e.Entity, e.Summary)
		}
	}
	if section("Notes", len(d.Notes.Items), d.Notes.Truncated) {
		for _, n := range d.Notes.Items {
			mark := "shared  "
			if n.Audience == cases.Internal {
				mark = "INTERNAL"
			}
			line("  [%s] %s %s", mark, since(now, n.CreatedAt), kindText(string(n.Kind)))
			wrap(&b, n.Text, w, "    ")
		}
	}
	if section("Actions", len(d.Actions.Items), d.Actions.Truncated) {
		for _, a := range d.Actions.Items {
			extra := a.Outcome
			if extra == "" {
				extra = a.WaitingOn
			}
			line("  %-11s %-12s %s  %s", a.Status, a.Type, a.Title, extra)
		}
	}
	if section("Participants", len(d.Participants.Items), d.Participants.Truncated) {
		for _, p := range d.Participants.Items {
			line("  %-16s %s %s", p.Role, p.Name, p.OrganizationName)
		}
	}
	if len(d.Documents.Items) > 0 && section("Documents", len(d.Documents.Items), d.Documents.Truncated) {
		for _, doc := range d.Documents.Items {
			line("  %-10s v%d %s (%s)", doc.Category, doc.Version, doc.Title, doc.Visibility)
		}
	}
	if len(d.Approvals.Items) > 0 && section("HOA approvals", len(d.Approvals.Items), d.Approvals.Truncated) {
		for _, a := range d.Approvals.Items {
			line("  %-10s %-12s %s", a.Status, a.Type, a.ContextName)
		}
	}
	if len(d.Quotes.Items) > 0 && section("Quotes", len(d.Quotes.Items), d.Quotes.Truncated) {
		for _, qt := range compareQuotes(d.Quotes.Items) {
			line("  %s", qt)
		}
	}
	if len(d.Decisions.Items) > 0 && section("Decisions", len(d.Decisions.Items), d.Decisions.Truncated) {
		for _, x := range d.Decisions.Items {
			line("  #%d %-12s %s", x.Sequence, x.Category, x.Title)
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

func kindText(k string) string {
	if k == "" || k == "GENERAL" {
		return ""
	}
	return strings.ToLower(k)
}

// compareQuotes lines the quotes up by scope, cheapest first, marking the
// lowest of each scope and how far each other is above it.
func compareQuotes(qs []casedetail.Quote) []string {
	sorted := slices.Clone(qs)
	amount := func(q casedetail.Quote) *big.Rat {
		r, ok := new(big.Rat).SetString(q.Amount)
		if !ok {
			return new(big.Rat)
		}
		return r
	}
	slices.SortStableFunc(sorted, func(a, b casedetail.Quote) int {
		if c := strings.Compare(a.ScopeKey, b.ScopeKey); c != 0 {
			return c
		}
		return amount(a).Cmp(amount(b))
	})
	var out []string
	var low *big.Rat
	scope := "\x00"
	for _, q := range sorted {
		note := ""
		if q.ScopeKey != scope {
			scope, low = q.ScopeKey, amount(q)
			note = "lowest"
		} else if low.Sign() > 0 {
			diff := new(big.Rat).Quo(new(big.Rat).Sub(amount(q), low), low)
			f, _ := diff.Float64()
			note = fmt.Sprintf("+%.0f%%", f*100)
		}
		valid := ""
		if q.ValidUntil != nil {
			valid = " valid to " + q.ValidUntil.Format("2006-01-02")
		}
		out = append(out, fmt.Sprintf("%-12s %-18s %10s %s %-8s %-9s%s", q.ScopeKey, q.VendorName, q.Amount, q.Currency, note, q.Status, valid))
	}
	return out
}

// wrap writes text wrapped to w cells, each line indented.
func wrap(b *strings.Builder, text string, w int, indent string) {
	width := max(10, w-len(indent))
	for _, para := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		line := ""
		for _, word := range strings.Fields(clean(para)) {
			if line != "" && len([]rune(line))+1+len([]rune(word)) > width {
				b.WriteString(indent + line + "\n")
				line = ""
			}
			if line != "" {
				line += " "
			}
			line += word
		}
		b.WriteString(clip(indent+line, w) + "\n")
	}
}
