package tui

import (
	"slices"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/hestami/concierge/internal/cases"
)

// listModel is the queue's table: the filtered rows, the cursor and the
// marked cases.
type listModel struct {
	all []Row
	// rows are the indices into all the filter keeps: a keystroke over
	// 10,000 cases copies no case.
	rows   []int
	filter Filter
	views  []View
	viewAt int // index into views of the last view chosen, -1 for none
	orgs   []Organization

	cursor int
	top    int
	marked map[string]bool

	searching bool
	// before is the search text when / was pressed, for esc.
	before string
}

func newList(f Filter, views []View) listModel {
	return listModel{filter: f, views: views, viewAt: -1, marked: map[string]bool{}}
}

func (l listModel) current() (Row, bool) {
	if l.cursor < 0 || l.cursor >= len(l.rows) {
		return Row{}, false
	}
	return l.all[l.rows[l.cursor]], true
}

// setRows shows rows through the filter, keeping the cursor on the case
// it was on (a live refresh must not move it to another case).
func (l *listModel) setRows(rows []Row, me string) {
	at := l.currentID()
	l.all = rows
	l.applyAt(me, at)
	// A mark on a case that left the queue would reassign it unseen.
	present := make(map[string]bool, len(rows))
	for _, r := range rows {
		present[r.Case.ID] = true
	}
	for id := range l.marked {
		if !present[id] {
			delete(l.marked, id)
		}
	}
}

func (l *listModel) currentID() string {
	if r, ok := l.current(); ok {
		return r.Case.ID
	}
	return ""
}

// apply refilters, keeping the cursor on its case when the filter keeps it.
func (l *listModel) apply(me string) { l.applyAt(me, l.currentID()) }

func (l *listModel) applyAt(me, at string) {
	l.rows = l.filter.apply(l.all, me)
	l.cursor = 0
	if i := slices.IndexFunc(l.rows, func(i int) bool { return l.all[i].Case.ID == at }); i >= 0 {
		l.cursor = i
	}
}

func (l listModel) markedRows() []Row {
	var out []Row
	for _, r := range l.all {
		if l.marked[r.Case.ID] {
			out = append(out, r)
		}
	}
	return out
}

func (l *listModel) move(d int) {
	l.cursor = max(0, min(len(l.rows)-1, l.cursor+d))
}

// key handles the list's own keys: movement, marks and filters.
func (l *listModel) key(k, me string) {
	switch k {
	case "j", "down":
		l.move(1)
	case "k", "up":
		l.move(-1)
	case "g", "home":
		l.cursor = 0
	case "G", "end":
		l.cursor = max(0, len(l.rows)-1)
	case "pgdown", "ctrl+d":
		l.move(10)
	case "pgup", "ctrl+u":
		l.move(-10)
	case "space":
		if r, ok := l.current(); ok {
			if l.marked[r.Case.ID] {
				delete(l.marked, r.Case.ID)
			} else {
				l.marked[r.Case.ID] = true
			}
			l.move(1)
		}
	case "m":
		cur := l.filter.Assignee
		if cur == "" {
			cur = AssigneeAll
		}
		l.filter.Assignee = next(assigneeCycle, cur)
		l.apply(me)
	case "u":
		l.filter.Urgency = cycleOne(cases.Urgencies.Values(), l.filter.Urgency)
		l.apply(me)
	case "t":
		l.filter.Status = cycleOne(openStatuses(), l.filter.Status)
		l.apply(me)
	case "o":
		ids := []string{""}
		for _, o := range l.orgs {
			ids = append(ids, o.ID)
		}
		cur := l.filter.Organization
		for _, o := range l.orgs {
			if strings.EqualFold(cur, o.Name) {
				cur = o.ID
			}
		}
		l.filter.Organization = next(ids, cur)
		l.apply(me)
	case "v":
		if len(l.views) > 0 {
			l.viewAt = (l.viewAt + 1) % len(l.views)
			l.filter = l.views[l.viewAt].Filter
			l.apply(me)
		}
	case "esc":
		l.filter, l.viewAt = Filter{}, -1
		l.apply(me)
	case "/":
		l.searching, l.before = true, l.filter.Text
	}
}

// searchKey edits the search text; the list narrows with each key.
func (l *listModel) searchKey(msg tea.KeyPressMsg, me string) {
	switch msg.String() {
	case "enter":
		l.searching = false
	case "esc":
		l.searching, l.filter.Text = false, l.before
	case "backspace":
		if r := []rune(l.filter.Text); len(r) > 0 {
			l.filter.Text = string(r[:len(r)-1])
		}
	case "ctrl+u":
		l.filter.Text = ""
	default:
		if msg.Text != "" {
			l.filter.Text += msg.Text
		}
	}
	l.apply(me)
}

// next is the value after cur in values, wrapping.
func next[T comparable](values []T, cur T) T {
	i := slices.Index(values, cur)
	return values[(i+1)%len(values)]
}

// cycleOne steps a one-value filter through values and back to none.
func cycleOne[T comparable](values []T, cur []T) []T {
	if len(cur) != 1 {
		return []T{values[0]}
	}
	i := slices.Index(values, cur[0])
	if i < 0 || i+1 >= len(values) {
		return nil
	}
	return []T{values[i+1]}
}

// column is one column of the table: its header, its width when the
// terminal is wide enough, and whether it stays on a narrow terminal.
type column struct {
	title string
	width int
	keep  bool
	cell  func(r Row, now time.Time, me string) string
}

