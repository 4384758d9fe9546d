package permits

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/parvaneh/parvaneh/geo"
	"github.com/parvaneh/parvaneh/zoning"
)

// Proposal is an engineer's plan as filed for validation (docs/proposal.md):
// the parcel, the storeys and what each holds, height, parking and the
// footprint, either drawn (a GeoJSON polygon) or declared by its area.
type Proposal struct {
	// Reference is the engineer's own reference for the plan, echoed back.
	Reference string
	Where     Where
	HeightM   float64
	Parking   int
	Floors    []ProposedFloor
	// Footprint is the building's footprint in WGS84; nil when only its
	// area is declared (FootprintArea).
	Footprint     *geo.RawGeometry
	FootprintArea float64
}

// ProposedFloor is one storey of a proposal; areas m², rounded half up to
// 0.01 when read.
type ProposedFloor struct {
	Level           int
	ResidentialArea float64
	CommercialArea  float64
	ParkingArea     float64
	Units           []float64
}

// Limits of a proposal: anything beyond them is a typing slip or hostile,
// not a building.
const (
	MaxFloors         = 200     // storeys in one proposal, basements included
	MaxBasements      = 20      // deepest basement level is −MaxBasements
	MaxUnitsPerFloor  = 1_000   // residential units on one storey
	MaxFloorArea      = 1e6     // m², any one area of a storey, and the footprint
	MaxHeight         = 1_000.0 // m
	MaxParkingSpaces  = 100_000
	MaxReferenceBytes = 200
)

// ProposalError refuses a proposal. Field is the JSON path of the member at
// fault (floors[2].level; "" for the document as a whole); Code is
// CodeBadJSON (not JSON of the proposal's shape), CodeMissing or
// CodeInvalid; Detail says what is wanted.
type ProposalError struct {
	Code   string
	Field  string
	Detail string
}

// Codes of a ProposalError, the API's error codes of the same meaning.
const (
	CodeBadJSON = "bad_json"
	CodeMissing = "missing_field"
	CodeInvalid = "invalid_value"
)

func (e *ProposalError) Error() string {
	if e.Field == "" {
		return "proposal: " + e.Detail
	}
	return "proposal: " + e.Field + ": " + e.Detail
}

func proposalErr(code, field, format string, args ...any) *ProposalError {
	return &ProposalError{Code: code, Field: field, Detail: fmt.Sprintf(format, args...)}
}

// FieldError is a refusal of one member of a proposal by a check outside
// this file: a geometry geo refuses (*geo.GeometryError), one outside the
// municipality (ErrOutsideMunicipality) or a footprint off its parcel
// (ErrFootprintOffParcel). Field is the member's JSON path.
type FieldError struct {
	Field string
	Err   error
}

func (e *FieldError) Error() string { return "proposal: " + e.Field + ": " + e.Err.Error() }
func (e *FieldError) Unwrap() error { return e.Err }

// ParseProposal reads a proposal strictly: unknown or repeated members,
// member names in another case, wrong types, trailing data, values out of
// range, a storey listed twice or levels with a gap are refused with the
// JSON path at fault (a *ProposalError, or a *FieldError for an unreadable
// geometry). Areas are rounded half up to 0.01 m².
func ParseProposal(data []byte) (*Proposal, error) {
	if err := validJSON(data); err != nil {
		return nil, err
	}
	p := &Proposal{}
	var (
		floorsGiven, heightGiven, parkingGiven, areaGiven bool
		parcel, footprint                                 json.RawMessage
	)
	err := readObject(data, "", withWhere(&p.Reference, &p.Where, &parcel, map[string]member{
		"height_m": func(raw json.RawMessage, path string) (err error) {
			heightGiven = true
			p.HeightM, err = readNumber(raw, path, MaxHeight)
			if err == nil && p.HeightM == 0 {
				err = proposalErr(CodeInvalid, path, "the building's height must be more than 0 m")
			}
			return err
		},
		"parking_spaces": func(raw json.RawMessage, path string) (err error) {
			parkingGiven = true
			p.Parking, err = readInt(raw, path, 0, MaxParkingSpaces)
			return err
		},
		"footprint": func(raw json.RawMessage, _ string) error { footprint = raw; return nil },
		"footprint_area_m2": func(raw json.RawMessage, path string) (err error) {
			areaGiven = true
			p.FootprintArea, err = readArea(raw, path)
			if err == nil && p.FootprintArea == 0 {
				err = proposalErr(CodeInvalid, path, "a footprint of 0 m²")
			}
			return err
		},
		"floors": func(raw json.RawMessage, path string) (err error) {
			floorsGiven = true
			p.Floors, err = readFloors(raw, path)
			return err
		},
	}))
	if err != nil {
		return nil, err
	}

	if err := parcelOf(&p.Where, parcel); err != nil {
		return nil, err
	}
	switch {
	case !isNull(footprint) && areaGiven:
		return nil, proposalErr(CodeInvalid, "footprint_area_m2", "give the footprint (a polygon, measured) or footprint_area_m2 (declared), not both")
	case !isNull(footprint):
		g, err := geo.ParseGeometry(footprint)
		if err != nil {
			return nil, fieldGeometry("footprint", err)
		}
		p.Footprint = &g
	case !areaGiven:
		return nil, proposalErr(CodeMissing, "footprint", "give the footprint (a GeoJSON polygon in WGS84) or footprint_area_m2")
	}
	for _, req := range []struct {
		given bool
		name  string
	}{{floorsGiven, "floors"}, {heightGiven, "height_m"}, {parkingGiven, "parking_spaces"}} {
		if !req.given {
			return nil, proposalErr(CodeMissing, req.name, "required")
		}
	}
	return p, nil
}

