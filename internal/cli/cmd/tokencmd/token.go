// Package tokencmd is `hestami token` (operator commands).
package tokencmd

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/hestami/concierge/internal/cli/cmdutil"
	"github.com/hestami/concierge/internal/cli/factory"
	"github.com/hestami/concierge/internal/cli/output"
)

// NewCmd returns `hestami token`.
func NewCmd(f *factory.Factory) *cobra.Command {
	cmd := &cobra.Command{Use: "token", Short: "Issue, list and revoke API tokens (operator)"}
	var user, name string
	var ttl time.Duration
	create := &cobra.Command{Use: "create", Short: "Issue a token; it is printed once on stdout and stored only as a hash", Args: cobra.NoArgs,
		Example: `  hestami token create --user staff@hestami.demo --name laptop --ttl 720h
  export HESTAMI_TOKEN=$(hestami token create --user jordan@rivera.demo --name cli)`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ids, err := f.Identity(cmd.Context())
			if err != nil {
				return err
			}
			t, err := ids.CreateToken(cmd.Context(), user, name, ttl)
			if err != nil {
				return err
			}
			return cmdutil.Print(f, t, func() {
				fmt.Fprintln(f.Out, t.Token)
				fmt.Fprintf(f.ErrOut, "token %s for user %s expires %s; it is not shown again\n", t.ID, t.UserID, t.ExpiresAt.Format(time.RFC3339))
			})
		}}
	create.Flags().StringVar(&user, "user", "", "user id or e-mail")
	create.Flags().StringVar(&name, "name", "", "a label for the token")
	create.Flags().DurationVar(&ttl, "ttl", 90*24*time.Hour, "lifetime")
	cmdutil.Required(create, "user")
	var yes bool
	revoke := &cobra.Command{Use: "revoke TOKEN_ID", Short: "Revoke a token (asks first: it cannot be undone)", Args: cobra.ExactArgs(1),
		Example: `  hestami token list --user staff@hestami.demo   # the token ids
  hestami token revoke 4c1f9e0a-… --yes`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cmdutil.Confirm(cmd, yes, "Revoke token "+args[0]+"? Whatever uses it stops working."); err != nil {
				return err
			}
			ids, err := f.Identity(cmd.Context())
			if err != nil {
				return err
			}
			if err := ids.RevokeToken(cmd.Context(), args[0]); err != nil {
				return err
			}
			return cmdutil.Print(f, map[string]any{"revoked": args[0]}, func() { fmt.Fprintln(f.ErrOut, "revoked", args[0]) })
		}}
	cmdutil.YesFlag(revoke, &yes)
	var listUser string
	list := &cobra.Command{Use: "list", Short: "List a user's tokens with the id to revoke (never the token itself)", Args: cobra.NoArgs,
		Example: "  hestami token list --user ana@example.com",
		RunE: func(cmd *cobra.Command, _ []string) error {
			ids, err := f.Identity(cmd.Context())
			if err != nil {
				return err
			}
			tokens, err := ids.ListTokens(cmd.Context(), listUser)
			if err != nil {
				return err
			}
			return cmdutil.Print(f, tokens, func() {
				now := time.Now()
				rows := make([][]any, 0, len(tokens))
				for _, t := range tokens {
					var revoked any = "-"
					if t.RevokedAt != nil {
						revoked = output.Time(*t.RevokedAt)
					}
					rows = append(rows, []any{output.ID(t.ID), t.Name, output.State(t.State(now)), output.Time(t.CreatedAt), output.Time(t.ExpiresAt), revoked})
				}
				cmdutil.Table(f, []string{"ID", "NAME", "STATE", "CREATED", "EXPIRES", "REVOKED"}, rows)
			})
		}}
	list.Flags().StringVar(&listUser, "user", "", "user id or e-mail")
	cmd.AddCommand(create, list, revoke)
	return cmd
}
