// Package listing holds the list conventions of api.md §6: a limit of 1–100
// (default 20) and an opaque cursor over a stable (sort key, id) order.
package listing

import (
	"encoding/base64"
	"encoding/json"

	"github.com/hestami/concierge/internal/apperr"
)

const (
	DefaultLimit = 20
	MaxLimit     = 100
)

// Page is one page of a list.
type Page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"nextCursor,omitempty"`
}

// Cursor is the position after the last item returned: its sort key and id.
type Cursor struct {
	Key string `json:"k"`
	ID  string `json:"i"`
}

// Limit validates a requested limit (0 means the default).
func Limit(f *apperr.Fields, n int) int {
	if n == 0 {
		return DefaultLimit
	}
	if n < 1 || n > MaxLimit {
		f.Add("limit", "out_of_range", "limit must be between 1 and 100")
		return DefaultLimit
	}
	return n
}

// Decode parses an opaque cursor ("" means the first page).
func Decode(f *apperr.Fields, s string) *Cursor {
	if s == "" {
		return nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	var c Cursor
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	if err != nil || c.ID == "" {
		f.Add("cursor", "invalid", "cursor is not one this server returned")
		return nil
	}
	return &c
}

// Encode makes the opaque cursor for a position.
func Encode(key, id string) string {
	b, _ := json.Marshal(Cursor{Key: key, ID: id})
	return base64.RawURLEncoding.EncodeToString(b)
}
