package hoa

import (
	"context"
	"fmt"

	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/db"
)

// missingDocuments returns the positions in ids (0-based) of the ids naming
// no document of the organization (RLS hides the others). The service
// answers with a field error for each before writing; the foreign key and
// the evidence trigger of migration 0022 are the last wall.
func missingDocuments(ctx context.Context, q db.Querier, ids []string) ([]int, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var missing []int
	err := q.QueryRow(ctx, `SELECT coalesce(array_agg(x.i - 1 ORDER BY x.i), '{}')
		FROM unnest($1::uuid[]) WITH ORDINALITY x(id, i)
		WHERE NOT EXISTS (SELECT 1 FROM documents d WHERE d.id = x.id)`, ids).Scan(&missing)
	return missing, err
}

// checkDocument refuses a documentId naming no document of the
// organization.
func checkDocument(ctx context.Context, q db.Querier, field, id string) error {
	missing, err := missingDocuments(ctx, q, []string{id})
	if err != nil {
		return err
	}
	if len(missing) > 0 {
		return apperr.Field(field, "not_found", field+" names no document of this organization")
	}
	return nil
}

// checkEvidence refuses each evidence id naming no document of the
// organization, as evidenceDocumentIds[i].
func checkEvidence(ctx context.Context, q db.Querier, ids []string) error {
	missing, err := missingDocuments(ctx, q, ids)
	if err != nil {
		return err
	}
	var f apperr.Fields
	for _, i := range missing {
		field := fmt.Sprintf("evidenceDocumentIds[%d]", i)
		f.Add(field, "not_found", field+" names no document of this organization")
	}
	return f.Err()
}
