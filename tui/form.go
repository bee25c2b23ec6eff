package tui

import (
	"errors"
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/hestami/concierge/internal/action"
	"github.com/hestami/concierge/internal/api"
	"github.com/hestami/concierge/internal/cases"
)

// change is one confirmed call: a procedure, its input and the
// idempotency key made when it was confirmed.
type change struct {
	org, procedure string
	input          any
	key            string
	label          string
}

// field is one text input of a form; a field with options is chosen with
// tab instead of typed.
type field struct {
	label    string
	value    string
	required bool
	options  []string
}

type choice struct {
	label string
	value string
	// fields are asked once this choice is made.
	fields []field
}

// formModel asks what a change needs, shows it, and sends it once
// confirmed: choose (when there are choices), fill the fields, confirm.
type formModel struct {
	title   string
	choices []choice
	chosen  int
	// stage is 0 choosing, 1 filling fields, 2 confirming.
	stage  int
	fields []field
	focus  int
	// build turns the form into the changes to send.
	build func(f *formModel) ([]change, error)
	// done names what happened, for the status line.
	done string

	pending []change
	sending bool
	err     string
	sentN   int
}

type formResult int

const (
	formStay formResult = iota
	formCancel
	formSend
)

func (f *formModel) start() *formModel {
	switch {
	case len(f.choices) > 0:
		f.stage = 0
	case len(f.fields) > 0:
		f.stage = 1
	default:
		f.stage = 2
	}
	return f
}

func (f *formModel) key(msg tea.KeyPressMsg) formResult {
	k := msg.String()
	if k == "esc" {
		return formCancel
	}
	switch f.stage {
	case 0:
		switch k {
		case "j", "down":
			f.chosen = min(f.chosen+1, len(f.choices)-1)
		case "k", "up":
			f.chosen = max(f.chosen-1, 0)
		case "enter":
			f.fields = append([]field(nil), f.choices[f.chosen].fields...)
			f.focus = 0
			f.stage = 1
			if len(f.fields) == 0 {
				f.stage = 2
			}
		}
	case 1:
		fl := &f.fields[f.focus]
		switch k {
		case "enter":
			if fl.required && strings.TrimSpace(fl.value) == "" {
				f.err = fl.label + " is required"
				return formStay
			}
			f.err = ""
			if f.focus+1 < len(f.fields) {
				f.focus++
			} else {
				f.stage = 2
			}
		case "tab":
			if len(fl.options) > 0 {
				fl.value = next(fl.options, fl.value)
			} else if f.focus+1 < len(f.fields) {
				f.focus++
			}
		case "shift+tab":
			f.focus = max(f.focus-1, 0)
		case "backspace":
			if len(fl.options) == 0 {
				if r := []rune(fl.value); len(r) > 0 {
					fl.value = string(r[:len(r)-1])
				}
			}
		default:
			if len(fl.options) == 0 && msg.Text != "" {
				fl.value += msg.Text
			}
		}
	case 2:
		switch k {
		case "y", "enter":
			return formSend
		case "n":
			return formCancel
		}
	}
	return formStay
}

// sent drops the changes that went through: a retry sends the rest.
func (f *formModel) sent(done []change) {
	f.sending = false
	f.sentN += len(done)
	f.pending = f.pending[len(done):]
}

func (f *formModel) doneText() string {
	if f.sentN > 1 {
		return fmt.Sprintf("%s (%d cases)", f.done, f.sentN)
	}
	return f.done
}

func (f *formModel) value(label string) string {
	for _, fl := range f.fields {
		if fl.label == label {
			return strings.TrimSpace(fl.value)
		}
	}
	return ""
}

func (f *formModel) hint() string {
	switch {
	case f.sending:
		return "sending…"
	case f.stage == 0:
		return "j/k choose  enter next  esc cancel"
	case f.stage == 1:
		return "type  tab next/switch  enter next  esc cancel"
	case f.err != "":
		return "y retry the same change  esc cancel (nothing more is sent)"
	default:
		return "y or enter confirm  n or esc cancel"
	}
}

