package server_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"

	"github.com/rollcall/rollcall/api"
	"github.com/rollcall/rollcall/internal/server"
	"github.com/rollcall/rollcall/internal/testserver"
)

// BenchmarkGetUser measures GET /api/v1/users/{id} over real HTTP on
// SQLite, from parallel clients with keep-alive connections.
func BenchmarkGetUser(b *testing.B) {
	srv := testserver.Start(b, testserver.WithLogLevel(slog.LevelError))
	u := createUser(b, srv, map[string]any{"username": "bench", "email": "bench@example.com"})
	url := srv.URL + "/api/v1/users/" + u.ID
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest("GET", url, nil)
			req.Header.Set("Authorization", "Bearer "+srv.AdminToken)
			res, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != 200 {
				b.Errorf("status %d", res.StatusCode)
				return
			}
		}
	})
}

// BenchmarkListUsers measures GET /api/v1/users?page[size]=100 over real
// HTTP on SQLite: a 100-user page, about 100 KB of JSON, from one client.
func BenchmarkListUsers(b *testing.B) {
	srv := testserver.Start(b, testserver.WithLogLevel(slog.LevelError))
	var ids []string
	for i := range 100 {
		u := createUser(b, srv, map[string]any{"username": fmt.Sprintf("bench%03d", i), "email": fmt.Sprintf("bench%03d@example.com", i),
			"first-name": "Bench", "last-name": "User", "title": "Engineer"})
		ids = append(ids, u.ID)
	}
	createGroup(b, srv, "bench", ids...)
	url := srv.URL + "/api/v1/users?page%5Bsize%5D=100"
	client := &http.Client{}
	b.ResetTimer()
	for range b.N {
		req, _ := http.NewRequest("GET", url, nil)
		req.Header.Set("Authorization", "Bearer "+srv.AdminToken)
		res, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != 200 {
			b.Fatalf("status %d", res.StatusCode)
		}
	}
}

// handlerBench is a server for the in-process benchmarks: the real
// handler over a real SQLite store, logging at info (the default) through
// a text handler into io.Discard, so that a benchmark counts the server's
// own work per request — middleware, access log, store, encoding — without
// an HTTP client or the network in the same profile.
type handlerBench struct {
	h     http.Handler
	token string
}

// newHandlerBench seeds n users (in one group, every attribute set, as
// the load benchmark's users) through the API of a test server, then
// builds a second server on the same store with the production logger.
func newHandlerBench(b *testing.B, n int, opts ...testserver.Option) (*handlerBench, []api.User) {
	b.Helper()
	srv := testserver.Start(b, append(opts, testserver.WithLogLevel(slog.LevelError))...)
	var users []api.User
	var ids []string
	for i := range n {
		u := createUser(b, srv, map[string]any{"username": fmt.Sprintf("bench%04d", i), "email": fmt.Sprintf("bench%04d@example.com", i),
			"first-name": "Bench", "last-name": fmt.Sprintf("User%d", i), "title": "Engineer", "department": "R&D",
			"locale": "en-GB", "external-id": fmt.Sprintf("E%06d", i), "external-source": "hr"})
		users = append(users, u)
		ids = append(ids, u.ID)
	}
	createGroup(b, srv, "bench", ids...)
	log := slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo}))
	s, err := server.New(srv.Config, srv.Store, log)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return &handlerBench{h: s.Handler(), token: srv.AdminToken}, users
}

// discardWriter is a ResponseWriter that keeps only the status.
type discardWriter struct {
	header http.Header
	status int
	n      int
}

func (w *discardWriter) Header() http.Header         { return w.header }
func (w *discardWriter) WriteHeader(code int)        { w.status = code }
func (w *discardWriter) Write(p []byte) (int, error) { w.n += len(p); return len(p), nil }

// run serves GET target b.N times and fails on any status but 200.
func (hb *handlerBench) run(b *testing.B, target string) {
	// A cancelable context, as net/http gives every request.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req := httptest.NewRequestWithContext(ctx, "GET", target, nil)
	req.Header.Set("Authorization", "Bearer "+hb.token)
	req.Header.Set("Accept", api.MediaType)
	w := &discardWriter{header: http.Header{}}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := processCPU()
	for range b.N {
		clear(w.header)
		w.status = 0
		hb.h.ServeHTTP(w, req)
		if w.status != http.StatusOK {
			b.Fatalf("GET %s: status %d", target, w.status)
		}
	}
	b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
}

// processCPU is the CPU time (user and system) the process used so far, in
// ns: on a machine shared with other work it varies less than the wall
// time that ns/op reports.
func processCPU() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// BenchmarkServeGetUser is GET /api/v1/users/{id} in process: the
// server's CPU per read of one user, authentication included.
func BenchmarkServeGetUser(b *testing.B) {
	hb, users := newHandlerBench(b, 10)
	hb.run(b, "/api/v1/users/"+users[3].ID)
}

// BenchmarkServeListUsers is a page of 100 users in process.
func BenchmarkServeListUsers(b *testing.B) {
	hb, _ := newHandlerBench(b, 200)
	hb.run(b, "/api/v1/users?page%5Bsize%5D=100&page%5Bafter%5D=YmVuY2gwMDUw") // after "bench0050"
}

// BenchmarkServeSearchUsers is a filter[q] page of 100 users in process.
func BenchmarkServeSearchUsers(b *testing.B) {
	hb, _ := newHandlerBench(b, 200)
	hb.run(b, "/api/v1/users?page%5Bsize%5D=100&filter%5Bq%5D=bench0")
}

// BenchmarkServeGetUserPostgres is BenchmarkServeGetUser on PostgreSQL.
func BenchmarkServeGetUserPostgres(b *testing.B) {
	hb, users := newHandlerBench(b, 10, testserver.WithPostgres())
	hb.run(b, "/api/v1/users/"+users[3].ID)
}

// BenchmarkServeListUsersPostgres is BenchmarkServeListUsers on PostgreSQL.
func BenchmarkServeListUsersPostgres(b *testing.B) {
	hb, _ := newHandlerBench(b, 200, testserver.WithPostgres())
	hb.run(b, "/api/v1/users?page%5Bsize%5D=100&page%5Bafter%5D=YmVuY2gwMDUw")
}
