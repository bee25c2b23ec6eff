package quoteimport

import (
	"context"
	"errors"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/hestami/concierge/internal/activity"
	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/db"
)

// BatchRef names one batch.
type BatchRef struct {
	ID string `json:"id" jsonschema:"format=uuid"`
}

// BatchListInput lists an organization's batches, newest first.
type BatchListInput struct {
	Limit int `json:"limit,omitempty" jsonschema:"minimum=1,maximum=100"`
}

// BatchList is a list of batches.
type BatchList struct {
	Items []Summary `json:"items"`
}

// ListBatches returns the newest batches of p's organization.
func (s *Service) ListBatches(ctx context.Context, p authz.Principal, in BatchListInput) (BatchList, error) {
	if err := s.authorizeBatch(ctx, p); err != nil {
		return BatchList{}, err
	}
	limit := in.Limit
	if limit == 0 {
		limit = 50
	}
	out := BatchList{Items: []Summary{}}
	err := s.db.InTenant(ctx, p.OrgID, func(q db.Querier) error {
		rows, err := q.Query(ctx, `SELECT `+batchColumns+` FROM quote_import_batches ORDER BY created_at DESC, id LIMIT $1`, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			b, err := scanBatch(rows)
			if err != nil {
				return err
			}
			out.Items = append(out.Items, b)
		}
		return rows.Err()
	})
	return out, err
}

// GetBatch returns one batch of p's organization.
func (s *Service) GetBatch(ctx context.Context, p authz.Principal, in BatchRef) (Summary, error) {
	if err := s.authorizeBatch(ctx, p); err != nil {
		return Summary{}, err
	}
	return db.InTenantResult(ctx, s.db, p.OrgID, func(q db.Querier) (Summary, error) {
		b, found, err := loadBatch(ctx, q, in.ID)
		if err == nil && !found {
			err = apperr.New(apperr.NotFound, "import batch %s not found", in.ID)
		}
		return b, err
	})
}

// maxListed bounds how many blocking quotes a refusal names.
const maxListed = 20

// RevertTx deletes exactly the quotes (and line items) batch in.ID
// created, in q, and marks it REVERTED with an activity event. It is
// refused, deleting nothing, when any of them was ACCEPTED or is billed
// or scheduled, naming those.
func (s *Service) RevertTx(ctx context.Context, q db.Querier, p authz.Principal, in BatchRef) (Summary, error) {
	if err := s.authorizeBatch(ctx, p); err != nil {
		return Summary{}, err
	}
	before, err := scanBatch(q.QueryRow(ctx, `SELECT `+batchColumns+` FROM quote_import_batches WHERE id = $1::uuid FOR UPDATE`, in.ID))
	if errors.Is(err, pgx.ErrNoRows) {
		return Summary{}, apperr.New(apperr.NotFound, "import batch %s not found", in.ID)
	}
	if err != nil {
		return Summary{}, err
	}
	if before.Status == BatchReverted {
		return Summary{}, apperr.New(apperr.InvalidTransition, "import batch %s was reverted already", in.ID)
	}
	// The batch's quotes lie in the range of ids it recorded (time-ordered
	// ids); a batch imported before ranges were recorded is found by a scan.
	var first, last *string
	if err := q.QueryRow(ctx, `SELECT first_quote_id::text, last_quote_id::text FROM quote_import_batches WHERE id = $1::uuid`,
		in.ID).Scan(&first, &last); err != nil {
		return Summary{}, err
	}
	inBatch, args := `q.import_batch_id = $1::uuid`, []any{in.ID}
	if first != nil && last != nil {
		inBatch, args = inBatch+` AND q.id BETWEEN $2::uuid AND $3::uuid`, append(args, *first, *last)
	}
	// The quotes are locked before they are judged, so none is accepted
	// between the check and the delete.
	rows, err := q.Query(ctx, `SELECT q.id::text, coalesce(q.external_ref, 'row ' || q.import_row), q.status,
			EXISTS (SELECT 1 FROM invoices i WHERE i.quote_id = q.id) OR EXISTS (SELECT 1 FROM vendor_schedules v WHERE v.quote_id = q.id)
		FROM quotes q WHERE `+inBatch+` ORDER BY q.import_row FOR UPDATE OF q`, args...)
	if err != nil {
		return Summary{}, err
	}
	var blocked []string
	total := 0
	for rows.Next() {
		var id, ref, status string
		var used bool
		if err := rows.Scan(&id, &ref, &status, &used); err != nil {
			rows.Close()
			return Summary{}, err
		}
		total++
		if status == "ACCEPTED" || used {
			blocked = append(blocked, id+" ("+ref+", "+map[bool]string{true: "ACCEPTED", false: "billed or scheduled"}[status == "ACCEPTED"]+")")
		}
	}
	if err := rows.Err(); err != nil {
		return Summary{}, err
	}
	if len(blocked) > 0 {
		listed := blocked
		if len(listed) > maxListed {
			listed = listed[:maxListed]
		}
		e := apperr.New(apperr.Conflict, "import batch %s cannot be reverted: %d of its quotes were accepted or are in use: %s",
			in.ID, len(blocked), strings.Join(listed, ", "))
		for _, b := range listed {
			e.Fields = append(e.Fields, apperr.FieldError{Field: "quotes", Code: "accepted", Message: b})
		}
		return Summary{}, e
	}
	if _, err := q.Exec(ctx, `DELETE FROM quote_line_items li USING quotes q
		WHERE li.organization_id = q.organization_id AND li.quote_id = q.id AND `+inBatch, args...); err != nil {
		return Summary{}, err
	}
	deleted, err := q.Exec(ctx, `DELETE FROM quotes q WHERE `+inBatch, args...)
	if err != nil {
		return Summary{}, err
	}
	if int(deleted) != total {
		return Summary{}, apperr.New(apperr.Internal, "import batch %s: %d quotes locked, %d deleted", in.ID, total, deleted)
	}
	after, err := scanBatch(q.QueryRow(ctx, `UPDATE quote_import_batches SET status = 'REVERTED', reverted_at = now(), reverted_by = $2
		WHERE id = $1::uuid RETURNING `+batchColumns, in.ID, p.UserID))
	if err != nil {
		return Summary{}, err
	}
	type reverted struct {
		Summary
		QuotesDeleted int64 `json:"quotesDeleted"`
	}
	return after, activity.Record(ctx, q, p, activity.Event{EntityType: batchKind, EntityID: in.ID, Verb: "reverted",
		Before: before, After: reverted{after, deleted}})
}
