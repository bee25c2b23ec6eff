package cli_test

import (
	"testing"

	"github.com/spf13/cobra"

	"github.com/hestami/concierge/internal/cli"
	"github.com/hestami/concierge/internal/cli/factory"
	"github.com/hestami/concierge/internal/config"
)

// TestEveryCommandHasExamples walks the whole tree: a command people can run
// shows how in its help.
func TestEveryCommandHasExamples(t *testing.T) {
	root := cli.NewRoot(factory.New(config.NewViper()))
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Hidden || c.Deprecated != "" {
			return
		}
		if !c.HasSubCommands() && c.Runnable() && c.Example == "" {
			t.Errorf("%s has no Example", c.CommandPath())
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}
