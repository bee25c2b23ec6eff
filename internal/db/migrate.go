package db

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hestami/concierge/internal/apperr"
)

// Migration is one versioned SQL file and whether it has been applied.
type Migration struct {
	Version   string     `json:"version"`
	Checksum  string     `json:"checksum"`
	AppliedAt *time.Time `json:"appliedAt,omitempty"`
	sql       string
}

const migrationLock = 715518

// LoadMigrations reads NNNN_name.sql files from fsys in name order.
func LoadMigrations(fsys fs.FS) ([]Migration, error) {
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	out := make([]Migration, 0, len(names))
	for _, n := range names {
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(b)
		out = append(out, Migration{Version: strings.TrimSuffix(n, ".sql"), Checksum: hex.EncodeToString(sum[:8]), sql: string(b)})
	}
	return out, nil
}

// MigrationStatus lists every migration with its applied time (nil when pending).
func MigrationStatus(ctx context.Context, pool *pgxpool.Pool, fsys fs.FS) ([]Migration, error) {
	all, err := LoadMigrations(fsys)
	if err != nil {
		return nil, err
	}
	if _, err := pool.Exec(ctx, createTrackingTable); err != nil {
		return nil, err
	}
	applied, err := appliedMigrations(ctx, pool)
	if err != nil {
		return nil, err
	}
	for i := range all {
		if a, ok := applied[all[i].Version]; ok {
			t := a.AppliedAt
			all[i].AppliedAt = t
			if a.Checksum != all[i].Checksum {
				// Not an internal error: the database was migrated by another
				// build, and the operator must choose which one is right.
				return nil, apperr.New(apperr.Conflict, "migration %s was changed after it was applied to this database (checksum %s, applied %s): "+
					"the database was migrated by a different build of hestami. Run the build that migrated it; a local development "+
					"database can instead start over in a new data directory (HESTAMI_DATA_DIR), or after `hestami db stop` and removing <data dir>/pg",
					all[i].Version, all[i].Checksum, a.Checksum)
			}
		}
	}
	return all, nil
}

const createTrackingTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version text PRIMARY KEY, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`

func appliedMigrations(ctx context.Context, q interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}) (map[string]Migration, error) {
	rows, err := q.Query(ctx, `SELECT version, checksum, applied_at FROM schema_migrations`)
	if err != nil {
		return nil, err
	}
	out := map[string]Migration{}
	for rows.Next() {
		var m Migration
		var at time.Time
		if err := rows.Scan(&m.Version, &m.Checksum, &at); err != nil {
			return nil, err
		}
		m.AppliedAt = &at
		out[m.Version] = m
	}
	return out, rows.Err()
}

// Migrate applies every pending migration, each in its own transaction under
// an advisory lock, so concurrent runs and repeated runs are safe. It returns
// the versions it applied.
func Migrate(ctx context.Context, pool *pgxpool.Pool, fsys fs.FS) ([]string, error) {
	all, err := MigrationStatus(ctx, pool, fsys)
	if err != nil {
		return nil, err
	}
	var done []string
	for _, m := range all {
		if m.AppliedAt != nil {
			continue
		}
		err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLock); err != nil {
				return err
			}
			var exists bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)`, m.Version).Scan(&exists); err != nil || exists {
				return err
			}
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, checksum) VALUES ($1, $2)`, m.Version, m.Checksum)
			return err
		})
		if err != nil {
			return done, fmt.Errorf("migration %s: %w", m.Version, err)
		}
		done = append(done, m.Version)
	}
	return done, nil
}
