package postgis_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/parvaneh/parvaneh/internal/pgtest"
	"github.com/parvaneh/parvaneh/layers"
	"github.com/parvaneh/parvaneh/layers/postgis"
)

func openURL(t *testing.T, dbURL string) *postgis.Store {
	t.Helper()
	s, err := postgis.Open(t.Context(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// dropDatabase drops a test database under the stores open on it (FORCE
// ends their connections).
func dropDatabase(t *testing.T, dbURL string) {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, os.Getenv(pgtest.EnvURL))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	db := strings.TrimPrefix(u.Path, "/")
	if _, err := admin.Exec(ctx, "DROP DATABASE "+pgx.Identifier{db}.Sanitize()+" WITH (FORCE)"); err != nil {
		t.Fatalf("dropping %s: %v", db, err)
	}
}

// TestVersionsKept: a store answers about plan versions from memory; its own
// import shows at once, another process's once the memory expires.
func TestVersionsKept(t *testing.T) {
	ctx := t.Context()
	dbURL := pgtest.New(t)
	a, b := openURL(t, dbURL), openURL(t, dbURL)
	postgis.SetVersionExpiry(a, time.Hour)

	v1 := mustImport(t, a, fixture("Nemuneh", "1403-01", date(2024, 3, 20)))
	if v, err := a.VersionAsOf(ctx, "Nemuneh", date(2025, 6, 1)); err != nil || v != v1 {
		t.Fatalf("after its own import: %+v, %v; want %+v", v, err, v1)
	}
	v2 := mustImport(t, b, fixture("Nemuneh", "1404-01", date(2025, 3, 21)))
	other := mustImport(t, b, fixture("Aval", "1", date(2020, 1, 1)))
	if vs, err := a.Versions(ctx, "Nemuneh"); err != nil || len(vs) != 1 {
		t.Errorf("before expiry: %d versions, %v; want the 1 in memory", len(vs), err)
	}

	postgis.SetVersionExpiry(a, 0) // now expired
	if v, err := a.VersionAsOf(ctx, "Nemuneh", date(2025, 6, 1)); err != nil || v != v2 {
		t.Errorf("after expiry: %+v, %v; want %+v", v, err, v2)
	}
	if ms, err := a.Municipalities(ctx); err != nil || fmt.Sprint(ms) != "[Aval Nemuneh]" {
		t.Errorf("after expiry: municipalities %q, %v", ms, err)
	}
	if vs, err := a.Versions(ctx, "Aval"); err != nil || len(vs) != 1 || vs[0] != other {
		t.Errorf("after expiry: Aval's versions %+v, %v", vs, err)
	}

	// What Versions returns is the caller's to change.
	postgis.SetVersionExpiry(a, time.Hour)
	vs, err := a.Versions(ctx, "Nemuneh")
	if err != nil {
		t.Fatal(err)
	}
	vs[0].Label = "changed"
	if again, _ := a.Versions(ctx, "Nemuneh"); again[0].Label != v1.Label {
		t.Errorf("a caller changed the store's memory: label %q", again[0].Label)
	}
}

// TestVersionsUnavailable: once the database is gone, the store says so:
// from the memory's expiry on, and at once after any call that found the
// database unreachable (here an estimate's MeasureParcel, then Ping).
func TestVersionsUnavailable(t *testing.T) {
	ctx := t.Context()
	for _, c := range []struct {
		name string
		fail func(s *postgis.Store, v layers.PlanVersion) error
	}{
		{"expired", func(s *postgis.Store, _ layers.PlanVersion) error {
			postgis.SetVersionExpiry(s, 0)
			return nil
		}},
		{"MeasureParcel failed", func(s *postgis.Store, v layers.PlanVersion) error {
			_, _, err := s.MeasureParcel(ctx, v.ID, "1/1")
			return err
		}},
		{"Ping failed", func(s *postgis.Store, _ layers.PlanVersion) error { return s.Ping(ctx) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			dbURL := pgtest.New(t)
			s := openURL(t, dbURL)
			postgis.SetVersionExpiry(s, time.Hour)
			v := mustImport(t, s, fixture("Nemuneh", "1404-01", date(2025, 3, 21)))
			if _, err := s.VersionAsOf(ctx, "Nemuneh", date(2025, 6, 1)); err != nil {
				t.Fatal(err)
			}
			dropDatabase(t, dbURL)
			if err := c.fail(s, v); err != nil && !errors.Is(err, layers.ErrUnavailable) {
				t.Fatalf("%s: %v, want ErrUnavailable", c.name, err)
			}
			if _, err := s.VersionAsOf(ctx, "Nemuneh", date(2025, 6, 1)); !errors.Is(err, layers.ErrUnavailable) {
				t.Errorf("VersionAsOf: %v, want ErrUnavailable", err)
			}
			if _, err := s.Versions(ctx, "Nemuneh"); !errors.Is(err, layers.ErrUnavailable) {
				t.Errorf("Versions: %v, want ErrUnavailable", err)
			}
			if _, err := s.Municipalities(ctx); !errors.Is(err, layers.ErrUnavailable) {
				t.Errorf("Municipalities: %v, want ErrUnavailable", err)
			}
		})
	}
}

// TestVersionsConcurrent reads the versions from many goroutines while
// another imports, with a memory that expires all the time (run with -race):
// no error, and no reader sees a version disappear.
func TestVersionsConcurrent(t *testing.T) {
	ctx := t.Context()
	dbURL := pgtest.New(t)
	s := openURL(t, dbURL)
	postgis.SetVersionExpiry(s, time.Millisecond)
	mustImport(t, s, fixture("Nemuneh", "1", date(2024, 1, 1)))
	const imports = 4
	var wg sync.WaitGroup
	done := make(chan struct{})
	wg.Go(func() {
		defer close(done)
		for i := range imports {
			if _, err := s.Import(ctx, fixture("Nemuneh", fmt.Sprint(i+2), date(2024, 1, 2+i))); err != nil {
				t.Error(err)
				return
			}
		}
	})
	for range 4 {
		wg.Go(func() {
			seen := 0
			for {
				select {
				case <-done:
					return
				default:
				}
				vs, err := s.Versions(ctx, "Nemuneh")
				if err != nil {
					t.Error(err)
					return
				}
				if len(vs) < seen {
					t.Errorf("%d versions after %d", len(vs), seen)
				}
				seen = len(vs)
				v, err := s.VersionAsOf(ctx, "Nemuneh", date(2030, 1, 1))
				if err != nil || v.Seq < 1 {
					t.Errorf("VersionAsOf: %+v, %v", v, err)
					return
				}
			}
		})
	}
	wg.Wait()
	if vs, err := s.Versions(ctx, "Nemuneh"); err != nil || len(vs) != imports+1 {
		t.Errorf("after the imports: %d versions, %v", len(vs), err)
	}
}
