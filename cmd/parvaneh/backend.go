package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/parvaneh/parvaneh/examples"
	"github.com/parvaneh/parvaneh/layers"
	"github.com/parvaneh/parvaneh/layers/memstore"
	"github.com/parvaneh/parvaneh/layers/postgis"
	"github.com/parvaneh/parvaneh/permits"
	"github.com/parvaneh/parvaneh/rules"
)

// backendFlags choose where plan data and rule packs come from; serve and
// estimate share them, so both answer from the same place the same way.
type backendFlags struct {
	databaseURL  *string
	bundle       *string
	municipality *string
	timeZone     *string
	packDirs     stringList
}

func addBackendFlags(fs *flag.FlagSet) *backendFlags {
	f := &backendFlags{
		databaseURL:  databaseURLFlag(fs),
		bundle:       fs.String("bundle", "", "serve this plan bundle `DIR` from memory, no database (default: the bundled sample city Nemuneh)"),
		municipality: fs.String("municipality", "", "the municipality to answer for (default: the only one in the store)"),
		timeZone:     fs.String("tz", "Asia/Tehran", "the city's time `ZONE`: \"today\" (the default as-of date) starts at its midnight"),
	}
	fs.Var(&f.packDirs, "pack", "load a rule pack from `DIR` besides the bundled ones (repeatable)")
	return f
}

// backend is an opened store with the rule packs and the municipality.
type backend struct {
	store        layers.Store
	municipality string
	packs        permits.PackSet
	source       string // for the log: where the plan data is
	// databaseURL is PostGIS's when the plan data is there, where the
	// records are kept too; empty for the embedded store.
	databaseURL string
	// now is the clock in the city's time zone.
	now func() time.Time
}

// open connects to PostGIS when a database URL is given (and no -bundle),
// otherwise loads a bundle into the embedded store.
func (f *backendFlags) open(ctx context.Context, env *cliEnv) (*backend, error) {
	loc, err := time.LoadLocation(*f.timeZone)
	if err != nil {
		return nil, fmt.Errorf("%w: -tz %q: %v", errUsage, *f.timeZone, err)
	}
	packs, err := loadPacks(f.packDirs)
	if err != nil {
		return nil, err
	}
	b := &backend{packs: packs, now: func() time.Time { return time.Now().In(loc) }}
	url := *f.databaseURL
	if url == "" && *f.bundle == "" {
		url = env.getenv("DATABASE_URL")
	}
	if url != "" {
		st, err := postgis.Open(ctx, url)
		if err != nil {
			return nil, fmt.Errorf("opening PostGIS: %w", err)
		}
		b.store, b.source, b.databaseURL = st, "PostGIS", url
	} else {
		b.store, b.source, err = loadEmbedded(ctx, *f.bundle, packs, env.log)
		if err != nil {
			return nil, err
		}
	}
	if b.municipality, err = pickMunicipality(ctx, b.store, *f.municipality); err != nil {
		b.store.Close()
		return nil, err
	}
	// Every version must have its rule pack, or its estimates would fail
	// one request at a time; better to refuse to start.
	versions, err := b.store.Versions(ctx, b.municipality)
	if err != nil {
		b.store.Close()
		return nil, fmt.Errorf("listing plan versions: %w", err)
	}
	for _, v := range versions {
		if _, err := packs.Pack(v.RulePack); err != nil {
			b.store.Close()
			return nil, fmt.Errorf("plan version %d (%s) of %s: %w (load it with -pack DIR)", v.Seq, v.Label, v.Municipality, err)
		}
	}
	return b, nil
}

func loadPacks(dirs []string) (permits.PackSet, error) {
	set := permits.PackSet{}
	for _, name := range rules.BundledNames() {
		p, err := rules.Bundled(name)
		if err != nil {
			return nil, fmt.Errorf("loading bundled rule pack %s: %w", name, err)
		}
		set[p.Meta.ID] = p
	}
	for _, dir := range dirs {
		p, err := rules.LoadPack(os.DirFS(dir))
		if err != nil {
			return nil, fmt.Errorf("loading rule pack %s: %w", dir, err)
		}
		set[p.Meta.ID] = p
	}
	return set, nil
}

