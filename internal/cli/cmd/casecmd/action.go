package casecmd

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/hestami/concierge/internal/action"
	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/cli/cmdutil"
	"github.com/hestami/concierge/internal/cli/factory"
	"github.com/hestami/concierge/internal/cli/output"
	"github.com/hestami/concierge/internal/listing"
)

// newAction returns `hestami case action`: the concierge actions of a case
// (action/v1/*).
func newAction(f *factory.Factory) *cobra.Command {
	cmd := &cobra.Command{Use: "action", Short: "Plan and perform concierge actions on a case (staff)"}
	cmd.AddCommand(newActionAdd(f), newActionStart(f), newActionDone(f), newActionBlock(f), newActionCancel(f), newActionList(f))
	return cmd
}

func showAction(f *factory.Factory, a action.Action) error {
	return cmdutil.Print(f, a, func() {
		pairs := []any{"id", a.ID, "case", a.CaseID, "title", a.Title, "type", string(a.Type), "status", output.State(a.Status)}
		if a.PlannedAt != nil {
			pairs = append(pairs, "planned", output.Time(*a.PlannedAt))
		}
		if a.WaitingOn != "" {
			pairs = append(pairs, "waiting on", a.WaitingOn)
		}
		if a.Outcome != "" {
			pairs = append(pairs, "outcome", a.Outcome)
		}
		if a.CancelReason != "" {
			pairs = append(pairs, "cancelled because", a.CancelReason)
		}
		if a.Description != "" {
			pairs = append(pairs, "description", a.Description)
		}
		cmdutil.Fields(f, pairs...)
	})
}

func newActionAdd(f *factory.Factory) *cobra.Command {
	var in action.CreateInput
	var key, planned string
	cmd := &cobra.Command{
		Use:               "add CASE TITLE",
		Short:             "Plan an action on a case (by id or number); it starts PLANNED",
		Example:           `  hestami case action add CASE-2026-3 "Call the roofer" --type VENDOR_CONTACT --planned 2026-05-01T09:00:00Z`,
		Args:              cobra.ExactArgs(2),
		ValidArgsFunction: cmdutil.FirstArg(cmdutil.CompleteCases(f)),
		RunE: func(cmd *cobra.Command, args []string) error {
			in.CaseID, in.Title = args[0], args[1]
			if planned != "" {
				t, err := time.Parse(time.RFC3339, planned)
				if err != nil {
					return apperr.Field("planned", "format", "--planned must be a time like 2026-05-01T09:00:00Z")
				}
				in.PlannedAt = &t
			}
			a, err := cmdutil.Call[action.Action](cmd.Context(), f, "action/v1/create", in, cmdutil.Key(key))
			if err != nil {
				return err
			}
			return showAction(f, a)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&key, "idempotency-key", "", cmdutil.KeyFlagHelp)
	cmdutil.EnumVar(cmd, &in.Type, "type", "OTHER", action.Types, "what kind of work it is")
	fl.StringVar(&in.Description, "description", "", "what is to be done")
	fl.StringVar(&planned, "planned", "", "when it is planned, RFC 3339 (2026-05-01T09:00:00Z)")
	return cmd
}

// newActionMove builds one of the state-change commands over ID. A final
// move (confirm != "") cannot be undone, so it asks first, or needs --yes.
func newActionMove(f *factory.Factory, use, short, example, procedure, confirm string, flags func(cmd *cobra.Command) func(id string) any) *cobra.Command {
	var key string
	var yes bool
	cmd := &cobra.Command{Use: use, Short: short, Example: example, Args: cobra.ExactArgs(1)}
	input := flags(cmd)
	if confirm != "" {
		cmdutil.YesFlag(cmd, &yes)
	}
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if confirm != "" {
			if err := cmdutil.Confirm(cmd, yes, fmt.Sprintf(confirm, args[0])); err != nil {
				return err
			}
		}
		a, err := cmdutil.Call[action.Action](cmd.Context(), f, procedure, input(args[0]), cmdutil.Key(key))
		if err != nil {
			return err
		}
		return showAction(f, a)
	}
	cmd.Flags().StringVar(&key, "idempotency-key", "", cmdutil.KeyFlagHelp)
	return cmd
}

