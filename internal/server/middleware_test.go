package server_test

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/rollcall/rollcall/api"
	"github.com/rollcall/rollcall/internal/config"
	"github.com/rollcall/rollcall/internal/server"
	"github.com/rollcall/rollcall/internal/testserver"
	"github.com/rollcall/rollcall/internal/version"
)

func TestBodyTooLarge(t *testing.T) {
	srv := testserver.Start(t)
	big := `{"data":{"type":"users","attributes":{"username":"big","email":"big@example.com","first-name":"` + strings.Repeat("x", 1<<20) + `"}}}`
	r := call(t, srv, req{method: "POST", path: "/api/v1/users", token: srv.AdminToken, body: big})
	wantError(t, r, http.StatusRequestEntityTooLarge, api.CodeBodyTooLarge, "")

	// Without a Content-Length (chunked), the limit still holds while reading.
	hr, _ := http.NewRequest("POST", srv.URL+"/api/v1/users", struct{ *strings.Reader }{strings.NewReader(big)})
	hr.Header.Set("Authorization", "Bearer "+srv.AdminToken)
	hr.Header.Set("Content-Type", api.MediaType)
	res, err := http.DefaultClient.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("chunked oversized body: status %d", res.StatusCode)
	}
	// The server is fine afterwards and nothing was created.
	r = call(t, srv, req{method: "GET", path: "/api/v1/users?filter[username]=big", token: srv.AdminToken})
	mustStatus(t, r, 200)
	if strings.Contains(string(r.Body), `"type":"users"`) {
		t.Fatal("an oversized request created a user")
	}
}

func TestMediaTypes(t *testing.T) {
	srv := testserver.Start(t)
	body := `{"data":{"type":"groups","attributes":{"name":"g%d"}}}`
	for i, tc := range []struct {
		contentType string
		status      int
	}{
		{"application/vnd.api+json", 201},
		{"application/json", 201},
		{"application/json; charset=utf-8", 201},
		{`application/vnd.api+json; profile="https://example.com/p"`, 201},
		{"application/vnd.api+json; charset=utf-8", 415},
		{"text/plain", 415},
		{"application/x-www-form-urlencoded", 415},
		{"", 415},
		{"garbage;;", 415},
	} {
		r := call(t, srv, req{method: "POST", path: "/api/v1/groups", token: srv.AdminToken, body: strings.Replace(body, "%d", strconv.Itoa(i), 1),
			header: map[string]string{"Content-Type": tc.contentType}, noValidate: tc.status == 415})
		if r.Status != tc.status {
			t.Fatalf("Content-Type %q: status %d, want %d: %s", tc.contentType, r.Status, tc.status, r.Body)
		}
		if tc.status == 415 {
			wantError(t, r, 415, api.CodeUnsupportedMediaType, "")
		} else if r.Header.Get("Content-Type") != api.MediaType {
			t.Fatalf("response Content-Type %q", r.Header.Get("Content-Type"))
		}
	}
}

func TestAcceptNegotiation(t *testing.T) {
	srv := testserver.Start(t)
	for _, tc := range []struct {
		accept string
		status int
	}{
		{"application/vnd.api+json", 200},
		{"application/json", 200},
		{"*/*", 200},
		{`application/vnd.api+json; profile="https://example.com/p"`, 200},
		{"application/vnd.api+json; charset=utf-8", 406},
		{"application/vnd.api+json; charset=utf-8, application/vnd.api+json", 200},
	} {
		r := call(t, srv, req{method: "GET", path: "/api/v1/account", token: srv.AdminToken, header: map[string]string{"Accept": tc.accept}})
		if r.Status != tc.status {
			t.Fatalf("Accept %q: status %d, want %d: %s", tc.accept, r.Status, tc.status, r.Body)
		}
		if tc.status == 406 {
			wantError(t, r, 406, api.CodeNotAcceptable, "")
		}
	}
}

