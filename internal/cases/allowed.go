package cases

import (
	"context"
	"slices"

	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/db"
)

// statusAction is the PDP action a move to `to` asks (applyStatusChange
// decides with the same one).
func statusAction(to Status) string {
	if to == Cancelled {
		return "cancel"
	}
	return "update_status"
}

// hasOpenActions reports whether c has an action that is not final, which
// keeps it from being resolved. Asked only when RESOLVED is a target.
func hasOpenActions(ctx context.Context, q db.Querier, c Case) (bool, error) {
	if !CanTransition(c.Status, Resolved) {
		return false, nil
	}
	open, err := openActions(ctx, q, c.ID)
	return len(open) > 0, err
}

// allowedTransitions is what case/v1/updateStatus would accept from p on c
// as it is now (the caller already may view it): the state machine's
// targets, filtered by one PDP call for the actions those moves ask, and
// without RESOLVED while actions are open. It offers what the status
// change decides, so both read the same rules; the change still decides
// again on the locked row.
func (s *Service) allowedTransitions(ctx context.Context, p authz.Principal, c Case, openActions bool) ([]Status, error) {
	out := []Status{}
	targets := Transitions[c.Status]
	var actions []string
	for _, to := range targets {
		if a := statusAction(to); !slices.Contains(actions, a) {
			actions = append(actions, a)
		}
	}
	if len(actions) == 0 {
		return out, nil
	}
	allowed, err := s.pdp.Allowed(ctx, p, resourceOf(c), actions...)
	if err != nil {
		return nil, err
	}
	for _, to := range targets {
		if to == Resolved && openActions {
			continue
		}
		if slices.Contains(allowed, statusAction(to)) {
			out = append(out, to)
		}
	}
	return out, nil
}
