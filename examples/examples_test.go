package examples

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/parvaneh/parvaneh/citygen"
	"github.com/parvaneh/parvaneh/layers"
)

var bundle = []string{
	"manifest.yaml", "parcels.geojson", "master_plan.geojson", "detailed_plan.geojson",
	"streets.geojson", "overlays.geojson", "value_blocks.geojson", "notable.json",
}

func TestNemunehHoldsTheBundle(t *testing.T) {
	for _, name := range append(bundle, "README.md") {
		b, err := fs.ReadFile(Nemuneh(), name)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if len(b) == 0 {
			t.Errorf("%s is empty", name)
		}
	}
}

// The bundle reader takes the sample as it is: nothing refused, nothing
// repaired.
func TestNemunehReadsCleanly(t *testing.T) {
	b, err := layers.ReadBundle(Nemuneh())
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Warnings) > 0 {
		t.Errorf("the reader repaired the sample: %v", b.Warnings)
	}
	if n := len(b.Parcels); n != citygen.DefaultParcels {
		t.Errorf("%d parcels, want %d", n, citygen.DefaultParcels)
	}
}

// The committed bundle is exactly what the generator makes with its
// defaults ("go generate ./examples" after a generator change). Compared
// on amd64 only: elsewhere the compiler may fuse floating-point operations
// and move a last digit.
func TestNemunehIsTheGeneratorsOutput(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("byte-identical output is checked on amd64")
	}
	dir := t.TempDir()
	if _, err := citygen.Generate(context.Background(), citygen.DefaultOptions(), dir); err != nil {
		t.Fatal(err)
	}
	for _, name := range bundle {
		want, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		got, err := fs.ReadFile(Nemuneh(), name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the generator's output: run go generate ./examples", name)
		}
	}
}
