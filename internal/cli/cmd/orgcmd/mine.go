package orgcmd

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hestami/concierge/internal/cli/cmdutil"
	"github.com/hestami/concierge/internal/cli/factory"
	"github.com/hestami/concierge/internal/cli/output"
	"github.com/hestami/concierge/internal/workable"
)

// newMineCmd is `hestami org mine`: unlike the operator commands beside it,
// it calls organization/v1/mine as the caller, and needs no --org.
func newMineCmd(f *factory.Factory) *cobra.Command {
	return &cobra.Command{Use: "mine", Short: "List the organizations you may act in, with your roles", Args: cobra.NoArgs,
		Long: "Your memberships and, for concierge staff, every organization that engaged your operator, by name.\n" +
			"Needs no active organization: use an id from here as --org.",
		Example: "  hestami org mine\n  hestami org mine --json",
		RunE: func(cmd *cobra.Command, _ []string) error {
			l, err := cmdutil.Call[workable.List](cmd.Context(), f, "organization/v1/mine", workable.Input{}, "")
			if err != nil {
				return err
			}
			return cmdutil.Print(f, l, func() {
				if len(l.Items) == 0 {
					fmt.Fprintln(f.ErrOut, "no organizations")
					return
				}
				rows := make([][]string, 0, len(l.Items))
				for _, o := range l.Items {
					roles := strings.Join(o.Roles, ",")
					if o.Engaged {
						roles += " (engaged)"
					}
					rows = append(rows, []string{o.ID, o.Kind, roles, o.Name})
				}
				output.Table(f.Out, []string{"ID", "KIND", "ROLES", "NAME"}, rows)
			})
		}}
}
