package tui

import "strings"

// helpModel lists the keys; a read-only queue does not list the change
// keys, which it ignores.
type helpModel struct{ readOnly bool }

type keyHelp struct {
	keys, what string
	change     bool
}

var keyHelps = []keyHelp{
	{"j/k ↓/↑", "move down / up", false},
	{"g/G", "first / last case", false},
	{"enter", "open the case: intent, timeline, notes, actions, documents, quotes", false},
	{"esc", "back; on the list, clear the filters", false},
	{"/", "search number, title, property, org (enter keeps, esc drops)", false},
	{"m", "assignee filter: all → mine → unassigned", false},
	{"t / u / o", "status / urgency / organization filter (cycles)", false},
	{"v", "next saved view (queue.views in the config file)", false},
	{"r", "refresh now (it also refreshes on its interval)", false},
	{"a", "claim the case (assign it to yourself)", true},
	{"s", "change status (only the moves allowed now are offered)", true},
	{"n", "add a note (tab: internal / shared)", true},
	{"c", "request a clarification from the owner", true},
	{"x", "add an action, or start or complete one", true},
	{"space", "mark / unmark the case", true},
	{"A", "reassign every marked case", true},
	{"?", "this help", false},
	{"q", "quit (in the detail: back)", false},
}

func (h helpModel) view(w, _ int) string {
	var b strings.Builder
	b.WriteString(styleTitle.Render("Keys") + "\n\n")
	for _, k := range keyHelps {
		if k.change && h.readOnly {
			continue
		}
		b.WriteString(clip("  "+pad(k.keys, 10)+" "+k.what, w) + "\n")
	}
	b.WriteString("\nChanges are confirmed first; a retry resends the same change (same key).")
	return b.String()
}
