package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/peterstace/simplefeatures/geom"

	"github.com/parvaneh/parvaneh/api"
	"github.com/parvaneh/parvaneh/examples"
	"github.com/parvaneh/parvaneh/layers"
	"github.com/parvaneh/parvaneh/layers/memstore"
	"github.com/parvaneh/parvaneh/permits"
	"github.com/parvaneh/parvaneh/rules"
	"github.com/parvaneh/parvaneh/web"
)

const chromiumPath = "/usr/bin/chromium"

// TestBrowserMapPage drives the applicant's map page in headless Chromium:
// search a plate, pick a parcel on the map, upload an outline, switch
// language, print; every number the page shows is checked against the API.
func TestBrowserMapPage(t *testing.T) {
	needChromium(t)
	app := newApp(t)
	b := newBrowser(t)
	out := outputDir(t)

	search, click := notableParcel(t, "corner"), notableParcel(t, "two_zones")

	b.do(chromedp.Navigate(app.URL))
	b.waitJS(`document.querySelector('#map').dataset.state === 'ready' && parvaneh.state.plan !== null`)

	// Persian is the default: right to left, Persian words.
	b.expectJS(`document.documentElement.dir`, "rtl")
	b.expectJS(`document.documentElement.lang`, "fa")
	b.expectJS(`document.querySelector('#lang-toggle').textContent`, "English")

	checkFormatting(t, b)

	// The whole city is in view, zoomed out: zones drawn, parcels not
	// fetched, a hint says to zoom in.
	if z := b.evalFloat(`parvaneh.map.getZoom()`); z >= 17 {
		t.Errorf("the city opens at zoom %v, want below the parcels' zoom 17", z)
	}
	b.expectJS(`String(document.querySelector('#map-hint').hidden)`, "false")
	b.expectJS(`String(document.querySelector('#map').dataset.parcels)`, "undefined")
	b.expectJS(`String(document.querySelectorAll('.legend [data-legend]').length > 0)`, "true")

	// Search with the plate typed in Persian digits.
	b.do(chromedp.SendKeys(chromedp.CSS("#search-input"), persianDigits(search)),
		chromedp.Click(chromedp.CSS("#search-button")))
	b.waitPanel(search, "parcel")
	est := app.estimate(t, search)
	checkSummary(t, b, est, "fa")
	b.expectJS(`document.querySelector('#plan-effective').textContent`,
		b.evalString(`parvaneh.formatDate(`+jsString(est.Plan.EffectiveFrom)+`, 'fa')`))
	b.expectJS(`document.querySelector('#plan-effective').dataset.iso`, est.Plan.EffectiveFrom)

	// English: left to right, Latin digits, Gregorian dates, the choice kept.
	b.do(chromedp.Click(chromedp.CSS("#lang-toggle")))
	b.expectJS(`document.documentElement.dir`, "ltr")
	b.expectJS(`document.documentElement.lang`, "en")
	b.expectJS(`localStorage.getItem('parvaneh.lang')`, "en")
	checkSummary(t, b, est, "en")
	eff, err := time.Parse(time.DateOnly, est.Plan.EffectiveFrom)
	if err != nil {
		t.Fatalf("plan effective_from %q: %v", est.Plan.EffectiveFrom, err)
	}
	b.expectJS(`document.querySelector('#plan-effective').textContent`, eff.Format("2 January 2006"))
	checkFigures(t, b, est)
	b.screenshot(out, "browser-en.png")

	// Click a parcel on the map (the legend folded, so it covers nothing).
	b.do(chromedp.Evaluate[chromedp.Void](`document.querySelector('.legend').open = false`))
	lon, lat := interiorPoint(t, app.parcel(t, click))
	b.do(chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`void parvaneh.map.setView([%f, %f], 19, {animate: false})`, lat, lon)))
	b.idle()
	if n := b.evalString(`document.querySelector('#map').dataset.parcels || '0'`); n == "0" {
		t.Errorf("no parcels drawn at zoom 19 around %s", click)
	}
	x, y := b.evalFloat(fmt.Sprintf(`(() => { const p = parvaneh.map.latLngToContainerPoint([%f, %f]);
		const r = document.querySelector('#map').getBoundingClientRect(); return r.left + p.x; })()`, lat, lon)),
		b.evalFloat(fmt.Sprintf(`(() => { const p = parvaneh.map.latLngToContainerPoint([%f, %f]);
		const r = document.querySelector('#map').getBoundingClientRect(); return r.top + p.y; })()`, lat, lon))
	b.do(chromedp.MouseClickXY(x, y))
	b.waitPanel(click, "parcel")
	clicked := app.estimate(t, click)
	checkSummary(t, b, clicked, "en")

	// Draw a small outline inside the clicked parcel.
	b.do(chromedp.Click(chromedp.CSS("#draw-button")))
	for _, d := range [][2]float64{{-20, -20}, {20, -20}, {20, 20}, {-20, 20}} {
		b.do(chromedp.MouseClickXY(x+d[0], y+d[1]))
	}
	b.do(chromedp.Click(chromedp.CSS("#draw-finish")))
	b.waitPanel("", "drawn")
	drawn := app.estimateGeometry(t, []byte(b.evalString(`JSON.stringify(parvaneh.state.selection.feature)`)))
	checkSummary(t, b, drawn, "en")

	// Back to the clicked parcel by its link.
	b.do(chromedp.Evaluate[chromedp.Void](`location.hash = '#parcel=' + encodeURIComponent(` + jsString(click) + `)`))
	b.waitPanel(click, "parcel")

	// Back to Persian on the clicked parcel.
	b.do(chromedp.Click(chromedp.CSS("#lang-toggle")))
	b.expectJS(`document.documentElement.dir`, "rtl")
	b.expectJS(`localStorage.getItem('parvaneh.lang')`, "fa")
	checkSummary(t, b, clicked, "fa")
	if got := b.evalString(`document.querySelector('#as-of').textContent`); !regexp.MustCompile(`^[۰-۹]+ \p{Arabic}+ [۰-۹]{4}$`).MatchString(got) {
		t.Errorf("as-of date in Persian = %q, want a Jalali date in Persian digits", got)
	}
	b.screenshot(out, "browser-fa.png")

	// Print: one A4 page, the map left out.
	b.emulateMedia("print")
	b.expectJS(`getComputedStyle(document.querySelector('.map-wrap')).display`, "none")
	b.expectJS(`String(getComputedStyle(document.querySelector('.sheet-head')).display !== 'none')`, "true")
	b.screenshot(out, "browser-print.png")
	b.emulateMedia("")
	// The browser's print opens every figure's explanation (beforeprint);
	// even so the sheet fits one page.
	b.do(chromedp.Evaluate[chromedp.Void](`window.printed = 0; addEventListener('beforeprint', () => { window.printed = document.querySelectorAll('#figures details[open]').length; }, {once: true})`))
	pdf := b.pdf()
	writeOutput(t, out, "browser-print.pdf", pdf)
	if got, want := b.evalString(`String(window.printed)`), strconv.Itoa(len(clicked.Figures)); got != want {
		t.Errorf("%s figures open when printing, want all %s", got, want)
	}
	if n := pdfPages(pdf); n != 1 {
		t.Errorf("the printed instruction sheet has %d pages, want 1", n)
	}

	// Upload the searched parcel's outline: same figures as by plate.
	outline := app.parcel(t, search)
	file := filepath.Join(t.TempDir(), "outline.geojson")
	if err := os.WriteFile(file, outline, 0o644); err != nil {
		t.Fatal(err)
	}
	b.do(chromedp.SetUploadFiles(chromedp.CSS("#outline-file"), []string{file}))
	b.waitPanel("", "uploaded")
	byGeometry := app.estimateGeometry(t, outline)
	checkSummary(t, b, byGeometry, "fa")

	// An outline outside the city: the API's refusal, in Persian.
	swapped := `{"type":"Polygon","coordinates":[[[36.27,50.0],[36.271,50.0],[36.271,50.001],[36.27,50.0]]]}`
	if err := os.WriteFile(file, []byte(swapped), 0o644); err != nil {
		t.Fatal(err)
	}
	b.do(chromedp.SetUploadFiles(chromedp.CSS("#outline-file"), []string{file}))
	want := app.estimateError(t, swapped)
	b.waitJS(`!document.querySelector('#error').hidden && document.querySelector('#panel').dataset.state === 'error'`)
	b.expectJS(`document.querySelector('#error').dataset.code`, want.Code)
	b.expectJS(`document.querySelector('#error .message').textContent`, want.MessageFa)

	// An unknown plate: not found, in English after switching.
	b.do(chromedp.Click(chromedp.CSS("#lang-toggle")))
	b.do(chromedp.SetValue(chromedp.CSS("#search-input"), "99999/1"),
		chromedp.Click(chromedp.CSS("#search-button")))
	b.waitJS(`document.querySelector('#error').dataset.code === 'parcel_not_found'`)
	b.expectJS(`document.querySelector('#error .message').textContent`,
		"No parcel has this plate number in the plan version in force.")

	// An engineer checks a plan: the footprint crosses the widening line, so
	// the setback check fails and comes first; the footprint is drawn over
	// the parcel and its widening; every figure is the API's.
	proposal, err := filepath.Abs(filepath.Join("..", "permits", "testdata", "validations", "footprint_across_widening.proposal.json"))
	if err != nil {
		t.Fatal(err)
	}
	b.do(chromedp.SetUploadFiles(chromedp.CSS("#proposal-file"), []string{proposal}))
	report := app.validate(t, proposal)
	b.waitPanel(report.Parcel.ID, "proposal")
	checkValidation(t, b, report, "en")
	b.screenshot(out, "browser-validation-en.png")
	b.do(chromedp.Click(chromedp.CSS("#lang-toggle")))
	checkValidation(t, b, report, "fa")
	b.screenshot(out, "browser-validation-fa.png")

	b.checkConsole(t, "/api/v1/estimates", "/api/v1/parcels/99999/1")
}

