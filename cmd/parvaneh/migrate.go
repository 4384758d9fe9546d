package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/parvaneh/parvaneh/migrations"
)

// runMigrate applies the database migrations: parvaneh migrate [-database-url URL].
func runMigrate(ctx context.Context, env *cliEnv, args []string) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	urlFlag := databaseURLFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return fmt.Errorf("%w: parvaneh migrate [-database-url URL] takes no arguments", errUsage)
	}
	url, err := databaseURL(*urlFlag, env)
	if err != nil {
		return err
	}
	if err := migrations.UpURL(ctx, url); err != nil {
		return err
	}
	fmt.Fprintln(env.stdout, "database schema is up to date")
	return nil
}

// databaseURLFlag defines the -database-url flag the database commands share.
func databaseURLFlag(fs *flag.FlagSet) *string {
	return fs.String("database-url", "", "PostgreSQL URL `postgres://…` (default: $DATABASE_URL)")
}

// databaseURL is the -database-url flag, else $DATABASE_URL.
func databaseURL(flagValue string, env *cliEnv) (string, error) {
	if flagValue != "" {
		return flagValue, nil
	}
	if u := env.getenv("DATABASE_URL"); u != "" {
		return u, nil
	}
	return "", fmt.Errorf("%w: no database: set DATABASE_URL or pass -database-url", errUsage)
}

// parseFlags parses args, marking a bad flag as a usage error (-h stays
// flag.ErrHelp).
func parseFlags(fs *flag.FlagSet, args []string) error {
	err := fs.Parse(args)
	if err != nil && err != flag.ErrHelp {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	return err
}
