package vendorcmd

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hestami/concierge/internal/api"
	"github.com/hestami/concierge/internal/cli/cmdutil"
	"github.com/hestami/concierge/internal/cli/factory"
	"github.com/hestami/concierge/internal/cli/output"
	"github.com/hestami/concierge/internal/listing"
	"github.com/hestami/concierge/internal/vendor"
)

func newQuoteCmd(f *factory.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "quote",
		Short: "Quotes on cases: add, review, compare, accept, reject, withdraw",
		Long: `A quote is a vendor's offer for a case, or for one scope of it (--scope-key).

  RECEIVED     → UNDER_REVIEW, REJECTED, EXPIRED, WITHDRAWN
  UNDER_REVIEW → ACCEPTED, REJECTED, EXPIRED, WITHDRAWN
  ACCEPTED, REJECTED, EXPIRED, WITHDRAWN: final

EXPIRED is how an open quote reads from the instant its validity ends.
One quote per case scope can be ACCEPTED.`,
	}
	cmd.AddCommand(newQuoteAdd(f), newQuoteList(f), newQuoteGet(f), newQuoteCompare(f), newQuoteReview(f), newQuoteAccept(f),
		newQuoteReason(f, "reject", "Turn down an open quote"), newQuoteReason(f, "withdraw", "Record that the vendor withdrew an open quote (staff)"))
	return cmd
}

func showQuote(f *factory.Factory, q vendor.Quote) error {
	return cmdutil.Print(f, q, func() {
		cmdutil.Fields(f, "id", q.ID, "case", q.CaseNumber, "vendor", q.VendorName, "scope key", scopeKey(q.ScopeKey),
			"amount", q.Amount+" "+q.Currency, "status", output.State(q.Status), "valid until", when(q.ValidUntil), "scope", q.Scope)
		for i, l := range q.LineItems {
			cmdutil.Fields(f, fmt.Sprintf("line %d", i+1), fmt.Sprintf("%s: %s x %s = %s", l.Description, l.Quantity, l.UnitPrice, l.LineTotal))
		}
		if q.DecisionReason != "" {
			cmdutil.Fields(f, "decided by", orNone(q.DecidedBy), "reason", q.DecisionReason)
		}
	})
}

func scopeKey(k string) string {
	if k == "" {
		return "(whole case)"
	}
	return k
}

// lineForm is "DESCRIPTION: [QUANTITY x] UNIT_PRICE".
var lineForm = regexp.MustCompile(`^(.+?):\s*(?:([0-9]+(?:\.[0-9]+)?)\s*[xX×]\s*)?([0-9]+(?:\.[0-9]+)?)$`)

type lineFlag struct{ p *[]vendor.LineItemInput }

func (v lineFlag) String() string { return "" }
func (v lineFlag) Type() string   { return "line" }
func (v lineFlag) Set(s string) error {
	m := lineForm.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return fmt.Errorf(`want "DESCRIPTION: [QUANTITY x] UNIT_PRICE", e.g. "Paint, two coats: 3 x 120.00"`)
	}
	*v.p = append(*v.p, vendor.LineItemInput{Description: strings.TrimSpace(m[1]), Quantity: m[2], UnitPrice: m[3]})
	return nil
}

