package geo

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/peterstace/simplefeatures/geom"
)

// Reasons a geometry is refused; stable codes callers may report verbatim.
const (
	ReasonBadJSON        = "bad_json"        // not a JSON object
	ReasonBadType        = "bad_type"        // missing, mistyped or unsupported "type"
	ReasonBadCoordinates = "bad_coordinates" // missing, mistyped or wrongly nested coordinates
	ReasonNonFinite      = "non_finite"      // a number too large for float64
	ReasonOutOfRange     = "out_of_range"    // longitude outside [-180,180] or latitude outside [-90,90]
	ReasonEmpty          = "empty"           // no polygon, or a polygon without rings
	ReasonTooFewPoints   = "too_few_points"  // a ring with fewer than 3 distinct positions
	ReasonTooLarge       = "too_large"       // more than MaxRings rings or MaxPositions positions
	ReasonDegenerate     = "degenerate"      // thousands of segments aligned on one line (hostile input)
	ReasonCollapsed      = "collapsed"       // nothing of positive area is left after repair
	ReasonUnrepairable   = "self_intersection_unrepairable"
)

// Size limits of one geometry, so that hostile input cannot make the repair
// (superlinear in the worst case) or the stores exhaust memory or time. A
// detailed-plan zone rarely has more than a few thousand positions.
const (
	MaxRings     = 10_000
	MaxPositions = 1_000_000
)

// GeometryError refuses a geometry. Reason is one of the Reason* codes;
// Detail says where and what, for a person.
type GeometryError struct {
	Reason string
	Detail string
}

func (e *GeometryError) Error() string { return e.Reason + ": " + e.Detail }

func geomErr(reason, format string, args ...any) *GeometryError {
	return &GeometryError{Reason: reason, Detail: fmt.Sprintf(format, args...)}
}

// RawPolygon is a polygon as read from GeoJSON: its exterior ring, then its
// holes, each a list of lon/lat positions that may be unclosed, badly
// oriented or self-intersecting (Prepare settles that).
type RawPolygon [][]geom.XY

// RawGeometry is a GeoJSON Polygon (one element) or MultiPolygon, read but
// not yet projected or repaired.
type RawGeometry struct {
	Polygons []RawPolygon
}

// ParseGeometry reads a GeoJSON Polygon or MultiPolygon, or a Feature
// wrapping one (its properties are ignored). It checks structure, numbers
// and ranges but not topology; every error is a *GeometryError.
func ParseGeometry(data []byte) (RawGeometry, error) {
	var obj struct {
		Type        json.RawMessage `json:"type"`
		Coordinates json.RawMessage `json:"coordinates"`
		Geometry    json.RawMessage `json:"geometry"`
	}
	if err := json.Unmarshal(data, &obj); err != nil {
		return RawGeometry{}, geomErr(ReasonBadJSON, "geometry is not a JSON object: %v", jsonProblem(err))
	}
	typ, err := typeOf(obj.Type)
	if err != nil {
		return RawGeometry{}, err
	}
	if typ == "Feature" {
		if isNull(obj.Geometry) {
			return RawGeometry{}, geomErr(ReasonEmpty, "feature has no geometry")
		}
		return parseGeometryObject(obj.Geometry)
	}
	return parseCoordinates(typ, obj.Coordinates)
}

// parseGeometryObject reads a geometry object (not a Feature).
func parseGeometryObject(data []byte) (RawGeometry, error) {
	var obj struct {
		Type        json.RawMessage `json:"type"`
		Coordinates json.RawMessage `json:"coordinates"`
	}
	if err := json.Unmarshal(data, &obj); err != nil {
		return RawGeometry{}, geomErr(ReasonBadJSON, "geometry is not a JSON object: %v", jsonProblem(err))
	}
	typ, err := typeOf(obj.Type)
	if err != nil {
		return RawGeometry{}, err
	}
	return parseCoordinates(typ, obj.Coordinates)
}

func typeOf(raw json.RawMessage) (string, error) {
	if isNull(raw) {
		return "", geomErr(ReasonBadType, `geometry has no "type"`)
	}
	var typ string
	if err := json.Unmarshal(raw, &typ); err != nil {
		return "", geomErr(ReasonBadType, `"type" must be a string, got %s`, jsonKind(raw))
	}
	return typ, nil
}

func parseCoordinates(typ string, coords json.RawMessage) (RawGeometry, error) {
	var depth int
	switch typ {
	case "Polygon":
		depth = 3
	case "MultiPolygon":
		depth = 4
	case "Point", "MultiPoint", "LineString", "MultiLineString", "GeometryCollection":
		return RawGeometry{}, geomErr(ReasonBadType, "geometry type %s is not supported: want Polygon or MultiPolygon", typ)
	default:
		return RawGeometry{}, geomErr(ReasonBadType, "unknown geometry type %q: want Polygon or MultiPolygon", typ)
	}
	if isNull(coords) {
		return RawGeometry{}, geomErr(ReasonBadCoordinates, `%s has no "coordinates"`, typ)
	}
	s := coordScanner{data: coords}
	var g RawGeometry
	var err error
	if depth == 3 {
		var p RawPolygon
		if p, err = s.polygon(); err == nil {
			g.Polygons = []RawPolygon{p}
		}
	} else {
		err = s.array(func(int) error {
			p, err := s.polygon()
			g.Polygons = append(g.Polygons, p)
			return err
		})
		if err == nil && len(g.Polygons) == 0 {
			err = geomErr(ReasonEmpty, "MultiPolygon has no polygons")
		}
	}
	if err != nil {
		return RawGeometry{}, err
	}
	return g, nil
}

