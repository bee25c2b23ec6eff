// Package orgcmd is `hestami org` (operator commands on the owner role).
package orgcmd

import (
	"github.com/spf13/cobra"

	"github.com/hestami/concierge/internal/cli/cmdutil"
	"github.com/hestami/concierge/internal/cli/factory"
	"github.com/hestami/concierge/internal/cli/output"
	"github.com/hestami/concierge/internal/identity"
)

// NewCmd returns `hestami org`.
func NewCmd(f *factory.Factory) *cobra.Command {
	cmd := &cobra.Command{Use: "org", Short: "Switch the active organization; manage organizations (operator)",
		Long: `org switch sets the active organization of every command (what --org and
HESTAMI_ORG set for one run), locally and against a server.

create, list and engage are operator commands: they run on the database owner
role, for bootstrapping tenants.`}
	var name, typ string
	create := &cobra.Command{Use: "create", Short: "Create an organization", Args: cobra.NoArgs,
		Example: "  hestami org create --name \"Rivera household\" --type INDIVIDUAL_PROPERTY_OWNER",
		RunE: func(cmd *cobra.Command, _ []string) error {
			ids, err := f.Identity(cmd.Context())
			if err != nil {
				return err
			}
			o, err := ids.CreateOrg(cmd.Context(), name, typ)
			if err != nil {
				return err
			}
			return cmdutil.Print(f, o, func() { cmdutil.Fields(f, "id", o.ID, "name", o.Name, "type", o.Type) })
		}}
	create.Flags().StringVar(&name, "name", "", "organization name")
	create.Flags().StringVar(&typ, "type", "", "one of "+identity.OrgTypes.Help())
	cmdutil.Required(create, "name", "type")
	_ = create.RegisterFlagCompletionFunc("type", cobra.FixedCompletions(identity.OrgTypes.Strings(), cobra.ShellCompDirectiveNoFileComp))
	list := &cobra.Command{Use: "list", Short: "List organizations", Args: cobra.NoArgs,
		Example: "  hestami org list\n  hestami org list --json",
		RunE: func(cmd *cobra.Command, _ []string) error {
			ids, err := f.Identity(cmd.Context())
			if err != nil {
				return err
			}
			orgs, err := ids.ListOrgs(cmd.Context())
			if err != nil {
				return err
			}
			return cmdutil.Print(f, orgs, func() {
				rows := make([][]any, 0, len(orgs))
				for _, o := range orgs {
					rows = append(rows, []any{output.ID(o.ID), o.Type, o.Name})
				}
				cmdutil.Table(f, []string{"ID", "TYPE", "NAME"}, rows)
			})
		}}
	var org, operator string
	engage := &cobra.Command{Use: "engage", Short: "Record that an owner organization engages the platform operator", Args: cobra.NoArgs,
		Example: "  hestami org engage --owner-org $RIVERA --operator $HESTAMI",
		RunE: func(cmd *cobra.Command, _ []string) error {
			ids, err := f.Identity(cmd.Context())
			if err != nil {
				return err
			}
			e, err := ids.Engage(cmd.Context(), org, operator)
			if err != nil {
				return err
			}
			return cmdutil.Print(f, e, func() { cmdutil.Fields(f, "engagement", e.ID, "status", e.Status) })
		}}
	engage.Flags().StringVar(&org, "owner-org", "", "the owner organization id")
	engage.Flags().StringVar(&operator, "operator", "", "the PLATFORM_OPERATOR organization id")
	cmdutil.Required(engage, "owner-org", "operator")
	cmd.AddCommand(create, list, engage, newMineCmd(f), newSwitch(f))
	return cmd
}