func newQuoteAdd(f *factory.Factory) *cobra.Command {
	var in vendor.AddQuoteInput
	var key string
	cmd := &cobra.Command{
		Use:   "add CASE --vendor VENDOR_ID --amount AMOUNT [--line LINE]... [--valid-until WHEN]",
		Short: "Record a vendor's quote on a case; line items must sum exactly to the amount",
		Example: `  hestami vendor quote add CASE-2026-4 --vendor $FENCES --amount "1500.00 USD" --valid-until 2031-01-31 \
      --line "Scrape and prime: 1500.00" --scope "repaint the street side of the fence"
  hestami vendor quote add CASE-2026-4 --vendor $PAINT --amount 1380.00 --currency USD --scope-key fence \
      --line "Paint, two coats: 3 x 400.00" --line "Primer: 180.00"`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: cmdutil.FirstArg(cmdutil.CompleteCases(f)),
		RunE: func(cmd *cobra.Command, args []string) error {
			in.CaseID = args[0]
			q, err := cmdutil.Call[vendor.Quote](cmd.Context(), f, "quote/v1/add", in, cmdutil.Key(key))
			if err != nil {
				return err
			}
			return showQuote(f, q)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&key, "idempotency-key", "", cmdutil.KeyFlagHelp)
	fl.StringVar(&in.VendorID, "vendor", "", "the vendor's id (required)")
	fl.Var(amountFlag{&in.Amount, &in.Currency}, "amount", `the exact total, e.g. "1500.00 USD" (required)`)
	fl.StringVar(&in.Currency, "currency", "", "the currency, if --amount does not say it")
	fl.Var(lineFlag{&in.LineItems}, "line", `a line item "DESCRIPTION: [QUANTITY x] UNIT_PRICE" (repeat)`)
	fl.StringVar(&in.ScopeKey, "scope-key", "", "the part of the case the quote is for (default: the whole case)")
	fl.StringVar(&in.Scope, "scope", "", "what the quote covers, in the vendor's words")
	cmdutil.TimeVar(fl, &in.ValidUntil, "valid-until", cmdutil.DayEnd, `when the offer lapses: an instant, a date (valid through that day, UTC) or a duration from now`)
	fl.StringVar(&in.DocumentID, "document", "", "the quote document's id, if uploaded")
	cmdutil.Required(cmd, "vendor", "amount")
	cmdutil.FieldFlags(cmd, map[string]string{"lineItems": "line", "validUntil": "valid-until", "scopeKey": "scope-key"})
	return cmd
}

func newQuoteList(f *factory.Factory) *cobra.Command {
	var in vendor.QuoteListInput
	cmd := &cobra.Command{
		Use:     "list [--case CASE]",
		Short:   "List quotes, oldest first, with their status as of now",
		Example: `  hestami vendor quote list --case CASE-2026-4 --status RECEIVED,UNDER_REVIEW`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			page, err := cmdutil.Call[listing.Page[vendor.Quote]](cmd.Context(), f, "quote/v1/list", in, "")
			if err != nil {
				return err
			}
			return cmdutil.PrintPage(f, page, "quotes", []string{"ID", "CASE", "VENDOR", "SCOPE KEY", "AMOUNT", "STATUS", "VALID UNTIL"},
				func(q vendor.Quote) []any {
					return []any{output.ID(q.ID), q.CaseNumber, q.VendorName, scopeKey(q.ScopeKey), q.Amount + " " + q.Currency, output.State(q.Status), when(q.ValidUntil)}
				})
		},
	}
	cmd.Flags().StringVar(&in.CaseID, "case", "", "only this case's quotes (id or number)")
	cmd.Flags().StringVar(&in.VendorID, "vendor", "", "only this vendor's quotes")
	cmdutil.EnumSliceVar(cmd, &in.Status, "status", vendor.QuoteStatuses, "only these statuses (as of now)")
	cmdutil.LimitVar(cmd.Flags(), &in.Limit)
	cmd.Flags().StringVar(&in.Cursor, "cursor", "", "continue after a previous page")
	return cmd
}

func newQuoteGet(f *factory.Factory) *cobra.Command {
	return &cobra.Command{
		Use:     "get ID",
		Example: "  hestami vendor quote list --case CASE-2026-2   # the quote ids\n  hestami vendor quote get $QUOTE --json",
		Short:   "Show a quote with its line items",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			q, err := cmdutil.Call[vendor.Quote](cmd.Context(), f, "quote/v1/get", api.GetInput{ID: args[0]}, "")
			if err != nil {
				return err
			}
			return showQuote(f, q)
		},
	}
}

