// Package migrations holds Parvaneh's database schema as versioned SQL files
// (NNNNN_what.sql, goose format) embedded in the binary, and applies them.
// A schema change is a new file; an applied file is never edited.
package migrations

import (
	"context"
	"database/sql"
	"embed"
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
