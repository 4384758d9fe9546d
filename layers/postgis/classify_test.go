package postgis

import (
	"errors"
	"fmt"
	"io"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/parvaneh/parvaneh/layers"
)

// TestWrap: failures of the database or the way to it are ErrUnavailable
// (503, try again), a missing row ErrNotFound, anything else neither. The
// errors are those pgx gives when PostgreSQL is stopped under it.
func TestWrap(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want error
	}{
		{"no rows", pgx.ErrNoRows, layers.ErrNotFound},
		{"a connection the server closed", fmt.Errorf("begin: %w", pgconn.ErrConnClosed), layers.ErrUnavailable},
		{"refused", &pgconn.ConnectError{}, layers.ErrUnavailable},
		{"reset", syscall.ECONNRESET, layers.ErrUnavailable},
		{"cut mid-answer", io.ErrUnexpectedEOF, layers.ErrUnavailable},
		{"admin shutdown", &pgconn.PgError{Code: "57P01"}, layers.ErrUnavailable},
		{"too many connections", &pgconn.PgError{Code: "53300"}, layers.ErrUnavailable},
		{"a bad query", &pgconn.PgError{Code: "42601"}, nil},
		{"anything else", errors.New("boom"), nil},
	} {
		got := Wrap("test", "doing", tc.err)
		for _, sentinel := range []error{layers.ErrNotFound, layers.ErrUnavailable} {
			if errors.Is(got, sentinel) != (sentinel == tc.want) {
				t.Errorf("%s: %v; errors.Is(%v) = %v", tc.name, got, sentinel, !(sentinel == tc.want))
			}
		}
	}
}
