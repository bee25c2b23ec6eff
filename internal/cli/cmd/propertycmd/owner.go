package propertycmd

import (
	"github.com/spf13/cobra"

	"github.com/hestami/concierge/internal/cli/cmdutil"
	"github.com/hestami/concierge/internal/cli/factory"
	"github.com/hestami/concierge/internal/cli/output"
	"github.com/hestami/concierge/internal/listing"
	"github.com/hestami/concierge/internal/ownership"
)

// newOwner returns `hestami property owner`: the ownership records of a
// property (ownership/v1/*).
func newOwner(f *factory.Factory) *cobra.Command {
	cmd := &cobra.Command{Use: "owner", Short: "Manage who owns a property: role, status, share and dates"}
	cmd.AddCommand(newOwnerAdd(f), newOwnerList(f), newOwnerUpdate(f), newOwnerRemove(f))
	return cmd
}

func partyOf(o ownership.Ownership) string {
	if o.Party.UserID != "" {
		return "user " + o.Party.UserID
	}
	if o.Party.Email != "" {
		return o.Party.Name + " <" + o.Party.Email + ">"
	}
	return o.Party.Name
}

func percentOf(o ownership.Ownership) string {
	if o.Percentage == nil {
		return "-"
	}
	return string(*o.Percentage) + "%"
}

func datesOf(o ownership.Ownership) string {
	to := "…"
	if o.EffectiveTo != nil {
		to = string(*o.EffectiveTo)
	}
	return string(o.EffectiveFrom) + " → " + to
}

func showOwner(f *factory.Factory, o ownership.Ownership) error {
	return cmdutil.Print(f, o, func() {
		cmdutil.Fields(f, "id", o.ID, "property", o.PropertyID, "party", partyOf(o), "role", string(o.Role),
			"status", output.State(o.Status), "percentage", percentOf(o), "effective", datesOf(o))
	})
}

// dateFlag sets *dst to the flag's value when it was passed.
func dateFlag(cmd *cobra.Command, name string, dst **ownership.Date) {
	if v, _ := cmd.Flags().GetString(name); cmd.Flags().Changed(name) {
		d := ownership.Date(v)
		*dst = &d
	}
}

func percentFlag(cmd *cobra.Command, dst **ownership.Percent) {
	if v, _ := cmd.Flags().GetString("percent"); cmd.Flags().Changed("percent") {
		p := ownership.Percent(v)
		*dst = &p
	}
}

func newOwnerAdd(f *factory.Factory) *cobra.Command {
	var in ownership.AddInput
	var key string
	cmd := &cobra.Command{
		Use:   "add PROPERTY_ID",
		Short: "Record who holds a property (a user with --user, or an external person with --name)",
		Example: `  hestami property owner add $PROPERTY --user $USER_ID --role OWNER --percent 50
  hestami property owner add $PROPERTY --name "Ana Rivera" --email ana@example.com --role CO_OWNER --percent 25 --status PENDING_VERIFICATION`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			in.PropertyID = args[0]
			percentFlag(cmd, &in.Percentage)
			dateFlag(cmd, "from", &in.EffectiveFrom)
			dateFlag(cmd, "to", &in.EffectiveTo)
			o, err := cmdutil.Call[ownership.Ownership](cmd.Context(), f, "ownership/v1/add", in, cmdutil.Key(key))
			if err != nil {
				return err
			}
			return showOwner(f, o)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&key, "idempotency-key", "", cmdutil.KeyFlagHelp)
	fl.StringVar(&in.Party.UserID, "user", "", "the holder, a user id of a member of the organization")
	fl.StringVar(&in.Party.Name, "name", "", "the holder, an external person's name (instead of --user)")
	fl.StringVar(&in.Party.Email, "email", "", "the external person's e-mail (with --name)")
	cmdutil.EnumVar(cmd, &in.Role, "role", ownership.Owner, ownership.Roles, "how the party holds the property")
	cmdutil.EnumVar(cmd, &in.Status, "status", ownership.Active, ownership.Statuses, "the record's status (a new one is ACTIVE or PENDING_VERIFICATION)")
	fl.String("percent", "", `share of the property, exact, e.g. "33.33" (greater than 0, at most 100)`)
	fl.String("from", "", "effective from, YYYY-MM-DD (default today)")
	fl.String("to", "", "effective to, YYYY-MM-DD")
	return cmd
}

