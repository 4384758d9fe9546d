package rules

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// testdataPacks lists the packs under testdata/packs: packs that ship only
// to prove the engine (a second city).
func testdataPacks(t *testing.T) map[string]fs.FS {
	t.Helper()
	dirs, err := filepath.Glob("testdata/packs/*")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]fs.FS{}
	for _, d := range dirs {
		out[filepath.Base(d)] = os.DirFS(d)
	}
	return out
}

// TestPackCases runs every bundled pack's test cases and every testdata
// pack's, each case a subtest.
func TestPackCases(t *testing.T) {
	packs := map[string]*Pack{}
	for _, name := range BundledNames() {
		p, err := Bundled(name)
		if err != nil {
			t.Fatalf("bundled pack %s: %v", name, err)
		}
		packs["bundled/"+name] = p
	}
	for name, fsys := range testdataPacks(t) {
		p, err := LoadPack(fsys)
		if err != nil {
			t.Fatalf("testdata pack %s: %v", name, err)
		}
		packs["testdata/"+name] = p
	}
	if _, ok := packs["bundled/nemuneh"]; !ok {
		t.Fatal("the nemuneh pack is not bundled")
	}
	for name, p := range packs {
		t.Run(name, func(t *testing.T) {
			rep, err := p.RunTests()
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Cases) == 0 {
				t.Fatal("no test cases")
			}
			for _, c := range rep.Cases {
				t.Run(c.Name, func(t *testing.T) {
					for _, f := range c.Failures {
						t.Errorf("%s:%d: %s", c.File, c.Line, f)
					}
				})
			}
		})
	}
}

// TestNemunehCoverage holds the Nemuneh pack to the number of hand-worked
// cases its issue asks for.
func TestNemunehCoverage(t *testing.T) {
	p, err := Bundled("nemuneh")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := p.RunTests()
	if err != nil {
		t.Fatal(err)
	}
	jobs := map[string]int{}
	for _, c := range rep.Cases {
		jobs[c.Job]++
	}
	if len(rep.Cases) < 40 || jobs["estimate"] == 0 || jobs["validation"] == 0 || jobs["violations"] == 0 {
		t.Errorf("nemuneh has %d cases (%v); want at least 40 covering all three jobs", len(rep.Cases), jobs)
	}
}

// TestLintClean: the shipped packs lint without findings.
func TestLintClean(t *testing.T) {
	sub, err := BundledFS("nemuneh")
	if err != nil {
		t.Fatal(err)
	}
	all := testdataPacks(t)
	all["nemuneh"] = sub
	for name, fsys := range all {
		ps, err := Lint(fsys)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range ps {
			t.Errorf("%s: %s", name, p)
		}
	}
}

// TestFastPathAgrees runs every pack test case both ways — the job's rules
// as one combined program, and one VM run per rule — and wants the same
// results, explanations included.
func TestFastPathAgrees(t *testing.T) {
	dirs := map[string]fs.FS{}
	for _, name := range BundledNames() {
		sub, err := BundledFS(name)
		if err != nil {
			t.Fatal(err)
		}
		dirs[name] = sub
	}
	for name, fsys := range testdataPacks(t) {
		dirs[name] = fsys
	}
	for name, fsys := range dirs {
		fast, err := LoadPack(fsys)
		if err != nil {
			t.Fatal(err)
		}
		slow, err := LoadPack(fsys)
		if err != nil {
			t.Fatal(err)
		}
		for _, j := range []*job{fast.estimate, fast.validation, fast.violations} {
			if j != nil && j.fast == nil {
				t.Errorf("%s: the %s job has no combined program", name, j.kind.name)
			}
		}
		for _, j := range []*job{slow.estimate, slow.validation, slow.violations} {
			if j != nil {
				j.fast = nil
			}
		}
		cases, err := readTests(fsys)
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range cases {
			// The combined program itself must succeed: a silent fall back
			// to rule by rule would pass the comparison below.
			if j := fast.jobNamed(tc.job); j.fast != nil {
				e := j.get()
				e.load(j.kind, j.reads, &tc.in)
				if _, err := e.runFast(j); err != nil {
					t.Errorf("%s %s %q: the combined program failed: %v", name, tc.file, tc.name, err)
				}
			}
			a, errA := fast.runInput(tc)
			b, errB := slow.runInput(tc)
			ja, _ := json.Marshal(a)
			jb, _ := json.Marshal(b)
			if fmt.Sprint(errA) != fmt.Sprint(errB) || !bytes.Equal(ja, jb) {
				t.Errorf("%s %s %q: combined and rule-by-rule differ:\n%s %v\n%s %v", name, tc.file, tc.name, ja, errA, jb, errB)
			}
		}
	}
}

// TestConcurrent evaluates one pack from many goroutines (run with -race).
func TestConcurrent(t *testing.T) {
	p, err := Bundled("nemuneh")
	if err != nil {
		t.Fatal(err)
	}
	want, err := p.Estimate(benchSite)
	if err != nil {
		t.Fatal(err)
	}
	wantJSON, _ := json.Marshal(want)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for range 50 {
				site := simpleSite
				if g%2 == 0 {
					site = benchSite
				}
				got, err := p.Estimate(site)
				if err != nil {
					t.Error(err)
					return
				}
				if g%2 == 0 {
					if b, _ := json.Marshal(got); !bytes.Equal(b, wantJSON) {
						t.Error("a concurrent estimate differs")
						return
					}
				}
			}
		})
	}
	wg.Wait()
}
