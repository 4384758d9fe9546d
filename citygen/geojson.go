package citygen

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"strconv"
	"unicode/utf8"

	"github.com/peterstace/simplefeatures/carto"
	"github.com/peterstace/simplefeatures/geom"
)

// coordScale fixes written coordinates to 8 decimals of a degree (about a
// millimetre), so files are byte-identical run to run.
const coordScale = 1e8

// projector takes local metres to UTM 39N and then to WGS84.
type projector struct {
	utm      *carto.UTM
	origin   xy
	cos, sin float64
}

func (p *projector) toUTM(q xy) xy {
	return xy{X: p.origin.X + p.cos*q.X - p.sin*q.Y, Y: p.origin.Y + p.sin*q.X + p.cos*q.Y}
}

// lonlat returns the fixed-point longitude and latitude of a local point.
func (p *projector) lonlat(q xy) [2]int64 {
	ll := p.utm.Reverse(p.toUTM(q))
	return [2]int64{int64(math.Round(ll.X * coordScale)), int64(math.Round(ll.Y * coordScale))}
}

// roundTrip is where a local point lands after being written (rounded to
// coordScale) and read back into UTM 39N, as a bundle reader reads it.
func (p *projector) roundTrip(q xy) xy {
	ll := p.lonlat(q)
	return p.utm.Forward(xy{X: float64(ll[0]) / coordScale, Y: float64(ll[1]) / coordScale})
}

// fcWriter streams one GeoJSON FeatureCollection to a file, one feature a
// line.
type fcWriter struct {
	path  string
	f     *os.File
	w     *bufio.Writer
	n     int
	buf   []byte
	proj  *projector
	polys [][][][2]int64
}

func createFC(path string, proj *projector) (*fcWriter, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("creating %s: %w", path, err)
	}
	fw := &fcWriter{path: path, f: f, w: bufio.NewWriterSize(f, 1<<20), proj: proj}
	fw.w.WriteString(`{"type":"FeatureCollection","features":[`)
	return fw, nil
}

// write writes one feature. polys are polygons of rings (outer first) in
// local metres; rings are turned counter-clockwise (holes clockwise) as RFC
// 7946 asks, and points that round to the same coordinates are merged.
func (fw *fcWriter) write(props []prop, polys [][][]xy) error {
	fw.polys = fw.polys[:0]
	for _, poly := range polys {
		var rings [][][2]int64
		for ri, r := range poly {
			ccw := signedArea(r) > 0
			rev := ccw != (ri == 0)
			q := fw.fixRing(r, rev)
			if len(q) < 4 {
				if ri == 0 {
					break
				}
				continue
			}
			rings = append(rings, q)
		}
		if len(rings) > 0 {
			fw.polys = append(fw.polys, rings)
		}
	}
	if len(fw.polys) == 0 {
		return fmt.Errorf("writing %s: feature %d (%v) has no polygon left", fw.path, fw.n, props[0].val)
	}
	b := fw.buf[:0]
	if fw.n > 0 {
		b = append(b, ',')
	}
	b = append(b, "\n"+`{"type":"Feature","properties":{`...)
	for i, p := range props {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, p.key)
		b = append(b, ':')
		switch v := p.val.(type) {
		case string:
			b = appendJSONString(b, v)
		case float64:
			b = strconv.AppendFloat(b, v, 'f', -1, 64)
		case fixed2:
			b = strconv.AppendFloat(b, float64(v), 'f', 2, 64)
		case int64:
			b = strconv.AppendInt(b, v, 10)
		case int:
			b = strconv.AppendInt(b, int64(v), 10)
		case bool:
			b = strconv.AppendBool(b, v)
		default:
			return fmt.Errorf("writing %s: property %s has unsupported type %T", fw.path, p.key, p.val)
		}
	}
	b = append(b, `},"geometry":{"type":`...)
	multi := len(fw.polys) > 1
	if multi {
		b = append(b, `"MultiPolygon","coordinates":[`...)
	} else {
		b = append(b, `"Polygon","coordinates":`...)
	}
	for pi, poly := range fw.polys {
		if pi > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		for ri, r := range poly {
			if ri > 0 {
				b = append(b, ',')
			}
			b = append(b, '[')
			for k, c := range r {
				if k > 0 {
					b = append(b, ',')
				}
				b = append(b, '[')
				b = appendFixed(b, c[0])
				b = append(b, ',')
				b = appendFixed(b, c[1])
				b = append(b, ']')
			}
			b = append(b, ']')
		}
		b = append(b, ']')
	}
	if multi {
		b = append(b, ']')
	}
	b = append(b, "}}"...)
	fw.buf = b
	fw.n++
	if _, err := fw.w.Write(b); err != nil {
		return fmt.Errorf("writing %s: %w", fw.path, err)
	}
	return nil
}

