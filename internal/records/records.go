// Package records holds the reads every domain area repeats, so each
// domain declares a Table once instead of writing them again:
//
//   - Get: one record by id (or by its human number, such as CASE-2026-7),
//     authorized by the PDP on the record as stored; a record the caller may
//     not view is NOT_FOUND, exactly like one that does not exist.
//   - List: the records the PDP's query plan allows, translated to SQL with
//     bound arguments (never fetched and then filtered), narrowed by the
//     caller's filters, in a stable order, paged by an opaque cursor.
//
// Load is the building block both use, and what a mutation calls (with
// forUpdate) to decide on the locked row.
package records

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/db"
	"github.com/hestami/concierge/internal/listing"
)

// Table describes how one kind of record is stored and authorized.
type Table[T any] struct {
	Kind    string // the PDP resource kind, also the noun of messages ("case")
	Name    string // the SQL table
	Columns string // the select list Scan reads
	Scan    func(db.Row) (T, error)
	// Resource is what the PDP is told about a stored record.
	Resource func(T) authz.Resource
	// Plan maps the query plan's variables to columns; a variable missing
	// here makes a list fail (closed), never match everything.
	Plan authz.Columns
	// NumberColumn holds a human reference a record may be named by instead
	// of its id ("" when there is none).
	NumberColumn string
	// Order is the list order: NewestFirst, or a column of its own. A table
	// without one cannot be listed (List says so instead of guessing).
	Order Order[T]
}

// Order is a stable list order: a sort column, then id as tie-breaker.
type Order[T any] struct {
	Column    string         // "" : created_at
	Ascending bool           // false: descending (newest first)
	Key       func(T) string // the sort value of a record, for its cursor
	Cast      string         // SQL type of Column for the cursor ("" : timestamptz)
	created   func(T) time.Time
}

// NewestFirst orders by created_at descending; created reads a record's
// creation time.
func NewestFirst[T any](created func(T) time.Time) Order[T] {
	return Order[T]{created: created}
}

func (o Order[T]) column() string {
	if o.Column == "" {
		return "created_at"
	}
	return o.Column
}

func (o Order[T]) key(v T) string {
	if o.Key != nil {
		return o.Key(v)
	}
	return o.created(v).UTC().Format(time.RFC3339Nano)
}

func (o Order[T]) cast() string {
	if o.Cast == "" {
		return "timestamptz"
	}
	return o.Cast
}

// NotFound is the error for a reference that names no record the caller
// may see.
func (t *Table[T]) NotFound(ref string) error {
	return apperr.New(apperr.NotFound, "%s %s not found", t.Kind, ref)
}

// Load reads the record ref names (its id, or its number where the table
// has one) in the caller's tenant transaction, locking it with forUpdate.
// It does not authorize: callers decide on what it returns.
func (t *Table[T]) Load(ctx context.Context, q db.Querier, ref string, forUpdate bool) (T, error) {
	var zero T
	where, arg := "", ref
	// uuid.Parse also reads forms PostgreSQL does not (urn:uuid:…, braces):
	// what is bound is always the canonical spelling.
	if id, err := uuid.Parse(ref); err == nil {
		where, arg = `id = $1::uuid`, id.String()
	} else if t.NumberColumn != "" {
		where = t.NumberColumn + ` = $1`
	} else {
		return zero, t.NotFound(ref)
	}
	sql := `SELECT ` + t.Columns + ` FROM ` + t.Name + ` WHERE ` + where
	if forUpdate {
		sql += ` FOR UPDATE`
	}
	v, err := t.Scan(q.QueryRow(ctx, sql, arg))
	if errors.Is(err, pgx.ErrNoRows) {
		return zero, t.NotFound(ref)
	}
	return v, err
}

// HideForbidden turns a denial to view into NOT_FOUND: never reveal that a
// record exists to someone who may not see it.
func (t *Table[T]) HideForbidden(err error, ref string) error {
	if apperr.CodeOf(err) == apperr.Forbidden {
		return t.NotFound(ref)
	}
	return err
}

