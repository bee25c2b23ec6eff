package db

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"
)

// CheckIsolation inspects the catalog and returns every way tenant isolation
// could leak: a table in the public schema without RLS enabled and forced
// (schema_migrations excepted), or a runtime role that is superuser, can
// bypass RLS, owns a table or inherits from another role.
func CheckIsolation(ctx context.Context, owner *pgxpool.Pool) ([]string, error) {
	var problems []string
	rows, err := owner.Query(ctx, `SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND c.relname <> 'schema_migrations'
		ORDER BY 1`)
	if err != nil {
		return nil, err
	}
	tables := 0
	for rows.Next() {
		var name string
		var rls, force bool
		if err := rows.Scan(&name, &rls, &force); err != nil {
			return nil, err
		}
		tables++
		if !rls {
			problems = append(problems, fmt.Sprintf("table %s: row-level security is not enabled", name))
		}
		if !force {
			problems = append(problems, fmt.Sprintf("table %s: row-level security is not forced", name))
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if tables == 0 {
		problems = append(problems, "no tables found in schema public")
	}
	var super, bypass bool
	var owned, memberOf int
	err = owner.QueryRow(ctx, `SELECT r.rolsuper, r.rolbypassrls,
		(SELECT count(*) FROM pg_class c WHERE c.relowner = r.oid),
		(SELECT count(*) FROM pg_auth_members m WHERE m.member = r.oid)
		FROM pg_roles r WHERE r.rolname = $1`, RuntimeRole).Scan(&super, &bypass, &owned, &memberOf)
	if err != nil {
		return nil, fmt.Errorf("runtime role %s: %w", RuntimeRole, err)
	}
	if super {
		problems = append(problems, "runtime role is a superuser")
	}
	if bypass {
		problems = append(problems, "runtime role can bypass RLS")
	}
	if owned > 0 {
		problems = append(problems, fmt.Sprintf("runtime role owns %d relations", owned))
	}
	if memberOf > 0 {
		problems = append(problems, fmt.Sprintf("runtime role is a member of %d other roles", memberOf))
	}
	return problems, nil
}
