// Package queuecmd is `hestami queue`, the work-queue TUI (package tui)
// over the CLI's Caller.
package queuecmd

import (
	"bytes"
	"context"
	"os"
	"slices"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"

	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/cli/factory"
	"github.com/hestami/concierge/internal/cli/output"
	"github.com/hestami/concierge/internal/workable"
	"github.com/hestami/concierge/tui"
)

// NewCmd returns `hestami queue`.
func NewCmd(f *factory.Factory) *cobra.Command {
	var readOnly bool
	var refresh time.Duration
	var view string
	cmd := &cobra.Command{
		Use:   "queue",
		Short: "Work the case queue from the keyboard",
		Long: `Work the case queue from the keyboard: the open cases of every organization
you may work, most urgent first, then oldest. Open a case with enter; claim
(a), change status (s), add a note (n), ask the owner to clarify (c), add,
start or complete an action (x), mark cases (space) and reassign them (A). Every change
is confirmed first and goes through the same procedures as the case commands.
? lists every key.

Saved views are filters kept in the config file under queue.views:

  queue:
    views:
      mine-urgent: {assignee: mine, urgency: [CRITICAL, HIGH]}
      intake: {status: [INTAKE], assignee: unassigned}`,
		Example: `  hestami queue
  hestami queue --view mine-urgent --refresh 1m
  hestami queue --readonly`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			views, err := savedViews(f)
			if err != nil {
				return err
			}
			opts := tui.Options{ReadOnly: readOnly, Refresh: refresh, Views: views, Context: cmd.Context()}
			if view != "" {
				i := slices.IndexFunc(views, func(v tui.View) bool { return v.Name == view })
				if i < 0 {
					return apperr.New(apperr.Validation, "--view: no saved view %q in queue.views", view)
				}
				opts.Filter = views[i].Filter
			}
			if !term.IsTerminal(os.Stdin.Fd()) || !term.IsTerminal(os.Stdout.Fd()) {
				return apperr.New(apperr.Validation, "hestami queue needs a terminal; for a script use: hestami case list --sort URGENCY")
			}
			// Whatever the local pipeline logs while the screen is drawn
			// would tear it: it is kept and printed once the queue closes.
			var logs bytes.Buffer
			errOut := f.ErrOut
			f.ErrOut = &logs
			defer func() {
				f.ErrOut = errOut
				_, _ = errOut.Write(logs.Bytes())
			}()
			p := tea.NewProgram(tui.New(backend{f}, opts), tea.WithContext(cmd.Context()), tea.WithOutput(os.Stdout))
			_, err = p.Run()
			if err != nil && cmd.Context().Err() == nil {
				return err
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&readOnly, "readonly", false, "look only: hide every key that changes a case")
	fl.DurationVar(&refresh, "refresh", 30*time.Second, "reload the queue on this interval (0: only on r)")
	fl.StringVar(&view, "view", "", "open with this saved view (queue.views in the config file)")
	return cmd
}

// savedViews reads queue.views from the configuration, sorted by name.
func savedViews(f *factory.Factory) ([]tui.View, error) {
	var m map[string]tui.Filter
	if err := f.Viper.UnmarshalKey("queue.views", &m); err != nil {
		return nil, apperr.New(apperr.Validation, "queue.views in the config file: %v", err)
	}
	out := make([]tui.View, 0, len(m))
	for name, filter := range m {
		out = append(out, tui.View{Name: name, Filter: filter})
	}
	slices.SortFunc(out, func(a, b tui.View) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// backend is the queue's Backend over the CLI's Caller: in process here,
// over the RPC API once a server is configured.
type backend struct{ f *factory.Factory }

// Session lists the organizations the caller may work
// (organization/v1/mine: memberships and, for staff, every organization
// that engaged its operator), each kept only if the PDP lets it act there.
func (b backend) Session(ctx context.Context) (tui.Session, error) {
	user, err := b.f.UserID(ctx)
	if err != nil {
		return tui.Session{}, failure(err)
	}
	var mine workable.List
	if err := b.Call(ctx, "", "organization/v1/mine", workable.Input{}, &mine, ""); err != nil {
		return tui.Session{}, err
	}
	cfg, err := b.f.Config()
	if err != nil {
		return tui.Session{}, failure(err)
	}
	s := tui.Session{UserID: user, Active: cfg.Org}
	for _, o := range mine.Items {
		s.Organizations = append(s.Organizations, tui.Organization{ID: o.ID, Name: o.Name})
	}
	return s, nil
}

func (b backend) Call(ctx context.Context, org, procedure string, in, out any, key string) error {
	return failure(b.f.Caller().Call(ctx, org, procedure, in, out, key))
}

// failure words err as the CLI prints it (output.PrintError, the one
// mapping): the message, and an internal error's trace id, never its
// cause.
func failure(err error) error {
	if err == nil {
		return nil
	}
	var buf bytes.Buffer
	_ = output.PrintError(&buf, err, false)
	msg := strings.TrimPrefix(strings.TrimSpace(strings.SplitN(lastError(buf.String()), "\n", 2)[0]), "error: ")
	return &tui.CallError{Message: msg, Err: err}
}

// lastError is PrintError's "error:" line (a debug log line may come
// first).
func lastError(s string) string {
	if i := strings.LastIndex(s, "error: "); i >= 0 && (i == 0 || s[i-1] == '\n') {
		return s[i:]
	}
	return s
}