// fixRing projects and rounds a ring, optionally reversed, dropping repeated
// points and closing it.
func (fw *fcWriter) fixRing(r []xy, rev bool) [][2]int64 {
	out := make([][2]int64, 0, len(r)+1)
	for k := range r {
		p := r[k]
		if rev {
			p = r[len(r)-1-k]
		}
		c := fw.proj.lonlat(p)
		if len(out) > 0 && out[len(out)-1] == c {
			continue
		}
		out = append(out, c)
	}
	if len(out) > 1 && out[0] == out[len(out)-1] {
		out = out[:len(out)-1]
	}
	if len(out) < 3 {
		return nil
	}
	return append(out, out[0])
}

func (fw *fcWriter) close() error {
	fw.w.WriteString("\n]}\n")
	if err := fw.w.Flush(); err != nil {
		fw.f.Close()
		return fmt.Errorf("writing %s: %w", fw.path, err)
	}
	if err := fw.f.Close(); err != nil {
		return fmt.Errorf("closing %s: %w", fw.path, err)
	}
	return nil
}

// fixed2 is a number written with exactly two decimals.
type fixed2 float64

// appendFixed writes a fixed-point coordinate with 8 decimals.
func appendFixed(b []byte, v int64) []byte {
	if v < 0 {
		b = append(b, '-')
		v = -v
	}
	b = strconv.AppendInt(b, v/coordScale, 10)
	b = append(b, '.')
	frac := strconv.AppendInt(nil, v%coordScale, 10)
	for range 8 - len(frac) {
		b = append(b, '0')
	}
	return append(b, frac...)
}

// appendJSONString writes s as a JSON string, UTF-8 left as it is.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		case c < utf8.RuneSelf:
			b = append(b, c)
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				b = append(b, `\ufffd`...)
			} else {
				b = append(b, s[i:i+size]...)
			}
			i += size
			continue
		}
		i++
	}
	return append(b, '"')
}

// polysOf lists the polygons of an overlay result as rings in local metres,
// leaving out crumbs smaller than minPieceArea that overlay noise may make.
func polysOf(g geom.Geometry) [][][]xy {
	const minPieceArea = 0.01
	var out [][][]xy
	var walk func(g geom.Geometry)
	walk = func(g geom.Geometry) {
		switch g.Type() {
		case geom.TypePolygon:
			p, _ := g.AsPolygon()
			if p.IsEmpty() || p.Area() < minPieceArea {
				return
			}
			var rings [][]xy
			for ri := range p.NumRings() {
				var r geom.LineString
				if ri == 0 {
					r = p.ExteriorRing()
				} else {
					r = p.InteriorRingN(ri - 1)
				}
				seq := r.Coordinates()
				pts := make([]xy, seq.Length())
				for k := range pts {
					pts[k] = seq.GetXY(k)
				}
				if ri > 0 && math.Abs(signedArea(pts)) < minPieceArea {
					continue
				}
				rings = append(rings, pts)
			}
			out = append(out, rings)
		case geom.TypeMultiPolygon:
			m, _ := g.AsMultiPolygon()
			for k := range m.NumPolygons() {
				walk(m.PolygonN(k).AsGeometry())
			}
		case geom.TypeGeometryCollection:
			gc, _ := g.AsGeometryCollection()
			for k := range gc.NumGeometries() {
				walk(gc.GeometryN(k))
			}
		}
	}
	walk(g)
	return out
}
