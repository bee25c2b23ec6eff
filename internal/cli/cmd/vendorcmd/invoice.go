package vendorcmd

import (
	"github.com/spf13/cobra"

	"github.com/hestami/concierge/internal/api"
	"github.com/hestami/concierge/internal/cli/cmdutil"
	"github.com/hestami/concierge/internal/cli/factory"
	"github.com/hestami/concierge/internal/cli/output"
	"github.com/hestami/concierge/internal/listing"
	"github.com/hestami/concierge/internal/vendor"
)

func newInvoiceCmd(f *factory.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "invoice",
		Short: "Vendor invoices on cases: RECEIVED → APPROVED → PAID, or DISPUTED",
		Long: `An invoice bills a case, and the accepted quote of its vendor when there is one.

  RECEIVED → APPROVED, DISPUTED
  APPROVED → PAID, DISPUTED
  PAID, DISPUTED: final

A delegated agent approves or pays only under a FINANCIAL_DECISIONS grant
whose limit covers the amount; over it, it is refused, naming the limit.`,
	}
	cmd.AddCommand(newInvoiceAdd(f), newInvoiceList(f), newInvoiceGet(f),
		newInvoiceMove(f, "approve", "Approve a received invoice for payment"),
		newInvoiceMove(f, "pay", "Record an approved invoice as paid"), newInvoiceDispute(f))
	return cmd
}

func showInvoice(f *factory.Factory, i vendor.Invoice) error {
	return cmdutil.Print(f, i, func() {
		cmdutil.Fields(f, "id", i.ID, "case", i.CaseNumber, "vendor", i.VendorName, "amount", i.Amount+" "+i.Currency,
			"status", output.State(i.Status), "quote", orNone(i.QuoteID), "reference", i.Reference, "due", orNone(i.DueDate))
		if i.DisputeReason != "" {
			cmdutil.Fields(f, "disputed", i.DisputeReason)
		}
	})
}

func newInvoiceAdd(f *factory.Factory) *cobra.Command {
	var in vendor.AddInvoiceInput
	var key string
	cmd := &cobra.Command{
		Use:               "add CASE --vendor VENDOR_ID --amount AMOUNT [--quote QUOTE_ID] [--due DATE]",
		Short:             "Record a vendor's invoice on a case",
		Example:           `  hestami vendor invoice add CASE-2026-4 --vendor $FENCES --quote $QUOTE --amount "1380.00 USD" --due 2031-03-31 --reference INV-881`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: cmdutil.FirstArg(cmdutil.CompleteCases(f)),
		RunE: func(cmd *cobra.Command, args []string) error {
			in.CaseID = args[0]
			i, err := cmdutil.Call[vendor.Invoice](cmd.Context(), f, "invoice/v1/add", in, cmdutil.Key(key))
			if err != nil {
				return err
			}
			return showInvoice(f, i)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&key, "idempotency-key", "", cmdutil.KeyFlagHelp)
	fl.StringVar(&in.VendorID, "vendor", "", "the vendor's id (required)")
	fl.StringVar(&in.QuoteID, "quote", "", "the ACCEPTED quote of this case and vendor the invoice bills")
	fl.Var(amountFlag{&in.Amount, &in.Currency}, "amount", `the exact amount, e.g. "1380.00 USD" (required)`)
	fl.StringVar(&in.Currency, "currency", "", "the currency, if --amount does not say it")
	fl.StringVar(&in.DueDate, "due", "", "the due date (YYYY-MM-DD)")
	fl.StringVar(&in.Reference, "reference", "", "the vendor's invoice number")
	fl.StringVar(&in.DocumentID, "document", "", "the invoice document's id, if uploaded")
	cmdutil.Required(cmd, "vendor", "amount")
	cmdutil.FieldFlags(cmd, map[string]string{"dueDate": "due"})
	return cmd
}

func newInvoiceList(f *factory.Factory) *cobra.Command {
	var in vendor.InvoiceListInput
	cmd := &cobra.Command{
		Use:     "list [--case CASE]",
		Short:   "List invoices, oldest first",
		Example: `  hestami vendor invoice list --case CASE-2026-4 --status RECEIVED,APPROVED`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			page, err := cmdutil.Call[listing.Page[vendor.Invoice]](cmd.Context(), f, "invoice/v1/list", in, "")
			if err != nil {
				return err
			}
			return cmdutil.PrintPage(f, page, "invoices", []string{"ID", "CASE", "VENDOR", "AMOUNT", "STATUS", "DUE"},
				func(i vendor.Invoice) []any {
					return []any{output.ID(i.ID), i.CaseNumber, i.VendorName, i.Amount + " " + i.Currency, output.State(i.Status), orNone(i.DueDate)}
				})
		},
	}
	cmd.Flags().StringVar(&in.CaseID, "case", "", "only this case's invoices (id or number)")
	cmd.Flags().StringVar(&in.VendorID, "vendor", "", "only this vendor's invoices")
	cmdutil.EnumSliceVar(cmd, &in.Status, "status", vendor.InvoiceStatuses, "only these statuses")
	cmdutil.LimitVar(cmd.Flags(), &in.Limit)
	cmd.Flags().StringVar(&in.Cursor, "cursor", "", "continue after a previous page")
	return cmd
}