func newQuoteCompare(f *factory.Factory) *cobra.Command {
	var in vendor.CompareInput
	var scope string
	cmd := &cobra.Command{
		Use:   "compare --case CASE [--scope-key KEY] [--open]",
		Short: "A case's quotes side by side: vendor, amount, validity, scope and every line",
		Long: `One column per quote (cheapest first within each scope and currency); a line
item that a quote does not include shows "—", so the scope differences stand
out. --json gives the same as data.`,
		Example: `  hestami vendor quote compare --case CASE-2026-4
  hestami vendor quote compare --case CASE-2026-4 --scope-key fence --open --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cmd.Flags().Changed("scope-key") {
				in.ScopeKey = &scope
			}
			c, err := cmdutil.Call[vendor.Comparison](cmd.Context(), f, "quote/v1/compare", in, "")
			if err != nil {
				return err
			}
			return cmdutil.Print(f, c, func() { printComparison(f, c) })
		},
	}
	cmd.Flags().StringVar(&in.CaseID, "case", "", "the case (id or number; required)")
	cmd.Flags().StringVar(&scope, "scope-key", "", `only this case scope ("" for the whole case)`)
	cmd.Flags().BoolVar(&in.Open, "open", false, "only quotes still open (RECEIVED, UNDER_REVIEW)")
	return cmd
}

func printComparison(f *factory.Factory, c vendor.Comparison) {
	if len(c.Quotes) == 0 {
		fmt.Fprintf(f.ErrOut, "no quotes on %s\n", c.CaseNumber)
		return
	}
	header := []string{c.CaseNumber}
	row := func(label string, cell func(q vendor.Quote) any) []any {
		r := []any{label}
		for _, q := range c.Quotes {
			r = append(r, cell(q))
		}
		return r
	}
	cheapest := map[string]bool{}
	for _, ch := range c.Cheapest {
		cheapest[ch.QuoteID] = true
	}
	for i := range c.Quotes {
		header = append(header, fmt.Sprintf("#%d", i+1))
	}
	rows := [][]any{
		row("vendor", func(q vendor.Quote) any { return q.VendorName }),
		row("scope key", func(q vendor.Quote) any { return scopeKey(q.ScopeKey) }),
		row("amount", func(q vendor.Quote) any {
			if cheapest[q.ID] {
				return q.Amount + " " + q.Currency + " (cheapest)"
			}
			return q.Amount + " " + q.Currency
		}),
		row("status", func(q vendor.Quote) any { return output.State(q.Status) }),
		row("valid until", func(q vendor.Quote) any { return when(q.ValidUntil) }),
		row("scope", func(q vendor.Quote) any { return q.Scope }),
	}
	for _, l := range c.Lines {
		r := []any{"line: " + l.Description}
		for _, t := range l.Totals {
			if t == "" {
				t = "—"
			}
			r = append(r, t)
		}
		rows = append(rows, r)
	}
	rows = append(rows, row("id", func(q vendor.Quote) any { return output.ID(q.ID) }))
	_ = cmdutil.Table(f, header, rows)
}

func newQuoteReview(f *factory.Factory) *cobra.Command {
	var key string
	cmd := &cobra.Command{
		Use:     "review ID",
		Short:   "Put a received quote under review",
		Example: `  hestami vendor quote review $QUOTE`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			q, err := cmdutil.Call[vendor.Quote](cmd.Context(), f, "quote/v1/review", vendor.QuoteRef{ID: args[0]}, cmdutil.Key(key))
			if err != nil {
				return err
			}
			return showQuote(f, q)
		},
	}
	cmd.Flags().StringVar(&key, "idempotency-key", "", cmdutil.KeyFlagHelp)
	return cmd
}

func newQuoteAccept(f *factory.Factory) *cobra.Command {
	var in vendor.AcceptInput
	var key string
	cmd := &cobra.Command{
		Use:   "accept ID --rationale TEXT [--reject-others]",
		Short: "Accept a quote under review, recording the VENDOR_SELECTION decision and its rationale",
		Long: `Accepts the quote (one per case scope) and records a VENDOR_SELECTION
decision with the rationale, in one transaction. --reject-others also rejects
the other open quotes of the same case scope; without it they stay open.
A delegated agent may accept only under a VENDOR_SELECTION grant whose limit
covers the amount.`,
		Example: `  hestami vendor quote accept $QUOTE --rationale "cheapest, same scope, earliest start" --reject-others`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			in.ID = args[0]
			q, err := cmdutil.Call[vendor.Quote](cmd.Context(), f, "quote/v1/accept", in, cmdutil.Key(key))
			if err != nil {
				return err
			}
			return showQuote(f, q)
		},
	}
	cmd.Flags().StringVar(&key, "idempotency-key", "", cmdutil.KeyFlagHelp)
	cmd.Flags().StringVar(&in.Rationale, "rationale", "", "why this vendor (required; recorded as the decision's rationale)")
	cmd.Flags().BoolVar(&in.RejectOthers, "reject-others", false, "reject the other open quotes of the same case scope")
	cmdutil.Prompted(cmd, "rationale", "Why this vendor")
	return cmd
}

// newQuoteReason builds withdraw and reject: both end the quote for good,
// so they ask first, or need --yes.
func newQuoteReason(f *factory.Factory, verb, short string) *cobra.Command {
	var in vendor.ReasonInput
	var key string
	var yes bool
	cmd := &cobra.Command{
		Use:     verb + " ID [--reason TEXT]",
		Short:   short + " (asks first: it cannot be undone)",
		Example: "  hestami vendor quote " + verb + ` $QUOTE --reason "over budget" --yes`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cmdutil.Confirm(cmd, yes, strings.ToUpper(verb[:1])+verb[1:]+" quote "+args[0]+"? This cannot be undone."); err != nil {
				return err
			}
			in.ID = args[0]
			q, err := cmdutil.Call[vendor.Quote](cmd.Context(), f, "quote/v1/"+verb, in, cmdutil.Key(key))
			if err != nil {
				return err
			}
			return showQuote(f, q)
		},
	}
	cmd.Flags().StringVar(&key, "idempotency-key", "", cmdutil.KeyFlagHelp)
	cmd.Flags().StringVar(&in.Reason, "reason", "", "why")
	cmdutil.YesFlag(cmd, &yes)
	return cmd
}