// checkValidation compares the plan-check panel with the API's report: the
// verdict, the checks in the report's order (failing first) with their
// labels in the page's language, the dues total, and the drawing (parcel,
// widening clipped to it, footprint marked as failing its setback).
func checkValidation(t *testing.T, b *browser, v *permits.Validation, lang string) {
	t.Helper()
	b.expectJS(`document.querySelector('#validation-verdict').dataset.failed`, strconv.Itoa(v.Failed))
	b.expectJS(`document.querySelector('#validation-verdict').dataset.passed`, strconv.FormatBool(v.Passed))
	var ids, labels []string
	for _, c := range v.Checks {
		ids = append(ids, c.ID)
		if lang == "fa" {
			labels = append(labels, c.LabelFa)
		} else {
			labels = append(labels, c.LabelEn)
		}
	}
	b.expectJS(`[...document.querySelectorAll('#checks tbody tr')].map((r) => r.dataset.check).join(',')`, strings.Join(ids, ","))
	b.expectJS(`[...document.querySelectorAll('#checks tbody th')].map((c) => c.textContent).join('|')`, strings.Join(labels, "|"))
	b.expectJS(`document.querySelector('#checks tbody tr').dataset.pass`, "false")
	if v.DuesTotal == nil {
		t.Fatal("the report has no dues total")
	}
	b.expectJS(`document.querySelector('#dues tr[data-dues="total"] td .num').textContent`,
		b.evalString(fmt.Sprintf(`parvaneh.formatMoney(%d, %s)`, *v.DuesTotal, jsString(lang))))
	b.expectJS(`String(document.querySelectorAll('#dues tr').length)`, strconv.Itoa(len(v.Dues)+1))
	b.expectJS(`String(!!document.querySelector('#validation-parcel'))`, "true")
	b.expectJS(`String(document.querySelectorAll('path.widening').length > 0)`, "true")
	b.expectJS(`getComputedStyle(document.querySelector('path.widening')).clipPath`, `url("#clip-parcel")`)
	b.expectJS(`document.querySelector('path.footprint').getAttribute('stroke')`, "#b3261e")
}

