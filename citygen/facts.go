package citygen

import (
	"fmt"
	"math"
	"sort"

	"github.com/peterstace/simplefeatures/geom"
)

// world is a set of metric layer features to measure parcels against, the
// way the rule book's §1 does. The generator builds one over the planted
// window to choose its notable parcels; the tests build one from the
// written files to check them.
type world struct {
	streets, zones, overlays, values []wfeat
}

type wfeat struct {
	id      string
	code    string // zone code, overlay kind
	planned float64
	height  float64
	g       geom.Geometry
	env     geom.Envelope
}

func newWFeat(f feature) wfeat {
	return wfeat{id: f.id, code: f.code, planned: f.planned, height: f.height, g: f.g, env: f.g.Envelope()}
}

// transform moves every feature, for measuring in another frame.
func (w *world) transform(fn func(xy) xy) *world {
	out := &world{}
	for _, l := range []struct{ from, to *[]wfeat }{
		{&w.streets, &out.streets}, {&w.zones, &out.zones}, {&w.overlays, &out.overlays}, {&w.values, &out.values},
	} {
		for _, f := range *l.from {
			f.g = f.g.TransformXY(fn)
			f.env = f.g.Envelope()
			*l.to = append(*l.to, f)
		}
	}
	return out
}

// siteFacts are a parcel's measurements: areas rounded half up to 0.01 m².
type siteFacts struct {
	A, W, N  float64
	streets  []nearStreet       // within 1.0 m, by id
	codes    map[string]float64 // code → overlap with the net parcel
	overlays map[string]float64 // overlay id → overlap with the net parcel
	kinds    map[string]string  // overlay id → kind
	heights  map[string]float64 // overlay id → max_height_m (0: none)
	values   map[string]float64 // value block id → overlap with the parcel
}

type nearStreet struct {
	id       string
	planned  float64
	distance float64
}

func round2(x float64) float64 { return math.Floor(x*100+0.5) / 100 }

// near reports whether two envelopes come within d of each other.
func near(a, b geom.Envelope, d float64) bool {
	dist, ok := a.Distance(b)
	return ok && dist <= d
}

func (w *world) facts(g geom.Geometry) (siteFacts, error) {
	env := g.Envelope()
	f := siteFacts{codes: map[string]float64{}, overlays: map[string]float64{}, kinds: map[string]string{}, heights: map[string]float64{}, values: map[string]float64{}}
	f.A = round2(g.Area())
	var touching []geom.Geometry
	for _, s := range w.streets {
		if !near(env, s.env, 1.0) {
			continue
		}
		if d, ok := geom.Distance(g, s.g); ok && d <= 1.0 {
			f.streets = append(f.streets, nearStreet{s.id, s.planned, d})
		}
		if env.Intersects(s.env) {
			touching = append(touching, s.g)
		}
	}
	sort.Slice(f.streets, func(a, b int) bool { return f.streets[a].id < f.streets[b].id })
	net := g
	if len(touching) > 0 {
		u, err := geom.UnionMany(touching)
		if err != nil {
			return f, fmt.Errorf("joining streets: %w", err)
		}
		in, err := intersection(g, u, "a parcel with the streets")
		if err != nil {
			return f, err
		}
		f.W = round2(in.Area())
		if net, err = difference(g, u, "the streets from a parcel"); err != nil {
			return f, err
		}
	}
	f.N = round2(f.A - f.W)
	netEnv := net.Envelope()
	overlap := func(a geom.Geometry, aenv geom.Envelope, b wfeat) (float64, error) {
		if a.IsEmpty() || !aenv.Intersects(b.env) {
			return 0, nil
		}
		in, err := intersection(a, b.g, "a parcel with "+b.id)
		return in.Area(), err
	}
	for _, z := range w.zones {
		a, err := overlap(net, netEnv, z)
		if err != nil {
			return f, err
		}
		if a > 0 {
			f.codes[z.code] = round2(f.codes[z.code] + a)
		}
	}
	for _, o := range w.overlays {
		a, err := overlap(net, netEnv, o)
		if err != nil {
			return f, err
		}
		if a > 0 {
			f.overlays[o.id], f.kinds[o.id], f.heights[o.id] = round2(a), o.code, o.height
		}
	}
	for _, v := range w.values {
		a, err := overlap(g, env, v)
		if err != nil {
			return f, err
		}
		if a > 0 {
			f.values[v.id] = round2(a)
		}
	}
	return f, nil
}

// kept returns the keys whose overlap is at least 1% of N (rule book §1).
func (f *siteFacts) kept(m map[string]float64) []string {
	var out []string
	for k, a := range m {
		if f.N > 0 && a >= 0.01*f.N {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// clean reports a parcel with one kept zone, no kept overlay and a value
// block: the plain case, whose rules are only the ones a notable is about.
func (f *siteFacts) clean() bool {
	return f.N > 0 && len(f.kept(f.codes)) == 1 && len(f.kept(f.overlays)) == 0 && len(f.values) > 0
}

func (f *siteFacts) String() string {
	s := fmt.Sprintf("A=%.2f W=%.2f N=%.2f; streets", f.A, f.W, f.N)
	if len(f.streets) == 0 {
		s += " none within 1 m"
	}
	for _, st := range f.streets {
		s += fmt.Sprintf(" %s (planned %g m, %.2f m away)", st.id, st.planned, st.distance)
	}
	s += "; zones"
	if len(f.codes) == 0 {
		s += " none"
	}
	for _, c := range sortedKeys(f.codes) {
		s += fmt.Sprintf(" %s %.2f m² (%.2f%% of N)", c, f.codes[c], pct(f.codes[c], f.N))
	}
	if len(f.overlays) > 0 {
		s += "; overlays"
		for _, o := range sortedKeys(f.overlays) {
			s += fmt.Sprintf(" %s %s %.2f m² (%.2f%% of N)", o, f.kinds[o], f.overlays[o], pct(f.overlays[o], f.N))
		}
	}
	s += "; value blocks"
	if len(f.values) == 0 {
		s += " none"
	}
	for _, v := range sortedKeys(f.values) {
		s += fmt.Sprintf(" %s %.2f m²", v, f.values[v])
	}
	return s
}

func pct(a, n float64) float64 {
	if n == 0 {
		return 0
	}
	return 100 * a / n
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
