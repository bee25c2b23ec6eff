// Package dbcmd is `hestami db`: the embedded PostgreSQL cluster.
package dbcmd

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/hestami/concierge/internal/cli/cmdutil"
	"github.com/hestami/concierge/internal/cli/factory"
	"github.com/hestami/concierge/internal/config"
	"github.com/hestami/concierge/internal/pgcluster"
)

// NewCmd returns `hestami db`.
func NewCmd(f *factory.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "db",
		Short: "Start, stop and inspect the embedded PostgreSQL",
		Long: `hestami runs its own PostgreSQL cluster inside the data directory when no
database.url is configured, from the PostgreSQL server binaries on the machine.
It listens only on a unix socket in <data dir>/run. Commands that need it start
it on demand and leave it running; 'hestami db stop' stops it cleanly.`,
	}
	cmd.AddCommand(
		&cobra.Command{Use: "start", Short: "Start the embedded cluster (initializing and migrating it the first time)", Args: cobra.NoArgs,
			Example: "  hestami db start\n  HESTAMI_DATA_DIR=/tmp/hestami hestami db start",
			RunE: func(cmd *cobra.Command, _ []string) error {
				c, err := embedded(f)
				if err != nil {
					return err
				}
				if _, err := f.DB(cmd.Context()); err != nil {
					return err
				}
				fmt.Fprintf(f.ErrOut, "PostgreSQL running (socket dir %s)\n", c.SocketDir)
				return nil
			}},
		&cobra.Command{Use: "stop", Short: "Stop the embedded cluster (fast shutdown)", Args: cobra.NoArgs,
			Example: "  hestami db stop",
			RunE: func(cmd *cobra.Command, _ []string) error {
				c, err := embedded(f)
				if err != nil {
					return err
				}
				if err := c.Stop(cmd.Context()); err != nil {
					return err
				}
				fmt.Fprintln(f.ErrOut, "PostgreSQL stopped")
				return nil
			}},
		&cobra.Command{Use: "status", Short: "Say whether the database is running, and where", Args: cobra.NoArgs,
			Example: "  hestami db status\n  hestami db status --json",
			RunE: func(cmd *cobra.Command, _ []string) error {
				cfg, err := f.Config()
				if err != nil {
					return err
				}
				st := status{Mode: "external", OwnerURL: config.MaskURL(cfg.Database.URL)}
				if cfg.Database.URL == "" {
					c, err := embedded(f)
					if err != nil {
						return err
					}
					st = status{Mode: "embedded", Running: c.Running(cmd.Context()), DataDir: c.DataDir, SocketDir: c.SocketDir,
						BinDir: c.BinDir, Log: c.LogFile, OwnerURL: c.URL(pgcluster.OwnerRole, factory.DatabaseName),
						AppURL: c.URL(pgcluster.RuntimeRole, factory.DatabaseName)}
				}
				return cmdutil.Print(f, st, func() {
					cmdutil.Fields(f, "mode", st.Mode, "running", fmt.Sprint(st.Running), "data dir", st.DataDir,
						"binaries", st.BinDir, "owner url", st.OwnerURL, "log", st.Log)
				})
			}},
	)
	return cmd
}

type status struct {
	Mode      string `json:"mode"`
	Running   bool   `json:"running"`
	DataDir   string `json:"dataDir,omitempty"`
	SocketDir string `json:"socketDir,omitempty"`
	BinDir    string `json:"binDir,omitempty"`
	Log       string `json:"log,omitempty"`
	OwnerURL  string `json:"ownerUrl"`
	AppURL    string `json:"appUrl,omitempty"`
}

func embedded(f *factory.Factory) (*pgcluster.Cluster, error) {
	c, err := f.Cluster()
	if err != nil {
		return nil, err
	}
	if c == nil {
		return nil, errors.New("database.url is set: hestami does not manage that server")
	}
	return c, nil
}
