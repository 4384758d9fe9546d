package e2e

import (
	"context"
	"encoding/json"
	"math"
	"testing"

	"github.com/parvaneh/parvaneh/examples"
	"github.com/parvaneh/parvaneh/internal/pgtest"
	"github.com/parvaneh/parvaneh/layers"
	"github.com/parvaneh/parvaneh/layers/memstore"
	"github.com/parvaneh/parvaneh/layers/postgis"
	"github.com/parvaneh/parvaneh/permits"
	"github.com/parvaneh/parvaneh/rules"
	"github.com/parvaneh/parvaneh/zoning"
)

// TestStoresGiveIdenticalEstimates estimates every parcel of the sample city
// from the embedded store and from PostGIS and requires the same figures,
// facts and notes. Only float noise in street distances (far below a
// millimetre) may differ; rounded areas must be equal.
func TestStoresGiveIdenticalEstimates(t *testing.T) {
	ctx := context.Background()
	url := pgtest.New(t)
	bundle, err := layers.ReadBundle(examples.Nemuneh())
	if err != nil {
		t.Fatal(err)
	}
	pack, err := rules.Bundled("nemuneh")
	if err != nil {
		t.Fatal(err)
	}
	packs := permits.PackSet{pack.Meta.ID: pack}

	mem := memstore.New()
	defer mem.Close()
	mv, err := mem.Import(ctx, bundle)
	if err != nil {
		t.Fatal(err)
	}
	pg, err := postgis.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	if _, err := pg.Import(ctx, bundle); err != nil {
		t.Fatal(err)
	}
	memSvc := permits.NewService(mem, packs, mv.Municipality, nil)
	pgSvc := permits.NewService(pg, packs, mv.Municipality, nil)

	parcels, err := mem.ParcelsIn(ctx, mv.ID, mv.Extent, math.MaxInt32)
	if err != nil {
		t.Fatal(err)
	}
	if len(parcels) != len(bundle.Parcels) {
		t.Fatalf("%d parcels listed, the bundle has %d", len(parcels), len(bundle.Parcels))
	}
	differ := 0
	for _, p := range parcels {
		a, err := memSvc.Estimate(ctx, permits.Where{ParcelID: p.ID})
		if err != nil {
			t.Fatalf("embedded store, parcel %s: %v", p.ID, err)
		}
		b, err := pgSvc.Estimate(ctx, permits.Where{ParcelID: p.ID})
		if err != nil {
			t.Fatalf("PostGIS, parcel %s: %v", p.ID, err)
		}
		if ja, jb := comparable(t, a), comparable(t, b); ja != jb {
			differ++
			if differ <= 5 {
				t.Errorf("parcel %s: the stores' estimates differ\nembedded: %s\nPostGIS:  %s", p.ID, ja, jb)
			}
		}
	}
	if differ > 0 {
		t.Fatalf("%d of %d parcels differ", differ, len(parcels))
	}
	t.Logf("%d parcels: identical estimates from both stores", len(parcels))
}

// comparable is an estimate's JSON with what may legitimately differ between
// stores removed: the store's own plan-version id, and street distances
// rounded to 0.1 mm.
func comparable(t *testing.T, e *permits.Estimate) string {
	t.Helper()
	c := *e
	c.Plan.ID = 0
	f := c.Facts
	f.Streets = append([]zoning.Street(nil), f.Streets...)
	for i := range f.Streets {
		f.Streets[i].Distance = math.Round(f.Streets[i].Distance*1e4) / 1e4
	}
	if f.Front != nil {
		front := *f.Front
		front.Distance = math.Round(front.Distance*1e4) / 1e4
		f.Front = &front
	}
	c.Facts = f
	out, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}
