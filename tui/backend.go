// Package tui is `hestami queue`: the concierge's keyboard work queue.
//
// The queue is a view. Every rule it shows (who may see what, urgency,
// waiting on, next action, the transitions offered) comes from the
// procedures it calls through a Backend, the same ones the CLI and the RPC
// API run, so it works unchanged in process or against a server. Each
// screen (list, detail, help, form) is its own model; no View reads data,
// and every request runs as a tea.Cmd so the UI never waits on the network.
package tui

import (
	"context"
	"errors"

	"github.com/hestami/concierge/internal/apperr"
)

// Organization is one organization the staff member may work.
type Organization struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Session is who runs the queue and where: the organizations whose cases
// the queue lists.
type Session struct {
	UserID        string
	Organizations []Organization
	// Active is the active organization (--org, HESTAMI_ORG), if any: the
	// header names it; the queue still spans every organization.
	Active string
}

// Backend is everything the queue needs from the outside world.
type Backend interface {
	// Session names the caller and the organizations it may work.
	Session(ctx context.Context) (Session, error)
	// Call runs procedure in organization org, as factory.Caller does:
	// in is the input, out a pointer to decode the output into, key the
	// idempotency key of a change.
	Call(ctx context.Context, org, procedure string, in, out any, key string) error
}

// CallError is a failed call as the CLI would report it: Message is what a
// user may read (an internal error's carries its trace id, never the
// cause's text).
type CallError struct {
	Message string
	Err     error
}

func (e *CallError) Error() string { return e.Message }
func (e *CallError) Unwrap() error { return e.Err }

// describe is the one line the status bar shows for err.
func describe(err error) string {
	var ce *CallError
	if errors.As(err, &ce) {
		return ce.Message
	}
	return apperr.From(err).PublicMessage()
}