func fieldGeometry(field string, err error) error {
	var ge *geo.GeometryError
	if errors.As(err, &ge) {
		return &FieldError{Field: field, Err: ge}
	}
	return err
}

// readFloors reads the storeys: at most MaxFloors, each level once, levels
// running without a gap from the deepest basement through the ground floor
// (0) to the top.
func readFloors(raw json.RawMessage, path string) ([]ProposedFloor, error) {
	var items []json.RawMessage
	if err := readArray(raw, path, &items); err != nil {
		return nil, err
	}
	switch {
	case len(items) == 0:
		return nil, proposalErr(CodeInvalid, path, "no storey: list at least the ground floor (level 0)")
	case len(items) > MaxFloors:
		return nil, proposalErr(CodeInvalid, path, "%d storeys; at most %d", len(items), MaxFloors)
	}
	floors := make([]ProposedFloor, len(items))
	at := map[int]int{} // level → index
	for i, item := range items {
		fp := path + "[" + strconv.Itoa(i) + "]"
		if err := readFloor(item, fp, &floors[i]); err != nil {
			return nil, err
		}
		if j, dup := at[floors[i].Level]; dup {
			return nil, proposalErr(CodeInvalid, fp+".level", "level %d is listed twice (also %s[%d])", floors[i].Level, path, j)
		}
		at[floors[i].Level] = i
	}
	if _, ok := at[0]; !ok {
		return nil, proposalErr(CodeInvalid, path, "no ground floor: list the storey at level 0")
	}
	lo := slices.MinFunc(floors, func(a, b ProposedFloor) int { return a.Level - b.Level }).Level
	hi := slices.MaxFunc(floors, func(a, b ProposedFloor) int { return a.Level - b.Level }).Level
	for l := lo; l <= hi; l++ {
		if _, ok := at[l]; !ok {
			// Name the storey after the gap: that is where a level was skipped.
			next := l + 1
			for ; ; next++ {
				if _, ok := at[next]; ok {
					break
				}
			}
			return nil, proposalErr(CodeInvalid, fmt.Sprintf("%s[%d].level", path, at[next]),
				"level %d is missing: levels run without a gap from the deepest basement to the top storey", l)
		}
	}
	return floors, nil
}

func readFloor(raw json.RawMessage, path string, f *ProposedFloor) error {
	levelGiven, resGiven := false, false
	err := readObject(raw, path, map[string]member{
		"level": func(raw json.RawMessage, path string) (err error) {
			levelGiven = true
			f.Level, err = readInt(raw, path, -MaxBasements, MaxFloors-1)
			return err
		},
		"residential_area_m2": func(raw json.RawMessage, path string) (err error) {
			resGiven = true
			f.ResidentialArea, err = readArea(raw, path)
			return err
		},
		"commercial_area_m2": func(raw json.RawMessage, path string) (err error) {
			f.CommercialArea, err = readArea(raw, path)
			return err
		},
		"parking_area_m2": func(raw json.RawMessage, path string) (err error) {
			f.ParkingArea, err = readArea(raw, path)
			return err
		},
		"units_m2": func(raw json.RawMessage, path string) error {
			var items []json.RawMessage
			if err := readArray(raw, path, &items); err != nil {
				return err
			}
			if len(items) > MaxUnitsPerFloor {
				return proposalErr(CodeInvalid, path, "%d units on one storey; at most %d", len(items), MaxUnitsPerFloor)
			}
			f.Units = make([]float64, len(items))
			for i, item := range items {
				up := path + "[" + strconv.Itoa(i) + "]"
				u, err := readArea(item, up)
				if err != nil {
					return err
				}
				if u == 0 {
					return proposalErr(CodeInvalid, up, "a unit of 0 m²")
				}
				f.Units[i] = u
			}
			return nil
		},
	})
	if err != nil {
		return err
	}
	if !levelGiven {
		return proposalErr(CodeMissing, path+".level", "required: 0 ground floor, 1, 2 … above, −1, −2 … basements")
	}
	var units float64
	for _, u := range f.Units {
		units += u
	}
	units = zoning.Round2(units)
	switch {
	case !resGiven:
		// The units are the residential area unless stairs and halls are
		// declared with them.
		f.ResidentialArea = units
	case f.ResidentialArea < units:
		return proposalErr(CodeInvalid, path+".residential_area_m2",
			"%.2f m² is less than the storey's units together (%.2f m²)", f.ResidentialArea, units)
	}
	return nil
}

