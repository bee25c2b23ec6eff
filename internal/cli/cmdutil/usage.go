package cmdutil

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/hestami/concierge/internal/apperr"
)

// UsageError types a mistake in how a command was called as invalid input,
// so it exits 2 like every other invalid input (cobra's own errors are
// untyped and would exit 1 as internal errors), and points at the help.
func UsageError(cmd *cobra.Command, format string, args ...any) error {
	return &apperr.Error{Code: apperr.Validation,
		Message: fmt.Sprintf(format, args...) + fmt.Sprintf(" (see '%s --help')", cmd.CommandPath())}
}
