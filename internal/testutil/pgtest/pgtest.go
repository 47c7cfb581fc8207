// Package pgtest starts a throwaway PostgreSQL server for tests, so that
// tests run against the real database without any set-up on the machine
// beyond the PostgreSQL binaries (apt-get install postgresql).
//
// Most tests call NewDatabase, which starts one shared server per test
// binary on first use (fsync off, for speed) and returns the URL of a new,
// empty database. A package that uses it calls Main from TestMain so the
// server is stopped and its files removed when the tests end. Tests that
// need a server of their own, such as a crash-safety test with fsync on,
// use NewCluster and its Stop, Crash and Start methods.
package pgtest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, for CREATE DATABASE
)

// Main runs the package's tests and then stops the shared server. Call it
// from TestMain:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
func Main(m *testing.M) {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sig
		Cleanup()
		os.Exit(1)
	}()
	code := m.Run()
	Cleanup()
	os.Exit(code)
}

var (
	sharedOnce sync.Once
	shared     *Cluster
	sharedErr  error

	clustersMu sync.Mutex
	clusters   []*Cluster // every cluster started, for Cleanup

	dbCounter atomic.Int64
)

// NewDatabase creates a new empty database on the shared server (started
// on first use) and returns its postgres:// URL.
func NewDatabase(t testing.TB) string {
	t.Helper()
	sharedOnce.Do(func() { shared, sharedErr = start(Options{}) })
	if sharedErr != nil {
		t.Fatal(sharedErr)
	}
	return shared.NewDatabase(t)
}

// Cleanup stops every server this package started and removes its files.
// Main calls it; call it yourself when not using Main.
func Cleanup() {
	clustersMu.Lock()
	cs := clusters
	clusters = nil
	clustersMu.Unlock()
	for _, c := range cs {
		c.remove()
	}
}

// Options configure a server of one's own.
type Options struct {
	// Fsync leaves fsync on, as in production, for tests of what survives
	// a crash. Off by default: it makes no difference unless the machine
	// itself fails, and costs time.
	Fsync bool
}

// Cluster is one PostgreSQL server with its data directory.
type Cluster struct {
	Port int

	bin      string // directory of initdb, pg_ctl
	dir      string // temp dir: data/, the socket and the log
	opts     Options
	mu       sync.Mutex
	running  bool
	asRunner []string // command prefix to run as the postgres user, if root
}

// NewCluster starts a server for this test only; it is removed when the
// test ends.
func NewCluster(t testing.TB, opts Options) *Cluster {
	t.Helper()
	c, err := start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.remove)
	return c
}

// URL returns the URL of database name on the server.
func (c *Cluster) URL(name string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.Port, name)
}

// NewDatabase creates a new empty database and returns its URL.
func (c *Cluster) NewDatabase(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("test_%d_%d", os.Getpid(), dbCounter.Add(1))
	db, err := sql.Open("pgx", c.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("pgtest: create database %s on port %d: %v", name, c.Port, err)
	}
	return c.URL(name)
}

// Stop shuts the server down cleanly (pg_ctl stop -m fast).
func (c *Cluster) Stop() error { return c.stop("fast") }

// Crash stops the server without a shutdown checkpoint (pg_ctl stop -m
// immediate), as a power cut would; Start then runs crash recovery.
func (c *Cluster) Crash() error { return c.stop("immediate") }

func (c *Cluster) stop(mode string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.running {
		return nil
	}
	if out, err := c.run("pg_ctl", "stop", "-w", "-m", mode, "-D", c.data()); err != nil {
		return fmt.Errorf("pgtest: pg_ctl stop: %v\n%s", err, out)
	}
	c.running = false
	return nil
}

// Start starts a stopped server again on the same port and data.
func (c *Cluster) Start() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.running {
		return nil
	}
	return c.startServer()
}

func (c *Cluster) data() string { return filepath.Join(c.dir, "data") }

// run runs a PostgreSQL binary, as the postgres user when we are root
// (initdb and postgres refuse to run as root).
func (c *Cluster) run(name string, args ...string) ([]byte, error) {
	argv := append(append(append([]string(nil), c.asRunner...), filepath.Join(c.bin, name)), args...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = c.dir
	return cmd.CombinedOutput()
}

// findBin finds the directory holding initdb and pg_ctl.
func findBin() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		dir := filepath.Dir(p)
		if _, err := os.Stat(filepath.Join(dir, "pg_ctl")); err == nil {
			return dir, nil
		}
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	sort.Slice(matches, func(i, j int) bool {
		vi, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(matches[i]))))
		vj, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(matches[j]))))
		return vi > vj
	})
	if len(matches) > 0 {
		return filepath.Dir(matches[0]), nil
	}
	return "", errors.New("pgtest: PostgreSQL's initdb and pg_ctl were not found on PATH or in /usr/lib/postgresql/*/bin; " +
		"install PostgreSQL (Debian/Ubuntu: apt-get install -y postgresql) to run these tests")
}

// start creates a data directory and starts a server in it.
func start(opts Options) (*Cluster, error) {
	bin, err := findBin()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "pgtest-")
	if err != nil {
		return nil, err
	}
	c := &Cluster{bin: bin, dir: dir, opts: opts}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			os.RemoveAll(dir)
			return nil, errors.New("pgtest: running as root, PostgreSQL must run as another user, and there is no postgres user: install PostgreSQL (apt-get install -y postgresql), which creates it, or run the tests as a normal user")
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		c.asRunner = []string{"runuser", "-u", "postgres", "--"}
	}
	if out, err := c.run("initdb", "-A", "trust", "--no-sync", "-U", "postgres", "-E", "UTF8", "--locale", "C", "-D", c.data()); err != nil {
		os.RemoveAll(dir)
		hint := ""
		if c.asRunner != nil {
			hint = " (running as root, initdb runs as the postgres user, which must be able to reach " + dir + ": check the permissions of its parent directories, or set TMPDIR=/tmp)"
		}
		return nil, fmt.Errorf("pgtest: initdb in %s failed%s: %v\n%s", dir, hint, err, out)
	}
	clustersMu.Lock()
	clusters = append(clusters, c)
	clustersMu.Unlock()
	var lastErr error
	for range 5 {
		c.Port, err = freePort()
		if err != nil {
			return nil, err
		}
		if lastErr = c.startServer(); lastErr == nil {
			return c, nil
		}
		if !strings.Contains(lastErr.Error(), "already in use") && !strings.Contains(lastErr.Error(), "could not bind") {
			break
		}
	}
	c.remove()
	return nil, lastErr
}

func (c *Cluster) startServer() error {
	fsync := "off"
	if c.opts.Fsync {
		fsync = "on"
	}
	logFile := filepath.Join(c.dir, "log")
	os.Remove(logFile)
	o := fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -k %s -c fsync=%s -c max_connections=200", c.Port, c.dir, fsync)
	if out, err := c.run("pg_ctl", "start", "-w", "-t", "60", "-D", c.data(), "-l", logFile, "-o", o); err != nil {
		log, _ := os.ReadFile(logFile)
		return fmt.Errorf("pgtest: pg_ctl start on port %d: %v\n%s\n%s", c.Port, err, out, log)
	}
	c.running = true
	return nil
}

// remove stops the server and deletes its files.
func (c *Cluster) remove() {
	c.stop("immediate") //nolint:errcheck // best effort on the way out
	os.RemoveAll(c.dir)
}

// freePort asks the kernel for a port that is free right now.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
