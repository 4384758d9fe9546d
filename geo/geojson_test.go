package geo

import (
	"errors"
	"strings"
	"testing"

	"github.com/peterstace/simplefeatures/geom"
)

func TestParseGeometry(t *testing.T) {
	sq := `[[50,36],[50.001,36],[50.001,36.001],[50,36.001],[50,36]]`
	for _, c := range []struct {
		name     string
		in       string
		polygons int
		rings    int // of the first polygon
	}{
		{"polygon", `{"type":"Polygon","coordinates":[` + sq + `]}`, 1, 1},
		{"polygon with hole", `{"type":"Polygon","coordinates":[` + sq + `,[[50.0002,36.0002],[50.0004,36.0002],[50.0004,36.0004],[50.0002,36.0002]]]}`, 1, 2},
		{"multipolygon", `{"type":"MultiPolygon","coordinates":[[` + sq + `],[` + sq + `]]}`, 2, 1},
		{"feature", `{"type":"Feature","properties":{"a":1},"geometry":{"type":"Polygon","coordinates":[` + sq + `]}}`, 1, 1},
		{"altitude ignored", `{"type":"Polygon","coordinates":[[[50,36,1200],[50.001,36,1200],[50.001,36.001,1200],[50,36]]]}`, 1, 1},
		{"unclosed kept", `{"type":"Polygon","coordinates":[[[50,36],[50.001,36],[50.001,36.001]]]}`, 1, 1},
		{"whitespace", " {\"type\" : \"Polygon\",\n\"coordinates\" : [ [ [ 50 , 36 ] ,\t[50.001,36],[50.001,36.001] ] ] } ", 1, 1},
		{"bbox and foreign members", `{"type":"Polygon","bbox":[1,2,3,4],"x":{"y":[1]},"coordinates":[` + sq + `]}`, 1, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			g, err := ParseGeometry([]byte(c.in))
			if err != nil {
				t.Fatal(err)
			}
			if len(g.Polygons) != c.polygons || len(g.Polygons[0]) != c.rings {
				t.Errorf("got %d polygons, first with %d rings; want %d, %d", len(g.Polygons), len(g.Polygons[0]), c.polygons, c.rings)
			}
		})
	}
	g, _ := ParseGeometry([]byte(`{"type":"Polygon","coordinates":[[[50,36.5,7],[51,36],[51,37],[50,36.5]]]}`))
	if want := []geom.XY{{X: 50, Y: 36.5}, {X: 51, Y: 36}, {X: 51, Y: 37}, {X: 50, Y: 36.5}}; !equalXYs(g.Polygons[0][0], want) {
		t.Errorf("positions %v, want %v", g.Polygons[0][0], want)
	}
}

func TestParseGeometryRefuses(t *testing.T) {
	for _, c := range []struct {
		name, in, reason, detail string
	}{
		{"not json", `{"type":`, ReasonBadJSON, "unexpected end"},
		{"array", `[1,2]`, ReasonBadJSON, "got array"},
		{"no type", `{"coordinates":[]}`, ReasonBadType, `no "type"`},
		{"type not string", `{"type":5,"coordinates":[]}`, ReasonBadType, "got a number"},
		{"point", `{"type":"Point","coordinates":[50,36]}`, ReasonBadType, "Point is not supported"},
		{"unknown", `{"type":"Polygonn","coordinates":[]}`, ReasonBadType, `unknown geometry type "Polygonn"`},
		{"feature of feature", `{"type":"Feature","geometry":{"type":"Feature"}}`, ReasonBadType, `"Feature"`},
		{"feature null geometry", `{"type":"Feature","geometry":null}`, ReasonEmpty, "no geometry"},
		{"no coordinates", `{"type":"Polygon"}`, ReasonBadCoordinates, `no "coordinates"`},
		{"coordinates string", `{"type":"Polygon","coordinates":"x"}`, ReasonBadCoordinates, "coordinates must be an array, got a string"},
		{"too shallow", `{"type":"Polygon","coordinates":[[50,36]]}`, ReasonBadCoordinates, "coordinates[0][0] must be an array, got a number"},
		{"multipolygon too shallow", `{"type":"MultiPolygon","coordinates":[[[50,36],[1,1],[2,2]]]}`, ReasonBadCoordinates, "coordinates[0][0][0] must be an array, got a number"},
		{"string number", `{"type":"Polygon","coordinates":[[[50,36],["51",36],[51,37]]]}`, ReasonBadCoordinates, `coordinates[0][1][0] must be a number, got a string`},
		{"null number", `{"type":"Polygon","coordinates":[[[50,36],[51,36],[51,null]]]}`, ReasonBadCoordinates, `coordinates[0][2][1] must be a number, got null`},
		{"one number", `{"type":"Polygon","coordinates":[[[50,36],[51],[51,37]]]}`, ReasonBadCoordinates, `coordinates[0][1] has 1 numbers`},
		{"huge", `{"type":"Polygon","coordinates":[[[50,36],[1e400,36],[51,37]]]}`, ReasonNonFinite, `coordinates[0][1][0]: 1e400`},
		{"lon range", `{"type":"Polygon","coordinates":[[[50,36],[181,36],[51,37]]]}`, ReasonOutOfRange, `coordinates[0][1]: longitude 181`},
		{"lat range", `{"type":"MultiPolygon","coordinates":[[[[50,36],[51,36],[51,37]]],[[[50,36],[51,-90.5],[51,37]]]]}`, ReasonOutOfRange, `coordinates[1][0][1]: latitude -90.5`},
		{"utm coordinates", `{"type":"Polygon","coordinates":[[[410179.2,4014359.8],[410190,4014359.8],[410190,4014370]]]}`, ReasonOutOfRange, "longitude 410179.2"},
		{"empty polygon", `{"type":"Polygon","coordinates":[]}`, ReasonEmpty, "coordinates has no rings"},
		{"empty multipolygon", `{"type":"MultiPolygon","coordinates":[]}`, ReasonEmpty, "no polygons"},
		{"empty part", `{"type":"MultiPolygon","coordinates":[[[[50,36],[51,36],[51,37]]],[]]}`, ReasonEmpty, "coordinates[1] has no rings"},
		{"empty ring", `{"type":"Polygon","coordinates":[[]]}`, ReasonTooFewPoints, "coordinates[0] has 0 distinct"},
		{"two points", `{"type":"Polygon","coordinates":[[[50,36],[51,36],[50,36],[51,36],[50,36]]]}`, ReasonTooFewPoints, "coordinates[0] has 2 distinct"},
		{"hole of one point", `{"type":"Polygon","coordinates":[[[50,36],[51,36],[51,37],[50,36]],[[50.5,36.5],[50.5,36.5],[50.5,36.5],[50.5,36.5]]]}`, ReasonTooFewPoints, "coordinates[1] has 1 distinct"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseGeometry([]byte(c.in))
			var ge *GeometryError
			if !errors.As(err, &ge) {
				t.Fatalf("error %v is not a *GeometryError", err)
			}
			if ge.Reason != c.reason || !strings.Contains(ge.Detail, c.detail) {
				t.Errorf("got %q, want reason %s with detail containing %q", err, c.reason, c.detail)
			}
		})
	}
}

