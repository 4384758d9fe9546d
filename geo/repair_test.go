package geo

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/peterstace/simplefeatures/geom"
)

// Shapes are written in metres relative to an origin in UTM 39N and turned
// into lon/lat, so that areas can be computed by hand.
var repairOrigin = geom.XY{X: 410000, Y: 4014000}

type metricRing [][2]float64

var repairCases = []struct {
	name     string
	polygons [][]metricRing
	area     float64  // m², 0 = refused
	repairs  []string // codes, sorted
	reason   string   // when refused
}{
	{
		name:     "square",
		polygons: [][]metricRing{{{{0, 0}, {10, 0}, {10, 10}, {0, 10}, {0, 0}}}},
		area:     100,
	},
	{
		name: "square with hole",
		polygons: [][]metricRing{{
			{{0, 0}, {10, 0}, {10, 10}, {0, 10}, {0, 0}},
			{{2, 2}, {2, 6}, {6, 6}, {6, 2}, {2, 2}},
		}},
		area: 84,
	},
	{
		name:     "unclosed ring",
		polygons: [][]metricRing{{{{0, 0}, {10, 0}, {10, 10}, {0, 10}}}},
		area:     100,
		repairs:  []string{RepairNotClosed},
	},
	{
		name:     "bowtie becomes two triangles",
		polygons: [][]metricRing{{{{0, 0}, {10, 10}, {10, 0}, {0, 10}, {0, 0}}}},
		area:     50,
		repairs:  []string{RepairSelfIntersection},
	},
	{
		name:     "spike removed",
		polygons: [][]metricRing{{{{0, 0}, {5, 0}, {5, 5}, {2.5, 5}, {2.5, 15}, {2.5, 5}, {0, 5}, {0, 0}}}},
		area:     25,
		repairs:  []string{RepairSelfIntersection},
	},
	{
		name:     "inward spike removed",
		polygons: [][]metricRing{{{{0, 0}, {5, 0}, {5, 5}, {2.5, 5}, {2.5, 1}, {2.5, 5}, {0, 5}, {0, 0}}}},
		area:     25,
		repairs:  []string{RepairSelfIntersection},
	},
	{
		name:     "duplicate points",
		polygons: [][]metricRing{{{{0, 0}, {10, 0}, {10, 0}, {10, 0}, {10, 10}, {0, 10}, {0, 10}, {0, 0}}}},
		area:     100,
		repairs:  []string{RepairDuplicatePoints},
	},
	{
		name: "overlapping parts merged",
		polygons: [][]metricRing{
			{{{0, 0}, {10, 0}, {10, 10}, {0, 10}, {0, 0}}},
			{{{5, 0}, {15, 0}, {15, 10}, {5, 10}, {5, 0}}},
		},
		area:    150,
		repairs: []string{RepairOverlappingParts},
	},
	{
		name: "separate parts",
		polygons: [][]metricRing{
			{{{0, 0}, {10, 0}, {10, 10}, {0, 10}, {0, 0}}},
			{{{20, 0}, {30, 0}, {30, 10}, {20, 10}, {20, 0}}},
		},
		area: 200,
	},
	{
		name: "hole outside shell becomes a part",
		polygons: [][]metricRing{{
			{{0, 0}, {10, 0}, {10, 10}, {0, 10}, {0, 0}},
			{{20, 20}, {20, 24}, {24, 24}, {24, 20}, {20, 20}},
		}},
		area:    116,
		repairs: []string{RepairRingTopology},
	},
	{
		name: "hole across shell boundary",
		polygons: [][]metricRing{{
			{{0, 0}, {10, 0}, {10, 10}, {0, 10}, {0, 0}},
			{{5, 5}, {5, 15}, {15, 15}, {15, 5}, {5, 5}},
		}},
		area:    75,
		repairs: []string{RepairRingTopology},
	},
	{
		name:     "clockwise exterior",
		polygons: [][]metricRing{{{{0, 0}, {0, 10}, {10, 10}, {10, 0}, {0, 0}}}},
		area:     100,
		repairs:  []string{RepairOrientation},
	},
	{
		name: "counterclockwise hole",
		polygons: [][]metricRing{{
			{{0, 0}, {10, 0}, {10, 10}, {0, 10}, {0, 0}},
			{{2, 2}, {6, 2}, {6, 6}, {2, 6}, {2, 2}},
		}},
		area:    84,
		repairs: []string{RepairOrientation},
	},
	{
		name: "bowtie with a collapsed part",
		polygons: [][]metricRing{
			{{{0, 0}, {10, 10}, {10, 0}, {0, 10}, {0, 0}}},
			{{{20, 0}, {30, 0}, {40, 0}, {20, 0}}},
		},
		area:    50,
		repairs: []string{RepairSelfIntersection},
	},
	{
		name:     "unclosed bowtie",
		polygons: [][]metricRing{{{{0, 0}, {10, 10}, {10, 0}, {0, 10}}}},
		area:     50,
		repairs:  []string{RepairNotClosed, RepairSelfIntersection},
	},
	{
		name:     "figure eight with unequal lobes",
		polygons: [][]metricRing{{{{0, 0}, {10, 0}, {10, 10}, {20, 10}, {20, 14}, {10, 14}, {10, 10}, {0, 10}, {0, 0}}}},
		area:     140,
		repairs:  []string{RepairSelfIntersection},
	},
	{
		name:     "self-touching ring (inverted hole)",
		polygons: [][]metricRing{{{{0, 0}, {10, 0}, {10, 10}, {5, 10}, {7, 5}, {3, 5}, {5, 10}, {0, 10}, {0, 0}}}},
		area:     90,
		repairs:  []string{RepairSelfIntersection},
	},
	{
		name:     "star (pentagram)",
		polygons: [][]metricRing{{{{0, 0}, {5, 15}, {10, 0}, {-3, 9.5}, {13, 9.5}, {0, 0}}}},
		area:     pentagramArea,
		repairs:  []string{RepairSelfIntersection},
	},
	{
		name: "bowtie hole in a square",
		polygons: [][]metricRing{{
			{{0, 0}, {20, 0}, {20, 20}, {0, 20}, {0, 0}},
			{{5, 5}, {15, 15}, {15, 5}, {5, 15}, {5, 5}},
		}},
		area:    350,
		repairs: []string{RepairSelfIntersection},
	},
	{
		name: "parts touching along an edge",
		polygons: [][]metricRing{
			{{{0, 0}, {10, 0}, {10, 10}, {0, 10}, {0, 0}}},
			{{{10, 0}, {20, 0}, {20, 10}, {10, 10}, {10, 0}}},
		},
		area:    200,
		repairs: []string{RepairOverlappingParts},
	},
	{
		name:     "collapsed ring refused",
		polygons: [][]metricRing{{{{0, 0}, {10, 0}, {20, 0}, {0, 0}}}},
		reason:   ReasonCollapsed,
	},
	{
		name: "hole filling the shell refused",
		polygons: [][]metricRing{{
			{{0, 0}, {10, 0}, {10, 10}, {0, 10}, {0, 0}},
			{{0, 0}, {0, 10}, {10, 10}, {10, 0}, {0, 0}},
		}},
		reason: ReasonCollapsed,
	},
}

