// Package delegationcmd is `hestami delegation`: delegated authority
// (delegation/v1/*). What a grant allows is decided by the policies on every
// action; these commands only make, accept, revoke and show grants.
package delegationcmd

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hestami/concierge/internal/api"
	"github.com/hestami/concierge/internal/cli/cmdutil"
	"github.com/hestami/concierge/internal/cli/factory"
	"github.com/hestami/concierge/internal/cli/output"
	"github.com/hestami/concierge/internal/delegation"
	"github.com/hestami/concierge/internal/listing"
	"github.com/hestami/concierge/internal/money"
)

// NewCmd returns `hestami delegation`.
func NewCmd(f *factory.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "delegation",
		Short: "Grant, accept, revoke and list delegated authority",
		Long: `An owner grants a delegated agent authority of some types over some
properties, optionally up to a monetary limit and until an expiry. The grant
does nothing until the agent accepts it, and nothing after it is revoked or
expires (at the instant it passes). The authorization policies check every
action an agent takes against its grants: the type, the property and the
limit. No authority is ever inferred from the role alone.

Authority types: ` + strings.Join(delegation.AuthorityTypes.Strings(), ", ") + ` (FULL_AUTHORITY counts as every type).`,
	}
	cmd.AddCommand(newGrant(f), newAccept(f), newRevoke(f), newGet(f), newList(f))
	return cmd
}

func show(f *factory.Factory, d delegation.Delegation) error {
	return cmdutil.Print(f, d, func() {
		cmdutil.Fields(f, "id", d.ID, "status", output.State(d.Status), "delegate", d.DelegateID, "granted by", d.GrantorID,
			"types", typesOf(d), "properties", strings.Join(d.PropertyIDs, ", "), "limit", limitOf(d), "expires", expiresOf(d))
	})
}

func typesOf(d delegation.Delegation) string {
	s := make([]string, len(d.AuthorityTypes))
	for i, t := range d.AuthorityTypes {
		s[i] = string(t)
	}
	return strings.Join(s, ",")
}

func limitOf(d delegation.Delegation) string {
	if d.Limit == nil {
		return "none"
	}
	return d.Limit.String()
}

func expiresOf(d delegation.Delegation) any {
	if d.ExpiresAt == nil {
		return "never (until revoked)"
	}
	return output.Time(*d.ExpiresAt)
}

// moneyFlag reads "5000.00 USD" into an exact amount.
type moneyFlag struct{ p **money.Money }

var moneyForm = regexp.MustCompile(`^([0-9]+(?:\.[0-9]+)?) ?([A-Z]{3})$`)

func (v moneyFlag) String() string {
	if *v.p == nil {
		return ""
	}
	return (*v.p).String()
}
func (v moneyFlag) Type() string { return "amount" }
func (v moneyFlag) Set(s string) error {
	m := moneyForm.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return fmt.Errorf(`want an exact amount and a currency, e.g. "5000.00 USD"`)
	}
	*v.p = &money.Money{Amount: m[1], Currency: m[2]}
	return nil
}

func newGrant(f *factory.Factory) *cobra.Command {
	var in delegation.GrantInput
	var key string
	cmd := &cobra.Command{
		Use:   "grant --to USER_ID --property PROPERTY_ID --type TYPE [--limit AMOUNT] [--expires WHEN]",
		Short: "Grant a delegated agent authority (owner only); the agent then accepts it",
		Example: `  hestami delegation grant --to $AGENT --property $CONDO --type CASE_MANAGEMENT --limit "5000.00 USD" --expires 720h
  hestami delegation grant --to $AGENT --property $A --property $B --type VENDOR_SELECTION,FINANCIAL_DECISIONS --expires 2027-01-31T00:00:00Z`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			d, err := cmdutil.Call[delegation.Delegation](cmd.Context(), f, "delegation/v1/grant", in, cmdutil.Key(key))
			if err != nil {
				return err
			}
			return show(f, d)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&key, "idempotency-key", "", cmdutil.KeyFlagHelp)
	fl.StringVar(&in.DelegateID, "to", "", "the delegated agent's user id (required)")
	fl.StringSliceVar(&in.PropertyIDs, "property", nil, "a property the grant covers (repeat or comma-separate; required)")
	cmdutil.EnumSliceVar(cmd, &in.AuthorityTypes, "type", delegation.AuthorityTypes, "what the grant allows (required)")
	fl.Var(moneyFlag{&in.Limit}, "limit", `the most one act under the grant may commit, e.g. "5000.00 USD" (default: no limit)`)
	cmdutil.TimeVar(fl, &in.ExpiresAt, "expires", cmdutil.DayEnd, `when the grant stops: an RFC 3339 instant, a date (through that day) or a duration from now ("720h"); default: until revoked`)
	fl.StringVar(&in.Note, "note", "", "why the grant is made")
	cmdutil.Required(cmd, "to", "property", "type")
	cmdutil.FieldFlags(cmd, map[string]string{"delegateId": "to", "propertyIds": "property", "authorityTypes": "type", "expiresAt": "expires"})
	_ = cmd.RegisterFlagCompletionFunc("property", cmdutil.CompleteProperties(f))
	return cmd
}

