package tui

import "charm.land/lipgloss/v2"

// Styles use attributes that survive the ASCII profile (NO_COLOR, a dumb
// terminal): the cursor row is reversed and headers are bold, so nothing
// depends on colour alone.
var (
	styleHeader   = lipgloss.NewStyle().Bold(true)
	styleTitle    = lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("12"))
	styleCursor   = lipgloss.NewStyle().Reverse(true)
	styleDim      = lipgloss.NewStyle().Faint(true)
	styleError    = lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("9"))
	styleOK       = lipgloss.NewStyle().Foreground(lipgloss.Color("10"))
	styleCritical = lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("9"))
	styleHigh     = lipgloss.NewStyle().Foreground(lipgloss.Color("11"))
	styleBox      = lipgloss.NewStyle().Border(lipgloss.NormalBorder()).Padding(0, 1)
)
