package permits_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/parvaneh/parvaneh/examples"
	"github.com/parvaneh/parvaneh/layers"
	"github.com/parvaneh/parvaneh/permits"
	"github.com/parvaneh/parvaneh/rules"
)

// TestUnregulated: the sample city's zones are all in its pack; a zone code
// the pack lacks is named once, with its first zone and how many carry it,
// whatever table misses it.
func TestUnregulated(t *testing.T) {
	b, err := layers.ReadBundle(examples.Nemuneh())
	if err != nil {
		t.Fatal(err)
	}
	pack, err := rules.Bundled("nemuneh")
	if err != nil {
		t.Fatal(err)
	}
	if got := permits.Unregulated(pack, b); len(got) != 0 {
		t.Fatalf("the sample city: %v", got)
	}
	edited := *b
	edited.DetailedPlan = slices.Clone(b.DetailedPlan)
	for _, i := range []int{3, 7} {
		edited.DetailedPlan[i].Code = "R999"
	}
	got := permits.Unregulated(pack, &edited)
	if len(got) != 1 || got[0].Index != 3 || got[0].FeatureID != b.DetailedPlan[3].ID ||
		got[0].Property != "code" || !strings.Contains(got[0].Reason, `"R999"`) || !strings.Contains(got[0].Reason, "2 zone(s)") {
		t.Errorf("two zones coded R999: %v", got)
	}
}
