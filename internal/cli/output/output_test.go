package output_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/cli/output"
)

const trace = "4bf92f3577b34da6a3ce929d0e0e4736"

// driverErr is what an internal error may carry: text users must not see.
var driverErr = &pgconn.PgError{Severity: "ERROR", Code: "25P02", Message: "current transaction is aborted, commands ignored until end of transaction block"}

func TestInternalErrorShowsOnlyMessageAndTrace(t *testing.T) {
	t.Setenv(output.LogLevelEnv, "")
	for _, err := range []error{
		output.WithTrace(apperr.Wrap(apperr.Internal, driverErr, "internal error"), trace),
		output.WithTrace(driverErr, trace), // untyped: INTERNAL as well
	} {
		var human bytes.Buffer
		if code := output.PrintError(&human, err, false); code != 1 {
			t.Errorf("exit %d, want 1", code)
		}
		if !strings.HasPrefix(human.String(), "error: internal error (trace "+trace+")\n") || strings.Contains(human.String(), "aborted") {
			t.Errorf("human output:\n%s", human.String())
		}
		var js bytes.Buffer
		output.PrintError(&js, err, true)
		var env apperr.Envelope
		if e := json.Unmarshal(js.Bytes(), &env); e != nil {
			t.Fatalf("%v in:\n%s", e, js.String())
		}
		if env.Error.Code != apperr.Internal || env.Error.Message != "internal error" || env.Error.TraceID != trace || strings.Contains(js.String(), "aborted") {
			t.Errorf("json output:\n%s", js.String())
		}
	}
}

// At debug level the cause is logged (with the trace id) for the operator
// who asked for it; the message itself stays the public one.
func TestInternalErrorCauseIsLoggedAtDebugLevel(t *testing.T) {
	t.Setenv(output.LogLevelEnv, "debug")
	var buf bytes.Buffer
	output.PrintError(&buf, output.WithTrace(apperr.Wrap(apperr.Internal, driverErr, "internal error"), trace), true)
	out := buf.String()
	logLine, envelope, _ := strings.Cut(out, "\n")
	if !strings.Contains(logLine, "level=DEBUG") || !strings.Contains(logLine, "trace_id="+trace) || !strings.Contains(logLine, "current transaction is aborted") {
		t.Fatalf("log line: %q", logLine)
	}
	var env apperr.Envelope
	if err := json.Unmarshal([]byte(envelope), &env); err != nil || env.Error.Message != "internal error" {
		t.Fatalf("envelope after the log line: %v\n%s", err, envelope)
	}
}

// Domain errors keep their message and fields, and carry the trace id too.
func TestDomainErrorKeepsItsMessage(t *testing.T) {
	t.Setenv(output.LogLevelEnv, "debug")
	err := output.WithTrace(&apperr.Error{Code: apperr.Validation, Message: "the input is invalid",
		Fields: []apperr.FieldError{{Field: "propertyId", Code: "not_found", Message: "propertyId names no property of this organization"}}}, trace)
	var human bytes.Buffer
	if code := output.PrintError(&human, err, false); code != 2 {
		t.Errorf("exit %d, want 2", code)
	}
	if human.String() != "error: the input is invalid\n  propertyId: propertyId names no property of this organization\n" {
		t.Errorf("human output:\n%s", human.String())
	}
	var js bytes.Buffer
	output.PrintError(&js, err, true)
	var env apperr.Envelope
	if e := json.Unmarshal(js.Bytes(), &env); e != nil || env.Error.TraceID != trace || len(env.Error.FieldErrors) != 1 {
		t.Errorf("json output (%v):\n%s", e, js.String())
	}
	if apperr.CodeOf(err) != apperr.Validation {
		t.Errorf("the trace wrapper hides the code: %s", apperr.CodeOf(err))
	}
}
