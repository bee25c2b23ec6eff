package factory

import (
	"context"
	"net/http"
	"time"

	"github.com/hestami/concierge/internal/api/client"
	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/cli/output"
)

// Remote reports whether procedures run on a server: one is configured
// (--server, HESTAMI_SERVER, the config file) or `auth login` stored one.
// A configuration that does not load is left to the command to report.
func (f *Factory) Remote() bool {
	cfg, err := f.Config()
	if err != nil {
		return false
	}
	if cfg.Server != "" {
		return true
	}
	l, err := f.Login()
	return l != nil || err != nil
}

// Login is the stored login (nil when nobody is logged in), read once.
func (f *Factory) Login() (*Login, error) {
	f.loginOnce.Do(func() { f.login, f.loginErr = LoadLogin() })
	return f.login, f.loginErr
}

// Endpoint is the server and token remote calls use: HESTAMI_SERVER and
// HESTAMI_TOKEN (or their flags, or the config file) over the stored login;
// the stored token only ever goes to the server it was stored for.
func (f *Factory) Endpoint() (server, token string, err error) {
	cfg, err := f.Config()
	if err != nil {
		return "", "", err
	}
	server, token = cfg.Server, cfg.Token
	l, lerr := f.Login()
	if l != nil && (server == "" || server == l.Server) {
		server = l.Server
		if token == "" {
			token = l.Token
		}
	}
	if server == "" && lerr != nil {
		return "", "", apperr.Wrap(apperr.Unauthenticated, lerr, "%v", lerr)
	}
	if server == "" {
		return "", "", apperr.New(apperr.Validation, "no server: pass --server URL (or HESTAMI_SERVER), or run `hestami auth login --server URL`")
	}
	if cfg.As != "" {
		return "", "", apperr.New(apperr.Validation, "--as acts as an operator on the local database and cannot be used with a server (%s): pass --token, or unset HESTAMI_SERVER", server)
	}
	if token == "" {
		if lerr != nil {
			return "", "", apperr.Wrap(apperr.Unauthenticated, lerr, "%v", lerr)
		}
		return "", "", apperr.New(apperr.Unauthenticated, "who is acting? not logged in to %s: run `hestami auth login --server %s`, or pass --token (or HESTAMI_TOKEN)", server, server)
	}
	return server, token, nil
}

// httpClient bounds how long a remote call may take to start answering; a
// download's body then streams for as long as it needs.
var httpClient = &http.Client{Transport: &http.Transport{
	Proxy:                 http.ProxyFromEnvironment,
	ResponseHeaderTimeout: 2 * time.Minute,
	IdleConnTimeout:       30 * time.Second,
}}

// fileCallClient is for a call that carries a file: the server answers it
// only once it has done the file's work (quote/v1/import answers after the
// last row is written: a million rows take tens of seconds, ten million
// minutes). It waits for the answer as long as the command runs; Ctrl-C
// still ends it.
var fileCallClient = &http.Client{Transport: &http.Transport{
	Proxy:           http.ProxyFromEnvironment,
	IdleConnTimeout: 30 * time.Second,
}}

// clientFor is the HTTP client a call of procedure goes through.
func clientFor(procedure string) *http.Client {
	if decl, ok := declarations.Lookup(procedure); ok && decl.TakesFiles() {
		return fileCallClient
	}
	return httpClient
}

// remoteCaller calls procedures on the server over the plain JSON
// transport, so a command sees the same outputs and the same *apperr.Error
// (code, message, fields, the server's trace id) as in process.
type remoteCaller struct{ f *Factory }

func (c remoteCaller) Call(ctx context.Context, org, procedure string, in, out any, key string) error {
	server, token, err := c.f.Endpoint()
	if err != nil {
		return err
	}
	if org == "" {
		cfg, _ := c.f.Config()
		org = cfg.Org
	}
	cl := client.New(server, token, org)
	cl.HTTP = clientFor(procedure)
	res, err := cl.Call(ctx, procedure, in, out, key)
	return output.WithTrace(err, res.TraceID)
}

// serverName is the server remote mode calls, for messages.
func (f *Factory) serverName() string {
	if cfg, err := f.Config(); err == nil && cfg.Server != "" {
		return cfg.Server
	}
	if l, _ := f.Login(); l != nil {
		return l.Server
	}
	return "?"
}
