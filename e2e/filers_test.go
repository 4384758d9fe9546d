package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/parvaneh/parvaneh/internal/pgtest"
	"github.com/parvaneh/parvaneh/records"
)

var filersFlag = flag.Int("filers", 0, "applicants TestConcurrentFilers files for at once (default $PARVANEH_FILERS, else 50)")

// TestConcurrentFilers files for many applicants at once against "parvaneh
// serve" running as a second process on PostGIS: every applicant files,
// every other one sends the same filing twice at once (a client's retry),
// and staff move a third of the applications to an issued permit and a third
// to a refusal while the filings arrive, two staff members racing on each.
// Afterwards every filing is in the database exactly once, with its audit
// entries, in the state staff left it, and "parvaneh audit verify" passes.
func TestConcurrentFilers(t *testing.T) {
	n := filerCount(t)
	p := buildParvaneh(t)
	db := pgtest.New(t)
	p.run(t, "migrate", "-database-url", db)
	p.run(t, "import", "-database-url", db, filepath.Join(p.root, "examples", "nemuneh"))
	c := p.serve(t, db)
	ctx := t.Context()

	proposal := proposalBody(t)
	staff := []string{p.token(t, "staff-1", "staff"), p.token(t, "staff-2", "staff")}
	type filer struct {
		user, token, key string
		path             []records.State // the staff's moves, in order
		tries            int
	}
	filers := make([]filer, n)
	for i := range filers {
		f := &filers[i]
		f.user = fmt.Sprintf("applicant-%03d", i)
		f.token, f.key = p.token(t, f.user, "applicant"), "filing-"+strconv.Itoa(i)
		f.tries = 1 + (i+1)%2
		switch i % 3 {
		case 0:
			f.path = []records.State{records.UnderReview, records.Approved, records.PermitIssued}
		case 1:
			f.path = []records.State{records.UnderReview, records.Rejected}
		}
	}

	// Staff work the filings as they arrive; each application goes to two
	// staff members at once, so every move is raced.
	type move struct {
		id   int64
		path []records.State
	}
	moves := make(chan move, 2*n)
	var made, raced atomic.Int64
	var staffWG sync.WaitGroup
	for w := range 4 {
		staffWG.Go(func() {
			for m := range moves {
				for _, to := range m.path {
					res := c.do(ctx, "POST", fmt.Sprintf("/api/v1/applications/%d/transitions", m.id), staff[w%2], "",
						map[string]string{"to": string(to), "reason": "the e2e test's " + string(to)})
					// 409: the other staff member made this move first.
					switch {
					case res.err == nil && res.status == http.StatusOK:
						made.Add(1)
					case res.err == nil && res.code() == "transition_not_allowed":
						raced.Add(1)
					default:
						t.Errorf("moving application %d to %s: %s", m.id, to, res)
					}
				}
			}
		})
	}

	answers := make([][]answer, n)
	for i := range answers {
		answers[i] = make([]answer, filers[i].tries)
	}
	start := make(chan struct{})
	var filersWG sync.WaitGroup
	for i, f := range filers {
		for try := range f.tries {
			filersWG.Go(func() {
				<-start
				res := c.do(ctx, "POST", "/api/v1/applications", f.token, f.key, proposal)
				answers[i][try] = res
				if res.status == http.StatusCreated && len(f.path) > 0 {
					if id := res.appID(t); id != 0 {
						moves <- move{id, f.path}
						moves <- move{id, f.path}
					}
				}
			})
		}
	}
	began := time.Now()
	close(start)
	filersWG.Wait()
	filed := time.Since(began)
	close(moves)
	staffWG.Wait()
	moved := time.Since(began)

	want := map[filingKey]wantApp{}
	var took []time.Duration
	for i, f := range filers {
		created, id := 0, int64(0)
		for _, a := range answers[i] {
			took = append(took, a.took)
			switch {
			case a.err != nil || (a.status != http.StatusCreated && a.status != http.StatusOK):
				t.Errorf("%s filing %s: %s", f.user, f.key, a)
				continue
			case a.status == http.StatusCreated:
				created++
			}
			switch got := a.appID(t); {
			case id == 0:
				id = got
			case got != id:
				t.Errorf("%s filing %s twice: applications %d and %d", f.user, f.key, id, got)
			}
		}
		if created != 1 {
			t.Errorf("%s filing %s %d times at once: %d answered 201 Created, want 1", f.user, f.key, f.tries, created)
		}
		end := records.Submitted
		if len(f.path) > 0 {
			end = f.path[len(f.path)-1]
		}
		want[filingKey{f.user, f.key}] = wantApp{id: id, state: end, moves: len(f.path)}
	}
	checkApplications(t, db, want)
	p.run(t, "audit", "verify", "-database-url", db)

	slices.Sort(took)
	t.Logf("%d applicants, %d filings at once (%d retries of the same key): all answered in %v (%.0f filings/s); "+
		"latency p50 %v, p95 %v, max %v; staff made %d moves (%d refused 409 to the other one) by %v",
		n, len(took), len(took)-n, filed.Round(time.Millisecond), float64(len(took))/filed.Seconds(),
		percentile(took, 50), percentile(took, 95), percentile(took, 100), made.Load(), raced.Load(), moved.Round(time.Millisecond))
}

