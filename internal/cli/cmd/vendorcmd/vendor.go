// Package vendorcmd is `hestami vendor`: vendors (vendor/v1/*), their quotes
// on cases (quote/v1/*), scheduled visits (schedule/v1/*) and invoices
// (invoice/v1/*). The rules — exact line sums, one accepted quote per case
// scope, expiry, delegated limits — live in internal/vendor; these commands
// only adapt flags and print.
package vendorcmd

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hestami/concierge/internal/api"
	"github.com/hestami/concierge/internal/cli/cmdutil"
	"github.com/hestami/concierge/internal/cli/factory"
	"github.com/hestami/concierge/internal/cli/output"
	"github.com/hestami/concierge/internal/listing"
	"github.com/hestami/concierge/internal/vendor"
)

// NewCmd returns `hestami vendor`.
func NewCmd(f *factory.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "vendor",
		Short: "Vendors, their quotes on cases, scheduled visits and invoices",
		Long: `Vendors are the organization's external providers: no onboarding, optionally
linked to a registered SERVICE_PROVIDER organization. Quotes, visits and
invoices are records on a case (and through it, a property).

Quotes: exact amount and currency, optional line items that must sum exactly
to it, a scope and a validity. RECEIVED → UNDER_REVIEW → ACCEPTED | REJECTED |
EXPIRED | WITHDRAWN; a quote past its validity reads EXPIRED at once and can
never be accepted. One quote per case scope (--scope-key, default the whole
case) can be accepted; accepting records a VENDOR_SELECTION decision with its
rationale. Invoices: RECEIVED → APPROVED → PAID, or DISPUTED. A delegated
agent accepts quotes (VENDOR_SELECTION) and approves or pays invoices
(FINANCIAL_DECISIONS) only within its grant's limit.`,
	}
	cmd.AddCommand(newAdd(f), newList(f), newGet(f), newUpdate(f), newQuoteCmd(f), newScheduleCmd(f), newInvoiceCmd(f))
	return cmd
}

func showVendor(f *factory.Factory, v vendor.Vendor) error {
	return cmdutil.Print(f, v, func() {
		sp := "none"
		if v.ServiceProviderOrgID != nil {
			sp = *v.ServiceProviderOrgID
		}
		var contacts []string
		for _, c := range v.Contacts {
			contacts = append(contacts, strings.TrimSpace(strings.Join([]string{c.Name, paren(c.Role), c.Phone, c.Email}, " ")))
		}
		cmdutil.Fields(f, "id", v.ID, "name", v.Name, "trades", strings.Join(v.Trades, ", "), "contacts", strings.Join(contacts, "; "),
			"license", v.LicenseNotes, "insurance", v.InsuranceNotes, "service provider", sp)
	})
}

func paren(s string) string {
	if s == "" {
		return ""
	}
	return "(" + s + ")"
}

// contactFlag reads "NAME[,ROLE[,PHONE[,EMAIL]]]".
type contactFlag struct{ p *[]vendor.Contact }

func (v contactFlag) String() string { return "" }
func (v contactFlag) Type() string   { return "contact" }
func (v contactFlag) Set(s string) error {
	parts := strings.Split(s, ",")
	if len(parts) > 4 || strings.TrimSpace(parts[0]) == "" {
		return fmt.Errorf(`want "NAME[,ROLE[,PHONE[,EMAIL]]]"`)
	}
	parts = append(parts, "", "", "")
	*v.p = append(*v.p, vendor.Contact{Name: strings.TrimSpace(parts[0]), Role: strings.TrimSpace(parts[1]),
		Phone: strings.TrimSpace(parts[2]), Email: strings.TrimSpace(parts[3])})
	return nil
}

func newAdd(f *factory.Factory) *cobra.Command {
	var in vendor.CreateInput
	var key string
	cmd := &cobra.Command{
		Use:   "add NAME [--trade TRADE]... [--contact NAME,ROLE,PHONE,EMAIL]...",
		Short: "Add a vendor (no onboarding)",
		Example: `  hestami vendor add "Austin Fences" --trade fencing --trade painting --contact "Sam Ortiz,owner,512-555-0100,sam@austinfences.example"
  hestami vendor add "Lone Star Roofing" --trade roofing --license "TX #12345" --insurance "GL to 2027" --service-provider $SP_ORG`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			in.Name = args[0]
			v, err := cmdutil.Call[vendor.Vendor](cmd.Context(), f, "vendor/v1/create", in, cmdutil.Key(key))
			if err != nil {
				return err
			}
			return showVendor(f, v)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&key, "idempotency-key", "", cmdutil.KeyFlagHelp)
	fl.StringSliceVar(&in.Trades, "trade", nil, "a trade (repeat or comma-separate)")
	fl.Var(contactFlag{&in.Contacts}, "contact", `a contact: "NAME[,ROLE[,PHONE[,EMAIL]]]" (repeat)`)
	fl.StringVar(&in.LicenseNotes, "license", "", "license notes")
	fl.StringVar(&in.InsuranceNotes, "insurance", "", "insurance notes")
	fl.StringVar(&in.Notes, "notes", "", "anything else")
	fl.StringVar(&in.ServiceProviderOrgID, "service-provider", "", "the registered SERVICE_PROVIDER organization id this vendor is")
	return cmd
}

