// Package propertycmd is `hestami property`.
package propertycmd

import (
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/hestami/concierge/internal/api"
	"github.com/hestami/concierge/internal/cli/cmdutil"
	"github.com/hestami/concierge/internal/cli/factory"
	"github.com/hestami/concierge/internal/cli/output"
	"github.com/hestami/concierge/internal/listing"
	"github.com/hestami/concierge/internal/property"
)

// NewCmd returns `hestami property`.
func NewCmd(f *factory.Factory) *cobra.Command {
	cmd := &cobra.Command{Use: "property", Short: "Manage properties of the active organization"}
	cmd.AddCommand(newCreate(f), newGet(f), newList(f), newUpdate(f), newOwner(f))
	return cmd
}

func show(f *factory.Factory, p property.Property) error {
	return cmdutil.Print(f, p, func() {
		a := p.Address
		cmdutil.Fields(f, "id", p.ID, "name", p.Name, "type", string(p.Type),
			"address", fmt.Sprintf("%s %s, %s %s %s, %s", a.Line1, a.Line2, a.City, a.Region, a.PostalCode, a.Country),
			"active", strconv.FormatBool(p.Active), "updated", output.Time(p.UpdatedAt))
	})
}

// addressFlags defines the address flags; country is the default of
// --country ("" where an unset flag is not sent, so help shows no default).
func addressFlags(cmd *cobra.Command, a *property.Address, country string) {
	fl := cmd.Flags()
	fl.StringVar(&a.Line1, "line1", "", "street address")
	fl.StringVar(&a.Line2, "line2", "", "apartment, suite, unit")
	fl.StringVar(&a.City, "city", "", "city")
	fl.StringVar(&a.Region, "region", "", "state or region")
	fl.StringVar(&a.PostalCode, "postal-code", "", "postal code")
	fl.StringVar(&a.Country, "country", country, "ISO 3166 two-letter country code")
	// The API nests them under "address"; a refusal names the flag.
	cmdutil.FieldFlags(cmd, map[string]string{"address.line1": "line1", "address.line2": "line2", "address.city": "city",
		"address.region": "region", "address.postalCode": "postal-code", "address.country": "country"})
}

func newCreate(f *factory.Factory) *cobra.Command {
	var in property.CreateInput
	var key string
	cmd := &cobra.Command{
		Use:     "create",
		Short:   "Add a property",
		Example: `  hestami property create --name "Lake house" --type SINGLE_FAMILY --line1 "12 Shore Rd" --city Austin --region TX --postal-code 78701`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, err := cmdutil.Call[property.Property](cmd.Context(), f, "property/v1/create", in, cmdutil.Key(key))
			if err != nil {
				return err
			}
			return show(f, p)
		},
	}
	cmd.Flags().StringVar(&key, "idempotency-key", "", cmdutil.KeyFlagHelp)
	cmd.Flags().StringVar(&in.Name, "name", "", "name of the property")
	cmdutil.EnumVar(cmd, &in.Type, "type", "SINGLE_FAMILY", property.Types, "what kind of property")
	addressFlags(cmd, &in.Address, "US")
	return cmd
}

func newGet(f *factory.Factory) *cobra.Command {
	return &cobra.Command{
		Use:     "get ID",
		Example: "  hestami property list   # the property ids\n  hestami property get $PROPERTY --json",
		Short:   "Show a property",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := cmdutil.Call[property.Property](cmd.Context(), f, "property/v1/get", api.GetInput{ID: args[0]}, "")
			if err != nil {
				return err
			}
			return show(f, p)
		},
	}
}

func newList(f *factory.Factory) *cobra.Command {
	var in property.ListInput
	cmd := &cobra.Command{
		Use:     "list",
		Example: "  hestami property list\n  hestami property list --limit 5 --json",
		Short:   "List the properties you may see",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			page, err := cmdutil.Call[listing.Page[property.Property]](cmd.Context(), f, "property/v1/list", in, "")
			if err != nil {
				return err
			}
			return cmdutil.PrintPage(f, page, "properties", []string{"ID", "NAME", "TYPE", "CITY", "ACTIVE"},
				func(p property.Property) []any {
					return []any{output.ID(p.ID), p.Name, string(p.Type), p.Address.City, strconv.FormatBool(p.Active)}
				})
		},
	}
	cmdutil.LimitVar(cmd.Flags(), &in.Limit)
	cmd.Flags().StringVar(&in.Cursor, "cursor", "", "continue after a previous page")
	return cmd
}

func newUpdate(f *factory.Factory) *cobra.Command {
	var name, key string
	var typ property.Type
	var active bool
	var addr property.Address
	cmd := &cobra.Command{
		Use:     "update ID",
		Example: "  hestami property update $PROPERTY --name \"Rivera home\" --city Austin",
		Short:   "Change a property (only the flags you pass)",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			in := property.UpdateInput{ID: args[0]}
			fl := cmd.Flags()
			if fl.Changed("name") {
				in.Name = &name
			}
			if fl.Changed("type") {
				in.Type = &typ
			}
			if fl.Changed("active") {
				in.Active = &active
			}
			if fl.Changed("line1") || fl.Changed("line2") || fl.Changed("city") || fl.Changed("region") || fl.Changed("postal-code") || fl.Changed("country") {
				in.Address = &addr
			}
			ctx := cmd.Context()
			if in.Address != nil {
				// Address flags not passed keep their current values.
				cur, err := cmdutil.Call[property.Property](ctx, f, "property/v1/get", api.GetInput{ID: in.ID}, "")
				if err != nil {
					return err
				}
				merged := cur.Address
				for flag, dst := range map[string]*string{"line1": &merged.Line1, "line2": &merged.Line2, "city": &merged.City,
					"region": &merged.Region, "postal-code": &merged.PostalCode, "country": &merged.Country} {
					if fl.Changed(flag) {
						*dst, _ = fl.GetString(flag)
					}
				}
				in.Address = &merged
			}
			p, err := cmdutil.Call[property.Property](ctx, f, "property/v1/update", in, cmdutil.Key(key))
			if err != nil {
				return err
			}
			return show(f, p)
		},
	}
	cmd.Flags().StringVar(&key, "idempotency-key", "", cmdutil.KeyFlagHelp)
	cmd.Flags().StringVar(&name, "name", "", "new name")
	// No defaults shown: only the flags passed are sent.
	cmdutil.EnumVar(cmd, &typ, "type", "", property.Types, "new type")
	cmd.Flags().BoolVar(&active, "active", false, "whether the property is active (--active=false deactivates it)")
	addressFlags(cmd, &addr, "")
	return cmd
}
