package layers

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/peterstace/simplefeatures/geom"
	"gopkg.in/yaml.v3"

	"github.com/parvaneh/parvaneh/geo"
)

// ManifestFile is the name of a bundle's manifest.
const ManifestFile = "manifest.yaml"

// Codes that start every Problem.Reason ("code: detail"), besides the
// geometry codes of package geo (geo.Reason* and, for warnings, geo.Repair*).
const (
	ProblemMissingFile  = "missing_file"  // a required file is absent or unreadable
	ProblemBadSyntax    = "bad_syntax"    // the file is not YAML / JSON, or is cut short
	ProblemBadStructure = "bad_structure" // not a FeatureCollection of Features, or manifest not a mapping
	ProblemMissing      = "missing"       // a required field or property is absent or null
	ProblemWrongType    = "wrong_type"    // a field or property has the wrong JSON/YAML type
	ProblemBadValue     = "bad_value"     // the type is right but the value is not allowed
	ProblemUnknownField = "unknown_field" // the manifest has a field the contract does not
	ProblemDuplicateID  = "duplicate_id"  // two features of a layer share an id
	ProblemOutOfZone    = "out_of_zone"   // a position far outside measure_srid's UTM zone (swapped coordinates?)
)

// BundleError refuses a bundle, listing every problem found in it.
type BundleError struct {
	Problems []Problem
}

func (e *BundleError) Error() string {
	const shown = 3
	var b strings.Builder
	fmt.Fprintf(&b, "plan bundle refused: %d problem(s)", len(e.Problems))
	for i, p := range e.Problems {
		if i == shown {
			fmt.Fprintf(&b, "; and %d more", len(e.Problems)-shown)
			break
		}
		b.WriteString("; ")
		b.WriteString(p.String())
	}
	return b.String()
}

// String renders a problem for a person, e.g.
// `parcels.geojson feature 3 (id "12/4") property parcel_id: missing: ...`.
func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Index >= 0 {
		fmt.Fprintf(&b, " feature %d", p.Index)
	}
	if p.FeatureID != "" {
		fmt.Fprintf(&b, " (id %q)", p.FeatureID)
	}
	switch {
	case p.Property == "":
	case p.File == ManifestFile:
		fmt.Fprintf(&b, " field %s", p.Property)
	default:
		fmt.Fprintf(&b, " property %s", p.Property)
	}
	b.WriteString(": ")
	b.WriteString(p.Reason)
	return b.String()
}

// ReadOptions tunes ReadBundleWithOptions.
type ReadOptions struct {
	// Progress, when set, is called as features are read: every
	// ProgressEvery features of a layer and once at its end, with the
	// number read so far.
	Progress func(layer Layer, done int)
}

// ProgressEvery is how many features pass between Progress calls.
const ProgressEvery = 1000

// ReadBundle reads and validates a plan bundle (layers.md): manifest.yaml
// and one GeoJSON FeatureCollection per layer. parcels, detailed_plan,
// streets and value_blocks are required; a bundle without master_plan or
// overlays file has none of those features (a city may have no overlays,
// and the rule book does not use the master plan), but a file that is there
// must be valid.
//
// Geometries are projected to the manifest's measure_srid and made valid
// (geo.Prepare); what was repaired is listed in Bundle.Warnings. If
// anything breaks the contract, the whole bundle is refused with a
// *BundleError listing every problem.
func ReadBundle(fsys fs.FS) (*Bundle, error) {
	return ReadBundleWithOptions(context.Background(), fsys, ReadOptions{})
}

// ReadBundleWithOptions is ReadBundle with cancellation and progress.
func ReadBundleWithOptions(ctx context.Context, fsys fs.FS, opts ReadOptions) (*Bundle, error) {
	r := &bundleReader{ctx: ctx, fsys: fsys, opts: opts, b: &Bundle{}}
	r.readManifest()
	for _, spec := range layerSpecs {
		if err := r.readLayer(spec); err != nil {
			return nil, err
		}
	}
	if len(r.problems) > 0 {
		return nil, &BundleError{Problems: r.problems}
	}
	r.b.Warnings = r.warnings
	return r.b, nil
}