func TestRateLimit(t *testing.T) {
	srv := testserver.Start(t, testserver.WithConfig(func(c *config.Config) { c.RateLimit, c.RateBurst = 0.5, 3 }))
	other := srv.NewUserToken(t, "other", false)
	for i := range 3 {
		mustStatus(t, call(t, srv, req{method: "GET", path: "/api/v1/account", token: srv.AdminToken}), 200)
		_ = i
	}
	r := call(t, srv, req{method: "GET", path: "/api/v1/account", token: srv.AdminToken})
	wantError(t, r, http.StatusTooManyRequests, api.CodeRateLimited, "")
	secs, err := strconv.Atoi(r.Header.Get("Retry-After"))
	if err != nil || secs < 1 || secs > 2 {
		t.Fatalf("Retry-After = %q, want 1 or 2 seconds", r.Header.Get("Retry-After"))
	}
	// Buckets are per token: another token is unaffected.
	mustStatus(t, call(t, srv, req{method: "GET", path: "/api/v1/account", token: other}), 200)
	// Health checks are never limited.
	for range 5 {
		mustStatus(t, call(t, srv, req{method: "GET", path: "/healthz"}), 200)
	}
}

func TestOperationalEndpoints(t *testing.T) {
	srv := testserver.Start(t)
	r := call(t, srv, req{method: "GET", path: "/healthz"})
	mustStatus(t, r, 200)
	// The version, and only the version, is public: in the body and in
	// the Server header of every answer.
	if want := `{"status":"ok","version":"` + version.Version() + `"}`; strings.TrimSpace(string(r.Body)) != want {
		t.Errorf("/healthz = %s, want %s", r.Body, want)
	}
	if got, want := r.Header.Get("Server"), "rollcall/"+version.Version(); got != want {
		t.Errorf("Server header %q, want %q", got, want)
	}
	r = call(t, srv, req{method: "GET", path: "/readyz"})
	mustStatus(t, r, 200)
	mustStatus(t, call(t, srv, req{method: "GET", path: "/api/v1/account", token: srv.AdminToken}), 200)
	r = call(t, srv, req{method: "GET", path: "/metrics"})
	mustStatus(t, r, 200)
	for _, want := range []string{
		`rollcall_http_requests_total{method="GET",route="GET /api/v1/account",status="200"} 1`,
		`rollcall_http_request_duration_seconds_bucket{method="GET",route="GET /api/v1/account"`,
		"\nrollcall_api_reads_waiting 0\n",
		`go_goroutines`,
		`rollcall_build_info{version="` + version.Version() + `"} 1`,
	} {
		if !strings.Contains(string(r.Body), want) {
			t.Fatalf("/metrics lacks %s:\n%s", want, truncate(r.Body))
		}
	}
	// Readiness follows the database.
	if err := srv.Server.FlushTokenUse(t.Context()); err != nil {
		t.Fatal(err)
	}
	srv.Store.Close()
	r = call(t, srv, req{method: "GET", path: "/readyz"})
	mustStatus(t, r, http.StatusServiceUnavailable)
	mustStatus(t, call(t, srv, req{method: "GET", path: "/healthz"}), 200)
}

func TestUnknownRoutesAndMethods(t *testing.T) {
	srv := testserver.Start(t)
	r := call(t, srv, req{method: "GET", path: "/api/v1/widgets", token: srv.AdminToken, noValidate: true})
	wantError(t, r, 404, api.CodeNotFound, "")
	r = call(t, srv, req{method: "PUT", path: "/api/v1/users", token: srv.AdminToken, noValidate: true})
	e := wantError(t, r, 405, api.CodeMethodNotAllowed, "")
	if !strings.Contains(r.Header.Get("Allow"), "POST") || !strings.Contains(e.Detail, "GET") {
		t.Fatalf("405 without the allowed methods: %v %s", r.Header, e.Detail)
	}
	r = call(t, srv, req{method: "GET", path: "/api/v1/users/not-a-uuid", token: srv.AdminToken})
	wantError(t, r, 404, api.CodeNotFound, "")
}

