package pgtest_test

import (
	"context"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/parvaneh/parvaneh/internal/pgtest"
)

func TestNewGivesAMigratedDatabaseDroppedAtCleanup(t *testing.T) {
	ctx := t.Context()
	var name string
	t.Run("use", func(t *testing.T) {
		a, b := pgtest.New(t), pgtest.New(t)
		if a == b {
			t.Fatalf("two calls gave the same database %s", a)
		}
		conn, err := pgx.Connect(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		var postgis string
		if err := conn.QueryRow(ctx, "SELECT current_database(), postgis_lib_version()").Scan(&name, &postgis); err != nil {
			t.Fatal(err)
		}
		var versions int
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM plan_versions").Scan(&versions); err != nil {
			t.Fatalf("schema not migrated: %v", err)
		}
		if versions != 0 {
			t.Errorf("fresh database has %d plan versions", versions)
		}
	})
	if name == "" {
		t.Skip("the subtest did not get a database")
	}
	admin, err := pgx.Connect(ctx, os.Getenv(pgtest.EnvURL))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(context.Background())
	var exists bool
	if err := admin.QueryRow(ctx, "SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		t.Fatal(err)
	}
	if exists {
		t.Errorf("database %s still exists after the test ended", name)
	}
}
