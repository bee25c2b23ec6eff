// Package intentcmd is `hestami intent`.
package intentcmd

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hestami/concierge/internal/cases"
	"github.com/hestami/concierge/internal/cli/cmdutil"
	"github.com/hestami/concierge/internal/cli/factory"
	"github.com/hestami/concierge/internal/cli/output"
	"github.com/hestami/concierge/internal/intent"
	"github.com/hestami/concierge/internal/listing"
)

// NewCmd returns `hestami intent`.
func NewCmd(f *factory.Factory) *cobra.Command {
	cmd := &cobra.Command{Use: "intent", Short: "Declare, classify and convert owner intents of the active organization"}
	cmd.AddCommand(newCreate(f), newSubmit(f), newGet(f), newList(f), newConvert(f), newReclassify(f),
		newReason(f, "acknowledge", "Acknowledge a submitted intent (staff)", "acknowledge", false, false),
		newReason(f, "decline", "Decline an intent, with a reason for the owner (staff)", "decline", true, true),
		newReason(f, "withdraw", "Withdraw an intent that is not final", "withdraw", false, true))
	return cmd
}

// show prints an intent: its fields, the classifier's proposal with the
// cues it matched, and a person's override, each labelled as what it is.
func show(f *factory.Factory, i intent.Intent) error {
	if f.JSON {
		return cmdutil.PrintJSON(f, i)
	}
	pairs := []any{"id", i.ID, "title", i.Title, "status", output.State(i.Status), "property", i.PropertyID}
	if i.Category != "" {
		pairs = append(pairs, "category", string(i.Category), "priority", output.State(i.Priority))
	}
	if i.CaseNumber != nil {
		pairs = append(pairs, "case", *i.CaseNumber)
	}
	if i.StatusReason != "" {
		pairs = append(pairs, "reason", i.StatusReason)
	}
	c := i.Constraints
	if c.BudgetCeiling != nil {
		pairs = append(pairs, "budget ceiling", c.BudgetCeiling.Amount+" "+c.BudgetCeiling.Currency)
	}
	if c.PreferredFrom != nil {
		pairs = append(pairs, "preferred from", string(*c.PreferredFrom))
	}
	if c.PreferredTo != nil {
		pairs = append(pairs, "preferred to", string(*c.PreferredTo))
	}
	if c.AccessNotes != "" {
		pairs = append(pairs, "access notes", c.AccessNotes)
	}
	pairs = append(pairs, "created", output.Time(i.CreatedAt))
	cmdutil.Fields(f, pairs...)
	fmt.Fprintln(f.Out, "\ntext:")
	for _, line := range strings.Split(strings.TrimRight(i.Text, "\n"), "\n") {
		fmt.Fprintln(f.Out, "  "+output.Escape(line))
	}
	if p := i.Proposal; p != nil {
		fmt.Fprintf(f.Out, "\nproposed by %s %s (a recommendation):\n", output.Escape(p.Classifier), output.Escape(p.Version))
		cmdutil.Fields(f, "category", string(p.Category), "priority", string(p.Priority), "confidence", fmt.Sprintf("%.2f", p.Confidence))
		if len(p.Cues) > 0 {
			rows := make([][]any, 0, len(p.Cues))
			for _, c := range p.Cues {
				note := ""
				if c.Negated {
					note = "negated"
				}
				rows = append(rows, []any{c.Phrase, string(c.Category), string(c.Priority), note})
			}
			fmt.Fprintln(f.Out, "cues:")
			if err := cmdutil.Table(f, []string{"PHRASE", "CATEGORY", "PRIORITY", "NOTE"}, rows); err != nil {
				return err
			}
		}
	}
	if o := i.Override; o != nil {
		fmt.Fprintln(f.Out, "\noverridden by a person:")
		pairs := []any{"by", o.By, "at", output.Time(o.At)}
		if o.Category != "" {
			pairs = append(pairs, "category", string(o.Category))
		}
		if o.Priority != "" {
			pairs = append(pairs, "priority", string(o.Priority))
		}
		if o.Reason != "" {
			pairs = append(pairs, "reason", o.Reason)
		}
		cmdutil.Fields(f, pairs...)
	}
	return nil
}

