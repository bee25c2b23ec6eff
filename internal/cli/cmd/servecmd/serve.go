// Package servecmd is `hestami serve`.
package servecmd

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/hestami/concierge/internal/cli/factory"
	"github.com/hestami/concierge/internal/db"
	"github.com/hestami/concierge/internal/idempotency"
	"github.com/hestami/concierge/internal/logging"
	"github.com/hestami/concierge/internal/server"
)

// NewCmd returns `hestami serve`.
func NewCmd(f *factory.Factory) *cobra.Command {
	var addr string
	var drain time.Duration
	cmd := &cobra.Command{
		Use:     "serve",
		Example: "  hestami serve\n  hestami serve --addr 127.0.0.1:18080 --drain-timeout 30s",
		Short:   "Serve the RPC API (oRPC-compatible and plain JSON with OpenAPI)",
		Long: `Serve the API:

  POST /api/v1/rpc/{namespace}/{version}/{procedure}   oRPC RPC protocol (@orpc/client RPCLink)
  POST /api/v1/{namespace}/{version}/{procedure}       plain JSON
  GET  /api/v1/openapi.json                            OpenAPI 3.1 document
  GET  /healthz, /readyz                               liveness, readiness (PostgreSQL and PDP)

Requests carry "Authorization: Bearer <token>" and "X-Org-Id: <organization id>";
mutations an "Idempotency-Key" (kept at least 24 hours). On SIGINT/SIGTERM the
server stops accepting connections and drains in-flight requests.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			cfg, err := f.Config()
			if err != nil {
				return err
			}
			log := logging.New(f.ErrOut, logging.Level(cfg.Log.Level, slog.LevelInfo))
			// The server logs requests and panics through the default
			// logger; the PDP supervisor through the factory's.
			slog.SetDefault(log)
			f.Logger = log
			f.Serve = true
			a, err := f.App(ctx, true)
			if err != nil {
				return err
			}
			pdp, err := f.PDP(ctx)
			if err != nil {
				return err
			}
			h, err := server.New(a.Invoker, map[string]server.Pinger{"postgres": a.DB, "pdp": pdp})
			if err != nil {
				return err
			}
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return err
			}
			go pruneLoop(ctx, a.DB, log)
			log.Info("hestami serving", "addr", "http://"+ln.Addr().String(), "rpc", "/api/v1/rpc", "openapi", "/api/v1/openapi.json")
			return Serve(ctx, ln, h, drain, log)
		},
	}
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:8080", "listen address HOST:PORT")
	cmd.Flags().DurationVar(&drain, "drain-timeout", 30*time.Second, "how long shutdown waits for in-flight requests")
	return cmd
}

// Serve serves h on ln until ctx ends, then stops accepting connections and
// waits up to drain for in-flight requests to finish.
func Serve(ctx context.Context, ln net.Listener, h http.Handler, drain time.Duration, log *slog.Logger) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: draining in-flight requests", "drain_timeout", drain.String())
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), drain)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info("stopped serving")
	return nil
}

// pruneLoop deletes idempotency records past their retention, in batches.
func pruneLoop(ctx context.Context, d *db.DB, log *slog.Logger) {
	t := time.NewTicker(10 * time.Minute)
	defer t.Stop()
	for {
		if n, err := idempotency.Prune(ctx, d.Owner, 1000); err != nil && ctx.Err() == nil {
			log.Error("pruning idempotency keys failed", "err", err.Error())
		} else if n > 0 {
			log.Info("pruned idempotency keys", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