// Get reads the record ref names and returns it if p may view it. with, if
// not nil, completes the record in the same transaction (its history, say).
func Get[T any](ctx context.Context, d *db.DB, pdp authz.Decider, p authz.Principal, t *Table[T], ref string,
	with func(q db.Querier, v T) (T, error)) (T, error) {
	var zero T
	v, err := db.InTenantResult(ctx, d, p.OrgID, func(q db.Querier) (T, error) {
		v, err := t.Load(ctx, q, ref, false)
		if err != nil || with == nil {
			return v, err
		}
		return with(q, v)
	})
	if err != nil {
		return zero, err
	}
	if err := pdp.Authorize(ctx, p, t.Resource(v), "view"); err != nil {
		return zero, t.HideForbidden(err, ref)
	}
	return v, nil
}

// Filters are the caller's conditions on a list; they combine with AND.
type Filters struct {
	conds []string
	args  *authz.Args
}

// Where adds a condition; each ? in cond is replaced by the placeholder of
// the next value.
func (f *Filters) Where(cond string, values ...any) {
	var b strings.Builder
	for _, r := range cond {
		if r == '?' && len(values) > 0 {
			b.WriteString(f.args.Add(values[0]))
			values = values[1:]
			continue
		}
		b.WriteRune(r)
	}
	f.conds = append(f.conds, b.String())
}

// Page is a list request's paging: its limit (0 for the default) and the
// cursor of the previous page ("" for the first).
type Page struct {
	Limit  int
	Cursor string
}

// List returns one page of the records of t that p may view (the PDP's
// plan for "view", as SQL) and that match filters.
func List[T any](ctx context.Context, d *db.DB, pdp authz.Decider, p authz.Principal, t *Table[T], page Page,
	filters func(f *Filters)) (listing.Page[T], error) {
	if t.Order.Key == nil && t.Order.created == nil {
		return listing.Page[T]{}, apperr.New(apperr.Internal, "records: table %s declares no list order", t.Name)
	}
	var fields apperr.Fields
	limit := listing.Limit(&fields, page.Limit)
	cur := listing.Decode(&fields, page.Cursor)
	if cur != nil {
		if id, err := uuid.Parse(cur.ID); err != nil {
			fields.Add("cursor", "invalid", "cursor is not one this server returned")
		} else {
			cur.ID = id.String()
		}
	}
	if err := fields.Err(); err != nil {
		return listing.Page[T]{}, err
	}
	plan, err := pdp.QueryFilter(ctx, p, t.Kind, "view")
	if err != nil {
		return listing.Page[T]{}, err
	}
	args := &authz.Args{}
	allowed, err := plan.SQL(t.Plan, args)
	if err != nil {
		return listing.Page[T]{}, apperr.Wrap(apperr.Internal, err, "authorization filter could not be applied")
	}
	f := &Filters{conds: []string{allowed}, args: args}
	if filters != nil {
		filters(f)
	}
	o := t.Order
	cmp, dir := "<", "DESC"
	if o.Ascending {
		cmp, dir = ">", "ASC"
	}
	if cur != nil {
		if o.cast() == "timestamptz" {
			if _, err := time.Parse(time.RFC3339Nano, cur.Key); err != nil {
				fields.Add("cursor", "invalid", "cursor is not one this server returned")
				return listing.Page[T]{}, fields.Err()
			}
		}
		f.Where(`(`+o.column()+`, id) `+cmp+` (?::`+o.cast()+`, ?::uuid)`, cur.Key, cur.ID)
	}
	sql := `SELECT ` + t.Columns + ` FROM ` + t.Name + ` WHERE ` + strings.Join(f.conds, " AND ") +
		` ORDER BY ` + o.column() + ` ` + dir + `, id ` + dir + ` LIMIT ` + args.Add(limit+1)
	items := []T{}
	err = d.InTenantRead(ctx, p.OrgID, func(q db.Querier) error {
		rows, err := q.Query(ctx, sql, args.List()...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			v, err := t.Scan(rows)
			if err != nil {
				return err
			}
			items = append(items, v)
		}
		return rows.Err()
	})
	if err != nil {
		return listing.Page[T]{}, err
	}
	out := listing.Page[T]{Items: items}
	if len(items) > limit {
		out.Items = items[:limit]
		last := out.Items[limit-1]
		out.NextCursor = listing.Encode(o.key(last), idOf(t.Resource(last)))
	}
	return out, nil
}

func idOf(r authz.Resource) string { return r.ID }
