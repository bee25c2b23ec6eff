// Package casecmd is `hestami case`.
package casecmd

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hestami/concierge/internal/api"
	"github.com/hestami/concierge/internal/cases"
	"github.com/hestami/concierge/internal/cli/cmdutil"
	"github.com/hestami/concierge/internal/cli/factory"
	"github.com/hestami/concierge/internal/cli/output"
	"github.com/hestami/concierge/internal/listing"
)

// NewCmd returns `hestami case`.
func NewCmd(f *factory.Factory) *cobra.Command {
	cmd := &cobra.Command{Use: "case", Short: "Work concierge cases of the active organization"}
	cmd.AddCommand(newCreate(f), newGet(f), newList(f), newUpdateStatus(f), newAction(f))
	cmd.AddCommand(append(newNoteCommands(f), newAssignCommands(f)...)...)
	cmd.AddCommand(newView(f), newParticipant(f))
	return cmd
}

// show prints a case: its fields, its description as written (line by line)
// and its status history with the actors by name.
func show(ctx context.Context, f *factory.Factory, c cases.Case) error {
	if f.JSON {
		return cmdutil.PrintJSON(f, c)
	}
	names := actorNames(ctx, f, c)
	by := func(kind, id string) string {
		if n, ok := names[id]; ok && kind == "HUMAN" {
			return n
		}
		return kind + ":" + id
	}
	pairs := []any{"id", c.ID, "number", c.Number, "title", c.Title, "status", output.State(c.Status),
		"category", string(c.Category), "priority", output.State(c.Priority), "property", c.PropertyID,
		"created", output.Seq{output.Time(c.CreatedAt), " by " + by("HUMAN", c.CreatedBy)}}
	if c.DueAt != nil {
		pairs = append(pairs, "due", output.Time(*c.DueAt))
	}
	if c.ResolutionSummary != "" {
		pairs = append(pairs, "resolution", c.ResolutionSummary)
	}
	if c.CloseReason != "" {
		pairs = append(pairs, "closed because", c.CloseReason)
	}
	if c.CancelReason != "" {
		pairs = append(pairs, "cancelled because", c.CancelReason)
	}
	if q := c.Queue; q != nil {
		pairs = append(pairs, "urgency", output.State(q.Urgency), "waiting on", q.WaitingOnLabel, "next action", q.NextAction,
			"in status for", inState(q), "sla", slaText(q))
	}
	cmdutil.Fields(f, pairs...)
	if c.Description != "" {
		fmt.Fprintln(f.Out, "\ndescription:")
		for _, line := range strings.Split(strings.TrimRight(c.Description, "\n"), "\n") {
			fmt.Fprintln(f.Out, "  "+output.Escape(line))
		}
	}
	if len(c.History) > 0 {
		fmt.Fprintln(f.Out, "\nhistory:")
		rows := make([][]any, 0, len(c.History))
		for _, h := range c.History {
			from := "-"
			if h.From != nil {
				from = string(*h.From)
			}
			rows = append(rows, []any{output.Time(h.ChangedAt), from + " → " + string(h.To), by(h.ActorKind, h.ActorID), h.Reason})
		}
		return cmdutil.Table(f, []string{"WHEN", "CHANGE", "BY", "REASON"}, rows)
	}
	return nil
}

// actorNames names the people who created and changed c, through
// user/v1/names (the PDP and the tenant transaction decide whom the caller
// may see named), so a local and a remote run print the same names. A
// failure leaves the ids shown: the command itself (perhaps a status change
// that is already committed) has succeeded.
func actorNames(ctx context.Context, f *factory.Factory, c cases.Case) map[string]string {
	ids := []string{c.CreatedBy}
	for _, h := range c.History {
		if h.ActorKind == "HUMAN" {
			ids = append(ids, h.ActorID)
		}
	}
	return displayNames(ctx, f, ids)
}

// inState is how long a case has been in its status, to the minute.
func inState(q *cases.Queue) string {
	return (time.Duration(q.InStateSeconds) * time.Second).Truncate(time.Minute).String()
}

// slaText is the SLA standing in one phrase: state, which target, when due.
func slaText(q *cases.Queue) output.Seq {
	s := output.Seq{output.State(q.SLA.State)}
	if q.SLA.DueAt != nil {
		s = append(s, " ("+q.SLA.Target+" due ", output.Time(*q.SLA.DueAt))
		if q.SLA.Paused {
			s = append(s, ", clock paused")
		}
		s = append(s, ")")
	}
	return s
}

