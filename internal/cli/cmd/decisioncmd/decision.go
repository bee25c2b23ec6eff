// Package decisioncmd is `hestami decision`: the decision ledger
// (decision/v1/*). The ledger is append-only; these commands record, read,
// verify and export it, and verify an export offline.
package decisioncmd

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hestami/concierge/internal/api"
	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/cli/cmdutil"
	"github.com/hestami/concierge/internal/cli/factory"
	"github.com/hestami/concierge/internal/cli/output"
	"github.com/hestami/concierge/internal/decision"
	"github.com/hestami/concierge/internal/listing"
)

// NewCmd returns `hestami decision`.
func NewCmd(f *factory.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "decision",
		Short: "Record, read, verify and export the decision ledger",
		Long: `The decision ledger records who decided what and why: a mandatory rationale,
the options considered (pros, cons, which was chosen), the evidence (cases,
notes, other decisions), the actor and the authority used (roles, and the
delegation grant for a delegated agent).

It is append-only: nothing is ever updated or deleted. An outcome, a
correction or a supersession is a new entry referring to the earlier one
(--refers-to ID --relation OUTCOME|CORRECTION|SUPERSESSION).

Each organization's entries are numbered and hash-chained; "verify"
recomputes the chain and names the first entry that breaks it, "export"
writes a file that "verify --file" checks with no database.

The owner side sees each decision's summary, rationale, options and
evidence; concierge staff also see the internal audit detail
(--audit-detail, staff only) and staff-only evidence (internal notes).

Categories: ` + strings.Join(decision.Categories.Strings(), ", ") + `.`,
		Example: `  hestami decision record --case CASE-2026-1 --category VENDOR_SELECTION --title "Painter for the fence" \
    --summary "Austin Fences: cheaper and available before the HOA deadline" \
    --rationale "Lowest quote, starts Monday, uses the HOA-approved color" \
    --option "Austin Fences|+1200.00 USD|+starts Monday|-new to us" --option "Oak Painters|+known|-1900.00 USD" \
    --chosen "Austin Fences" --evidence CASE:$CASE_ID
  hestami decision list --case CASE-2026-1
  hestami decision show $DECISION
  hestami decision verify
  hestami decision export --out ledger.jsonl && hestami decision verify --file ledger.jsonl`,
	}
	cmd.AddCommand(newRecord(f), newList(f), newShow(f), newVerify(f), newExport(f))
	return cmd
}

func show(f *factory.Factory, d decision.Decision) error {
	return cmdutil.Print(f, d, func() {
		pairs := []any{"id", d.ID, "sequence", fmt.Sprint(d.Sequence), "category", string(d.Category), "title", d.Title,
			"summary", d.Summary, "rationale", d.Rationale, "case", deref(d.CaseID), "property", deref(d.PropertyID),
			"recorded", output.Time(d.RecordedAt), "actor", d.ActorID + " (" + d.ActorKind + ")",
			"authority", authorityOf(d)}
		if d.RefersTo != nil {
			pairs = append(pairs, "refers to", string(*d.Relation)+" of "+*d.RefersTo)
		}
		for i, o := range d.Options {
			mark := ""
			if o.Chosen {
				mark = " (chosen)"
			}
			pairs = append(pairs, fmt.Sprintf("option %d", i+1), o.Label+mark+prosCons(o))
		}
		for i, e := range d.Evidence {
			pairs = append(pairs, fmt.Sprintf("evidence %d", i+1), string(e.Kind)+" "+e.ID)
		}
		if d.Audit != nil {
			pairs = append(pairs, "audit detail", d.Audit.Detail)
			for i, e := range d.Audit.Evidence {
				pairs = append(pairs, fmt.Sprintf("internal evidence %d", i+1), string(e.Kind)+" "+e.ID)
			}
		}
		pairs = append(pairs, "hash", d.Hash, "previous hash", d.PrevHash)
		cmdutil.Fields(f, pairs...)
	})
}

func prosCons(o decision.Option) string {
	var parts []string
	for _, p := range o.Pros {
		parts = append(parts, "+ "+p)
	}
	for _, c := range o.Cons {
		parts = append(parts, "- "+c)
	}
	if len(parts) == 0 {
		return ""
	}
	return ": " + strings.Join(parts, "; ")
}

func authorityOf(d decision.Decision) string {
	s := strings.Join(d.Authority.Roles, ",")
	if d.Authority.DelegationID != nil {
		s += " under delegation " + *d.Authority.DelegationID
	}
	return s
}

func deref(s *string) string {
	if s == nil {
		return "-"
	}
	return *s
}

// parseOption reads "LABEL|+pro|-con|…".
func parseOption(s string) (decision.Option, error) {
	parts := strings.Split(s, "|")
	o := decision.Option{Label: strings.TrimSpace(parts[0])}
	for _, p := range parts[1:] {
		p = strings.TrimSpace(p)
		switch {
		case strings.HasPrefix(p, "+"):
			o.Pros = append(o.Pros, strings.TrimSpace(p[1:]))
		case strings.HasPrefix(p, "-"):
			o.Cons = append(o.Cons, strings.TrimSpace(p[1:]))
		default:
			return o, fmt.Errorf(`option %q: after the label, each part is "+pro" or "-con"`, s)
		}
	}
	return o, nil
}

