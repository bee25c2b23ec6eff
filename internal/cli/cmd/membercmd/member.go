// Package membercmd is `hestami member` (operator commands).
package membercmd

import (
	"github.com/spf13/cobra"

	"github.com/hestami/concierge/internal/cli/cmdutil"
	"github.com/hestami/concierge/internal/cli/factory"
	"github.com/hestami/concierge/internal/cli/output"
	"github.com/hestami/concierge/internal/identity"
)

// NewCmd returns `hestami member`.
func NewCmd(f *factory.Factory) *cobra.Command {
	cmd := &cobra.Command{Use: "member", Short: "Manage memberships (operator)"}
	var org, user, role string
	add := &cobra.Command{Use: "add", Short: "Give a user a role in an organization", Args: cobra.NoArgs,
		Example: "  hestami member add --org $RIVERA --user jordan@rivera.demo --role OWNER",
		RunE: func(cmd *cobra.Command, _ []string) error {
			ids, err := f.Identity(cmd.Context())
			if err != nil {
				return err
			}
			m, err := ids.AddMember(cmd.Context(), org, user, role)
			if err != nil {
				return err
			}
			return cmdutil.Print(f, m, func() { cmdutil.Fields(f, "membership", m.ID, "user", m.Email, "role", m.Role) })
		}}
	add.Flags().StringVar(&org, "org", "", "organization id")
	add.Flags().StringVar(&user, "user", "", "user id or e-mail")
	add.Flags().StringVar(&role, "role", "", "one of "+identity.Roles.Help())
	cmdutil.Required(add, "org", "user", "role")
	_ = add.RegisterFlagCompletionFunc("role", cobra.FixedCompletions(identity.Roles.Strings(), cobra.ShellCompDirectiveNoFileComp))
	list := &cobra.Command{Use: "list", Short: "List the members of an organization", Args: cobra.NoArgs,
		Example: "  hestami member list --org $RIVERA",
		RunE: func(cmd *cobra.Command, _ []string) error {
			ids, err := f.Identity(cmd.Context())
			if err != nil {
				return err
			}
			orgID, _ := cmd.Flags().GetString("org")
			ms, err := ids.ListMembers(cmd.Context(), orgID)
			if err != nil {
				return err
			}
			return cmdutil.Print(f, ms, func() {
				rows := make([][]any, 0, len(ms))
				for _, m := range ms {
					rows = append(rows, []any{m.Email, m.Role, output.ID(m.UserID)})
				}
				cmdutil.Table(f, []string{"EMAIL", "ROLE", "USER ID"}, rows)
			})
		}}
	cmd.AddCommand(add, list)
	return cmd
}
