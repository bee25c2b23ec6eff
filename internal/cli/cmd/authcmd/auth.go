// Package authcmd is `hestami auth`: log in to a hestami server (remote
// mode), show the login, log out.
package authcmd

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/hestami/concierge/internal/api/client"
	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/cli/cmdutil"
	"github.com/hestami/concierge/internal/cli/factory"
	"github.com/hestami/concierge/internal/cli/output"
	"github.com/hestami/concierge/internal/config"
)

// NewCmd returns `hestami auth`.
func NewCmd(f *factory.Factory) *cobra.Command {
	cmd := &cobra.Command{Use: "auth", Short: "Log in to a hestami server (remote mode), show the login, log out",
		Long: `With a login (or --server / HESTAMI_SERVER), every command calls its procedures on
that server over the API instead of on a local database: same output, same
errors, same exit codes. HESTAMI_TOKEN and HESTAMI_SERVER (or --token, --server)
override the stored login. Operator commands (db, migrate, dev seed, user, token,
member, org create/list/engage, serve, config) run only where the database is.`}
	cmd.AddCommand(newLogin(f), newStatus(f), newLogout(f))
	return cmd
}

// noOrg is a well-formed organization that no one belongs to: a call in it
// authenticates the token, then is refused as forbidden without reading
// anything.
const noOrg = "00000000-0000-0000-0000-000000000000"

func newLogin(f *factory.Factory) *cobra.Command {
	var server string
	var insecure bool
	cmd := &cobra.Command{
		Use:   "login --server URL",
		Short: "Store a token for a hestami server, checked against it first",
		Long: `Reads an API token (from standard input when it is piped, else from a hidden
prompt), checks it with the server (a token the server refuses is not stored:
exit 4), and stores it: in the OS keyring when one is available, else in
$XDG_CONFIG_HOME/hestami/credentials.json (mode 0600). From then on commands
run against that server.`,
		Example: `  hestami auth login --server https://hestami.example.com
  echo "$TOKEN" | hestami auth login --server http://127.0.0.1:8080
  hestami auth login --server http://127.0.0.1:8080 --insecure-storage < token.txt`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := f.Config()
			if err != nil {
				return err
			}
			if server == "" {
				server = cfg.Server
			}
			if server == "" {
				return apperr.Field("--server", "required", "--server URL: which hestami server to log in to")
			}
			// The same URL rules as the server setting.
			v := config.NewViper()
			v.Set("server", server)
			if c, err := config.Load(v); err != nil {
				return err
			} else {
				server = c.Server
			}
			token, err := readToken(cmd, server)
			if err != nil {
				return err
			}
			if err := verify(cmd.Context(), server, token, cfg.Org); err != nil {
				return err
			}
			storage, err := factory.SaveLogin(factory.Login{Server: server, Token: token}, !insecure)
			if err != nil {
				return err
			}
			where := "the OS keyring"
			if storage == factory.StorageFile {
				where, _ = factory.LoginPath()
			}
			res := map[string]string{"server": server, "storage": storage}
			return cmdutil.Print(f, res, func() {
				fmt.Fprintf(f.Out, "logged in to %s (token in %s)\n", server, where)
			})
		},
	}
	cmd.Flags().StringVar(&server, "server", "", "the server URL, e.g. https://hestami.example.com")
	cmd.Flags().BoolVar(&insecure, "insecure-storage", false, "keep the token in the 0600 file even when an OS keyring is available")
	return cmd
}

// readToken reads the token: the first line of piped standard input, else a
// prompt without echo.
func readToken(cmd *cobra.Command, server string) (string, error) {
	in := cmd.InOrStdin()
	var tok string
	if file, ok := in.(*os.File); ok && term.IsTerminal(int(file.Fd())) {
		fmt.Fprintf(cmd.ErrOrStderr(), "API token for %s: ", server)
		raw, err := term.ReadPassword(int(file.Fd()))
		fmt.Fprintln(cmd.ErrOrStderr())
		if err != nil {
			return "", err
		}
		tok = string(raw)
	} else {
		line, err := bufio.NewReader(in).ReadString('\n')
		if err != nil && err != io.EOF {
			return "", err
		}
		tok = line
	}
	tok = strings.TrimSpace(tok)
	if tok == "" {
		return "", apperr.Field("token", "required", "no token read: pipe it to standard input, or type it at the prompt")
	}
	return tok, nil
}

