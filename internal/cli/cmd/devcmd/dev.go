// Package devcmd is `hestami dev`.
package devcmd

import (
	"fmt"
	"sort"

	"github.com/spf13/cobra"

	"github.com/hestami/concierge/internal/cli/cmdutil"
	"github.com/hestami/concierge/internal/cli/factory"
	"github.com/hestami/concierge/internal/demo"
)

// NewCmd returns `hestami dev`.
func NewCmd(f *factory.Factory) *cobra.Command {
	cmd := &cobra.Command{Use: "dev", Short: "Developer tools"}
	cmd.AddCommand(&cobra.Command{
		Use:     "seed",
		Example: "  hestami dev seed\n  hestami dev seed --json > bin/demo-seed.json   # every demo id and fresh tokens",
		Short:   "Load the demo dataset (safe to repeat) and print its ids and fresh demo tokens",
		Long: `Load a demo dataset through the domain layer: a platform operator with a lead,
a staff member and an admin; an individual owner and a family trust, both
engaging the operator, each with properties and cases in several states; and
an owner that has not engaged the operator (staff see nothing of it).
Running it again reuses what exists and prints new demo tokens.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := f.App(cmd.Context(), true)
			if err != nil {
				return err
			}
			r, err := demo.Seed(cmd.Context(), demo.Services{Identity: s.Identity, Property: s.Property, Ownership: s.Ownership, Cases: s.Cases})
			if err != nil {
				return err
			}
			return cmdutil.Print(f, r, func() {
				keys := make([]string, 0, len(r.Organizations))
				for k := range r.Organizations {
					keys = append(keys, k)
				}
				sort.Strings(keys)
				rows := [][]any{}
				for _, k := range keys {
					rows = append(rows, []any{"org", k, r.Organizations[k]})
				}
				emails := make([]string, 0, len(r.Users))
				for e := range r.Users {
					emails = append(emails, e)
				}
				sort.Strings(emails)
				for _, e := range emails {
					rows = append(rows, []any{"user", e + " (" + r.Users[e].Role + ")", r.Users[e].ID})
				}
				for _, c := range r.Cases {
					rows = append(rows, []any{"case", c.Number + " " + c.Status, c.Title})
				}
				cmdutil.Table(f, []string{"KIND", "NAME", "ID"}, rows)
				fmt.Fprintln(f.ErrOut, "demo tokens: hestami dev seed --json")
			})
		},
	})
	return cmd
}
