package postgis_test

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/parvaneh/parvaneh/examples"
	"github.com/parvaneh/parvaneh/internal/pgtest"
	"github.com/parvaneh/parvaneh/layers"
	"github.com/parvaneh/parvaneh/layers/postgis"
)

// keptCount counts the measurements kept of a version.
func keptCount(t *testing.T, conn *pgx.Conn, version int64) int {
	t.Helper()
	var n int
	if err := conn.QueryRow(t.Context(), `SELECT count(*) FROM parcel_measurements WHERE plan_version_id = $1`, version).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// measureAll measures every parcel of b by its geometry (Measure).
func measureAll(t *testing.T, s *postgis.Store, version int64, b *layers.Bundle) map[string]layers.Measurement {
	t.Helper()
	out := make(map[string]layers.Measurement, len(b.Parcels))
	for _, p := range b.Parcels {
		m, err := s.Measure(t.Context(), version, p.Geom)
		if err != nil {
			t.Fatalf("parcel %s: %v", p.ID, err)
		}
		out[p.ID] = m
	}
	return out
}

// sameAsMeasure requires MeasureParcel of every parcel of b to give the
// stored parcel and exactly the measurement Measure gave its geometry.
func sameAsMeasure(t *testing.T, s *postgis.Store, version int64, b *layers.Bundle, want map[string]layers.Measurement) {
	t.Helper()
	for _, bp := range b.Parcels {
		p, m, err := s.MeasureParcel(t.Context(), version, bp.ID)
		if err != nil {
			t.Fatalf("parcel %s: %v", bp.ID, err)
		}
		if p.ID != bp.ID {
			t.Errorf("MeasureParcel(%q) gives parcel %q", bp.ID, p.ID)
		}
		if !reflect.DeepEqual(m, want[bp.ID]) {
			t.Errorf("parcel %s: MeasureParcel gives\n%+v\nMeasure gives\n%+v", bp.ID, m, want[bp.ID])
		}
	}
}

// TestKeptMeasurements: on the sample city, MeasureParcel answers exactly
// what Measure computes for every parcel, from the measurements Warm kept
// (set based) and on a first call (measured, then kept: the same facts);
// it answers from what is kept, and a row kept by another revision of
// measure.sql is replaced.
func TestKeptMeasurements(t *testing.T) {
	ctx := t.Context()
	url := pgtest.New(t)
	s, err := postgis.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	b, err := layers.ReadBundle(examples.Nemuneh())
	if err != nil {
		t.Fatal(err)
	}

	warmed := mustImport(t, s, b)
	if err := s.Warm(ctx, warmed.ID); err != nil {
		t.Fatal(err)
	}
	if n := keptCount(t, conn, warmed.ID); n != len(b.Parcels) {
		t.Fatalf("after Warm, %d of %d measurements kept", n, len(b.Parcels))
	}
	want := measureAll(t, s, warmed.ID, b)
	sameAsMeasure(t, s, warmed.ID, b, want)

	// A second version of the same bundle, measured on demand.
	lazy := mustImport(t, s, b)
	sameAsMeasure(t, s, lazy.ID, b, want) // first calls: measured and kept
	if n := keptCount(t, conn, lazy.ID); n != len(b.Parcels) {
		t.Fatalf("after a MeasureParcel of each parcel, %d of %d measurements kept", n, len(b.Parcels))
	}
	// Warm's statement over many parcels and the one for a parcel kept the
	// same facts.
	var differ int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM parcel_measurements w JOIN parcel_measurements l USING (parcel_id)
		WHERE w.plan_version_id = $1 AND l.plan_version_id = $2 AND w.facts <> l.facts`, warmed.ID, lazy.ID).Scan(&differ); err != nil {
		t.Fatal(err)
	}
	if differ != 0 {
		t.Errorf("%d parcels kept with other facts by Warm than by MeasureParcel", differ)
	}
	if err := s.Warm(ctx, lazy.ID); err != nil { // nothing left to do
		t.Fatal(err)
	}

	// What is kept is what is answered: a changed row shows.
	id := b.Parcels[0].ID
	if _, err := conn.Exec(ctx, `UPDATE parcel_measurements SET facts = jsonb_set(facts, '{0,measure}', '12345')
		WHERE plan_version_id = $1 AND parcel_id = $2`, lazy.ID, id); err != nil {
		t.Fatal(err)
	}
	if _, m, err := s.MeasureParcel(ctx, lazy.ID, id); err != nil || m.Area != 12345 {
		t.Fatalf("after changing the kept row: area %v, %v; want 12345", m.Area, err)
	}
	// Kept by another revision: measured again and replaced.
	if _, err := conn.Exec(ctx, `UPDATE parcel_measurements SET revision = 'older' WHERE plan_version_id = $1 AND parcel_id = $2`, lazy.ID, id); err != nil {
		t.Fatal(err)
	}
	if _, m, err := s.MeasureParcel(ctx, lazy.ID, id); err != nil || !reflect.DeepEqual(m, want[id]) {
		t.Fatalf("row of another revision: %+v, %v; want %+v", m, err, want[id])
	}
	var revision string
	if err := conn.QueryRow(ctx, `SELECT revision FROM parcel_measurements WHERE plan_version_id = $1 AND parcel_id = $2`, lazy.ID, id).Scan(&revision); err != nil || revision == "older" {
		t.Errorf("row of another revision not replaced: revision %q, %v", revision, err)
	}

	if err := s.Warm(ctx, lazy.ID+99); !errors.Is(err, layers.ErrNotFound) {
		t.Errorf("Warm of an unknown version: %v, want ErrNotFound", err)
	}
	if _, _, err := s.MeasureParcel(ctx, lazy.ID, "no/such"); !errors.Is(err, layers.ErrNotFound) {
		t.Errorf("MeasureParcel of an unknown parcel: %v, want ErrNotFound", err)
	}
}

// TestNewVersionNotServedOldFacts: a new version of a municipality with the
// same plates but other layers is measured afresh, never answered with the
// previous version's kept facts, and is the version in force at once.
func TestNewVersionNotServedOldFacts(t *testing.T) {
	ctx := t.Context()
	s := open(t)
	old := fixture("Nemuneh", "1403-01", date(2024, 3, 20))
	v1 := mustImport(t, s, old)
	if err := s.Warm(ctx, v1.ID); err != nil {
		t.Fatal(err)
	}
	if v, err := s.VersionAsOf(ctx, "Nemuneh", date(2025, 6, 1)); err != nil || v.ID != v1.ID {
		t.Fatalf("VersionAsOf before the update = %d, %v; want %d", v.ID, err, v1.ID)
	}
	_, before, err := s.MeasureParcel(ctx, v1.ID, "1/1")
	if err != nil {
		t.Fatal(err)
	}

	// The update widens street S1 by 3 m into the parcels and renames C1.
	updated := fixture("Nemuneh", "1404-01", date(2025, 3, 21))
	updated.Streets[0].Geom = rect(-10, -10, 50, 5)
	updated.DetailedPlan[1].Code = "C2"
	v2 := mustImport(t, s, updated)
	if v, err := s.VersionAsOf(ctx, "Nemuneh", date(2025, 6, 1)); err != nil || v.ID != v2.ID {
		t.Fatalf("VersionAsOf after the update = %d, %v; want %d", v.ID, err, v2.ID)
	}
	sameAsMeasure(t, s, v2.ID, updated, measureAll(t, s, v2.ID, updated))
	_, after, err := s.MeasureParcel(ctx, v2.ID, "1/1")
	if err != nil {
		t.Fatal(err)
	}
	near(t, "W before the update", before.Widening, 40)
	near(t, "W after the update", after.Widening, 100)
	if got := after.Zones[0].Code; got != "C2" {
		t.Errorf("after the update, first zone %q, want C2", got)
	}
	// And the old version still answers its own facts.
	sameAsMeasure(t, s, v1.ID, old, measureAll(t, s, v1.ID, old))
}

// TestMeasureParcelUnavailable: a database gone after the store was opened
// makes MeasureParcel and Warm fail as unavailable.
func TestMeasureParcelUnavailable(t *testing.T) {
	ctx := context.Background()
	url := pgtest.New(t)
	s, err := postgis.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	v := mustImport(t, s, fixture("Nemuneh", "1404-01", date(2025, 3, 21)))
	dropDatabase(t, url)
	if _, _, err := s.MeasureParcel(ctx, v.ID, "1/1"); !errors.Is(err, layers.ErrUnavailable) {
		t.Errorf("MeasureParcel: %v, want ErrUnavailable", err)
	}
	if err := s.Warm(ctx, v.ID); !errors.Is(err, layers.ErrUnavailable) {
		t.Errorf("Warm: %v, want ErrUnavailable", err)
	}
}