type bundleReader struct {
	ctx      context.Context
	fsys     fs.FS
	opts     ReadOptions
	b        *Bundle
	proj     *geo.Projection // nil when the manifest gives no usable SRID
	problems []Problem
	warnings []Problem
}

func (r *bundleReader) problem(file string, index int, id, prop, code, format string, args ...any) {
	r.problems = append(r.problems, Problem{File: file, Index: index, FeatureID: id, Property: prop,
		Reason: code + ": " + fmt.Sprintf(format, args...)})
}

type manifestField struct {
	name     string
	required bool
}

var manifestFields = []manifestField{
	{"municipality", true},
	{"municipality_fa", false},
	{"measure_srid", true},
	{"plan_version", true},
	{"effective_from", true},
	{"rule_pack", true},
}

func (r *bundleReader) readManifest() {
	bad := func(prop, code, format string, args ...any) {
		r.problem(ManifestFile, -1, "", prop, code, format, args...)
	}
	data, err := fs.ReadFile(r.fsys, ManifestFile)
	if err != nil {
		bad("", ProblemMissingFile, "%v", err)
		return
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		bad("", ProblemBadSyntax, "%v", err)
		return
	}
	if len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		bad("", ProblemBadStructure, "manifest must be a mapping of fields")
		return
	}
	fields := make(map[string]*yaml.Node)
	root := doc.Content[0]
	for i := 0; i+1 < len(root.Content); i += 2 {
		key, val := root.Content[i].Value, root.Content[i+1]
		switch {
		case !slices.ContainsFunc(manifestFields, func(f manifestField) bool { return f.name == key }):
			bad(key, ProblemUnknownField, "not a manifest field (line %d)", root.Content[i].Line)
		case fields[key] != nil:
			bad(key, ProblemBadValue, "given twice (line %d)", root.Content[i].Line)
		default:
			fields[key] = val
		}
	}
	for _, f := range manifestFields {
		if f.required && (fields[f.name] == nil || fields[f.name].Tag == "!!null") {
			bad(f.name, ProblemMissing, "required field")
			delete(fields, f.name)
		}
	}

	m := &r.b.Manifest
	str := func(name string, dst *string) {
		n := fields[name]
		switch {
		case n == nil:
		case n.Kind != yaml.ScalarNode || n.Tag != "!!str":
			bad(name, ProblemWrongType, "must be a string (quote it), got %s", yamlKind(n))
		case strings.TrimSpace(n.Value) == "":
			bad(name, ProblemBadValue, "must not be empty")
		default:
			*dst = n.Value
		}
	}
	str("municipality", &m.Municipality)
	str("municipality_fa", &m.MunicipalityFa)
	str("plan_version", &m.PlanVersion)
	str("rule_pack", &m.RulePack)

	if n := fields["measure_srid"]; n != nil {
		srid, err := strconv.Atoi(n.Value)
		switch {
		case n.Kind != yaml.ScalarNode || n.Tag != "!!int" || err != nil:
			bad("measure_srid", ProblemWrongType, "must be an integer EPSG code, got %s", yamlKind(n))
		default:
			m.MeasureSRID = srid
			if r.proj, err = geo.NewProjection(srid); err != nil {
				bad("measure_srid", ProblemBadValue, "%v", err)
			}
		}
	}
	if n := fields["effective_from"]; n != nil {
		t, err := time.Parse(time.DateOnly, n.Value)
		switch {
		case n.Kind != yaml.ScalarNode || (n.Tag != "!!timestamp" && n.Tag != "!!str"):
			bad("effective_from", ProblemWrongType, "must be a date (YYYY-MM-DD), got %s", yamlKind(n))
		case err != nil:
			bad("effective_from", ProblemBadValue, "%q is not a date (YYYY-MM-DD)", n.Value)
		default:
			m.EffectiveFrom = t
		}
	}
}

func yamlKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	return fmt.Sprintf("%s %q", strings.TrimPrefix(n.Tag, "!!"), n.Value)
}

