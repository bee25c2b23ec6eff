package pdp

import (
	"context"
	"time"

	requestv1 "github.com/cerbos/cerbos/api/genpb/cerbos/request/v1"
	svcv1 "github.com/cerbos/cerbos/api/genpb/cerbos/svc/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// prober asks a starting PDP whether it answers. It has a connection of its
// own, closed after use: the sidecar does not keep clients of its own.
type prober struct {
	conn *grpc.ClientConn
	svc  svcv1.CerbosServiceClient
}

func newProber(address string) (*prober, error) {
	conn, err := grpc.NewClient(address, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, err
	}
	return &prober{conn: conn, svc: svcv1.NewCerbosServiceClient(conn)}, nil
}

func (p *prober) ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	_, err := p.svc.ServerInfo(ctx, &requestv1.ServerInfoRequest{})
	if err != nil {
		// The socket appears before the PDP listens on it; probe again on
		// the next tick rather than after gRPC's backoff.
		p.conn.ResetConnectBackoff()
	}
	return err
}

func (p *prober) close() { _ = p.conn.Close() }
