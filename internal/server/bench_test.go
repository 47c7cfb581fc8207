package server_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"testing"

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
