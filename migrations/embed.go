// Package migrations holds hestami's versioned SQL migrations, embedded in the
// binary. Files are applied in name order, once each, by internal/db.
package migrations

import "embed"

// FS holds the NNNN_name.sql files.
//
//go:embed *.sql
var FS embed.FS
