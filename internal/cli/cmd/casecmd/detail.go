package casecmd

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/hestami/concierge/internal/api"
	"github.com/hestami/concierge/internal/casedetail"
	"github.com/hestami/concierge/internal/cases"
	"github.com/hestami/concierge/internal/cli/cmdutil"
	"github.com/hestami/concierge/internal/cli/factory"
	"github.com/hestami/concierge/internal/cli/output"
	"github.com/hestami/concierge/internal/directory"
)

// newView returns `hestami case view` (alias detail): case/v1/detail.
func newView(f *factory.Factory) *cobra.Command {
	return &cobra.Command{
		Use:     "view ID|NUMBER",
		Aliases: []string{"detail"},
		Short:   "Show a case with its origin request, participants, actions, documents, HOA approvals, quotes, visits, invoices, decisions, notes and timeline",
		Long: fmt.Sprintf(`Show everything about a case you may see, in one call: the case, the owner
request it came from, its participants, actions, documents (metadata; "hestami
doc download" has the content), HOA approvals, vendor quotes side by side,
visits, invoices, decisions and notes, and a timeline of what happened (status
changes, notes, actions), oldest first. Each list holds the latest %d entries
and says when older ones were left out.`, cases.DetailLimit),
		Example:           "  hestami case view CASE-2026-3\n  hestami case view CASE-2026-3 --json",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: cmdutil.FirstArg(cmdutil.CompleteCases(f)),
		RunE: func(cmd *cobra.Command, args []string) error {
			d, err := cmdutil.Call[casedetail.Detail](cmd.Context(), f, "case/v1/detail", api.GetInput{ID: args[0]}, "")
			if err != nil {
				return err
			}
			if f.JSON {
				return cmdutil.PrintJSON(f, d)
			}
			return showDetail(cmd.Context(), f, d)
		},
	}
}

func showDetail(ctx context.Context, f *factory.Factory, d casedetail.Detail) error {
	// The timeline says what the history says, with the rest.
	c := d.Case
	c.History = nil
	if err := show(ctx, f, c); err != nil {
		return err
	}
	ids := []string{}
	for _, e := range d.Timeline.Items {
		ids = append(ids, e.ActorID)
	}
	for _, n := range d.Notes.Items {
		ids = append(ids, n.AuthorID)
	}
	names := displayNames(ctx, f, ids)
	by := func(kind, id string) string {
		n, ok := names[id]
		switch {
		case ok && kind == "HUMAN":
			return n
		case ok:
			// The system (the classifier, say) acting in a person's request.
			return kind + " (for " + n + ")"
		}
		return kind + ":" + id
	}
	section := func(title string, truncated bool) {
		fmt.Fprintf(f.Out, "\n%s:\n", title)
		if truncated {
			fmt.Fprintf(f.Out, "  (only the latest %d are shown)\n", cases.DetailLimit)
		}
	}
	if o := d.Origin; o != nil {
		section("from the owner's request", false)
		cmdutil.Fields(f, "intent", o.ID, "status", output.State(o.Status), "title", o.Title, "text", o.Text)
	}
	section("participants", d.Participants.Truncated)
	rows := [][]any{}
	for _, p := range d.Participants.Items {
		rows = append(rows, []any{string(p.Role), p.Name, contact(p), output.ID(p.ID)})
	}
	if err := table(f, []string{"ROLE", "NAME", "CONTACT", "ID"}, rows); err != nil {
		return err
	}
	section("actions", d.Actions.Truncated)
	rows = [][]any{}
	for _, a := range d.Actions.Items {
		rows = append(rows, []any{output.State(a.Status), string(a.Type), a.Title, output.ID(a.ID)})
	}
	if err := table(f, []string{"STATUS", "TYPE", "TITLE", "ID"}, rows); err != nil {
		return err
	}
	if err := showDomainParts(f, d, section); err != nil {
		return err
	}
	section("notes", d.Notes.Truncated)
	rows = [][]any{}
	for _, n := range d.Notes.Items {
		rows = append(rows, []any{output.Time(n.CreatedAt), string(n.Audience), string(n.Kind), by("HUMAN", n.AuthorID), n.Text})
	}
	if err := table(f, []string{"WHEN", "AUDIENCE", "KIND", "BY", "TEXT"}, rows); err != nil {
		return err
	}
	section("timeline", d.Timeline.Truncated)
	rows = [][]any{}
	for _, e := range d.Timeline.Items {
		rows = append(rows, []any{output.Time(e.At), by(e.ActorKind, e.ActorID), e.Summary})
	}
	return table(f, []string{"WHEN", "BY", "WHAT"}, rows)
}

