// Package telemetry sets up OpenTelemetry tracing: an OTLP exporter when
// OTEL_EXPORTER_OTLP_ENDPOINT is set, stdout when asked, otherwise spans are
// still created (their ids go into activity events and error envelopes) but
// not exported.
package telemetry

import (
	"context"
	"io"
	"os"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.26.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/hestami/concierge/internal/apperr"
)

// Setup installs the global tracer provider and returns its shutdown.
func Setup(ctx context.Context, stdout bool, stdoutWriter io.Writer, version string) (func(context.Context) error, error) {
	opts := []sdktrace.TracerProviderOption{
		sdktrace.WithResource(resource.NewSchemaless(semconv.ServiceName("hestami"), semconv.ServiceVersion(version))),
	}
	switch {
	case os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != "":
		exp, err := otlptracegrpc.New(ctx)
		if err != nil {
			return nil, err
		}
		opts = append(opts, sdktrace.WithBatcher(exp))
	case stdout:
		exp, err := stdouttrace.New(stdouttrace.WithWriter(stdoutWriter))
		if err != nil {
			return nil, err
		}
		opts = append(opts, sdktrace.WithSyncer(exp))
	}
	tp := sdktrace.NewTracerProvider(opts...)
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	return tp.Shutdown, nil
}

// The authorization decision attribute and its values (api.md §7).
// DecisionNone stays when no PDP decision was made: the call failed before
// authorization (unauthenticated, invalid input) or needed none.
const (
	AuthzDecision = "hestami.authz.decision"
	DecisionNone  = "none"
	DecisionAllow = "allow"
	DecisionDeny  = "deny"
	DecisionError = "error"
)

// RecordDecision sets the PDP's decision on the span of ctx. Only the code
// that asked the PDP knows it: a denial may reach the caller as NOT_FOUND.
// The last decision of a call wins; a denial ends a call.
func RecordDecision(ctx context.Context, decision string) {
	trace.SpanFromContext(ctx).SetAttributes(attribute.String(AuthzDecision, decision))
}

// Finish records the outcome of an operation on its span (api.md §7): the
// result code and the error status. No personal data goes into attributes.
func Finish(span trace.Span, err error) {
	code := "OK"
	if err != nil {
		e := apperr.From(err)
		code = string(e.Code)
		span.SetStatus(codes.Error, code)
		if e.Code == apperr.Internal && e.Err != nil {
			span.RecordError(e.Err)
		}
	}
	span.SetAttributes(attribute.String("hestami.result_code", code))
}

// TraceID returns the trace id of ctx, or "".
func TraceID(ctx context.Context) string {
	sc := trace.SpanContextFromContext(ctx)
	if !sc.IsValid() {
		return ""
	}
	return sc.TraceID().String()
}