// verify makes the cheapest authenticated call there is, so a mistyped or
// revoked token is refused now rather than on the first real command. In
// the active organization it lists one property; without one, it asks in an
// organization no one belongs to, which the server answers (after checking
// the token) as forbidden.
func verify(ctx context.Context, server, token, org string) error {
	probeOrg := org
	if probeOrg == "" {
		probeOrg = noOrg
	}
	cl := client.New(server, token, probeOrg)
	res, err := cl.Call(ctx, "property/v1/list", map[string]int{"limit": 1}, nil, "")
	switch apperr.CodeOf(err) {
	case "":
		return nil
	case apperr.Forbidden, apperr.NotFound:
		// The token authenticated; only the organization is not the
		// caller's (or the probe's, which is no one's).
		return nil
	case apperr.Unauthenticated:
		return output.WithTrace(apperr.Wrap(apperr.Unauthenticated, err, "%s refused the token: %s; nothing was stored", server, apperr.From(err).Message), res.TraceID)
	}
	return output.WithTrace(err, res.TraceID)
}

func newStatus(f *factory.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "Show the server, where the token comes from and the active organization (exit 4 when not logged in)",
		Example: `  hestami auth status
  hestami auth status --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := f.Config()
			if err != nil {
				return err
			}
			l, lerr := f.Login()
			st := status{Server: cfg.Server, Org: cfg.Org}
			switch {
			case cfg.Server != "":
				st.ServerFrom = "setting server (--server, HESTAMI_SERVER or the config file)"
			case l != nil:
				st.Server, st.ServerFrom = l.Server, "login"
			}
			if st.Server == "" {
				if lerr != nil {
					return apperr.Wrap(apperr.Unauthenticated, lerr, "%v", lerr)
				}
				return apperr.New(apperr.Unauthenticated, "not logged in: run `hestami auth login --server URL` (commands run locally, on the database)")
			}
			token := cfg.Token
			switch {
			case token != "":
				st.TokenFrom = "setting token (--token, HESTAMI_TOKEN or the config file)"
			case l != nil && l.Server == st.Server:
				token, st.TokenFrom = l.Token, l.Storage
				if l.Storage == factory.StorageFile {
					st.TokenFrom, _ = factory.LoginPath()
				} else {
					st.TokenFrom = "OS keyring"
				}
			}
			if token == "" {
				return apperr.New(apperr.Unauthenticated, "no token for %s: run `hestami auth login --server %s`, or set HESTAMI_TOKEN", st.Server, st.Server)
			}
			if err := verify(cmd.Context(), st.Server, token, cfg.Org); err != nil {
				return err
			}
			st.Valid = true
			return cmdutil.Print(f, st, func() {
				org := st.Org
				if org == "" {
					org = "(none: pass --org, set HESTAMI_ORG, or run `hestami org switch`)"
				}
				output.Fields(f.Out, "server", st.Server+" (from "+st.ServerFrom+")", "token", "valid (from "+st.TokenFrom+")", "organization", org)
			})
		},
	}
}

type status struct {
	Server     string `json:"server"`
	ServerFrom string `json:"serverFrom"`
	TokenFrom  string `json:"tokenFrom"`
	Valid      bool   `json:"valid"`
	Org        string `json:"organization,omitempty"`
}

func newLogout(f *factory.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "logout",
		Short: "Forget the stored login (the token leaves the keyring or the file)",
		Long: `Removes the stored token and server; commands run locally again (unless
HESTAMI_SERVER is set). The token itself stays valid on the server until it
expires or is revoked (hestami token revoke, on the server).`,
		Example: `  hestami auth logout`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			server, err := factory.DeleteLogin()
			if err != nil {
				return err
			}
			if server == "" {
				return apperr.New(apperr.Unauthenticated, "not logged in")
			}
			return cmdutil.Print(f, map[string]string{"server": server}, func() {
				fmt.Fprintf(f.Out, "logged out of %s\n", server)
			})
		},
	}
}
