package geo

import (
	"slices"
	"testing"

	"github.com/peterstace/simplefeatures/geom"
)

func TestIndex(t *testing.T) {
	items := []geom.MultiPolygon{
		rect(0, 0, 10, 10),
		rect(10, 0, 20, 10),
		rect(100, 100, 110, 110),
		{}, // empty: never found
	}
	var ix Index[int]
	for i, g := range items {
		ix.Insert(g.Envelope(), i)
	}
	if ix.Len() != 3 {
		t.Errorf("Len = %d, want 3", ix.Len())
	}
	tests := []struct {
		name string
		env  geom.Envelope
		want []int
	}{
		{"inside first", geom.NewEnvelope(geom.XY{X: 1, Y: 1}, geom.XY{X: 2, Y: 2}), []int{0}},
		{"shared edge touches both", geom.NewEnvelope(geom.XY{X: 10, Y: 5}), []int{0, 1}},
		{"far away", geom.NewEnvelope(geom.XY{X: 50, Y: 50}, geom.XY{X: 60, Y: 60}), nil},
		{"everything", geom.NewEnvelope(geom.XY{X: -1, Y: -1}, geom.XY{X: 200, Y: 200}), []int{0, 1, 2}},
		{"empty envelope", geom.Envelope{}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []int
			ix.Search(tc.env, func(i int) bool { got = append(got, i); return true })
			slices.Sort(got)
			if !slices.Equal(got, tc.want) {
				t.Errorf("Search = %v, want %v", got, tc.want)
			}
		})
	}

	t.Run("stop early", func(t *testing.T) {
		n := 0
		ix.Search(geom.NewEnvelope(geom.XY{X: -1, Y: -1}, geom.XY{X: 200, Y: 200}), func(int) bool { n++; return false })
		if n != 1 {
			t.Errorf("visited %d items after stop, want 1", n)
		}
	})
}
