package server_test

import (
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
