package sqlstore_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/rollcall/rollcall/internal/store"
	"github.com/rollcall/rollcall/internal/store/sqlstore"
	"github.com/rollcall/rollcall/internal/store/storetest"
	"github.com/rollcall/rollcall/internal/testutil/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// openDSN opens a store and closes it when the test ends.
func openDSN(t testing.TB, dsn string) store.Store {
	t.Helper()
	s, err := sqlstore.Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("open %s: %v", dsn, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func sqliteDSN(t testing.TB) string { return filepath.Join(t.TempDir(), "rollcall.db") }

func TestSQLite(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return openDSN(t, sqliteDSN(t)) })
	storetest.RunRestart(t, func(t *testing.T) string { return sqliteDSN(t) },
		func(t *testing.T, dsn string) store.Store { return openDSN(t, dsn) })
}

func TestPostgres(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return openDSN(t, pgtest.NewDatabase(t)) })
	storetest.RunRestart(t, func(t *testing.T) string { return pgtest.NewDatabase(t) },
		func(t *testing.T, dsn string) store.Store { return openDSN(t, dsn) })
}

// TestPostgresConcurrentOpen starts several stores on one new database at
// once: the migration lock makes exactly one of them create the schema.
func TestPostgresConcurrentOpen(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	errs := make(chan error, 5)
	for range 5 {
		go func() {
			s, err := sqlstore.Open(context.Background(), dsn)
			if err == nil {
				err = s.Close()
			}
			errs <- err
		}()
	}
	for range 5 {
		if err := <-errs; err != nil {
			t.Errorf("concurrent open: %v", err)
		}
	}
}

// TestOpenPath checks that a plain path is used as it is, even with
// characters that mean something in a URI, that parameters after "?" reach
// the driver, and that a file: URI works.
func TestOpenPath(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "with space")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "odd#name%1.db")
	openDSN(t, path).Close()
	if _, err := os.Stat(path); err != nil {
		t.Errorf("database not created at %s: %v", path, err)
	}
	withParams := filepath.Join(dir, "params.db")
	openDSN(t, withParams+"?_pragma=cache_size(-1000)").Close()
	if _, err := os.Stat(withParams); err != nil {
		t.Errorf("database not created at %s: %v", withParams, err)
	}
	if _, err := sqlstore.Open(context.Background(), withParams+"?_txlock=sideways"); err == nil {
		t.Error("a bad driver parameter was ignored")
	}
	// SQLite itself ignores a PRAGMA it does not know; a misspelt one
	// must not start a server without the setting.
	openDSN(t, withParams+"?_pragma=main.cache_size(-1000)&_pragma=MMAP_SIZE=0").Close()
	misspelt := filepath.Join(dir, "misspelt.db")
	_, err := sqlstore.Open(context.Background(), misspelt+"?_pragma=mmap_sise(268435456)")
	if err == nil || !strings.Contains(err.Error(), `SQLite has no pragma "mmap_sise"`) {
		t.Errorf("a misspelt pragma: err = %v; want one that names it", err)
	}
	if _, err := os.Stat(misspelt); !os.IsNotExist(err) {
		t.Errorf("a refused database left %s behind (stat: %v)", misspelt, err)
	}
	uri := "file:" + filepath.Join(dir, "uri.db") + "?cache=private"
	openDSN(t, uri).Close()
	if _, err := os.Stat(filepath.Join(dir, "uri.db")); err != nil {
		t.Errorf("database not created from %s: %v", uri, err)
	}
}

// TestSQLiteMmap checks that SQLite reads the file with pread by default
// and through a memory map when the database's parameters ask for one
// with mmap_size (README, "SQLite parameters"), as Linux shows it in
// /proc/self/maps.
func TestSQLiteMmap(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, params string
		mapped       bool
	}{
		{"default", "", false},
		{"mmap_size", "?_pragma=mmap_size(268435456)", true},
	} {
		path := filepath.Join(dir, tc.name+".db")
		s := openDSN(t, path+tc.params)
		ctx := context.Background()
		u, err := s.CreateUser(ctx, store.User{Username: "mapped", Email: "mapped@example.com"}, store.Meta{})
		if err != nil {
			t.Fatal(err)
		}
		// A read on the read pool, which is where mapping pays.
		if _, err := s.GetUser(ctx, u.ID); err != nil {
			t.Fatal(err)
		}
		maps, err := os.ReadFile("/proc/self/maps")
		if err != nil {
			t.Fatalf("this test reads /proc/self/maps (Linux): %v", err)
		}
		// The WAL index (path-shm) is always mapped; the question is the
		// database file itself.
		got := false
		for line := range strings.Lines(string(maps)) {
			got = got || strings.HasSuffix(strings.TrimSuffix(line, "\n"), " "+path)
		}
		if got != tc.mapped {
			t.Errorf("%s: %s mapped into memory = %v; want %v", tc.name, path, got, tc.mapped)
		}
	}
}

