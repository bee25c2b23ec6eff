// Package configcmd is `hestami config`.
package configcmd

import (
	"github.com/spf13/cobra"

	"github.com/hestami/concierge/internal/cli/cmdutil"
	"github.com/hestami/concierge/internal/cli/factory"
	"github.com/hestami/concierge/internal/config"
)

// NewCmd returns `hestami config`.
func NewCmd(f *factory.Factory, flagChanged func(key string) bool) *cobra.Command {
	cmd := &cobra.Command{Use: "config", Short: "Inspect the configuration",
		Long: `Configuration precedence: flags > HESTAMI_* environment > config file
($XDG_CONFIG_HOME/hestami/config.yaml, or --config) > defaults. Keys use dots in
the file (database.url) and underscores in the environment (HESTAMI_DATABASE_URL).`}
	cmd.AddCommand(&cobra.Command{Use: "show", Short: "Print the effective configuration (secrets masked)", Args: cobra.NoArgs,
		Example: "  hestami config show\n  hestami config show --json",
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := f.Config()
			if err != nil {
				return err
			}
			settings := config.Effective(f.Viper, cfg, flagChanged)
			return cmdutil.Print(f, map[string]any{"file": cfg.File, "settings": settings}, func() {
				rows := make([][]any, 0, len(settings))
				for _, s := range settings {
					rows = append(rows, []any{s.Key, s.Value, s.Source})
				}
				cmdutil.Table(f, []string{"KEY", "VALUE", "SOURCE"}, rows)
			})
		}})
	return cmd
}