// loadEmbedded reads a bundle (the sample city when dir is "") into a new
// embedded store, warning of zones its rule pack has no regulations for.
func loadEmbedded(ctx context.Context, dir string, packs permits.PackSet, log *slog.Logger) (layers.Store, string, error) {
	var fsys fs.FS = examples.Nemuneh()
	source := "embedded sample city Nemuneh"
	if dir != "" {
		fsys, source = os.DirFS(dir), "embedded store from "+dir
	}
	bundle, err := layers.ReadBundleWithOptions(ctx, fsys, layers.ReadOptions{})
	var refused *layers.BundleError
	if errors.As(err, &refused) {
		var b strings.Builder
		for _, p := range refused.Problems {
			fmt.Fprintf(&b, "\n  %s", p)
		}
		return nil, "", fmt.Errorf("plan bundle %s refused, %d problem(s):%s", dir, len(refused.Problems), b.String())
	}
	if err != nil {
		return nil, "", fmt.Errorf("reading plan bundle: %w", err)
	}
	if pack, err := packs.Pack(bundle.Manifest.RulePack); err == nil {
		if u := permits.Unregulated(pack, bundle); len(u) > 0 {
			log.Warn("detailed-plan zones without regulations in the rule pack: their estimates answer not_in_rule_pack",
				slog.Int("zones", len(u)), slog.String("first", u[0].String()))
		}
	}
	st := memstore.New()
	v, err := st.Import(ctx, bundle)
	if err != nil {
		return nil, "", fmt.Errorf("loading plan bundle: %w", err)
	}
	// Measuring every parcel ahead (on all CPUs) makes each later estimate
	// a lookup instead of an overlay.
	if err := st.Warm(ctx, v.ID); err != nil {
		return nil, "", fmt.Errorf("measuring the parcels of %s: %w", source, err)
	}
	return st, source, nil
}

func pickMunicipality(ctx context.Context, st layers.Store, want string) (string, error) {
	names, err := st.Municipalities(ctx)
	if err != nil {
		return "", fmt.Errorf("listing municipalities: %w", err)
	}
	switch {
	case want != "":
		for _, n := range names {
			if n == want {
				return n, nil
			}
		}
		return "", fmt.Errorf("%w: municipality %q has no plan version (have: %s)", errUsage, want, strings.Join(names, ", "))
	case len(names) == 1:
		return names[0], nil
	case len(names) == 0:
		return "", errors.New("the store has no plan version yet: run 'parvaneh import BUNDLE_DIR' first")
	default:
		return "", fmt.Errorf("%w: the store has several municipalities (%s): choose one with -municipality", errUsage, strings.Join(names, ", "))
	}
}

// warmInBackground has the PostGIS store measure ahead, and keep in the
// database, the parcels of the municipality's plan versions (newest first)
// not measured yet, so that no estimate pays for a first measurement; the
// embedded store was warmed when loaded. It returns at once; the work logs
// when done or failed and ends with ctx or when stop (which waits for it)
// is called.
func (b *backend) warmInBackground(ctx context.Context, log *slog.Logger) (stop func()) {
	st, ok := b.store.(*postgis.Store)
	if !ok {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		start := time.Now()
		versions, err := st.Versions(ctx, b.municipality)
		for i := len(versions) - 1; i >= 0 && err == nil; i-- {
			err = st.Warm(ctx, versions[i].ID)
		}
		switch {
		case ctx.Err() != nil: // stopping: nothing to report
		case err != nil:
			log.Error("measuring parcels ahead failed (estimates measure on demand)", slog.Any("err", err))
		default:
			log.Info("parcels measured ahead", slog.Int("plan_versions", len(versions)), slog.Duration("took", time.Since(start)))
		}
	}()
	return func() { cancel(); <-done }
}

// service is the permits service over the backend.
func (b *backend) service() *permits.Service {
	return permits.NewService(b.store, b.packs, b.municipality, b.now)
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }
