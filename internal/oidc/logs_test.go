package oidc_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/rollcall/rollcall/api"
	"github.com/rollcall/rollcall/internal/config"
	"github.com/rollcall/rollcall/internal/testserver"
)

// TestRefusalsFollowLogFormat: with --log-format json, the requests the
// OpenID Connect library refuses (a wrong client secret, an unknown code
// or refresh token) are logged by the server's logger as JSON lines with
// the request id, like every other line, and no line holds the secret,
// code, token or client assertion that was sent (the assertion refused by
// Rollcall before the library, introspection with a wrong secret answered
// by the library without a log line).
func TestRefusalsFollowLogFormat(t *testing.T) {
	srv := startServer(t, testserver.WithConfig(func(c *config.Config) { c.LogFormat = "json" }))
	issuer := srv.Config.PublicURL
	c, err := adminClient(t, srv).OIDCClients.Create(context.Background(), api.OIDCClientWriteAttributes{
		Name: api.Some("Grafana"), RedirectURIs: api.Some([]string{"https://grafana.example.com/cb"}),
	})
	if err != nil {
		t.Fatal(err)
	}
	const (
		wrongSecret = "wrong-secret-f1b2c3d4e5"
		code        = "code-a9b8c7d6e5f4"
		refresh     = "refresh-0a1b2c3d4e5f"
		assertion   = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJhc3NlcnRpb24ifQ.assertion-sig-77aa"
	)
	post := func(path, requestID, user, pass string, form url.Values) int {
		t.Helper()
		rq, _ := http.NewRequest("POST", issuer+path, strings.NewReader(form.Encode()))
		rq.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rq.Header.Set("X-Request-Id", requestID)
		if user != "" {
			rq.SetBasicAuth(user, pass)
		}
		res, err := http.DefaultClient.Do(rq)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	secret := c.Attributes.ClientSecret
	for _, r := range []struct {
		id, path, user, pass string
		form                 url.Values
		status               int
	}{
		{"refused-secret", "/oauth2/token", c.ID, wrongSecret, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}}, 401},
		{"refused-code", "/oauth2/token", c.ID, secret, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {"https://grafana.example.com/cb"}}, 400},
		{"refused-refresh", "/oauth2/token", c.ID, secret, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}}, 400},
		{"refused-assertion", "/oauth2/token", "", "", url.Values{"grant_type": {"authorization_code"}, "code": {code}, "client_id": {c.ID},
			"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {assertion}}, 401},
		{"refused-introspect", "/oauth2/introspect", c.ID, wrongSecret, url.Values{"token": {refresh}}, 401},
	} {
		if got := post(r.path, r.id, r.user, r.pass, r.form); got < 400 || r.status != 0 && got != r.status {
			t.Errorf("%s: status %d, want %d", r.id, got, r.status)
		}
	}

	logs := srv.Logs()
	refusals := map[string]string{} // request id -> the library's oidc_error type
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		var rec struct {
			Msg       string `json:"msg"`
			RequestID string `json:"request_id"`
			OIDCError *struct {
				Type string `json:"type"`
			} `json:"oidc_error"`
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Errorf("a log line is not JSON (%v): %s", err, line)
			continue
		}
		if rec.OIDCError != nil && strings.HasPrefix(rec.RequestID, "refused-") {
			refusals[rec.RequestID] = rec.OIDCError.Type
		}
	}
	if refusals["refused-secret"] != "invalid_client" || refusals["refused-code"] != "invalid_grant" || refusals["refused-refresh"] != "invalid_grant" {
		t.Errorf("the library's refusals in the server log, by request id: %v\n%s", refusals, logs)
	}
	for _, s := range []string{wrongSecret, secret, code, refresh, "assertion-sig-77aa", "eyJpc3MiOiJhc3NlcnRpb24ifQ"} {
		if strings.Contains(logs, s) {
			t.Errorf("the log holds %q:\n%s", s, logs)
		}
	}
}
