// Package factory builds the dependencies of CLI commands lazily: a command
// that prints the configuration never starts PostgreSQL, one that lists
// properties never starts DBOS.
package factory

import (
	"context"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/spf13/viper"

	"github.com/hestami/concierge/internal/app"
	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/cli/output"
	"github.com/hestami/concierge/internal/config"
	"github.com/hestami/concierge/internal/db"
	"github.com/hestami/concierge/internal/identity"
	"github.com/hestami/concierge/internal/logging"
	"github.com/hestami/concierge/internal/pdp"
	"github.com/hestami/concierge/internal/pgcluster"
	"github.com/hestami/concierge/internal/workflow"
)

// DatabaseName is the database hestami uses in its embedded cluster.
const DatabaseName = "hestami"

// Factory holds the process's lazily built dependencies.
type Factory struct {
	Viper  *viper.Viper
	Out    io.Writer
	ErrOut io.Writer
	JSON   bool
	// JSONView shapes JSON output (--json=fields, --jq, --template).
	JSONView output.JSONView
	// Term is what Out can show: terminal form or piped form, colour.
	Term output.Term
	// Logger receives what hestami's own parts report, such as the PDP
	// dying and being restarted. nil: warnings and errors on ErrOut (or
	// log.level), which keeps short-lived commands quiet.
	Logger *slog.Logger
	// Serve marks the long-running server: its workflow engine runs as the
	// configured, stable executor id and recovers that id's pending
	// workflows at launch. Every other process is a short-lived CLI run
	// with an executor id of its own, which recovers nothing.
	Serve bool

	cfgOnce sync.Once
	cfg     *config.Config
	cfgErr  error

	loginOnce sync.Once
	login     *Login
	loginErr  error

	db      *db.DB
	sidecar *pdp.Sidecar
	pdp     *authz.Client
	app     *app.App
	closers []func()
}

// New returns a factory over v.
func New(v *viper.Viper) *Factory {
	return &Factory{Viper: v, Out: os.Stdout, ErrOut: os.Stderr, Term: output.DetectTerm(os.Stdout, os.LookupEnv)}
}

// Config returns the effective configuration.
func (f *Factory) Config() (*config.Config, error) {
	f.cfgOnce.Do(func() { f.cfg, f.cfgErr = config.Load(f.Viper) })
	return f.cfg, f.cfgErr
}

// Cluster describes the embedded cluster (nil when database.url is set).
func (f *Factory) Cluster() (*pgcluster.Cluster, error) {
	cfg, err := f.Config()
	if err != nil {
		return nil, err
	}
	if cfg.Database.URL != "" {
		return nil, nil
	}
	return pgcluster.New(cfg.DataDir)
}

// OwnerURL is the owner connection URL, starting the embedded cluster when
// no external database is configured.
func (f *Factory) OwnerURL(ctx context.Context) (string, error) {
	cfg, err := f.Config()
	if err != nil {
		return "", err
	}
	if cfg.Database.URL != "" {
		return cfg.Database.URL, nil
	}
	c, err := f.Cluster()
	if err != nil {
		return "", err
	}
	if err := c.Start(ctx, DatabaseName); err != nil {
		return "", err
	}
	return c.URL(pgcluster.OwnerRole, DatabaseName), nil
}

