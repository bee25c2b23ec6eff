package cli

import (
	"testing"

	"github.com/hestami/concierge/internal/apperr"
)

// TestEveryErrorTypeHasAMeaning: a type added to apperr's table without a
// meaning here would show as its bare name in the exit-code help.
func TestEveryErrorTypeHasAMeaning(t *testing.T) {
	for _, c := range apperr.Codes() {
		if typ := apperr.SpecOf(c).Type; exitMeanings[typ] == "" {
			t.Errorf("%s: error type %q has no meaning in exitMeanings", c, typ)
		}
	}
}