// constraintFlags binds the constraint flags; build returns nil when none
// was given.
func constraintFlags(cmd *cobra.Command) (build func() *intent.Constraints) {
	var budget, currency, from, to, access string
	fl := cmd.Flags()
	fl.StringVar(&budget, "budget", "", "budget ceiling, an exact decimal (\"1500.00\")")
	fl.StringVar(&currency, "currency", "USD", "currency of the budget ceiling")
	fl.StringVar(&from, "from", "", "preferred from date, YYYY-MM-DD")
	fl.StringVar(&to, "to", "", "preferred to date, YYYY-MM-DD")
	fl.StringVar(&access, "access", "", "access notes (keys, pets, gate codes)")
	return func() *intent.Constraints {
		if budget == "" && from == "" && to == "" && access == "" {
			return nil
		}
		c := &intent.Constraints{AccessNotes: access}
		if budget != "" {
			c.BudgetCeiling = &intent.Money{Amount: budget, Currency: currency}
		}
		if from != "" {
			d := intent.Date(from)
			c.PreferredFrom = &d
		}
		if to != "" {
			d := intent.Date(to)
			c.PreferredTo = &d
		}
		return c
	}
}

func newCreate(f *factory.Factory) *cobra.Command {
	var in intent.CreateInput
	var key string
	cmd := &cobra.Command{
		Use:     "create TEXT",
		Short:   "Draft an intent (status DRAFT; submit it later)",
		Example: `  hestami intent create "paint the fence before spring" --property 3f0c…`,
		Args:    cobra.ExactArgs(1),
	}
	build := constraintFlags(cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		in.Text, in.Constraints = args[0], build()
		i, err := cmdutil.Call[intent.Intent](cmd.Context(), f, "intent/v1/create", in, cmdutil.Key(key))
		if err != nil {
			return err
		}
		return show(f, i)
	}
	fl := cmd.Flags()
	fl.StringVar(&key, "idempotency-key", "", cmdutil.KeyFlagHelp)
	fl.StringVar(&in.PropertyID, "property", "", "property id")
	fl.StringVar(&in.Title, "title", "", "short title (default: the start of the text)")
	return cmd
}

func newSubmit(f *factory.Factory) *cobra.Command {
	var in intent.SubmitInput
	var key string
	cmd := &cobra.Command{
		Use:   "submit TEXT | submit --id ID",
		Short: "Submit a request (or a draft); prints the proposed category, priority, confidence and cues",
		Example: `  hestami intent submit "water is leaking through the kitchen ceiling" --property 3f0c…
  hestami intent submit --id 9b1e…`,
		Args: cobra.MaximumNArgs(1),
	}
	build := constraintFlags(cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if len(args) == 1 {
			in.Text = args[0]
		}
		in.Constraints = build()
		i, err := cmdutil.Call[intent.Intent](cmd.Context(), f, "intent/v1/submit", in, cmdutil.Key(key))
		if err != nil {
			return err
		}
		return show(f, i)
	}
	fl := cmd.Flags()
	fl.StringVar(&key, "idempotency-key", "", cmdutil.KeyFlagHelp)
	fl.StringVar(&in.ID, "id", "", "a DRAFT intent to submit")
	fl.StringVar(&in.PropertyID, "property", "", "property id")
	fl.StringVar(&in.Title, "title", "", "short title (default: the start of the text)")
	return cmd
}

func newGet(f *factory.Factory) *cobra.Command {
	return &cobra.Command{
		Use:     "get ID",
		Example: "  hestami intent list   # the intent ids\n  hestami intent get $INTENT --json",
		Short:   "Show an intent with its proposal and override",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			i, err := cmdutil.Call[intent.Intent](cmd.Context(), f, "intent/v1/get", intent.IDInput{ID: args[0]}, "")
			if err != nil {
				return err
			}
			return show(f, i)
		},
	}
}