// showDomainParts prints the parts other domains add to a case.
func showDomainParts(f *factory.Factory, d casedetail.Detail, section func(string, bool)) error {
	// Validity and expiry are instants (a date given on the command line
	// lapses at the end of that day), shown as vendor quote shows them.
	instant := func(t *time.Time) any {
		if t == nil {
			return "-"
		}
		return output.Time(*t)
	}
	section("documents", d.Documents.Truncated)
	rows := [][]any{}
	for _, x := range d.Documents.Items {
		rows = append(rows, []any{x.Title, string(x.Category), string(x.Visibility), fmt.Sprint("v", x.Version), output.State(x.ReviewStatus), output.ID(x.ID)})
	}
	if err := table(f, []string{"TITLE", "CATEGORY", "VISIBILITY", "VERSION", "REVIEW", "ID"}, rows); err != nil {
		return err
	}
	section("HOA approvals", d.Approvals.Truncated)
	rows = [][]any{}
	for _, x := range d.Approvals.Items {
		rows = append(rows, []any{output.State(x.Status), string(x.Type), x.ContextName, x.ReferenceNumber, instant(x.ExpiresAt), output.ID(x.ID)})
	}
	if err := table(f, []string{"STATUS", "TYPE", "HOA", "REFERENCE", "EXPIRES", "ID"}, rows); err != nil {
		return err
	}
	section("quotes", d.Quotes.Truncated)
	rows = [][]any{}
	for _, x := range d.Quotes.Items {
		scope := x.ScopeKey
		if scope == "" {
			scope = "(whole case)"
		}
		rows = append(rows, []any{x.VendorName, scope, x.Amount + " " + x.Currency, instant(x.ValidUntil), output.State(x.Status), output.ID(x.ID)})
	}
	if err := table(f, []string{"VENDOR", "SCOPE", "AMOUNT", "VALID UNTIL", "STATUS", "ID"}, rows); err != nil {
		return err
	}
	section("visits", d.Visits.Truncated)
	rows = [][]any{}
	for _, x := range d.Visits.Items {
		window := x.WindowStart.Format("2006-01-02 15:04") + " - " + x.WindowEnd.Format("15:04")
		if !sameDay(x.WindowStart, x.WindowEnd) {
			window = x.WindowStart.Format("2006-01-02 15:04") + " - " + x.WindowEnd.Format("2006-01-02 15:04")
		}
		rows = append(rows, []any{window, x.VendorName, output.State(x.Status), output.ID(x.ID)})
	}
	if err := table(f, []string{"WINDOW", "VENDOR", "STATUS", "ID"}, rows); err != nil {
		return err
	}
	section("invoices", d.Invoices.Truncated)
	rows = [][]any{}
	for _, x := range d.Invoices.Items {
		due := "-"
		if x.DueDate != nil {
			due = *x.DueDate
		}
		rows = append(rows, []any{x.VendorName, x.Amount + " " + x.Currency, due, output.State(x.Status), output.ID(x.ID)})
	}
	if err := table(f, []string{"VENDOR", "AMOUNT", "DUE", "STATUS", "ID"}, rows); err != nil {
		return err
	}
	section("decisions", d.Decisions.Truncated)
	// The audit column is there only for those the API shows it to.
	audited := false
	for _, x := range d.Decisions.Items {
		audited = audited || x.Audit != nil
	}
	header := []string{"WHEN", "CATEGORY", "TITLE", "SUMMARY"}
	if audited {
		header = append(header, "AUDIT DETAIL")
	}
	rows = [][]any{}
	for _, x := range d.Decisions.Items {
		row := []any{output.Time(x.RecordedAt), string(x.Category), x.Title, x.Summary}
		if audited {
			a := ""
			if x.Audit != nil {
				a = x.Audit.Detail
			}
			row = append(row, a)
		}
		rows = append(rows, row)
	}
	return table(f, header, rows)
}

func sameDay(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return ay == by && am == bm && ad == bd
}

// table prints rows, or "none" for an empty section.
func table(f *factory.Factory, header []string, rows [][]any) error {
	if len(rows) == 0 {
		_, err := fmt.Fprintln(f.Out, "  none")
		return err
	}
	return cmdutil.Table(f, header, rows)
}

// displayNames names users for display, as actorNames does for a case; a
// failure leaves the ids shown.
func displayNames(ctx context.Context, f *factory.Factory, ids []string) map[string]string {
	seen := map[string]bool{}
	uniq := make([]string, 0, len(ids))
	for _, id := range ids {
		if id != "" && !seen[id] {
			seen[id] = true
			uniq = append(uniq, id)
		}
	}
	if len(uniq) == 0 {
		return nil
	}
	res, err := cmdutil.Call[directory.Names](ctx, f, "user/v1/names", directory.NamesInput{IDs: uniq}, "")
	if err != nil {
		return nil
	}
	return res.Names
}
