// Package postgis is the PostGIS implementation of layers.Store: plan
// versions and their layers live in the tables of ../../migrations, bundles
// are loaded with the COPY protocol in one transaction, and a parcel is
// measured against every layer by one SQL statement (measure.sql).
//
// What never changes once imported is kept: the plan versions in memory
// (versions.go), and a stored parcel's measurement in the table
// parcel_measurements (cache.go), so an estimate by plate costs one
// primary-key read.
//
// Geometries go in and out as WKB in the version's measure SRID; PostGIS
// derives the WGS84 copy (geom_wgs84) for maps. The SQL is kept in this
// package's .sql files and constants, in plain sight.
package postgis

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/parvaneh/parvaneh/layers"
)

// Store is a layers.Store on a PostGIS database migrated by package
// migrations. It is safe for concurrent use.
//
// It answers Versions, VersionAsOf and Municipalities from memory, read
// again from the database after its own Import and otherwise once
// VersionExpiry old: a version imported by another process (parvaneh
// import) is seen within that time.
type Store struct {
	pool     *pgxpool.Pool
	versions versionCache
}

// VersionExpiry is how long the store answers about plan versions from
// memory before reading them again.
const VersionExpiry = 5 * time.Second

var _ layers.Store = (*Store)(nil)

// Open returns a store on the database at databaseURL (postgres://…). It does
// not connect yet: Ping tells whether the database answers.
func Open(ctx context.Context, databaseURL string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		// The URL may hold a password: say what is wrong, not what it is.
		return nil, errors.New("postgis: parsing the database URL: malformed URL")
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, wrapErr("opening the connection pool", err)
	}
	return &Store{pool: pool, versions: newVersionCache(VersionExpiry)}, nil
}

// Ping reports whether the database answers (wrapping layers.ErrUnavailable
// when it does not).
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return s.failed("pinging the database", err)
	}
	return nil
}

// Close closes every connection of the store.
func (s *Store) Close() { s.pool.Close() }

// failed is wrapErr for the store's own calls. A database that cannot be
// reached also drops the plan versions kept in memory, so that the store
// says it is unavailable from its next answer on rather than answering from
// memory until they expire.
func (s *Store) failed(doing string, err error) error {
	err = wrapErr(doing, err)
	if errors.Is(err, layers.ErrUnavailable) {
		s.versions.invalidate()
	}
	return err
}

func wrapErr(doing string, err error) error { return Wrap("postgis", doing, err) }

// Wrap says what package pkg was doing and classifies err, for every
// package that keeps its data in PostgreSQL: no rows becomes
// layers.ErrNotFound, a database that cannot be reached (try again later)
// layers.ErrUnavailable.
func Wrap(pkg, doing string, err error) error {
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return fmt.Errorf("%s: %s: %w", pkg, doing, layers.ErrNotFound)
	case unreachable(err):
		return fmt.Errorf("%s: %s: %w: %w", pkg, doing, layers.ErrUnavailable, err)
	default:
		return fmt.Errorf("%s: %s: %w", pkg, doing, err)
	}
}

// unreachable tells a failure of the database or the way to it (try again
// later) from a failure of the request.
func unreachable(err error) bool {
	var connErr *pgconn.ConnectError
	var netErr net.Error
	var pgErr *pgconn.PgError
	switch {
	case errors.As(err, &connErr), errors.As(err, &netErr):
		return true
	case errors.Is(err, pgconn.ErrConnClosed):
		// The server went away under a connection the pool handed out.
		return true
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return true
	case errors.As(err, &pgErr):
		// Class 08: connection exception; 53: insufficient resources;
		// 57P01–57P03: the server is shutting down or starting up.
		c := pgErr.Code
		return strings.HasPrefix(c, "08") || strings.HasPrefix(c, "53") || c == "57P01" || c == "57P02" || c == "57P03"
	}
	return false
}
