// Package citygen generates the sample city Nemuneh (نمونه): a plan bundle
// (../shared/spec/layers.md) of parcels, streets, master and detailed plan,
// overlays and value blocks around Qazvin that exercises every rule of the
// sample rule book, deterministically from a seed, at any size from about a
// thousand parcels to millions.
//
// The city is drawn in a local metric frame on an irregular grid of street
// lines (jittered intersections, varied spacing and widths), turned a few
// degrees, placed in UTM 39N and written in WGS84. Parcels are laid out one
// block at a time from seeded streams and streamed to the file, so memory
// does not grow with the number of parcels. A window of blocks at the
// south-west holds the planted parcels (corner, widened, landlocked, …) that
// notable.json lists.
package citygen

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/peterstace/simplefeatures/carto"
	"github.com/peterstace/simplefeatures/geom"
)

// Defaults of the sample city.
const (
	DefaultParcels = 2500
	DefaultSeed    = 1404
)

// The sample city's fixed identity.
const (
	Municipality   = "Nemuneh"
	MunicipalityFa = "نمونه"
	MeasureSRID    = 32639
	RulePack       = "nemuneh"
	utmZone        = "39N"
)

// centre is where the city lies: near Qazvin.
var centre = xy{X: 50.0, Y: 36.27}

// Options say what city to make.
type Options struct {
	// Parcels is the exact number of parcels; at least MinParcels.
	Parcels int
	Seed    uint64
	// PlanVersion and EffectiveFrom go to the manifest.
	PlanVersion   string
	EffectiveFrom time.Time
}

// DefaultOptions returns the options of the committed sample bundle.
func DefaultOptions() Options {
	return Options{
		Parcels:       DefaultParcels,
		Seed:          DefaultSeed,
		PlanVersion:   "1404-01",
		EffectiveFrom: time.Date(2025, 3, 21, 0, 0, 0, 0, time.UTC),
	}
}

// MinParcels is the smallest city that holds every planted parcel.
const MinParcels = 1600

// Summary reports what was written.
type Summary struct {
	Parcels       int `json:"parcels"`
	Streets       int `json:"streets"`
	DetailedZones int `json:"detailed_zones"`
	MasterZones   int `json:"master_zones"`
	Overlays      int `json:"overlays"`
	ValueBlocks   int `json:"value_blocks"`
	// Columns and Rows are the size of the block grid.
	Columns int `json:"columns"`
	Rows    int `json:"rows"`
	// Bounds is the city's extent: west, south, east, north (degrees).
	Bounds  [4]float64 `json:"bounds"`
	Notable []Notable  `json:"notable"`
}

// avgLotsPerBlock sizes the grid so the city is about square.
const avgLotsPerBlock = 22

