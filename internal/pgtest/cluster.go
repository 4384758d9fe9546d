package pgtest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvBinDir names the directory of initdb and pg_ctl when they are not in
// DefaultBinDir.
const EnvBinDir = "PG_BINDIR"

// DefaultBinDir is where Debian's postgresql-15 puts its programs.
const DefaultBinDir = "/usr/lib/postgresql/15/bin"

// Cluster is a PostgreSQL/PostGIS cluster of one test's own, which the test
// may stop and start again: a fault test's way of taking the database away
// mid-flight. Unlike New's databases, which share scripts/test's cluster,
// stopping it harms no other test.
type Cluster struct {
	t      testing.TB
	bin    string
	dir    string   // the data directory's parent: logs and the socket too
	as     []string // runs a program as the cluster's owner
	port   int
	mu     sync.Mutex
	active bool
}

// NewCluster creates and starts a cluster on a free port on 127.0.0.1 with
// PostGIS installed in its postgres database, and removes it when the test
// ends. Without initdb (see EnvBinDir) the test is skipped, or fails when
// EnvRequire is "1". As root the cluster runs as the postgres user, since
// initdb refuses root.
func NewCluster(t testing.TB) *Cluster {
	t.Helper()
	bin := os.Getenv(EnvBinDir)
	if bin == "" {
		bin = DefaultBinDir
	}
	if _, err := os.Stat(filepath.Join(bin, "initdb")); err != nil {
		msg := "pgtest: no initdb in " + bin + " (install postgresql-15-postgis-3 or set " + EnvBinDir + ")"
		if os.Getenv(EnvRequire) == "1" {
			t.Fatal(msg + " (" + EnvRequire + "=1 forbids skipping)")
		}
		t.Skip(msg)
	}
	// Not t.TempDir: its parent is private to us, and the postgres user
	// must reach the directory.
	dir, err := os.MkdirTemp("", "parvaneh-cluster-")
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	c := &Cluster{t: t, bin: bin, dir: dir}
	t.Cleanup(c.remove)
	if os.Geteuid() == 0 {
		if err := chownToPostgres(dir); err != nil {
			t.Fatalf("pgtest: %v", err)
		}
		c.as = []string{"runuser", "-u", "postgres", "--"}
	}
	if out, err := c.run("initdb", "-D", c.data(), "-U", "postgres", "--auth=trust",
		"-E", "UTF8", "--locale=C.UTF-8", "--no-instructions"); err != nil {
		t.Fatalf("pgtest: initdb: %v\n%s", err, out)
	}
	// Another process may take a port between our look and the server's
	// listen: try a few.
	for try := 0; ; try++ {
		if c.port, err = freePort(); err != nil {
			t.Fatalf("pgtest: %v", err)
		}
		if err = c.start(); err == nil {
			break
		}
		if try == 4 {
			t.Fatalf("pgtest: starting PostgreSQL: %v", err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, c.URL())
	if err != nil {
		t.Fatalf("pgtest: connecting to the new cluster: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE EXTENSION postgis"); err != nil {
		t.Fatalf("pgtest: creating PostGIS: %v", err)
	}
	return c
}

// URL is the cluster's postgres database (postgres://…), where PostGIS is.
func (c *Cluster) URL() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.port)
}

// Stop kills the cluster at once (pg_ctl -m immediate), as a crash or a
// pulled cable would: open connections break, transactions in flight are
// lost, nothing is flushed. Call it from the test's goroutine.
func (c *Cluster) Stop() {
	c.t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if out, err := c.run("pg_ctl", "-D", c.data(), "-m", "immediate", "-w", "stop"); err != nil {
		c.t.Fatalf("pgtest: stopping the cluster: %v\n%s", err, out)
	}
	c.active = false
}

// Start starts the stopped cluster again on the same port, after the crash
// recovery a killed server needs, and returns once it takes connections.
// Call it from the test's goroutine.
func (c *Cluster) Start() {
	c.t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.start(); err != nil {
		c.t.Fatalf("pgtest: starting the cluster again: %v", err)
	}
}

// start runs the server on c.port; the caller holds mu or owns c alone.
func (c *Cluster) start() error {
	// A test cluster holds nothing worth keeping, so fsync and full-page
	// writes are off. synchronous_commit stays on: it is what makes a
	// commit the client was told of survive Stop, which kills the server
	// with unwritten WAL in its buffers.
	opts := strings.Join([]string{"-p", strconv.Itoa(c.port), "-k", c.dir, "-c", "listen_addresses=127.0.0.1",
		"-c", "fsync=off", "-c", "full_page_writes=off", "-c", "max_connections=200"}, " ")
	out, err := c.run("pg_ctl", "-D", c.data(), "-l", filepath.Join(c.dir, "server.log"), "-w", "-t", "60",
		"-o", opts, "start")
	if err != nil {
		log, _ := os.ReadFile(filepath.Join(c.dir, "server.log"))
		return fmt.Errorf("%w\n%s\n%s", err, out, log)
	}
	c.active = true
	return nil
}

// remove stops the cluster if it runs and deletes its files.
func (c *Cluster) remove() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.active {
		if out, err := c.run("pg_ctl", "-D", c.data(), "-m", "immediate", "-w", "stop"); err != nil {
			c.t.Errorf("pgtest: stopping the cluster at cleanup: %v\n%s", err, out)
		}
	}
	if err := os.RemoveAll(c.dir); err != nil {
		c.t.Errorf("pgtest: removing the cluster: %v", err)
	}
}

func (c *Cluster) data() string { return filepath.Join(c.dir, "data") }

// run runs one of the cluster's programs as the cluster's owner.
func (c *Cluster) run(prog string, args ...string) ([]byte, error) {
	argv := append(append(append([]string{}, c.as...), filepath.Join(c.bin, prog)), args...)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	return exec.CommandContext(ctx, argv[0], argv[1:]...).CombinedOutput()
}

func chownToPostgres(dir string) error {
	u, err := user.Lookup("postgres")
	if err != nil {
		return fmt.Errorf("running a cluster as root needs the postgres user: %w", err)
	}
	uid, err := strconv.Atoi(u.Uid)
	if err != nil {
		return fmt.Errorf("the postgres user's uid %q: %w", u.Uid, err)
	}
	gid, err := strconv.Atoi(u.Gid)
	if err != nil {
		return fmt.Errorf("the postgres user's gid %q: %w", u.Gid, err)
	}
	if err := os.Chown(dir, uid, gid); err != nil {
		return fmt.Errorf("giving %s to postgres: %w", dir, err)
	}
	return nil
}

// freePort returns a TCP port on 127.0.0.1 that nothing listens on now.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
