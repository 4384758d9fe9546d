// Package pgtest gives a test its own fresh, migrated PostGIS database on the
// cluster named by PARVANEH_TEST_DATABASE_URL (scripts/test starts one and
// sets it), or a whole cluster of its own that it may stop and start
// (NewCluster, for fault tests). Tests talk to a real PostGIS, never a mock.
package pgtest

import (
	"context"
	"crypto/rand"
	"fmt"
	"hash/fnv"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/parvaneh/parvaneh/migrations"
)

// The environment this package reads.
const (
	// EnvURL names an admin URL (postgres://…) of a cluster with PostGIS
	// installed, on which the helper may create and drop databases.
	EnvURL = "PARVANEH_TEST_DATABASE_URL"
	// EnvRequire, when "1", turns a missing EnvURL from a skip into a
	// failure, so CI cannot pass by skipping every database test.
	EnvRequire = "PARVANEH_REQUIRE_POSTGIS"
)

// New creates a database for this test, migrated to the current schema, and
// returns its URL; the database is dropped when the test ends. Without
// EnvURL the test is skipped (or fails when EnvRequire is "1").
//
// The schema is built once per cluster and schema fingerprint in a template
// database, and each test's database is a copy of it: copying is much faster
// than creating PostGIS and migrating every time.
func New(t testing.TB) string {
	t.Helper()
	admin := os.Getenv(EnvURL)
	if admin == "" {
		msg := EnvURL + " is not set: run the tests with scripts/test, which starts a PostGIS cluster"
		if os.Getenv(EnvRequire) == "1" {
			t.Fatal(msg + " (" + EnvRequire + "=1 forbids skipping)")
		}
		t.Skip(msg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("pgtest: connecting to %s: %v", EnvURL, err)
	}
	defer conn.Close(ctx)

	tmpl, err := ensureTemplate(ctx, conn, admin)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	name := "parvaneh_test_" + strings.ToLower(rand.Text())
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()+" TEMPLATE "+pgx.Identifier{tmpl}.Sanitize()); err != nil {
		t.Fatalf("pgtest: creating database %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		conn, err := pgx.Connect(ctx, admin)
		if err != nil {
			t.Errorf("pgtest: connecting to drop %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		// FORCE: a test that leaked a connection must not leak its database.
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: dropping database %s: %v", name, err)
		}
	})
	u, err := withDatabase(admin, name)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	return u
}

// ensureTemplate returns the name of the migrated template database for the
// current schema, creating it if no other test process has. Test binaries of
// different packages run at once, so creation is serialised by an advisory
// lock on the cluster.
func ensureTemplate(ctx context.Context, conn *pgx.Conn, admin string) (string, error) {
	fp, err := migrations.Fingerprint()
	if err != nil {
		return "", err
	}
	name := "parvaneh_tmpl_" + fp[:16]
	h := fnv.New64a()
	h.Write([]byte(name))
	key := int64(h.Sum64())

	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", key); err != nil {
		return "", fmt.Errorf("locking the template: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", key) //nolint:errcheck // the lock also ends with the session

	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return "", fmt.Errorf("looking for the template: %w", err)
	}
	if exists {
		return name, nil
	}
	quoted := pgx.Identifier{name}.Sanitize()
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+quoted); err != nil {
		return "", fmt.Errorf("creating the template %s: %w", name, err)
	}
	u, err := withDatabase(admin, name)
	if err == nil {
		err = migrations.UpURL(ctx, u)
	}
	if err != nil {
		// Leave no half-migrated template for the next test to trust.
		conn.Exec(context.WithoutCancel(ctx), "DROP DATABASE IF EXISTS "+quoted+" WITH (FORCE)") //nolint:errcheck // reporting err matters more
		return "", fmt.Errorf("migrating the template %s: %w", name, err)
	}
	return name, nil
}

// withDatabase returns the URL admin with its database replaced.
func withDatabase(admin, db string) (string, error) {
	u, err := url.Parse(admin)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", fmt.Errorf("%s must be a postgres:// URL", EnvURL)
	}
	u.Path = "/" + db
	u.RawPath = ""
	return u.String(), nil
}
