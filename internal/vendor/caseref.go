package vendor

import (
	"context"
	"errors"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/db"
)

// caseRow is what this domain needs of a case: where it is and whose
// property it concerns.
type caseRow struct {
	ID, Number, Status, PropertyID string
}

// caseWhere selects a case by its id or, when ref is no uuid, its number.
func caseWhere(ref string) (where string, arg string) {
	if id, err := uuid.Parse(ref); err == nil {
		return `id = $1::uuid`, id.String()
	}
	return `number = $1`, ref
}

// readCase reads the case ref names; lock takes the case row lock (FOR NO
// KEY UPDATE: it serializes this domain's writers on one case, and a status
// change's FOR UPDATE, without blocking foreign-key checks). found is false
// when the organization has no such case.
func readCase(ctx context.Context, q db.Querier, ref string, lock bool) (c caseRow, found bool, err error) {
	where, arg := caseWhere(ref)
	sql := `SELECT id, number, status, property_id FROM cases WHERE ` + where
	if lock {
		sql += ` FOR NO KEY UPDATE`
	}
	err = q.QueryRow(ctx, sql, arg).Scan(&c.ID, &c.Number, &c.Status, &c.PropertyID)
	if errors.Is(err, pgx.ErrNoRows) {
		return c, false, nil
	}
	return c, err == nil, err
}

// terminal refuses to add anything to a case that ended.
func (c caseRow) refuseTerminal() error {
	if c.Status == "CLOSED" || c.Status == "CANCELLED" {
		return apperr.New(apperr.Conflict, "case %s is %s: nothing can be added to it", c.Number, c.Status)
	}
	return nil
}

// authorizeNew asks the PDP whether p may create a record of kind on the
// case (found or not: who may not create learns nothing about which cases
// exist), then reports a missing case as a field error on field.
func (s *Service) authorizeNew(ctx context.Context, p authz.Principal, kind, field string, c caseRow, found bool,
	amount func(map[string]any)) error {
	attr := map[string]any{"org_id": p.OrgID, "case_id": c.ID, "property_id": c.PropertyID, "status": "", "vendor_id": ""}
	authz.AmountAttr(attr, nil)
	if amount != nil {
		amount(attr)
	}
	if err := s.pdp.Authorize(ctx, p, authz.Resource{Kind: kind, ID: "new", Attr: attr}, "create"); err != nil {
		return err
	}
	if !found {
		return apperr.Field(field, "not_found", field+" names no case of this organization")
	}
	return nil
}

// vendorName checks that id names a vendor of the organization.
func vendorName(ctx context.Context, q db.Querier, id string) (string, error) {
	var name string
	err := q.QueryRow(ctx, `SELECT name FROM vendors WHERE id = $1::uuid`, id).Scan(&name)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", apperr.Field("vendorId", "not_found", "vendorId names no vendor of this organization")
	}
	return name, err
}

// documentRef returns id as the document_id to store (nil when none is
// given), refusing one that names no document of the organization (RLS
// hides the others) as a field error before the foreign key of migration
// 0022 would.
func documentRef(ctx context.Context, q db.Querier, id string) (*string, error) {
	if id == "" {
		return nil, nil
	}
	var found string
	err := q.QueryRow(ctx, `SELECT id FROM documents WHERE id = $1::uuid`, id).Scan(&found)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, apperr.Field("documentId", "not_found", "documentId names no document of this organization")
	}
	if err != nil {
		return nil, err
	}
	return &found, nil
}