// Generate writes a plan bundle for opts into dir (created if needed):
// manifest.yaml, the six layer files and notable.json. The same options give
// byte-identical files (on the same platform: the compiler may fuse
// floating-point operations differently on other architectures).
func Generate(ctx context.Context, opts Options, dir string) (Summary, error) {
	var sum Summary
	if opts.Parcels < MinParcels {
		return sum, fmt.Errorf("parcels: %d is too few; the planted features need at least %d", opts.Parcels, MinParcels)
	}
	if opts.PlanVersion == "" {
		return sum, errors.New("plan version: empty")
	}
	if opts.EffectiveFrom.IsZero() {
		return sum, errors.New("effective from: no date")
	}
	c, tie, err := plan(ctx, opts)
	if err != nil {
		return sum, err
	}
	proj, err := c.projector()
	if err != nil {
		return sum, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return sum, fmt.Errorf("creating %s: %w", dir, err)
	}
	ls, err := c.buildLayers()
	if err != nil {
		return sum, err
	}
	if sum.Parcels, err = c.writeParcels(ctx, proj, opts, filepath.Join(dir, "parcels.geojson")); err != nil {
		return sum, err
	}
	if sum.Streets, err = c.writeStreets(ctx, proj, filepath.Join(dir, "streets.geojson")); err != nil {
		return sum, err
	}
	for _, l := range []struct {
		file string
		fs   []feature
		n    *int
	}{
		{"master_plan.geojson", ls.master, &sum.MasterZones},
		{"detailed_plan.geojson", ls.zones, &sum.DetailedZones},
		{"overlays.geojson", ls.overlays, &sum.Overlays},
		{"value_blocks.geojson", ls.values, &sum.ValueBlocks},
	} {
		if *l.n, err = writeFeatures(proj, filepath.Join(dir, l.file), l.fs); err != nil {
			return sum, err
		}
	}
	if err := writeManifest(filepath.Join(dir, "manifest.yaml"), opts); err != nil {
		return sum, err
	}

	w := c.windowWorld(tie, ls.zones, ls.overlays, ls.values).transform(proj.roundTrip)
	if sum.Notable, err = c.selectNotables(ctx, w, proj.roundTrip, c.notableRules(tie)); err != nil {
		return sum, err
	}
	if err := writeNotable(filepath.Join(dir, "notable.json"), opts, sum.Notable); err != nil {
		return sum, err
	}
	sum.Columns, sum.Rows = c.nx, c.ny
	lo, hi := xy{X: math.Inf(1), Y: math.Inf(1)}, xy{X: math.Inf(-1), Y: math.Inf(-1)}
	for _, p := range c.cellRing(0, 0, c.nx, c.ny) {
		ll := proj.lonlat(p)
		q := xy{X: float64(ll[0]) / coordScale, Y: float64(ll[1]) / coordScale}
		lo = xy{X: math.Min(lo.X, q.X), Y: math.Min(lo.Y, q.Y)}
		hi = xy{X: math.Max(hi.X, q.X), Y: math.Max(hi.Y, q.Y)}
	}
	sum.Bounds = [4]float64{lo.X, lo.Y, hi.X, hi.Y}
	return sum, nil
}

// plan sizes the city for opts: the grid's columns from the parcel count,
// its rows by laying out blocks until they hold enough parcels; then it
// plants the street tie.
func plan(ctx context.Context, opts Options) (*city, *tieCorner, error) {
	nx := max(windowCols, int(math.Round(math.Sqrt(float64(opts.Parcels)/avgLotsPerBlock))))
	c := newCity(opts.Seed, nx)
	total := 0
	for j := 0; total < opts.Parcels; j++ {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		for i := 0; i < nx; i++ {
			total += len(c.layoutBlock(i, j).lots)
		}
		c.ny = j + 1
		if j == windowRows-1 && total > opts.Parcels {
			return nil, nil, fmt.Errorf("parcels: %d is too few; the planted features need at least %d", opts.Parcels, total)
		}
	}
	c.ny = max(c.ny, windowRows+1)
	c.growRows(c.ny)
	return c, c.plantTie(), nil
}

// layerSet is the city's layers other than parcels and streets.
type layerSet struct {
	zones, values, overlays, master []feature
}

func (c *city) buildLayers() (layerSet, error) {
	var ls layerSet
	var err error
	if ls.zones, err = c.buildZones(); err != nil {
		return ls, err
	}
	_, notchLot := c.frontLot(plantNotch, 0)
	notch, err := geom.Buffer(ringsGeometry(notchLot.rings), 0.5, geom.BufferJoinStyleMitre(2))
	if err != nil {
		return ls, fmt.Errorf("buffering the value-map notch: %w", err)
	}
	if ls.values, err = c.buildValues(notch); err != nil {
		return ls, err
	}
	if ls.overlays, err = c.buildOverlays(); err != nil {
		return ls, err
	}
	ls.master = c.buildMaster()
	return ls, nil
}

// projector places the city: its centre on the sample city's centre, turned
// by a seeded angle of 4–14°.
func (c *city) projector() (*projector, error) {
	utm, err := carto.NewUTMFromCode(utmZone)
	if err != nil {
		return nil, fmt.Errorf("setting up UTM %s: %w", utmZone, err)
	}
	r := newRNG(c.seed, streamFrame)
	theta := r.uniform(4, 14) * math.Pi / 180
	p := &projector{utm: utm, cos: math.Cos(theta), sin: math.Sin(theta)}
	mid := xy{X: c.colU[c.nx] / 2, Y: c.rowV[c.ny] / 2}
	target := utm.Forward(centre)
	p.origin = target.Sub(xy{X: p.cos*mid.X - p.sin*mid.Y, Y: p.sin*mid.X + p.cos*mid.Y})
	return p, nil
}

