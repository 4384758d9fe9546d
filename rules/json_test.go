package rules

import (
	"encoding/json"
	"math"
	"testing"
)

// FuzzFigureJSON: the hand-written encoding of a figure is byte for byte
// encoding/json's of the same values (infinities aside, which JSON lacks).
func FuzzFigureJSON(f *testing.F) {
	f.Add(1.5, int64(7), "area", "A <= 0 && N > 1", "N")
	f.Add(1e-7, int64(-1), "نام", "x\u2028\"y\"", "a.b")
	f.Add(1e21, int64(math.MaxInt64), "", "", "")
	f.Add(123456789.125, int64(0), "\x00", "\\", "<&>")
	f.Fuzz(func(t *testing.T, x float64, m int64, label, formula, name string) {
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return
		}
		info := &RuleInfo{ID: name, LabelFa: label, LabelEn: label, Kind: KindArea, Unit: label, Formula: formula}
		fig := Figure{RuleInfo: info, Inputs: []Input{{Name: name, Value: x}, {Name: "m", Value: m}, {Name: "t", Value: label}, {Name: "f", Value: true}}, Value: x}
		type plainInput struct {
			Name  string `json:"name"`
			Value any    `json:"value"`
		}
		want, err := json.Marshal(struct {
			*RuleInfo
			Inputs []plainInput `json:"inputs"`
			Value  any          `json:"value"`
		}{info, []plainInput{{name, x}, {"m", m}, {"t", label}, {"f", true}}, x})
		if err != nil {
			t.Skip(err)
		}
		got, err := fig.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Fatalf("got  %s\nwant %s", got, want)
		}
		info.encoded = encodeMembers(info)
		if again, _ := fig.MarshalJSON(); string(again) != string(want) {
			t.Fatalf("with the members encoded ahead: %s", again)
		}
	})
}
