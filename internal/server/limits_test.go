package server_test

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rollcall/rollcall/api"
	"github.com/rollcall/rollcall/internal/config"
	"github.com/rollcall/rollcall/internal/testserver"
)

func tokenBody(name string) map[string]any {
	return map[string]any{"data": map[string]any{"type": "api-tokens", "attributes": map[string]any{"name": name}}}
}

// want429 checks a 429 as a client sees it: rate_limited with a whole
// number of seconds in Retry-After.
func want429(t *testing.T, r resp) {
	t.Helper()
	wantError(t, r, http.StatusTooManyRequests, api.CodeRateLimited, "")
	if s, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || s < 1 {
		t.Fatalf("429 with Retry-After %q; want whole seconds, at least 1", r.Header.Get("Retry-After"))
	}
}

// TestRateLimitIsPerUserToo: one user spreads its requests over ten
// tokens of its own; the rate limit counts the user's requests together,
// so the burst of one token is all the user gets, and other users are
// not affected.
func TestRateLimitIsPerUserToo(t *testing.T) {
	srv := testserver.Start(t, testserver.WithConfig(func(c *config.Config) { c.RateLimit, c.RateBurst = 1, 5 }))
	u := srv.CreateUser(t, "spreader", false)
	var toks []string
	for range 10 {
		toks = append(toks, srv.NewToken(t, u.ID, nil))
	}
	ok, limited := 0, 0
	var last resp
	for i := range 40 {
		r := call(t, srv, req{method: "GET", path: "/api/v1/account", token: toks[i%len(toks)]})
		switch r.Status {
		case http.StatusOK:
			ok++
		case http.StatusTooManyRequests:
			limited++
			last = r
		default:
			t.Fatalf("request %d: %d %s", i, r.Status, r.Body)
		}
	}
	t.Logf("%d tokens of one user: %d of 40 requests answered, %d refused with 429", len(toks), ok, limited)
	if limited == 0 {
		t.Fatalf("40 requests over %d tokens of one user at a limit of 1/s with a burst of 5: none refused", len(toks))
	}
	want429(t, last)
	if ok < 5 || ok > 10 {
		t.Errorf("%d requests answered; the user's burst is 5 (plus about one a second)", ok)
	}
	// Another user has its own budget.
	mustStatus(t, call(t, srv, req{method: "GET", path: "/api/v1/account", token: srv.AdminToken}), http.StatusOK)
}

// TestTokenCapPerUser: a non-admin holds at most 50 live tokens by
// default; the 51st create is 409 too_many_tokens with a detail that says
// how to revoke one, and revoking one makes room. Admins are not capped,
// but a token an admin makes for a non-admin counts against that user.
func TestTokenCapPerUser(t *testing.T) {
	srv := testserver.Start(t)
	if srv.Config.MaxTokensPerUser != 50 {
		t.Fatalf("default MaxTokensPerUser = %d, want 50", srv.Config.MaxTokensPerUser)
	}
	first := srv.NewUserToken(t, "minter", false)
	var lastID string
	for i := 2; i <= 50; i++ {
		r := call(t, srv, req{method: "POST", path: "/api/v1/api-tokens", token: first, body: tokenBody(fmt.Sprint("t", i)), noValidate: i > 2})
		mustStatus(t, r, http.StatusCreated)
		lastID = decodeToken(t, r).ID
	}
	r := call(t, srv, req{method: "POST", path: "/api/v1/api-tokens", token: first, body: tokenBody("t51")})
	e := wantError(t, r, http.StatusConflict, api.CodeTooManyTokens, "")
	if !strings.Contains(e.Detail, "50") || !strings.Contains(e.Detail, "DELETE /api/v1/api-tokens/") || !strings.Contains(e.Detail, "rollcall tokens revoke") {
		t.Errorf("detail %q should give the cap and say how to revoke a token", e.Detail)
	}
	me := decodeUser(t, call(t, srv, req{method: "GET", path: "/api/v1/account", token: first}))
	// An admin cannot go past it for the user either.
	r = call(t, srv, req{method: "POST", path: "/api/v1/api-tokens", token: srv.AdminToken, body: map[string]any{"data": map[string]any{
		"type": "api-tokens", "attributes": map[string]any{"name": "by-admin"},
		"relationships": map[string]any{"user": map[string]any{"data": map[string]any{"type": "users", "id": me.ID}}}}}})
	wantError(t, r, http.StatusConflict, api.CodeTooManyTokens, "")
	// Revoking one makes room for one.
	mustStatus(t, call(t, srv, req{method: "DELETE", path: "/api/v1/api-tokens/" + lastID, token: first}), http.StatusNoContent)
	mustStatus(t, call(t, srv, req{method: "POST", path: "/api/v1/api-tokens", token: first, body: tokenBody("again")}), http.StatusCreated)
	wantError(t, call(t, srv, req{method: "POST", path: "/api/v1/api-tokens", token: first, body: tokenBody("over")}), http.StatusConflict, api.CodeTooManyTokens, "")
	// Admins are not capped.
	for i := range 52 {
		mustStatus(t, call(t, srv, req{method: "POST", path: "/api/v1/api-tokens", token: srv.AdminToken, body: tokenBody(fmt.Sprint("a", i)), noValidate: true}), http.StatusCreated)
	}
}

// TestAuthFailuresPerAddress: after --auth-failure-limit (30 by default)
// requests with a bad or unknown token in a minute, more from the same
// address get 429 with Retry-After instead of 401, while a valid token
// from that address still works; the budget refills over the minute.
func TestAuthFailuresPerAddress(t *testing.T) {
	srv := testserver.Start(t, testserver.WithConfig(func(c *config.Config) { c.AuthFailureLimit = config.Default().AuthFailureLimit }))
	if srv.Config.AuthFailureLimit != 30 {
		t.Fatalf("default AuthFailureLimit = %d, want 30", srv.Config.AuthFailureLimit)
	}
	unknown := "rc_" + strings.Repeat("x", 43)
	for i := range 30 {
		tok := unknown
		if i%2 == 1 {
			tok = "not-a-token"
		}
		r := call(t, srv, req{method: "GET", path: "/api/v1/account", token: tok})
		wantError(t, r, http.StatusUnauthorized, api.CodeUnauthorized, "")
	}
	r := call(t, srv, req{method: "GET", path: "/api/v1/users", token: unknown})
	want429(t, r)
	want429(t, call(t, srv, req{method: "GET", path: "/api/v1/account"})) // no token at all counts too
	// A valid token from the same address is not affected.
	mustStatus(t, call(t, srv, req{method: "GET", path: "/api/v1/account", token: srv.AdminToken}), http.StatusOK)
	// The budget refills: one failure every two seconds.
	wait, _ := strconv.Atoi(r.Header.Get("Retry-After"))
	time.Sleep(time.Duration(wait)*time.Second + 100*time.Millisecond)
	wantError(t, call(t, srv, req{method: "GET", path: "/api/v1/account", token: unknown}), http.StatusUnauthorized, api.CodeUnauthorized, "")
	want429(t, call(t, srv, req{method: "GET", path: "/api/v1/account", token: unknown}))
}
