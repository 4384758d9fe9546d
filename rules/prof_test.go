package rules

import "testing"

func BenchmarkRunFast(b *testing.B) {
	p := benchPack(b)
	j := p.estimate
	for _, typed := range []bool{false, true, false, true} {
		e := j.get()
		e.load(j.kind, &input{site: &benchSite})
		name := "anys"
		if typed {
			e.env["zones"], e.env["overlays"] = benchSite.Zones, benchSite.Overlays
			name = "typed"
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := e.runFast(j); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
