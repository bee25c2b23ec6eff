package db_test

import (
	"sync"
	"sync/atomic"
	"testing"

	"github.com/hestami/concierge/internal/db"
	"github.com/hestami/concierge/internal/testkit"
)

// Two transactions that lock two rows in opposite orders deadlock;
// PostgreSQL aborts one (40P01), and InTenant runs it again once the other
// has committed: both succeed, and nothing is written twice.
func TestATransactionAbortedByADeadlockIsRunAgain(t *testing.T) {
	t.Parallel()
	b := testkit.Setup(t)
	w := b.NewWorld()
	p1 := b.NewProperty(w.RiveraOwner, "one").ID
	p2 := b.NewProperty(w.RiveraOwner, "two").ID

	var attempts atomic.Int32
	var bothLocked sync.WaitGroup
	bothLocked.Add(2)
	lockInOrder := func(first, second string) func(q db.Querier) error {
		var n int
		return func(q db.Querier) error {
			attempts.Add(1)
			n++
			if _, err := q.Exec(b.Ctx, `UPDATE properties SET name = name || '+' WHERE id = $1`, first); err != nil {
				return err
			}
			if n == 1 {
				// Both hold their first row before either asks for its
				// second: a deadlock, never a mere wait.
				bothLocked.Done()
				bothLocked.Wait()
			}
			_, err := q.Exec(b.Ctx, `UPDATE properties SET name = name || '+' WHERE id = $1`, second)
			return err
		}
	}
	errs := make(chan error, 2)
	go func() { errs <- b.DB.InTenant(b.Ctx, w.Rivera.ID, lockInOrder(p1, p2)) }()
	go func() { errs <- b.DB.InTenant(b.Ctx, w.Rivera.ID, lockInOrder(p2, p1)) }()
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatalf("a transaction failed: %v", err)
		}
	}
	if got := attempts.Load(); got != 3 {
		t.Fatalf("%d attempts, want 3 (one transaction run again)", got)
	}
	// Each committed run appended one "+" per row: two runs, two each.
	var one, two string
	if err := b.DB.Owner.QueryRow(b.Ctx, `SELECT (SELECT name FROM properties WHERE id = $1), (SELECT name FROM properties WHERE id = $2)`, p1, p2).Scan(&one, &two); err != nil {
		t.Fatal(err)
	}
	if one != "one++" || two != "two++" {
		t.Fatalf("rows %q and %q, want one++ and two++", one, two)
	}
}