// plate is a parcel's registered plate: block number / parcel number.
func (c *city) plate(L *layout, l *lot) string {
	return strconv.Itoa(L.b.number(c.nx)) + "/" + strconv.Itoa(l.number)
}

// writeParcels streams the parcels, block by block, until opts.Parcels.
func (c *city) writeParcels(ctx context.Context, proj *projector, opts Options, path string) (int, error) {
	fw, err := createFC(path, proj)
	if err != nil {
		return 0, err
	}
	n := 0
	var polys [][][]xy
	for j := 0; j < c.ny && n < opts.Parcels; j++ {
		if err := ctx.Err(); err != nil {
			fw.close()
			return n, err
		}
		for i := 0; i < c.nx && n < opts.Parcels; i++ {
			L := c.layoutBlock(i, j)
			for _, l := range L.lots {
				if n == opts.Parcels {
					break
				}
				polys = polys[:0]
				var area float64
				for _, r := range l.rings {
					polys = append(polys, [][]xy{r})
					area += signedArea(r)
				}
				if err := fw.write(c.parcelProps(L, l, area), polys); err != nil {
					fw.close()
					return n, err
				}
				n++
			}
		}
	}
	return n, fw.close()
}

// parcelProps gives a parcel its plate, and most parcels a registered area
// a little off the measured one (deeds are old), some an address.
func (c *city) parcelProps(L *layout, l *lot, area float64) []prop {
	bn := L.b.number(c.nx)
	r := newRNG(c.seed, streamParcel, bn, l.number)
	props := []prop{{"parcel_id", c.plate(L, l)}}
	if r.chance(0.88) {
		e := r.uniform(0.003, 0.03)
		if r.chance(0.5) {
			e = -e
		}
		props = append(props, prop{"registered_area_m2", fixed2(round2(area * (1 + e)))})
	}
	if r.chance(0.4) {
		s := L.rows[l.row].street
		props = append(props,
			prop{"address", fmt.Sprintf("%s, No. %d, %s", s.nameEn, l.number, Municipality)},
			prop{"address_fa", fmt.Sprintf("%s، %s، پلاک %s", MunicipalityFa, s.nameFa, persianDigits(l.number))})
	}
	return props
}

// streetProps are a segment's properties in the streets layer.
func streetProps(s seg) []prop {
	return []prop{
		{"street_id", s.ID()}, {"width_m", s.width}, {"planned_width_m", s.planned},
		{"name", s.nameEn}, {"name_fa", s.nameFa},
	}
}

// streetFeature is a segment as a feature, for measuring.
func (c *city) streetFeature(k segKey) feature {
	s := c.seg(k)
	return feature{id: s.ID(), planned: s.planned, g: polygonOf(s.ring()).AsGeometry(), props: streetProps(s)}
}

// streetKeys calls fn for every segment in id order.
func (c *city) streetKeys(fn func(segKey) error) error {
	for j := 0; j <= c.ny; j++ {
		for i := 0; i < c.nx; i++ {
			if err := fn(segKey{true, i, j}); err != nil {
				return err
			}
		}
		if j == c.ny {
			break
		}
		for i := 0; i <= c.nx; i++ {
			if err := fn(segKey{false, i, j}); err != nil {
				return err
			}
		}
	}
	return nil
}

func (c *city) writeStreets(ctx context.Context, proj *projector, path string) (int, error) {
	fw, err := createFC(path, proj)
	if err != nil {
		return 0, err
	}
	n := 0
	err = c.streetKeys(func(k segKey) error {
		if n%10000 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		s := c.seg(k)
		n++
		return fw.write(streetProps(s), [][][]xy{{s.ring()}})
	})
	if err != nil {
		fw.close()
		return n, err
	}
	return n, fw.close()
}