// TestOpenMemory checks that an in-memory database works as one database
// for reads and writes.
func TestOpenMemory(t *testing.T) {
	s := openDSN(t, ":memory:")
	ctx := context.Background()
	u, err := s.CreateUser(ctx, store.User{Username: "mem", Email: "mem@example.com"}, store.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetUser(ctx, u.ID); err != nil {
		t.Errorf("read after write in memory: %v", err)
	}
}

// TestReadConcurrency checks which backends ask the server to limit how
// many reads run at once: an SQLite file, whose reads are CPU work in this
// process, one per CPU; PostgreSQL, and an in-memory SQLite database with
// its single connection, none.
func TestReadConcurrency(t *testing.T) {
	for _, tc := range []struct {
		name, dsn string
		want      int
	}{
		{"sqlite file", filepath.Join(t.TempDir(), "rollcall.db"), max(2, runtime.GOMAXPROCS(0))},
		{"sqlite memory", ":memory:", 0},
		{"postgres", pgtest.NewDatabase(t), 0},
	} {
		rl, ok := openDSN(t, tc.dsn).(store.ReadLimiter)
		if !ok {
			t.Fatalf("%s: the store is not a store.ReadLimiter", tc.name)
		}
		if got := rl.ReadConcurrency(); got != tc.want {
			t.Errorf("%s: ReadConcurrency() = %d; want %d", tc.name, got, tc.want)
		}
	}
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	if _, err := sqlstore.Open(ctx, ""); err == nil {
		t.Error("empty dsn opened")
	}
	if _, err := sqlstore.Open(ctx, filepath.Join(t.TempDir(), "missing-dir", "x.db")); err == nil {
		t.Error("a file in a missing directory opened")
	}
	if _, err := sqlstore.Open(ctx, "postgres://nobody:secret@127.0.0.1:1/x?connect_timeout=2"); err == nil {
		t.Error("unreachable postgres opened")
	} else if got := err.Error(); !contains(got, "127.0.0.1:1") || contains(got, "secret") {
		t.Errorf("error %q should name the server and hide the password", got)
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

var benchSeq atomic.Int64

func benchmarkCreate(b *testing.B, s store.Store) {
	ctx := context.Background()
	b.ResetTimer()
	for range b.N {
		n := benchSeq.Add(1)
		_, err := s.CreateUser(ctx, store.User{Username: fmt.Sprintf("bench%d", n), Email: fmt.Sprintf("bench%d@example.com", n),
			FirstName: "Bench", LastName: "Mark"}, store.Meta{ActorName: "bench"})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// benchmarkBatch creates users 1000 at a time in one Atomic call, as bulk
// import does, each in two of five groups; it reports users per second.
func benchmarkBatch(b *testing.B, s store.Store) {
	ctx := context.Background()
	var groups []string
	for i := range 5 {
		g, err := s.CreateGroup(ctx, store.Group{Name: fmt.Sprintf("team%d", i)}, store.Meta{})
		if err != nil {
			b.Fatal(err)
		}
		groups = append(groups, g.ID)
	}
	cpu0 := cpuTime()
	b.ResetTimer()
	for range b.N {
		err := s.Atomic(ctx, func(tx store.Store) error {
			for range 1000 {
				n := benchSeq.Add(1)
				_, err := tx.CreateUser(ctx, store.User{Username: fmt.Sprintf("batch%d", n), Email: fmt.Sprintf("batch%d@example.com", n),
					FirstName: "Batch", LastName: "User", Attributes: map[string]string{"team": "x"},
					GroupIDs: []string{groups[n%5], groups[(n+1)%5]}}, store.Meta{ActorName: "import"})
				if err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*1000)/b.Elapsed().Seconds(), "users/s")
	// CPU time says more than wall time on a busy machine.
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N*1000), "cpu-µs/user")
}

// cpuTime is the user and system CPU time of this process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func BenchmarkSQLiteCreateUser(b *testing.B)   { benchmarkCreate(b, openDSN(b, sqliteDSN(b))) }
func BenchmarkSQLiteCreate1000(b *testing.B)   { benchmarkBatch(b, openDSN(b, sqliteDSN(b))) }
func BenchmarkPostgresCreateUser(b *testing.B) { benchmarkCreate(b, openDSN(b, pgtest.NewDatabase(b))) }
func BenchmarkPostgresCreate1000(b *testing.B) { benchmarkBatch(b, openDSN(b, pgtest.NewDatabase(b))) }
