package e2e

import (
	"archive/zip"
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/parvaneh/parvaneh/api"
	"github.com/parvaneh/parvaneh/auth"
	"github.com/parvaneh/parvaneh/examples"
	"github.com/parvaneh/parvaneh/internal/pgtest"
	"github.com/parvaneh/parvaneh/layers"
	"github.com/parvaneh/parvaneh/layers/postgis"
	"github.com/parvaneh/parvaneh/permits"
	"github.com/parvaneh/parvaneh/records"
	"github.com/parvaneh/parvaneh/rules"
	"github.com/parvaneh/parvaneh/web"
)

// TestBrowserRecords drives the permit office's views in headless Chromium
// against the whole application on PostGIS, one person after another:
// a token that is not one is refused at sign-in with the server's words;
// staff open a violation case from a survey file whose footprint juts into
// the street, and its page draws the encroachment in red (the shape the
// browser clips agrees with the server's area) beside the violations; an
// applicant may not read the case (403, said in their role's words) but
// files a checked plan as an application, once although the first answer is
// lost; staff move it to an issued permit, whose figures the applicant then
// sees; a commission member departs from the proposal, which the form
// refuses without a reason and records with one; staff close the case and
// issue a certificate of no violation.
func TestBrowserRecords(t *testing.T) {
	needChromium(t)
	a := newRecordsApp(t)
	b := newBrowser(t)
	out := outputDir(t)
	staff, applicant, commission, admin := a.token(t, "sara", auth.Staff), a.token(t, "ali", auth.Applicant),
		a.token(t, "reza", auth.Commission), a.token(t, "root", auth.Admin)

	b.do(chromedp.Navigate(a.URL))
	b.waitJS(`document.querySelector('#map').dataset.state === 'ready' && parvaneh.state.plan !== null`)

	// A token that is not one: the server's refusal, in Persian, on the
	// sign-in form.
	b.signIn("not-a-token")
	refusal := a.errorOf(t, http.MethodGet, "/api/v1/me", "not-a-token", nil)
	b.waitJS(`document.querySelector('#error').dataset.code === ` + jsString(refusal.Code))
	b.expectJS(`document.querySelector('#error .message').textContent`, refusal.MessageFa)
	b.expectJS(`document.querySelector('#panel').dataset.view`, "signin")
	b.expectJS(`String(sessionStorage.getItem('parvaneh.token'))`, "null")

	// Staff open a case from its file; the page goes to it.
	b.signedIn(staff, "sara", auth.Staff)
	file := filepath.Join(repoRootT(t), "examples", "cases", "footprint-in-the-street.json")
	b.do(chromedp.SetUploadFiles(chromedp.CSS("#case-file"), []string{file}))
	b.waitJS(`/^#case\/\d+$/.test(location.hash)`)
	id, err := strconv.ParseInt(strings.TrimPrefix(b.evalString(`location.hash`), "#case/"), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	b.waitCase(id, "open")
	kase := a.caseOf(t, staff, id)
	checkCasePage(t, b, kase, "fa")
	b.screenshot(out, "records-case-fa.png")
	b.do(chromedp.Click(chromedp.CSS("#lang-toggle")))
	checkCasePage(t, b, kase, "en")
	b.screenshot(out, "records-case-en.png")
	b.do(chromedp.Click(chromedp.CSS("#lang-toggle")))

	// The staff worklist lists it among the open cases.
	b.visit("#records")
	b.waitJS(fmt.Sprintf(`!!document.querySelector('#open-cases tr[data-case="%d"]')`, id))
	b.screenshot(out, "records-staff.png")

	// An applicant may not read cases: 403, in their role's words.
	b.signedIn(applicant, "ali", auth.Applicant)
	b.visit(fmt.Sprintf("#case/%d", id))
	b.waitJS(`document.querySelector('#error').dataset.code === 'forbidden'`)
	b.expectJS(`document.querySelector('#error .message').textContent`, "نقش شما (متقاضی) اجازهٔ این کار را ندارد.")

	// The applicant checks a plan and files it. The first answer is lost on
	// the way back (the server filed it); trying again sends the same
	// Idempotency-Key, so one application is filed.
	proposal := filepath.Join(repoRootT(t), "permits", "testdata", "validations", "pass_r131.proposal.json")
	b.do(chromedp.SetUploadFiles(chromedp.CSS("#proposal-file"), []string{proposal}))
	b.waitJS(`document.querySelector('#panel').dataset.state === 'ready' && !!document.querySelector('#filing-form')`)
	b.do(chromedp.Evaluate[chromedp.Void](`(() => {
		const real = window.fetch;
		window.filingKeys = [];
		window.fetch = async (url, init) => {
			if (String(url).endsWith('/applications') && init && init.method === 'POST') {
				window.filingKeys.push(init.headers['Idempotency-Key']);
				const res = await real(url, init);
				if (window.filingKeys.length === 1) throw new TypeError('connection reset');
				return res;
			}
			return real(url, init);
		};
	})()`))
	b.do(chromedp.Click(chromedp.CSS("#filing-button")))
	b.waitJS(`document.querySelector('#error').dataset.code === 'network'`)
	b.do(chromedp.Click(chromedp.CSS("#filing-button")))
	b.waitJS(`!!document.querySelector('#filed')`)
	b.expectJS(`String(window.filingKeys.length === 2 && window.filingKeys[0] === window.filingKeys[1] && window.filingKeys[0].length === 32)`, "true")
	appID, err := strconv.ParseInt(b.evalString(`document.querySelector('#filed').dataset.application`), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	if mine := a.applicationsOf(t, applicant); len(mine) != 1 || mine[0].ID != appID || mine[0].State != records.Submitted {
		t.Fatalf("the applicant's applications after a retried filing: %+v, want application %d alone, submitted", mine, appID)
	}
	b.visit("#records")
	b.waitJS(fmt.Sprintf(`document.querySelector('#my-applications li[data-application="%d"]')?.dataset.state === 'submitted'`, appID))

	// Staff move it on to an issued permit.
	b.signedIn(staff, "sara", auth.Staff)
	for _, to := range []records.State{records.UnderReview, records.Approved, records.PermitIssued} {
		li := fmt.Sprintf(`#review-applications li[data-application="%d"]`, appID)
		b.waitJS(`!!document.querySelector('` + li + ` button[data-to="` + string(to) + `"]')`)
		b.do(chromedp.Click(chromedp.CSS(li + ` button[data-to="` + string(to) + `"]`)))
		b.waitJS(`document.querySelector('` + li + `')?.dataset.state === '` + string(to) + `'`)
	}

	// The applicant sees the permit's frozen figures.
	b.signedIn(applicant, "ali", auth.Applicant)
	b.visit("#records")
	li := fmt.Sprintf(`#my-applications li[data-application="%d"]`, appID)
	b.waitJS(`document.querySelector('` + li + `')?.dataset.state === 'permit_issued'`)
	permit := a.applicationsOf(t, applicant)[0].Permit
	if permit == nil {
		t.Fatal("the issued application has no permit")
	}
	b.expectJS(`String(document.querySelectorAll('`+li+` [data-permit] tr[data-figure]').length)`, strconv.Itoa(len(permit.Figures)))
	b.do(chromedp.Evaluate[chromedp.Void](`document.querySelector('` + li + ` [data-permit]').open = true`))
	b.screenshot(out, "records-applicant.png")

	// A commission member rules otherwise than proposed: the form wants a
	// reason first, then records the decision.
	b.signedIn(commission, "reza", auth.Commission)
	// Their worklist shows the applications in progress, without moves.
	b.expectJS(`String(!!document.querySelector('#review-applications [data-application]') && !document.querySelector('#review-applications button'))`, "true")
	b.visit(fmt.Sprintf("#case/%d", id))
	b.waitCase(id, "open")
	var proposed []string
	for _, v := range kase.Review.Violations {
		proposed = append(proposed, v.Ruling)
	}
	b.expectJS(`[...document.querySelectorAll('#decision-form select')].map((s) => s.value).join(',')`, strings.Join(proposed, ","))
	row := `#decision-form tr[data-violation="encroachment"]`
	b.do(chromedp.SetValue(chromedp.CSS(row+` select`), "fine"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('`+row+` select').dispatchEvent(new Event('change', {bubbles: true}))`))
	b.do(chromedp.SendKeys(chromedp.CSS(row+` input[name="fine"]`), "120000000"))
	b.do(chromedp.Click(chromedp.CSS("#decide-button")))
	b.waitJS(`document.querySelector('#error').dataset.code === 'reason_required'`)
	const reason = "بنا پیش از تعریض معبر ساخته شده؛ جریمه به جای قلع بنا"
	b.do(chromedp.SendKeys(chromedp.CSS("#decision-reason"), reason))
	b.screenshot(out, "records-decision-form.png")
	b.do(chromedp.Click(chromedp.CSS("#decide-button")))
	b.waitCase(id, "decided")
	decided := a.caseOf(t, commission, id)
	d := decided.Decision
	if d == nil || d.FollowsProposal || d.Reason != reason || d.DecidedBy != "reza" || d.FinesTotal < 120000000 {
		t.Fatalf("decision recorded: %+v, want reza's departure with its reason and the 120,000,000 Rial fine", d)
	}
	b.expectJS(`document.querySelector('#decision-rulings tr[data-violation="encroachment"]').dataset.ruling`, "fine")
	b.expectJS(`document.querySelector('#decision-reason-text').textContent`, reason)
	b.expectJS(`document.querySelector('#decision-rulings tr[data-total] span.num').textContent`,
		b.evalString(fmt.Sprintf(`parvaneh.formatMoney(%d, 'fa')`, d.FinesTotal)))
	b.expectJS(`document.querySelector('#decided-at').textContent`,
		b.evalString(`parvaneh.formatDate(`+jsString(d.DecidedAt.Format(time.DateOnly))+`, 'fa')`))
	b.expectJS(`String(!!document.querySelector('#decision-form'))`, "false")

	// Staff close it; the history tells the whole story. A certificate of
	// no violation can then be issued for the parcel.
	b.signedIn(staff, "sara", auth.Staff)
	b.visit(fmt.Sprintf("#case/%d", id))
	b.waitCase(id, "decided")
	b.do(chromedp.SendKeys(chromedp.CSS("#closure-reason"), "جریمه پرداخت شد، رسید ۱۲۳"))
	b.do(chromedp.Click(chromedp.CSS("#close-button")))
	b.waitCase(id, "closed")
	b.expectJS(`[...document.querySelectorAll('#history li')].map((li) => li.dataset.action).join(',')`,
		records.ActionCaseOpened+","+records.ActionCaseDecided+","+records.ActionCaseClosed)
	b.screenshot(out, "records-case-closed.png")
	b.visit("#records")
	b.waitJS(`!!document.querySelector('#certificate-form')`)
	b.do(chromedp.SendKeys(chromedp.CSS("#certificate-parcel"), kase.ParcelID),
		chromedp.Click(chromedp.CSS(`#certificate-form button`)))
	b.waitJS(`!!document.querySelector('#notice') && document.querySelector('#notice').textContent.includes('گواهی')`)

	// An admin checks the sample city's bundle and imports it again: the
	// next plan version.
	b.signedIn(admin, "root", auth.Admin)
	b.waitJS(`!!document.querySelector('#bundle-form')`)
	// A file that is no bundle is refused in the server's words, and the
	// page goes on.
	notZip := filepath.Join(t.TempDir(), "plan.zip")
	if err := os.WriteFile(notZip, []byte("not a zip"), 0o600); err != nil {
		t.Fatal(err)
	}
	b.do(chromedp.SetUploadFiles(chromedp.CSS("#bundle-file"), []string{notZip}),
		chromedp.Click(chromedp.CSS("#bundle-check")))
	b.waitJS(`document.querySelector('#error')?.textContent.includes('zip')`)
	b.do(chromedp.SetUploadFiles(chromedp.CSS("#bundle-file"), []string{zipSample(t)}),
		chromedp.Click(chromedp.CSS("#bundle-check")))
	b.waitJS(`document.querySelector('#bundle-result')?.dataset.imported === 'false'`)
	b.expectJS(`String(document.querySelector('#bundle-result table').textContent.includes('۲۵۰۰'))`, "true")
	b.do(chromedp.Click(chromedp.CSS("#bundle-import")))
	b.waitJS(`document.querySelector('#bundle-result')?.dataset.imported === 'true'`)
	b.expectJS(`String(document.querySelector('#bundle-result').textContent.includes('نسخهٔ ۲'))`, "true")
	b.screenshot(out, "records-admin.png")

	b.do(chromedp.Click(chromedp.CSS("#signout-button")))
	b.waitJS(`!!document.querySelector('#signin-link')`)
	b.expectJS(`String(sessionStorage.getItem('parvaneh.token'))`, "null")

	b.checkConsole(t, "/api/v1/me", fmt.Sprintf("/api/v1/cases/%d", id), "/api/v1/plan/versions?check=true")
}

// TestBrowserRecordsUnavailable signs in on a server that keeps no records
// (no database, no token secret): the page says why there are none, in the
// person's language, with the server's detail, and stays usable.
func TestBrowserRecordsUnavailable(t *testing.T) {
	needChromium(t)
	a := newApp(t)
	b := newBrowser(t)
	b.do(chromedp.Navigate(a.URL + "#signin"))
	b.waitJS(`document.querySelector('#map').dataset.state === 'ready' && !!document.querySelector('#token-input')`)
	b.signIn("any-token")
	b.waitJS(`document.querySelector('#error').dataset.code === 'records_unavailable'`)
	b.expectJS(`String(document.querySelector('#error .message').textContent.includes('PostGIS'))`, "true")
	b.expectJS(`String(document.querySelector('#error .detail').textContent.length > 0)`, "true")
	b.expectJS(`String(!!document.querySelector('#signin-link'))`, "true")
	b.checkConsole(t, "/api/v1/me")
}

// checkCasePage compares a case's page with the case: the encroachment
// drawn in red, its area as the server measured it (and the drawing's own
// area close to it), the violations in the review's order with their
// labels, rulings and fines in the page's language.
func checkCasePage(t *testing.T, b *browser, c *records.Case, lang string) {
	t.Helper()
	rv := c.Review
	fp := rv.Footprint
	if fp == nil || fp.OnStreetsM2 == nil || *fp.OnStreetsM2 < 0.5 {
		t.Fatalf("case %d: the review measures no encroachment: %+v", c.ID, fp)
	}
	b.waitJS(`document.querySelectorAll('path.encroachment').length > 0`)
	b.expectJS(`document.querySelector('path.encroachment').getAttribute('fill')`, "#e53935")
	b.expectJS(`String(!!document.querySelector('path.case-parcel') && !!document.querySelector('path.case-footprint'))`, "true")
	// The drawing's area, on a sphere (good to a fraction of a percent at
	// this size), against the server's measurement.
	drawn := b.evalFloat(`(() => {
		const R = 6371008.8, rad = Math.PI / 180;
		let sum = 0;
		for (const f of parvaneh.caseLayers.encroachment.toGeoJSON().features) {
			const g = f.geometry;
			for (const poly of g.type === 'Polygon' ? [g.coordinates] : g.coordinates) {
				poly.forEach((ring, k) => {
					const lat0 = ring[0][1] * rad;
					let a = 0;
					for (let i = 0; i + 1 < ring.length; i++) {
						const [x1, y1] = [ring[i][0] * rad * Math.cos(lat0) * R, ring[i][1] * rad * R];
						const [x2, y2] = [ring[i + 1][0] * rad * Math.cos(lat0) * R, ring[i + 1][1] * rad * R];
						a += x1 * y2 - x2 * y1;
					}
					sum += (k === 0 ? 1 : -1) * Math.abs(a / 2);
				});
			}
		}
		return sum;
	})()`)
	if want := *fp.OnStreetsM2; math.Abs(drawn-want) > 0.02*want {
		t.Errorf("the red encroachment drawn covers %.2f m², the server measured %.2f m²", drawn, want)
	}
	b.expectJS(`document.querySelector('#encroachment-area .num').textContent`,
		b.evalString(fmt.Sprintf(`parvaneh.formatNumber(%v, %s, {minDec: 2, maxDec: 2})`, *fp.OnStreetsM2, jsString(lang))))

	var ids, labels, rulings, fines []string
	for _, v := range rv.Violations {
		ids = append(ids, v.ID)
		label, ruling := v.LabelEn, map[string]string{"fine": "fine", "demolition": "demolition", "referral": "referral to the commission"}[v.Ruling]
		if lang == "fa" {
			label, ruling = v.LabelFa, map[string]string{"fine": "جریمه", "demolition": "قلع بنا", "referral": "ارجاع به کمیسیون"}[v.Ruling]
		}
		labels, rulings = append(labels, label), append(rulings, ruling)
		fine := "—"
		if v.Fine != nil {
			fine = b.evalString(fmt.Sprintf(`parvaneh.formatMoney(%d, %s)`, *v.Fine, jsString(lang)))
		}
		fines = append(fines, fine)
	}
	if !strings.Contains(strings.Join(ids, ","), "encroachment") {
		t.Fatalf("case %d: violations %v, want an encroachment", c.ID, ids)
	}
	b.expectJS(`[...document.querySelectorAll('#violations tbody tr')].map((r) => r.dataset.violation).join(',')`, strings.Join(ids, ","))
	b.expectJS(`[...document.querySelectorAll('#violations tbody th')].map((c) => c.firstChild.textContent).join('|')`, strings.Join(labels, "|"))
	b.expectJS(`[...document.querySelectorAll('#violations tbody td.result')].map((c) => c.textContent).join('|')`, strings.Join(rulings, "|"))
	b.expectJS(`[...document.querySelectorAll('#violations tbody td[data-fine]')].map((c) => c.querySelector('.num')?.textContent ?? c.textContent).join('|')`, strings.Join(fines, "|"))
	b.expectJS(`String(document.querySelectorAll('#violations tbody code.formula').length >= `+strconv.Itoa(len(ids))+`)`, "true")
}

// ---- the application on PostGIS, with records and tokens ----

type recordsApp struct {
	*httptest.Server
	issuer  auth.Issuer
	records *records.Store
}

// newRecordsApp builds the application as parvaneh serve does with a
// database: the sample city imported into a fresh PostGIS, the records kept
// there, routes guarded by tokens signed with a test secret.
func newRecordsApp(t *testing.T) *recordsApp {
	t.Helper()
	return newRecordsAppOn(t, pgtest.New(t))
}

// newRecordsAppOn imports the sample city into the migrated database at
// url and serves the whole application on it, as parvaneh serve does on
// PostGIS: the plan store, the records, a guard checking tokens, the map
// page. The server's warnings go to the test's output.
func newRecordsAppOn(t *testing.T, url string) *recordsApp {
	t.Helper()
	ctx := t.Context()
	bundle, err := layers.ReadBundle(examples.Nemuneh())
	if err != nil {
		t.Fatalf("reading the sample city: %v", err)
	}
	plans, err := postgis.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(plans.Close)
	version, err := plans.Import(ctx, bundle)
	if err != nil {
		t.Fatalf("importing the sample city: %v", err)
	}
	recs, err := records.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(recs.Close)
	pack, err := rules.Bundled("nemuneh")
	if err != nil {
		t.Fatal(err)
	}
	svc := permits.NewService(plans, permits.PackSet{pack.Meta.ID: pack}, version.Municipality, time.Now)
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	guard, err := auth.NewGuard(auth.Verifier{Secret: secret}, api.Refuse)
	if err != nil {
		t.Fatal(err)
	}
	srv := api.New(api.Config{Municipality: version.Municipality}, plans, svc, recs, guard, web.Handler(), log)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return &recordsApp{Server: ts, issuer: auth.Issuer{Secret: secret, TTL: time.Hour}, records: recs}
}

func (a *recordsApp) token(t *testing.T, user string, role auth.Role) string {
	t.Helper()
	tok, err := a.issuer.Issue(user, role)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// call makes one API request with a token and returns the status and body.
func (a *recordsApp) call(t *testing.T, method, path, token string, body any) (int, []byte) {
	t.Helper()
	var in io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		in = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, a.URL+path, in)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, out
}

// must makes a request that must succeed and decodes its answer into v.
func (a *recordsApp) must(t *testing.T, path, token string, v any) {
	t.Helper()
	status, body := a.call(t, http.MethodGet, path, token, nil)
	if status != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, status, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}

func (a *recordsApp) errorOf(t *testing.T, method, path, token string, body any) apiError {
	t.Helper()
	status, out := a.call(t, method, path, token, body)
	var e struct{ Error apiError }
	if err := json.Unmarshal(out, &e); err != nil || status < 400 || e.Error.Code == "" {
		t.Fatalf("%s %s: %d %s, want an error body", method, path, status, out)
	}
	return e.Error
}

func (a *recordsApp) caseOf(t *testing.T, token string, id int64) *records.Case {
	t.Helper()
	var c records.Case
	a.must(t, fmt.Sprintf("/api/v1/cases/%d", id), token, &c)
	return &c
}

func (a *recordsApp) applicationsOf(t *testing.T, token string) []records.Application {
	t.Helper()
	var list struct{ Applications []records.Application }
	a.must(t, "/api/v1/applications", token, &list)
	return list.Applications
}

// ---- the browser, signed in ----

// visit sets the page's address fragment, as following a link does.
func (b *browser) visit(hash string) {
	b.t.Helper()
	b.do(chromedp.Evaluate[chromedp.Void](`location.hash = ` + jsString(hash)))
}

// signIn pastes a token into the sign-in form and sends it.
func (b *browser) signIn(token string) {
	b.t.Helper()
	if b.evalString(`String(!!document.querySelector('#signout-button'))`) == "true" {
		b.do(chromedp.Click(chromedp.CSS("#signout-button")))
	}
	b.visit("#signin")
	b.waitJS(`!!document.querySelector('#token-input')`)
	b.do(chromedp.SetValue(chromedp.CSS("#token-input"), token), chromedp.Click(chromedp.CSS("#signin-button")))
}

// signedIn signs in and waits for the header to name the user and their
// role in Persian, and for the worklist.
func (b *browser) signedIn(token, user string, role auth.Role) {
	b.t.Helper()
	b.signIn(token)
	b.waitJS(`document.querySelector('#me-user')?.textContent === ` + jsString(user))
	b.expectJS(`document.querySelector('#me-role').textContent`, role.Fa())
	b.waitJS(`document.querySelector('#panel').dataset.view === 'records' && !document.querySelector('#panel-body .loading')`)
	b.idle()
}

// waitCase waits until the page shows case id in the given state, drawn.
func (b *browser) waitCase(id int64, state string) {
	b.t.Helper()
	b.waitJS(fmt.Sprintf(`document.querySelector('#panel').dataset.view === 'case' && location.hash === '#case/%d' &&
		document.querySelector('#case-state')?.dataset.state === %s`, id, jsString(state)))
	b.idle()
}

// needChromium skips the test without a browser, unless
// PARVANEH_REQUIRE_BROWSER=1 makes that a failure.
func needChromium(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("PARVANEH_REQUIRE_BROWSER") == "1" {
			t.Fatalf("PARVANEH_REQUIRE_BROWSER=1 but %s is missing: %v", chromiumPath, err)
		}
		t.Skipf("%s not found; install Debian's chromium to run the browser tests", chromiumPath)
	}
}

func repoRootT(t *testing.T) string {
	t.Helper()
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// zipSample writes the sample city's bundle as a zip archive, as an admin
// would upload it, and returns its path.
func zipSample(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "nemuneh.zip")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	if err := zw.AddFS(examples.Nemuneh()); err != nil {
		t.Fatal(err)
	}
	if err := errors.Join(zw.Close(), f.Close()); err != nil {
		t.Fatal(err)
	}
	return path
}