// coordScanner reads GeoJSON coordinate arrays straight from their bytes,
// which are known to be valid JSON. It is much faster than decoding into
// [][][]float64, and errors name exactly which position is wrong.
type coordScanner struct {
	data []byte
	pos  int
	// path holds the index within each array being read, so that errors can
	// name the place (coordinates[0][3][1]) without formatting it for every
	// number read.
	path             []int
	rings, positions int
}

func (s *coordScanner) where() string {
	b := []byte("coordinates")
	for _, i := range s.path {
		b = fmt.Appendf(b, "[%d]", i)
	}
	return string(b)
}

func (s *coordScanner) skipSpace() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

func (s *coordScanner) peek() byte {
	s.skipSpace()
	if s.pos >= len(s.data) {
		return 0
	}
	return s.data[s.pos]
}

// array reads a JSON array, calling elem to read each element.
func (s *coordScanner) array(elem func(i int) error) error {
	if c := s.peek(); c != '[' {
		return geomErr(ReasonBadCoordinates, "%s must be an array, got %s", s.where(), kindOf(c))
	}
	s.pos++
	if s.peek() == ']' {
		s.pos++
		return nil
	}
	s.path = append(s.path, 0)
	defer func() { s.path = s.path[:len(s.path)-1] }()
	for i := 0; ; i++ {
		s.path[len(s.path)-1] = i
		if err := elem(i); err != nil {
			return err
		}
		switch s.peek() {
		case ',':
			s.pos++
		case ']':
			s.pos++
			return nil
		default:
			return geomErr(ReasonBadCoordinates, "%s: malformed array", s.where())
		}
	}
}

func (s *coordScanner) polygon() (RawPolygon, error) {
	var p RawPolygon
	err := s.array(func(int) error {
		s.rings++
		if s.rings > MaxRings {
			return geomErr(ReasonTooLarge, "more than %d rings", MaxRings)
		}
		r, err := s.ring()
		if err != nil {
			return err
		}
		if n := distinctUpTo3(r); n < 3 {
			return geomErr(ReasonTooFewPoints, "%s has %d distinct positions, a ring needs at least 3", s.where(), n)
		}
		p = append(p, r)
		return nil
	})
	if err == nil && len(p) == 0 {
		err = geomErr(ReasonEmpty, "%s has no rings", s.where())
	}
	return p, err
}

func (s *coordScanner) ring() ([]geom.XY, error) {
	var r []geom.XY
	err := s.array(func(int) error {
		s.positions++
		if s.positions > MaxPositions {
			return geomErr(ReasonTooLarge, "more than %d positions", MaxPositions)
		}
		xy, err := s.position()
		r = append(r, xy)
		return err
	})
	return r, err
}

// position reads [lon, lat] or [lon, lat, altitude...]; altitude is dropped.
func (s *coordScanner) position() (geom.XY, error) {
	var v [2]float64
	n := 0
	err := s.array(func(i int) error {
		f, err := s.number()
		if i < 2 {
			v[i] = f
		}
		n++
		return err
	})
	switch {
	case err != nil:
		return geom.XY{}, err
	case n < 2:
		return geom.XY{}, geomErr(ReasonBadCoordinates, "%s has %d numbers, a position needs longitude and latitude", s.where(), n)
	case v[0] < -180 || v[0] > 180:
		return geom.XY{}, geomErr(ReasonOutOfRange, "%s: longitude %v outside [-180, 180]", s.where(), v[0])
	case v[1] < -90 || v[1] > 90:
		return geom.XY{}, geomErr(ReasonOutOfRange, "%s: latitude %v outside [-90, 90]", s.where(), v[1])
	}
	return geom.XY{X: v[0], Y: v[1]}, nil
}

func (s *coordScanner) number() (float64, error) {
	c := s.peek()
	if c != '-' && (c < '0' || c > '9') {
		return 0, geomErr(ReasonBadCoordinates, "%s must be a number, got %s", s.where(), kindOf(c))
	}
	start := s.pos
	for s.pos < len(s.data) && isNumberByte(s.data[s.pos]) {
		s.pos++
	}
	f, err := strconv.ParseFloat(string(s.data[start:s.pos]), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, geomErr(ReasonNonFinite, "%s: %.40s is not a finite number", s.where(), s.data[start:s.pos])
	}
	return f, nil
}

func isNumberByte(c byte) bool {
	return c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E'
}

// distinctUpTo3 counts distinct positions in r, stopping at 3.
func distinctUpTo3(r []geom.XY) int {
	if len(r) == 0 {
		return 0
	}
	a, n := r[0], 1
	var b geom.XY
	for _, p := range r[1:] {
		switch {
		case p == a:
		case n == 1:
			b, n = p, 2
		case p != b:
			return 3
		}
	}
	return n
}

func isNull(raw json.RawMessage) bool {
	return len(raw) == 0 || string(raw) == "null"
}

// kindOf names the JSON value starting with c, for error messages.
func kindOf(c byte) string {
	switch {
	case c == '[':
		return "an array"
	case c == '{':
		return "an object"
	case c == '"':
		return "a string"
	case c == 't' || c == 'f':
		return "a boolean"
	case c == 'n':
		return "null"
	case c == '-' || c >= '0' && c <= '9':
		return "a number"
	default:
		return "nothing"
	}
}

func jsonKind(raw json.RawMessage) string {
	s := coordScanner{data: raw}
	return kindOf(s.peek())
}

// jsonProblem shortens encoding/json errors to what a data author can act on.
func jsonProblem(err error) string {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return fmt.Sprintf("%v at byte %d", syn, syn.Offset)
	}
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		return "got " + typ.Value
	}
	return err.Error()
}
