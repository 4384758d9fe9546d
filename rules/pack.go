package rules

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"
)

// The files of a pack folder. pack.yaml and estimate.yaml are required; a
// pack without validation.yaml or violations.yaml does not offer that job.
const (
	filePack       = "pack.yaml"
	fileTables     = "tables.yaml"
	fileEstimate   = "estimate.yaml"
	fileValidation = "validation.yaml"
	fileViolations = "violations.yaml"
	dirTests       = "tests"
)

// Pack is a loaded, compiled rule pack. It is immutable and safe for
// concurrent use.
type Pack struct {
	Meta Meta

	tables     *tableSet
	estimate   *job
	validation *job // nil when the pack has none
	violations *job // nil when the pack has none
	fsys       fs.FS
}

// Meta is a pack's pack.yaml.
type Meta struct {
	ID             string    `json:"id"`
	Version        string    `json:"version"`
	Effective      time.Time `json:"effective"` // the date the rules took effect
	Municipality   string    `json:"municipality"`
	MunicipalityFa string    `json:"municipality_fa"`
	Languages      []string  `json:"languages"`
	Description    string    `json:"description,omitempty"`
}

// LoadPack reads and compiles the pack in fsys (the pack folder's contents).
// Every expression is compiled and type-checked once, here. A pack with any
// problem is refused whole, with a *LoadError listing each problem's file,
// line:column, rule and message.
func LoadPack(fsys fs.FS) (*Pack, error) {
	p, ps, err := load(fsys)
	if err != nil {
		return nil, err
	}
	if errs := errorsOnly(ps.list); len(errs) > 0 {
		id := p.Meta.ID
		if id == "" {
			id = "(no id)"
		}
		return nil, &LoadError{Pack: id, Problems: errs}
	}
	return p, nil
}

func errorsOnly(list []Problem) []Problem {
	var out []Problem
	for _, p := range list {
		if !p.Warning {
			out = append(out, p)
		}
	}
	return out
}

// load reads a pack and returns every problem found, warnings included. The
// error is for failures to read files at all.
func load(fsys fs.FS) (*Pack, *problems, error) {
	ps := &problems{}
	p := &Pack{fsys: fsys}
	files, err := readFiles(fsys, ps)
	if err != nil {
		return p, ps, err
	}
	p.Meta = readMeta(files[filePack], ps)
	p.tables = readTables(fileTables, files[fileTables], ps)
	checkTableNames(p.tables, ps)

	est := readJob(fileEstimate, files[fileEstimate], ps)
	p.estimate = buildJob(jobEstimate, p.tables, nil, est, ps)
	if data, ok := files[fileValidation]; ok {
		p.validation = buildJob(jobValidation, p.tables, est, readJob(fileValidation, data, ps), ps)
	}
	if data, ok := files[fileViolations]; ok {
		p.violations = buildJob(jobViolations, p.tables, est, readJob(fileViolations, data, ps), ps)
	}
	for _, t := range p.tables.tables {
		if !p.tables.used[t.name] && !p.tables.broken[t.name] {
			ps.warn(fileTables, t.line, t.col, "table "+t.name, "unused: no formula calls %s(…)", t.name)
		}
	}
	// The estimate's rules are compiled into every job; report each of
	// their problems once.
	ps.dedupe()
	return p, ps, nil
}

// readFiles reads the pack's YAML files, refusing unknown ones: a misspelt
// file name would otherwise drop its rules silently.
func readFiles(fsys fs.FS, ps *problems) (map[string][]byte, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("reading the pack folder: %w", err)
	}
	known := []string{filePack, fileTables, fileEstimate, fileValidation, fileViolations}
	files := map[string][]byte{}
	for _, e := range entries {
		name := e.Name()
		switch {
		case e.IsDir() || !strings.HasSuffix(name, ".yaml"):
			continue // tests/, README.md …
		case !slices.Contains(known, name):
			ps.add(name, 0, 0, "", "unknown pack file (a pack has %s)", strings.Join(known, ", "))
			continue
		}
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", name, err)
		}
		files[name] = data
	}
	for _, req := range []string{filePack, fileEstimate} {
		if _, ok := files[req]; !ok {
			ps.add(req, 0, 0, "", "missing: every pack needs %s", req)
		}
	}
	return files, nil
}

