package main

// decision/v1/record: an owner records a decision on one of its
// properties. The full stack runs it through the whole pipeline (PDP on
// "record" and "view_audit", the chain lock, the hash, the activity event,
// the idempotency record); the raw baseline writes the same rows — the
// chained entry with its hash computed the same way under the same
// per-organization advisory lock, the activity event and the idempotency
// record — with plain pgx in one transaction of two pipelined round trips
// (the head must be read before the hash can be computed).

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/decision"
	"github.com/hestami/concierge/internal/idempotency"
)

const (
	opRecord        = "record"
	recordProcedure = "decision/v1/record"
	rawRecordPath   = "/raw/decision/v1/record"
)

func init() {
	scenarios = append(scenarios,
		scenario{"record-full", "i. decision/v1/record (RPC)", opRecord, true},
		scenario{"record-raw", "j. record     raw pgx, same rows", opRecord, false},
	)
	runOrder = append(runOrder, "record-full", "record-raw")
	scenarioNames["record-full"], scenarioNames["record-raw"] = true, true
	targets = append(targets, struct {
		op, full, raw string
		min           float64
	}{"record", "record-full", "record-raw", 0})
	rawRoutes = append(rawRoutes, func(h *rawHandler, mux *http.ServeMux) { mux.HandleFunc("POST "+rawRecordPath, h.record) })
}

func recordBody(w, i int, t *tenant) []byte {
	in := decision.RecordInput{Category: "VENDOR_SELECTION", PropertyID: t.PropertyID,
		Title:     fmt.Sprintf("Plumber for the faucet %d-%d", w, i),
		Summary:   "We chose Austin Plumbing: cheaper and available this week.",
		Rationale: "Lowest of two quotes, licensed, can come Thursday; the other could not come before next month.",
		Options: []decision.Option{
			{Label: "Austin Plumbing", Pros: []string{"180.00 USD", "Thursday"}, Cons: []string{"new to us"}, Chosen: true},
			{Label: "Oak Plumbing", Pros: []string{"known"}, Cons: []string{"240.00 USD", "next month"}},
		}}
	b, _ := json.Marshal(map[string]any{"json": in})
	return b
}

func (l *loader) recordURL() string {
	if l.sc.full {
		return l.st.fullURL + "/api/v1/rpc/" + recordProcedure
	}
	return l.st.rawURL + rawRecordPath
}

// checkRecord checks the sanity request's answer and that the entry is
// chained after the organization's previous one.
func (l *loader) checkRecord(ctx context.Context, answer json.RawMessage, t *tenant) error {
	var got decision.Decision
	if err := json.Unmarshal(answer, &got); err != nil || got.ID == "" || got.OrganizationID != t.OrgID || len(got.Hash) != 64 {
		return fmt.Errorf("record answered no ledger entry of organization %s: %s", t.OrgID, snippet(answer))
	}
	var prev string
	err := l.st.rawPool.QueryRow(ctx, `SELECT coalesce((SELECT hash FROM decisions WHERE organization_id = $1 AND sequence = $2), $3)`,
		t.OrgID, got.Sequence-1, decision.GenesisHash).Scan(&prev)
	if err != nil {
		return err
	}
	if prev != got.PrevHash {
		return fmt.Errorf("entry %d of %s does not chain to entry %d", got.Sequence, t.OrgID, got.Sequence-1)
	}
	return nil
}

// record is decision/v1/record minus the pipeline: decode, the mandatory
// fields, then the chained insert.
func (h *rawHandler) record(w http.ResponseWriter, r *http.Request) {
	org, user, ok := h.org(w, r)
	if !ok {
		return
	}
	key := r.Header.Get("Idempotency-Key")
	if err := idempotency.ValidateKey(key); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var in decision.RecordInput
	if !decode(w, r, &in) {
		return
	}
	fingerprint, err := idempotency.Fingerprint(&in)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	if strings.TrimSpace(in.Rationale) == "" || strings.TrimSpace(in.Title) == "" || strings.TrimSpace(in.Summary) == "" {
		http.Error(w, "title, summary and rationale are required", http.StatusBadRequest)
		return
	}
	out, err := h.writeRecord(r.Context(), org, user, key, fingerprint, in)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	reply(w, out)
}