func newUpdate(f *factory.Factory) *cobra.Command {
	var in vendor.UpdateInput
	var key, name, license, insurance, notes, sp string
	var trades []string
	var contacts []vendor.Contact
	cmd := &cobra.Command{
		Use:   "update ID [flags]",
		Short: "Change a vendor; only the flags given change",
		Example: `  hestami vendor update $VENDOR --insurance "GL renewed to 2028" --trade fencing,gates
  hestami vendor update $VENDOR --unlink-service-provider`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			in.ID = args[0]
			fl := cmd.Flags()
			for flag, set := range map[string]func(){
				"name": func() { in.Name = &name }, "license": func() { in.LicenseNotes = &license },
				"insurance": func() { in.InsuranceNotes = &insurance }, "notes": func() { in.Notes = &notes },
				"service-provider": func() { in.ServiceProviderOrgID = &sp }, "trade": func() { in.Trades = &trades },
				"contact": func() { in.Contacts = &contacts },
			} {
				if fl.Changed(flag) {
					set()
				}
			}
			v, err := cmdutil.Call[vendor.Vendor](cmd.Context(), f, "vendor/v1/update", in, cmdutil.Key(key))
			if err != nil {
				return err
			}
			return showVendor(f, v)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&key, "idempotency-key", "", cmdutil.KeyFlagHelp)
	fl.StringVar(&name, "name", "", "the new name")
	fl.StringSliceVar(&trades, "trade", nil, "replace the trades (repeat or comma-separate)")
	fl.Var(contactFlag{&contacts}, "contact", `replace the contacts: "NAME[,ROLE[,PHONE[,EMAIL]]]" (repeat)`)
	fl.StringVar(&license, "license", "", "license notes")
	fl.StringVar(&insurance, "insurance", "", "insurance notes")
	fl.StringVar(&notes, "notes", "", "anything else")
	fl.StringVar(&sp, "service-provider", "", "link to this registered SERVICE_PROVIDER organization id")
	fl.BoolVar(&in.UnlinkServiceProvider, "unlink-service-provider", false, "drop the service-provider link")
	return cmd
}

func newGet(f *factory.Factory) *cobra.Command {
	return &cobra.Command{
		Use:     "get ID",
		Example: "  hestami vendor list   # the vendor ids\n  hestami vendor get $VENDOR --json",
		Short:   "Show a vendor",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			v, err := cmdutil.Call[vendor.Vendor](cmd.Context(), f, "vendor/v1/get", api.GetInput{ID: args[0]}, "")
			if err != nil {
				return err
			}
			return showVendor(f, v)
		},
	}
}

func newList(f *factory.Factory) *cobra.Command {
	var in vendor.ListInput
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "List vendors, newest first",
		Example: `  hestami vendor list --trade painting`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			page, err := cmdutil.Call[listing.Page[vendor.Vendor]](cmd.Context(), f, "vendor/v1/list", in, "")
			if err != nil {
				return err
			}
			return cmdutil.PrintPage(f, page, "vendors", []string{"ID", "NAME", "TRADES", "CONTACTS"},
				func(v vendor.Vendor) []any {
					return []any{output.ID(v.ID), v.Name, strings.Join(v.Trades, ","), fmt.Sprint(len(v.Contacts))}
				})
		},
	}
	cmd.Flags().StringVar(&in.Trade, "trade", "", "only vendors of this trade")
	cmd.Flags().StringVar(&in.Query, "query", "", "only vendors whose name contains this")
	cmdutil.LimitVar(cmd.Flags(), &in.Limit)
	cmd.Flags().StringVar(&in.Cursor, "cursor", "", "continue after a previous page")
	return cmd
}

// amountForm is an exact decimal with an optional currency ("1500.00 USD").
var amountForm = regexp.MustCompile(`^([0-9]+(?:\.[0-9]+)?)(?: ?([A-Z]{3}))?$`)

// amountFlag reads "1500.00 USD" (or "1500.00" with --currency) into an
// exact amount and currency.
type amountFlag struct{ amount, currency *string }

func (v amountFlag) String() string { return strings.TrimSpace(*v.amount + " " + *v.currency) }
func (v amountFlag) Type() string   { return "amount" }
func (v amountFlag) Set(s string) error {
	m := amountForm.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return fmt.Errorf(`want an exact amount and a currency, e.g. "1500.00 USD"`)
	}
	*v.amount = m[1]
	if m[2] != "" {
		*v.currency = m[2]
	}
	return nil
}

func orNone(s *string) string {
	if s == nil || *s == "" {
		return "none"
	}
	return *s
}

func when(t *time.Time) any {
	if t == nil {
		return "none"
	}
	return output.Time(*t)
}
