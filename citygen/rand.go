package citygen

// rng is a small splitmix64 generator. The generator keeps its own instead of
// math/rand so that a seed gives the same city on every Go release, and every
// block, line and node draws from its own stream (seeded by what it is and
// where), so any part of the city can be laid out again on its own, in any
// order, with the same result.
type rng struct{ s uint64 }

// Stream purposes: one per kind of thing that draws random numbers.
const (
	streamColumns uint64 = iota + 1
	streamRows
	streamNodes
	streamLine
	streamSegment
	streamBlock
	streamZones
	streamValues
	streamOverlays
	streamParcel
	streamFrame
)

func mix(z uint64) uint64 {
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// newRNG returns the stream for a seed, a purpose and up to a few indices.
func newRNG(seed, purpose uint64, idx ...int) rng {
	h := mix(seed + 0x9e3779b97f4a7c15*purpose)
	for _, i := range idx {
		h = mix(h ^ (uint64(int64(i)) + 0x632be59bd9b4e019))
	}
	return rng{s: h}
}

func (r *rng) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	return mix(r.s)
}

// float returns a number in [0, 1).
func (r *rng) float() float64 { return float64(r.next()>>11) / (1 << 53) }

// uniform returns a number in [a, b).
func (r *rng) uniform(a, b float64) float64 { return a + (b-a)*r.float() }

// intn returns an integer in [0, n).
func (r *rng) intn(n int) int { return int(r.next() % uint64(n)) }

// chance reports true with probability p.
func (r *rng) chance(p float64) bool { return r.float() < p }

// pick returns one of the values.
func pick[T any](r *rng, vs []T) T { return vs[r.intn(len(vs))] }

// weighted returns an index drawn by the weights.
func (r *rng) weighted(ws []float64) int {
	var sum float64
	for _, w := range ws {
		sum += w
	}
	x := r.float() * sum
	for i, w := range ws {
		if x < w {
			return i
		}
		x -= w
	}
	return len(ws) - 1
}
