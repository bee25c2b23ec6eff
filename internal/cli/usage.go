package cli

import (
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/hestami/concierge/internal/cli/cmdutil"
	"github.com/hestami/concierge/internal/cli/factory"
)

func usageError(cmd *cobra.Command, format string, args ...any) error {
	return cmdutil.UsageError(cmd, format, args...)
}

// enforceUsage makes every usage mistake in the tree under cmd a typed
// VALIDATION error:
//   - a leaf's argument validator (missing or extra arguments);
//   - a required flag left out (asked for on a terminal when the command
//     says how), before cobra's own untyped check;
//   - a procedure's invalid field that a flag set, named by the flag;
//   - a group called with an unknown subcommand, which cobra would answer
//     with the group's help and success for a group and an untyped error
//     for the root.
//
// A group called alone prints its help and succeeds, as gh and kubectl do:
// it is how people explore the tree, not a mistake.
func enforceUsage(cmd *cobra.Command) {
	if cmd.HasSubCommands() {
		cmd.Args = func(c *cobra.Command, args []string) error {
			if len(args) == 0 {
				return pflag.ErrHelp // cobra prints the help and returns success
			}
			return unknownCommand(c, args[0])
		}
		// Only a runnable command reaches its Args; ErrHelp above means this
		// never runs.
		cmd.RunE = func(c *cobra.Command, _ []string) error { return c.Help() }
		if !cmd.HasParent() {
			// Being runnable would add "hestami case [flags]" to the usage
			// of every group, as if it did something on its own.
			cmd.SetUsageTemplate(strings.Replace(cmd.UsageTemplate(), "Usage:{{if .Runnable}}",
				"Usage:{{if and .Runnable (not .HasAvailableSubCommands)}}", 1))
		}
		for _, sub := range cmd.Commands() {
			enforceUsage(sub)
		}
		return
	}
	validate := cmd.Args
	if validate == nil {
		validate = cobra.NoArgs
	}
	cmd.Args = func(c *cobra.Command, args []string) error {
		if err := validate(c, args); err != nil {
			return usageError(c, "%s", err)
		}
		return nil
	}
	preRun := cmd.PreRunE
	cmd.PreRunE = func(c *cobra.Command, args []string) error {
		if err := cmdutil.CheckRequired(c); err != nil {
			return err
		}
		if preRun != nil {
			return preRun(c, args)
		}
		return nil
	}
	if run := cmd.RunE; run != nil {
		cmd.RunE = func(c *cobra.Command, args []string) error {
			return cmdutil.NameFlags(c, run(c, args))
		}
	}
}

func unknownCommand(c *cobra.Command, name string) error {
	var valid []string
	for _, sub := range c.Commands() {
		if sub.IsAvailableCommand() {
			valid = append(valid, sub.Name())
		}
	}
	return usageError(c, "unknown command %q for %q; valid commands: %s", name, c.CommandPath(), strings.Join(valid, ", "))
}

// helpCommand replaces cobra's `help`, which prints "Unknown help topic" and
// succeeds.
func helpCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "help [command]",
		Short: "Help about any command",
		Args:  cobra.ArbitraryArgs,
		RunE: func(c *cobra.Command, args []string) error {
			target, rest, err := c.Root().Find(args)
			if err != nil || len(rest) > 0 {
				return usageError(c.Root(), "unknown help topic %q", strings.Join(args, " "))
			}
			return target.Help()
		},
	}
}

// completionExamples shows, in the help of cobra's generated `completion`
// commands, how to load the script in each shell.
func completionExamples(root *cobra.Command) {
	examples := map[string]string{
		"bash":       "  source <(hestami completion bash)\n  hestami completion bash > /etc/bash_completion.d/hestami",
		"zsh":        "  hestami completion zsh > \"${fpath[1]}/_hestami\"",
		"fish":       "  hestami completion fish > ~/.config/fish/completions/hestami.fish",
		"powershell": "  hestami completion powershell | Out-String | Invoke-Expression",
	}
	for _, c := range root.Commands() {
		if c.Name() != "completion" {
			continue
		}
		for _, sh := range c.Commands() {
			sh.Example = examples[sh.Name()]
		}
	}
}

// completeReferences gives every command the shell completion of what it
// refers to, by the convention of its names, so no command is left out: a
// first argument "ID|NUMBER" or "CASE" and a --case flag complete case
// numbers, a --property flag property ids (with names). Completions a
// command registered itself win.
func completeReferences(cmd *cobra.Command, f *factory.Factory) {
	for _, sub := range cmd.Commands() {
		completeReferences(sub, f)
	}
	if cmd.HasSubCommands() || !cmd.Runnable() {
		return
	}
	if fields := strings.Fields(cmd.Use); cmd.ValidArgsFunction == nil && len(fields) > 1 &&
		(fields[1] == "ID|NUMBER" || fields[1] == "CASE") {
		cmd.ValidArgsFunction = cmdutil.FirstArg(cmdutil.CompleteCases(f))
	}
	for flag, complete := range map[string]cobra.CompletionFunc{
		"case":     cmdutil.CompleteCases(f),
		"property": cmdutil.CompleteProperties(f),
	} {
		if cmd.Flags().Lookup(flag) == nil {
			continue
		}
		if _, ok := cmd.GetFlagCompletionFunc(flag); ok {
			continue
		}
		_ = cmd.RegisterFlagCompletionFunc(flag, complete)
	}
}
