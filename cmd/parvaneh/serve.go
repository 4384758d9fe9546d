package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"slices"
	"time"

	"github.com/parvaneh/parvaneh/api"
	"github.com/parvaneh/parvaneh/auth"
	"github.com/parvaneh/parvaneh/records"
	"github.com/parvaneh/parvaneh/web"
)

// runServe serves the API and the map page until interrupted.
func runServe(ctx context.Context, env *cliEnv, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "listen on `HOST:PORT`")
	bf := addBackendFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return fmt.Errorf("%w: parvaneh serve takes flags only", errUsage)
	}
	guard, err := tokenGuard(env)
	if err != nil {
		return err
	}
	start := time.Now()
	b, err := bf.open(ctx, env)
	if err != nil {
		return err
	}
	defer b.store.Close()
	defer b.warmInBackground(ctx, env.log)()

	// The records live beside the plan data in PostGIS; the embedded store
	// keeps none, and their routes say so (503 records_unavailable).
	var recs api.Records
	if b.databaseURL != "" {
		st, err := records.Open(ctx, b.databaseURL)
		if err != nil {
			return fmt.Errorf("opening the records: %w", err)
		}
		defer st.Close()
		recs = st
	}
	if recs == nil || guard == nil {
		env.log.Warn("the records routes (applications, cases, certificates) answer 503 records_unavailable: they need -database-url and " + auth.EnvSecret)
	}

	cfg := api.Config{Municipality: b.municipality, Now: b.now, RulePacks: slices.Sorted(maps.Keys(b.packs))}
	srv := api.New(cfg, b.store, b.service(), recs, guard, web.Handler(), env.log)
	hs := &http.Server{
		Addr:              *addr,
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      120 * time.Second,
		IdleTimeout:       120 * time.Second,
		// Requests outlive the signal by the graceful shutdown below, so
		// they must not share its cancellation.
		BaseContext: func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", *addr, err)
	}
	env.log.Info("serving", slog.String("url", "http://"+ln.Addr().String()),
		slog.String("municipality", b.municipality), slog.String("plan_data", b.source),
		slog.Bool("records", recs != nil && guard != nil),
		slog.Duration("startup", time.Since(start)))

	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutting down: %w", err)
	}
	env.log.Info("stopped")
	return nil
}

// tokenGuard checks the records routes' bearer tokens against
// PARVANEH_TOKEN_SECRET. Without the variable there is no guard (nil) and
// the server answers the plan alone; a secret that is set but unusable
// (too short) stops the start, since it is a mistake, not a choice.
func tokenGuard(env *cliEnv) (*auth.Guard, error) {
	if env.getenv(auth.EnvSecret) == "" {
		return nil, nil
	}
	secret, err := auth.SecretFromEnv(env.getenv)
	if err != nil {
		return nil, err
	}
	return auth.NewGuard(auth.Verifier{Secret: secret}, api.Refuse)
}
