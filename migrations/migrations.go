// Package migrations holds Parvaneh's database schema as versioned SQL files
// (NNNNN_what.sql, goose format) embedded in the binary, and applies them.
// A schema change is a new file; an applied file is never edited.
package migrations

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/hex"
	"fmt"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed *.sql
var files embed.FS

// Up applies every migration not yet applied to db. Concurrent callers are
// serialised by a PostgreSQL advisory lock, so two processes starting at once
// do not race.
func Up(ctx context.Context, db *sql.DB) error {
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return fmt.Errorf("migrations: making the session locker: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, files,
		goose.WithSessionLocker(locker),
		goose.WithDisableGlobalRegistry(true),
	)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrations: applying: %w", err)
	}
	return nil
}

// UpURL opens the database at a PostgreSQL URL and applies Up to it.
func UpURL(ctx context.Context, databaseURL string) error {
	db, err := sql.Open("pgx", databaseURL)
	if err != nil {
		return fmt.Errorf("migrations: opening the database: %w", err)
	}
	defer db.Close()
	return Up(ctx, db)
}

// Fingerprint identifies the schema these migrations build: a hash of every
// migration file. Test helpers key their migrated template databases by it.
func Fingerprint() (string, error) {
	entries, err := files.ReadDir(".") // sorted by name, so the hash is stable
	if err != nil {
		return "", fmt.Errorf("migrations: listing: %w", err)
	}
	h := sha256.New()
	for _, e := range entries {
		b, err := files.ReadFile(e.Name())
		if err != nil {
			return "", fmt.Errorf("migrations: reading %s: %w", e.Name(), err)
		}
		fmt.Fprintf(h, "%s\x00%d\x00", e.Name(), len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