// checkFormatting runs the page's own formatting code on known cases:
// Gregorian→Jalali dates (Nowruz and leap years), Persian digits and the
// Persian thousands separator.
func checkFormatting(t *testing.T, b *browser) {
	t.Helper()
	jalali := []struct{ g, j string }{
		{"2025-03-21", "1404/1/1"},   // Nowruz 1404
		{"2025-03-20", "1403/12/30"}, // 1403 is a leap year
		{"2024-03-20", "1403/1/1"},
		{"2024-03-19", "1402/12/29"},
		{"2016-03-20", "1395/1/1"},
		{"2021-03-21", "1400/1/1"},
		{"2000-01-01", "1378/10/11"},
		{"1979-02-11", "1357/11/22"},
		{"2026-11-23", "1405/9/2"},
		{"2030-12-31", "1409/10/10"},
	}
	for _, c := range jalali {
		g, err := time.Parse(time.DateOnly, c.g)
		if err != nil {
			t.Fatal(err)
		}
		got := b.evalString(fmt.Sprintf(`parvaneh.toJalali(%d, %d, %d).join('/')`, g.Year(), g.Month(), g.Day()))
		if got != c.j {
			t.Errorf("toJalali(%s) = %s, want %s", c.g, got, c.j)
		}
	}
	for _, c := range []struct{ js, want string }{
		{`parvaneh.formatDate('2025-03-21', 'fa')`, "۱ فروردین ۱۴۰۴"},
		{`parvaneh.formatDate('2025-03-21T00:00:00Z', 'en')`, "21 March 2025"},
		{`parvaneh.formatMoney(456850700, 'fa')`, "۴۵۶٬۸۵۰٬۷۰۰"},
		{`parvaneh.formatMoney(456850700, 'en')`, "456,850,700"},
		{`parvaneh.formatNumber(1114.27, 'fa', {minDec: 2, maxDec: 2})`, "۱٬۱۱۴٫۲۷"},
		{`parvaneh.formatNumber('inf', 'fa')`, "∞"},
	} {
		if got := b.evalString(c.js); got != c.want {
			t.Errorf("%s = %q, want %q", c.js, got, c.want)
		}
	}
}

