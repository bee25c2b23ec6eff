// Package directory names the people of an organization for those who work
// in it (user/v1/names), authorized by the PDP and scoped by the tenant
// transaction, so commands show who acted on a record, locally and against
// a server alike.
package directory

import (
	"context"

	"github.com/google/uuid"

	"github.com/hestami/concierge/internal/api"
	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/db"
)

// Directory is the directory service.
type Directory struct {
	db  *db.DB
	pdp authz.Decider
}

// NewDirectory returns the directory over d, authorized by pdp.
func New(d *db.DB, pdp authz.Decider) *Directory { return &Directory{db: d, pdp: pdp} }

// NamesInput lists the user ids to name.
type NamesInput struct {
	IDs []string `json:"ids" jsonschema:"maxItems=200,description=user ids (the actors of records the caller reads)"`
}

// Names maps each id the caller may see named to its display name; other
// ids are left out.
type Names struct {
	Names map[string]string `json:"names"`
}

// organizationKind is the PDP resource: the active organization itself.
const organizationKind = "organization"

// Register declares user/v1/names (api.Module).
func (d *Directory) Register(r *api.Registry) {
	api.Register(r, api.Spec{Namespace: "user", Version: "v1", Name: "names", Kind: api.Query,
		Resource: organizationKind, Actions: []string{"view_names"},
		Summary: "Display names of the active organization's people (members and engaged staff) among the given user ids"},
		func(ctx context.Context, c api.Call, in NamesInput) (Names, error) {
			return d.Names(ctx, c.Principal, in)
		})
}

// Names asks the PDP first, then reads in the tenant transaction, where
// hestami_display_names names only the organization's people.
func (d *Directory) Names(ctx context.Context, p authz.Principal, in NamesInput) (Names, error) {
	res := authz.Resource{Kind: organizationKind, ID: p.OrgID, Attr: map[string]any{"org_id": p.OrgID}}
	if err := d.pdp.Authorize(ctx, p, res, "view_names"); err != nil {
		return Names{}, err
	}
	out := Names{Names: map[string]string{}}
	ids := make([]string, 0, len(in.IDs))
	for _, id := range in.IDs {
		if uuid.Validate(id) == nil {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return out, nil
	}
	err := d.db.InTenantRead(ctx, p.OrgID, func(q db.Querier) error {
		rows, err := q.Query(ctx, `SELECT id::text, display_name FROM hestami_display_names($1::uuid[])`, ids)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id, name string
			if err := rows.Scan(&id, &name); err != nil {
				return err
			}
			out.Names[id] = name
		}
		return rows.Err()
	})
	return out, db.MapError(err)
}
