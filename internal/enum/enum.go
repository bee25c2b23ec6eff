// Package enum is the one source of every enumerated value: a domain declares
// its values once as a Set, and the JSON Schema (so API validation and the
// OpenAPI document), CLI help and completion all read them from there. A set
// bound to a table column is checked against that column's SQL CHECK
// constraint by the catalog test, so the database can never drift from Go.
package enum

import (
	"slices"
	"strings"
	"sync"

	"github.com/invopop/jsonschema"
)

// Set is the ordered list of the values of one enumerated type.
type Set[T ~string] struct {
	values  []T
	columns []Column
}

// Column names a table column whose CHECK constraint lists the set's values.
type Column struct{ Table, Name string }

// Described is what the catalog test sees of every set.
type Described interface {
	Strings() []string
	Columns() []Column
}

var (
	mu       sync.Mutex
	declared []Described
)

// New declares a set; bind it to SQL columns with Stored.
func New[T ~string](values ...T) *Set[T] {
	s := &Set[T]{values: values}
	mu.Lock()
	declared = append(declared, s)
	mu.Unlock()
	return s
}

// Stored records that table.column holds values of this set (its CHECK
// constraint must list exactly these values), and returns s.
func (s *Set[T]) Stored(table, column string) *Set[T] {
	s.columns = append(s.columns, Column{table, column})
	return s
}

// All lists every declared set (for the catalog test).
func All() []Described {
	mu.Lock()
	defer mu.Unlock()
	return slices.Clone(declared)
}

// Values returns the values in declaration order.
func (s *Set[T]) Values() []T { return slices.Clone(s.values) }

// Strings returns the values as strings.
func (s *Set[T]) Strings() []string {
	out := make([]string, len(s.values))
	for i, v := range s.values {
		out[i] = string(v)
	}
	return out
}

// Columns returns the columns bound with Stored.
func (s *Set[T]) Columns() []Column { return slices.Clone(s.columns) }

// Contains reports whether v is one of the values.
func (s *Set[T]) Contains(v string) bool { return slices.Contains(s.values, T(v)) }

// Help is "A, B or C" for flag and error texts.
func (s *Set[T]) Help() string {
	str := s.Strings()
	if len(str) < 2 {
		return strings.Join(str, "")
	}
	return strings.Join(str[:len(str)-1], ", ") + " or " + str[len(str)-1]
}

// Schema is the JSON Schema of one value; the type's JSONSchema method
// returns it so that every input field of the type is validated by it.
func (s *Set[T]) Schema() *jsonschema.Schema {
	enum := make([]any, len(s.values))
	for i, v := range s.values {
		enum[i] = string(v)
	}
	return &jsonschema.Schema{Type: "string", Enum: enum}
}