func (h *rawHandler) writeRecord(ctx context.Context, org, user, key, fingerprint string, in decision.RecordInput) (decision.Decision, error) {
	conn, err := h.pool.Acquire(ctx)
	if err != nil {
		return decision.Decision{}, err
	}
	defer conn.Release()
	b := &pgx.Batch{}
	b.Queue(`BEGIN`)
	b.Queue(`SELECT pg_advisory_xact_lock(715521, hashtext($1))`, org)
	b.Queue(`SELECT h.sequence, h.hash, now() FROM (SELECT 1) one
		LEFT JOIN LATERAL (SELECT sequence, hash FROM decisions WHERE organization_id = $1 ORDER BY sequence DESC LIMIT 1) h ON true`, org)
	br := conn.SendBatch(ctx, b)
	var seq *int64
	var prev *string
	var at time.Time
	_, err = br.Exec()
	if err == nil {
		_, err = br.Exec()
	}
	if err == nil {
		err = br.QueryRow().Scan(&seq, &prev, &at)
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return decision.Decision{}, err
	}
	nonce := make([]byte, 16)
	_, _ = rand.Read(nonce)
	propertyID := in.PropertyID
	d := decision.Decision{ID: uuid.NewString(), OrganizationID: org, Sequence: 1, PrevHash: decision.GenesisHash, Category: in.Category,
		Title: strings.TrimSpace(in.Title), Summary: strings.TrimSpace(in.Summary), Rationale: strings.TrimSpace(in.Rationale),
		PropertyID: &propertyID, Options: in.Options, Evidence: []decision.Evidence{}, ActorKind: string(authz.Human), ActorID: user,
		Authority: decision.Authority{Roles: []string{"OWNER"}}, RecordedAt: at.UTC()}
	if seq != nil {
		d.Sequence, d.PrevHash = *seq+1, *prev
	}
	audit := decision.Audit{Nonce: hex.EncodeToString(nonce), Evidence: []decision.Evidence{}}
	d.Hash = decision.Entry{OrganizationID: org, Sequence: d.Sequence, ID: d.ID, PrevHash: d.PrevHash, RecordedAt: d.RecordedAt,
		Category: d.Category, Title: d.Title, Summary: d.Summary, Rationale: d.Rationale, PropertyID: d.PropertyID, Options: d.Options,
		Evidence: d.Evidence, ActorKind: d.ActorKind, ActorID: d.ActorID, AuthorityRoles: d.Authority.Roles,
		AuditDigest: audit.Digest()}.Hash()
	options, err := json.Marshal(d.Options)
	if err != nil {
		return d, err
	}
	after, err := json.Marshal(d)
	if err != nil {
		return d, err
	}
	b = &pgx.Batch{}
	b.Queue(`INSERT INTO decisions (id, organization_id, sequence, property_id, category, title, summary, rationale, options,
			audit_nonce, actor_kind, actor_id, authority_roles, recorded_at, prev_hash, hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
		d.ID, org, d.Sequence, d.PropertyID, d.Category, d.Title, d.Summary, d.Rationale, options, audit.Nonce, d.ActorKind, user,
		d.Authority.Roles, d.RecordedAt, d.PrevHash, d.Hash)
	b.Queue(`INSERT INTO activity_events
		(organization_id, entity_type, entity_id, verb, actor_kind, actor_id, before, after, trace_id, span_id)
		VALUES ($1, 'decision', $2, 'recorded', $3, $4, NULL, $5, '', '')`, org, d.ID, d.ActorKind, user, after)
	b.Queue(`INSERT INTO idempotency_keys (organization_id, principal_id, procedure, key, fingerprint, output, error, trace_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, org, user, recordProcedure, key, fingerprint, after, nil, "")
	b.Queue(`COMMIT`)
	if err := conn.SendBatch(ctx, b).Close(); err != nil {
		return d, err
	}
	return d, nil
}