func newCreate(f *factory.Factory) *cobra.Command {
	var in cases.CreateInput
	var key string
	cmd := &cobra.Command{
		Use:     "create",
		Short:   "Open a case (status INTAKE)",
		Example: `  hestami case create --property 3f0c… --title "Water heater leaking" --category REPAIR --priority HIGH`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := cmdutil.Call[cases.Case](cmd.Context(), f, "case/v1/create", in, cmdutil.Key(key))
			if err != nil {
				return err
			}
			return show(cmd.Context(), f, c)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&key, "idempotency-key", "", cmdutil.KeyFlagHelp)
	fl.StringVar(&in.PropertyID, "property", "", "property id")
	fl.StringVar(&in.Title, "title", "", "short title (asked for on a terminal)")
	fl.StringVar(&in.Description, "description", "", "what the owner needs, in plain language")
	cmdutil.EnumVar(cmd, &in.Category, "category", "OTHER", cases.Categories, "what the case is about")
	cmdutil.EnumVar(cmd, &in.Priority, "priority", "NORMAL", cases.Priorities, "how urgent it is")
	cmdutil.Required(cmd, "property")
	cmdutil.Prompted(cmd, "title", "Title")
	_ = cmd.RegisterFlagCompletionFunc("property", cmdutil.CompleteProperties(f))
	return cmd
}

func newGet(f *factory.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "get ID|NUMBER",
		Short: "Show a case with its status history",
		Example: `  hestami case get CASE-2026-1
  hestami case get CASE-2026-1 --json`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: cmdutil.FirstArg(cmdutil.CompleteCases(f)),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := cmdutil.Call[cases.Case](cmd.Context(), f, "case/v1/get", api.GetInput{ID: args[0]}, "")
			if err != nil {
				return err
			}
			return show(cmd.Context(), f, c)
		},
	}
}

func newList(f *factory.Factory) *cobra.Command {
	var in cases.ListInput
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the cases you may see, newest first or as a work queue",
		Long: `List the cases you may see, newest first, or with --sort URGENCY as the
work queue: most urgent first, then oldest. Urgency (domain.md §4): SLA
breached or priority EMERGENCY/URGENT → CRITICAL; SLA at risk, priority HIGH
or more than 48 h in the same status → HIGH; LOW → LOW; otherwise NORMAL;
closed and cancelled cases are LOW. Every page of one listing is computed at
the time of its first page.`,
		Example: `  hestami case list --status INTAKE,ASSESSMENT --priority HIGH,URGENT
  hestami case list --sort URGENCY --assignee me --urgency CRITICAL,HIGH
  hestami case list --waiting-on EXTERNAL --assignee none`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			page, err := cmdutil.Call[listing.Page[cases.Case]](cmd.Context(), f, "case/v1/list", in, "")
			if err != nil {
				return err
			}
			return cmdutil.PrintPage(f, page, "cases match",
				[]string{"NUMBER", "STATUS", "PRIORITY", "CATEGORY", "TITLE", "ID", "URGENCY", "WAITING ON", "SLA", "SLA DUE", "IN STATUS"},
				func(c cases.Case) []any {
					row := []any{c.Number, output.State(c.Status), output.State(c.Priority), string(c.Category), c.Title, output.ID(c.ID), "", "", "", "", ""}
					if q := c.Queue; q != nil {
						var due any = "-"
						if q.SLA.DueAt != nil {
							due = output.Time(*q.SLA.DueAt)
						}
						copy(row[6:], []any{output.State(q.Urgency), q.WaitingOnLabel, output.State(q.SLA.State), due, inState(q)})
					}
					return row
				})
		},
	}
	fl := cmd.Flags()
	cmdutil.EnumSliceVar(cmd, &in.Status, "status", cases.Statuses, "only these statuses")
	cmdutil.EnumSliceVar(cmd, &in.Priority, "priority", cases.Priorities, "only these priorities")
	fl.StringVar(&in.PropertyID, "property", "", "only cases of this property")
	_ = cmd.RegisterFlagCompletionFunc("property", cmdutil.CompleteProperties(f))
	fl.StringVar(&in.Assignee, "assignee", "", "only cases assigned to: me, none (unassigned) or a user id")
	cmdutil.EnumSliceVar(cmd, &in.Urgency, "urgency", cases.Urgencies, "only these urgencies (now)")
	cmdutil.EnumSliceVar(cmd, &in.WaitingOn, "waiting-on", cases.Parties, "only cases waiting on")
	cmdutil.EnumVar(cmd, &in.Sort, "sort", "NEWEST", cases.ListSorts, "order")
	cmdutil.LimitVar(fl, &in.Limit)
	fl.StringVar(&in.Cursor, "cursor", "", "continue after a previous page")
	return cmd
}

