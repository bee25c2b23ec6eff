// Package policies holds hestami's Cerbos policies, embedded in the binary
// and written out for the PDP at start. Their tests (Cerbos' own YAML test
// format) live in tests/.
package policies

import "embed"

// FS holds the policy files (the tests directory is not embedded).
//
//go:embed *.yaml
var FS embed.FS