func usage(format string, args ...any) error {
	return apperr.New(apperr.Validation, format, args...)
}

func newRecord(f *factory.Factory) *cobra.Command {
	var in decision.RecordInput
	var key, chosen, file string
	var options, evidence []string
	cmd := &cobra.Command{
		Use:   "record --category CATEGORY --title TITLE --summary TEXT --rationale TEXT [flags] | record --input FILE",
		Short: "Record a decision (append-only): rationale, options, evidence, the authority used",
		Long: `Record a decision in the organization's ledger. --rationale is required.
Options are "LABEL|+pro|-con|…" (repeat --option); --chosen names the one
chosen (at most one). Evidence is KIND:ID (repeat --evidence), each checked
to exist in the organization; kinds that can be cited today: CASE, NOTE,
DECISION. --input FILE (or - for stdin) reads the whole decision as JSON
(decision/v1/record's input) instead of flags.`,
		Example: `  hestami decision record --case CASE-2026-1 --category APPROVAL --title "Repaint approved" \
    --summary "The HOA approved the color" --rationale "Letter received 2026-06-01" --evidence CASE:$CASE_ID
  hestami decision record --refers-to $DECISION --relation OUTCOME --category RESOLUTION \
    --title "Fence repainted" --summary "Done on the 28th" --rationale "Vendor finished, HOA inspected"
  hestami decision record --input decision.json --idempotency-key d-42`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if file != "" {
				var r io.Reader = cmd.InOrStdin()
				if file != "-" {
					fh, err := os.Open(file)
					if err != nil {
						return usage("--input: %v", err)
					}
					defer fh.Close()
					r = fh
				}
				dec := json.NewDecoder(r)
				dec.DisallowUnknownFields()
				if err := dec.Decode(&in); err != nil {
					return usage("--input %s is not a decision: %v", file, err)
				}
			}
			for _, s := range options {
				o, err := parseOption(s)
				if err != nil {
					return usage("%v", err)
				}
				o.Chosen = chosen != "" && o.Label == chosen
				in.Options = append(in.Options, o)
			}
			if chosen != "" && !hasChosen(in.Options) {
				return usage("--chosen %q is none of the --option labels", chosen)
			}
			for _, s := range evidence {
				k, id, ok := strings.Cut(s, ":")
				if !ok || !decision.EvidenceKinds.Contains(strings.ToUpper(k)) {
					return usage("--evidence %q: want KIND:ID, KIND one of %s", s, decision.EvidenceKinds.Help())
				}
				in.Evidence = append(in.Evidence, decision.Evidence{Kind: decision.EvidenceKind(strings.ToUpper(k)), ID: id})
			}
			d, err := cmdutil.Call[decision.Decision](cmd.Context(), f, "decision/v1/record", in, cmdutil.Key(key))
			if err != nil {
				return err
			}
			return show(f, d)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&key, "idempotency-key", "", cmdutil.KeyFlagHelp)
	fl.StringVar(&file, "input", "", "read the decision as JSON from FILE (- for stdin)")
	cmdutil.EnumVar(cmd, &in.Category, "category", "", decision.Categories, "what kind of decision (required)")
	fl.StringVar(&in.CaseID, "case", "", "the case it belongs to (id or number)")
	fl.StringVar(&in.PropertyID, "property", "", "the property it concerns (default: the case's)")
	fl.StringVar(&in.Title, "title", "", "a one-line title (required)")
	fl.StringVar(&in.Summary, "summary", "", "the human-readable summary the owner side reads (required)")
	fl.StringVar(&in.Rationale, "rationale", "", "why (required)")
	fl.StringArrayVar(&options, "option", nil, `an option considered: "LABEL|+pro|-con|…" (repeat)`)
	fl.StringVar(&chosen, "chosen", "", "the label of the option chosen")
	fl.StringArrayVar(&evidence, "evidence", nil, "KIND:ID of a record it rests on (repeat)")
	fl.StringVar(&in.AuditDetail, "audit-detail", "", "internal audit detail (concierge staff only; never shown to the owner side)")
	fl.StringVar(&in.RefersTo, "refers-to", "", "an earlier entry this one concerns (with --relation)")
	cmdutil.EnumVar(cmd, &in.Relation, "relation", "", decision.Relations, "how it concerns --refers-to")
	return cmd
}

func hasChosen(list []decision.Option) bool {
	for _, o := range list {
		if o.Chosen {
			return true
		}
	}
	return false
}