// filerCount is -filers, else $PARVANEH_FILERS, else 50.
func filerCount(t *testing.T) int {
	t.Helper()
	if *filersFlag > 0 {
		return *filersFlag
	}
	if s := os.Getenv("PARVANEH_FILERS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("PARVANEH_FILERS=%q: want a whole number of at least 1", s)
		}
		return n
	}
	return 50
}

func percentile(sorted []time.Duration, p int) time.Duration {
	return sorted[(len(sorted)-1)*p/100].Round(time.Millisecond)
}

// filingKey is how a client names its filing: the applicant and the
// idempotency key.
type filingKey struct{ applicant, key string }

// wantApp is what the database must hold for one filing.
type wantApp struct {
	id    int64 // 0: the API never said
	state records.State
	moves int // transitions in the audit log
}

// checkApplications requires the database to hold exactly the filings of
// want, each once, each with its filing and its moves in the audit log, and
// no audit entry about an application that is not there.
func checkApplications(t *testing.T, dbURL string, want map[filingKey]wantApp) {
	t.Helper()
	ctx := t.Context()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT a.applicant, a.idempotency_key, a.id, a.state,
    (SELECT count(*) FROM audit_log l WHERE l.subject = 'application/' || a.id AND l.action = $1),
    (SELECT count(*) FROM audit_log l WHERE l.subject = 'application/' || a.id AND l.action = $2)
FROM applications a`, records.ActionFiled, records.ActionTransition)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[filingKey]bool{}
	for rows.Next() {
		var k filingKey
		var id int64
		var state string
		var filings, moves int
		if err := rows.Scan(&k.applicant, &k.key, &id, &state, &filings, &moves); err != nil {
			t.Fatal(err)
		}
		w, ok := want[k]
		switch {
		case !ok:
			t.Errorf("application %d (%s, key %s) was never filed by the test", id, k.applicant, k.key)
			continue
		case seen[k]:
			t.Errorf("%s's key %s filed twice (again as %d)", k.applicant, k.key, id)
		case w.id != 0 && id != w.id:
			t.Errorf("%s's key %s is application %d, the API answered %d", k.applicant, k.key, id, w.id)
		case records.State(state) != w.state:
			t.Errorf("application %d is %s, want %s", id, state, w.state)
		case filings != 1 || moves != w.moves:
			t.Errorf("application %d: %d filings and %d moves in the audit log, want 1 and %d", id, filings, moves, w.moves)
		}
		seen[k] = true
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for k := range want {
		if !seen[k] {
			t.Errorf("%s's filing %s is lost", k.applicant, k.key)
		}
	}
	var orphans int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM audit_log l WHERE l.subject LIKE 'application/%'
    AND NOT EXISTS (SELECT FROM applications a WHERE 'application/' || a.id = l.subject)`).Scan(&orphans); err != nil {
		t.Fatal(err)
	}
	if orphans != 0 {
		t.Errorf("%d audit entries are about applications that are not there", orphans)
	}
	t.Logf("%d applications, each filed once with its audit entries", len(seen))
}

// proposalBody is a filing of the sample proposal that passes its checks.
func proposalBody(t *testing.T) json.RawMessage {
	t.Helper()
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile(filepath.Join(root, "examples", "proposals", "widened-r112-three-storeys.json"))
	if err != nil {
		t.Fatal(err)
	}
	body, err := json.Marshal(map[string]json.RawMessage{"proposal": doc})
	if err != nil {
		t.Fatal(err)
	}
	return body
}