func newOwnerList(f *factory.Factory) *cobra.Command {
	var in ownership.ListInput
	cmd := &cobra.Command{
		Use:     "list PROPERTY_ID",
		Example: "  hestami property list   # the property ids\n  hestami property owner list $PROPERTY --status ACTIVE",
		Short:   "List a property's ownership records, oldest first",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			in.PropertyID = args[0]
			page, err := cmdutil.Call[listing.Page[ownership.Ownership]](cmd.Context(), f, "ownership/v1/list", in, "")
			if err != nil {
				return err
			}
			return cmdutil.PrintPage(f, page, "ownership records", []string{"ID", "PARTY", "ROLE", "STATUS", "PERCENT", "EFFECTIVE"},
				func(o ownership.Ownership) []any {
					return []any{output.ID(o.ID), partyOf(o), string(o.Role), output.State(o.Status), percentOf(o), datesOf(o)}
				})
		},
	}
	cmdutil.EnumSliceVar(cmd, &in.Status, "status", ownership.Statuses, "only these statuses")
	cmdutil.LimitVar(cmd.Flags(), &in.Limit)
	cmd.Flags().StringVar(&in.Cursor, "cursor", "", "continue after a previous page")
	return cmd
}

func newOwnerUpdate(f *factory.Factory) *cobra.Command {
	var key string
	var role ownership.Role
	var status ownership.Status
	var clear bool
	cmd := &cobra.Command{
		Use:     "update ID",
		Example: "  hestami property owner update $OWNERSHIP --percent 50 --from 2026-01-01",
		Short:   "Change an ownership record (only the flags you pass)",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			in := ownership.UpdateInput{ID: args[0], ClearPercentage: clear}
			if cmd.Flags().Changed("role") {
				in.Role = &role
			}
			if cmd.Flags().Changed("status") {
				in.Status = &status
			}
			percentFlag(cmd, &in.Percentage)
			dateFlag(cmd, "from", &in.EffectiveFrom)
			dateFlag(cmd, "to", &in.EffectiveTo)
			o, err := cmdutil.Call[ownership.Ownership](cmd.Context(), f, "ownership/v1/update", in, cmdutil.Key(key))
			if err != nil {
				return err
			}
			return showOwner(f, o)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&key, "idempotency-key", "", cmdutil.KeyFlagHelp)
	// No defaults shown: only the flags passed are sent.
	cmdutil.EnumVar(cmd, &role, "role", "", ownership.Roles, "new role")
	cmdutil.EnumVar(cmd, &status, "status", "", ownership.Statuses, "new status")
	fl.String("percent", "", `new share, exact, e.g. "33.33"`)
	fl.BoolVar(&clear, "clear-percent", false, "remove the stated share")
	fl.String("from", "", "new effective-from date, YYYY-MM-DD")
	fl.String("to", "", "new effective-to date, YYYY-MM-DD")
	return cmd
}

func newOwnerRemove(f *factory.Factory) *cobra.Command {
	var key string
	var yes bool
	cmd := &cobra.Command{
		Use:   "remove ID",
		Short: "End an ownership record (TERMINATED; the record is kept; asks first: it cannot be undone)",
		Example: `  hestami property owner list $PROPERTY            # the ownership ids
  hestami property owner remove $OWNERSHIP --to 2026-12-31 --yes`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cmdutil.Confirm(cmd, yes, "End ownership record "+args[0]+"? This cannot be undone."); err != nil {
				return err
			}
			in := ownership.RemoveInput{ID: args[0]}
			dateFlag(cmd, "to", &in.EffectiveTo)
			o, err := cmdutil.Call[ownership.Ownership](cmd.Context(), f, "ownership/v1/remove", in, cmdutil.Key(key))
			if err != nil {
				return err
			}
			return showOwner(f, o)
		},
	}
	cmd.Flags().StringVar(&key, "idempotency-key", "", cmdutil.KeyFlagHelp)
	cmd.Flags().String("to", "", "effective-to date, YYYY-MM-DD (default: the record's, else today)")
	cmdutil.YesFlag(cmd, &yes)
	cmdutil.FieldFlags(cmd, map[string]string{"effectiveTo": "to"})
	return cmd
}
