package server

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/hestami/concierge/internal/apperr"
)

// outcome is what the access line says of a request besides its status. It
// holds identifiers and codes only: never a token, an input value or a
// message, which may carry personal data.
type outcome struct {
	procedure string
	org       string
	code      string
	replayed  bool
	items     int // calls in a batch
}

type outcomeKey struct{}

// noteOutcome records what a handler learned of its request for the access
// line; fields already known stay unless o knows better.
func noteOutcome(ctx context.Context, o outcome) {
	rec, _ := ctx.Value(outcomeKey{}).(*outcome)
	if rec == nil {
		return
	}
	if o.procedure != "" {
		rec.procedure = o.procedure
	}
	if o.org != "" {
		rec.org = o.org
	}
	if o.code != "" {
		rec.code = o.code
	}
	if o.items != 0 {
		rec.items = o.items
	}
	rec.replayed = rec.replayed || o.replayed
}

// orgOf is the organization a request names, when it is a UUID (anything
// else is caller text and stays out of the log).
func orgOf(h http.Header) string {
	if u, err := uuid.Parse(h.Get("X-Org-Id")); err == nil {
		return u.String()
	}
	return ""
}

// accessLog writes the one info line of a request.
func accessLog(r *http.Request, o *outcome, status int, traceID string, start time.Time) {
	attrs := []slog.Attr{
		slog.String("method", r.Method),
		slog.String("path", routeOf(r.URL.Path)),
		slog.String("procedure", o.procedure),
		slog.Int("status", status),
		slog.String("code", o.code),
		slog.String("trace_id", traceID),
		slog.String("org", o.org),
		slog.Float64("latency_ms", float64(time.Since(start).Microseconds())/1000),
		slog.Bool("replayed", o.replayed),
	}
	if o.items > 0 {
		attrs = append(attrs, slog.Int("batch_items", o.items))
	}
	slog.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs...)
}

// logFailure writes what the caller is not shown: the cause of an internal
// error (error level) and a dependency outage (warn level). Other codes are
// the caller's business and the access line's.
func logFailure(ctx context.Context, e *apperr.Error, traceID string, o outcome) {
	var level slog.Level
	switch e.Code {
	case apperr.Internal:
		level = slog.LevelError
	case apperr.DependencyUnavailable:
		level = slog.LevelWarn
	default:
		return
	}
	cause := e.Message
	if e.Err != nil {
		cause = e.Err.Error()
	}
	slog.LogAttrs(ctx, level, "call failed", slog.String("trace_id", traceID), slog.String("procedure", o.procedure),
		slog.String("org", o.org), slog.String("code", string(e.Code)), slog.String("cause", cause))
}

// statusWriter remembers the status for the access line.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Flush keeps streamed batches streaming.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
