package api

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"slices"

	"github.com/gin-gonic/gin"

	"github.com/parvaneh/parvaneh/layers"
)

// Importer takes a plan bundle in as a new plan version; both stores are
// one.
type Importer interface {
	Import(ctx context.Context, b *layers.Bundle) (layers.PlanVersion, error)
}

// PackChecker names the zones of a bundle that its rule pack has no
// regulations for; *permits.Service is one.
type PackChecker interface {
	Unregulated(b *layers.Bundle) []layers.Problem
}

// bundleRoute is the admin's upload of a plan bundle.
const bundleRoute = "/api/v1/plan/versions"

// maxUnzipped bounds what an uploaded archive may expand to, as a multiple
// of the upload limit: a plan bundle's GeoJSON compresses well, a zip bomb
// far better. The sizes its entries declare are checked before anything is
// read, and archive/zip refuses an entry that inflates past its declared
// size, so no more than this is ever read.
const maxUnzipped = 16

// importBundle answers POST /api/v1/plan/versions: the body is a plan
// bundle (layers.md) as a zip archive, its files at the top or in one
// folder. The bundle is read and validated as `parvaneh import` does; a
// bundle that breaks the contract is refused whole with every problem
// (422 invalid_bundle), and so is one for another municipality than this
// server's or naming a rule pack the server has not loaded. With
// ?check=true nothing is stored: the answer says what would be imported.
func (s *Server) importBundle(c *gin.Context) {
	imp, ok := s.plans.(Importer)
	if !ok {
		s.fail(c, errUnavailable.with("", "this store takes no imports"))
		return
	}
	// One bundle at a time: each is read whole into memory.
	s.importing.Lock()
	defer s.importing.Unlock()
	checkOnly := c.Query("check") == "true"
	if q := c.Query("check"); q != "" && q != "true" && q != "false" {
		s.fail(c, errInvalid.with("check", "true or false"))
		return
	}
	body, ok := s.readBody(c)
	if !ok {
		return
	}
	fsys, err := openArchive(body, s.cfg.MaxBundleBytes*maxUnzipped)
	if err != nil {
		s.fail(c, err)
		return
	}
	ctx := c.Request.Context()
	b, err := layers.ReadBundleWithOptions(ctx, fsys, layers.ReadOptions{})
	if err == nil {
		err = s.fitsServer(b.Manifest)
	}
	var be *layers.BundleError
	if errors.As(err, &be) {
		c.AbortWithStatusJSON(http.StatusUnprocessableEntity, gin.H{
			"error":    errInvalidBundle.with("", fmt.Sprintf("%d problem(s)", len(be.Problems))),
			"problems": be.Problems,
		})
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	// Zones the pack cannot regulate are warned of, not refused: the bundle
	// keeps to its contract, and it is the pack that must catch up.
	warnings := append([]layers.Problem{}, b.Warnings...)
	if pc, ok := s.jobs.(PackChecker); ok {
		warnings = append(warnings, pc.Unregulated(b)...)
	}
	out := gin.H{"manifest": b.Manifest, "features": b.Counts(), "warnings": warnings}
	if checkOnly {
		c.JSON(http.StatusOK, out)
		return
	}
	v, err := imp.Import(ctx, b)
	if err != nil {
		s.fail(c, err)
		return
	}
	out["version"] = v
	c.JSON(http.StatusCreated, out)
}

// fitsServer refuses a bundle this server would not answer from: another
// municipality's, or one whose rule pack is not loaded.
func (s *Server) fitsServer(m layers.Manifest) error {
	var problems []layers.Problem
	if m.Municipality != s.cfg.Municipality {
		problems = append(problems, layers.Problem{File: "manifest.yaml", Property: "municipality",
			Reason: fmt.Sprintf("this server answers for %s, not %s", s.cfg.Municipality, m.Municipality)})
	}
	if len(s.cfg.RulePacks) > 0 && !slices.Contains(s.cfg.RulePacks, m.RulePack) {
		problems = append(problems, layers.Problem{File: "manifest.yaml", Property: "rule_pack",
			Reason: fmt.Sprintf("rule pack %q is not loaded on this server (loaded: %v)", m.RulePack, s.cfg.RulePacks)})
	}
	if problems != nil {
		return &layers.BundleError{Problems: problems}
	}
	return nil
}

// openArchive opens a zip archive as the bundle's folder: its top, or the
// one folder everything is in. An archive expanding beyond limit bytes is
// refused before anything is read.
func openArchive(body []byte, limit int64) (fs.FS, error) {
	zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		return nil, errBadArchive.with("", "the body is not a zip archive: "+err.Error())
	}
	// Added so that the sum cannot wrap around: an entry declaring more
	// than is left is refused before it counts.
	var total uint64
	for _, f := range zr.File {
		if f.UncompressedSize64 > uint64(limit)-total {
			return nil, errBodyTooLarge.with("", fmt.Sprintf("the archive expands to more than %d bytes", limit))
		}
		total += f.UncompressedSize64
	}
	if _, err := fs.Stat(zr, "manifest.yaml"); err == nil {
		return zr, nil
	}
	top, err := fs.ReadDir(zr, ".")
	if err != nil {
		return nil, errBadArchive.with("", "unreadable archive: "+err.Error())
	}
	if len(top) == 1 && top[0].IsDir() {
		if _, err := fs.Stat(zr, path.Join(top[0].Name(), "manifest.yaml")); err == nil {
			return fs.Sub(zr, top[0].Name())
		}
	}
	return nil, errBadArchive.with("", "no manifest.yaml at the archive's top or in its one folder")
}