var columns = []column{
	{"CASE", 12, true, func(r Row, _ time.Time, _ string) string { return r.Case.Number }},
	{"ORG", 10, false, func(r Row, _ time.Time, _ string) string { return orgName(r.Org) }},
	{"PROPERTY", 10, false, func(r Row, _ time.Time, _ string) string { return r.Property }},
	{"STATUS", 16, true, func(r Row, _ time.Time, _ string) string { return string(r.Case.Status) }},
	{"WAITING ON", 10, true, func(r Row, _ time.Time, _ string) string { return queueOf(r).WaitingOnLabel }},
	{"PRIORITY", 9, false, func(r Row, _ time.Time, _ string) string { return string(r.Case.Priority) }},
	{"URGENCY", 8, true, func(r Row, _ time.Time, _ string) string { return string(queueOf(r).Urgency) }},
	{"IN STATE", 8, true, func(r Row, _ time.Time, _ string) string {
		return short(time.Duration(queueOf(r).InStateSeconds) * time.Second)
	}},
	{"SLA DUE", 7, true, func(r Row, now time.Time, _ string) string {
		q := queueOf(r)
		if q.SLA.DueAt == nil {
			return "-"
		}
		return since(now, *q.SLA.DueAt)
	}},
	{"ASSIGNEE", 8, true, func(r Row, _ time.Time, me string) string { return assignee(r.Case.AssigneeID, me) }},
	{"NEXT ACTION", 12, false, func(r Row, _ time.Time, _ string) string { return queueOf(r).NextAction }},
}

func queueOf(r Row) cases.Queue {
	if r.Case.Queue != nil {
		return *r.Case.Queue
	}
	return cases.Queue{}
}

func assignee(id *string, me string) string {
	switch {
	case id == nil:
		return "-"
	case *id == me:
		return "me"
	default:
		return shortID(*id)
	}
}

// layout picks the columns that fit w cells: the kept ones always, then
// the others in order while they fit; the last column takes what is left.
func layout(w int) []column {
	const gap, mark = 1, 2
	used := mark
	for _, c := range columns {
		if c.keep {
			used += c.width + gap
		}
	}
	var out []column
	fits := true
	for _, c := range columns {
		switch {
		case c.keep:
			out = append(out, c)
		case fits && used+c.width+gap <= w:
			out = append(out, c)
			used += c.width + gap
		default:
			// Optional columns go in order of importance: once one does
			// not fit, a later one does not take its place.
			fits = false
		}
	}
	if extra := w - used; extra > 0 && len(out) > 0 {
		out[len(out)-1].width += extra
	}
	return out
}

func (l listModel) view(w, h int, now time.Time, me string, loaded bool) string {
	cols := layout(w)
	var b strings.Builder
	b.WriteString(clip(styleDim.Render(l.summary()), w) + "\n")
	cells := make([]string, len(cols))
	for i, c := range cols {
		cells[i] = pad(c.title, c.width)
	}
	b.WriteString(styleHeader.Render(clip("  "+strings.Join(cells, " "), w)) + "\n")
	rowsH := h - 2
	if !loaded {
		b.WriteString("loading…")
		return b.String()
	}
	if len(l.rows) == 0 {
		b.WriteString("no cases match " + l.filter.describe() + "  (esc clears the filters)")
		return b.String()
	}
	top := l.top
	if l.cursor < top {
		top = l.cursor
	}
	if l.cursor >= top+rowsH {
		top = l.cursor - rowsH + 1
	}
	top = max(0, min(top, len(l.rows)-rowsH))
	for i := top; i < len(l.rows) && i < top+rowsH; i++ {
		r := l.all[l.rows[i]]
		for j, c := range cols {
			cells[j] = pad(c.cell(r, now, me), c.width)
		}
		mark := "  "
		if l.marked[r.Case.ID] {
			mark = "* "
		}
		line := clip(mark+strings.Join(cells, " "), w)
		switch {
		case i == l.cursor:
			line = styleCursor.Render(pad(line, w))
		case queueOf(r).Urgency == cases.Critical:
			line = styleCritical.Render(line)
		case queueOf(r).Urgency == cases.High:
			line = styleHigh.Render(line)
		}
		b.WriteString(line)
		if i+1 < len(l.rows) && i+1 < top+rowsH {
			b.WriteString("\n")
		}
	}
	return b.String()
}

// summary is the line over the table: position, filter, marks.
func (l listModel) summary() string {
	s := ""
	if len(l.rows) > 0 {
		s = itoa(l.cursor+1) + "/" + itoa(len(l.rows))
	} else {
		s = "0/0"
	}
	s += " cases · " + l.filter.describe()
	if l.viewAt >= 0 && l.viewAt < len(l.views) {
		s += " (view " + l.views[l.viewAt].Name + ")"
	}
	if n := len(l.marked); n > 0 {
		s += " · " + itoa(n) + " marked"
	}
	return s
}

// pad cuts or pads s to exactly w cells.
func pad(s string, w int) string {
	s = clean(s)
	if ansi.StringWidth(s) > w {
		return ansi.Truncate(s, w, "…")
	}
	return s + strings.Repeat(" ", w-ansi.StringWidth(s))
}

func truncate(s string, w int) string { return ansi.Truncate(s, w, "…") }
