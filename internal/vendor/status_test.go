package vendor

import (
	"math/big"
	"testing"

	"github.com/hestami/concierge/internal/statemachine/statemachinetest"
)

// The machines of domain.md §8, written out independently of the tables so
// that a change must be made twice to pass.
var quoteSpec = map[QuoteStatus]map[QuoteStatus]bool{
	QuoteReceived:    {QuoteUnderReview: true, QuoteRejected: true, QuoteExpired: true, QuoteWithdrawn: true},
	QuoteUnderReview: {QuoteAccepted: true, QuoteRejected: true, QuoteExpired: true, QuoteWithdrawn: true},
	QuoteAccepted:    {},
	QuoteRejected:    {},
	QuoteExpired:     {},
	QuoteWithdrawn:   {},
}

var scheduleSpec = map[ScheduleStatus]map[ScheduleStatus]bool{
	ScheduleScheduled: {ScheduleDone: true, ScheduleCancelled: true},
	ScheduleDone:      {},
	ScheduleCancelled: {},
}

var invoiceSpec = map[InvoiceStatus]map[InvoiceStatus]bool{
	InvoiceReceived: {InvoiceApproved: true, InvoiceDisputed: true},
	InvoiceApproved: {InvoicePaid: true, InvoiceDisputed: true},
	InvoicePaid:     {},
	InvoiceDisputed: {},
}

func TestEveryQuoteTransitionPairMatchesTheSpec(t *testing.T) {
	t.Parallel()
	statemachinetest.CheckPairs(t, QuoteTransitions, QuoteStatuses.Values(), quoteSpec)
	// EXPIRED is read, never written.
	if storedQuoteStatuses.Contains(string(QuoteExpired)) || len(storedQuoteStatuses.Values()) != len(QuoteStatuses.Values())-1 {
		t.Fatalf("stored quote statuses %v", storedQuoteStatuses.Values())
	}
	if got := QuoteTransitions.Refusal("a quote", QuoteReceived, QuoteAccepted); got != "a quote in RECEIVED cannot move to ACCEPTED; allowed: UNDER_REVIEW, REJECTED, EXPIRED, WITHDRAWN" {
		t.Fatalf("refusal %q", got)
	}
}

func TestEveryScheduleTransitionPairMatchesTheSpec(t *testing.T) {
	t.Parallel()
	statemachinetest.CheckPairs(t, ScheduleTransitions, ScheduleStatuses.Values(), scheduleSpec)
}

func TestEveryInvoiceTransitionPairMatchesTheSpec(t *testing.T) {
	t.Parallel()
	statemachinetest.CheckPairs(t, InvoiceTransitions, InvoiceStatuses.Values(), invoiceSpec)
}

func TestDecimalsAreExact(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in    string
		scale int
		ok    bool
		want  string
	}{
		{"0.1", 5, true, "0.10"}, {"1500", 5, true, "1500.00"}, {"15.495", 5, true, "15.495"}, {"0.00001", 5, true, "0.00001"},
		{"1.234567", 5, false, ""}, {"", 5, false, ""}, {"1.2.3", 5, false, ""}, {"-1", 5, false, ""}, {".5", 5, false, ""},
	} {
		v, ok := scaled(c.in, c.scale)
		if ok != c.ok {
			t.Errorf("scaled(%q) ok=%v", c.in, ok)
			continue
		}
		if ok && formatScaled(v, c.scale) != c.want {
			t.Errorf("formatScaled(scaled(%q)) = %q, want %q", c.in, formatScaled(v, c.scale), c.want)
		}
	}
	// 0.1 × 3 is exactly 0.3 (a float says 0.30000000000000004).
	q, _ := scaled("3", 3)
	p, _ := scaled("0.10", 2)
	if got := formatScaled(new(big.Int).Mul(q, p), lineScale); got != "0.30" {
		t.Fatalf("3 × 0.10 = %s", got)
	}
}
