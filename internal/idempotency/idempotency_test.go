package idempotency_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/hestami/concierge/internal/db"
	"github.com/hestami/concierge/internal/idempotency"
	"github.com/hestami/concierge/internal/testkit"
)

func TestMain(m *testing.M) { testkit.Main(m) }

// Records older than the retention go, in batches; younger ones stay.
func TestPruneDeletesExpiredRecordsInBatches(t *testing.T) {
	t.Parallel()
	b := testkit.Setup(t)
	w := b.NewWorld()
	p := w.RiveraOwner
	for i := 0; i < 7; i++ {
		fp, _ := idempotency.Fingerprint(i)
		if _, err := idempotency.Execute(b.Ctx, b.DB, p, "test/v1/op", "k"+string(rune('a'+i)), fp,
			func(ctx context.Context, q db.Querier) (any, error) { return map[string]int{"i": i}, nil }); err != nil {
			t.Fatal(err)
		}
	}
	// Age five of them past the retention (owner role: spans tenants).
	if _, err := b.DB.Owner.Exec(b.Ctx, `UPDATE idempotency_keys SET created_at = now() - interval '25 hours'
		WHERE key IN ('ka', 'kb', 'kc', 'kd', 'ke')`); err != nil {
		t.Fatal(err)
	}
	n, err := idempotency.Prune(b.Ctx, b.DB.Owner, 2)
	if err != nil || n != 5 {
		t.Fatalf("pruned %d (%v), want 5", n, err)
	}
	var left int
	if err := b.DB.Owner.QueryRow(b.Ctx, `SELECT count(*) FROM idempotency_keys`).Scan(&left); err != nil || left != 2 {
		t.Fatalf("%d left (%v), want 2", left, err)
	}
	// A pruned key executes again; a kept one replays.
	fp, _ := idempotency.Fingerprint(0)
	out, err := idempotency.Execute(b.Ctx, b.DB, p, "test/v1/op", "ka", fp, func(ctx context.Context, q db.Querier) (any, error) { return "again", nil })
	if err != nil || out.Replayed {
		t.Fatalf("pruned key: %+v %v", out, err)
	}
	fp, _ = idempotency.Fingerprint(6)
	out, err = idempotency.Execute(b.Ctx, b.DB, p, "test/v1/op", "kg", fp, func(ctx context.Context, q db.Querier) (any, error) { return "nope", nil })
	var replayed map[string]int
	_ = json.Unmarshal(out.Output, &replayed)
	if err != nil || !out.Replayed || replayed["i"] != 6 {
		t.Fatalf("kept key: %+v %v", out, err)
	}
}