// pentagramArea is the area of the star's outline (the ring winds twice
// around the central pentagon): shoelace over its five tips and the five
// crossings of its edges; PostGIS ST_MakeValid gives the same.
const pentagramArea = 79.07699

func rawFromMetric(p *Projection, polygons [][]metricRing) RawGeometry {
	var g RawGeometry
	for _, poly := range polygons {
		var rp RawPolygon
		for _, ring := range poly {
			var r []geom.XY
			for _, xy := range ring {
				r = append(r, p.Reverse(geom.XY{X: repairOrigin.X + xy[0], Y: repairOrigin.Y + xy[1]}))
			}
			rp = append(rp, r)
		}
		g.Polygons = append(g.Polygons, rp)
	}
	return g
}

func TestPrepare(t *testing.T) {
	p := mustProjection(t, 32639)
	for _, c := range repairCases {
		t.Run(c.name, func(t *testing.T) {
			m, repairs, err := Prepare(rawFromMetric(p, c.polygons), p)
			if c.reason != "" {
				var ge *GeometryError
				if !errors.As(err, &ge) || ge.Reason != c.reason {
					t.Fatalf("got %v (area %v), want refusal %s", err, m.Area(), c.reason)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := m.Validate(); err != nil {
				t.Errorf("result invalid: %v", err)
			}
			if !m.IsCCW() {
				t.Errorf("result not counterclockwise: %s", m.AsText())
			}
			if got := m.Area(); math.Abs(got-c.area) > 1e-4 {
				t.Errorf("area %.6f m², want %v", got, c.area)
			}
			var codes []string
			for _, r := range repairs {
				codes = append(codes, r.Code)
				if r.Detail == "" {
					t.Errorf("repair %s without detail", r.Code)
				}
			}
			slices.Sort(codes)
			if !slices.Equal(codes, c.repairs) {
				t.Errorf("repairs %v, want %v", repairs, c.repairs)
			}
		})
	}
}

func TestPrepareRefusesEmpty(t *testing.T) {
	p := mustProjection(t, 32639)
	for _, g := range []RawGeometry{{}, {Polygons: []RawPolygon{{}}}} {
		_, _, err := Prepare(g, p)
		var ge *GeometryError
		if !errors.As(err, &ge) || ge.Reason != ReasonEmpty {
			t.Errorf("Prepare(%v) = %v, want %s", g, err, ReasonEmpty)
		}
	}
	_, _, err := Prepare(RawGeometry{Polygons: []RawPolygon{{{{X: math.NaN(), Y: 0}, {X: 1, Y: 1}, {X: 1, Y: 0}}}}}, p)
	var ge *GeometryError
	if !errors.As(err, &ge) || ge.Reason != ReasonNonFinite {
		t.Errorf("NaN position: got %v, want %s", err, ReasonNonFinite)
	}
}

// TestPrepareMatchesPostGIS compares every case with PostGIS
// ST_MakeValid(g, 'method=structure') on the same projected rings, when a
// database is configured (scripts/test provides one).
func TestPrepareMatchesPostGIS(t *testing.T) {
	url := os.Getenv("PARVANEH_TEST_DATABASE_URL")
	if url == "" {
		t.Skip("PARVANEH_TEST_DATABASE_URL not set")
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	p := mustProjection(t, 32639)
	for _, c := range repairCases {
		t.Run(c.name, func(t *testing.T) {
			var want float64
			var valid bool
			if err := conn.QueryRow(ctx,
				`SELECT ST_Area(v), ST_IsValid(v) FROM (SELECT ST_CollectionExtract(ST_MakeValid(ST_GeomFromText($1, 32639), 'method=structure'), 3) v) s`,
				naiveWKT(c.polygons)).Scan(&want, &valid); err != nil {
				t.Fatal(err)
			}
			m, _, err := Prepare(rawFromMetric(p, c.polygons), p)
			if err != nil {
				if want > 0 {
					t.Errorf("refused (%v), PostGIS keeps %.4f m²", err, want)
				}
				return
			}
			if math.Abs(m.Area()-want) > 1e-4 {
				t.Errorf("area %.4f m², PostGIS %.4f m²", m.Area(), want)
			}
			if err := conn.QueryRow(ctx, `SELECT ST_IsValid(ST_GeomFromWKB($1, 32639))`, m.AsBinary()).Scan(&valid); err != nil {
				t.Fatal(err)
			}
			if !valid {
				t.Errorf("PostGIS finds the result invalid: %s", m.AsText())
			}
		})
	}
}

// naiveWKT writes the shapes as they are, only closing rings (PostGIS
// cannot parse unclosed ones), for ST_MakeValid to repair.
func naiveWKT(polygons [][]metricRing) string {
	var polys []string
	for _, poly := range polygons {
		var rings []string
		for _, ring := range poly {
			if ring[0] != ring[len(ring)-1] {
				ring = append(slices.Clone(ring), ring[0])
			}
			var pts []string
			for _, xy := range ring {
				pts = append(pts, fmt.Sprintf("%v %v", repairOrigin.X+xy[0], repairOrigin.Y+xy[1]))
			}
			rings = append(rings, "("+strings.Join(pts, ",")+")")
		}
		polys = append(polys, "("+strings.Join(rings, ",")+")")
	}
	return "MULTIPOLYGON(" + strings.Join(polys, ",") + ")"
}

func BenchmarkPrepareValid(b *testing.B) {
	p := mustProjection(b, 32639)
	raw := rawFromMetric(p, [][]metricRing{{{{0, 0}, {20, 0}, {20, 25}, {10, 30}, {0, 25}, {0, 0}}}})
	for b.Loop() {
		if _, _, err := Prepare(raw, p); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPrepareBowtie(b *testing.B) {
	p := mustProjection(b, 32639)
	raw := rawFromMetric(p, repairCases[3].polygons)
	for b.Loop() {
		if _, _, err := Prepare(raw, p); err != nil {
			b.Fatal(err)
		}
	}
}

func TestPrepareRefusesHugeInvalid(t *testing.T) {
	p := mustProjection(t, 32639)
	var ring metricRing
	for i := range MaxRepairPositions + 1 {
		a := 2 * math.Pi * float64(i) / MaxRepairPositions
		ring = append(ring, [2]float64{50 * math.Cos(a), 50 * math.Sin(a)})
	}
	ring[10], ring[20] = ring[20], ring[10] // crosses itself
	_, _, err := Prepare(rawFromMetric(p, [][]metricRing{{ring}}), p)
	var ge *GeometryError
	if !errors.As(err, &ge) || ge.Reason != ReasonTooLarge {
		t.Errorf("got %v, want %s", err, ReasonTooLarge)
	}
}

// TestPrepareRefusesAligned checks that input built to stall validation (a
// ring of many points on the central meridian, which project to one x) is
// refused quickly.
func TestPrepareRefusesAligned(t *testing.T) {
	p := mustProjection(t, 32639)
	var ring []geom.XY
	for i := range 100_000 {
		ring = append(ring, geom.XY{X: 51, Y: 36 + float64(i)*1e-6})
	}
	ring = append(ring, geom.XY{X: 51.001, Y: 36.1}, geom.XY{X: 51, Y: 36})
	_, _, err := Prepare(RawGeometry{Polygons: []RawPolygon{{ring}}}, p)
	var ge *GeometryError
	if !errors.As(err, &ge) || ge.Reason != ReasonDegenerate {
		t.Errorf("got %v, want %s", err, ReasonDegenerate)
	}
}
