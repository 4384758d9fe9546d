package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/parvaneh/parvaneh/api"
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
	start := time.Now()
	b, err := bf.open(ctx, env)
	if err != nil {
		return err
	}
	defer b.store.Close()
	defer b.warmInBackground(ctx, env.log)()

	srv := api.New(api.Config{Municipality: b.municipality, Now: b.now}, b.store, b.service(), web.Handler(), env.log)
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