// layerSpec says how to read one layer: its file, whether the file must be
// there, its id property, and how to build its feature type from a
// feature's properties and prepared geometry.
type layerSpec struct {
	layer    Layer
	required bool
	idProp   string
	build    func(p *props, g geom.MultiPolygon) any
}

var layerSpecs = []layerSpec{
	{Parcels, true, "parcel_id", func(p *props, g geom.MultiPolygon) any {
		f := Parcel{ID: p.id, Address: p.str("address", false), AddressFa: p.str("address_fa", false), Geom: g}
		if v, ok := p.number("registered_area_m2", false, positive); ok {
			f.RegisteredArea = &v
		}
		return f
	}},
	{MasterPlan, false, "zone_id", func(p *props, g geom.MultiPolygon) any {
		return MasterZone{
			ID:          p.id,
			LandUse:     p.enum("land_use", landUses),
			DensityBand: p.enum("density_band", densityBands),
			Name:        p.str("name", false),
			NameFa:      p.str("name_fa", false),
			Geom:        g,
		}
	}},
	{DetailedPlan, true, "zone_id", func(p *props, g geom.MultiPolygon) any {
		return DetailedZone{ID: p.id, Code: p.str("code", true), Name: p.str("name", false), NameFa: p.str("name_fa", false), Geom: g}
	}},
	{Streets, true, "street_id", func(p *props, g geom.MultiPolygon) any {
		width, _ := p.number("width_m", true, positive)
		planned, _ := p.number("planned_width_m", true, nonNegative)
		return Street{ID: p.id, Width: width, PlannedWidth: planned, Name: p.str("name", false), NameFa: p.str("name_fa", false), Geom: g}
	}},
	{Overlays, false, "overlay_id", func(p *props, g geom.MultiPolygon) any {
		f := Overlay{ID: p.id, Kind: p.str("kind", true), NoBuild: p.boolean("no_build"),
			Name: p.str("name", false), NameFa: p.str("name_fa", false), Geom: g}
		if v, ok := p.number("max_height_m", false, nonNegative); ok {
			f.MaxHeight = &v
		}
		if v, ok := p.integer("max_floors", false); ok {
			n := int(v)
			f.MaxFloors = &n
		}
		return f
	}},
	{ValueBlocks, true, "block_id", func(p *props, g geom.MultiPolygon) any {
		pv, _ := p.integer("p_value", true)
		txr, _ := p.integer("tx_value_residential", true)
		txc, _ := p.integer("tx_value_commercial", true)
		return ValueBlock{ID: p.id, P: pv, TxResidential: txr, TxCommercial: txc, Geom: g}
	}},
}

// add appends a feature built by a layerSpec to its layer.
func (b *Bundle) add(f any) {
	switch f := f.(type) {
	case Parcel:
		b.Parcels = append(b.Parcels, f)
	case MasterZone:
		b.MasterZones = append(b.MasterZones, f)
	case DetailedZone:
		b.DetailedPlan = append(b.DetailedPlan, f)
	case Street:
		b.Streets = append(b.Streets, f)
	case Overlay:
		b.Overlays = append(b.Overlays, f)
	case ValueBlock:
		b.ValueBlocks = append(b.ValueBlocks, f)
	}
}

var (
	landUses     = []string{"residential", "commercial", "mixed", "industrial", "green", "public", "agricultural", "restricted"}
	densityBands = []string{"low", "medium", "high"}
)

// rawFeature is a feature with its members kept raw, so that a mistyped
// member is a problem to report, not a decoding failure.
type rawFeature struct {
	Type       json.RawMessage `json:"type"`
	Geometry   json.RawMessage `json:"geometry"`
	Properties json.RawMessage `json:"properties"`
	// notObject is the JSON type of an element of "features" that is not
	// an object at all.
	notObject string
}

// featureResult is what reading one feature gave.
type featureResult struct {
	id       string
	feature  any
	problems []Problem
	warnings []Problem
}

// readLayer reads one layer file feature by feature. It returns an error
// only when reading must stop altogether (cancellation); everything wrong
// with the file is recorded as a problem.
func (r *bundleReader) readLayer(spec layerSpec) error {
	file := spec.layer.File()
	f, err := r.fsys.Open(file)
	if err != nil {
		if spec.required || !errors.Is(err, fs.ErrNotExist) {
			r.problem(file, -1, "", "", ProblemMissingFile, "%v", err)
		}
		return nil
	}
	defer f.Close()

	dec := json.NewDecoder(bufio.NewReaderSize(f, 1<<16))
	fileProblem := func(code, format string, args ...any) { r.problem(file, -1, "", "", code, format, args...) }
	syntax := func(err error) {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		fileProblem(ProblemBadSyntax, "at byte %d: %v", dec.InputOffset(), err)
	}
	if tok, err := dec.Token(); err != nil {
		syntax(err)
		return nil
	} else if tok != json.Delim('{') {
		fileProblem(ProblemBadStructure, "must be a GeoJSON FeatureCollection object")
		return nil
	}
	sawFeatures := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			syntax(err)
			return nil
		}
		switch tok {
		case "features":
			if sawFeatures {
				fileProblem(ProblemBadStructure, `"features" given twice`)
				return nil
			}
			sawFeatures = true
			ok, err := r.readFeatures(spec, dec)
			if err != nil {
				return err
			}
			if !ok {
				return nil
			}
			continue
		case "type":
			var typ any
			if err := dec.Decode(&typ); err != nil {
				syntax(err)
				return nil
			}
			if typ != "FeatureCollection" {
				fileProblem(ProblemBadStructure, `"type" must be "FeatureCollection", got %v`, typ)
			}
			continue
		case "crs":
			// RFC 7946 dropped "crs", but ogr2ogr still writes it: refuse
			// only one that says the coordinates are not WGS84.
			var crs struct {
				Properties struct {
					Name string `json:"name"`
				} `json:"properties"`
			}
			if err := dec.Decode(&crs); err != nil {
				var te *json.UnmarshalTypeError
				if !errors.As(err, &te) {
					syntax(err)
					return nil
				}
			}
			if n := crs.Properties.Name; n != "" && !isWGS84(n) {
				fileProblem(ProblemBadValue, "crs %q: coordinates must be WGS84 longitude/latitude (RFC 7946)", n)
			}
			continue
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			syntax(err)
			return nil
		}
	}
	if _, err := dec.Token(); err != nil {
		syntax(err)
		return nil
	}
	if !sawFeatures {
		fileProblem(ProblemBadStructure, `no "features" array`)
	}
	return nil
}

func isWGS84(crsName string) bool {
	return strings.HasSuffix(crsName, "CRS84") || strings.HasSuffix(crsName, ":4326") || crsName == "EPSG:4326"
}

// readFeatures reads the "features" array; ok is false when the file
// cannot be read further. Decoding the stream is sequential; checking,
// projecting and repairing are spread over the CPUs a batch at a time, and
// the results merged in file order, so problems come in order and the first
// of two equal ids is the original.
func (r *bundleReader) readFeatures(spec layerSpec, dec *json.Decoder) (ok bool, err error) {
	file := spec.layer.File()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		r.problem(file, -1, "", "features", ProblemBadStructure, `"features" must be an array`)
		return false, nil
	}
	ids := make(map[string]int)
	batch := make([]rawFeature, 0, ProgressEvery)
	results := make([]featureResult, ProgressEvery)
	n := 0 // features decoded
	flush := func() {
		base := n - len(batch)
		r.readBatch(spec, base, batch, results[:len(batch)])
		for i, res := range results[:len(batch)] {
			if res.id != "" {
				if first, dup := ids[res.id]; dup {
					r.problem(file, base+i, res.id, spec.idProp, ProblemDuplicateID, "feature %d has the same id", first)
				} else {
					ids[res.id] = base + i
				}
			}
			r.problems = append(r.problems, res.problems...)
			r.warnings = append(r.warnings, res.warnings...)
			r.b.add(res.feature)
		}
		batch = batch[:0]
		if r.opts.Progress != nil {
			r.opts.Progress(spec.layer, n)
		}
	}
	for dec.More() {
		if len(batch) == cap(batch) {
			if err := r.ctx.Err(); err != nil {
				return false, fmt.Errorf("reading %s: %w", file, err)
			}
			flush()
		}
		var raw rawFeature
		if err := dec.Decode(&raw); err != nil {
			var te *json.UnmarshalTypeError
			if !errors.As(err, &te) {
				flush()
				r.problem(file, -1, "", "", ProblemBadSyntax, "in feature %d, at byte %d: %v", n, dec.InputOffset(), err)
				return false, nil
			}
			raw = rawFeature{notObject: te.Value}
		}
		batch = append(batch, raw)
		n++
	}
	if len(batch) > 0 || n == 0 {
		flush()
	}
	if _, err := dec.Token(); err != nil {
		r.problem(file, -1, "", "", ProblemBadSyntax, "after feature %d, at byte %d: %v", n, dec.InputOffset(), err)
		return false, nil
	}
	return true, nil
}

// readBatch reads the features of a batch in parallel into results.
func (r *bundleReader) readBatch(spec layerSpec, base int, batch []rawFeature, results []featureResult) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(batch)) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < len(batch); i = int(next.Add(1) - 1) {
				results[i] = r.readFeature(spec, base+i, batch[i])
			}
		})
	}
	wg.Wait()
}

// readFeature checks one feature and builds it. It only reads the reader's
// immutable state, so that features can be read concurrently.
func (r *bundleReader) readFeature(spec layerSpec, index int, raw rawFeature) featureResult {
	p := &props{file: spec.layer.File(), index: index}
	if raw.notObject != "" {
		p.bad("", ProblemBadStructure, "feature must be an object, got %s", raw.notObject)
		return featureResult{problems: p.problems}
	}
	p.parse(raw.Properties)
	p.id = p.str(spec.idProp, true)
	if t := string(raw.Type); t != `"Feature"` {
		p.bad("type", ProblemBadStructure, `"type" must be "Feature", got %s`, orAbsent(t))
	}

	var g geom.MultiPolygon
	var warnings []Problem
	if isNullJSON(raw.Geometry) {
		p.bad("geometry", geo.ReasonEmpty, "feature has no geometry")
	} else if rg, err := geo.ParseGeometry(raw.Geometry); err != nil {
		p.bad("geometry", "", "%v", err)
	} else if pos, ok := outOfZone(rg, r.proj); ok {
		p.bad("geometry", ProblemOutOfZone, "position (%v, %v) is more than %g° of longitude from the central meridian of EPSG:%d, or across the equator: longitude and latitude swapped?",
			pos.X, pos.Y, geo.MaxZoneOffset, r.proj.SRID())
	} else if r.proj != nil {
		m, repairs, err := geo.Prepare(rg, r.proj)
		if err != nil {
			p.bad("geometry", "", "%v", err)
		}
		for _, rep := range repairs {
			warnings = append(warnings, Problem{File: p.file, Index: index, FeatureID: p.id, Property: "geometry", Reason: rep.String()})
		}
		g = m
	}
	f := spec.build(p, g)
	return featureResult{id: p.id, feature: f, problems: p.problems, warnings: warnings}
}

// outOfZone finds a position outside the projection's zone; a feature there
// would be measured with gross distortion, far from the rest of the city.
func outOfZone(rg geo.RawGeometry, p *geo.Projection) (geom.XY, bool) {
	if p == nil {
		return geom.XY{}, false
	}
	for _, poly := range rg.Polygons {
		for _, ring := range poly {
			for _, pos := range ring {
				if !p.InZone(pos) {
					return pos, true
				}
			}
		}
	}
	return geom.XY{}, false
}

func orAbsent(raw string) string {
	if raw == "" {
		return "nothing"
	}
	return raw
}

func isNullJSON(raw json.RawMessage) bool { return len(raw) == 0 || string(raw) == "null" }

