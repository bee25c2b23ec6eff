// Package versioncmd is `hestami version`.
package versioncmd

import (
	"fmt"
	"github.com/hestami/concierge/internal/version"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/hestami/concierge/internal/cli/cmdutil"
	"github.com/hestami/concierge/internal/cli/factory"
	"github.com/hestami/concierge/internal/workflow"
)

// NewCmd returns `hestami version`.
func NewCmd(f *factory.Factory) *cobra.Command {
	return &cobra.Command{Use: "version", Short: "Print the version", Args: cobra.NoArgs,
		Example: "  hestami version\n  hestami version --json",
		RunE: func(cmd *cobra.Command, _ []string) error {
			v := map[string]string{"version": version.Version, "api": workflow.APIVersion, "workflowVersion": workflow.ApplicationVersion, "go": runtime.Version()}
			return cmdutil.Print(f, v, func() {
				fmt.Fprintf(f.Out, "hestami %s (API %s, workflows %s, %s)\n", v["version"], v["api"], v["workflowVersion"], v["go"])
			})
		}}
}