func TestRequestIDAndLogs(t *testing.T) {
	srv := testserver.Start(t)
	r := call(t, srv, req{method: "GET", path: "/api/v1/account", token: srv.AdminToken, header: map[string]string{"X-Request-Id": "trace-123"}})
	if r.Header.Get("X-Request-Id") != "trace-123" {
		t.Fatalf("X-Request-Id = %q", r.Header.Get("X-Request-Id"))
	}
	r = call(t, srv, req{method: "GET", path: "/api/v1/account", token: srv.AdminToken, header: map[string]string{"X-Request-Id": "bad id\twith spaces"}})
	if id := r.Header.Get("X-Request-Id"); id == "" || strings.Contains(id, " ") {
		t.Fatalf("unsafe request id kept: %q", id)
	}
	// A change records the request id in the audit log.
	createUser(t, srv, map[string]any{"username": "logged", "email": "logged@example.com"})
	logs := srv.Logs()
	if !strings.Contains(logs, "request_id=trace-123") || !strings.Contains(logs, `route="GET /api/v1/account"`) || !strings.Contains(logs, "user_id=") {
		t.Fatalf("access log lacks request id or route:\n%s", logs)
	}
	if strings.Contains(logs, srv.AdminToken) || strings.Contains(logs, srv.AdminToken[3:]) {
		t.Fatal("a token appears in the server log")
	}
}

func TestTokenLastUseIsBatched(t *testing.T) {
	testserver.Backends(t, func(t *testing.T, backend testserver.Option) {
		srv := testserver.Start(t, backend)
		u := srv.CreateUser(t, "user", false)
		tok := srv.NewToken(t, u.ID, nil)
		for range 20 {
			mustStatus(t, call(t, srv, req{method: "GET", path: "/api/v1/account", token: tok}), 200)
		}
		// Nothing is written on the request path.
		list, _, err := srv.Store.ListTokens(t.Context(), storeTokenFilter(u.ID), storePage())
		if err != nil || len(list) != 1 {
			t.Fatal(err)
		}
		if err := srv.Server.FlushTokenUse(t.Context()); err != nil {
			t.Fatal(err)
		}
		list, _, _ = srv.Store.ListTokens(t.Context(), storeTokenFilter(u.ID), storePage())
		if list[0].LastUsedAt == nil {
			t.Fatal("last use was not recorded after the flush")
		}
		first := *list[0].LastUsedAt
		// More requests within the minute do not move it.
		for range 5 {
			mustStatus(t, call(t, srv, req{method: "GET", path: "/api/v1/account", token: tok}), 200)
		}
		srv.Server.FlushTokenUse(t.Context())
		list, _, _ = srv.Store.ListTokens(t.Context(), storeTokenFilter(u.ID), storePage())
		if !list[0].LastUsedAt.Equal(first) {
			t.Fatalf("last use written again within a minute: %v then %v", first, list[0].LastUsedAt)
		}
		// The API shows it.
		r := call(t, srv, req{method: "GET", path: "/api/v1/api-tokens/" + list[0].ID, token: tok})
		mustStatus(t, r, 200)
		if bytes.Contains(r.Body, []byte(`"last-used-at":null`)) {
			t.Fatalf("last-used-at not shown: %s", r.Body)
		}
	})
}

func TestPanicBecomesErrorObject(t *testing.T) {
	srv := testserver.Start(t, testserver.WithSetup(func(s *server.Server) {
		s.Mux().HandleFunc("GET /test/panic", func(http.ResponseWriter, *http.Request) { panic("boom") })
	}))
	r := call(t, srv, req{method: "GET", path: "/test/panic", noValidate: true})
	wantError(t, r, 500, api.CodeInternal, "")
	if !strings.Contains(srv.Logs(), "panic in handler") || !strings.Contains(srv.Logs(), "boom") {
		t.Fatalf("panic not logged:\n%s", srv.Logs())
	}
	mustStatus(t, call(t, srv, req{method: "GET", path: "/healthz"}), 200)
}
