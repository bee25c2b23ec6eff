package casecmd

import (
	"github.com/spf13/cobra"

	"github.com/hestami/concierge/internal/api"
	"github.com/hestami/concierge/internal/cases"
	"github.com/hestami/concierge/internal/cli/cmdutil"
	"github.com/hestami/concierge/internal/cli/factory"
	"github.com/hestami/concierge/internal/cli/output"
)

// newAssignCommands returns `hestami case assign`, `claim` and `unassign`.
func newAssignCommands(f *factory.Factory) []*cobra.Command {
	return []*cobra.Command{
		newAssignment(f, "assign ID|NUMBER USER_ID", "Assign a case to concierge staff of an operator the organization engages",
			"  hestami case assign CASE-2026-1 $(hestami dev seed --json | jq -r '.users[\"staff@hestami.demo\"].id')",
			"case/v1/assign", false, cobra.ExactArgs(2), func(args []string) any { return cases.AssignInput{ID: args[0], UserID: args[1]} }),
		newAssignment(f, "claim ID|NUMBER", "Assign an unassigned case to yourself (concierge staff)",
			"  hestami case list --assignee none --sort URGENCY   # what is waiting\n  hestami case claim CASE-2026-3",
			"case/v1/claim", false, cobra.ExactArgs(1), func(args []string) any { return api.GetInput{ID: args[0]} }),
		newAssignment(f, "unassign ID|NUMBER", "Leave a case without an assignee (asks first)",
			"  hestami case unassign CASE-2026-3 --yes",
			"case/v1/unassign", true, cobra.ExactArgs(1), func(args []string) any { return api.GetInput{ID: args[0]} }),
	}
}

// newAssignment builds one assignment command. Unassigning (confirm) drops
// who was working the case, which nothing restores, so it asks first or
// needs --yes.
func newAssignment(f *factory.Factory, use, short, example, procedure string, confirm bool, args cobra.PositionalArgs, input func([]string) any) *cobra.Command {
	var key string
	var yes bool
	cmd := &cobra.Command{
		Use:               use,
		Short:             short,
		Example:           example,
		Args:              args,
		ValidArgsFunction: cmdutil.FirstArg(cmdutil.CompleteCases(f)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if confirm {
				if err := cmdutil.Confirm(cmd, yes, "Leave "+args[0]+" without an assignee?"); err != nil {
					return err
				}
			}
			c, err := cmdutil.Call[cases.Case](cmd.Context(), f, procedure, input(args), cmdutil.Key(key))
			if err != nil {
				return err
			}
			return cmdutil.Print(f, c, func() {
				assignee := "-"
				if c.AssigneeID != nil {
					assignee = *c.AssigneeID
				}
				cmdutil.Fields(f, "case", c.Number, "status", output.State(c.Status), "assignee", assignee)
			})
		},
	}
	cmd.Flags().StringVar(&key, "idempotency-key", "", cmdutil.KeyFlagHelp)
	if confirm {
		cmdutil.YesFlag(cmd, &yes)
	}
	return cmd
}
