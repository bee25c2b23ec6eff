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
	"encoding/json"
	"errors"
	"strconv"
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
	f.conds = append(f.conds, f.bind(cond, values...))
}

// bind replaces each ? of expr by the placeholder of the next value.
func (f *Filters) bind(expr string, values ...any) string {
	var b strings.Builder
	for _, r := range expr {
		if r == '?' && len(values) > 0 {
			b.WriteString(f.args.Add(values[0]))
			values = values[1:]
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Page is a list request's paging: its limit (0 for the default) and the
// cursor of the previous page ("" for the first).
type Page struct {
	Limit  int
	Cursor string
}

// List returns one page of the records of t that p may view (the PDP's
// plan for "view", as SQL) and that match filters, in the table's order.
func List[T any](ctx context.Context, d *db.DB, pdp authz.Decider, p authz.Principal, t *Table[T], page Page,
	filters func(f *Filters)) (listing.Page[T], error) {
	if t.Order.Key == nil && t.Order.created == nil {
		return listing.Page[T]{}, apperr.New(apperr.Internal, "records: table %s declares no list order", t.Name)
	}
	o := t.Order
	cmp, dir := "<", "DESC"
	if o.Ascending {
		cmp, dir = ">", "ASC"
	}
	return list(ctx, d, pdp, p, t, page, filters, ordering[T]{
		valid: func(key string) bool {
			if o.cast() != "timestamptz" {
				return true
			}
			_, err := time.Parse(time.RFC3339Nano, key)
			return err == nil
		},
		after: func(f *Filters, key, id string) {
			f.Where(`(`+o.column()+`, id) `+cmp+` (?::`+o.cast()+`, ?::uuid)`, key, id)
		},
		by:  func(*Filters) string { return o.column() + ` ` + dir + `, id ` + dir },
		key: o.key,
	})
}

// Sort is one request's list order, for orders that are computed per
// request (the case work queue ranks by an urgency that depends on the
// time): SQL expressions over the row, ascending as one row value, then id.
type Sort[T any] struct {
	// Exprs are the sort key; each ? binds the next of Values.
	Exprs  []string
	Values []any
	// Casts are the SQL types of Exprs, for the cursor's values.
	Casts []string
	// Key is a record's values of Exprs, as the database computes them.
	Key func(T) []string
	// Pin is carried unchanged in the cursor (Pinned reads it back), so
	// every page can be computed with what the first was (its time, say).
	Pin string
}

// sortCursor is a Sort's cursor key.
type sortCursor struct {
	Pin  string   `json:"p"`
	Keys []string `json:"k"`
}

// Pinned is the Pin of the Sort that made cursor ("" for the first page
// or a cursor no Sort made; ListSorted refuses the latter).
func Pinned(cursor string) string {
	var f apperr.Fields
	cur := listing.Decode(&f, cursor)
	var sc sortCursor
	if cur == nil || json.Unmarshal([]byte(cur.Key), &sc) != nil {
		return ""
	}
	return sc.Pin
}

// ListSorted is List in the order s, instead of the table's.
func ListSorted[T any](ctx context.Context, d *db.DB, pdp authz.Decider, p authz.Principal, t *Table[T], s Sort[T], page Page,
	filters func(f *Filters)) (listing.Page[T], error) {
	row := func(f *Filters) []string {
		out := make([]string, len(s.Exprs))
		values := s.Values
		for i, e := range s.Exprs {
			n := strings.Count(e, "?")
			out[i] = f.bind(e, values[:n]...)
			values = values[n:]
		}
		return out
	}
	return list(ctx, d, pdp, p, t, page, filters, ordering[T]{
		valid: func(key string) bool {
			var sc sortCursor
			if json.Unmarshal([]byte(key), &sc) != nil || sc.Pin != s.Pin || len(sc.Keys) != len(s.Exprs) {
				return false
			}
			for i, v := range sc.Keys {
				if !castable(s.Casts[i], v) {
					return false
				}
			}
			return true
		},
		after: func(f *Filters, key, id string) {
			var sc sortCursor
			_ = json.Unmarshal([]byte(key), &sc) // valid said it parses
			values := make([]any, 0, len(sc.Keys)+1)
			params := make([]string, 0, len(sc.Keys)+1)
			for i, v := range sc.Keys {
				values = append(values, v)
				params = append(params, `?::`+s.Casts[i])
			}
			values = append(values, id)
			params = append(params, `?::uuid`)
			f.Where(`(`+strings.Join(row(f), `, `)+`, id) > (`+strings.Join(params, `, `)+`)`, values...)
		},
		by: func(f *Filters) string { return strings.Join(row(f), `, `) + `, id` },
		key: func(v T) string {
			b, _ := json.Marshal(sortCursor{Pin: s.Pin, Keys: s.Key(v)})
			return string(b)
		},
	})
}

// castable reports whether PostgreSQL can read v as a value of type cast,
// so that a forged cursor is a field error and never a failed cast.
func castable(cast, v string) bool {
	switch cast {
	case "timestamptz":
		_, err := time.Parse(time.RFC3339Nano, v)
		return err == nil
	case "smallint":
		_, err := strconv.ParseInt(v, 10, 16)
		return err == nil
	case "integer":
		_, err := strconv.ParseInt(v, 10, 32)
		return err == nil
	case "bigint":
		_, err := strconv.ParseInt(v, 10, 64)
		return err == nil
	}
	return true
}

// ordering is how list pages: valid checks a cursor's key, after narrows
// to the records past a cursor, by is the ORDER BY, key a record's cursor
// key.
type ordering[T any] struct {
	valid func(key string) bool
	after func(f *Filters, key, id string)
	by    func(f *Filters) string
	key   func(T) string
}

func list[T any](ctx context.Context, d *db.DB, pdp authz.Decider, p authz.Principal, t *Table[T], page Page,
	filters func(f *Filters), o ordering[T]) (listing.Page[T], error) {
	var fields apperr.Fields
	limit := listing.Limit(&fields, page.Limit)
	cur := listing.Decode(&fields, page.Cursor)
	if cur != nil {
		if id, err := uuid.Parse(cur.ID); err != nil || !o.valid(cur.Key) {
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
	if cur != nil {
		o.after(f, cur.Key, cur.ID)
	}
	sql := `SELECT ` + t.Columns + ` FROM ` + t.Name + ` WHERE ` + strings.Join(f.conds, " AND ") +
		` ORDER BY ` + o.by(f) + ` LIMIT ` + args.Add(limit+1)
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