func TestParseGeometryLimits(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"type":"Polygon","coordinates":[[`)
	for i := range MaxPositions + 1 {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("[1,2]")
	}
	b.WriteString(`]]}`)
	_, err := ParseGeometry([]byte(b.String()))
	var ge *GeometryError
	if !errors.As(err, &ge) || ge.Reason != ReasonTooLarge {
		t.Errorf("got %v, want %s", err, ReasonTooLarge)
	}
	b.Reset()
	b.WriteString(`{"type":"Polygon","coordinates":[`)
	for i := range MaxRings + 1 {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("[[0,0],[1,0],[1,1],[0,0]]")
	}
	b.WriteString(`]}`)
	_, err = ParseGeometry([]byte(b.String()))
	if !errors.As(err, &ge) || ge.Reason != ReasonTooLarge {
		t.Errorf("got %v, want %s", err, ReasonTooLarge)
	}
}

func FuzzParseGeometry(f *testing.F) {
	for _, s := range []string{
		`{"type":"Polygon","coordinates":[[[50,36],[51,36],[51,37],[50,36]]]}`,
		`{"type":"MultiPolygon","coordinates":[[[[50,36],[51,36],[51,37]]],[[[0,0],[1,0],[1,1]],[[0.1,0.1],[0.2,0.1],[0.2,0.2]]]]}`,
		`{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[50,36],[51,36],[50,36]]]}}`,
		`{"type":"Polygon","coordinates":[[[50,36,1],[51,36e0],[-1.5E+1,37]]]}`,
		`{"type":"Polygon","coordinates":[[[50,36],[51,"36"],[51,37]]]}`,
		`{"type":"Polygon","coordinates":[[[1e999,36]]]}`,
		`[]`, `null`, `{}`, `"x"`,
	} {
		f.Add([]byte(s))
	}
	p, err := NewProjection(32639)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		g, err := ParseGeometry(data)
		if err != nil {
			var ge *GeometryError
			if !errors.As(err, &ge) || ge.Reason == "" {
				t.Fatalf("error %v is not a *GeometryError with a reason", err)
			}
			return
		}
		for _, poly := range g.Polygons {
			for _, r := range poly {
				if distinctUpTo3(r) < 3 {
					t.Fatalf("ring with fewer than 3 distinct positions accepted: %v", r)
				}
				for _, xy := range r {
					if !(xy.X >= -180 && xy.X <= 180 && xy.Y >= -90 && xy.Y <= 90) {
						t.Fatalf("position %v accepted", xy)
					}
				}
			}
		}
		// Whatever parses must be settled by Prepare one way or the other.
		m, _, err := Prepare(g, p)
		if err != nil {
			var ge *GeometryError
			if !errors.As(err, &ge) {
				t.Fatalf("Prepare error %v is not a *GeometryError", err)
			}
			return
		}
		if err := m.Validate(); err != nil || m.Area() <= 0 {
			t.Fatalf("Prepare returned invalid or empty geometry (%v): %s", err, m.AsText())
		}
	})
}

func BenchmarkParseGeometry(b *testing.B) {
	data := []byte(`{"type":"Polygon","coordinates":[[[50.00001,36.27001],[50.00021,36.27001],[50.00021,36.27019],[50.00011,36.27025],[50.00001,36.27019],[50.00001,36.27001]]]}`)
	for b.Loop() {
		if _, err := ParseGeometry(data); err != nil {
			b.Fatal(err)
		}
	}
}

func equalXYs(a, b []geom.XY) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