func readMeta(data []byte, ps *problems) Meta {
	var s packSpec
	if data == nil {
		return Meta{}
	}
	if err := decodeStrict(data, &s); err != nil {
		addYAMLErr(ps, filePack, err)
		return Meta{}
	}
	m := Meta{ID: s.ID.S, Version: s.Version, Municipality: s.Municipality, MunicipalityFa: s.MunicipalityFa, Languages: s.Languages, Description: s.Description}
	if !isIdent(m.ID) {
		ps.add(filePack, s.ID.Line, s.ID.Col, "", "id %q must be a plain name (letters, digits, _)", m.ID)
	}
	if m.Version == "" {
		ps.add(filePack, 0, 0, "", "version is missing")
	}
	if t, err := time.Parse(time.DateOnly, s.Effective); err != nil {
		ps.add(filePack, 0, 0, "", "effective must be a date YYYY-MM-DD, got %q", s.Effective)
	} else {
		m.Effective = t
	}
	if m.Municipality == "" {
		ps.add(filePack, 0, 0, "", "municipality is missing")
	}
	for _, l := range m.Languages {
		if l != "fa" && l != "en" {
			ps.add(filePack, 0, 0, "", "languages: %q is not supported (labels are fa and en)", l)
		}
	}
	return m
}

func readJob(file string, data []byte, ps *problems) *jobSpec {
	var j jobSpec
	if data == nil {
		return &j
	}
	if err := decodeStrict(data, &j); err != nil {
		addYAMLErr(ps, file, err)
		return &jobSpec{} // what was read of a file that does not decode is not reported on
	}
	j.fillSources(file, strings.Split(string(data), "\n"))
	return &j
}

// checkTableNames refuses table names that clash with facts or built-ins.
func checkTableNames(ts *tableSet, ps *problems) {
	env := jobViolations.template()
	for k := range jobValidation.template() {
		env[k] = nil
	}
	seen := map[string]bool{}
	for _, t := range ts.tables {
		_, fact := env[t.name]
		switch {
		case fact || slices.Contains(builtins, t.name) || slices.Contains(reserved, t.name):
			ps.add(fileTables, t.line, t.col, "table "+t.name, "the name %s is taken by a fact or built-in", t.name)
		case seen[t.name]:
			ps.add(fileTables, t.line, t.col, "table "+t.name, "table given twice")
		}
		seen[t.name] = true
	}
}

// Bundled loads a pack shipped in the binary (rules/packs/NAME).
func Bundled(name string) (*Pack, error) {
	sub, err := BundledFS(name)
	if err != nil {
		return nil, err
	}
	return LoadPack(sub)
}

// BundledNames lists the packs shipped in the binary.
func BundledNames() []string {
	entries, _ := fs.ReadDir(bundled, "packs")
	var out []string
	for _, e := range entries {
		if e.IsDir() {
			out = append(out, e.Name())
		}
	}
	return out
}

// BundledFS returns the folder of a pack shipped in the binary, for Lint.
func BundledFS(name string) (fs.FS, error) {
	if !isIdent(name) {
		return nil, fmt.Errorf("no bundled rule pack %q", name)
	}
	dir := path.Join("packs", name)
	if _, err := fs.Stat(bundled, path.Join(dir, filePack)); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("no bundled rule pack %q (bundled: %s)", name, strings.Join(BundledNames(), ", "))
		}
		return nil, fmt.Errorf("opening bundled pack %s: %w", name, err)
	}
	return fs.Sub(bundled, dir)
}
