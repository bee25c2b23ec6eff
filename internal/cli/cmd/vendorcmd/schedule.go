package vendorcmd

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/hestami/concierge/internal/cli/cmdutil"
	"github.com/hestami/concierge/internal/cli/factory"
	"github.com/hestami/concierge/internal/cli/output"
	"github.com/hestami/concierge/internal/listing"
	"github.com/hestami/concierge/internal/vendor"
)

func newScheduleCmd(f *factory.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "schedule",
		Short: "Vendor visits on cases: SCHEDULED → DONE | CANCELLED",
	}
	cmd.AddCommand(newScheduleAdd(f), newScheduleList(f),
		newScheduleFinish(f, "complete", "Mark a visit DONE, with what came of it"),
		newScheduleFinish(f, "cancel", "Call a visit off (CANCELLED)"))
	return cmd
}

func showSchedule(f *factory.Factory, s vendor.Schedule) error {
	return cmdutil.Print(f, s, func() {
		cmdutil.Fields(f, "id", s.ID, "case", s.CaseNumber, "vendor", s.VendorName, "window",
			output.Seq{output.Time(s.WindowStart), " – ", output.Time(s.WindowEnd)}, "status", output.State(s.Status),
			"quote", orNone(s.QuoteID), "notes", s.Notes, "outcome", s.Outcome)
	})
}

func newScheduleAdd(f *factory.Factory) *cobra.Command {
	var in vendor.AddScheduleInput
	var key string
	var start, end *time.Time
	cmd := &cobra.Command{
		Use:               "add CASE --vendor VENDOR_ID --from WHEN --to WHEN",
		Short:             "Book a vendor visit on a case within a time window",
		Example:           `  hestami vendor schedule add CASE-2026-4 --vendor $FENCES --quote $QUOTE --from 2031-03-01T08:00:00Z --to 2031-03-01T12:00:00Z --notes "gate code 1234"`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: cmdutil.FirstArg(cmdutil.CompleteCases(f)),
		RunE: func(cmd *cobra.Command, args []string) error {
			in.CaseID = args[0]
			if start != nil {
				in.WindowStart = *start
			}
			if end != nil {
				in.WindowEnd = *end
			}
			s, err := cmdutil.Call[vendor.Schedule](cmd.Context(), f, "schedule/v1/add", in, cmdutil.Key(key))
			if err != nil {
				return err
			}
			return showSchedule(f, s)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&key, "idempotency-key", "", cmdutil.KeyFlagHelp)
	fl.StringVar(&in.VendorID, "vendor", "", "the vendor's id (required)")
	fl.StringVar(&in.QuoteID, "quote", "", "the quote of this case and vendor the visit carries out")
	cmdutil.TimeVar(fl, &start, "from", cmdutil.DayStart, "when the visit window opens (RFC 3339, or a date: its start; required)")
	cmdutil.TimeVar(fl, &end, "to", cmdutil.DayEnd, "when it closes (RFC 3339, or a date: its end; required)")
	fl.StringVar(&in.Notes, "notes", "", "access notes, what to bring")
	cmdutil.Required(cmd, "vendor", "from", "to")
	cmdutil.FieldFlags(cmd, map[string]string{"windowStart": "from", "windowEnd": "to"})
	return cmd
}

func newScheduleList(f *factory.Factory) *cobra.Command {
	var in vendor.ScheduleListInput
	cmd := &cobra.Command{
		Use:     "list [--case CASE]",
		Short:   "List vendor visits, earliest window first",
		Example: `  hestami vendor schedule list --case CASE-2026-4 --status SCHEDULED`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			page, err := cmdutil.Call[listing.Page[vendor.Schedule]](cmd.Context(), f, "schedule/v1/list", in, "")
			if err != nil {
				return err
			}
			return cmdutil.PrintPage(f, page, "visits", []string{"ID", "CASE", "VENDOR", "FROM", "TO", "STATUS"},
				func(s vendor.Schedule) []any {
					return []any{output.ID(s.ID), s.CaseNumber, s.VendorName, output.Time(s.WindowStart),
						output.Time(s.WindowEnd), output.State(s.Status)}
				})
		},
	}
	cmd.Flags().StringVar(&in.CaseID, "case", "", "only this case's visits (id or number)")
	cmd.Flags().StringVar(&in.VendorID, "vendor", "", "only this vendor's visits")
	cmdutil.EnumSliceVar(cmd, &in.Status, "status", vendor.ScheduleStatuses, "only these statuses")
	cmdutil.LimitVar(cmd.Flags(), &in.Limit)
	cmd.Flags().StringVar(&in.Cursor, "cursor", "", "continue after a previous page")
	return cmd
}

// newScheduleFinish builds complete and cancel. Calling a visit off is
// final and is not the way work normally ends, so cancel asks first, or
// needs --yes.
func newScheduleFinish(f *factory.Factory, verb, short string) *cobra.Command {
	var in vendor.FinishScheduleInput
	var key string
	var yes bool
	confirm := verb == "cancel"
	example := "  hestami vendor schedule " + verb + ` $VISIT --outcome "fence painted, owner satisfied"`
	if confirm {
		example = "  hestami vendor schedule " + verb + ` $VISIT --outcome "owner away that week" --yes`
	}
	cmd := &cobra.Command{
		Use:     verb + " ID [--outcome TEXT]",
		Short:   short,
		Example: example,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if confirm {
				if err := cmdutil.Confirm(cmd, yes, "Call visit "+args[0]+" off? This cannot be undone."); err != nil {
					return err
				}
			}
			in.ID = args[0]
			s, err := cmdutil.Call[vendor.Schedule](cmd.Context(), f, "schedule/v1/"+verb, in, cmdutil.Key(key))
			if err != nil {
				return err
			}
			return showSchedule(f, s)
		},
	}
	cmd.Flags().StringVar(&key, "idempotency-key", "", cmdutil.KeyFlagHelp)
	cmd.Flags().StringVar(&in.Outcome, "outcome", "", "what came of the visit, or why it was called off")
	if confirm {
		cmdutil.YesFlag(cmd, &yes)
	}
	return cmd
}
