package server_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/rollcall/rollcall/api"
	"github.com/rollcall/rollcall/internal/testserver"
)

// TestCoreOnBothBackends runs the central scenarios on SQLite and on
// PostgreSQL over real HTTP.
func TestCoreOnBothBackends(t *testing.T) {
	testserver.Backends(t, func(t *testing.T, backend testserver.Option) {
		srv := testserver.Start(t, backend)
		t.Run("users", func(t *testing.T) { testUserLifecycle(t, srv) })
		t.Run("groups", func(t *testing.T) { testGroupLifecycle(t, srv) })
		t.Run("memberships", func(t *testing.T) { testMemberships(t, srv) })
		t.Run("tokens", func(t *testing.T) { testAPITokens(t, srv) })
	})
}

// TestConcurrentCreatesOfOneUsername: 50 clients create the same username
// at once; the database's uniqueness decides, so exactly one wins.
func TestConcurrentCreatesOfOneUsername(t *testing.T) {
	testserver.Backends(t, func(t *testing.T, backend testserver.Option) {
		srv := testserver.Start(t, backend)
		const n = 50
		statuses := make([]int, n)
		codes := make([]string, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				<-start
				// Different emails, so only the username collides.
				r := call(t, srv, req{method: "POST", path: "/api/v1/users", token: srv.AdminToken,
					body: userBody(map[string]any{"username": "same", "email": "same" + strings.Repeat("x", i) + "@example.com"})})
				statuses[i] = r.Status
				if r.Status == http.StatusConflict {
					codes[i] = r.Errors(t)[0].Code
				}
			})
		}
		close(start)
		wg.Wait()
		created, conflicts := 0, 0
		for i, s := range statuses {
			switch {
			case s == http.StatusCreated:
				created++
			case s == http.StatusConflict && codes[i] == api.CodeUsernameTaken:
				conflicts++
			default:
				t.Errorf("request %d: status %d code %q", i, s, codes[i])
			}
		}
		if created != 1 || conflicts != n-1 {
			t.Fatalf("%d created and %d username_taken, want 1 and %d", created, conflicts, n-1)
		}
		r := call(t, srv, req{method: "GET", path: "/api/v1/users?filter[username]=same", token: srv.AdminToken})
		if c := strings.Count(string(r.Body), `"type":"users"`); c != 1 {
			t.Fatalf("%d users named same in the database", c)
		}
	})
}

// TestRestartKeepsData writes through the API, restarts the server on the
// same database, and reads everything back.
func TestRestartKeepsData(t *testing.T) {
	testserver.Backends(t, func(t *testing.T, backend testserver.Option) {
		srv := testserver.Start(t, backend)
		u := createUser(t, srv, map[string]any{"username": "durable", "email": "durable@example.com", "locale": "fr_fr",
			"attributes": map[string]any{"team": "core"}})
		g := createGroup(t, srv, "durable-group", u.ID)
		r := call(t, srv, req{method: "POST", path: "/api/v1/api-tokens", token: srv.AdminToken, body: map[string]any{"data": map[string]any{
			"type": "api-tokens", "attributes": map[string]any{"name": "kept"},
			"relationships": map[string]any{"user": map[string]any{"data": map[string]any{"type": "users", "id": u.ID}}}}}})
		mustStatus(t, r, 201)
		userTok := decodeToken(t, r).Attributes.Token
		before := call(t, srv, req{method: "GET", path: "/api/v1/users/" + u.ID + "?include=groups", token: srv.AdminToken})
		mustStatus(t, before, 200)
		auditBefore := call(t, srv, req{method: "GET", path: "/api/v1/audit-events?page[size]=1000", token: srv.AdminToken})

		srv.Restart(t)

		after := call(t, srv, req{method: "GET", path: "/api/v1/users/" + u.ID + "?include=groups", token: srv.AdminToken})
		mustStatus(t, after, 200)
		if normaliseLinks(before.Body, after.Body) {
			t.Fatalf("user changed across restart:\nbefore %s\nafter  %s", before.Body, after.Body)
		}
		if before.Header.Get("ETag") != after.Header.Get("ETag") {
			t.Fatalf("ETag changed across restart: %s → %s", before.Header.Get("ETag"), after.Header.Get("ETag"))
		}
		r = call(t, srv, req{method: "GET", path: "/api/v1/account", token: userTok})
		mustStatus(t, r, 200)
		r = call(t, srv, req{method: "GET", path: "/api/v1/groups/" + g.ID, token: srv.AdminToken})
		mustStatus(t, r, 200)
		auditAfter := call(t, srv, req{method: "GET", path: "/api/v1/audit-events?page[size]=1000", token: srv.AdminToken})
		var b, a api.Document[[]api.AuditEvent]
		json.Unmarshal(auditBefore.Body, &b)
		json.Unmarshal(auditAfter.Body, &a)
		if len(b.Data) == 0 || len(a.Data) < len(b.Data) {
			t.Fatalf("audit log lost events: %d before, %d after", len(b.Data), len(a.Data))
		}
	})
}

// normaliseLinks reports whether two bodies differ once the server's base
// URL (a new port after a restart) is taken out.
func normaliseLinks(before, after []byte) bool {
	strip := func(b []byte) string {
		s := string(b)
		for {
			i := strings.Index(s, "http://127.0.0.1:")
			if i < 0 {
				return s
			}
			j := i + len("http://127.0.0.1:")
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			s = s[:i] + "BASE" + s[j:]
		}
	}
	return strip(before) != strip(after)
}
