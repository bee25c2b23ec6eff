package directory_test

import (
	"testing"

	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/directory"
	"github.com/hestami/concierge/internal/testkit"
)

func TestMain(m *testing.M) { testkit.Main(m) }

// user/v1/names names the organization's people (members, engaged staff)
// for whoever works in it, and no one else.
func TestNames(t *testing.T) {
	t.Parallel()
	b := testkit.Setup(t)
	w := b.NewWorld()
	ids := []string{w.RiveraOwner.UserID, w.Staff, w.ChenOwner.UserID, w.OakTrustee.UserID, "not-a-uuid", "00000000-0000-0000-0000-000000000000"}
	names := func(p authz.Principal) (map[string]string, error) {
		out, err := testkit.Call[directory.Names](b, p, "user/v1/names", directory.NamesInput{IDs: ids}, "")
		return out.Names, err
	}

	// In Rivera: its owner and the engaged operator's staff, by name; the
	// people of Chen and Oak, a malformed id and an unknown one are left out.
	for _, p := range []authz.Principal{w.RiveraOwner, b.Principal(w.Staff, w.Rivera.ID)} {
		got, err := names(p)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[w.RiveraOwner.UserID] == "" || got[w.Staff] == "" {
			t.Fatalf("%s: %v", p.UserID, got)
		}
	}

	// Chen engaged no operator: its owner sees only its own people.
	got, err := names(w.ChenOwner)
	if err != nil || len(got) != 1 || got[w.ChenOwner.UserID] == "" {
		t.Fatalf("chen: %v %v", got, err)
	}

	// A delegated agent without a grant in force names no one.
	if _, err := names(w.OakAgent); apperr.CodeOf(err) != apperr.Forbidden {
		t.Fatalf("agent without a grant: %v", err)
	}

	// Too many ids at once is a validation error, not a long query.
	many := make([]string, 201)
	for i := range many {
		many[i] = w.Staff
	}
	if _, err := testkit.Call[directory.Names](b, w.RiveraOwner, "user/v1/names", directory.NamesInput{IDs: many}, ""); apperr.CodeOf(err) != apperr.Validation {
		t.Fatalf("201 ids: %v", err)
	}
}
