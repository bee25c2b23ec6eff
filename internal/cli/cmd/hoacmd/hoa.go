// Package hoacmd is `hestami hoa`: a property's external HOA context —
// contexts, rules read from documents, and approvals on cases (hoa/v1/*).
package hoacmd

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hestami/concierge/internal/api"
	"github.com/hestami/concierge/internal/cli/cmdutil"
	"github.com/hestami/concierge/internal/cli/factory"
	"github.com/hestami/concierge/internal/cli/output"
	"github.com/hestami/concierge/internal/hoa"
	"github.com/hestami/concierge/internal/listing"
)

// NewCmd returns `hestami hoa`.
func NewCmd(f *factory.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "hoa",
		Short: "A property's HOA: contexts, rules read from its documents, approvals on cases",
		Long: `What is known of a property's homeowners' association: its name, contacts and
portal (context), the rules recorded from its documents, each citing the
document and page it was read from (rules are what someone recorded, never
the HOA's whole rule book: lists say so), and the approvals a case needs
from it.

An approval's life (domain.md §7):
  NOT_REQUIRED | PENDING → SUBMITTED → APPROVED | APPROVED_WITH_CONDITIONS | DENIED | EXPIRED
  DENIED → SUBMITTED (resubmission)
An approval past its expiry reads as EXPIRED from that instant.

Submitting an approval moves its case to PENDING_EXTERNAL, waiting on the
HOA by name (the work queue shows: HOA "<name>"); the HOA's decision moves
it back to IN_PROGRESS once no other submission to that HOA is open.
--keep-case-status leaves the case where it is.`,
	}
	cmd.AddCommand(newContextCmd(f), newRuleCmd(f), newApprovalCmd(f))
	return cmd
}

func when(t *time.Time) any {
	if t == nil {
		return "—"
	}
	return output.Time(*t)
}

// contactFlag reads "NAME[;ROLE[;EMAIL[;PHONE]]]".
type contactFlag struct{ p *[]hoa.Contact }

func (v contactFlag) String() string { return "" }
func (v contactFlag) Type() string   { return "contact" }
func (v contactFlag) Set(s string) error {
	parts := strings.Split(s, ";")
	if len(parts) > 4 || strings.TrimSpace(parts[0]) == "" {
		return fmt.Errorf(`want "NAME;ROLE;EMAIL;PHONE" (all but NAME optional)`)
	}
	for len(parts) < 4 {
		parts = append(parts, "")
	}
	*v.p = append(*v.p, hoa.Contact{Name: strings.TrimSpace(parts[0]), Role: strings.TrimSpace(parts[1]),
		Email: strings.TrimSpace(parts[2]), Phone: strings.TrimSpace(parts[3])})
	return nil
}