// checkSummary compares the floors and dues the panel shows with the API's.
func checkSummary(t *testing.T, b *browser, est *permits.Estimate, lang string) {
	t.Helper()
	floors := b.evalString(`document.querySelector('[data-summary="floors"] .value').textContent`)
	dues := b.evalString(`document.querySelector('[data-summary="dues"] .value').textContent`)
	if est.Summary.Floors == nil || est.Summary.Dues == nil {
		t.Fatalf("estimate of %v has no floors or dues; pick a buildable parcel with a value block", est.Parcel)
	}
	wantFloors := strconv.FormatFloat(*est.Summary.Floors, 'f', -1, 64)
	wantDues := groupThousands(*est.Summary.Dues, ",")
	if lang == "fa" {
		wantFloors, wantDues = persianDigits(wantFloors), persianDigits(groupThousands(*est.Summary.Dues, "٬"))
		for _, s := range []string{floors, dues} {
			if strings.ContainsAny(s, "0123456789") {
				t.Errorf("Persian panel shows Latin digits: %q", s)
			}
		}
	}
	if num := strings.Fields(floors); len(num) == 0 || num[0] != wantFloors {
		t.Errorf("%s: floors shown %q, want %s (API %v)", lang, floors, wantFloors, *est.Summary.Floors)
	}
	if num := strings.Fields(dues); len(num) == 0 || num[0] != wantDues {
		t.Errorf("%s: dues shown %q, want %s (API %d Rial)", lang, dues, wantDues, *est.Summary.Dues)
	}
}

