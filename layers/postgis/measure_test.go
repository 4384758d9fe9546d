package postgis_test

import (
	"bytes"
	"errors"
	"reflect"
	"testing"

	"github.com/parvaneh/parvaneh/layers"
	"github.com/parvaneh/parvaneh/layers/storetest"
)

// MeasureParcel gives what Parcel and then Measure give: the same parcel
// and the same measurement, for every parcel of two versions stored side by
// side (the statements are specific to their version), on its first call
// (measured and kept; cache_test.go checks the calls answered from what is
// kept).
func TestMeasureParcel(t *testing.T) {
	ctx := t.Context()
	s := open(t)
	city := storetest.City(4, 4)
	small := fixture("Nemuneh", "1404-01", date(2025, 3, 21))
	var first layers.PlanVersion
	for i, b := range []*layers.Bundle{city, small} {
		v := mustImport(t, s, b)
		if i == 0 {
			first = v
		}
		for _, bp := range b.Parcels {
			p, m, err := s.MeasureParcel(ctx, v.ID, bp.ID)
			if err != nil {
				t.Fatalf("version %d, parcel %s: %v", v.ID, bp.ID, err)
			}
			want, err := s.Parcel(ctx, v.ID, bp.ID)
			if err != nil {
				t.Fatal(err)
			}
			wantM, err := s.Measure(ctx, v.ID, want.Geom)
			if err != nil {
				t.Fatal(err)
			}
			if p.ID != want.ID || !reflect.DeepEqual(p.RegisteredArea, want.RegisteredArea) ||
				p.Address != want.Address || p.AddressFa != want.AddressFa ||
				!bytes.Equal(p.Geom.AsBinary(), want.Geom.AsBinary()) {
				t.Errorf("version %d: parcel %+v, Parcel gives %+v", v.ID, p, want)
			}
			if !reflect.DeepEqual(m, wantM) {
				t.Errorf("version %d, parcel %s: measurement\n%+v\nMeasure gives\n%+v", v.ID, bp.ID, m, wantM)
			}
		}
	}

	for _, c := range []struct {
		version int64
		id      string
	}{{first.ID, "no/such"}, {first.ID + 99, city.Parcels[0].ID}} {
		if _, _, err := s.MeasureParcel(ctx, c.version, c.id); !errors.Is(err, layers.ErrNotFound) {
			t.Errorf("MeasureParcel(%d, %q): err = %v, want ErrNotFound", c.version, c.id, err)
		}
	}
}