func contactsOf(cs []hoa.Contact) string {
	var out []string
	for _, c := range cs {
		s := c.Name
		for _, x := range []string{c.Role, c.Email, c.Phone} {
			if x != "" {
				s += ", " + x
			}
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		return "—"
	}
	return strings.Join(out, "; ")
}

// --- contexts ---

func newContextCmd(f *factory.Factory) *cobra.Command {
	cmd := &cobra.Command{Use: "context", Short: "Record, change and list properties' HOA contexts"}
	cmd.AddCommand(newContextAdd(f), newContextUpdate(f), newContextGet(f), newContextList(f))
	return cmd
}

func showContext(f *factory.Factory, c hoa.Context) error {
	return cmdutil.Print(f, c, func() {
		cmdutil.Fields(f, "id", c.ID, "name", c.Name, "property", c.PropertyID, "contacts", contactsOf(c.Contacts),
			"portal", c.PortalURL, "portal notes", c.PortalNotes)
	})
}

func newContextAdd(f *factory.Factory) *cobra.Command {
	var in hoa.CreateContextInput
	var key string
	cmd := &cobra.Command{
		Use:   "add --property PROPERTY_ID --name NAME [--contact 'NAME;ROLE;EMAIL;PHONE']... [--portal URL]",
		Short: "Record a property's HOA (owner side or engaged staff)",
		Example: `  hestami hoa context add --property $HOME --name "Maple Ridge HOA" \
      --contact "Pat Lee;community manager;pat@mapleridge.example;+1 512 555 0100" \
      --portal https://mapleridge.example/portal --portal-notes "architectural requests under Forms"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := cmdutil.Call[hoa.Context](cmd.Context(), f, "hoa/v1/createContext", in, cmdutil.Key(key))
			if err != nil {
				return err
			}
			return showContext(f, c)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&key, "idempotency-key", "", cmdutil.KeyFlagHelp)
	fl.StringVar(&in.PropertyID, "property", "", "the property id (required)")
	fl.StringVar(&in.Name, "name", "", "the HOA's name, unique per property (required)")
	cmdutil.Required(cmd, "property", "name")
	fl.Var(contactFlag{&in.Contacts}, "contact", `a contact "NAME;ROLE;EMAIL;PHONE" (repeat; all but NAME optional)`)
	fl.StringVar(&in.PortalURL, "portal", "", "the HOA's portal (http or https)")
	fl.StringVar(&in.PortalNotes, "portal-notes", "", "how to use the portal (never a password)")
	return cmd
}

func newContextUpdate(f *factory.Factory) *cobra.Command {
	var in hoa.UpdateContextInput
	var key, name, portal, notes string
	var contacts []hoa.Contact
	var clearContacts bool
	cmd := &cobra.Command{
		Use:   "update ID [--name NAME] [--contact ...]... [--portal URL] [--portal-notes TEXT]",
		Short: "Change an HOA context; --contact replaces the whole contact list",
		Example: `  hestami hoa context update $HOA --contact "Sam Ortiz;board secretary;;+1 512 555 0101"
  hestami hoa context update $HOA --portal ""`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			in.ID = args[0]
			fl := cmd.Flags()
			if fl.Changed("name") {
				in.Name = &name
			}
			if fl.Changed("portal") {
				in.PortalURL = &portal
			}
			if fl.Changed("portal-notes") {
				in.PortalNotes = &notes
			}
			if fl.Changed("contact") || clearContacts {
				if contacts == nil {
					contacts = []hoa.Contact{}
				}
				in.Contacts = &contacts
			}
			c, err := cmdutil.Call[hoa.Context](cmd.Context(), f, "hoa/v1/updateContext", in, cmdutil.Key(key))
			if err != nil {
				return err
			}
			return showContext(f, c)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&key, "idempotency-key", "", cmdutil.KeyFlagHelp)
	fl.StringVar(&name, "name", "", "the HOA's new name")
	fl.Var(contactFlag{&contacts}, "contact", `a contact "NAME;ROLE;EMAIL;PHONE" (repeat; replaces the list)`)
	fl.BoolVar(&clearContacts, "clear-contacts", false, "remove every contact")
	fl.StringVar(&portal, "portal", "", `the portal address ("" removes it)`)
	fl.StringVar(&notes, "portal-notes", "", "how to use the portal")
	return cmd
}

func newContextGet(f *factory.Factory) *cobra.Command {
	return &cobra.Command{
		Use:     "get ID",
		Example: "  hestami hoa context list --property $HOME   # the context ids\n  hestami hoa context get $HOA --json",
		Short:   "Show an HOA context",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := cmdutil.Call[hoa.Context](cmd.Context(), f, "hoa/v1/getContext", api.GetInput{ID: args[0]}, "")
			if err != nil {
				return err
			}
			return showContext(f, c)
		},
	}
}

func newContextList(f *factory.Factory) *cobra.Command {
	var in hoa.ListContextsInput
	cmd := &cobra.Command{
		Use:     "list [--property PROPERTY_ID]",
		Short:   "List the HOA contexts you may see, newest first",
		Example: `  hestami hoa context list --property $HOME`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			page, err := cmdutil.Call[listing.Page[hoa.Context]](cmd.Context(), f, "hoa/v1/listContexts", in, "")
			if err != nil {
				return err
			}
			return cmdutil.PrintPage(f, page, "HOA contexts", []string{"ID", "NAME", "PROPERTY", "CONTACTS"},
				func(c hoa.Context) []any { return []any{output.ID(c.ID), c.Name, c.PropertyID, contactsOf(c.Contacts)} })
		},
	}
	cmd.Flags().StringVar(&in.PropertyID, "property", "", "only this property's")
	cmdutil.LimitVar(cmd.Flags(), &in.Limit)
	cmd.Flags().StringVar(&in.Cursor, "cursor", "", "continue after a previous page")
	return cmd
}

// --- rules ---

func newRuleCmd(f *factory.Factory) *cobra.Command {
	cmd := &cobra.Command{Use: "rule", Short: "Record and list HOA rules read from documents (never assumed complete)"}
	cmd.AddCommand(newRuleAdd(f), newRuleGet(f), newRuleList(f))
	return cmd
}

func showRule(f *factory.Factory, r hoa.Rule) error {
	return cmdutil.Print(f, r, func() {
		cmdutil.Fields(f, "id", r.ID, "context", r.ContextID, "category", string(r.Category), "text", r.Text,
			"source", "document "+r.DocumentID+", page "+strconv.Itoa(r.Page), "completeness", r.Completeness)
	})
}

func newRuleAdd(f *factory.Factory) *cobra.Command {
	var in hoa.AddRuleInput
	var key string
	cmd := &cobra.Command{
		Use:   `add --context CONTEXT_ID --doc DOCUMENT_ID --page N --category CATEGORY "TEXT"`,
		Short: "Record a rule as a document states it, citing the document and page",
		Example: `  hestami hoa rule add --context $HOA --doc $CCR --page 12 --category ARCHITECTURAL \
      "Fences facing the street are painted in a colour from the approved palette."`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			in.Text = args[0]
			r, err := cmdutil.Call[hoa.Rule](cmd.Context(), f, "hoa/v1/addRule", in, cmdutil.Key(key))
			if err != nil {
				return err
			}
			return showRule(f, r)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&key, "idempotency-key", "", cmdutil.KeyFlagHelp)
	fl.StringVar(&in.ContextID, "context", "", "the HOA context id (required)")
	fl.StringVar(&in.DocumentID, "doc", "", "the document the rule was read from (required)")
	fl.IntVar(&in.Page, "page", 0, "the page of the document (required)")
	cmdutil.EnumVar(cmd, &in.Category, "category", "", hoa.RuleCategories, "what the rule is about (required)")
	cmdutil.Required(cmd, "context", "doc", "page", "category")
	return cmd
}

func newRuleGet(f *factory.Factory) *cobra.Command {
	return &cobra.Command{
		Use:     "get ID",
		Example: "  hestami hoa rule list --context $HOA   # the rule ids\n  hestami hoa rule get $RULE",
		Short:   "Show a recorded rule and its source",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := cmdutil.Call[hoa.Rule](cmd.Context(), f, "hoa/v1/getRule", api.GetInput{ID: args[0]}, "")
			if err != nil {
				return err
			}
			return showRule(f, r)
		},
	}
}

func newRuleList(f *factory.Factory) *cobra.Command {
	var in hoa.ListRulesInput
	cmd := &cobra.Command{
		Use:     "list --context CONTEXT_ID [--category CATEGORY]",
		Short:   "List the rules recorded for an HOA context, oldest first (as recorded; not verified complete)",
		Example: `  hestami hoa rule list --context $HOA --category ARCHITECTURAL`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			page, err := cmdutil.Call[hoa.RulePage](cmd.Context(), f, "hoa/v1/listRules", in, "")
			if err != nil {
				return err
			}
			if f.JSON {
				return cmdutil.PrintJSON(f, page)
			}
			// On stderr, so a pipe still gets only rows.
			fmt.Fprintf(f.ErrOut, "HOA rules %s\n", page.Completeness)
			return cmdutil.PrintPage(f, listing.Page[hoa.Rule]{Items: page.Items, NextCursor: page.NextCursor}, "rules recorded",
				[]string{"ID", "CATEGORY", "SOURCE", "TEXT"},
				func(r hoa.Rule) []any {
					return []any{output.ID(r.ID), string(r.Category), "doc " + r.DocumentID + " p." + strconv.Itoa(r.Page), r.Text}
				})
		},
	}
	cmd.Flags().StringVar(&in.ContextID, "context", "", "the HOA context id (required)")
	cmdutil.Required(cmd, "context")
	cmdutil.EnumSliceVar(cmd, &in.Category, "category", hoa.RuleCategories, "only these categories")
	cmdutil.LimitVar(cmd.Flags(), &in.Limit)
	cmd.Flags().StringVar(&in.Cursor, "cursor", "", "continue after a previous page")
	return cmd
}

// --- approvals ---

func newApprovalCmd(f *factory.Factory) *cobra.Command {
	cmd := &cobra.Command{Use: "approval", Short: "Record HOA approvals on cases: add, submit, decide (staff); list and get"}
	cmd.AddCommand(newApprovalAdd(f), newApprovalSubmit(f), newApprovalDecide(f), newApprovalGet(f), newApprovalList(f))
	return cmd
}

func outcomeOf(a hoa.Approval) string {
	if a.Outcome == nil {
		return "—"
	}
	return string(*a.Outcome)
}

func showApproval(f *factory.Factory, a hoa.Approval) error {
	return cmdutil.Print(f, a, func() {
		cmdutil.Fields(f, "id", a.ID, "case", a.CaseNumber, "HOA", a.ContextName, "type", string(a.Type),
			"status", output.State(a.Status), "decision", output.State(outcomeOf(a)), "reference", a.ReferenceNumber,
			"submitted", when(a.SubmittedAt), "decided", when(a.DecidedAt), "expires", when(a.ExpiresAt),
			"conditions", a.Conditions, "notes", a.DecisionNotes, "evidence", strings.Join(a.EvidenceDocumentIDs, ", "))
	})
}

func newApprovalAdd(f *factory.Factory) *cobra.Command {
	var in hoa.CreateApprovalInput
	var key string
	cmd := &cobra.Command{
		Use:   "add --case CASE --context CONTEXT_ID --type TYPE [--not-required]",
		Short: "Record that a case needs an HOA approval (PENDING), or that it does not (NOT_REQUIRED)",
		Example: `  hestami hoa approval add --case CASE-2026-4 --context $HOA --type ARCHITECTURAL --description "repaint the fence dark green"
  hestami hoa approval add --case CASE-2026-4 --context $HOA --type LANDSCAPING --not-required`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if notRequired, _ := cmd.Flags().GetBool("not-required"); notRequired {
				in.Status = hoa.NotRequired
			}
			a, err := cmdutil.Call[hoa.Approval](cmd.Context(), f, "hoa/v1/createApproval", in, cmdutil.Key(key))
			if err != nil {
				return err
			}
			return showApproval(f, a)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&key, "idempotency-key", "", cmdutil.KeyFlagHelp)
	fl.StringVar(&in.CaseID, "case", "", "the case id or number (required)")
	fl.StringVar(&in.ContextID, "context", "", "the HOA context of the case's property (required)")
	cmdutil.EnumVar(cmd, &in.Type, "type", "", hoa.Types, "what the approval is for (required)")
	cmdutil.Required(cmd, "case", "context", "type")
	fl.Bool("not-required", false, "record that no approval is needed (NOT_REQUIRED)")
	fl.StringVar(&in.Description, "description", "", "what is asked of the HOA")
	fl.StringVar(&in.ReferenceNumber, "reference", "", "the HOA's reference, if any yet")
	return cmd
}

func newApprovalSubmit(f *factory.Factory) *cobra.Command {
	var in hoa.SubmitApprovalInput
	var key string
	cmd := &cobra.Command{
		Use:   "submit ID [--reference REF] [--evidence DOCUMENT_ID]... [--submitted WHEN] [--keep-case-status]",
		Short: "Record a submission (or resubmission after a denial); the case then waits on the HOA",
		Example: `  hestami hoa approval submit $APPROVAL --reference ARC-2026-17 --evidence $APPLICATION_PDF
  hestami hoa approval submit $APPROVAL --keep-case-status    # leave the case's status as it is`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			in.ID = args[0]
			a, err := cmdutil.Call[hoa.Approval](cmd.Context(), f, "hoa/v1/submitApproval", in, cmdutil.Key(key))
			if err != nil {
				return err
			}
			return showApproval(f, a)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&key, "idempotency-key", "", cmdutil.KeyFlagHelp)
	fl.StringVar(&in.ReferenceNumber, "reference", "", "the HOA's reference number (kept when omitted)")
	fl.StringSliceVar(&in.EvidenceDocumentIDs, "evidence", nil, "a document added to the evidence (repeat)")
	cmdutil.TimeVar(fl, &in.SubmittedAt, "submitted", cmdutil.DayStart, "when it was submitted (default: now)")
	fl.BoolVar(&in.KeepCaseStatus, "keep-case-status", false, "do not move the case to PENDING_EXTERNAL")
	return cmd
}

func newApprovalDecide(f *factory.Factory) *cobra.Command {
	var in hoa.DecideApprovalInput
	var key string
	cmd := &cobra.Command{
		Use:   "decide ID --outcome OUTCOME [--conditions TEXT] [--expires WHEN] [--notes TEXT]",
		Short: "Record the HOA's decision; a case waiting on the HOA resumes (IN_PROGRESS)",
		Example: `  hestami hoa approval decide $APPROVAL --outcome APPROVED --expires 2026-12-31
  hestami hoa approval decide $APPROVAL --outcome APPROVED_WITH_CONDITIONS --conditions "use colour SW 6188" --evidence $LETTER
  hestami hoa approval decide $APPROVAL --outcome DENIED --notes "colour not on the palette"   # then: approval submit (resubmission)`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			in.ID = args[0]
			a, err := cmdutil.Call[hoa.Approval](cmd.Context(), f, "hoa/v1/decideApproval", in, cmdutil.Key(key))
			if err != nil {
				return err
			}
			return showApproval(f, a)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&key, "idempotency-key", "", cmdutil.KeyFlagHelp)
	cmdutil.EnumVar(cmd, &in.Outcome, "outcome", "", hoa.Outcomes, "the HOA's decision (required)")
	cmdutil.Required(cmd, "outcome")
	fl.StringVar(&in.Conditions, "conditions", "", "the conditions (required for APPROVED_WITH_CONDITIONS, refused otherwise)")
	cmdutil.TimeVar(fl, &in.ExpiresAt, "expires", cmdutil.DayEnd, "when the approval stops (approvals only; a date: valid through that day); it then reads as EXPIRED")
	cmdutil.TimeVar(fl, &in.DecidedAt, "decided", cmdutil.DayStart, "when the HOA decided (default: now)")
	fl.StringVar(&in.Notes, "notes", "", "what the HOA said")
	fl.StringVar(&in.ReferenceNumber, "reference", "", "the HOA's reference number (kept when omitted)")
	fl.StringSliceVar(&in.EvidenceDocumentIDs, "evidence", nil, "a document added to the evidence, e.g. the HOA's letter (repeat)")
	fl.BoolVar(&in.KeepCaseStatus, "keep-case-status", false, "leave the case waiting")
	return cmd
}

func newApprovalGet(f *factory.Factory) *cobra.Command {
	return &cobra.Command{
		Use:     "get ID",
		Example: "  hestami hoa approval list --case CASE-2026-2   # the approval ids\n  hestami hoa approval get $APPROVAL --json",
		Short:   "Show an approval, its status as of now",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := cmdutil.Call[hoa.Approval](cmd.Context(), f, "hoa/v1/getApproval", api.GetInput{ID: args[0]}, "")
			if err != nil {
				return err
			}
			return showApproval(f, a)
		},
	}
}