// checkFigures checks that every figure of the estimate is listed with its
// label, formula and inputs (English mode).
func checkFigures(t *testing.T, b *browser, est *permits.Estimate) {
	t.Helper()
	type shown struct {
		ID      string `json:"id"`
		Label   string `json:"label"`
		Formula string `json:"formula"`
		Inputs  int    `json:"inputs"`
	}
	raw := b.evalString(`JSON.stringify([...document.querySelectorAll('[data-figure]')].map((d) => ({
		id: d.dataset.figure, label: d.querySelector('summary .label').textContent,
		formula: d.querySelector('.formula').textContent, inputs: d.querySelectorAll('[data-input]').length})))`)
	var got []shown
	if err := json.Unmarshal([]byte(raw), &got); err != nil {
		t.Fatalf("reading figures: %v", err)
	}
	if len(got) != len(est.Figures) {
		t.Fatalf("page lists %d figures, API gives %d", len(got), len(est.Figures))
	}
	for i, f := range est.Figures {
		want := shown{ID: f.ID, Label: f.LabelEn, Formula: f.Formula, Inputs: len(f.Inputs)}
		if got[i] != want {
			t.Errorf("figure %d: page %+v, API %+v", i, got[i], want)
		}
	}
}

// ---- the application ----

type app struct {
	*httptest.Server
}

