package rules

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"testing"
	"testing/fstest"
	"time"
)

// fuzzPack is the Nemuneh pack, whose tables fuzzed formulas may call.
func fuzzPack(f *testing.F) *Pack {
	f.Helper()
	p, err := Bundled("nemuneh")
	if err != nil {
		f.Fatal(err)
	}
	return p
}

var fuzzSeeds = []string{
	"N * D / 100",
	"sum(zones, .area * zone(.code).density) / sum(zones, .area)",
	"min(inf, map(filter(overlays, .has_max_height), floor(.max_height_m / 3.5)))",
	"landlocked ? 1 : street_cap(S)",
	"count(1..99999, count(1..99999, # > 0) > 0)",
	"map(1..1000, map(1..1000, #))",
	"A / 0",
	"int(inf)",
	"zone(governing).densty",
	"zone('nope').use",
	"let x = 1; x",
	"reduce(zones, #acc + .area, 0)",
	"$env",
	"-P * TXr * 99999999999",
	`"a" + governing + "b"`,
	"((((((((((N))))))))))",
	"all(zones, any(overlays, .no_build) || .area > N)",
	"{a: 1, b: [1, 2, 3]}.b[1]",
	"A ?? W",
	"1..10 | filter(# % 2 == 0) | len()",
}

// FuzzCompile feeds arbitrary formulas to the compiler as every kind: it
// must refuse or compile them, never panic or hang.
func FuzzCompile(f *testing.F) {
	p := fuzzPack(f)
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	kinds := []Kind{KindArea, KindMoney, KindNumber, KindCount, KindFlag, KindText}
	f.Fuzz(func(t *testing.T, src string) {
		c := newCompiler(jobViolations, p.tables, &problems{})
		for _, k := range kinds {
			c.compile(source{Text: src}, k, "fuzz")
		}
	})
}

// FuzzEvaluate compiles an arbitrary formula and runs it on arbitrary site
// numbers: every outcome is a value or an error, within the budgets.
func FuzzEvaluate(f *testing.F) {
	p := fuzzPack(f)
	for _, s := range fuzzSeeds {
		f.Add(s, 300.0, 12.0, int64(1_000_000), 150.5, true)
	}
	f.Add("allowed_area * P * 0.10", math.Inf(1), math.NaN(), int64(math.MaxInt64), -1.0, false)
	kinds := []Kind{KindArea, KindMoney, KindNumber, KindCount, KindFlag, KindText}
	every := make([]int, len(jobEstimate.facts))
	for i := range every {
		every[i] = i
	}
	f.Fuzz(func(t *testing.T, src string, n, s float64, price int64, area float64, landlocked bool) {
		c := newCompiler(jobEstimate, p.tables, &problems{})
		e := &evaluator{vm: newVM(), env: jobEstimate.template(), facts: make([]any, len(jobEstimate.facts)), lists: make([]list, len(jobEstimate.facts))}
		site := Site{A: n, N: n, S: s, P: price, TXr: price, Landlocked: landlocked, HasValueBlock: true,
			Governing: "R121", Zones: []ZoneShare{{Code: "R121", Area: area, Fraction: 1}},
			Overlays: []OverlayFact{{ID: "O", HasMaxHeight: true, MaxHeightM: area}}}
		e.load(jobEstimate, every, &input{site: &site}) // a fuzzed formula may read any fact
		e.fillEnv(jobEstimate, every)
		for _, k := range kinds {
			cp, _ := c.compileExpr(source{Text: src}, k)
			if cp == nil {
				continue
			}
			start := time.Now()
			_, _ = e.value(cp)
			if d := time.Since(start); d > 2*time.Second {
				t.Fatalf("%q ran for %v", src, d)
			}
		}
	})
}

// FuzzLoadPack feeds arbitrary estimate.yaml and tables.yaml files to the
// loader: a pack is refused or loaded, never a panic; a loaded pack gives
// the same estimate from its combined program as rule by rule. The seeds are
// small: the fuzzer minimises every input it finds interesting, and big
// inputs would spend the fuzzing time there.
func FuzzLoadPack(f *testing.F) {
	meta, err := os.ReadFile("testdata/packs/dovom/pack.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte("rules: [{id: F, kind: count, label: {fa: a, en: b}, expr: 'int(cap(S))'}]"),
		[]byte("tables: {cap: {kind: step, rows: [{lt: 6, value: 2}, {value: .inf}]}}"))
	f.Add([]byte("rules: [{id: a, kind: area, label: {fa: a, en: b}, expr: 'b * N'}, {id: b, kind: number, label: {fa: a, en: b}, expr: a}]"),
		[]byte("tables: {z: {kind: keyed, columns: {d: number}, rows: {A1: {d: 1}}}}"))
	f.Add([]byte("rules: [{id: x, kind: money, label: {fa: a, en: b}, when: has_value_block, expr: |\n  z(governing).d * P\n}]"),
		[]byte("tables: {z: {kind: keyed, columns: {d: number}, rows: {A1: {d: 0.35}}}}"))
	f.Add([]byte("rules: [{id: x, kind: money, label: {fa: a, en: b}, expr: '-(N * 0.35) + P / 3'}, {id: y, kind: number, label: {fa: a, en: b}, expr: 'min(inf, 2, map(zones, z(.code).d * .fraction))'}]"),
		[]byte("tables: {z: {kind: keyed, columns: {d: number}, rows: {A1: {d: 0.35}}}}"))
	f.Fuzz(func(t *testing.T, estimate, tables []byte) {
		fsys := fstest.MapFS{
			filePack:     {Data: meta},
			fileEstimate: {Data: estimate},
			fileTables:   {Data: tables},
		}
		p, err := LoadPack(fsys)
		if (p == nil) == (err == nil) {
			t.Fatalf("LoadPack gave pack %v and error %v", p != nil, err)
		}
		if p == nil {
			return
		}
		site := Site{A: 100, N: 100, S: 10, P: 7, Governing: "A1", HasValueBlock: true,
			Zones:    []ZoneShare{{Code: "A1", Area: 100, Fraction: 1}},
			Overlays: []OverlayFact{{ID: "O", Kind: "k", HasMaxHeight: true, MaxHeightM: 9.5, Area: 50}}}
		fast, errFast := p.Estimate(site)
		slow, _ := LoadPack(fsys)
		slow.estimate.fast = nil
		want, errSlow := slow.Estimate(site)
		a, _ := json.Marshal(fast)
		b, _ := json.Marshal(want)
		if fmt.Sprint(errFast) != fmt.Sprint(errSlow) || !bytes.Equal(a, b) {
			t.Fatalf("combined and rule by rule differ:\n%s %v\n%s %v", a, errFast, b, errSlow)
		}
	})
}
