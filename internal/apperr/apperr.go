// Package apperr defines hestami's typed errors. Every error a caller can act
// on is an *Error with a Code; the code alone decides the error type, HTTP
// status, retryability and CLI exit code (see the table below), so the
// mapping exists exactly once.
package apperr

import (
	"errors"
	"fmt"
	"strings"
)

// Code is a canonical error code (api.md §4).
type Code string

const (
	Validation             Code = "VALIDATION_FAILED"
	PayloadTooLarge        Code = "PAYLOAD_TOO_LARGE"
	UnsupportedMediaType   Code = "UNSUPPORTED_MEDIA_TYPE"
	IdempotencyKeyRequired Code = "IDEMPOTENCY_KEY_REQUIRED"
	Unauthenticated        Code = "UNAUTHENTICATED"
	Forbidden              Code = "FORBIDDEN"
	NotFound               Code = "NOT_FOUND"
	InvalidTransition      Code = "INVALID_TRANSITION"
	Conflict               Code = "CONFLICT"
	IdempotencyInProgress  Code = "IDEMPOTENCY_IN_PROGRESS"
	IdempotencyKeyReused   Code = "IDEMPOTENCY_KEY_REUSED"
	RateLimited            Code = "RATE_LIMITED"
	DependencyUnavailable  Code = "DEPENDENCY_UNAVAILABLE"
	Internal               Code = "INTERNAL"
)

// Spec is what a code means to every transport.
type Spec struct {
	Type       string
	HTTPStatus int
	Retryable  bool
	ExitCode   int
}

var specs = map[Code]Spec{
	Validation:             {"validation", 400, false, 2},
	PayloadTooLarge:        {"validation", 413, false, 2},
	UnsupportedMediaType:   {"validation", 415, false, 2},
	IdempotencyKeyRequired: {"validation", 400, false, 2},
	Unauthenticated:        {"authentication", 401, false, 4},
	Forbidden:              {"authorization", 403, false, 5},
	NotFound:               {"not_found", 404, false, 6},
	InvalidTransition:      {"conflict", 409, false, 7},
	Conflict:               {"conflict", 409, false, 7},
	IdempotencyInProgress:  {"conflict", 409, true, 7},
	IdempotencyKeyReused:   {"conflict", 422, false, 7},
	RateLimited:            {"rate_limit", 429, true, 8},
	DependencyUnavailable:  {"unavailable", 503, true, 9},
	Internal:               {"internal", 500, false, 1},
}

// SpecOf returns the transport facts of a code; unknown codes are internal.
func SpecOf(c Code) Spec {
	if s, ok := specs[c]; ok {
		return s
	}
	return specs[Internal]
}

// Codes lists every code, for documentation and exhaustive tests.
func Codes() []Code {
	out := make([]Code, 0, len(specs))
	for c := range specs {
		out = append(out, c)
	}
	return out
}

// FieldError names one invalid input field by its dotted/bracket path.
type FieldError struct {
	Field   string `json:"field"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Error is a typed, user-facing error.
type Error struct {
	Code    Code
	Message string
	Fields  []FieldError
	Err     error // the cause; never shown to callers
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Message)
	for _, f := range e.Fields {
		fmt.Fprintf(&b, "\n  %s: %s", f.Field, f.Message)
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// New returns an error with a code and message.
func New(c Code, format string, args ...any) *Error {
	return &Error{Code: c, Message: fmt.Sprintf(format, args...)}
}

// Wrap attaches a code and message to a cause.
func Wrap(c Code, err error, format string, args ...any) *Error {
	return &Error{Code: c, Message: fmt.Sprintf(format, args...), Err: err}
}

// From returns err as an *Error; anything untyped is INTERNAL.
func From(err error) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Code: Internal, Message: "internal error", Err: err}
}

// CodeOf returns the code of err: "" for nil, INTERNAL for untyped errors.
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	return From(err).Code
}

// Field returns a VALIDATION_FAILED error about one field.
func Field(field, code, message string) *Error {
	return &Error{Code: Validation, Message: "the input is invalid", Fields: []FieldError{{Field: field, Code: code, Message: message}}}
}

// Fields collects field errors; its Err is nil while nothing was added.
type Fields struct{ list []FieldError }

// Add records a violation.
func (f *Fields) Add(field, code, message string) {
	f.list = append(f.list, FieldError{Field: field, Code: code, Message: message})
}

// Required records a missing field when value is blank.
func (f *Fields) Required(field, value string) {
	if strings.TrimSpace(value) == "" {
		f.Add(field, "required", field+" is required")
	}
}

// MaxLen records a too-long value.
func (f *Fields) MaxLen(field, value string, n int) {
	if len([]rune(value)) > n {
		f.Add(field, "too_long", fmt.Sprintf("%s must be at most %d characters", field, n))
	}
}

// SingleLine records a value holding a line break, a tab or another control
// character (C0, DEL, C1): names and titles are one line of text, and table
// output depends on it. It says what the schema pattern of such fields says.
func (f *Fields) SingleLine(field, value string) {
	for _, r := range value {
		if r < 0x20 || (r >= 0x7F && r <= 0x9F) {
			f.Add(field, "pattern", field+" must be a single line: no line breaks, tabs or other control characters")
			return
		}
	}
}

// OneOf records a value outside an enumeration (empty values are not checked).
func (f *Fields) OneOf(field, value string, allowed []string) {
	if value == "" {
		return
	}
	for _, a := range allowed {
		if a == value {
			return
		}
	}
	f.Add(field, "invalid_enum", fmt.Sprintf("%s must be one of %s", field, strings.Join(allowed, ", ")))
}

// Err returns a VALIDATION_FAILED error holding every violation, or nil.
func (f *Fields) Err() error {
	if len(f.list) == 0 {
		return nil
	}
	return &Error{Code: Validation, Message: "the input is invalid", Fields: f.list}
}

// Envelope is the canonical error body (api.md §4), used by the plain JSON
// transport and the CLI's --json output.
type Envelope struct {
	Error EnvelopeError `json:"error"`
}

// EnvelopeError is the body's error object.
type EnvelopeError struct {
	Code        Code         `json:"code"`
	Type        string       `json:"type"`
	Message     string       `json:"message"`
	HTTPStatus  int          `json:"http_status"`
	FieldErrors []FieldError `json:"field_errors"`
	TraceID     string       `json:"trace_id"`
	Retryable   bool         `json:"retryable"`
}

// PublicMessage is the message callers may see: internal errors reveal
// nothing (the trace id is what support needs).
func (e *Error) PublicMessage() string {
	if e.Code == Internal {
		return "internal error"
	}
	return e.Message
}

// FieldList returns the field errors, never nil (JSON [] rather than null).
func (e *Error) FieldList() []FieldError {
	if e.Fields == nil {
		return []FieldError{}
	}
	return e.Fields
}

// ToEnvelope builds the canonical envelope of err.
func ToEnvelope(err error, traceID string) Envelope {
	e := From(err)
	spec := SpecOf(e.Code)
	return Envelope{Error: EnvelopeError{Code: e.Code, Type: spec.Type, Message: e.PublicMessage(), HTTPStatus: spec.HTTPStatus,
		FieldErrors: e.FieldList(), TraceID: traceID, Retryable: spec.Retryable}}
}