// member reads one member's value; path is its JSON path.
type member func(raw json.RawMessage, path string) error

// readObject walks a JSON object member by member, so that an unknown, a
// repeated or a differently cased name is refused by its exact path
// (encoding/json matches names case-insensitively and keeps the last of
// repeated ones). raw is valid JSON: ParseProposal checked the document.
func readObject(raw json.RawMessage, path string, members map[string]member) error {
	if kind := jsonKind(raw); kind != "object" {
		return proposalErr(CodeBadJSON, path, "want an object, got %s", kind)
	}
	var seen []string
	i := skipSpace(raw, 1)
	for i < len(raw) && raw[i] != '}' {
		end := skipValue(raw, i)
		name, err := unquote(raw[i:end])
		if err != nil {
			return proposalErr(CodeBadJSON, path, "%v", err)
		}
		i = skipSpace(raw, skipSpace(raw, end)+1) // past the colon
		end = skipValue(raw, i)
		val := raw[i:end]
		i = skipSpace(raw, end)
		if i < len(raw) && raw[i] == ',' {
			i = skipSpace(raw, i+1)
		}

		mp := name
		if path != "" {
			mp = path + "." + name
		}
		read, known := members[name]
		switch {
		case !known:
			return proposalErr(CodeBadJSON, mp, "unknown field (names are case-sensitive; see docs/proposal.md)")
		case slices.Contains(seen, name):
			return proposalErr(CodeBadJSON, mp, "given twice")
		}
		seen = append(seen, name)
		if err := read(val, mp); err != nil {
			return err
		}
	}
	return nil
}

// readArray splits a JSON array into its elements.
func readArray(raw json.RawMessage, path string, items *[]json.RawMessage) error {
	if kind := jsonKind(raw); kind != "array" {
		return proposalErr(CodeBadJSON, path, "want an array, got %s", kind)
	}
	*items = (*items)[:0]
	for i := skipSpace(raw, 1); i < len(raw) && raw[i] != ']'; {
		end := skipValue(raw, i)
		*items = append(*items, raw[i:end])
		if i = skipSpace(raw, end); i < len(raw) && raw[i] == ',' {
			i = skipSpace(raw, i+1)
		}
	}
	return nil
}

// unquote reads a JSON string; most need no unescaping.
func unquote(raw []byte) (string, error) {
	if in := raw[1 : len(raw)-1]; bytes.IndexByte(in, '\\') < 0 && utf8.Valid(in) {
		return string(in), nil
	}
	var s string
	err := json.Unmarshal(raw, &s)
	return s, err
}

// skipSpace returns the index of the first non-space byte from i.
func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n') {
		i++
	}
	return i
}

// skipValue returns the index just past the valid JSON value starting at i.
func skipValue(data []byte, i int) int {
	depth := 0
	for ; i < len(data); i++ {
		switch c := data[i]; c {
		case '"':
			for i++; i < len(data) && data[i] != '"'; i++ {
				if data[i] == '\\' {
					i++
				}
			}
			if depth == 0 {
				return i + 1
			}
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 { // the end of the enclosing container
				return i
			}
			if depth--; depth == 0 {
				return i + 1
			}
		default:
			if depth == 0 && (c == ',' || c == '}' || c == ']' || c == ' ' || c == '\t' || c == '\r' || c == '\n') {
				return i
			}
		}
	}
	return i
}

func readString(raw json.RawMessage, path string) (string, error) {
	if kind := jsonKind(raw); kind != "string" {
		return "", proposalErr(CodeBadJSON, path, "want a string, got %s", kind)
	}
	s, err := unquote(raw)
	if err != nil {
		return "", proposalErr(CodeBadJSON, path, "%v", err)
	}
	return s, nil
}

