package server_test

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/rollcall/rollcall/internal/testserver"
)

// BenchmarkCreateUser measures POST /api/v1/users over real HTTP on
// loopback: 8 clients per GOMAXPROCS, each creating one user per request
// with a fresh username and email, as bench/load's create scenario does.
// Client and server share the process, so ns/op at -cpu 1 is the CPU of
// both; cpu-µs/op (getrusage) says the same at any -cpu, without
// PostgreSQL's own processes.
func BenchmarkCreateUser(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) { benchmarkCreateUser(b) })
	b.Run("postgres", func(b *testing.B) { benchmarkCreateUser(b, testserver.WithPostgres()) })
}

func benchmarkCreateUser(b *testing.B, opts ...testserver.Option) {
	srv := testserver.Start(b, append(opts, testserver.WithLogLevel(slog.LevelError))...)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	var seq atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(8)
	cpu0 := cpuTime()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := seq.Add(1)
			body := fmt.Sprintf(`{"data":{"type":"users","attributes":{"username":"bench-%d","email":"bench-%d@example.com","first-name":"Bench","last-name":"User %d"}}}`, n, n, n)
			req, _ := http.NewRequest("POST", srv.URL+"/api/v1/users", bytes.NewReader([]byte(body)))
			req.Header.Set("Authorization", "Bearer "+srv.AdminToken)
			req.Header.Set("Content-Type", "application/vnd.api+json")
			res, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusCreated {
				b.Errorf("status %d", res.StatusCode)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
}

// cpuTime is the user and system CPU time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
