package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hestami/concierge/internal/cases"
)

// rawHandler is the baseline: plain net/http handlers that decode the same
// request bodies the full stack gets and do one statement each on an
// owner-role pool (no authentication, no PDP, no RLS, no idempotency, no
// history or activity rows, no explicit transaction).
type rawHandler struct {
	pool    *pgxpool.Pool
	ownerOf atomic.Pointer[map[string]string] // org id -> the user recorded as created_by
	seq     atomic.Int64                      // fresh case numbers
	// targetsJSON is the default SLA targets as the SQL functions read them.
	targetsJSON string
}

const (
	rawCreatePath = "/raw/case/v1/create"
	rawListPath   = "/raw/case/v1/list"
	rawQueuePath  = "/raw/case/v1/queue"
)

func (h *rawHandler) setOwners(ts []tenant) {
	m := make(map[string]string, len(ts))
	for _, t := range ts {
		m[t.OrgID] = t.UserID
	}
	h.ownerOf.Store(&m)
}

func (h *rawHandler) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+rawCreatePath, h.create)
	mux.HandleFunc("POST "+rawListPath, h.list)
	mux.HandleFunc("POST "+rawSubmitPath, h.submit)
	mux.HandleFunc("POST "+rawQueuePath, h.queue)
	for _, add := range rawRoutes {
		add(h, mux)
	}
	return mux
}

// rawRoutes are the baselines that scenario files register (decision.go).
var rawRoutes []func(h *rawHandler, mux *http.ServeMux)

// The same columns, in the same order, as the case service reads.
const caseColumns = `id, organization_id, property_id, number, title, description, category, priority, status, assignee_id, due_at,
	resolution_summary, close_reason, cancel_reason, created_by, created_at, updated_at, status_changed_at`

func scanCase(r pgx.Row) (cases.Case, error) {
	var c cases.Case
	var status string
	err := r.Scan(&c.ID, &c.OrganizationID, &c.PropertyID, &c.Number, &c.Title, &c.Description, &c.Category, &c.Priority, &status,
		&c.AssigneeID, &c.DueAt, &c.ResolutionSummary, &c.CloseReason, &c.CancelReason, &c.CreatedBy, &c.CreatedAt, &c.UpdatedAt, &c.StatusChangedAt)
	c.Status = cases.Status(status)
	return c, err
}

// decode reads an oRPC-style {"json": …} body into in.
func decode(w http.ResponseWriter, r *http.Request, in any) bool {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 10<<20))
	if err == nil {
		err = json.Unmarshal(body, &struct {
			JSON any `json:"json"`
		}{JSON: in})
	}
	if err != nil {
		http.Error(w, "bad request: "+err.Error(), http.StatusBadRequest)
		return false
	}
	return true
}

// reply writes {"json": v}, the shape of an oRPC success body.
func reply(w http.ResponseWriter, v any) {
	b, err := json.Marshal(struct {
		JSON any `json:"json"`
	}{v})
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	w.Write(b)
}

func (h *rawHandler) org(w http.ResponseWriter, r *http.Request) (org, user string, ok bool) {
	org = strings.TrimSpace(r.Header.Get("X-Org-Id"))
	owners := h.ownerOf.Load()
	if owners != nil {
		user, ok = (*owners)[org]
	}
	if !ok {
		http.Error(w, "unknown X-Org-Id", http.StatusBadRequest)
	}
	return org, user, ok
}

// create is one INSERT … RETURNING per request.
func (h *rawHandler) create(w http.ResponseWriter, r *http.Request) {
	org, user, ok := h.org(w, r)
	if !ok {
		return
	}
	var in cases.CreateInput
	if !decode(w, r, &in) {
		return
	}
	if in.Category == "" {
		in.Category = "OTHER"
	}
	if in.Priority == "" {
		in.Priority = "NORMAL"
	}
	c, err := scanCase(h.pool.QueryRow(r.Context(), `INSERT INTO cases (organization_id, property_id, number, title, description, category, priority, due_at, created_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING `+caseColumns,
		org, in.PropertyID, fmt.Sprintf("RAW-%d", h.seq.Add(1)), strings.TrimSpace(in.Title), in.Description, in.Category, in.Priority, in.DueAt, user))
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	reply(w, c)
}

// list is one SELECT … ORDER BY created_at DESC, id DESC LIMIT n per request.
func (h *rawHandler) list(w http.ResponseWriter, r *http.Request) {
	org, _, ok := h.org(w, r)
	if !ok {
		return
	}
	var in cases.ListInput
	if !decode(w, r, &in) {
		return
	}
	if in.Limit <= 0 || in.Limit > 100 {
		in.Limit = 20
	}
	rows, err := h.pool.Query(r.Context(), `SELECT `+caseColumns+` FROM cases WHERE organization_id = $1
		ORDER BY created_at DESC, id DESC LIMIT $2`, org, in.Limit)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	items := make([]cases.Case, 0, in.Limit)
	for rows.Next() {
		c, err := scanCase(rows)
		if err != nil {
			rows.Close()
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		items = append(items, c)
	}
	if err := rows.Err(); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	reply(w, map[string]any{"items": items})
}

// queueColumns are what the case service reads now (the SLA clock and the
// party waited on included).
const queueColumns = caseColumns + `, responded_at, paused_seconds, paused_since, waiting_on_kind, waiting_on_name`

// queue is the work queue's read without the pipeline: the same
// urgency-ordered SELECT (the SQL urgency function, the targets bound as
// JSON, now), and the same Go view attached to every case.
func (h *rawHandler) queue(w http.ResponseWriter, r *http.Request) {
	org, _, ok := h.org(w, r)
	if !ok {
		return
	}
	var in cases.ListInput
	if !decode(w, r, &in) {
		return
	}
	if in.Limit <= 0 || in.Limit > 100 {
		in.Limit = 20
	}
	at := time.Now().UTC().Truncate(time.Microsecond)
	rows, err := h.pool.Query(r.Context(), `SELECT `+queueColumns+` FROM cases WHERE organization_id = $1
		ORDER BY hestami_case_urgency(cases, $2::timestamptz, $3::jsonb), created_at, id LIMIT $4`, org, at, h.targetsJSON, in.Limit)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	items := make([]cases.Case, 0, in.Limit)
	for rows.Next() {
		var c cases.Case
		var status string
		var kind, name *string
		err := rows.Scan(&c.ID, &c.OrganizationID, &c.PropertyID, &c.Number, &c.Title, &c.Description, &c.Category, &c.Priority, &status,
			&c.AssigneeID, &c.DueAt, &c.ResolutionSummary, &c.CloseReason, &c.CancelReason, &c.CreatedBy, &c.CreatedAt, &c.UpdatedAt, &c.StatusChangedAt,
			&c.RespondedAt, &c.PausedSeconds, &c.PausedSince, &kind, &name)
		if err != nil {
			rows.Close()
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		c.Status = cases.Status(status)
		if kind != nil && name != nil {
			c.WaitingOn = &cases.WaitingOn{Kind: cases.ExternalKind(*kind), Name: *name}
		}
		q := cases.QueueOf(c, at, cases.DefaultTargets)
		c.Queue = &q
		items = append(items, c)
	}
	if err := rows.Err(); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	reply(w, map[string]any{"items": items})
}
