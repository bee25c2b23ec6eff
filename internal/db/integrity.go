package db

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"
)

// CheckTenantForeignKeys inspects the catalog and returns every foreign key
// from a table with an organization_id column to another such table that
// does not pair organization_id with organization_id: such a key lets a row
// point at a parent in another tenant. Keys to organizations (the tenant
// root, which has no organization_id) and to users are not concerned.
func CheckTenantForeignKeys(ctx context.Context, owner *pgxpool.Pool) ([]string, error) {
	rows, err := owner.Query(ctx, `SELECT n.nspname, src.relname, con.conname, dst.relname
		FROM pg_constraint con
		JOIN pg_class src ON src.oid = con.conrelid
		JOIN pg_class dst ON dst.oid = con.confrelid
		JOIN pg_namespace n ON n.oid = src.relnamespace
		WHERE con.contype = 'f'
		  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_%'
		  AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = src.oid AND a.attname = 'organization_id' AND NOT a.attisdropped)
		  AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = dst.oid AND a.attname = 'organization_id' AND NOT a.attisdropped)
		  AND NOT EXISTS (
		    SELECT 1 FROM unnest(con.conkey, con.confkey) AS k(src_att, dst_att)
		    JOIN pg_attribute sa ON sa.attrelid = con.conrelid AND sa.attnum = k.src_att
		    JOIN pg_attribute da ON da.attrelid = con.confrelid AND da.attnum = k.dst_att
		    WHERE sa.attname = 'organization_id' AND da.attname = 'organization_id')
		ORDER BY 1, 2, 3`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var schema, table, constraint, parent string
		if err := rows.Scan(&schema, &table, &constraint, &parent); err != nil {
			return nil, err
		}
		problems = append(problems, fmt.Sprintf("%s.%s: foreign key %s references %s without organization_id", schema, table, constraint, parent))
	}
	return problems, rows.Err()
}
