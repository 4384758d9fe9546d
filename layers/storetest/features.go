package storetest

import (
	"errors"
	"maps"
	"testing"

	"github.com/parvaneh/parvaneh/layers"
	"github.com/peterstace/simplefeatures/geom"
)

// testFeatures checks Features, including Properties: the contract's
// property names typed as in the bundle (text string, measures float64,
// money int64, max_floors int, no_build bool and always present), an
// optional text or number present only when set.
func testFeatures(t *testing.T, s layers.Store, v int64) {
	type feature struct {
		id    string
		props map[string]any
		geom  geom.MultiPolygon
	}
	tests := []struct {
		name  string
		layer layers.Layer
		env   geom.Envelope
		limit int
		want  []feature
	}{
		{"parcels", layers.Parcels, envOf(0, 0, 0, 10, 10), 10, []feature{
			{"A-1", map[string]any{"parcel_id": "A-1", "registered_area_m2": 612.5,
				"address": "Kuche 1, No. 1", "address_fa": "کوچه ۱، پلاک ۱"}, box(0, 0, 0, 20, 30)},
		}},
		{"parcels, optional properties absent", layers.Parcels, envOf(1, 1, 1, 2, 2), 10, []feature{
			{"B-1", map[string]any{"parcel_id": "B-1"}, box(1, 0, 0, 40, 20)},
		}},
		{"master plan", layers.MasterPlan, envOf(0, 0, 0, 1, 1), 10, []feature{
			{"MZ-1", map[string]any{"zone_id": "MZ-1", "land_use": "residential", "density_band": "medium",
				"name": "North", "name_fa": "شمال"}, box(0, -100, -100, 2100, 100)},
		}},
		{"detailed plan by id, limited", layers.DetailedPlan, cellEnv(1), 2, []feature{
			{"DZ-B1", map[string]any{"zone_id": "DZ-B1", "code": "R111"}, box(1, -100, -100, 15, 100)},
			{"DZ-B2", map[string]any{"zone_id": "DZ-B2", "code": "R111"}, box(1, 10, -100, 25, 100)},
		}},
		{"detailed plan with names", layers.DetailedPlan, envOf(0, 0, 0, 1, 1), 5, []feature{
			{"DZ-A", map[string]any{"zone_id": "DZ-A", "code": "R121", "name": "Residential 121", "name_fa": "مسکونی ۱۲۱"},
				box(0, -100, -100, 100, 100)},
		}},
		{"streets in byte order", layers.Streets, cellEnv(1), 10, []feature{
			{"ST-B10", map[string]any{"street_id": "ST-B10", "width_m": 6.0, "planned_width_m": 10.0}, box(1, -50, 20, 90, 30)},
			{"ST-B9", map[string]any{"street_id": "ST-B9", "width_m": 6.0, "planned_width_m": 12.0}, box(1, -50, -12, 90, 0)},
		}},
		{"overlays", layers.Overlays, envOf(2, 45, 5, 55, 10), 10, []feature{
			{"OV-C1", map[string]any{"overlay_id": "OV-C1", "kind": "historic", "max_height_m": 10.5, "no_build": false,
				"name": "Old bazaar", "name_fa": "بازار قدیم"}, box(2, 40, -100, 100, 100)},
			{"OV-C2", map[string]any{"overlay_id": "OV-C2", "kind": "airport_height", "max_floors": 3, "no_build": false}, box(2, 50, 0, 60, 20)},
		}},
		{"no-build overlay", layers.Overlays, envOf(5, 14, 14, 16, 16), 10, []feature{
			{"OV-F1", map[string]any{"overlay_id": "OV-F1", "kind": "river_buffer", "no_build": true}, box(5, 10, 10, 20, 20)},
		}},
		{"value blocks", layers.ValueBlocks, envOf(2, 29, 0, 31, 1), 10, []feature{
			{"VB-2a", map[string]any{"block_id": "VB-2a", "p_value": int64(900_000),
				"tx_value_residential": int64(7_000_000), "tx_value_commercial": int64(12_000_000)}, box(2, -100, -100, 30, 100)},
			{"VB-2b", map[string]any{"block_id": "VB-2b", "p_value": int64(950_000),
				"tx_value_residential": int64(7_500_000), "tx_value_commercial": int64(12_500_000)}, box(2, 30, -100, 100, 100)},
		}},
		{"nothing there", layers.ValueBlocks, cellEnv(3), 10, nil},
		{"limit 0 finds none", layers.Streets, cellEnv(1), 0, nil},
	}
	for _, tc := range tests {
		got, err := s.Features(t.Context(), v, tc.layer, tc.env, tc.limit)
		if err != nil {
			t.Errorf("%s: Features: %v", tc.name, err)
			continue
		}
		if len(got) != len(tc.want) {
			t.Errorf("%s: Features = %q, want %d features", tc.name, ids(got, func(f layers.Feature) string { return f.ID }), len(tc.want))
			continue
		}
		for i, w := range tc.want {
			g := got[i]
			if g.ID != w.id || g.Layer != tc.layer {
				t.Errorf("%s: feature %d = %s %q, want %s %q", tc.name, i, g.Layer, g.ID, tc.layer, w.id)
			}
			if !maps.Equal(g.Properties, w.props) {
				t.Errorf("%s: %s properties = %#v\nwant %#v", tc.name, w.id, g.Properties, w.props)
			}
			checkGeom(t, tc.name+" "+w.id, g.Geom, w.geom)
		}
	}

	if _, err := s.Features(t.Context(), v, layers.Layer("roads"), cellEnv(0), 10); err == nil {
		t.Errorf("Features of an unknown layer succeeded")
	}
	if _, err := s.Features(t.Context(), v+100000, layers.Streets, cellEnv(0), 10); !errors.Is(err, layers.ErrNotFound) {
		t.Errorf("Features in an unknown version: error %v, want ErrNotFound", err)
	}
}
