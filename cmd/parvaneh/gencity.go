package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/parvaneh/parvaneh/citygen"
)

// runGenCity writes a sample-city plan bundle:
//
//	parvaneh gencity -parcels N -seed S -out DIR [-plan-version L -effective-from D]
func runGenCity(ctx context.Context, env *cliEnv, args []string) error {
	def := citygen.DefaultOptions()
	fs := flag.NewFlagSet("gencity", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	parcels := fs.Int("parcels", def.Parcels, fmt.Sprintf("number of parcels (at least %d)", citygen.MinParcels))
	seed := fs.Uint64("seed", def.Seed, "random seed: the same seed and size give the same files")
	out := fs.String("out", "", "directory to write the bundle into (required)")
	version := fs.String("plan-version", def.PlanVersion, "plan version label for the manifest")
	from := fs.String("effective-from", def.EffectiveFrom.Format(time.DateOnly), "date the plan takes effect, YYYY-MM-DD")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if *out == "" || fs.NArg() > 0 {
		return fmt.Errorf("%w: parvaneh gencity [-parcels N] [-seed S] [-plan-version L] [-effective-from D] -out DIR", errUsage)
	}
	date, err := time.Parse(time.DateOnly, *from)
	if err != nil {
		return fmt.Errorf("%w: -effective-from %q is not a YYYY-MM-DD date", errUsage, *from)
	}
	opts := citygen.Options{Parcels: *parcels, Seed: *seed, PlanVersion: *version, EffectiveFrom: date}
	start := time.Now()
	sum, err := citygen.Generate(ctx, opts, *out)
	if err != nil {
		return fmt.Errorf("generating the city into %s: %w", *out, err)
	}
	env.log.Info("city generated", "dir", *out, "parcels", sum.Parcels, "seed", *seed, "took", time.Since(start).Round(time.Millisecond))
	fmt.Fprintf(env.stdout, "%s: %d parcels, %d streets, %d detailed-plan zones, %d master-plan zones, %d overlays, %d value blocks; %d×%d blocks; %d notable parcels in notable.json\n",
		*out, sum.Parcels, sum.Streets, sum.DetailedZones, sum.MasterZones, sum.Overlays, sum.ValueBlocks,
		sum.Columns, sum.Rows, len(sum.Notable))
	return nil
}
