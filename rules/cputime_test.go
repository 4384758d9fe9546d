package rules

import (
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"
)

func cpuNow() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func TestCPUTime(t *testing.T) {
	if os.Getenv("CPUTIME") == "" {
		t.Skip()
	}
	runtime.GOMAXPROCS(1)
	p, _ := Bundled("nemuneh")
	const n = 200000
	for range 20000 {
		p.Estimate(benchSite)
	}
	best := time.Hour
	for range 5 {
		start := cpuNow()
		for range n {
			p.Estimate(benchSite)
		}
		if d := (cpuNow() - start) / n; d < best {
			best = d
		}
	}
	t.Logf("cpu per estimate: %v", best)
}

func measure(t *testing.T, name string, f func()) {
	const n = 100000
	for range 10000 {
		f()
	}
	best := time.Hour
	for range 5 {
		start := cpuNow()
		for range n {
			f()
		}
		if d := (cpuNow() - start) / n; d < best {
			best = d
		}
	}
	t.Logf("%-12s %v", name, best)
}

func TestCPUParts(t *testing.T) {
	if os.Getenv("CPUTIME") == "" {
		t.Skip()
	}
	runtime.GOMAXPROCS(1)
	p, _ := Bundled("nemuneh")
	j := p.estimate
	e := j.get()
	e.load(j.kind, &input{site: &benchSite})
	measure(t, "estimate", func() { p.Estimate(benchSite) })
	measure(t, "load", func() { e.load(j.kind, &input{site: &benchSite}) })
	measure(t, "runFast", func() { e.runFast(j) })
	measure(t, "runEach", func() { e.runEach(j) })
	measure(t, "stops", func() {
		for _, n := range j.stops {
			e.flag(n.when)
		}
	})
	measure(t, "figures", func() {
		figs := make([]Figure, 0, len(j.rules))
		buf := make([]Input, 0, j.nInputs)
		for i, r := range j.rules {
			start := len(buf)
			buf, _ = e.inputs(buf, r.expr)
			figs = append(figs, Figure{RuleInfo: r.info, Inputs: buf[start:len(buf):len(buf)], Value: e.vals[i]})
		}
	})
}