// newApp builds the whole application as cmd/parvaneh/serve.go wires it, on
// the sample city in the embedded store.
func newApp(t *testing.T) *app {
	t.Helper()
	ctx := t.Context()
	bundle, err := layers.ReadBundle(examples.Nemuneh())
	if err != nil {
		t.Fatalf("reading the sample city: %v", err)
	}
	st := memstore.New()
	if _, err := st.Import(ctx, bundle); err != nil {
		t.Fatalf("loading the sample city: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	names, err := st.Municipalities(ctx)
	if err != nil || len(names) != 1 {
		t.Fatalf("municipalities %v, %v; want one", names, err)
	}
	packs := permits.PackSet{}
	for _, name := range rules.BundledNames() {
		p, err := rules.Bundled(name)
		if err != nil {
			t.Fatalf("loading rule pack %s: %v", name, err)
		}
		packs[p.Meta.ID] = p
	}
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	svc := permits.NewService(st, packs, names[0], time.Now)
	srv := api.New(api.Config{Municipality: names[0]}, st, svc, nil, nil, web.Handler(), log)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return &app{ts}
}

func (a *app) get(t *testing.T, path string) []byte {
	t.Helper()
	res, err := http.Get(a.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(res.Body); err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s %s", path, res.Status, buf.Bytes())
	}
	return buf.Bytes()
}

func (a *app) estimate(t *testing.T, plate string) *permits.Estimate {
	t.Helper()
	var est permits.Estimate
	if err := json.Unmarshal(a.get(t, "/api/v1/estimates?parcel_id="+url.QueryEscape(plate)), &est); err != nil {
		t.Fatalf("estimate of %s: %v", plate, err)
	}
	return &est
}

// validate posts a proposal file to the API and returns its report.
func (a *app) validate(t *testing.T, file string) *permits.Validation {
	t.Helper()
	body, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.Post(a.URL+"/api/v1/validations", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var v permits.Validation
	if err := json.NewDecoder(res.Body).Decode(&v); err != nil || res.StatusCode != http.StatusOK || v.Parcel == nil {
		t.Fatalf("POST /api/v1/validations %s: %s, %v", file, res.Status, err)
	}
	return &v
}

func (a *app) parcel(t *testing.T, plate string) []byte {
	t.Helper()
	return a.get(t, "/api/v1/parcels/"+plate)
}

func (a *app) post(t *testing.T, geometry string) (*http.Response, []byte) {
	t.Helper()
	body := `{"geometry":` + geometry + `}`
	res, err := http.Post(a.URL+"/api/v1/estimates", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(res.Body); err != nil {
		t.Fatal(err)
	}
	return res, buf.Bytes()
}

func (a *app) estimateGeometry(t *testing.T, feature []byte) *permits.Estimate {
	t.Helper()
	var f struct{ Geometry json.RawMessage }
	if err := json.Unmarshal(feature, &f); err != nil {
		t.Fatal(err)
	}
	res, body := a.post(t, string(f.Geometry))
	if res.StatusCode != http.StatusOK {
		t.Fatalf("POST estimate: %s %s", res.Status, body)
	}
	var est permits.Estimate
	if err := json.Unmarshal(body, &est); err != nil {
		t.Fatal(err)
	}
	return &est
}

type apiError struct {
	Code      string `json:"code"`
	MessageEn string `json:"message_en"`
	MessageFa string `json:"message_fa"`
}

func (a *app) estimateError(t *testing.T, geometry string) apiError {
	t.Helper()
	res, body := a.post(t, geometry)
	var e struct{ Error apiError }
	if err := json.Unmarshal(body, &e); err != nil || res.StatusCode < 400 || e.Error.Code == "" {
		t.Fatalf("POST estimate of %s: %s %s, want an error body", geometry, res.Status, body)
	}
	return e.Error
}

// notableParcel is the plate of a parcel the sample city plants on purpose.
func notableParcel(t *testing.T, kind string) string {
	t.Helper()
	raw, err := fs.ReadFile(examples.Nemuneh(), "notable.json")
	if err != nil {
		t.Fatal(err)
	}
	var n struct {
		Notable []struct {
			Kind     string `json:"kind"`
			ParcelID string `json:"parcel_id"`
		} `json:"notable"`
	}
	if err := json.Unmarshal(raw, &n); err != nil {
		t.Fatal(err)
	}
	for _, p := range n.Notable {
		if p.Kind == kind {
			return p.ParcelID
		}
	}
	t.Fatalf("the sample city plants no %q parcel", kind)
	return ""
}

// interiorPoint is a point inside a GeoJSON Feature's polygon.
func interiorPoint(t *testing.T, feature []byte) (lon, lat float64) {
	t.Helper()
	var f struct{ Geometry json.RawMessage }
	if err := json.Unmarshal(feature, &f); err != nil {
		t.Fatal(err)
	}
	g, err := geom.UnmarshalGeoJSON(f.Geometry)
	if err != nil {
		t.Fatal(err)
	}
	xy, ok := g.PointOnSurface().XY()
	if !ok {
		t.Fatal("parcel has no interior point")
	}
	return xy.X, xy.Y
}

// ---- the browser ----

type browser struct {
	t   *testing.T
	ctx context.Context

	mu      sync.Mutex
	console []chromedp.ConsoleMessage
}

// newBrowser starts headless Chromium with a fresh profile, collecting the
// page's console messages.
func newBrowser(t *testing.T) *browser {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	timeout, cancelTimeout := context.WithTimeout(context.Background(), 3*time.Minute)
	alloc, cancelAlloc := chromedp.NewExecAllocator(timeout, opts...)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	b := &browser{t: t, ctx: ctx}
	messages := chromedp.Console(ctx) // starts the browser and subscribes
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m, err := range messages {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.console = append(b.console, m)
			b.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		cancelCtx()
		cancelAlloc()
		cancelTimeout()
		<-done
	})
	return b
}

func (b *browser) do(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.t.Fatal(err)
	}
}

func (b *browser) evalString(js string) string {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](js, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("%s: %v", js, err)
	}
	return v
}

func (b *browser) evalFloat(js string) float64 {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[float64](js))
	if err != nil {
		b.t.Fatalf("%s: %v", js, err)
	}
	return v
}

