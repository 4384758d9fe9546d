package pgtest_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/parvaneh/parvaneh/internal/pgtest"
)

// TestClusterStopsAndStarts: a stopped cluster refuses connections, and
// started again answers on the same URL with what was committed before.
func TestClusterStopsAndStarts(t *testing.T) {
	c := pgtest.NewCluster(t)
	ctx := t.Context()
	exec := func(sql string) error {
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, c.URL())
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, sql)
		return err
	}
	if err := exec("CREATE TABLE kept AS SELECT ST_MakePoint(1, 2) AS p"); err != nil {
		t.Fatalf("using the new cluster (with PostGIS): %v", err)
	}
	c.Stop()
	if err := exec("SELECT 1"); err == nil {
		t.Fatal("a stopped cluster took a connection")
	}
	c.Start()
	if err := exec("DO $$ BEGIN IF (SELECT ST_X(p) FROM kept) <> 1 THEN RAISE 'lost'; END IF; END $$"); err != nil {
		t.Fatalf("after Start: %v", err)
	}
}
