package queuecmd

import (
	"errors"
	"strings"
	"testing"

	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/cli/output"
	"github.com/hestami/concierge/tui"
)

// The queue's status line says what `hestami case …` would print: an
// internal error only with its trace id, a refusal with its reason.
func TestFailureIsWordedAsTheCLIPrintsIt(t *testing.T) {
	internal := output.WithTrace(&apperr.Error{Code: apperr.Internal, Message: "internal error",
		Err: errors.New("pq: password authentication failed for user hestami_app")}, "4bf92f3577b34da6")
	var ce *tui.CallError
	if !errors.As(failure(internal), &ce) {
		t.Fatal("not a CallError")
	}
	if ce.Message != "internal error (trace 4bf92f3577b34da6)" || strings.Contains(ce.Message, "pq:") {
		t.Fatalf("internal: %q", ce.Message)
	}
	t.Setenv(output.LogLevelEnv, "debug")
	if errors.As(failure(internal), &ce); strings.Contains(ce.Message, "pq:") || !strings.Contains(ce.Message, "trace 4bf92f3577b34da6") {
		t.Fatalf("at debug level the cause reached the screen: %q", ce.Message)
	}
	refused := apperr.New(apperr.InvalidTransition, "cannot move a case from CLOSED to IN_PROGRESS")
	if errors.As(failure(refused), &ce); ce.Message != "cannot move a case from CLOSED to IN_PROGRESS" || !errors.Is(ce, refused) {
		t.Fatalf("refusal: %q", ce.Message)
	}
	if failure(nil) != nil {
		t.Fatal("nil is a failure")
	}
}