func newActionStart(f *factory.Factory) *cobra.Command {
	return newActionMove(f, "start ID", "Start a planned action, or resume a blocked one",
		"  hestami case action list CASE-2026-1 --status PLANNED   # the ids\n  hestami case action start 5b0e2c1d-…", "action/v1/start", "",
		func(*cobra.Command) func(string) any {
			return func(id string) any { return action.StartInput{ID: id} }
		})
}

func newActionDone(f *factory.Factory) *cobra.Command {
	return newActionMove(f, "done ID", "Complete an action in progress; --outcome says what came of it",
		`  hestami case action done 5b0e2c1d-… --outcome "Roofer booked for Tuesday"`, "action/v1/complete", "",
		func(cmd *cobra.Command) func(string) any {
			outcome := cmd.Flags().String("outcome", "", "what came of it (required)")
			cmdutil.Required(cmd, "outcome")
			return func(id string) any { return action.CompleteInput{ID: id, Outcome: *outcome} }
		})
}

func newActionBlock(f *factory.Factory) *cobra.Command {
	return newActionMove(f, "block ID", "Mark an action in progress as waiting; --waiting-on says on what",
		`  hestami case action block 5b0e2c1d-… --waiting-on "the roofer's quote"`, "action/v1/block", "",
		func(cmd *cobra.Command) func(string) any {
			on := cmd.Flags().String("waiting-on", "", "what the action waits on (required)")
			cmdutil.Required(cmd, "waiting-on")
			return func(id string) any { return action.BlockInput{ID: id, WaitingOn: *on} }
		})
}

func newActionCancel(f *factory.Factory) *cobra.Command {
	return newActionMove(f, "cancel ID", "Cancel an action that is not final (asks first: it cannot be undone)",
		`  hestami case action cancel 5b0e2c1d-… --reason "the owner fixed it" --yes`, "action/v1/cancel", "Cancel action %s? This cannot be undone.",
		func(cmd *cobra.Command) func(string) any {
			reason := cmd.Flags().String("reason", "", "why it is dropped")
			return func(id string) any { return action.CancelInput{ID: id, Reason: *reason} }
		})
}

func newActionList(f *factory.Factory) *cobra.Command {
	var in action.ListInput
	cmd := &cobra.Command{
		Use:   "list CASE",
		Short: "List the actions of a case (by id or number), oldest first",
		Example: `  hestami case action list CASE-2026-1
  hestami case action list CASE-2026-1 --status IN_PROGRESS,BLOCKED`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: cmdutil.FirstArg(cmdutil.CompleteCases(f)),
		RunE: func(cmd *cobra.Command, args []string) error {
			in.CaseID = args[0]
			page, err := cmdutil.Call[listing.Page[action.Action]](cmd.Context(), f, "action/v1/list", in, "")
			if err != nil {
				return err
			}
			return cmdutil.PrintPage(f, page, "actions", []string{"ID", "TYPE", "STATUS", "TITLE", "WAITING ON / OUTCOME"},
				func(a action.Action) []any {
					note := a.WaitingOn
					if a.Status == action.Completed {
						note = a.Outcome
					}
					return []any{output.ID(a.ID), string(a.Type), output.State(a.Status), a.Title, note}
				})
		},
	}
	cmdutil.EnumSliceVar(cmd, &in.Status, "status", action.Statuses, "only these statuses")
	cmdutil.LimitVar(cmd.Flags(), &in.Limit)
	cmd.Flags().StringVar(&in.Cursor, "cursor", "", "continue after a previous page")
	return cmd
}
