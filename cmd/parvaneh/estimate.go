package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/parvaneh/parvaneh/geo"
	"github.com/parvaneh/parvaneh/permits"
	"github.com/parvaneh/parvaneh/rules"
)

// runEstimate prints the estimate of one parcel (by plate or by outline), or
// of every parcel as JSON Lines.
func runEstimate(ctx context.Context, env *cliEnv, args []string) error {
	fs := flag.NewFlagSet("estimate", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	parcel := fs.String("parcel", "", "the parcel's plate `ID`, e.g. 12/34")
	geojson := fs.String("geojson", "", "estimate for the outline in this GeoJSON `FILE` (Polygon, MultiPolygon or Feature)")
	all := fs.Bool("all", false, "every parcel of the plan version, one JSON object a line")
	asJSON := fs.Bool("json", false, "print JSON instead of a table")
	asOf := fs.String("as-of", "", "use the plan version in force on `yyyy-mm-dd` (default: today)")
	bf := addBackendFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	chosen := 0
	for _, set := range []bool{*parcel != "", *geojson != "", *all} {
		if set {
			chosen++
		}
	}
	if chosen != 1 || fs.NArg() != 0 {
		return fmt.Errorf("%w: give exactly one of -parcel ID, -geojson FILE or -all", errUsage)
	}
	var date time.Time
	if *asOf != "" {
		var err error
		if date, err = time.Parse(time.DateOnly, *asOf); err != nil {
			return fmt.Errorf("%w: -as-of wants yyyy-mm-dd", errUsage)
		}
	}
	b, err := bf.open(ctx, env)
	if err != nil {
		return err
	}
	defer b.store.Close()
	svc := b.service()

	if *all {
		return estimateAll(ctx, env.stdout, b, svc, date)
	}
	w := permits.Where{ParcelID: *parcel, AsOf: date}
	if *geojson != "" {
		data, err := os.ReadFile(*geojson)
		if err != nil {
			return err
		}
		raw, err := geo.ParseGeometry(data)
		if err != nil {
			return fmt.Errorf("%s: %w", *geojson, err)
		}
		w.Geometry = &raw
	}
	est, err := svc.Estimate(ctx, w)
	if err != nil {
		if *geojson != "" {
			return fmt.Errorf("the outline in %s: %w (GeoJSON is longitude, latitude)", *geojson, err)
		}
		return err
	}
	if *asJSON {
		return printJSON(env.stdout, est)
	}
	return printEstimate(env.stdout, est)
}

// estimateAll writes every parcel's estimate of the version in force as JSON
// Lines, in plate order.
func estimateAll(ctx context.Context, out io.Writer, b *backend, svc *permits.Service, asOf time.Time) error {
	if asOf.IsZero() {
		asOf = permits.Today(b.now())
	}
	v, err := b.store.VersionAsOf(ctx, b.municipality, asOf)
	if err != nil {
		return err
	}
	parcels, err := b.store.ParcelsIn(ctx, v.ID, v.Extent, int(^uint(0)>>1))
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(out)
	enc := json.NewEncoder(bw)
	for _, p := range parcels {
		est, err := svc.Estimate(ctx, permits.Where{ParcelID: p.ID, AsOf: asOf})
		if err != nil {
			return fmt.Errorf("parcel %s: %w", p.ID, err)
		}
		if err := enc.Encode(est); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// printEstimate writes the estimate as a table a person reads.
// printSource writes what an answer was computed on: the parcel, the plan
// version in force and the rule pack.
func printSource(w io.Writer, parcel *permits.ParcelInfo, plan permits.PlanRef, pack permits.PackRef, asOf string) {
	id := "(given outline)"
	if parcel != nil {
		id = parcel.ID
	}
	fmt.Fprintf(w, "parcel\t%s\n", id)
	fmt.Fprintf(w, "plan\t%s version %d (%s), in force from %s; as of %s\n",
		plan.Municipality, plan.Seq, plan.Label, plan.EffectiveFrom, asOf)
	fmt.Fprintf(w, "rule pack\t%s %s\n", pack.ID, pack.Version)
}

func printEstimate(w io.Writer, e *permits.Estimate) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	printSource(tw, e.Parcel, e.Plan, e.RulePack, e.AsOf)
	f := e.Facts
	front := "none (landlocked)"
	if f.Front != nil {
		front = fmt.Sprintf("%s, planned width %g m", f.Front.ID, f.Front.PlannedWidth)
	}
	fmt.Fprintf(tw, "site\tA %.2f m², W %.2f m², N %.2f m²; front street %s\n", f.A, f.W, f.N, front)
	var ss []string
	for _, st := range f.Streets {
		ss = append(ss, fmt.Sprintf("%s (planned %g m, %.3f m away)", st.ID, st.PlannedWidth, st.Distance))
	}
	fmt.Fprintf(tw, "streets within 1 m\t%s\n", orNone(strings.Join(ss, ", ")))
	var zs []string
	for _, z := range f.Zones {
		zs = append(zs, fmt.Sprintf("%s %.2f m² (f %.4f)", z.Code, z.Area, z.Fraction))
	}
	fmt.Fprintf(tw, "zones\t%s; governing %s\n", orNone(strings.Join(zs, ", ")), orNone(f.Governing))
	var os []string
	for _, o := range f.Overlays {
		os = append(os, fmt.Sprintf("%s %s %.2f m²", o.ID, o.Kind, o.Area))
	}
	fmt.Fprintf(tw, "overlays\t%s\n", orNone(strings.Join(os, ", ")))
	block := "none (no money figures)"
	if vb := f.ValueBlock; vb != nil {
		block = fmt.Sprintf("%s: P %d, TXr %d, TXc %d Rial/m²", vb.ID, vb.P, vb.TxResidential, vb.TxCommercial)
	}
	fmt.Fprintf(tw, "value block\t%s\n", block)
	for _, r := range e.Repairs {
		fmt.Fprintf(tw, "repaired\t%s\n", r)
	}
	if e.Stop != nil {
		fmt.Fprintf(tw, "NO ESTIMATE\t%s\n", e.Stop.En)
	}
	for _, n := range e.Notes {
		fmt.Fprintf(tw, "note\t%s\n", n.En)
	}
	if len(e.Figures) == 0 {
		return tw.Flush()
	}
	fmt.Fprintln(tw)
	fmt.Fprintln(tw, "figure\tvalue\tformula")
	for _, fig := range e.Figures {
		// A formula may span lines in the pack; one line keeps the columns.
		fmt.Fprintf(tw, "%s\t%s\t%s\n", fig.LabelEn, figureValue(fig), strings.Join(strings.Fields(fig.Formula), " "))
	}
	return tw.Flush()
}

func figureValue(f rules.Figure) string {
	var v string
	switch x := f.Value.(type) {
	case float64:
		if math.IsInf(x, 1) {
			return "no cap"
		}
		v = fmt.Sprintf("%.2f", x)
	case int64:
		v = fmt.Sprintf("%d", x)
	default:
		v = fmt.Sprint(x)
	}
	if f.Unit != "" {
		v += " " + f.Unit
	}
	return v
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