func writeFeatures(proj *projector, path string, fs []feature) (int, error) {
	fw, err := createFC(path, proj)
	if err != nil {
		return 0, err
	}
	for _, f := range fs {
		if err := fw.write(f.props, polysOf(f.g)); err != nil {
			fw.close()
			return 0, err
		}
	}
	return len(fs), fw.close()
}

func writeManifest(path string, opts Options) error {
	text := fmt.Sprintf(`municipality: %s
municipality_fa: %s
measure_srid: %d
plan_version: %q
effective_from: %s
rule_pack: %s
`, Municipality, MunicipalityFa, MeasureSRID, opts.PlanVersion, opts.EffectiveFrom.Format(time.DateOnly), RulePack)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

func writeNotable(path string, opts Options, ns []Notable) error {
	doc := struct {
		About     string    `json:"about"`
		Generator string    `json:"generator"`
		Notable   []Notable `json:"notable"`
	}{
		About:     "Parcels planted on purpose, with what each exercises in the rule book. Not part of the plan-bundle contract.",
		Generator: fmt.Sprintf("parvaneh gencity -parcels %d -seed %d", opts.Parcels, opts.Seed),
		Notable:   ns,
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("creating %s: %w", path, err)
	}
	enc := json.NewEncoder(f)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("closing %s: %w", path, err)
	}
	return nil
}

// windowWorld gathers the features around the window (and the tie corner)
// to measure candidate parcels against.
func (c *city) windowWorld(tie *tieCorner, zones, overlays, values []feature) *world {
	maxI, maxJ := windowCols, windowRows
	if tie != nil {
		maxI, maxJ = max(maxI, tie.at.i+1), max(maxJ, tie.at.j+1)
	}
	maxI, maxJ = min(maxI+1, c.nx), min(maxJ+1, c.ny)
	env := polygonOf(c.cellRing(0, 0, maxI, maxJ)).AsGeometry().Envelope()
	w := &world{}
	c.streetKeys(func(k segKey) error {
		if k.i <= maxI && k.j <= maxJ {
			w.streets = append(w.streets, newWFeat(c.streetFeature(k)))
		}
		return nil
	})
	pick := func(fs []feature) []wfeat {
		var out []wfeat
		for _, f := range fs {
			if wf := newWFeat(f); wf.env.Intersects(env) {
				out = append(out, wf)
			}
		}
		return out
	}
	w.zones, w.overlays, w.values = pick(zones), pick(overlays), pick(values)
	return w
}

// selectNotables picks, for every rule, the first parcel (in cell and plate
// order) that passes its check, preferring one that also passes prefer.
// Parcels are measured as written and read back (place), so the notes give
// the figures a store gives.
func (c *city) selectNotables(ctx context.Context, w *world, place func(xy) xy, rules []notableRule) ([]Notable, error) {
	layouts := map[cell]*layout{}
	cache := map[string]*siteFacts{}
	var out []Notable
	for _, r := range rules {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		passes := []check{r.check}
		if r.prefer != nil {
			passes = []check{all(r.check, r.prefer), r.check}
		}
		found := false
		for _, pass := range passes {
			for _, at := range r.cells {
				L, ok := layouts[at]
				if !ok {
					L = c.layoutBlock(at.i, at.j)
					layouts[at] = L
				}
				for _, l := range L.lots {
					if r.filter != nil && !r.filter(l) {
						continue
					}
					id := c.plate(L, l)
					g := ringsGeometry(l.rings).TransformXY(place)
					f, ok := cache[id]
					if !ok {
						ff, err := w.facts(g)
						if err != nil {
							return nil, fmt.Errorf("measuring parcel %s: %w", id, err)
						}
						f = &ff
						cache[id] = f
					}
					if pass(f, g) {
						out = append(out, Notable{Kind: r.kind, ParcelID: id, Note: r.about + ". " + f.String()})
						found = true
						break
					}
				}
				if found {
					break
				}
			}
			if found {
				break
			}
		}
		if !found {
			return nil, fmt.Errorf("choosing notable parcels: no parcel is %s (%s)", r.kind, r.about)
		}
	}
	return out, nil
}
