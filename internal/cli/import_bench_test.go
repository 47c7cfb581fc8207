package cli

import (
	"context"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rollcall/rollcall/internal/testserver"
)

// BenchmarkImportUsers imports 100,000 generated users (11 groups, every
// user in two) into an empty server, through the CLI, the client, HTTP on
// loopback and POST /api/v1/operations, as rollcall import users does. The
// server and the CLI share the machine, as they would on one host. Run:
//
//	go test ./internal/cli -run '^$' -bench ImportUsers -benchtime 1x
func BenchmarkImportUsers(b *testing.B) {
	const n = 100_000
	for _, backend := range []struct {
		name string
		opts []testserver.Option
	}{
		{"sqlite", nil},
		{"postgres", []testserver.Option{testserver.WithPostgres()}},
		// The same SQLite database with a 64 MiB page cache instead of the
		// 32 MiB the store gives its writer (SQLite's default is 2 MiB):
		// shows whether the import still waits on reading pages.
		{"sqlite-cache64m", nil},
	} {
		b.Run(backend.name, func(b *testing.B) {
			isolate(b)
			path := peopleCSV(b, n, nil)
			var cpu time.Duration
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				opts := backend.opts
				if backend.name == "sqlite-cache64m" {
					opts = []testserver.Option{testserver.WithDatabase(filepath.Join(b.TempDir(), "rollcall.db") + "?_pragma=cache_size(-65536)")}
				}
				srv := testserver.Start(b, opts...)
				cpu0 := processCPU(b)
				b.StartTimer()
				r := as(b, srv, srv.AdminToken, "import", "users", path, "--create-groups")
				b.StopTimer()
				cpu += processCPU(b) - cpu0
				if r.code != 0 || !strings.HasPrefix(r.stdout, "created 100000,") {
					b.Fatalf("import: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
				}
				if got, _ := srv.Store.CountUsers(context.Background()); got != n+1 {
					b.Fatalf("%d users after the import, want %d", got, n+1)
				}
				srv.Stop(b)
				b.StartTimer()
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "users/s")
			// CPU time says more than the rate on a shared, loaded machine:
			// the CLI and the server (not PostgreSQL's own processes).
			b.ReportMetric(float64(cpu.Microseconds())/float64(n*b.N), "cpu-µs/user")
		})
	}
}

// processCPU is the user and system CPU time this process has used.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