func (f *formModel) view(w, _ int) string {
	var b strings.Builder
	b.WriteString(styleTitle.Render(f.title) + "\n\n")
	switch f.stage {
	case 0:
		for i, c := range f.choices {
			line := "  " + c.label
			if i == f.chosen {
				line = styleCursor.Render("> " + c.label)
			}
			b.WriteString(line + "\n")
		}
		if len(f.choices) == 0 {
			b.WriteString("  nothing to choose\n")
		}
	case 1, 2:
		if len(f.choices) > 0 {
			b.WriteString("  " + f.choices[f.chosen].label + "\n")
		}
		for i, fl := range f.fields {
			v := clean(fl.value)
			if len(fl.options) > 0 {
				v = "[" + v + "]  (tab switches)"
			}
			cursor := " "
			if f.stage == 1 && i == f.focus {
				cursor = ">"
				if len(fl.options) == 0 {
					v += "▏"
				}
			}
			b.WriteString(clip(fmt.Sprintf("%s %s: %s", cursor, fl.label, v), w) + "\n")
		}
		if f.stage == 2 {
			b.WriteString("\n" + styleHeader.Render("Confirm?") + " ")
			if len(f.pending) > 0 {
				b.WriteString(fmt.Sprintf("%d not sent yet", len(f.pending)))
			}
			b.WriteString("\n")
		}
	}
	if f.err != "" {
		b.WriteString("\n" + styleError.Render(clip("refused: "+f.err, w)) + "\n")
		if f.sentN > 0 {
			b.WriteString(fmt.Sprintf("%d done before it; they stay done.\n", f.sentN))
		}
	}
	return styleBox.Width(min(w, 78)).Render(strings.TrimRight(b.String(), "\n"))
}

func claimForm(r Row) *formModel {
	return (&formModel{
		title: "Claim " + r.Case.Number + " (" + clean(r.Case.Title) + ")",
		done:  "claimed " + r.Case.Number,
		build: func(*formModel) ([]change, error) {
			return []change{{org: r.Org.ID, procedure: "case/v1/claim", input: api.GetInput{ID: r.Case.ID}, label: r.Case.Number}}, nil
		},
	}).start()
}

func noteForm(r Row) *formModel {
	return (&formModel{
		title: "Note on " + r.Case.Number,
		done:  "note added to " + r.Case.Number,
		fields: []field{
			{label: "audience", value: string(cases.Internal), options: []string{string(cases.Internal), string(cases.Shared)}},
			{label: "text", required: true},
		},
		build: func(f *formModel) ([]change, error) {
			in := cases.AddNoteInput{CaseID: r.Case.ID, Audience: cases.Audience(f.value("audience")), Text: f.value("text")}
			return []change{{org: r.Org.ID, procedure: "case/v1/addNote", input: in, label: r.Case.Number}}, nil
		},
	}).start()
}

func clarifyForm(r Row) *formModel {
	return (&formModel{
		title:  "Ask the owner to clarify " + r.Case.Number,
		done:   "clarification requested on " + r.Case.Number,
		fields: []field{{label: "question", required: true}},
		build: func(f *formModel) ([]change, error) {
			in := cases.ClarifyInput{ID: r.Case.ID, Text: f.value("question")}
			return []change{{org: r.Org.ID, procedure: "case/v1/requestClarification", input: in, label: r.Case.Number}}, nil
		},
	}).start()
}

// statusFields are what a move to s needs (the same rules the CLI's
// update-status help states; the procedure enforces them).
func statusFields(s cases.Status) []field {
	switch s {
	case cases.Resolved:
		return []field{{label: "resolution", required: true}, {label: "reason"}}
	case cases.Cancelled:
		return []field{{label: "reason", required: true}}
	case cases.PendingExternal:
		kinds := make([]string, 0, 3)
		for _, k := range cases.ExternalKinds.Values() {
			kinds = append(kinds, string(k))
		}
		return []field{{label: "waiting on", required: true}, {label: "kind", value: "OTHER", options: kinds}, {label: "reason"}}
	default:
		return []field{{label: "reason"}}
	}
}

