package db_test

import (
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/db"
	"github.com/hestami/concierge/internal/testkit"
	"github.com/hestami/concierge/migrations"
)

// A migration edited after it was applied (another build migrated this
// database) is a CONFLICT naming the migration and the way out, not an
// internal error whose cause only the debug log shows.
func TestChangedAppliedMigrationIsAConflictNamingIt(t *testing.T) {
	t.Parallel()
	b := testkit.Setup(t)
	edited := fstest.MapFS{}
	names, err := fs.Glob(migrations.FS, "*.sql")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		data, err := fs.ReadFile(migrations.FS, n)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(n, "0002_") {
			data = append(data, []byte("\n-- edited after it was applied\n")...)
		}
		edited[n] = &fstest.MapFile{Data: data}
	}
	if _, err := db.MigrationStatus(b.Ctx, b.DB.Owner, migrations.FS); err != nil {
		t.Fatalf("the migrations as applied: %v", err)
	}
	_, err = db.MigrationStatus(b.Ctx, b.DB.Owner, edited)
	e := apperr.From(err)
	if e == nil || e.Code != apperr.Conflict || !strings.Contains(e.Message, "migration 0002_properties_cases was changed after it was applied") ||
		!strings.Contains(e.Message, "HESTAMI_DATA_DIR") {
		t.Fatalf("edited migration: %v", err)
	}
}
