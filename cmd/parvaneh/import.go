package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/parvaneh/parvaneh/layers"
	"github.com/parvaneh/parvaneh/layers/postgis"
	"github.com/parvaneh/parvaneh/migrations"
	"github.com/parvaneh/parvaneh/permits"
)

// runImport reads a plan bundle and imports it into PostGIS as its
// municipality's next plan version:
// parvaneh import [-database-url URL] BUNDLE_DIR.
func runImport(ctx context.Context, env *cliEnv, args []string) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	urlFlag := databaseURLFlag(fs)
	check := fs.Bool("check", false, "only read and validate the bundle, listing problems and repairs; no database needed")
	var packDirs stringList
	fs.Var(&packDirs, "pack", "also know the rule pack in `DIR` when checking the bundle's zone codes (repeatable)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("%w: parvaneh import [-check] [-database-url URL] BUNDLE_DIR", errUsage)
	}
	dir := fs.Arg(0)
	var url string
	if !*check {
		var err error
		if url, err = databaseURL(*urlFlag, env); err != nil {
			return err
		}
	}

	start := time.Now()
	meter := newMeter(env.stderr)
	b, err := layers.ReadBundleWithOptions(ctx, os.DirFS(dir), layers.ReadOptions{
		Progress: func(l layers.Layer, done int) { meter.show("reading %s: %d features", l.File(), done) },
	})
	meter.clear()
	var refused *layers.BundleError
	if errors.As(err, &refused) {
		fmt.Fprintf(env.stderr, "%s: plan bundle refused, %d problem(s):\n", dir, len(refused.Problems))
		for _, p := range refused.Problems {
			fmt.Fprintf(env.stderr, "  %s\n", p)
		}
		return bundleRefused(len(refused.Problems))
	}
	if err != nil {
		return fmt.Errorf("reading %s: %w", dir, err)
	}
	read := time.Since(start)
	packs, err := loadPacks(packDirs)
	if err != nil {
		return err
	}
	printUnregulated(env.stderr, packs, b)
	if *check {
		printBundle(env.stdout, b)
		fmt.Fprintf(env.stdout, "%s: the bundle is valid (read in %s); nothing was imported\n", dir, read.Round(time.Millisecond))
		return nil
	}

	if err := migrations.UpURL(ctx, url); err != nil {
		return err
	}
	store, err := postgis.Open(ctx, url)
	if err != nil {
		return err
	}
	defer store.Close()
	total := 0
	for _, n := range b.Counts() {
		total += n
	}
	writeStart := time.Now()
	pv, err := store.ImportWithProgress(ctx, b, func(written int) {
		meter.show("writing: %d of %d features", written, total)
	})
	meter.clear()
	if err != nil {
		return err
	}
	printSummary(env.stdout, dir, b, pv, timings{total: time.Since(start), read: read, write: time.Since(writeStart)})
	return nil
}

// timings are an import's phases: the whole, reading the bundle, writing it.
type timings struct{ total, read, write time.Duration }

func printSummary(w io.Writer, dir string, b *layers.Bundle, pv layers.PlanVersion, t timings) {
	fmt.Fprintf(w, "imported %s\n", dir)
	fmt.Fprintf(w, "  municipality  %s (%s)\n", pv.Municipality, pv.MunicipalityFa)
	fmt.Fprintf(w, "  plan version  seq %d, %q, effective %s (id %d)\n",
		pv.Seq, pv.Label, pv.EffectiveFrom.Format(time.DateOnly), pv.ID)
	total := printBundle(w, b)
	fmt.Fprintf(w, "  %d features in %s, %.0f features/s (read %s; written %s, %.0f features/s)\n",
		total, t.total.Round(time.Millisecond), float64(total)/t.total.Seconds(),
		t.read.Round(time.Millisecond), t.write.Round(time.Millisecond), float64(total)/t.write.Seconds())
}

// printBundle lists a bundle's features per layer and its repairs, and
// returns the number of features.
func printBundle(w io.Writer, b *layers.Bundle) int {
	counts, total := b.Counts(), 0
	for _, l := range layers.AllLayers {
		fmt.Fprintf(w, "  %-13s %d\n", l, counts[l])
		total += counts[l]
	}
	if len(b.Warnings) > 0 {
		fmt.Fprintf(w, "%d warning(s), repaired:\n", len(b.Warnings))
		for _, p := range b.Warnings {
			fmt.Fprintf(w, "  %s\n", p)
		}
	}
	return total
}

// printUnregulated warns of the bundle's zone codes its rule pack has no
// regulations for (or that the pack is not known here): the bundle keeps to
// its contract, but estimates in those zones will be refused until the
// pack catches up.
func printUnregulated(w io.Writer, packs permits.PackSet, b *layers.Bundle) {
	pack, err := packs.Pack(b.Manifest.RulePack)
	if err != nil {
		fmt.Fprintf(w, "warning: rule pack %q is not known here (-pack DIR): its zone codes were not checked\n", b.Manifest.RulePack)
		return
	}
	if u := permits.Unregulated(pack, b); len(u) > 0 {
		fmt.Fprintf(w, "warning: %d detailed-plan zone(s) without regulations in rule pack %s:\n", len(u), pack.Meta.ID)
		for _, p := range u {
			fmt.Fprintf(w, "  %s\n", p)
		}
	}
}

// bundleRefused is the error of a refused bundle, whose problems are already
// listed; it exits 3, like a failed check, rather than 1 for a failure to run.
type bundleRefused int

func (n bundleRefused) Error() string {
	return fmt.Sprintf("plan bundle refused: %d problem(s), listed above; nothing was imported", int(n))
}
func (bundleRefused) ExitCode() int { return 3 }

// meter draws a one-line progress report on a terminal, at most ten times a
// second; on anything else it draws nothing. Bundle reading reports from
// several goroutines, hence the lock.
type meter struct {
	mu    sync.Mutex
	w     io.Writer // nil: not a terminal
	last  time.Time
	drawn bool
}

func newMeter(w io.Writer) *meter {
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			return &meter{w: w}
		}
	}
	return &meter{}
}

func (m *meter) show(format string, args ...any) {
	if m.w == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if time.Since(m.last) < 100*time.Millisecond {
		return
	}
	m.last = time.Now()
	fmt.Fprintf(m.w, "\r\033[K"+format, args...)
	m.drawn = true
}

// clear erases the progress line, so that what follows starts clean.
func (m *meter) clear() {
	if m.w == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.drawn {
		fmt.Fprint(m.w, "\r\033[K")
		m.drawn = false
	}
	m.last = time.Time{}
}
