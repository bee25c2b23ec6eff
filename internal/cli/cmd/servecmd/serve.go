// Package servecmd is `hestami serve`.
package servecmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/hestami/concierge/internal/cli/factory"
	"github.com/hestami/concierge/internal/idempotency"
	"github.com/hestami/concierge/internal/server"
)

// NewCmd returns `hestami serve`.
func NewCmd(f *factory.Factory) *cobra.Command {
	var addr string
	var drain time.Duration
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the RPC API (oRPC-compatible and plain JSON with OpenAPI)",
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
			f.Serve = true
			iv, err := f.Invoker(ctx, true)
			if err != nil {
				return err
			}
			pdp, err := f.PDP(ctx)
			if err != nil {
				return err
			}
			h, err := server.New(iv, map[string]server.Pinger{"postgres": iv.DB, "pdp": pdp})
			if err != nil {
				return err
			}
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return err
			}
			go pruneLoop(ctx, f)
			fmt.Fprintf(f.ErrOut, "hestami serving on http://%s (oRPC at /api/v1/rpc, OpenAPI at /api/v1/openapi.json)\n", ln.Addr())
			return Serve(ctx, ln, h, drain, f.ErrOut)
		},
	}
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:8080", "listen address HOST:PORT")
	cmd.Flags().DurationVar(&drain, "drain-timeout", 30*time.Second, "how long shutdown waits for in-flight requests")
	return cmd
}

// Serve serves h on ln until ctx ends, then stops accepting connections and
// waits up to drain for in-flight requests to finish.
func Serve(ctx context.Context, ln net.Listener, h http.Handler, drain time.Duration, log io.Writer) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	fmt.Fprintln(log, "shutting down: draining in-flight requests")
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), drain)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// pruneLoop deletes idempotency records past their retention, in batches.
func pruneLoop(ctx context.Context, f *factory.Factory) {
	t := time.NewTicker(10 * time.Minute)
	defer t.Stop()
	for {
		db, err := f.DB(ctx)
		if err == nil {
			if n, err := idempotency.Prune(ctx, db.Owner, 1000); err != nil {
				slog.Warn("pruning idempotency keys", "err", err)
			} else if n > 0 {
				slog.Info("pruned idempotency keys", "count", n)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
