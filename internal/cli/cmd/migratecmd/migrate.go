// Package migratecmd is `hestami migrate`.
package migratecmd

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/hestami/concierge/internal/cli/cmdutil"
	"github.com/hestami/concierge/internal/cli/factory"
	"github.com/hestami/concierge/internal/cli/output"
	"github.com/hestami/concierge/internal/db"
	"github.com/hestami/concierge/migrations"
)

// NewCmd returns `hestami migrate`.
func NewCmd(f *factory.Factory) *cobra.Command {
	cmd := &cobra.Command{Use: "migrate", Short: "Apply and inspect database migrations (owner role)"}
	cmd.AddCommand(
		&cobra.Command{Use: "up", Short: "Apply every pending migration (safe to repeat)", Args: cobra.NoArgs,
			Example: "  hestami migrate up",
			RunE: func(cmd *cobra.Command, _ []string) error {
				ctx := cmd.Context()
				d, err := f.DB(ctx)
				if err != nil {
					return err
				}
				url, err := f.OwnerURL(ctx)
				if err != nil {
					return err
				}
				applied, err := factory.MigrateAll(ctx, d, url)
				if err != nil {
					return err
				}
				return cmdutil.Print(f, map[string]any{"applied": applied}, func() {
					if len(applied) == 0 {
						fmt.Fprintln(f.Out, "nothing to apply")
					}
					for _, v := range applied {
						fmt.Fprintln(f.Out, "applied", v)
					}
				})
			}},
		&cobra.Command{Use: "status", Short: "List applied and pending migrations", Args: cobra.NoArgs,
			Example: "  hestami migrate status\n  hestami migrate status --json",
			RunE: func(cmd *cobra.Command, _ []string) error {
				d, err := f.DB(cmd.Context())
				if err != nil {
					return err
				}
				list, err := db.MigrationStatus(cmd.Context(), d.Owner, migrations.FS)
				if err != nil {
					return err
				}
				return cmdutil.Print(f, list, func() {
					rows := make([][]any, 0, len(list))
					for _, m := range list {
						state, at := "pending", any("")
						if m.AppliedAt != nil {
							state, at = "applied", output.Time(*m.AppliedAt)
						}
						rows = append(rows, []any{m.Version, state, at})
					}
					cmdutil.Table(f, []string{"VERSION", "STATE", "APPLIED AT"}, rows)
				})
			}},
	)
	return cmd
}
