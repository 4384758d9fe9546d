package e2e

import (
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parvaneh/parvaneh/auth"
	"github.com/parvaneh/parvaneh/internal/pgtest"
	"github.com/parvaneh/parvaneh/migrations"
	"github.com/parvaneh/parvaneh/records"
)

// TestFaultPostGISStopsMidFlight kills PostGIS while clients file
// applications and ask estimates, and starts it again without touching the
// server. Every answer must be a success or 503 store_unavailable (never
// 500, never no answer), the server not ready while PostGIS is away and
// serving again by itself once it is back; every filing refused with 503
// then succeeds when retried under its key, and the record ends whole: each
// key one application with its filing in the audit log, the chain intact.
func TestFaultPostGISStopsMidFlight(t *testing.T) {
	const clients = 20
	ctx := t.Context()
	cluster := pgtest.NewCluster(t)
	db := cluster.URL()
	if err := migrations.UpURL(ctx, db); err != nil {
		t.Fatal(err)
	}
	app := newRecordsAppOn(t, db)
	c := newClient(app.URL, 10*time.Second)
	tokens := make([]string, clients)
	for i := range tokens {
		tokens[i] = app.token(t, fmt.Sprintf("applicant-%02d", i), auth.Applicant)
	}
	proposal := proposalBody(t)
	estimate := "/api/v1/estimates?parcel_id=103/2"

	// The clients: each files under a new key, then asks an estimate, over
	// and over until stopped. Every answer is kept for the checks below:
	// filings (by key) and the others.
	type filing struct {
		client int
		key    string
		answer answer
	}
	var (
		mu       sync.Mutex
		filings  []filing
		others   []answer
		filed    atomic.Int64 // filings answered 201
		stop     = make(chan struct{})
		clientWG sync.WaitGroup
	)
	for i := range clients {
		clientWG.Go(func() {
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				key := fmt.Sprintf("fault-%02d-%04d", i, n)
				a := c.do(ctx, "POST", "/api/v1/applications", tokens[i], key, proposal)
				if a.status == http.StatusCreated {
					filed.Add(1)
				}
				e := c.do(ctx, "GET", estimate, "", "", nil)
				mu.Lock()
				filings = append(filings, filing{i, key, a})
				others = append(others, e)
				mu.Unlock()
				// Like a real client, back off after a 503.
				pause := 10 * time.Millisecond
				if a.status == http.StatusServiceUnavailable || e.status == http.StatusServiceUnavailable {
					pause = 250 * time.Millisecond
				}
				time.Sleep(pause)
			}
		})
	}
	stopClients := sync.OnceFunc(func() { close(stop); clientWG.Wait() })
	defer stopClients()

	waitFor(t, 20*time.Second, "40 filings before PostGIS stops", func() bool { return filed.Load() >= 40 })
	cluster.Stop()
	stopped, filedAtStop := time.Now(), filed.Load()
	a := c.do(ctx, "GET", "/readyz", "", "", nil)
	if a.status != http.StatusServiceUnavailable || a.code() != "store_unavailable" {
		t.Errorf("PostGIS stopped: %s, want 503 store_unavailable", a)
	}
	time.Sleep(time.Second) // the clients meet the stopped database
	filedWhileDown := filed.Load() - filedAtStop

	cluster.Start()
	started := time.Now()
	var probe answer
	waitFor(t, 30*time.Second, "the service to answer again", func() bool {
		probe = c.do(ctx, "POST", "/api/v1/applications", tokens[0], "fault-probe", proposal)
		mu.Lock()
		others = append(others, probe)
		mu.Unlock()
		return probe.status == http.StatusCreated || probe.status == http.StatusOK
	})
	recovered := time.Since(started)
	if a := c.do(ctx, "GET", "/readyz", "", "", nil); a.status != http.StatusOK {
		t.Errorf("PostGIS back: %s, want 200", a)
	}
	before := filed.Load()
	waitFor(t, 20*time.Second, "the clients to file again", func() bool { return filed.Load() >= before+40 })
	stopClients()

	// Every answer a success or a clear 503, none missing.
	var unavailable, hung, wrong int
	check := func(a answer) {
		switch {
		case a.err != nil:
			if hung++; hung <= 5 {
				t.Errorf("%s", a)
			}
		case a.status == http.StatusServiceUnavailable && a.apiError().Code == "store_unavailable" && a.apiError().MessageEn != "":
			unavailable++
		case a.status < 200 || a.status > 299:
			if wrong++; wrong <= 5 {
				t.Errorf("%s, want 2xx or 503 store_unavailable", a)
			}
		}
	}
	for _, f := range filings {
		check(f.answer)
	}
	for _, a := range others {
		check(a)
	}
	if unavailable == 0 {
		t.Error("no request met the stopped database: the fault was not exercised")
	}

	// Retry every filing the fault refused, under its key (each client its
	// own, the clients at once): it files now, or answers the application
	// that committed as the connection broke.
	var retried, committed atomic.Int64
	var retryWG sync.WaitGroup
	for i := range clients {
		retryWG.Go(func() {
			for j := range filings {
				if f := &filings[j]; f.client == i && f.answer.status == http.StatusServiceUnavailable {
					retried.Add(1)
					if f.answer = c.do(ctx, "POST", "/api/v1/applications", tokens[i], f.key, proposal); f.answer.status == http.StatusOK {
						committed.Add(1)
					}
					if f.answer.status != http.StatusCreated && f.answer.status != http.StatusOK {
						t.Errorf("retrying %s: %s", f.key, f.answer)
					}
				}
			}
		})
	}
	retryWG.Wait()
	want := map[filingKey]wantApp{{"applicant-00", "fault-probe"}: {id: probe.appID(t), state: records.Submitted}}
	for _, f := range filings {
		if a := f.answer; a.status == http.StatusCreated || a.status == http.StatusOK {
			want[filingKey{fmt.Sprintf("applicant-%02d", f.client), f.key}] = wantApp{id: a.appID(t), state: records.Submitted}
		}
	}
	checkApplications(t, db, want)
	report, err := app.records.Verify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !report.OK {
		t.Errorf("the audit log does not verify: %+v", report.Problems)
	}
	t.Logf("%d filings and %d other answers (estimates, recovery probes); PostGIS down %v: %d answers 503 store_unavailable, %d filings answered 201 meanwhile (in flight at the stop); "+
		"service back %v after PostGIS started; %d refused filings retried under their key, %d of them had committed; audit log of %d entries verified",
		len(filings), len(others), started.Sub(stopped).Round(time.Millisecond), unavailable, filedWhileDown,
		recovered.Round(time.Millisecond), retried.Load(), committed.Load(), report.Entries)
}

// waitFor polls cond until it holds, failing the test after limit.
func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s", limit, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