func newInvoiceGet(f *factory.Factory) *cobra.Command {
	return &cobra.Command{
		Use:     "get ID",
		Short:   "Show an invoice",
		Example: "  hestami vendor invoice list --case CASE-2026-4   # the invoice ids\n  hestami vendor invoice get $INVOICE --json",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			i, err := cmdutil.Call[vendor.Invoice](cmd.Context(), f, "invoice/v1/get", api.GetInput{ID: args[0]}, "")
			if err != nil {
				return err
			}
			return showInvoice(f, i)
		},
	}
}

// newInvoiceMove builds approve and pay. PAID is final, so pay asks first,
// or needs --yes.
func newInvoiceMove(f *factory.Factory, verb, short string) *cobra.Command {
	var key string
	var yes bool
	confirm := verb == "pay"
	example := "  hestami vendor invoice " + verb + " $INVOICE"
	if confirm {
		example += " --yes"
	}
	cmd := &cobra.Command{
		Use:     verb + " ID",
		Short:   short,
		Example: example,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if confirm {
				if err := cmdutil.Confirm(cmd, yes, "Record invoice "+args[0]+" as paid? This cannot be undone."); err != nil {
					return err
				}
			}
			i, err := cmdutil.Call[vendor.Invoice](cmd.Context(), f, "invoice/v1/"+verb, vendor.InvoiceRef{ID: args[0]}, cmdutil.Key(key))
			if err != nil {
				return err
			}
			return showInvoice(f, i)
		},
	}
	cmd.Flags().StringVar(&key, "idempotency-key", "", cmdutil.KeyFlagHelp)
	if confirm {
		cmdutil.YesFlag(cmd, &yes)
	}
	return cmd
}

func newInvoiceDispute(f *factory.Factory) *cobra.Command {
	var in vendor.DisputeInput
	var key string
	var yes bool
	cmd := &cobra.Command{
		Use:     "dispute ID --reason TEXT",
		Short:   "Dispute an invoice that is not paid (asks first: DISPUTED is final)",
		Example: `  hestami vendor invoice dispute $INVOICE --reason "billed for both sides; quote covered the street side" --yes`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cmdutil.Confirm(cmd, yes, "Dispute invoice "+args[0]+"? This cannot be undone."); err != nil {
				return err
			}
			in.ID = args[0]
			i, err := cmdutil.Call[vendor.Invoice](cmd.Context(), f, "invoice/v1/dispute", in, cmdutil.Key(key))
			if err != nil {
				return err
			}
			return showInvoice(f, i)
		},
	}
	cmd.Flags().StringVar(&key, "idempotency-key", "", cmdutil.KeyFlagHelp)
	cmd.Flags().StringVar(&in.Reason, "reason", "", "what is disputed (required)")
	cmdutil.Prompted(cmd, "reason", "What is disputed")
	cmdutil.YesFlag(cmd, &yes)
	return cmd
}
