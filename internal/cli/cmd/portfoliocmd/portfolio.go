// Package portfoliocmd is `hestami portfolio`.
package portfoliocmd

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hestami/concierge/internal/api"
	"github.com/hestami/concierge/internal/cli/cmdutil"
	"github.com/hestami/concierge/internal/cli/factory"
	"github.com/hestami/concierge/internal/cli/output"
	"github.com/hestami/concierge/internal/listing"
	"github.com/hestami/concierge/internal/portfolio"
)

// NewCmd returns `hestami portfolio`.
func NewCmd(f *factory.Factory) *cobra.Command {
	cmd := &cobra.Command{Use: "portfolio", Short: "Group properties into portfolios and see their summaries"}
	cmd.AddCommand(newCreate(f), newGet(f), newList(f), newUpdate(f),
		newMember(f, "add-property", "portfolio/v1/addProperty", "Add a property to a portfolio (adding a member again changes nothing)"),
		newMember(f, "remove-property", "portfolio/v1/removeProperty", "Take a property out of a portfolio (removing a non-member changes nothing)"),
		newSummary(f))
	return cmd
}

func show(f *factory.Factory, p portfolio.Portfolio) error {
	return cmdutil.Print(f, p, func() {
		cmdutil.Fields(f, "id", p.ID, "name", p.Name, "description", p.Description,
			"properties", strings.Join(p.PropertyIDs, ", "), "updated", output.Time(p.UpdatedAt))
	})
}

func newCreate(f *factory.Factory) *cobra.Command {
	var in portfolio.CreateInput
	var key string
	cmd := &cobra.Command{
		Use:     "create",
		Short:   "Add a portfolio",
		Example: `  hestami portfolio create --name "Rentals" --description "Long-term leases"`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, err := cmdutil.Call[portfolio.Portfolio](cmd.Context(), f, "portfolio/v1/create", in, cmdutil.Key(key))
			if err != nil {
				return err
			}
			return show(f, p)
		},
	}
	cmd.Flags().StringVar(&key, "idempotency-key", "", cmdutil.KeyFlagHelp)
	cmd.Flags().StringVar(&in.Name, "name", "", "name of the portfolio")
	cmd.Flags().StringVar(&in.Description, "description", "", "what the portfolio groups")
	return cmd
}

func newGet(f *factory.Factory) *cobra.Command {
	return &cobra.Command{
		Use:     "get ID",
		Example: "  hestami portfolio list   # the portfolio ids\n  hestami portfolio get $PORTFOLIO",
		Short:   "Show a portfolio and its properties",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := cmdutil.Call[portfolio.Portfolio](cmd.Context(), f, "portfolio/v1/get", api.GetInput{ID: args[0]}, "")
			if err != nil {
				return err
			}
			return show(f, p)
		},
	}
}

func newList(f *factory.Factory) *cobra.Command {
	var in portfolio.ListInput
	cmd := &cobra.Command{
		Use:     "list",
		Example: "  hestami portfolio list\n  hestami portfolio list --limit 5 --json",
		Short:   "List the portfolios you may see",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			page, err := cmdutil.Call[listing.Page[portfolio.Portfolio]](cmd.Context(), f, "portfolio/v1/list", in, "")
			if err != nil {
				return err
			}
			return cmdutil.PrintPage(f, page, "portfolios", []string{"ID", "NAME", "PROPERTIES"},
				func(p portfolio.Portfolio) []any {
					return []any{output.ID(p.ID), p.Name, strconv.Itoa(len(p.PropertyIDs))}
				})
		},
	}
	cmdutil.LimitVar(cmd.Flags(), &in.Limit)
	cmd.Flags().StringVar(&in.Cursor, "cursor", "", "continue after a previous page")
	return cmd
}

