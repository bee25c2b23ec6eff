package orgcmd

import (
	"fmt"
	"os"

	"github.com/google/uuid"
	"github.com/spf13/cobra"

	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/cli/cmdutil"
	"github.com/hestami/concierge/internal/cli/factory"
	"github.com/hestami/concierge/internal/config"
)

func newSwitch(f *factory.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "switch ORG",
		Short: "Make ORG the active organization (written to the config file)",
		Long: `Checks that you can act in ORG (a call in it as the acting user, locally or
on the server), then writes org: ORG to the config file (--config, default
$XDG_CONFIG_HOME/hestami/config.yaml). --org and HESTAMI_ORG still override it
for one run.`,
		Example: `  hestami org switch 3f0c9b1e-…
  hestami org switch $RIVERA --token $STAFF_TOKEN`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			org := args[0]
			if uuid.Validate(org) != nil {
				return apperr.Field("ORG", "invalid", fmt.Sprintf("ORG %q is not an organization id", org))
			}
			// A switch to an organization you cannot act in would only
			// move the refusal to the next command.
			in := map[string]int{"limit": 1}
			if err := f.Caller().Call(cmd.Context(), org, "property/v1/list", in, nil, ""); err != nil {
				return err
			}
			cfg, err := f.Config()
			if err != nil {
				return err
			}
			path := cfg.File
			if path == "" {
				if path, err = config.DefaultFile(); err != nil {
					return err
				}
			}
			if err := config.SetInFile(path, "org", org); err != nil {
				return err
			}
			res := map[string]string{"organization": org, "configFile": path}
			return cmdutil.Print(f, res, func() {
				fmt.Fprintf(f.Out, "active organization: %s (in %s)\n", org, path)
				if env := os.Getenv("HESTAMI_ORG"); env != "" && env != org {
					fmt.Fprintf(f.ErrOut, "note: HESTAMI_ORG=%s overrides it while it is set\n", env)
				}
			})
		},
	}
}
