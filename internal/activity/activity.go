// Package activity writes the append-only activity log: every mutation of a
// domain entity records who did what, before and after, under which trace.
package activity

import (
	"context"
	"encoding/json"

	"go.opentelemetry.io/otel/trace"

	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/db"
)

// Event is one activity record.
type Event struct {
	EntityType string
	EntityID   string
	Verb       string
	Before     any
	After      any
}

// Record appends e, attributed to p, in the caller's transaction (queued:
// it travels with the transaction's next statement).
func Record(ctx context.Context, q db.Querier, p authz.Principal, e Event) error {
	before, err := jsonOrNil(e.Before)
	if err != nil {
		return err
	}
	after, err := jsonOrNil(e.After)
	if err != nil {
		return err
	}
	sc := trace.SpanContextFromContext(ctx)
	var traceID, spanID string
	if sc.IsValid() {
		traceID, spanID = sc.TraceID().String(), sc.SpanID().String()
	}
	return db.Queue(ctx, q, `INSERT INTO activity_events
		(organization_id, entity_type, entity_id, verb, actor_kind, actor_id, before, after, trace_id, span_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		p.OrgID, e.EntityType, e.EntityID, e.Verb, string(p.ActorKind), p.UserID, before, after, traceID, spanID)
}

func jsonOrNil(v any) ([]byte, error) {
	if v == nil {
		return nil, nil
	}
	return json.Marshal(v)
}

// Entry is a stored activity event.
type Entry struct {
	ID         int64           `json:"id"`
	EntityType string          `json:"entityType"`
	EntityID   string          `json:"entityId"`
	Verb       string          `json:"verb"`
	ActorKind  string          `json:"actorKind"`
	ActorID    string          `json:"actorId"`
	Before     json.RawMessage `json:"before,omitempty"`
	After      json.RawMessage `json:"after,omitempty"`
	TraceID    string          `json:"traceId,omitempty"`
}

// ForEntity lists the events of one entity, oldest first.
func ForEntity(ctx context.Context, q db.Querier, entityType, entityID string) ([]Entry, error) {
	rows, err := q.Query(ctx, `SELECT id, entity_type, entity_id, verb, actor_kind, actor_id, before, after, trace_id
		FROM activity_events WHERE entity_type = $1 AND entity_id = $2 ORDER BY id`, entityType, entityID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		var e Entry
		if err := rows.Scan(&e.ID, &e.EntityType, &e.EntityID, &e.Verb, &e.ActorKind, &e.ActorID, &e.Before, &e.After, &e.TraceID); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
