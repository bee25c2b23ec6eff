// Package cli assembles the hestami command tree. Commands adapt the domain
// layer to a terminal; they decide nothing.
package cli

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/hestami/concierge/internal/cli/cmd/apicmd"
	"github.com/hestami/concierge/internal/cli/cmd/authcmd"
	"github.com/hestami/concierge/internal/cli/cmd/casecmd"
	"github.com/hestami/concierge/internal/cli/cmd/configcmd"
	"github.com/hestami/concierge/internal/cli/cmd/dbcmd"
	"github.com/hestami/concierge/internal/cli/cmd/decisioncmd"
	"github.com/hestami/concierge/internal/cli/cmd/delegationcmd"
	"github.com/hestami/concierge/internal/cli/cmd/devcmd"
	"github.com/hestami/concierge/internal/cli/cmd/doccmd"
	"github.com/hestami/concierge/internal/cli/cmd/hoacmd"
	"github.com/hestami/concierge/internal/cli/cmd/importcmd"
	"github.com/hestami/concierge/internal/cli/cmd/intentcmd"
	"github.com/hestami/concierge/internal/cli/cmd/membercmd"
	"github.com/hestami/concierge/internal/cli/cmd/migratecmd"
	"github.com/hestami/concierge/internal/cli/cmd/orgcmd"
	"github.com/hestami/concierge/internal/cli/cmd/portfoliocmd"
	"github.com/hestami/concierge/internal/cli/cmd/propertycmd"
	"github.com/hestami/concierge/internal/cli/cmd/queuecmd"
	"github.com/hestami/concierge/internal/cli/cmd/servecmd"
	"github.com/hestami/concierge/internal/cli/cmd/tokencmd"
	"github.com/hestami/concierge/internal/cli/cmd/usercmd"
	"github.com/hestami/concierge/internal/cli/cmd/vendorcmd"
	"github.com/hestami/concierge/internal/cli/cmd/versioncmd"
	"github.com/hestami/concierge/internal/cli/factory"
	"github.com/hestami/concierge/internal/cli/output"
	"github.com/hestami/concierge/internal/config"
	"github.com/hestami/concierge/internal/telemetry"
	"github.com/hestami/concierge/internal/version"
)

// flagKeys binds global flags to configuration keys.
var flagKeys = map[string]string{
	"data-dir":     "data_dir",
	"org":          "org",
	"as":           "as",
	"token":        "token",
	"server":       "server",
	"trace-stdout": "telemetry.stdout",
}

// NewRoot builds the command tree over f.
func NewRoot(f *factory.Factory) *cobra.Command {
	var configFile string
	var shutdownTracing func(context.Context) error
	root := &cobra.Command{
		Use:   "hestami",
		Short: "Hestami concierge: run property owners' requests end to end",
		Long: `Hestami concierge lets a concierge company run property owners' requests end to
end: properties, owners and delegated authority, concierge cases with a durable
lifecycle, and an audit trail of every change.

Every command that reads or changes tenant data acts as an explicit user
(--token, or --as USER for operators) in an explicit active organization
(--org), authorized by the Cerbos PDP and isolated by PostgreSQL row-level
security, exactly as API calls are.

A usage mistake (unknown command or flag, a bad flag value, missing or extra
arguments) exits 2. A command group run without a subcommand, such as
"hestami case", prints its help and exits 0, as --help does. Every exit code:
"hestami help exit-codes".`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if cmd.Name() == cobra.ShellCompRequestCmd || cmd.Name() == cobra.ShellCompNoDescRequestCmd {
				// Its flags (--token, --org, --config) are parsed only later, for
				// the command being completed: configuration read now would
				// ignore them (cmdutil.Suggest reads it then).
				return nil
			}
			if err := checkJSONFlags(cmd, f); err != nil {
				return err
			}
			if err := config.ReadFile(f.Viper, configFile); err != nil {
				return err
			}
			cfg, err := f.Config()
			if err != nil {
				return err
			}
			shutdownTracing, err = telemetry.Setup(cmd.Context(), cfg.Telemetry.Stdout, f.ErrOut, version.Version)
			return err
		},
		PersistentPostRun: func(cmd *cobra.Command, _ []string) {
			if shutdownTracing != nil {
				_ = shutdownTracing(context.WithoutCancel(cmd.Context()))
			}
		},
	}
	pf := root.PersistentFlags()
	pf.StringVar(&configFile, "config", "", "config file (default $XDG_CONFIG_HOME/hestami/config.yaml)")
	pf.String("data-dir", "", "where local state lives: embedded database, PDP socket (env HESTAMI_DATA_DIR)")
	pf.String("org", "", "active organization id (env HESTAMI_ORG)")
	pf.String("as", "", "act as this user id or e-mail; operators only (env HESTAMI_AS)")
	pf.String("token", "", "API token of the acting user (env HESTAMI_TOKEN)")
	pf.String("server", "", "call procedures on this hestami server instead of the local database (env HESTAMI_SERVER; `hestami auth login` stores one)")
	pf.Bool("trace-stdout", false, "print trace spans to stderr (env HESTAMI_TELEMETRY_STDOUT)")
	addJSONFlags(pf, f)
	for flag, key := range flagKeys {
		_ = f.Viper.BindPFlag(key, pf.Lookup(flag))
	}
	flagChanged := func(key string) bool {
		for flag, k := range flagKeys {
			if k == key {
				return pf.Lookup(flag).Changed
			}
		}
		return false
	}
	root.AddCommand(
		casecmd.NewCmd(f), intentcmd.NewCmd(f), propertycmd.NewCmd(f), portfoliocmd.NewCmd(f), delegationcmd.NewCmd(f),
		decisioncmd.NewCmd(f), hoacmd.NewCmd(f), doccmd.NewCmd(f), vendorcmd.NewCmd(f), importcmd.NewCmd(f),
		orgcmd.NewCmd(f), usercmd.NewCmd(f), membercmd.NewCmd(f), tokencmd.NewCmd(f),
		dbcmd.NewCmd(f), migratecmd.NewCmd(f), devcmd.NewCmd(f),
		configcmd.NewCmd(f, flagChanged), versioncmd.NewCmd(f), servecmd.NewCmd(f), queuecmd.NewCmd(f),
		apicmd.NewCmd(f), authcmd.NewCmd(f),
	)
	root.AddCommand(helpTopics()...)
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return usageError(cmd, "%s", err)
	})
	// Added now rather than by Execute so enforceUsage covers it too.
	root.InitDefaultCompletionCmd()
	completionExamples(root)
	completeReferences(root, f)
	enforceUsage(root)
	root.SetHelpCommand(helpCommand())
	return root
}

// Main runs hestami with os.Args and returns the process exit code.
func Main() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	f := factory.New(config.NewViper())
	defer f.Close()
	root := NewRoot(f)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	if errors.Is(err, pflag.ErrHelp) {
		return 0
	}
	f.Close()
	return output.PrintError(f.ErrOut, err, f.JSON)
}