// readNumber reads a number from 0 to limit.
func readNumber(raw json.RawMessage, path string, limit float64) (float64, error) {
	if kind := jsonKind(raw); kind != "number" {
		return 0, proposalErr(CodeBadJSON, path, "want a number, got %s", kind)
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	switch {
	case err != nil || math.IsInf(f, 0):
		return 0, proposalErr(CodeInvalid, path, "%s is out of range", raw)
	case f < 0:
		return 0, proposalErr(CodeInvalid, path, "must not be negative, got %s", raw)
	case f > limit:
		return 0, proposalErr(CodeInvalid, path, "%s is more than the limit %g", raw, limit)
	}
	return f, nil
}

// readArea reads an area in m², from 0 to MaxFloorArea, rounded half up to
// 0.01 m² (rule book §0).
func readArea(raw json.RawMessage, path string) (float64, error) {
	f, err := readNumber(raw, path, MaxFloorArea)
	return zoning.Round2(f), err
}

func readInt(raw json.RawMessage, path string, lo, hi int) (int, error) {
	if kind := jsonKind(raw); kind != "number" {
		return 0, proposalErr(CodeBadJSON, path, "want a whole number, got %s", kind)
	}
	n, err := strconv.ParseInt(string(raw), 10, 64)
	switch {
	case err != nil:
		return 0, proposalErr(CodeInvalid, path, "want a whole number from %d to %d, got %s", lo, hi, raw)
	case n < int64(lo) || n > int64(hi):
		return 0, proposalErr(CodeInvalid, path, "%d is outside %d…%d", n, lo, hi)
	}
	return int(n), nil
}

// jsonKind names the kind of a JSON value by its first byte.
func jsonKind(raw json.RawMessage) string {
	raw = bytes.TrimLeft(raw, " \t\r\n")
	if len(raw) == 0 {
		return "nothing"
	}
	switch c := raw[0]; {
	case c == '{':
		return "object"
	case c == '[':
		return "array"
	case c == '"':
		return "string"
	case c == 't' || c == 'f':
		return "boolean"
	case c == 'n':
		return "null"
	default:
		return "number"
	}
}

func isNull(raw json.RawMessage) bool {
	k := jsonKind(raw)
	return k == "null" || k == "nothing"
}

// withWhere adds to a document's members the ones every job's document
// shares: its reference, the parcel (plate or outline) and the as-of date.
func withWhere(ref *string, w *Where, parcel *json.RawMessage, members map[string]member) map[string]member {
	members["reference"] = func(raw json.RawMessage, path string) (err error) {
		if *ref, err = readString(raw, path); err == nil && len(*ref) > MaxReferenceBytes {
			err = proposalErr(CodeInvalid, path, "at most %d bytes", MaxReferenceBytes)
		}
		return err
	}
	members["parcel_id"] = func(raw json.RawMessage, path string) (err error) {
		w.ParcelID, err = readString(raw, path)
		if err == nil && w.ParcelID == "" {
			err = proposalErr(CodeInvalid, path, "an empty plate: give the parcel's plate, e.g. 12/34")
		}
		return err
	}
	members["parcel"] = func(raw json.RawMessage, _ string) error { *parcel = raw; return nil }
	members["as_of"] = func(raw json.RawMessage, path string) error {
		s, err := readString(raw, path)
		if err != nil {
			return err
		}
		if w.AsOf, err = time.Parse(time.DateOnly, s); err != nil {
			return proposalErr(CodeInvalid, path, "want a Gregorian date yyyy-mm-dd, e.g. 2025-03-21")
		}
		return nil
	}
	return members
}

// validJSON refuses a document that is not one JSON value, saying why.
func validJSON(data []byte) error {
	if json.Valid(data) {
		return nil
	}
	// Valid refuses trailing data too; Unmarshal says what is wrong.
	var v any
	err := json.Unmarshal(data, &v)
	if err == nil {
		err = errors.New("trailing data after the JSON object")
	}
	return proposalErr(CodeBadJSON, "", "not valid JSON: %v", err)
}

// parcelOf completes a document's Where once withWhere's members are read:
// the parcel is its plate or its outline (parcel, read here), exactly one.
func parcelOf(w *Where, parcel json.RawMessage) error {
	switch {
	case w.ParcelID != "" && !isNull(parcel):
		return proposalErr(CodeInvalid, "parcel", "give parcel_id or parcel, not both")
	case w.ParcelID == "" && isNull(parcel):
		return proposalErr(CodeMissing, "parcel_id", "give the parcel's plate (parcel_id) or its outline (parcel, GeoJSON)")
	case !isNull(parcel):
		g, err := geo.ParseGeometry(parcel)
		if err != nil {
			return fieldGeometry("parcel", err)
		}
		w.Geometry = &g
	}
	return nil
}
