package tui

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"time"

	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
)

// Options configure a queue.
type Options struct {
	// ReadOnly hides every key that changes a case.
	ReadOnly bool
	// Refresh reloads the queue on this interval (0: only on r).
	Refresh time.Duration
	// Now is the clock relative times are computed against.
	Now func() time.Time
	// Views are the saved views (queue.views in the config file); Filter
	// is the one the queue opens with.
	Views  []View
	Filter Filter
	// NewKey makes the idempotency key of one confirmed change.
	NewKey func() string
	// Context bounds every request the queue makes.
	Context context.Context
}

// Model is the queue: the list, with the detail, help and a form over it
// when they are open.
type Model struct {
	b    Backend
	opts Options

	width, height int
	session       Session
	loaded        bool
	rows          []Row

	list   listModel
	detail *detailModel
	help   *helpModel
	form   *formModel

	busy   int
	spin   spinner.Model
	status string
	failed bool
	// gen numbers queue loads so that an older, slower answer never
	// replaces a newer one.
	gen int
}

// New returns a queue over b.
func New(b Backend, opts Options) Model {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.NewKey == nil {
		opts.NewKey = newKey
	}
	if opts.Context == nil {
		opts.Context = context.Background()
	}
	m := Model{b: b, opts: opts, width: 80, height: 24,
		spin: spinner.New(spinner.WithSpinner(spinner.Line))}
	m.list = newList(opts.Filter, opts.Views)
	return m
}

func newKey() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return "tui-" + hex.EncodeToString(b)
}

// Messages: every answer from the Backend comes back as one of these.
type (
	sessionMsg struct {
		session Session
		err     error
	}
	queueMsg struct {
		gen  int
		rows []Row
		err  error
	}
	detailMsg struct {
		caseID string
		detail Detail
		err    error
	}
	changeMsg struct {
		done   []change
		failed *change
		err    error
	}
	refreshTickMsg struct{}
	// formDataMsg carries what a form needs before it can be shown (the
	// transitions offered, the open actions).
	formDataMsg struct {
		form *formModel
		err  error
	}
)

// Init loads the session, then the queue.
func (m Model) Init() tea.Cmd {
	return m.start(func(ctx context.Context) tea.Msg {
		s, err := m.b.Session(ctx)
		return sessionMsg{s, err}
	})
}

// start runs fn as a request: the spinner turns while any is in flight.
func (m *Model) start(fn func(ctx context.Context) tea.Msg) tea.Cmd {
	m.busy++
	ctx := m.opts.Context
	req := func() tea.Msg { return fn(ctx) }
	if m.busy == 1 {
		return tea.Batch(req, m.spin.Tick)
	}
	return req
}

func (m *Model) reload() tea.Cmd {
	m.gen++
	gen, b, s := m.gen, m.b, m.session
	return m.start(func(ctx context.Context) tea.Msg {
		rows, err := loadQueue(ctx, b, s)
		return queueMsg{gen, rows, err}
	})
}

func (m Model) scheduleRefresh() tea.Cmd {
	if m.opts.Refresh <= 0 {
		return nil
	}
	return tea.Tick(m.opts.Refresh, func(time.Time) tea.Msg { return refreshTickMsg{} })
}

func (m *Model) setStatus(s string, failed bool) {
	m.status, m.failed = s, failed
}

// Update routes a message: answers update the data, keys go to the
// topmost screen.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		return m, nil
	case spinner.TickMsg:
		if m.busy == 0 {
			return m, nil
		}
		var cmd tea.Cmd
		m.spin, cmd = m.spin.Update(msg)
		return m, cmd
	case sessionMsg:
		m.busy--
		if msg.err != nil {
			m.setStatus(describe(msg.err), true)
			return m, nil
		}
		m.session = msg.session
		m.list.orgs = msg.session.Organizations
		return m, tea.Batch(m.reload(), m.scheduleRefresh())
	case queueMsg:
		m.busy--
		if msg.gen != m.gen {
			return m, nil
		}
		if msg.err != nil {
			m.setStatus(describe(msg.err), true)
			return m, nil
		}
		m.rows, m.loaded = msg.rows, true
		m.list.setRows(m.rows, m.session.UserID)
		if m.failed && m.form == nil {
			m.setStatus("", false)
		}
		return m, nil
	case refreshTickMsg:
		if m.session.UserID == "" && len(m.session.Organizations) == 0 {
			return m, m.scheduleRefresh()
		}
		return m, tea.Batch(m.reload(), m.scheduleRefresh())
	case detailMsg:
		m.busy--
		if m.detail == nil || m.detail.caseID != msg.caseID {
			return m, nil
		}
		if msg.err != nil {
			m.detail.err = describe(msg.err)
			m.setStatus(m.detail.err, true)
			return m, nil
		}
		m.detail.set(msg.detail)
		return m, nil
	case formDataMsg:
		m.busy--
		if msg.err != nil {
			m.setStatus(describe(msg.err), true)
			return m, nil
		}
		m.form = msg.form
		return m, nil
	case changeMsg:
		m.busy--
		if m.form == nil {
			return m, nil
		}
		m.form.sent(msg.done)
		if msg.err != nil {
			// The form stays open with the change as confirmed: a retry
			// sends it again with the same idempotency keys.
			m.form.err = describe(msg.err)
			m.setStatus(m.form.err, true)
			return m, m.reload()
		}
		m.setStatus(m.form.doneText(), false)
		m.form = nil
		cmds := []tea.Cmd{m.reload()}
		if m.detail != nil {
			cmds = append(cmds, m.loadDetail(m.detail.row))
		}
		return m, tea.Batch(cmds...)
	case tea.KeyPressMsg:
		return m.key(msg)
	}
	return m, nil
}