func newList(f *factory.Factory) *cobra.Command {
	var in intent.ListInput
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "List the intents you may see, newest first",
		Example: "  hestami intent list --status SUBMITTED,ACKNOWLEDGED",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			page, err := cmdutil.Call[listing.Page[intent.Intent]](cmd.Context(), f, "intent/v1/list", in, "")
			if err != nil {
				return err
			}
			return cmdutil.PrintPage(f, page, "intents match", []string{"STATUS", "PRIORITY", "CATEGORY", "TITLE", "CASE", "ID"},
				func(i intent.Intent) []any {
					num := ""
					if i.CaseNumber != nil {
						num = *i.CaseNumber
					}
					return []any{output.State(i.Status), output.State(i.Priority), string(i.Category), i.Title, num, output.ID(i.ID)}
				})
		},
	}
	fl := cmd.Flags()
	cmdutil.EnumSliceVar(cmd, &in.Status, "status", intent.Statuses, "only these statuses")
	fl.StringVar(&in.PropertyID, "property", "", "only intents of this property")
	cmdutil.LimitVar(fl, &in.Limit)
	fl.StringVar(&in.Cursor, "cursor", "", "continue after a previous page")
	return cmd
}

func newConvert(f *factory.Factory) *cobra.Command {
	var key string
	cmd := &cobra.Command{
		Use:     "convert ID",
		Example: "  hestami intent list --status SUBMITTED,ACKNOWLEDGED   # the intent ids\n  hestami intent convert $INTENT",
		Short:   "Convert a submitted or acknowledged intent to a case (staff); once only",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			i, err := cmdutil.Call[intent.Intent](cmd.Context(), f, "intent/v1/convert", intent.IDInput{ID: args[0]}, cmdutil.Key(key))
			if err != nil {
				return err
			}
			return show(f, i)
		},
	}
	cmd.Flags().StringVar(&key, "idempotency-key", "", cmdutil.KeyFlagHelp)
	return cmd
}

func newReclassify(f *factory.Factory) *cobra.Command {
	var in intent.ReclassifyInput
	var key string
	cmd := &cobra.Command{
		Use:     "reclassify ID",
		Short:   "Override the proposed category and/or priority (staff); the proposal is kept",
		Example: "  hestami intent reclassify 9b1e… --priority URGENT --reason 'elderly tenant'",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			in.ID = args[0]
			i, err := cmdutil.Call[intent.Intent](cmd.Context(), f, "intent/v1/reclassify", in, cmdutil.Key(key))
			if err != nil {
				return err
			}
			return show(f, i)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&key, "idempotency-key", "", cmdutil.KeyFlagHelp)
	cmdutil.EnumVar(cmd, &in.Category, "category", "", cases.Categories, "the category in force")
	cmdutil.EnumVar(cmd, &in.Priority, "priority", "", cases.Priorities, "the priority in force")
	fl.StringVar(&in.Reason, "reason", "", "why the proposal was overridden")
	return cmd
}

// newReason builds acknowledge, decline and withdraw. Declining and
// withdrawing are final (final: ask first, or need --yes).
func newReason(f *factory.Factory, name, short, proc string, reasonRequired, final bool) *cobra.Command {
	var in intent.ReasonInput
	var key string
	var yes bool
	example := "  hestami intent list --status SUBMITTED          # the intent ids\n  hestami intent " + name + " $INTENT"
	if reasonRequired {
		example += ` --reason "the HOA forbids it"`
	}
	if final {
		example += " --yes"
	}
	cmd := &cobra.Command{
		Use:     name + " ID",
		Short:   short,
		Example: example,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if final {
				if err := cmdutil.Confirm(cmd, yes, strings.ToUpper(name[:1])+name[1:]+" intent "+args[0]+"? This cannot be undone."); err != nil {
					return err
				}
			}
			in.ID = args[0]
			i, err := cmdutil.Call[intent.Intent](cmd.Context(), f, "intent/v1/"+proc, in, cmdutil.Key(key))
			if err != nil {
				return err
			}
			return show(f, i)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&key, "idempotency-key", "", cmdutil.KeyFlagHelp)
	help := "why (shown to the owner)"
	if reasonRequired {
		help += "; required"
	}
	fl.StringVar(&in.Reason, "reason", "", help)
	if reasonRequired {
		cmdutil.Prompted(cmd, "reason", "Reason (shown to the owner)")
	}
	if final {
		cmdutil.YesFlag(cmd, &yes)
	}
	return cmd
}
