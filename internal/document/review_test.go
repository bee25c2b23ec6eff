package document

import (
	"testing"

	"github.com/hestami/concierge/internal/statemachine/statemachinetest"
)

// The review machine of domain.md §5, written out independently of
// ReviewTransitions so that a change to the table must be made twice.
var reviewSpec = map[ReviewStatus]map[ReviewStatus]bool{
	PendingReview: {Reviewed: true, Rejected: true},
	Reviewed:      {},
	Rejected:      {},
}

func TestEveryReviewTransitionPairMatchesTheSpec(t *testing.T) {
	t.Parallel()
	statemachinetest.CheckPairs(t, ReviewTransitions, ReviewStatuses.Values(), reviewSpec)
}