func (m Model) key(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	k := msg.String()
	if k == "ctrl+c" {
		return m, tea.Quit
	}
	switch {
	case m.form != nil:
		return m.formKey(msg)
	case m.help != nil:
		if k == "?" || k == "esc" || k == "q" {
			m.help = nil
		}
		return m, nil
	case m.list.searching:
		m.list.searchKey(msg, m.session.UserID)
		return m, nil
	}
	if k == "?" {
		m.help = &helpModel{readOnly: m.opts.ReadOnly}
		return m, nil
	}
	if k == "r" {
		m.setStatus("", false)
		cmds := []tea.Cmd{m.reload()}
		if m.detail != nil {
			cmds = append(cmds, m.loadDetail(m.detail.row))
		}
		return m, tea.Batch(cmds...)
	}
	if m.detail != nil {
		switch k {
		case "esc", "q", "backspace", "left", "h":
			m.detail = nil
			return m, nil
		case "j", "down":
			m.detail.scroll(1)
			return m, nil
		case "k", "up":
			m.detail.scroll(-1)
			return m, nil
		case "g", "home":
			m.detail.offset = 0
			return m, nil
		case "G", "end":
			m.detail.scroll(1 << 20)
			return m, nil
		}
		if !m.opts.ReadOnly {
			if cmd, ok := m.changeKey(k, m.detail.row); ok {
				return m, cmd
			}
		}
		return m, nil
	}
	switch k {
	case "q":
		return m, tea.Quit
	case "enter":
		if r, ok := m.list.current(); ok {
			m.detail = &detailModel{caseID: r.Case.ID, row: r}
			return m, m.loadDetail(r)
		}
		return m, nil
	case "A":
		if m.opts.ReadOnly {
			return m, nil
		}
		marked := m.list.markedRows()
		if len(marked) == 0 {
			m.setStatus("mark cases with space first", true)
			return m, nil
		}
		m.form = reassignForm(marked, m.session.UserID)
		return m, nil
	}
	if !m.opts.ReadOnly {
		if r, ok := m.list.current(); ok {
			if cmd, ok := m.changeKey(k, r); ok {
				return m, cmd
			}
		}
	}
	m.list.key(k, m.session.UserID)
	return m, nil
}

// changeKey opens the form of a change key (a, s, n, c, x) for row r.
func (m *Model) changeKey(k string, r Row) (tea.Cmd, bool) {
	switch k {
	case "a":
		m.form = claimForm(r)
	case "n":
		m.form = noteForm(r)
	case "c":
		m.form = clarifyForm(r)
	case "s":
		b := m.b
		return m.start(func(ctx context.Context) tea.Msg {
			d, err := fetchDetail(ctx, b, r)
			if err != nil {
				return formDataMsg{err: err}
			}
			// Only what the domain allows now is offered: the state
			// machine's moves the PDP grants and the case permits.
			// The form shows and acts on the case as just read, not the
			// list's row, which a reload after the last change may not
			// have replaced yet.
			fresh := r
			fresh.Case = d.Case
			return formDataMsg{form: statusForm(fresh, d.Case.AllowedTransitions)}
		}), true
	case "x":
		b := m.b
		return m.start(func(ctx context.Context) tea.Msg {
			d, err := fetchDetail(ctx, b, r)
			if err != nil {
				return formDataMsg{err: err}
			}
			return formDataMsg{form: actionForm(r, d.Actions.Items)}
		}), true
	default:
		return nil, false
	}
	return nil, true
}

