// Package examples ships the sample city Nemuneh (نمونه) as a plan bundle
// embedded in the binary, so "parvaneh serve" works with no database and
// tests have a realistic city. The bundle is the generator's output with
// its default size and seed; regenerate it with "go generate ./examples".
package examples

import (
	"embed"
	"io/fs"
)

//go:generate go run ../cmd/parvaneh gencity -out nemuneh

//go:embed nemuneh
var files embed.FS

// Nemuneh returns the sample bundle: manifest.yaml and the six layer files
// at its root, with notable.json (the planted parcels, outside the bundle
// contract) and README.md beside them.
func Nemuneh() fs.FS {
	sub, err := fs.Sub(files, "nemuneh")
	if err != nil {
		// The name is a constant that go:embed has already checked.
		panic(err)
	}
	return sub
}
