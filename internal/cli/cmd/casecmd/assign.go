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
			"case/v1/assign", cobra.ExactArgs(2), func(args []string) any { return cases.AssignInput{ID: args[0], UserID: args[1]} }),
		newAssignment(f, "claim ID|NUMBER", "Assign an unassigned case to yourself (concierge staff)",
			"case/v1/claim", cobra.ExactArgs(1), func(args []string) any { return api.GetInput{ID: args[0]} }),
		newAssignment(f, "unassign ID|NUMBER", "Leave a case without an assignee",
			"case/v1/unassign", cobra.ExactArgs(1), func(args []string) any { return api.GetInput{ID: args[0]} }),
	}
}

func newAssignment(f *factory.Factory, use, short, procedure string, args cobra.PositionalArgs, input func([]string) any) *cobra.Command {
	var key string
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  args,
		RunE: func(cmd *cobra.Command, args []string) error {
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
	return cmd
}
