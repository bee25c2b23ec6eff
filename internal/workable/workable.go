// Package workable declares organization/v1/mine: the organizations the
// caller may act in, asked before it has chosen one (the work queue spans
// them; `hestami org mine` lists them).
//
// It is the one procedure that runs without an active organization
// (api.Spec.NoOrg). Two guards still hold: the database read runs on the
// runtime role under row-level security keyed by the caller's user, which
// shows its own memberships and its operators' engagements and nothing else;
// and each organization found is kept only if the PDP allows "act_in" on it
// to the principal the caller would be there.
package workable

import (
	"context"

	"github.com/hestami/concierge/internal/api"
	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/identity"
)

// Organization is one organization the caller may act in, with the roles
// it holds there (through an engagement, for concierge staff).
type Organization struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Kind is the organization's type (INDIVIDUAL_PROPERTY_OWNER, …).
	Kind  string   `json:"kind"`
	Roles []string `json:"roles"`
	// Engaged: the roles are the caller's operator's, through the
	// organization's concierge engagement.
	Engaged bool `json:"engaged"`
}

// List is organization/v1/mine's output, by name.
type List struct {
	Items []Organization `json:"items"`
}

// Input is organization/v1/mine's input: nothing.
type Input struct{}

// Service lists workable organizations.
type Service struct {
	ids *identity.Service
	pdp authz.Decider
}

// New returns the service.
func New(ids *identity.Service, pdp authz.Decider) *Service { return &Service{ids: ids, pdp: pdp} }

const kind = "organization"

// Mine returns the organizations userID may act in, by name.
func (s *Service) Mine(ctx context.Context, p authz.Principal) (List, error) {
	found, err := s.ids.Workable(ctx, p.UserID)
	if err != nil {
		return List{}, err
	}
	out := List{Items: []Organization{}}
	for _, w := range found {
		in := authz.Principal{UserID: p.UserID, OrgID: w.ID, OrgType: w.Type, Roles: w.Roles, Engaged: w.Engaged, ActorKind: p.ActorKind}
		res := authz.Resource{Kind: kind, ID: w.ID, Attr: map[string]any{"org_id": w.ID, "type": w.Type}}
		allowed, err := s.pdp.Allowed(ctx, in, res, "act_in")
		if err != nil {
			return List{}, err
		}
		if len(allowed) == 1 {
			out.Items = append(out.Items, Organization{ID: w.ID, Name: w.Name, Kind: w.Type, Roles: w.Roles, Engaged: w.Engaged})
		}
	}
	return out, nil
}

// Register declares organization/v1/mine (api.Module).
func (s *Service) Register(r *api.Registry) {
	api.Register(r, api.Spec{Namespace: "organization", Version: "v1", Name: "mine", Kind: api.Query, Resource: kind, Actions: []string{"act_in"},
		NoOrg: true, Summary: "The organizations the caller may act in (its memberships and, for concierge staff, those that engaged its operator), " +
			"by name, with its roles in each; needs no active organization"},
		func(ctx context.Context, c api.Call, _ Input) (List, error) {
			return s.Mine(ctx, c.Principal)
		})
}
