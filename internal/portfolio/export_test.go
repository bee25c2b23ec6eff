package portfolio

import (
	"context"

	"github.com/hestami/concierge/internal/authz"
)

// SummaryWithSpend and OrganizationSummaryWithSpend run the summaries with
// another spend source (rows of property_id, spent_at, amount, currency),
// so the sums can be tested before quotes and invoices exist.
func (s *Service) SummaryWithSpend(ctx context.Context, p authz.Principal, ref, spend string) (Summary, error) {
	return s.summary(ctx, p, ref, spend)
}

func (s *Service) OrganizationSummaryWithSpend(ctx context.Context, p authz.Principal, spend string) (Summary, error) {
	return s.organizationSummary(ctx, p, spend)
}