// props reads one feature's properties, recording every problem.
type props struct {
	file     string
	index    int
	id       string
	m        map[string]any
	problems []Problem
}

func (p *props) bad(prop, code, format string, args ...any) {
	reason := fmt.Sprintf(format, args...)
	if code != "" {
		reason = code + ": " + reason
	}
	p.problems = append(p.problems, Problem{File: p.file, Index: p.index, FeatureID: p.id, Property: prop, Reason: reason})
}

func (p *props) parse(raw json.RawMessage) {
	if isNullJSON(raw) {
		return // every required property will be reported missing
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&p.m); err != nil {
		p.bad("properties", ProblemWrongType, "must be an object")
	}
}

// get returns a property, or reports it missing if required; null counts
// as absent.
func (p *props) get(name string, required bool) (any, bool) {
	v := p.m[name]
	if v == nil {
		if required {
			p.bad(name, ProblemMissing, "required property")
		}
		return nil, false
	}
	return v, true
}

func (p *props) str(name string, required bool) string {
	v, ok := p.get(name, required)
	if !ok {
		return ""
	}
	s, isStr := v.(string)
	switch {
	case !isStr:
		p.bad(name, ProblemWrongType, "must be a string, got %s", jsonType(v))
	case required && strings.TrimSpace(s) == "":
		p.bad(name, ProblemBadValue, "must not be empty")
	}
	return s
}

func (p *props) enum(name string, values []string) string {
	s := p.str(name, true)
	if s != "" && !slices.Contains(values, s) {
		p.bad(name, ProblemBadValue, "%q is not one of %s", s, strings.Join(values, ", "))
	}
	return s
}

func (p *props) boolean(name string) bool {
	v, ok := p.get(name, false)
	if !ok {
		return false
	}
	b, isBool := v.(bool)
	if !isBool {
		p.bad(name, ProblemWrongType, "must be true or false, got %s", jsonType(v))
	}
	return b
}

type bound int

const (
	positive bound = iota
	nonNegative
)

func (p *props) number(name string, required bool, min bound) (float64, bool) {
	v, ok := p.get(name, required)
	if !ok {
		return 0, false
	}
	num, isNum := v.(json.Number)
	if !isNum {
		p.bad(name, ProblemWrongType, "must be a number, got %s", jsonType(v))
		return 0, false
	}
	f, err := num.Float64()
	switch {
	case err != nil || math.IsInf(f, 0):
		p.bad(name, ProblemBadValue, "%s is not a finite number", num)
	case min == positive && f <= 0:
		p.bad(name, ProblemBadValue, "must be greater than 0, got %s", num)
	case min == nonNegative && f < 0:
		p.bad(name, ProblemBadValue, "must not be negative, got %s", num)
	default:
		return f, true
	}
	return 0, false
}

// integer reads a whole number ≥ 0 (money in Rial, floor counts); 5e7 and
// 50000000.0 are accepted as the integers they are.
func (p *props) integer(name string, required bool) (int64, bool) {
	v, ok := p.get(name, required)
	if !ok {
		return 0, false
	}
	num, isNum := v.(json.Number)
	if !isNum {
		p.bad(name, ProblemWrongType, "must be an integer, got %s", jsonType(v))
		return 0, false
	}
	n, err := strconv.ParseInt(string(num), 10, 64)
	if err != nil {
		const maxExact = 1 << 53
		f, ferr := num.Float64()
		if ferr != nil || f != math.Trunc(f) || math.Abs(f) > maxExact {
			p.bad(name, ProblemBadValue, "%s is not an integer", num)
			return 0, false
		}
		n = int64(f)
	}
	if n < 0 {
		p.bad(name, ProblemBadValue, "must not be negative, got %s", num)
		return 0, false
	}
	return n, true
}

func jsonType(v any) string {
	switch v := v.(type) {
	case string:
		return fmt.Sprintf("string %q", v)
	case json.Number:
		return "number " + v.String()
	case bool:
		return fmt.Sprintf("boolean %v", v)
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return "null"
}