// client calls the API as a program outside it would.
type client struct {
	base string
	http *http.Client
}

func newClient(base string, timeout time.Duration) *client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 200
	return &client{base: base, http: &http.Client{Transport: tr, Timeout: timeout}}
}

// answer is one request's outcome.
type answer struct {
	method, path string
	status       int
	body         []byte
	err          error // the request got no answer (a timeout is one)
	took         time.Duration
}

func (a answer) String() string {
	if a.err != nil {
		return fmt.Sprintf("%s %s: no answer after %v: %v", a.method, a.path, a.took.Round(time.Millisecond), a.err)
	}
	return fmt.Sprintf("%s %s: %d %s", a.method, a.path, a.status, bytes.TrimSpace(a.body))
}

// apiError is the error an answer carries, if any.
func (a answer) apiError() apiError {
	var e struct{ Error apiError }
	json.Unmarshal(a.body, &e) //nolint:errcheck // not an error body: no code
	return e.Error
}

func (a answer) code() string { return a.apiError().Code }

// appID is the id of the application an answer carries.
func (a answer) appID(t *testing.T) int64 {
	var app struct{ ID int64 }
	if err := json.Unmarshal(a.body, &app); err != nil || app.ID == 0 {
		t.Errorf("%s: no application in the answer", a)
	}
	return app.ID
}

// do sends a request with a bearer token, an idempotency key (unless
// empty) and a JSON body (unless nil).
func (c *client) do(ctx context.Context, method, path, token, key string, body any) answer {
	start := time.Now()
	a := answer{method: method, path: path}
	a.status, a.body, a.err = c.send(ctx, method, path, token, key, body)
	a.took = time.Since(start)
	return a
}

func (c *client) send(ctx context.Context, method, path, token, key string, body any) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		raw, ok := body.(json.RawMessage)
		if !ok {
			var err error
			if raw, err = json.Marshal(body); err != nil {
				return 0, nil, err
			}
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return 0, nil, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	return res.StatusCode, raw, err
}

// parvaneh is the binary built from this checkout, run as a user would.
type parvaneh struct {
	root, bin string
	env       []string
}

// tokenSecret signs the test's tokens; it is nobody's real secret.
const tokenSecret = "e2e-test-secret-not-for-any-real-server-0123456789"

func buildParvaneh(t *testing.T) *parvaneh {
	t.Helper()
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "parvaneh")
	build := exec.CommandContext(t.Context(), "go", "build", "-o", bin, "./cmd/parvaneh")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building parvaneh: %v\n%s", err, out)
	}
	return &parvaneh{root: root, bin: bin, env: append(os.Environ(), "PARVANEH_TOKEN_SECRET="+tokenSecret)}
}

// run runs a command to its end and returns its standard output; a
// non-zero exit fails the test.
func (p *parvaneh) run(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), p.bin, args...)
	cmd.Env = p.env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("parvaneh %s: %v\n%s%s", strings.Join(args, " "), err, stdout.Bytes(), stderr.Bytes())
	}
	return stdout.String()
}

func (p *parvaneh) token(t *testing.T, user, role string) string {
	t.Helper()
	return strings.TrimSpace(p.run(t, "token", "-user", user, "-role", role))
}

// serve starts "parvaneh serve" on the database and returns a client of it
// once it is ready; the server is stopped (SIGTERM) when the test ends.
func (p *parvaneh) serve(t *testing.T, dbURL string) *client {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(p.bin, "serve", "-database-url", dbURL, "-addr", addr)
	cmd.Env = p.env
	var log syncBuffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM) //nolint:errcheck // it may have exited
		select {
		case <-exited:
		case <-time.After(15 * time.Second):
			cmd.Process.Kill() //nolint:errcheck // last resort
			<-exited
		}
		if t.Failed() {
			t.Logf("parvaneh serve's log:\n%s", log.String())
		}
	})
	c := newClient("http://"+addr, 30*time.Second)
	deadline := time.Now().Add(30 * time.Second)
	for {
		if a := c.do(t.Context(), "GET", "/readyz", "", "", nil); a.status == http.StatusOK {
			return c
		}
		select {
		case err := <-exited:
			t.Fatalf("parvaneh serve exited: %v\n%s", err, log.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("parvaneh serve not ready after 30 s:\n%s", log.String())
		}
	}
}

// syncBuffer is a buffer a running process and the test may share.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