func (m *Model) loadDetail(r Row) tea.Cmd {
	b := m.b
	return m.start(func(ctx context.Context) tea.Msg {
		d, err := fetchDetail(ctx, b, r)
		return detailMsg{caseID: r.Case.ID, detail: d, err: err}
	})
}

func (m Model) formKey(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	f := m.form
	if f.sending {
		return m, nil
	}
	switch f.key(msg) {
	case formCancel:
		m.form = nil
		m.setStatus("nothing changed", false)
	case formSend:
		if f.pending == nil {
			changes, err := f.build(f)
			if err != nil {
				f.err = err.Error()
				return m, nil
			}
			// The keys are made once, when the change is confirmed: a
			// retry after a failure sends the same change again.
			for i := range changes {
				changes[i].key = m.opts.NewKey()
			}
			f.pending = changes
		}
		f.sending, f.err = true, ""
		pending, b := append([]change(nil), f.pending...), m.b
		return m, m.start(func(ctx context.Context) tea.Msg { return send(ctx, b, pending) })
	}
	return m, nil
}

// send runs the changes in order and stops at the first failure.
func send(ctx context.Context, b Backend, changes []change) tea.Msg {
	var done []change
	for i := range changes {
		c := changes[i]
		if err := b.Call(ctx, c.org, c.procedure, c.input, nil, c.key); err != nil {
			return changeMsg{done: done, failed: &c, err: err}
		}
		done = append(done, c)
	}
	return changeMsg{done: done}
}

// View draws the topmost screen with the header and the status line.
func (m Model) View() tea.View {
	v := tea.NewView(m.render())
	v.AltScreen = true
	return v
}

func (m Model) render() string {
	w, h := max(m.width, 20), max(m.height, 5)
	header := m.header(w)
	footer := m.footer(w)
	bodyH := h - lipgloss.Height(header) - lipgloss.Height(footer)
	var body string
	switch {
	case m.help != nil:
		body = m.help.view(w, bodyH)
	case m.detail != nil:
		body = m.detail.view(w, bodyH, m.opts.Now(), m.session.UserID)
	default:
		body = m.list.view(w, bodyH, m.opts.Now(), m.session.UserID, m.loaded)
	}
	if m.form != nil {
		body = m.form.view(w, bodyH)
	}
	body = fit(body, w, bodyH)
	return header + "\n" + body + "\n" + footer
}

func (m Model) header(w int) string {
	orgs := make([]string, 0, len(m.session.Organizations))
	active := ""
	for _, o := range m.session.Organizations {
		orgs = append(orgs, orgName(o))
		if o.ID == m.session.Active {
			active = orgName(o)
		}
	}
	left := styleTitle.Render("hestami queue")
	if m.opts.ReadOnly {
		left += " (read-only)"
	}
	right := strings.Join(orgs, ", ")
	if len(orgs) > 2 {
		right = itoa(len(orgs)) + " organizations"
	}
	if active != "" {
		right = "org " + active + " · " + right
	}
	if m.busy > 0 {
		right = m.spin.View() + " " + right
	}
	return clip(left+"  "+right, w)
}

func (m Model) footer(w int) string {
	status := m.status
	switch {
	case status == "" && m.form != nil:
		status = m.form.hint()
	case status == "" && m.help != nil:
		status = "? or esc: back"
	case status == "" && m.detail != nil:
		status = "j/k scroll  esc back" + changeHint(m.opts.ReadOnly) + "  ? help"
	case status == "" && m.list.searching:
		status = "/" + m.list.filter.Text + "▏  enter keep  esc clear"
	case status == "":
		status = "enter open" + changeHint(m.opts.ReadOnly) + "  / search  m/t/u/o filter  ? help  q quit"
		if m.opts.ReadOnly {
			status = "enter open  / search  m/t/u/o filter  v view  r refresh  ? help  q quit"
		}
	}
	status = clip(status, w)
	if m.failed {
		return styleError.Render(status)
	}
	return styleDim.Render(status)
}

func changeHint(readOnly bool) string {
	if readOnly {
		return ""
	}
	return "  a/s/n/c/x change"
}

func orgName(o Organization) string {
	if o.Name != "" {
		return o.Name
	}
	return shortID(o.ID)
}

func shortID(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

// fit pads or cuts s to exactly h lines, each cut to w cells.
func fit(s string, w, h int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	for i, l := range lines {
		lines[i] = clip(l, w)
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}

// clip cuts a (possibly styled) line to w cells.
func clip(s string, w int) string {
	if lipgloss.Width(s) <= w {
		return s
	}
	return truncate(s, w)
}