func newApprovalList(f *factory.Factory) *cobra.Command {
	var in hoa.ListApprovalsInput
	cmd := &cobra.Command{
		Use:   "list [--case CASE] [--context CONTEXT_ID] [--status STATUS]",
		Short: "List the HOA approvals you may see, newest first",
		Example: `  hestami hoa approval list --case CASE-2026-4
  hestami hoa approval list --status SUBMITTED,EXPIRED`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			page, err := cmdutil.Call[listing.Page[hoa.Approval]](cmd.Context(), f, "hoa/v1/listApprovals", in, "")
			if err != nil {
				return err
			}
			return cmdutil.PrintPage(f, page, "HOA approvals", []string{"ID", "CASE", "HOA", "TYPE", "STATUS", "SUBMITTED", "EXPIRES"},
				func(a hoa.Approval) []any {
					return []any{output.ID(a.ID), a.CaseNumber, a.ContextName, string(a.Type), output.State(a.Status), when(a.SubmittedAt), when(a.ExpiresAt)}
				})
		},
	}
	cmd.Flags().StringVar(&in.CaseID, "case", "", "only this case's (id or number)")
	cmd.Flags().StringVar(&in.ContextID, "context", "", "only this HOA context's")
	cmdutil.EnumSliceVar(cmd, &in.Status, "status", hoa.Statuses, "only these statuses, as of now")
	cmdutil.LimitVar(cmd.Flags(), &in.Limit)
	cmd.Flags().StringVar(&in.Cursor, "cursor", "", "continue after a previous page")
	return cmd
}