func newUpdate(f *factory.Factory) *cobra.Command {
	var name, description, key string
	cmd := &cobra.Command{
		Use:     "update ID",
		Example: "  hestami portfolio update $PORTFOLIO --name \"Texas homes\" --description \"everything in Texas\"",
		Short:   "Change a portfolio (only the flags you pass)",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			in := portfolio.UpdateInput{ID: args[0]}
			if cmd.Flags().Changed("name") {
				in.Name = &name
			}
			if cmd.Flags().Changed("description") {
				in.Description = &description
			}
			p, err := cmdutil.Call[portfolio.Portfolio](cmd.Context(), f, "portfolio/v1/update", in, cmdutil.Key(key))
			if err != nil {
				return err
			}
			return show(f, p)
		},
	}
	cmd.Flags().StringVar(&key, "idempotency-key", "", cmdutil.KeyFlagHelp)
	cmd.Flags().StringVar(&name, "name", "", "new name")
	cmd.Flags().StringVar(&description, "description", "", "new description")
	return cmd
}

func newMember(f *factory.Factory, use, procedure, short string) *cobra.Command {
	var key string
	cmd := &cobra.Command{
		Use:     use + " PORTFOLIO PROPERTY",
		Example: "  hestami portfolio " + use + " $PORTFOLIO $PROPERTY",
		Short:   short,
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			in := portfolio.MemberInput{ID: args[0], PropertyID: args[1]}
			p, err := cmdutil.Call[portfolio.Portfolio](cmd.Context(), f, procedure, in, cmdutil.Key(key))
			if err != nil {
				return err
			}
			return show(f, p)
		},
	}
	cmd.Flags().StringVar(&key, "idempotency-key", "", cmdutil.KeyFlagHelp)
	return cmd
}

func newSummary(f *factory.Factory) *cobra.Command {
	return &cobra.Command{
		Use:     "summary [PORTFOLIO]",
		Example: "  hestami portfolio summary              # the whole organization\n  hestami portfolio summary $PORTFOLIO",
		Short:   "Summarize a portfolio, or without one the whole active organization",
		Long: "Property count, open cases by status and by priority, pending approvals, and spend per property and per month\n" +
			"(totalled per currency, exact decimals), for a portfolio or for the active organization.",
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var s portfolio.Summary
			var err error
			if len(args) == 1 {
				s, err = cmdutil.Call[portfolio.Summary](cmd.Context(), f, "portfolio/v1/summary", api.GetInput{ID: args[0]}, "")
			} else {
				s, err = cmdutil.Call[portfolio.Summary](cmd.Context(), f, "organization/v1/summary", portfolio.OrganizationSummaryInput{}, "")
			}
			if err != nil {
				return err
			}
			if f.JSON {
				return cmdutil.PrintJSON(f, s)
			}
			return printSummary(f, s)
		},
	}
}

// money prints totals per currency ("0" when nothing was spent).
func money(ms []portfolio.Money) string {
	if len(ms) == 0 {
		return "0"
	}
	parts := make([]string, len(ms))
	for i, m := range ms {
		parts[i] = m.Amount + " " + m.Currency
	}
	return strings.Join(parts, " + ")
}

// printSummary prints the totals, then one table: a row per open status,
// per priority, per property and per month, its first column naming which,
// so the rows stay unambiguous in a pipe (where tables print no header).
func printSummary(f *factory.Factory, s portfolio.Summary) error {
	scope := "organization " + s.OrganizationID
	if s.PortfolioID != "" {
		scope = "portfolio " + s.PortfolioName + " (" + s.PortfolioID + ")"
	}
	cmdutil.Fields(f, "summary of", scope, "properties", strconv.Itoa(s.PropertyCount),
		"open cases", strconv.Itoa(s.OpenCases), "pending approvals", strconv.Itoa(s.PendingApprovals), "spend", money(s.Spend))
	fmt.Fprintln(f.Out)
	var rows [][]any
	for _, c := range s.OpenCasesByStatus {
		rows = append(rows, []any{"status", output.State(c.Status), strconv.Itoa(c.Count), "", ""})
	}
	for _, c := range s.OpenCasesByPriority {
		rows = append(rows, []any{"priority", output.State(c.Priority), strconv.Itoa(c.Count), "", ""})
	}
	for _, p := range s.Properties {
		rows = append(rows, []any{"property", p.Name, strconv.Itoa(p.OpenCases), strconv.Itoa(p.PendingApprovals), money(p.Spend)})
	}
	for _, m := range s.SpendByMonth {
		rows = append(rows, []any{"month", m.Month, "", "", money(m.Spend)})
	}
	return cmdutil.Table(f, []string{"BY", "", "OPEN CASES", "PENDING APPROVALS", "SPEND"}, rows)
}