func newList(f *factory.Factory) *cobra.Command {
	var in decision.ListInput
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "List the ledger entries you may see, newest first",
		Example: `  hestami decision list --case CASE-2026-1 --category VENDOR_SELECTION,COST_AUTHORIZATION`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			page, err := cmdutil.Call[listing.Page[decision.Decision]](cmd.Context(), f, "decision/v1/list", in, "")
			if err != nil {
				return err
			}
			return cmdutil.PrintPage(f, page, "decisions", []string{"SEQ", "ID", "RECORDED", "CATEGORY", "TITLE", "ACTOR", "AUTHORITY"},
				func(d decision.Decision) []any {
					return []any{fmt.Sprint(d.Sequence), output.ID(d.ID), output.Time(d.RecordedAt), string(d.Category), d.Title,
						d.ActorID, authorityOf(d)}
				})
		},
	}
	cmd.Flags().StringVar(&in.CaseID, "case", "", "only this case's (id or number)")
	cmd.Flags().StringVar(&in.PropertyID, "property", "", "only this property's")
	cmd.Flags().StringVar(&in.RefersTo, "refers-to", "", "only the entries referring to this one (its outcomes, corrections, supersessions)")
	cmdutil.EnumSliceVar(cmd, &in.Category, "category", decision.Categories, "only these categories")
	cmdutil.LimitVar(cmd.Flags(), &in.Limit)
	cmd.Flags().StringVar(&in.Cursor, "cursor", "", "continue after a previous page")
	return cmd
}

func newShow(f *factory.Factory) *cobra.Command {
	return &cobra.Command{
		Use:     "show ID",
		Short:   "Show one ledger entry (with its audit detail, for concierge staff)",
		Example: `  hestami decision show $DECISION --json`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			d, err := cmdutil.Call[decision.Decision](cmd.Context(), f, "decision/v1/get", api.GetInput{ID: args[0]}, "")
			if err != nil {
				return err
			}
			return show(f, d)
		},
	}
}

func newVerify(f *factory.Factory) *cobra.Command {
	var file string
	cmd := &cobra.Command{
		Use:   "verify [--file FILE]",
		Short: "Recompute the hash chain (of the organization, or of an export file offline)",
		Long: `Without --file: recompute the active organization's chain in the database.
With --file: check an export written by "hestami decision export" with no
database and no credentials: its header, every entry's link and hash, each
audit part against its digest, and that the file ends at the head its
header names.

A broken chain prints the first broken entry (sequence number, id, why) and
exits 7; a file that is no export exits 2. Deleting the newest entries
leaves a shorter valid chain: compare the head printed with one you noted.`,
		Example: `  hestami decision verify
  hestami decision verify --file ledger.jsonl --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var r decision.Report
			var err error
			if file != "" {
				r, err = verifyFile(file)
			} else {
				r, err = cmdutil.Call[decision.Report](cmd.Context(), f, "decision/v1/verify", decision.VerifyInput{}, "")
			}
			if err != nil {
				return err
			}
			if err := cmdutil.Print(f, r, func() {
				status := "valid"
				if !r.Valid {
					status = "BROKEN"
				}
				cmdutil.Fields(f, "chain", output.State(status), "organization", r.OrganizationID, "entries verified", fmt.Sprint(r.Entries),
					"head", fmt.Sprintf("%d %s", r.HeadSequence, r.HeadHash))
			}); err != nil {
				return err
			}
			if b := r.FirstBroken; b != nil {
				id := b.ID
				if id == "" {
					id = "-"
				}
				return apperr.New(apperr.Conflict, "the chain breaks at entry %d (id %s): %s", b.Sequence, id, b.Reason)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&file, "file", "", "verify this export file offline (no database)")
	return cmd
}

func verifyFile(name string) (decision.Report, error) {
	fh, err := os.Open(name)
	if err != nil {
		return decision.Report{}, usage("--file: %v", err)
	}
	defer fh.Close()
	r, err := decision.VerifyExport(fh)
	if err != nil {
		return r, usage("%s: %v", name, err)
	}
	return r, nil
}

func newExport(f *factory.Factory) *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "export --out FILE",
		Short: "Write the organization's ledger to a file that verifies offline",
		Long: `Write the active organization's whole ledger as JSON lines: a header
(format, encoding version, organization, head sequence and hash), then one
entry per line with its hash. Concierge staff's exports include each
entry's audit part; the owner side's carry only its digest, and verify all
the same. Check the file with "hestami decision verify --file FILE".`,
		Example: `  hestami decision export --out ledger.jsonl`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return usage("--out FILE is required")
			}
			// Written beside the target and renamed: a failed export never
			// leaves a partial file under the name asked for.
			tmp, err := os.CreateTemp(filepath.Dir(out), ".decision-export-*")
			if err != nil {
				return usage("--out: %v", err)
			}
			defer os.Remove(tmp.Name())
			h, err := decision.WriteExport(tmp, func(after, through int64) (decision.ExportPage, error) {
				return cmdutil.Call[decision.ExportPage](cmd.Context(), f, "decision/v1/export",
					decision.ExportInput{After: after, Through: through}, "")
			})
			if cerr := tmp.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
			if err := os.Rename(tmp.Name(), out); err != nil {
				return err
			}
			return cmdutil.Print(f, h, func() {
				audit := "not included (digests only)"
				if h.Audit {
					audit = "included"
				}
				cmdutil.Fields(f, "exported", out, "entries", fmt.Sprint(h.HeadSequence),
					"head", fmt.Sprintf("%d %s", h.HeadSequence, h.HeadHash), "audit part", audit)
			})
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "the file to write (required)")
	return cmd
}
