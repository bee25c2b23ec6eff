package db

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"
)

// isolationAllowlist names the relations the runtime role may reach without
// row-level security, each because it holds no tenant data.
var isolationAllowlist = map[string]string{
	// hestami's migration ledger: versions and checksums.
	"public.schema_migrations": "migration versions",
	// DBOS's data-source schema version (one integer), which the runtime
	// role reads when the workflow engine starts.
	"dbos.dbos_transaction_completion_migrations": "DBOS data-source schema version",
}

// CheckIsolation inspects the catalog and returns every way tenant isolation
// could leak: a relation without RLS enabled and forced that is in the
// tenant schema (public) or that the runtime role can read or write in any
// schema (DBOS's tables included), a view the runtime role can read that
// does not run with the caller's rights, or a runtime role that is
// superuser, can bypass RLS, owns a relation or inherits from another role.
// The system catalogs are not checked: they hold no tenant rows.
func CheckIsolation(ctx context.Context, owner *pgxpool.Pool) ([]string, error) {
	var problems []string
	rows, err := owner.Query(ctx, `SELECT n.nspname, c.relname, c.relkind::text, c.relrowsecurity, c.relforcerowsecurity,
			COALESCE('security_invoker=true' = ANY (c.reloptions) OR 'security_invoker=on' = ANY (c.reloptions), false)
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
		  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp%'
		  AND (n.nspname = 'public'
		       OR (has_schema_privilege($1, n.oid, 'USAGE') AND (has_table_privilege($1, c.oid, 'SELECT,INSERT,UPDATE,DELETE')
		            OR has_any_column_privilege($1, c.oid, 'SELECT,INSERT,UPDATE'))))
		ORDER BY 1, 2`, RuntimeRole)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	tables := 0
	for rows.Next() {
		var schema, name, kind string
		var rls, force, invoker bool
		if err := rows.Scan(&schema, &name, &kind, &rls, &force, &invoker); err != nil {
			return nil, err
		}
		qualified := schema + "." + name
		if _, ok := isolationAllowlist[qualified]; ok {
			continue
		}
		switch kind {
		case "v":
			// A view reads its tables with its owner's rights, which bypass
			// RLS (the owner role does), unless it runs as the caller.
			if !invoker {
				problems = append(problems, fmt.Sprintf("view %s: does not run with security_invoker, so its owner's rights bypass row-level security", qualified))
			}
			continue
		case "m", "f":
			problems = append(problems, fmt.Sprintf("relation %s: materialized views and foreign tables cannot enforce row-level security", qualified))
			continue
		}
		if schema == "public" {
			tables++
		}
		if !rls {
			problems = append(problems, fmt.Sprintf("table %s: row-level security is not enabled", qualified))
		}
		if !force {
			problems = append(problems, fmt.Sprintf("table %s: row-level security is not forced", qualified))
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
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