func newAccept(f *factory.Factory) *cobra.Command {
	var key string
	cmd := &cobra.Command{
		Use:     "accept ID",
		Short:   "Accept a grant made to you; it is in force from now",
		Example: `  hestami delegation accept $GRANT --token $AGENT_TOKEN --org $ORG`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			d, err := cmdutil.Call[delegation.Delegation](cmd.Context(), f, "delegation/v1/accept", delegation.AcceptInput{ID: args[0]}, cmdutil.Key(key))
			if err != nil {
				return err
			}
			return show(f, d)
		},
	}
	cmd.Flags().StringVar(&key, "idempotency-key", "", cmdutil.KeyFlagHelp)
	return cmd
}

func newRevoke(f *factory.Factory) *cobra.Command {
	var key string
	var yes bool
	var in delegation.RevokeInput
	cmd := &cobra.Command{
		Use:   "revoke ID",
		Short: "Revoke a pending or active grant; it stops at once (asks first: it cannot be undone)",
		Long: `Revoke a pending or active grant; it stops at once. A revoked grant cannot
be restored (grant again instead), so on a terminal the command asks first and
elsewhere it needs --yes.`,
		Example: `  hestami delegation revoke $GRANT --reason "sold the condo" --yes`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cmdutil.Confirm(cmd, yes, "Revoke grant "+args[0]+"? It cannot be restored."); err != nil {
				return err
			}
			in.ID = args[0]
			d, err := cmdutil.Call[delegation.Delegation](cmd.Context(), f, "delegation/v1/revoke", in, cmdutil.Key(key))
			if err != nil {
				return err
			}
			return show(f, d)
		},
	}
	cmd.Flags().StringVar(&key, "idempotency-key", "", cmdutil.KeyFlagHelp)
	cmd.Flags().StringVar(&in.Reason, "reason", "", "why it is revoked")
	cmdutil.YesFlag(cmd, &yes)
	return cmd
}

func newGet(f *factory.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "get ID",
		Short: "Show a grant and its status as of now",
		Example: `  hestami delegation list --status ACTIVE          # the grant ids
  hestami delegation get $GRANT --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			d, err := cmdutil.Call[delegation.Delegation](cmd.Context(), f, "delegation/v1/get", api.GetInput{ID: args[0]}, "")
			if err != nil {
				return err
			}
			return show(f, d)
		},
	}
}

func newList(f *factory.Factory) *cobra.Command {
	var in delegation.ListInput
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "List the grants you may see, newest first",
		Example: `  hestami delegation list --status ACTIVE --delegate $AGENT`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			page, err := cmdutil.Call[listing.Page[delegation.Delegation]](cmd.Context(), f, "delegation/v1/list", in, "")
			if err != nil {
				return err
			}
			return cmdutil.PrintPage(f, page, "grants", []string{"ID", "STATUS", "DELEGATE", "TYPES", "PROPERTIES", "LIMIT", "EXPIRES"},
				func(d delegation.Delegation) []any {
					return []any{output.ID(d.ID), output.State(d.Status), d.DelegateID, typesOf(d), fmt.Sprint(len(d.PropertyIDs)), limitOf(d), expiresOf(d)}
				})
		},
	}
	cmdutil.EnumSliceVar(cmd, &in.Status, "status", delegation.Statuses, "only these statuses")
	cmd.Flags().StringVar(&in.DelegateID, "delegate", "", "only the grants to this user id")
	cmd.Flags().StringVar(&in.PropertyID, "property", "", "only the grants covering this property id")
	_ = cmd.RegisterFlagCompletionFunc("property", cmdutil.CompleteProperties(f))
	cmdutil.LimitVar(cmd.Flags(), &in.Limit)
	cmd.Flags().StringVar(&in.Cursor, "cursor", "", "continue after a previous page")
	return cmd
}
