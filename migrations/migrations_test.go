package migrations_test

import (
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/parvaneh/parvaneh/internal/pgtest"
	"github.com/parvaneh/parvaneh/migrations"
)

// TestUpIsIdempotent applies the migrations to an already migrated database
// (pgtest migrates it), from two callers at once: nothing changes, nothing
// fails.
func TestUpIsIdempotent(t *testing.T) {
	url := pgtest.New(t)
	errs := make(chan error, 2)
	for range 2 {
		go func() { errs <- migrations.UpURL(t.Context(), url) }()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var applied int
	if err := db.QueryRowContext(t.Context(), "SELECT count(*) FROM goose_db_version WHERE version_id > 0").Scan(&applied); err != nil {
		t.Fatal(err)
	}
	// One recorded version per migration file, however many there are.
	files, err := filepath.Glob("*.sql")
	if err != nil {
		t.Fatal(err)
	}
	if applied != len(files) {
		t.Errorf("%d migrations recorded, want %d (the .sql files here)", applied, len(files))
	}
}
