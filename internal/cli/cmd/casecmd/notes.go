package casecmd

import (
	"github.com/spf13/cobra"

	"github.com/hestami/concierge/internal/cases"
	"github.com/hestami/concierge/internal/cli/cmdutil"
	"github.com/hestami/concierge/internal/cli/factory"
	"github.com/hestami/concierge/internal/cli/output"
	"github.com/hestami/concierge/internal/listing"
)

// newNoteCommands returns `hestami case note`, `clarify` and `answer`.
func newNoteCommands(f *factory.Factory) []*cobra.Command {
	note := &cobra.Command{Use: "note", Short: "Add and read the notes of a case (internal notes are concierge-only)"}
	note.AddCommand(newNoteAdd(f), newNoteList(f))
	return []*cobra.Command{note,
		newClarify(f, "clarify", "Ask the owner a question and move the case to PENDING_OWNER (staff)", "case/v1/requestClarification",
			`  hestami case clarify CASE-2026-3 "Which window is leaking?"`),
		newClarify(f, "answer", "Answer the open question and move the case back to IN_PROGRESS (owner side)", "case/v1/answerClarification",
			`  hestami case answer CASE-2026-3 "The bedroom one"`),
	}
}

func printNote(f *factory.Factory, n cases.Note) error {
	return cmdutil.Print(f, n, func() {
		cmdutil.Fields(f, "id", n.ID, "case", n.CaseID, "audience", string(n.Audience), "kind", string(n.Kind),
			"by", n.AuthorID, "at", output.Time(n.CreatedAt), "text", n.Text)
	})
}

func newNoteAdd(f *factory.Factory) *cobra.Command {
	var in cases.AddNoteInput
	var key string
	cmd := &cobra.Command{
		Use:   "add ID|NUMBER TEXT",
		Short: "Add a note to a case that is not closed or cancelled",
		Long: `Add a note to a case. INTERNAL notes are for the concierge team only and are
never shown to the owner side; SHARED notes are seen by everyone on the case.
Owners may add SHARED notes only.`,
		Example:           `  hestami case note add CASE-2026-3 "Called the roofer" --audience INTERNAL`,
		Args:              cobra.RangeArgs(1, 2),
		ValidArgsFunction: cmdutil.FirstArg(cmdutil.CompleteCases(f)),
		RunE: func(cmd *cobra.Command, args []string) error {
			text, err := cmdutil.ArgOrPrompt(cmd, args, 1, "TEXT", "Note")
			if err != nil {
				return err
			}
			in.CaseID, in.Text = args[0], text
			n, err := cmdutil.Call[cases.Note](cmd.Context(), f, "case/v1/addNote", in, cmdutil.Key(key))
			if err != nil {
				return err
			}
			return printNote(f, n)
		},
	}
	// No default (the input schema requires it): who may read a note is
	// decided by its writer, never by an omission.
	cmdutil.EnumVar(cmd, &in.Audience, "audience", "", cases.Audiences, "who may read it (required)")
	cmdutil.EnumVar(cmd, &in.Kind, "kind", cases.General, cases.NoteKinds, "what the note is for (clarifications: use clarify and answer)")
	cmd.Flags().StringVar(&key, "idempotency-key", "", cmdutil.KeyFlagHelp)
	cmdutil.Required(cmd, "audience")
	return cmd
}

func newNoteList(f *factory.Factory) *cobra.Command {
	var in cases.ListNotesInput
	cmd := &cobra.Command{
		Use:   "list ID|NUMBER",
		Short: "List the notes of a case you may read, oldest first",
		Example: `  hestami case note list CASE-2026-1
  hestami case note list CASE-2026-1 --limit 5 --json`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: cmdutil.FirstArg(cmdutil.CompleteCases(f)),
		RunE: func(cmd *cobra.Command, args []string) error {
			in.CaseID = args[0]
			page, err := cmdutil.Call[listing.Page[cases.Note]](cmd.Context(), f, "case/v1/listNotes", in, "")
			if err != nil {
				return err
			}
			return cmdutil.PrintPage(f, page, "notes", []string{"WHEN", "AUDIENCE", "KIND", "BY", "TEXT", "ID"},
				func(n cases.Note) []any {
					return []any{output.Time(n.CreatedAt), string(n.Audience), string(n.Kind), n.AuthorID, n.Text, output.ID(n.ID)}
				})
		},
	}
	cmdutil.LimitVar(cmd.Flags(), &in.Limit)
	cmd.Flags().StringVar(&in.Cursor, "cursor", "", "continue after a previous page")
	return cmd
}

func newClarify(f *factory.Factory, use, short, procedure, example string) *cobra.Command {
	var key string
	cmd := &cobra.Command{
		Use:               use + " ID|NUMBER TEXT",
		Short:             short,
		Example:           example,
		Args:              cobra.RangeArgs(1, 2),
		ValidArgsFunction: cmdutil.FirstArg(cmdutil.CompleteCases(f)),
		RunE: func(cmd *cobra.Command, args []string) error {
			text, err := cmdutil.ArgOrPrompt(cmd, args, 1, "TEXT", "Text")
			if err != nil {
				return err
			}
			out, err := cmdutil.Call[cases.Clarification](cmd.Context(), f, procedure,
				cases.ClarifyInput{ID: args[0], Text: text}, cmdutil.Key(key))
			if err != nil {
				return err
			}
			return cmdutil.Print(f, out, func() {
				cmdutil.Fields(f, "case", out.Case.Number, "status", output.State(out.Case.Status), "note", out.Note.ID,
					"kind", string(out.Note.Kind), "text", out.Note.Text)
			})
		},
	}
	cmd.Flags().StringVar(&key, "idempotency-key", "", cmdutil.KeyFlagHelp)
	return cmd
}