func (b *browser) expectJS(js, want string) {
	b.t.Helper()
	if got := b.evalString(js); got != want {
		b.t.Errorf("%s = %q, want %q", js, got, want)
	}
}

// waitJS waits until the expression (or the promise it gives) is truthy.
func (b *browser) waitJS(js string) {
	b.t.Helper()
	_, err := chromedp.Run(b.ctx, chromedp.Poll[chromedp.Void](js,
		chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(30*time.Second)))
	if err != nil {
		b.t.Fatalf("waiting for %s: %v (panel: %s)", js, err, b.panelState())
	}
}

// idle waits until the page has no API request in flight.
func (b *browser) idle() {
	b.t.Helper()
	if _, err := chromedp.Run(b.ctx, chromedp.Evaluate[chromedp.Void](`parvaneh.whenIdle()`, chromedp.EvalAwaitPromise)); err != nil {
		b.t.Fatalf("waiting for the page to settle: %v", err)
	}
}

// emulateMedia makes CSS see the media type ("print"; "" for the screen).
func (b *browser) emulateMedia(media string) {
	b.t.Helper()
	if _, err := chromedp.Call(b.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: media}); err != nil {
		b.t.Fatalf("emulating media %q: %v", media, err)
	}
}

func (b *browser) panelState() string {
	v, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](
		`JSON.stringify({panel: document.querySelector('#panel').dataset, error: document.querySelector('#error').textContent})`))
	return v
}

// waitPanel waits until the panel shows the estimate of the plate (or of an
// outline of the given kind).
func (b *browser) waitPanel(plate, kind string) {
	b.t.Helper()
	b.waitJS(fmt.Sprintf(`(() => { const p = document.querySelector('#panel').dataset;
		return p.state === 'ready' && p.selection === %s && (p.parcel || '') === %s; })()`, jsString(kind), jsString(plate)))
}

func (b *browser) screenshot(dir, name string) {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.t.Fatalf("screenshot: %v", err)
	}
	writeOutput(b.t, dir, name, png)
}

func (b *browser) pdf() []byte {
	b.t.Helper()
	pdf, err := chromedp.Run(b.ctx, chromedp.PrintToPDF(chromedp.PDFPaper(chromedp.PaperA4), chromedp.PDFPreferCSSPageSize()))
	if err != nil {
		b.t.Fatalf("printing to PDF: %v", err)
	}
	return pdf
}

// checkConsole fails on any exception or error the page logged, except the
// browser's own notes of the API errors the test asked for.
func (b *browser) checkConsole(t *testing.T, expectedFailures ...string) {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, m := range b.console {
		if m.Type != chromedp.ConsoleError && m.Type != chromedp.ConsoleException && m.Type != chromedp.ConsoleWarning {
			continue
		}
		expected := false
		for _, path := range expectedFailures {
			expected = expected || (m.Source == "network" && strings.Contains(m.URL, path))
		}
		if !expected {
			t.Errorf("console %s (%s:%d)", m, m.URL, m.Line+1)
		}
	}
}

// ---- helpers ----

// outputDir is where screenshots go: $PARVANEH_TEST_OUTPUT, or testoutput/
// at the repository root (ignored by git).
func outputDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("PARVANEH_TEST_OUTPUT")
	if dir == "" {
		root, err := repoRoot()
		if err != nil {
			t.Fatal(err)
		}
		dir = filepath.Join(root, "testoutput")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

func writeOutput(t *testing.T, dir, name string, data []byte) {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s", path)
}

// pdfPages counts the page objects of a PDF.
func pdfPages(pdf []byte) int {
	return len(regexp.MustCompile(`/Type\s*/Page[^s]`).FindAll(pdf, -1))
}

func persianDigits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return '۰' + (r - '0')
		}
		return r
	}, s)
}

func groupThousands(n int64, sep string) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(r)
	}
	if neg {
		return "−" + b.String()
	}
	return b.String()
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