func newUpdateStatus(f *factory.Factory) *cobra.Command {
	var in cases.UpdateStatusInput
	var key, waitName string
	var waitKind cases.ExternalKind
	var yes bool
	cmd := &cobra.Command{
		Use:     "update-status ID|NUMBER",
		Aliases: []string{"status"},
		Short:   "Move a case through its lifecycle",
		Long: `Move a case through its lifecycle. Allowed changes:

  INTAKE            → ASSESSMENT, CANCELLED
  ASSESSMENT        → IN_PROGRESS, PENDING_EXTERNAL, PENDING_OWNER, ON_HOLD, CANCELLED
  IN_PROGRESS       → PENDING_EXTERNAL, PENDING_OWNER, ON_HOLD, RESOLVED, CANCELLED
  PENDING_EXTERNAL  → IN_PROGRESS, ON_HOLD, RESOLVED, CANCELLED
  PENDING_OWNER     → IN_PROGRESS, ON_HOLD, RESOLVED, CANCELLED
  ON_HOLD           → ASSESSMENT, IN_PROGRESS, PENDING_EXTERNAL, PENDING_OWNER, CANCELLED
  RESOLVED          → CLOSED, IN_PROGRESS (reopen)
  CLOSED, CANCELLED are final.

RESOLVED needs --resolution, CANCELLED needs --reason, PENDING_EXTERNAL needs
--waiting-on (and --waiting-on-kind) naming the party the case waits on; the
SLA clock stops while the case waits on the owner or an external party. The change runs as a
durable workflow: repeat the command with the same --idempotency-key after a
failure or a crash and it is applied once, answering with the original result.

CLOSED and CANCELLED cannot be undone: on a terminal the command asks first,
elsewhere it needs --yes.`,
		Example: `  hestami case update-status CASE-2026-3 --to ASSESSMENT --reason "triaged" --idempotency-key triage-3
  hestami case status CASE-2026-3 --to PENDING_EXTERNAL --waiting-on-kind HOA --waiting-on "Maple HOA board"`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: cmdutil.FirstArg(cmdutil.CompleteCases(f)),
		RunE: func(cmd *cobra.Command, args []string) error {
			in.ID = args[0]
			if cases.Terminal(in.Status) {
				if err := cmdutil.Confirm(cmd, yes, fmt.Sprintf("Move %s to %s? This cannot be undone.", in.ID, in.Status)); err != nil {
					return err
				}
			}
			if waitName != "" || waitKind != "" {
				if waitKind == "" {
					waitKind = "OTHER"
				}
				in.WaitingOn = &cases.WaitingOn{Kind: waitKind, Name: waitName}
			}
			c, err := cmdutil.Call[cases.Case](cmd.Context(), f, cases.UpdateStatusProcedure, in, cmdutil.Key(key))
			if err != nil {
				return err
			}
			return show(cmd.Context(), f, c)
		},
	}
	fl := cmd.Flags()
	cmdutil.EnumVarCompleted(cmd, &in.Status, "to", "", cases.Statuses, "the new status", cmdutil.CompleteNextStatuses(f))
	fl.StringVar(&in.Reason, "reason", "", "why (recorded in the history)")
	fl.StringVar(&in.ResolutionSummary, "resolution", "", "resolution summary (required for RESOLVED)")
	fl.StringVar(&waitName, "waiting-on", "", "who the case waits on, by name (required for PENDING_EXTERNAL)")
	cmdutil.EnumVar(cmd, &waitKind, "waiting-on-kind", "", cases.ExternalKinds, "what kind of party it waits on (default OTHER)")
	fl.StringVar(&key, "idempotency-key", "", cmdutil.KeyFlagHelp)
	cmdutil.YesFlag(cmd, &yes)
	cmdutil.Required(cmd, "to")
	cmdutil.FieldFlags(cmd, map[string]string{"status": "to", "resolutionSummary": "resolution", "waitingOn": "waiting-on"})
	return cmd
}