// DB connects both pools; for the embedded default it also applies pending
// migrations.
func (f *Factory) DB(ctx context.Context) (*db.DB, error) {
	if f.db != nil {
		return f.db, nil
	}
	cfg, err := f.Config()
	if err != nil {
		return nil, err
	}
	// In remote mode, commands that need the database (operator commands,
	// dev seed, migrate) run only where one is configured, the server's
	// host: never by starting an embedded cluster on a client's machine.
	// `hestami serve` is the server, whatever a stored login says.
	if cfg.Database.URL == "" && !f.Serve && f.Remote() {
		return nil, apperr.New(apperr.Validation, "this is an operator command: it runs on the database, which remote mode (server %s) does not reach; run it where database.url is configured, or without a server (`hestami auth logout`, HESTAMI_SERVER unset)", f.serverName())
	}
	ownerURL, err := f.OwnerURL(ctx)
	if err != nil {
		return nil, apperr.Wrap(apperr.DependencyUnavailable, err, "database unavailable: %v", err)
	}
	d, err := db.Open(ctx, ownerURL, cfg.Database.AppURL)
	if err != nil {
		return nil, apperr.Wrap(apperr.DependencyUnavailable, err, "the database is unavailable (check database.url / database.app_url, or `hestami db status`)")
	}
	f.db = d
	f.closers = append(f.closers, d.Close)
	if cfg.Database.URL == "" {
		if _, err := MigrateAll(ctx, d, ownerURL); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// MigrateAll applies hestami's migrations and the DBOS schemas.
func MigrateAll(ctx context.Context, d *db.DB, ownerURL string) ([]string, error) {
	return app.Migrate(ctx, d, ownerURL)
}

// PDP returns the authorization client: the configured external PDP, or a
// PDP sidecar started for this process.
func (f *Factory) PDP(ctx context.Context) (*authz.Client, error) {
	if f.pdp != nil {
		return f.pdp, nil
	}
	cfg, err := f.Config()
	if err != nil {
		return nil, err
	}
	addr := cfg.Authz.PDPAddress
	if addr == "" {
		bin, err := pdp.FindBinary(cfg.Authz.CerbosBinary)
		if err != nil {
			return nil, err
		}
		if err := os.MkdirAll(cfg.DataDir+"/run", 0o755); err != nil {
			return nil, err
		}
		s, err := pdp.Start(ctx, bin, cfg.DataDir+"/run", 30*time.Second, pdp.WithLogger(f.logger(cfg)))
		if err != nil {
			return nil, apperr.Wrap(apperr.DependencyUnavailable, err, "authorization service unavailable: %v", err)
		}
		f.sidecar = s
		f.closers = append(f.closers, s.Stop)
		addr = s.Address()
	}
	c, err := authz.Dial(addr, cfg.Authz.Timeout)
	if err != nil {
		return nil, apperr.Wrap(apperr.DependencyUnavailable, err, "the authorization service (Cerbos PDP) is unavailable (check authz.pdp_address)")
	}
	f.pdp = c.WithPlanCache(cfg.Authz.PlanCacheTTL)
	return f.pdp, nil
}

// Sidecar is the PDP this process started, nil with an external PDP or
// before PDP is called.
func (f *Factory) Sidecar() *pdp.Sidecar { return f.sidecar }

func (f *Factory) logger(cfg *config.Config) *slog.Logger {
	if f.Logger == nil {
		f.Logger = logging.New(f.ErrOut, logging.Level(cfg.Log.Level, slog.LevelWarn))
	}
	return f.Logger
}

// Identity returns the identity service (no PDP needed).
func (f *Factory) Identity(ctx context.Context) (*identity.Service, error) {
	d, err := f.DB(ctx)
	if err != nil {
		return nil, err
	}
	return app.Operator(d), nil
}

// App builds the application (internal/app) over the database and the PDP;
// withWorkflows also launches the durable-workflow engine (one per process).
func (f *Factory) App(ctx context.Context, withWorkflows bool) (*app.App, error) {
	if f.app == nil {
		d, err := f.DB(ctx)
		if err != nil {
			return nil, err
		}
		p, err := f.PDP(ctx)
		if err != nil {
			return nil, err
		}
		a := app.New(d, p)
		if cfg, err := f.Config(); err != nil {
			return nil, err
		} else if err := a.ConfigureSLA(cfg.SLA); err != nil {
			return nil, err
		} else if err := a.ConfigureDocumentStore(cfg.Documents); err != nil {
			return nil, err
		} else {
			a.ConfigureImports(cfg.Imports)
		}
		f.app = a
		f.closers = append(f.closers, func() { a.Close(10 * time.Second) })
	}
	if withWorkflows {
		cfg, _ := f.Config()
		executorID := workflow.CLIExecutorID()
		if f.Serve {
			executorID = cfg.Workflow.ExecutorID
		}
		if err := f.app.StartWorkflows(ctx, executorID, f.logger(cfg)); err != nil {
			return nil, err
		}
	}
	return f.app, nil
}

// Principal resolves the caller in the active organization --org.
func (f *Factory) Principal(ctx context.Context) (authz.Principal, error) {
	return f.PrincipalIn(ctx, "")
}

// UserID resolves who is acting: the user behind --token, or --as USER for
// operators.
func (f *Factory) UserID(ctx context.Context) (string, error) {
	cfg, err := f.Config()
	if err != nil {
		return "", err
	}
	ids, err := f.Identity(ctx)
	if err != nil {
		return "", err
	}
	switch {
	case cfg.Token != "":
		return ids.Authenticate(ctx, cfg.Token)
	case cfg.As != "":
		return ids.LookupUser(ctx, cfg.As)
	default:
		return "", apperr.New(apperr.Unauthenticated, "who is acting? pass --token (or HESTAMI_TOKEN), or --as USER (id or e-mail) as an operator")
	}
}

// Close releases everything in reverse order of creation.
func (f *Factory) Close() {
	for i := len(f.closers) - 1; i >= 0; i-- {
		f.closers[i]()
	}
	f.closers = nil
}
