package rules

import (
	"errors"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// overlay reads the base pack folder and the files of dir over it.
func overlay(t *testing.T, base, dir string) fs.FS {
	t.Helper()
	m := fstest.MapFS{}
	for _, d := range []string{base, dir} {
		entries, err := os.ReadDir(d)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			data, err := os.ReadFile(filepath.Join(d, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			m[e.Name()] = &fstest.MapFile{Data: data}
		}
	}
	return m
}

// golden compares got with the golden file, or rewrites it under -update.
func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("message differs from %s:\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// TestBrokenPacks: each broken pack is refused whole, with every problem's
// file, line:column, rule and message (golden files).
func TestBrokenPacks(t *testing.T) {
	base := "testdata/broken/base"
	if _, err := LoadPack(os.DirFS(base)); err != nil {
		t.Fatalf("the base of the broken packs must load: %v", err)
	}
	dirs, err := filepath.Glob("testdata/broken/*")
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range dirs {
		name := filepath.Base(dir)
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() || name == "base" {
			continue
		}
		t.Run(name, func(t *testing.T) {
			p, err := LoadPack(overlay(t, base, dir))
			if p != nil {
				t.Fatal("a broken pack was loaded")
			}
			var le *LoadError
			if !errors.As(err, &le) {
				t.Fatalf("want a *LoadError, got %v", err)
			}
			for _, pr := range le.Problems {
				if pr.File == "" || pr.Msg == "" {
					t.Errorf("problem without file or message: %+v", pr)
				}
			}
			golden(t, dir+".golden", err.Error()+"\n")
		})
	}
}

// TestMemoryBudget: a formula that would loop 10¹⁰ times loads, and its run
// is stopped by the memory budget with the rule and position named.
func TestMemoryBudget(t *testing.T) {
	p, err := LoadPack(overlay(t, "testdata/broken/base", "testdata/runtime/memory"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Estimate(Site{A: 100, N: 100, Governing: "R1", Zones: []ZoneShare{{Code: "R1", Area: 100, Fraction: 1}}})
	if err == nil || !strings.Contains(err.Error(), "memory budget exceeded") {
		t.Fatalf("want the memory budget to stop the rule, got %v", err)
	}
	golden(t, "testdata/runtime/memory.golden", err.Error()+"\n")
}

// TestMissingRow: a zone code the pack's zone table lacks fails every job
// with a *MissingRowError naming the table and the code, whichever way the
// row is read (the typed column call or expr's own).
func TestMissingRow(t *testing.T) {
	p, err := Bundled("nemuneh")
	if err != nil {
		t.Fatal(err)
	}
	site := Site{A: 300, N: 300, S: 12, Governing: "R999", HasValueBlock: true, P: 1000, TXr: 1000, TXc: 1000,
		Zones: []ZoneShare{{Code: "R999", Area: 300, Fraction: 1}}}
	jobs := map[string]func() error{
		"estimate": func() error { _, err := p.Estimate(site); return err },
		"validate": func() error {
			_, err := p.Validate(site, Proposal{Floors: []Floor{{Level: 1, ResidentialArea: 100}}})
			return err
		},
		"violations": func() error { _, err := p.Violations(site, nil, Survey{Floors: 2, ResidentialArea: 100}); return err },
	}
	for name, run := range jobs {
		var mr *MissingRowError
		if err := run(); !errors.As(err, &mr) || mr.Table != "zone" || mr.Key != "R999" {
			t.Errorf("%s: %v, want a *MissingRowError for zone R999", name, err)
		}
	}
}
