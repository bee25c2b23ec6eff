// Package idempotency makes a mutation happen at most once per
// (organization, principal, procedure, key) (api.md §5). The key is claimed
// in the same transaction as the business write, so effect and record commit
// together; the outcome — success or a domain error — is stored and replayed.
package idempotency

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/db"
	"github.com/hestami/concierge/internal/telemetry"
)

// Retention is how long records are kept before Prune may delete them.
const Retention = 24 * time.Hour

// MaxKeyLength bounds keys (api.md §5: 1–255 characters).
const MaxKeyLength = 255

// Outcome is the result of a guarded call.
type Outcome struct {
	Value    any             // the success output of a fresh execution
	Output   json.RawMessage // the success output, as JSON (fresh or replayed)
	Err      *apperr.Error   // or the domain error
	Replayed bool
	TraceID  string // the trace of the original execution
}

// storedError is how a domain error is kept.
type storedError struct {
	Code    apperr.Code         `json:"code"`
	Message string              `json:"message"`
	Fields  []apperr.FieldError `json:"fields,omitempty"`
}

// Fingerprint hashes a canonical form of the input (encoding/json sorts map
// keys, so equal inputs hash equally).
func Fingerprint(input any) (string, error) {
	b, err := json.Marshal(input)
	if err != nil {
		return "", err
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:]), nil
}

// ValidateKey checks a key's presence, length in characters (as the OpenAPI
// document states it) and text: a header may carry bytes that are not UTF-8
// or control characters, which PostgreSQL refuses to store.
func ValidateKey(key string) error {
	if key == "" {
		return apperr.New(apperr.IdempotencyKeyRequired, "an idempotency key is required for this mutation (Idempotency-Key header or idempotencyKey input field)")
	}
	invalid := func(code, msg string) error {
		return &apperr.Error{Code: apperr.Validation, Message: "the input is invalid",
			Fields: []apperr.FieldError{{Field: "idempotencyKey", Code: code, Message: msg}}}
	}
	if !utf8.ValidString(key) {
		return invalid("invalid_utf8", "idempotencyKey must be valid UTF-8")
	}
	if strings.IndexFunc(key, unicode.IsControl) >= 0 {
		return invalid("control_character", "idempotencyKey must not contain control characters")
	}
	if utf8.RuneCountInString(key) > MaxKeyLength {
		return invalid("too_long", "idempotencyKey must be at most 255 characters")
	}
	return nil
}

// Execute runs fn in one tenant transaction guarded by the key. Errors that
// are worth retrying (INTERNAL, DEPENDENCY_UNAVAILABLE) roll everything back
// and are not recorded; domain errors are recorded and replayed.
func Execute(ctx context.Context, d *db.DB, p authz.Principal, procedure, key, fingerprint string,
	fn func(ctx context.Context, q db.Querier) (any, error)) (Outcome, error) {
	if err := ValidateKey(key); err != nil {
		return Outcome{}, err
	}
	var out Outcome
	err := d.InTenant(ctx, p.OrgID, func(q db.Querier) error {
		// A second request with the scope while the first is still running
		// does not wait: it is told to retry. The lookup runs only once the
		// lock is held.
		var (
			storedFP string
			output   []byte
			errJSON  []byte
			traceID  string
		)
		err := q.QueryRow(ctx, `SELECT fingerprint, output, error, trace_id FROM hestami_idempotency_claim($1, $2, $3, $4)`,
			p.OrgID, p.UserID, procedure, key).Scan(&storedFP, &output, &errJSON, &traceID)
		switch {
		case err == nil:
			if storedFP != fingerprint {
				return apperr.New(apperr.IdempotencyKeyReused, "this idempotency key was already used with a different input")
			}
			out = Outcome{Output: output, Replayed: true, TraceID: traceID}
			if errJSON != nil {
				var se storedError
				if err := json.Unmarshal(errJSON, &se); err != nil {
					return err
				}
				out.Err = &apperr.Error{Code: se.Code, Message: se.Message, Fields: se.Fields}
			}
			return nil
		case isBusy(err):
			return apperr.New(apperr.IdempotencyInProgress, "a request with this idempotency key is still being processed; retry shortly")
		case !errors.Is(err, pgx.ErrNoRows):
			return err
		}
		if err := db.Queue(ctx, q, `SAVEPOINT business`); err != nil {
			return err
		}
		result, ferr := fn(ctx, q)
		traceID = telemetry.TraceID(ctx)
		out = Outcome{TraceID: traceID}
		if ferr != nil {
			// Map before classifying: a unique, check or RLS violation
			// raised by PostgreSQL is a domain error to record, not an
			// internal one to retry.
			ferr = db.MapError(ferr)
			ae := apperr.From(ferr)
			if !recordable(ae.Code) {
				return ferr
			}
			if err := db.Queue(ctx, q, `ROLLBACK TO SAVEPOINT business`); err != nil {
				return err
			}
			out.Err = ae
			errJSON, err = json.Marshal(storedError{Code: ae.Code, Message: ae.Message, Fields: ae.Fields})
			if err != nil {
				return err
			}
		} else {
			if output, err = json.Marshal(result); err != nil {
				return err
			}
			out.Output = output
			out.Value = result
		}
		return db.Queue(ctx, q, `INSERT INTO idempotency_keys (organization_id, principal_id, procedure, key, fingerprint, output, error, trace_id)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, p.OrgID, p.UserID, procedure, key, fingerprint, nullJSON(output), nullJSON(errJSON), traceID)
	})
	return out, err
}

func nullJSON(b []byte) any {
	if b == nil {
		return nil
	}
	return b
}

func recordable(c apperr.Code) bool {
	switch c {
	case apperr.Internal, apperr.DependencyUnavailable, apperr.IdempotencyInProgress, apperr.RateLimited:
		return false
	}
	return true
}

// Prune deletes records older than Retention in batches of batch rows (owner
// role: it spans organizations) and returns how many it deleted.
func Prune(ctx context.Context, owner *pgxpool.Pool, batch int) (int64, error) {
	var total int64
	for {
		tag, err := owner.Exec(ctx, `DELETE FROM idempotency_keys WHERE ctid IN (
			SELECT ctid FROM idempotency_keys WHERE created_at < now() - $1::interval LIMIT $2)`, Retention.String(), batch)
		if err != nil {
			return total, err
		}
		total += tag.RowsAffected()
		if tag.RowsAffected() < int64(batch) {
			return total, nil
		}
	}
}

// isBusy reports the SQLSTATE hestami_idempotency_claim raises when another
// transaction holds the scope.
func isBusy(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "HS409"
}
