package geo

import (
	"math"
	"testing"

	"github.com/peterstace/simplefeatures/geom"
)

// rect is an axis-aligned rectangle as a MultiPolygon.
func rect(x0, y0, x1, y1 float64) geom.MultiPolygon {
	return geom.NewSingleRingPolygonXY(x0, y0, x1, y0, x1, y1, x0, y1, x0, y0).AsMultiPolygon()
}

func mustWKT(t *testing.T, wkt string) geom.Geometry {
	t.Helper()
	g, err := geom.UnmarshalWKT(wkt)
	if err != nil {
		t.Fatalf("parsing %s: %v", wkt, err)
	}
	return g
}

func TestAsMultiPolygon(t *testing.T) {
	tests := []struct {
		wkt      string
		polygons int
		area     float64
	}{
		{"POLYGON((0 0,2 0,2 2,0 2,0 0))", 1, 4},
		{"POLYGON EMPTY", 0, 0},
		{"MULTIPOLYGON(((0 0,1 0,1 1,0 1,0 0)),((5 5,6 5,6 6,5 6,5 5)))", 2, 2},
		{"GEOMETRYCOLLECTION(POINT(1 1),LINESTRING(0 0,1 1),POLYGON((0 0,3 0,3 1,0 1,0 0)))", 1, 3},
		{"GEOMETRYCOLLECTION(GEOMETRYCOLLECTION(MULTIPOLYGON(((0 0,1 0,1 1,0 1,0 0)))),POLYGON((4 0,5 0,5 1,4 1,4 0)))", 2, 2},
		{"LINESTRING(0 0,1 1)", 0, 0},
		{"POINT(1 1)", 0, 0},
		{"GEOMETRYCOLLECTION EMPTY", 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.wkt, func(t *testing.T) {
			mp := AsMultiPolygon(mustWKT(t, tc.wkt))
			if mp.NumPolygons() != tc.polygons || mp.Area() != tc.area {
				t.Errorf("got %d polygons, area %v; want %d, %v", mp.NumPolygons(), mp.Area(), tc.polygons, tc.area)
			}
		})
	}
}

func TestOverlay(t *testing.T) {
	square := rect(0, 0, 10, 10) // 100
	tests := []struct {
		name        string
		a, b        geom.MultiPolygon
		inter, diff float64
		unionOfBoth float64
	}{
		{"half overlap", square, rect(5, 0, 15, 10), 50, 50, 150},
		{"disjoint", square, rect(20, 20, 30, 30), 0, 100, 200},
		{"edge touch", square, rect(10, 0, 20, 10), 0, 100, 200},
		{"corner touch", square, rect(10, 10, 20, 20), 0, 100, 200},
		{"b covers a", square, rect(-1, -1, 11, 11), 100, 0, 144},
		{"b inside a (hole)", square, rect(2, 2, 4, 4), 4, 96, 100},
		{"same square", square, square, 100, 0, 100},
		{"crossing, no vertex inside", square, rect(-5, 4, 15, 6), 20, 80, 120},
		{"along an edge, sharing vertices", square, rect(0, -5, 10, 0), 0, 100, 150},
		{"empty b", square, geom.MultiPolygon{}, 0, 100, 100},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inter, err := IntersectionArea(tc.a, tc.b)
			if err != nil {
				t.Fatal(err)
			}
			if overlap, err := InteriorsIntersect(tc.a, tc.b); err != nil || overlap != (tc.inter > 0) {
				t.Errorf("InteriorsIntersect = %v, %v; want %v", overlap, err, tc.inter > 0)
			}
			diff, err := Difference(tc.a, tc.b)
			if err != nil {
				t.Fatal(err)
			}
			union, err := Union([]geom.MultiPolygon{tc.a, tc.b})
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct {
				what      string
				got, want float64
			}{
				{"intersection", inter, tc.inter},
				{"difference", diff.Area(), tc.diff},
				{"union", union.Area(), tc.unionOfBoth},
			} {
				if math.Abs(c.got-c.want) > 1e-9 {
					t.Errorf("%s area = %v, want %v", c.what, c.got, c.want)
				}
			}
		})
	}
}

func TestUnionFewInputs(t *testing.T) {
	if u, err := Union(nil); err != nil || !u.IsEmpty() {
		t.Errorf("Union(nil) = %v, %v; want empty", u, err)
	}
	one := rect(0, 0, 1, 2)
	if u, err := Union([]geom.MultiPolygon{one}); err != nil || u.Area() != 2 {
		t.Errorf("Union(one) = %v, %v; want area 2", u, err)
	}
}
