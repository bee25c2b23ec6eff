package cmdutil

import (
	"context"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hestami/concierge/internal/api"
	"github.com/hestami/concierge/internal/cases"
	"github.com/hestami/concierge/internal/cli/factory"
	"github.com/hestami/concierge/internal/config"
	"github.com/hestami/concierge/internal/listing"
	"github.com/hestami/concierge/internal/property"
)

// CompletionTimeout bounds the calls one completion makes: a shell waits on
// it at every tab, so a slow database or server means no suggestions, not a
// frozen prompt. A local completion starts the PDP and opens the database
// first (3–5 s on a 2-core machine), which 3 s did not cover: it never
// suggested anything locally.
const CompletionTimeout = 8 * time.Second

// Suggest builds a completion function from suggest, which reads what it
// needs through f within ctx. The shell never sees an error or a hang: a
// failure, a panic or the timeout gives no suggestions (and no file names).
// Suggestions are "value\tdescription"; those not starting with what was
// typed are dropped.
func Suggest(f *factory.Factory, suggest func(ctx context.Context, cmd *cobra.Command, args []string) ([]string, error)) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		none := cobra.ShellCompDirectiveNoFileComp
		// Warnings from starting the database or PDP would land in the
		// shell's line; completion runs without the root's setup.
		f.ErrOut = io.Discard
		configFile := ""
		if fl := cmd.Flag("config"); fl != nil {
			configFile = fl.Value.String()
		}
		if config.ReadFile(f.Viper, configFile) != nil {
			return nil, none
		}
		parent := cmd.Context()
		if parent == nil {
			parent = context.Background()
		}
		ctx, cancel := context.WithTimeout(parent, CompletionTimeout)
		defer cancel()
		done := make(chan []string, 1)
		go func() {
			defer func() {
				if recover() != nil {
					done <- nil
				}
			}()
			out, err := suggest(ctx, cmd, args)
			if err != nil {
				out = nil
			}
			done <- out
		}()
		var all []string
		select {
		case all = <-done:
		case <-ctx.Done():
			return nil, none
		}
		var out []cobra.Completion
		for _, s := range all {
			if strings.HasPrefix(s, toComplete) {
				out = append(out, s)
			}
		}
		return out, none
	}
}

// FirstArg restricts a completion to the first positional argument.
func FirstArg(fn cobra.CompletionFunc) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return fn(cmd, args, toComplete)
	}
}

// CompleteCases suggests the case numbers the caller may see, most urgent
// first, each described by its status and title.
func CompleteCases(f *factory.Factory) cobra.CompletionFunc {
	return Suggest(f, func(ctx context.Context, _ *cobra.Command, _ []string) ([]string, error) {
		page, err := Call[listing.Page[cases.Case]](ctx, f, "case/v1/list",
			cases.ListInput{Sort: "URGENCY", Limit: listing.MaxLimit}, "")
		if err != nil {
			return nil, err
		}
		out := make([]string, 0, len(page.Items))
		for _, c := range page.Items {
			out = append(out, c.Number+"\t"+oneLine(string(c.Status)+": "+c.Title))
		}
		return out, nil
	})
}

// CompleteProperties suggests the property ids the caller may see, each
// described by its name.
func CompleteProperties(f *factory.Factory) cobra.CompletionFunc {
	return Suggest(f, func(ctx context.Context, _ *cobra.Command, _ []string) ([]string, error) {
		page, err := Call[listing.Page[property.Property]](ctx, f, "property/v1/list", property.ListInput{Limit: listing.MaxLimit}, "")
		if err != nil {
			return nil, err
		}
		out := make([]string, 0, len(page.Items))
		for _, p := range page.Items {
			out = append(out, p.ID+"\t"+oneLine(p.Name))
		}
		return out, nil
	})
}

// CompleteNextStatuses suggests, for `case update-status CASE --to`, the
// statuses the case can move to from the one it is in now.
func CompleteNextStatuses(f *factory.Factory) cobra.CompletionFunc {
	return Suggest(f, func(ctx context.Context, _ *cobra.Command, args []string) ([]string, error) {
		if len(args) == 0 {
			return cases.Statuses.Strings(), nil
		}
		c, err := Call[cases.Case](ctx, f, "case/v1/get", api.GetInput{ID: args[0]}, "")
		if err != nil {
			return nil, err
		}
		var out []string
		for _, s := range nextStatuses(c) {
			out = append(out, string(s))
		}
		return out, nil
	})
}

// nextStatuses offers the moves case/v1/get says this caller may make now
// (the state machine filtered by the PDP and the case's own rules). A
// case read without them (nil) falls back to the state machine alone,
// which may offer moves the caller is then refused.
func nextStatuses(c cases.Case) []cases.Status {
	if c.AllowedTransitions != nil {
		return c.AllowedTransitions
	}
	return cases.Transitions[c.Status]
}

// oneLine keeps a description on one line: a tab or newline would split
// the shell's suggestion.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
