// Package pgcluster runs hestami's embedded PostgreSQL cluster from the
// PostgreSQL server binaries already installed on the machine. The cluster
// listens only on a unix socket inside the data directory; as root it runs as
// the postgres OS user, because PostgreSQL refuses to run as root.
package pgcluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5"
)

// Role names shared by every hestami database in a cluster.
const (
	OwnerRole   = "hestami_owner"
	RuntimeRole = "hestami_app"
	superuser   = "postgres"
	port        = 5432
)

// ErrNoBinaries is returned when no PostgreSQL server binaries can be found.
var ErrNoBinaries = errors.New("PostgreSQL server binaries (initdb, pg_ctl, postgres) not found on PATH or in /usr/lib/postgresql/*/bin: " +
	"install them with `sudo apt-get install -y postgresql` (Debian/Ubuntu), or set database.url to an external server")

// Cluster is one embedded PostgreSQL cluster.
type Cluster struct {
	DataDir   string // the cluster's PGDATA
	SocketDir string
	LogFile   string
	BinDir    string
	runAs     *syscall.Credential // non-nil when running as root
}

// New describes the cluster that lives under hestamiDataDir. It does not
// touch the disk.
func New(hestamiDataDir string) (*Cluster, error) {
	bin, err := FindBinDir()
	if err != nil {
		return nil, err
	}
	c := &Cluster{
		DataDir:   filepath.Join(hestamiDataDir, "pg"),
		SocketDir: filepath.Join(hestamiDataDir, "run"),
		LogFile:   filepath.Join(hestamiDataDir, "log", "postgresql.log"),
		BinDir:    bin,
	}
	if len(c.SocketDir)+len("/.s.PGSQL.5432") > 107 {
		return nil, fmt.Errorf("data directory %s is too deep for a unix socket path (107 bytes); choose a shorter HESTAMI_DATA_DIR", hestamiDataDir)
	}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("running as root needs the postgres OS user (created by the postgresql package): %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		c.runAs = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	return c, nil
}

// FindBinDir finds the directory holding pg_ctl: PATH first, then the
// newest /usr/lib/postgresql/<major>/bin.
func FindBinDir() (string, error) {
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		dir := filepath.Dir(p)
		if _, err := os.Stat(filepath.Join(dir, "initdb")); err == nil {
			return dir, nil
		}
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_ctl")
	sort.Slice(matches, func(i, j int) bool { return majorOf(matches[i]) > majorOf(matches[j]) })
	for _, m := range matches {
		dir := filepath.Dir(m)
		if _, err := os.Stat(filepath.Join(dir, "initdb")); err == nil {
			return dir, nil
		}
	}
	return "", ErrNoBinaries
}

func majorOf(pgctl string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(pgctl))))
	return n
}

// URL returns a connection URL for role to database over the private socket.
func (c *Cluster) URL(role, database string) string {
	q := url.Values{}
	q.Set("host", c.SocketDir)
	q.Set("port", strconv.Itoa(port))
	q.Set("user", role)
	q.Set("sslmode", "disable")
	return "postgres:///" + url.PathEscape(database) + "?" + q.Encode()
}

// Initialized reports whether the cluster directory holds a cluster.
func (c *Cluster) Initialized() bool {
	_, err := os.Stat(filepath.Join(c.DataDir, "PG_VERSION"))
	return err == nil
}

// Running reports whether the postmaster answers.
func (c *Cluster) Running(ctx context.Context) bool {
	if !c.Initialized() {
		return false
	}
	err := c.run(ctx, "pg_ctl", "-D", c.DataDir, "status")
	return err == nil
}

