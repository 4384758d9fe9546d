package geo

import (
	"math"
	"strings"
	"testing"

	"github.com/peterstace/simplefeatures/geom"
)

// The expected values come from PostGIS 3 / PROJ:
//
//	SELECT ST_X(g), ST_Y(g) FROM (SELECT ST_Transform(
//	    ST_SetSRID(ST_MakePoint(lon, lat), 4326), srid) g) s;
var projectionCases = []struct {
	name     string
	srid     int
	lon, lat float64
	x, y     float64
}{
	{"Nemuneh", 32639, 50.0, 36.27, 410179.21811182314, 4014359.8127258588},
	{"west zone edge", 32639, 48.0, 36.27, 230504.53723432234, 4018072.1867064335},
	{"east zone edge", 32639, 54.0, 36.27, 769495.4627656811, 4018072.1867064335},
	{"central meridian equator", 32639, 51.0, 0.0, 500000, 0},
	{"high latitude", 32639, 48.0, 60.0, 332705.17887555005, 6655205.483634564},
	{"Persian Gulf", 32639, 51.3, 25.5, 530149.3399694848, 2820347.886317092},
	{"Caspian", 32639, 53.9, 39.8, 748283.1628727234, 4409583.49254096},
	{"south", 32739, 50.0, -36.27, 410179.21811182314, 5985640.187274141},
	{"Santiago", 32719, -70.5, -33.4, 360505.6198968757, 6303362.288123646},
}

func TestProjectionMatchesPROJ(t *testing.T) {
	const tolMetres = 0.001
	const tolDegrees = 0.001 / 111_000 // a millimetre, in degrees of latitude
	for _, c := range projectionCases {
		t.Run(c.name, func(t *testing.T) {
			p, err := NewProjection(c.srid)
			if err != nil {
				t.Fatal(err)
			}
			if p.SRID() != c.srid {
				t.Errorf("SRID() = %d, want %d", p.SRID(), c.srid)
			}
			got := p.Forward(geom.XY{X: c.lon, Y: c.lat})
			if math.Abs(got.X-c.x) > tolMetres || math.Abs(got.Y-c.y) > tolMetres {
				t.Errorf("Forward(%v, %v) = %.4f, %.4f; want %.4f, %.4f", c.lon, c.lat, got.X, got.Y, c.x, c.y)
			}
			back := p.Reverse(geom.XY{X: c.x, Y: c.y})
			dlon := (back.X - c.lon) * math.Cos(c.lat*math.Pi/180)
			if math.Abs(dlon) > tolDegrees || math.Abs(back.Y-c.lat) > tolDegrees {
				t.Errorf("Reverse(%.4f, %.4f) = %v, %v; want %v, %v", c.x, c.y, back.X, back.Y, c.lon, c.lat)
			}
		})
	}
}

func TestNewProjectionRefuses(t *testing.T) {
	for _, srid := range []int{0, 4326, 3857, 32600, 32661, 32700, 32761, -32639} {
		_, err := NewProjection(srid)
		if err == nil || !strings.Contains(err.Error(), "unsupported SRID") {
			t.Errorf("NewProjection(%d) error = %v, want unsupported SRID", srid, err)
		}
	}
	for _, srid := range []int{32601, 32660, 32701, 32760} {
		if _, err := NewProjection(srid); err != nil {
			t.Errorf("NewProjection(%d): %v", srid, err)
		}
	}
}

func TestProjectMultiPolygonRoundTrip(t *testing.T) {
	p := mustProjection(t, 32639)
	ll := geom.NewMultiPolygonXY([][]float64{{50, 36.27, 50.001, 36.27, 50.001, 36.271, 50, 36.271, 50, 36.27}})
	m := p.ForwardMultiPolygon(ll)
	// ~90 m by ~111 m at this latitude.
	if a := m.Area(); a < 9900 || a > 10100 {
		t.Errorf("area %.1f m², want about 10 000", a)
	}
	back := p.ReverseMultiPolygon(m)
	seq, gotSeq := ll.Coordinates()[0][0], back.Coordinates()[0][0]
	for i := range seq.Length() {
		w, g := seq.GetXY(i), gotSeq.GetXY(i)
		if math.Abs(w.X-g.X) > 1e-9 || math.Abs(w.Y-g.Y) > 1e-9 {
			t.Errorf("round trip position %d: %v → %v", i, w, g)
		}
	}
}

// TestEnvelopeCovers checks that the projected envelope covers a dense
// sampling of the box's edges, including boxes straddling the central
// meridian and the equator, where corners alone are not enough.
func TestEnvelopeCovers(t *testing.T) {
	p := mustProjection(t, 32639)
	boxes := []geom.Envelope{
		geom.NewEnvelope(geom.XY{X: 49.9, Y: 36.2}, geom.XY{X: 50.1, Y: 36.4}),
		geom.NewEnvelope(geom.XY{X: 48, Y: 30}, geom.XY{X: 54, Y: 40}),   // straddles the meridian
		geom.NewEnvelope(geom.XY{X: 49, Y: -5}, geom.XY{X: 50, Y: 5}),    // straddles the equator
		geom.NewEnvelope(geom.XY{X: 47, Y: -10}, geom.XY{X: 55, Y: 10}),  // both
		geom.NewEnvelope(geom.XY{X: 52, Y: 60}, geom.XY{X: 53.5, Y: 70}), // far north
	}
	for _, box := range boxes {
		got := p.ForwardEnvelope(box)
		for _, xy := range edgeSamples(box, 2000) {
			if pt := p.Forward(xy); !covers(got, pt) {
				t.Errorf("ForwardEnvelope(%v) = %v misses %v (from %v)", box, got, pt, xy)
				break
			}
		}
		metric := got
		back := p.ReverseEnvelope(metric)
		for _, xy := range edgeSamples(metric, 2000) {
			if pt := p.Reverse(xy); !covers(back, pt) {
				t.Errorf("ReverseEnvelope(%v) = %v misses %v", metric, back, pt)
				break
			}
		}
		if lo, hi, _ := box.MinMaxXYs(); !covers(back, lo) || !covers(back, hi) {
			t.Errorf("ReverseEnvelope(ForwardEnvelope(%v)) = %v does not cover the box", box, back)
		}
	}
	if !p.ForwardEnvelope(geom.Envelope{}).IsEmpty() {
		t.Error("ForwardEnvelope(empty) not empty")
	}
}

func covers(env geom.Envelope, xy geom.XY) bool {
	const eps = 1e-9
	lo, hi, _ := env.MinMaxXYs()
	return xy.X >= lo.X-eps && xy.X <= hi.X+eps && xy.Y >= lo.Y-eps && xy.Y <= hi.Y+eps
}

func edgeSamples(env geom.Envelope, n int) []geom.XY {
	lo, hi, _ := env.MinMaxXYs()
	var out []geom.XY
	for i := 0; i <= n; i++ {
		f := float64(i) / float64(n)
		x := lo.X + f*(hi.X-lo.X)
		y := lo.Y + f*(hi.Y-lo.Y)
		out = append(out, geom.XY{X: x, Y: lo.Y}, geom.XY{X: x, Y: hi.Y}, geom.XY{X: lo.X, Y: y}, geom.XY{X: hi.X, Y: y})
	}
	return out
}

func mustProjection(t testing.TB, srid int) *Projection {
	t.Helper()
	p, err := NewProjection(srid)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func BenchmarkForward(b *testing.B) {
	p := mustProjection(b, 32639)
	xy := geom.XY{X: 50, Y: 36.27}
	for b.Loop() {
		p.Forward(xy)
	}
}
