package casecmd

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hestami/concierge/internal/cases"
	"github.com/hestami/concierge/internal/cli/cmdutil"
	"github.com/hestami/concierge/internal/cli/factory"
	"github.com/hestami/concierge/internal/cli/output"
)

// newParticipant returns `hestami case participant add|list|remove`.
func newParticipant(f *factory.Factory) *cobra.Command {
	cmd := &cobra.Command{Use: "participant", Short: "Who takes part in a case: users and external contacts, each with a role"}
	cmd.AddCommand(newParticipantAdd(f), newParticipantList(f), newParticipantRemove(f))
	return cmd
}

func printParticipant(f *factory.Factory, p cases.Participant) error {
	return cmdutil.Print(f, p, func() {
		pairs := []any{"id", p.ID, "case", p.CaseID, "role", string(p.Role), "name", p.Name}
		if p.UserID != nil {
			pairs = append(pairs, "user", *p.UserID)
		}
		for _, kv := range [][2]string{{"email", p.Email}, {"phone", p.Phone}, {"organization", p.OrganizationName}} {
			if kv[1] != "" {
				pairs = append(pairs, kv[0], kv[1])
			}
		}
		cmdutil.Fields(f, pairs...)
	})
}

// contact is an external contact's details in one cell.
func contact(p cases.Participant) string {
	var parts []string
	for _, s := range []string{p.OrganizationName, p.Email, p.Phone} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	if p.UserID != nil {
		parts = append(parts, "user "+*p.UserID)
	}
	return strings.Join(parts, ", ")
}

func newParticipantAdd(f *factory.Factory) *cobra.Command {
	var in cases.AddParticipantInput
	var key string
	cmd := &cobra.Command{
		Use:   "add ID|NUMBER",
		Short: "Add a user (--user) or an external contact (--name) to a case, with a role (staff)",
		Long: `Add a participant to a case that is not closed or cancelled: a user (--user, a
member of the case's organization or concierge staff of its operator) or an
external contact (--name, with --email, --phone, --organization as known).
The same user in the same role twice is refused (CONFLICT).`,
		Example: `  hestami case participant add CASE-2026-3 --role VENDOR_CONTACT --name "Sam Ortiz" --organization "Austin Fences" --phone "+1 512 555 0100"
  hestami case participant add CASE-2026-3 --role OWNER_CONTACT --user 6f1c…`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: cmdutil.FirstArg(cmdutil.CompleteCases(f)),
		RunE: func(cmd *cobra.Command, args []string) error {
			in.CaseID = args[0]
			p, err := cmdutil.Call[cases.Participant](cmd.Context(), f, "case/v1/addParticipant", in, cmdutil.Key(key))
			if err != nil {
				return err
			}
			return printParticipant(f, p)
		},
	}
	fl := cmd.Flags()
	cmdutil.EnumVar(cmd, &in.Role, "role", "", cases.ParticipantRoles, "the participant's role on the case (required)")
	fl.StringVar(&in.UserID, "user", "", "a user id (or give --name)")
	fl.StringVar(&in.Name, "name", "", "an external contact's name")
	fl.StringVar(&in.Email, "email", "", "the contact's e-mail")
	fl.StringVar(&in.Phone, "phone", "", "the contact's phone")
	fl.StringVar(&in.OrganizationName, "organization", "", "the contact's company, HOA or agency")
	fl.StringVar(&key, "idempotency-key", "", cmdutil.KeyFlagHelp)
	cmdutil.Required(cmd, "role")
	cmdutil.FieldFlags(cmd, map[string]string{"userId": "user", "organizationName": "organization"})
	return cmd
}

func newParticipantList(f *factory.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "list ID|NUMBER",
		Short: "List the participants of a case, in the order they were added",
		Example: `  hestami case participant list CASE-2026-1
  hestami case participant list CASE-2026-1 --json`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: cmdutil.FirstArg(cmdutil.CompleteCases(f)),
		RunE: func(cmd *cobra.Command, args []string) error {
			out, err := cmdutil.Call[cases.Participants](cmd.Context(), f, "case/v1/listParticipants", cases.ListParticipantsInput{CaseID: args[0]}, "")
			if err != nil {
				return err
			}
			return cmdutil.Print(f, out, func() {
				if len(out.Items) == 0 {
					fmt.Fprintln(f.ErrOut, "no participants")
					return
				}
				rows := make([][]any, 0, len(out.Items))
				for _, p := range out.Items {
					rows = append(rows, []any{string(p.Role), p.Name, contact(p), output.ID(p.ID)})
				}
				_ = cmdutil.Table(f, []string{"ROLE", "NAME", "CONTACT", "ID"}, rows)
			})
		},
	}
}

func newParticipantRemove(f *factory.Factory) *cobra.Command {
	var key string
	var yes bool
	cmd := &cobra.Command{
		Use:   "remove PARTICIPANT_ID",
		Short: "Take a participant off a case that is not closed or cancelled (staff; asks first)",
		Example: `  hestami case participant list CASE-2026-1        # the participant ids
  hestami case participant remove 9a7d3e52-… --yes`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cmdutil.Confirm(cmd, yes, "Remove participant "+args[0]+" from the case?"); err != nil {
				return err
			}
			p, err := cmdutil.Call[cases.Participant](cmd.Context(), f, "case/v1/removeParticipant", cases.RemoveParticipantInput{ID: args[0]}, cmdutil.Key(key))
			if err != nil {
				return err
			}
			return printParticipant(f, p)
		},
	}
	cmd.Flags().StringVar(&key, "idempotency-key", "", cmdutil.KeyFlagHelp)
	cmdutil.YesFlag(cmd, &yes)
	return cmd
}
