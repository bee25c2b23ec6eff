// Package usercmd is `hestami user` (operator commands).
package usercmd

import (
	"github.com/spf13/cobra"

	"github.com/hestami/concierge/internal/cli/cmdutil"
	"github.com/hestami/concierge/internal/cli/factory"
	"github.com/hestami/concierge/internal/cli/output"
)

// NewCmd returns `hestami user`.
func NewCmd(f *factory.Factory) *cobra.Command {
	cmd := &cobra.Command{Use: "user", Short: "Manage users (operator)"}
	var email, name string
	create := &cobra.Command{Use: "create", Short: "Create a user", Args: cobra.NoArgs,
		Example: "  hestami user create --email ana@example.com --name \"Ana Silva\"",
		RunE: func(cmd *cobra.Command, _ []string) error {
			ids, err := f.Identity(cmd.Context())
			if err != nil {
				return err
			}
			u, err := ids.CreateUser(cmd.Context(), email, name)
			if err != nil {
				return err
			}
			return cmdutil.Print(f, u, func() { cmdutil.Fields(f, "id", u.ID, "email", u.Email, "name", u.DisplayName) })
		}}
	create.Flags().StringVar(&email, "email", "", "e-mail address")
	create.Flags().StringVar(&name, "name", "", "display name")
	cmdutil.Required(create, "email")
	list := &cobra.Command{Use: "list", Short: "List users", Args: cobra.NoArgs,
		Example: "  hestami user list\n  hestami user list --json",
		RunE: func(cmd *cobra.Command, _ []string) error {
			ids, err := f.Identity(cmd.Context())
			if err != nil {
				return err
			}
			users, err := ids.ListUsers(cmd.Context())
			if err != nil {
				return err
			}
			return cmdutil.Print(f, users, func() {
				rows := make([][]any, 0, len(users))
				for _, u := range users {
					rows = append(rows, []any{output.ID(u.ID), u.Email, u.DisplayName})
				}
				cmdutil.Table(f, []string{"ID", "EMAIL", "NAME"}, rows)
			})
		}}
	cmd.AddCommand(create, list)
	return cmd
}