// Start initializes the cluster when needed and starts it; a running cluster
// is left alone. It then makes sure the hestami roles and database exist.
func (c *Cluster) Start(ctx context.Context, database string) error {
	if err := c.prepareDirs(); err != nil {
		return err
	}
	if !c.Initialized() {
		if err := c.run(ctx, "initdb", "-D", c.DataDir, "-U", superuser, "--auth=trust", "-E", "UTF8", "--no-locale", "--no-instructions"); err != nil {
			return fmt.Errorf("initdb: %w", err)
		}
	}
	if !c.Running(ctx) {
		opts := fmt.Sprintf("-c listen_addresses='' -k %s -p %d -c max_connections=200 -c fsync=on", c.SocketDir, port)
		if err := c.run(ctx, "pg_ctl", "-D", c.DataDir, "-l", c.LogFile, "-o", opts, "-w", "-t", "60", "start"); err != nil {
			return fmt.Errorf("starting PostgreSQL (log: %s): %w", c.LogFile, err)
		}
	}
	return c.bootstrap(ctx, database)
}

// Stop stops the cluster (fast shutdown: active transactions roll back).
func (c *Cluster) Stop(ctx context.Context) error {
	if !c.Running(ctx) {
		return nil
	}
	return c.run(ctx, "pg_ctl", "-D", c.DataDir, "-m", "fast", "-w", "stop")
}

func (c *Cluster) prepareDirs() error {
	root := filepath.Dir(c.DataDir)
	if err := os.MkdirAll(root, 0o755); err != nil {
		return err
	}
	for _, d := range []string{c.DataDir, c.SocketDir, filepath.Dir(c.LogFile)} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return err
		}
		if c.runAs != nil {
			if err := os.Chown(d, int(c.runAs.Uid), int(c.runAs.Gid)); err != nil {
				return err
			}
		}
	}
	if c.runAs != nil {
		// The postgres user must be able to traverse every ancestor.
		for dir := root; ; dir = filepath.Dir(dir) {
			st, err := os.Stat(dir)
			if err != nil {
				return err
			}
			if st.Mode().Perm()&0o001 == 0 {
				return fmt.Errorf("the postgres OS user cannot enter %s (mode %v): choose a HESTAMI_DATA_DIR outside it, e.g. /var/lib/hestami", dir, st.Mode().Perm())
			}
			if dir == "/" {
				break
			}
		}
	}
	return nil
}

// bootstrap creates the owner and runtime roles and the database. The owner
// runs migrations and may bypass RLS; the runtime role is created by the
// migrations without any such attribute.
func (c *Cluster) bootstrap(ctx context.Context, database string) error {
	conn, err := pgx.Connect(ctx, c.URL(superuser, "postgres"))
	if err != nil {
		return fmt.Errorf("connecting to the embedded cluster: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock(715517)`); err != nil {
		return err
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(715517)`) //nolint:errcheck
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)`, OwnerRole).Scan(&exists); err != nil {
		return err
	}
	if !exists {
		if _, err := conn.Exec(ctx, `CREATE ROLE `+OwnerRole+` LOGIN CREATEROLE CREATEDB BYPASSRLS`); err != nil {
			return err
		}
	}
	// The quote import's writer function skips per-row foreign-key triggers
	// (it checks the parents per chunk; migrations/0026): the owner hands
	// this one superuser setting to that function's role. Every start, so
	// a cluster made before it gets it too.
	if _, err := conn.Exec(ctx, `GRANT SET ON PARAMETER session_replication_role TO `+OwnerRole+` WITH GRANT OPTION`); err != nil {
		return err
	}
	if database == "" {
		return nil
	}
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, database).Scan(&exists); err != nil {
		return err
	}
	if !exists {
		if _, err := conn.Exec(ctx, `CREATE DATABASE `+pgx.Identifier{database}.Sanitize()+` OWNER `+OwnerRole); err != nil {
			return err
		}
	}
	return nil
}

func (c *Cluster) run(ctx context.Context, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, filepath.Join(c.BinDir, name), args...)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	cmd.Dir = "/"
	if c.runAs != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.runAs}
	}
	// pg_ctl start leaves postgres running: it must not die with our group.
	cmd.SysProcAttr = withSetsid(cmd.SysProcAttr)
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(out.String())
		if msg != "" {
			return fmt.Errorf("%s: %w: %s", name, err, msg)
		}
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

func withSetsid(a *syscall.SysProcAttr) *syscall.SysProcAttr {
	if a == nil {
		a = &syscall.SysProcAttr{}
	}
	a.Setsid = true
	return a
}
