package app_test

import (
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/hestami/concierge/internal/enum"
	"github.com/hestami/concierge/internal/testkit"
)

var quoted = regexp.MustCompile(`'([^']*)'`)

// Every enum stored in a column matches that column's CHECK constraint
// value for value, and every CHECK that enumerates values belongs to a
// declared enum: the Go declaration is the one source, and the database
// cannot drift from it (nor from the JSON Schema, the validation and the
// CLI help, which read the same declaration).
func TestEnumsMatchTheirCheckConstraints(t *testing.T) {
	t.Parallel()
	b := testkit.Setup(t)
	rows, err := b.DB.Owner.Query(b.Ctx, `
		SELECT c.conrelid::regclass::text, a.attname, pg_get_constraintdef(c.oid)
		FROM pg_constraint c
		JOIN pg_namespace n ON n.oid = c.connamespace AND n.nspname = 'public'
		JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
		WHERE c.contype = 'c' AND cardinality(c.conkey) = 1 AND pg_get_constraintdef(c.oid) LIKE '%ANY (ARRAY[%'`)
	if err != nil {
		t.Fatal(err)
	}
	inSQL := map[enum.Column][]string{}
	for rows.Next() {
		var table, column, def string
		if err := rows.Scan(&table, &column, &def); err != nil {
			t.Fatal(err)
		}
		var values []string
		for _, m := range quoted.FindAllStringSubmatch(def, -1) {
			values = append(values, m[1])
		}
		sort.Strings(values)
		inSQL[enum.Column{Table: table, Name: column}] = values
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(inSQL) == 0 {
		t.Fatal("found no enumerating CHECK constraint; the query is wrong")
	}
	declared := map[enum.Column]bool{}
	for _, set := range enum.All() {
		want := set.Strings()
		sort.Strings(want)
		for _, col := range set.Columns() {
			declared[col] = true
			got, ok := inSQL[col]
			if !ok {
				t.Errorf("%s.%s holds %s but has no CHECK listing them", col.Table, col.Name, strings.Join(want, ","))
				continue
			}
			if !slices.Equal(got, want) {
				t.Errorf("%s.%s: CHECK allows %v, Go declares %v", col.Table, col.Name, got, want)
			}
		}
	}
	for col, values := range inSQL {
		if !declared[col] {
			t.Errorf("%s.%s has a CHECK listing %v that no enum declares (declare it with enum.New(...).Stored)", col.Table, col.Name, values)
		}
	}
}