func statusForm(r Row, allowed []cases.Status) *formModel {
	f := &formModel{title: "Move " + r.Case.Number + " from " + string(r.Case.Status)}
	for _, s := range allowed {
		f.choices = append(f.choices, choice{label: string(s), value: string(s), fields: statusFields(s)})
	}
	f.build = func(f *formModel) ([]change, error) {
		if len(f.choices) == 0 {
			return nil, errors.New("no status change is allowed now")
		}
		to := cases.Status(f.choices[f.chosen].value)
		in := cases.UpdateStatusInput{ID: r.Case.ID, Status: to, Reason: f.value("reason"), ResolutionSummary: f.value("resolution")}
		if to == cases.PendingExternal {
			in.WaitingOn = &cases.WaitingOn{Kind: cases.ExternalKind(f.value("kind")), Name: f.value("waiting on")}
		}
		f.done = r.Case.Number + " moved to " + string(to)
		return []change{{org: r.Org.ID, procedure: cases.UpdateStatusProcedure, input: in, label: r.Case.Number}}, nil
	}
	return f.start()
}

func actionForm(r Row, actions []action.Action) *formModel {
	f := &formModel{title: "Actions of " + r.Case.Number}
	f.choices = append(f.choices, choice{label: "new action", value: "", fields: []field{{label: "title", required: true}}})
	// Each open action offers the moves its state machine allows: a planned
	// or blocked one starts (or resumes), one in progress completes.
	for _, a := range actions {
		switch {
		case action.CanTransition(a.Status, action.Completed):
			f.choices = append(f.choices, choice{label: "complete: " + clean(a.Title), value: "complete:" + a.ID,
				fields: []field{{label: "outcome", required: true}}})
		case action.CanTransition(a.Status, action.InProgress):
			f.choices = append(f.choices, choice{label: "start: " + clean(a.Title), value: "start:" + a.ID})
		}
	}
	f.build = func(f *formModel) ([]change, error) {
		c := f.choices[f.chosen]
		move, id, _ := strings.Cut(c.value, ":")
		switch move {
		case "start":
			f.done = "action started on " + r.Case.Number
			return []change{{org: r.Org.ID, procedure: "action/v1/start",
				input: action.StartInput{ID: id}, label: r.Case.Number}}, nil
		case "complete":
			f.done = "action completed on " + r.Case.Number
			return []change{{org: r.Org.ID, procedure: "action/v1/complete",
				input: action.CompleteInput{ID: id, Outcome: f.value("outcome")}, label: r.Case.Number}}, nil
		}
		f.done = "action added to " + r.Case.Number
		return []change{{org: r.Org.ID, procedure: "action/v1/create",
			input: action.CreateInput{CaseID: r.Case.ID, Title: f.value("title")}, label: r.Case.Number}}, nil
	}
	return f.start()
}

func reassignForm(rows []Row, me string) *formModel {
	numbers := make([]string, 0, len(rows))
	for _, r := range rows {
		numbers = append(numbers, r.Case.Number)
	}
	return (&formModel{
		title:  fmt.Sprintf("Reassign %d marked cases: %s", len(rows), strings.Join(numbers, ", ")),
		fields: []field{{label: "user id (or me)", required: true}},
		build: func(f *formModel) ([]change, error) {
			user := f.value("user id (or me)")
			if user == "me" {
				user = me
			}
			f.done = fmt.Sprintf("reassigned to %s", shortID(user))
			out := make([]change, 0, len(rows))
			for _, r := range rows {
				out = append(out, change{org: r.Org.ID, procedure: "case/v1/assign",
					input: cases.AssignInput{ID: r.Case.ID, UserID: user}, label: r.Case.Number})
			}
			return out, nil
		},
	}).start()
}
