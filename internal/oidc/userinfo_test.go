package oidc_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"golang.org/x/oauth2/clientcredentials"

	"github.com/rollcall/rollcall/api"
)

// userinfoAnswer calls the userinfo endpoint as a relying party does and
// returns the status, the WWW-Authenticate challenge and the JSON body.
func userinfoAnswer(t *testing.T, method, issuer, authorization string) (int, string, map[string]any) {
	t.Helper()
	rq, err := http.NewRequest(method, issuer+"/oauth2/userinfo", nil)
	if err != nil {
		t.Fatal(err)
	}
	if authorization != "" {
		rq.Header.Set("Authorization", authorization)
	}
	res, err := http.DefaultClient.Do(rq)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body map[string]any
	_ = json.NewDecoder(res.Body).Decode(&body)
	return res.StatusCode, res.Header.Get("WWW-Authenticate"), body
}

// TestUserinfoChallenges checks what a relying party receives from userinfo
// when it cannot answer: RFC 6750's challenge, which tells "get a new
// token" (invalid_token) from "this token is not for this"
// (insufficient_scope) and from "send a token" (no error code).
func TestUserinfoChallenges(t *testing.T) {
	ctx := context.Background()
	srv := startServer(t)
	issuer := srv.Config.PublicURL
	admin := adminClient(t, srv)

	status, challenge, body := userinfoAnswer(t, "GET", issuer, "")
	if status != http.StatusUnauthorized || challenge != `Bearer realm="rollcall"` || body["error"] != "invalid_request" ||
		!strings.Contains(body["error_description"].(string), "Authorization: Bearer") {
		t.Errorf("userinfo without a token: %d %q %v", status, challenge, body)
	}
	for _, auth := range []string{"Bearer garbage", "Bearer " + strings.Repeat("x", 4000), "Bearer a.b.c"} {
		status, challenge, body = userinfoAnswer(t, "GET", issuer, auth)
		if status != http.StatusUnauthorized || body["error"] != "invalid_token" ||
			challenge != `Bearer realm="rollcall", error="invalid_token", error_description="The access token is not valid."` {
			t.Errorf("userinfo with %.20q: %d %q %v", auth, status, challenge, body)
		}
	}
	if status, _, _ := userinfoAnswer(t, "PUT", issuer, "Bearer garbage"); status != http.StatusMethodNotAllowed {
		t.Errorf("PUT userinfo: %d, want 405", status)
	}

	// A single-page application calls userinfo from the browser: the
	// preflight is answered as the library's other endpoints answer it.
	rq, _ := http.NewRequest("OPTIONS", issuer+"/oauth2/userinfo", nil)
	rq.Header.Set("Origin", "https://spa.example.com")
	rq.Header.Set("Access-Control-Request-Method", "GET")
	rq.Header.Set("Access-Control-Request-Headers", "authorization")
	res, err := http.DefaultClient.Do(rq)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode >= 300 || res.Header.Get("Access-Control-Allow-Origin") == "" ||
		!strings.Contains(strings.ToLower(res.Header.Get("Access-Control-Allow-Headers")), "authorization") {
		t.Errorf("CORS preflight of userinfo: %d %v", res.StatusCode, res.Header)
	}

	// A machine client's token is valid, but describes no person.
	machine, err := admin.OIDCClients.Create(ctx, api.OIDCClientWriteAttributes{
		Name: api.Some("Nightly job"), GrantTypes: api.Some([]string{"client_credentials"}),
	})
	if err != nil {
		t.Fatal(err)
	}
	cc := clientcredentials.Config{ClientID: machine.ID, ClientSecret: machine.Attributes.ClientSecret, TokenURL: issuer + "/oauth2/token"}
	tok, err := cc.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	status, challenge, body = userinfoAnswer(t, "GET", issuer, "Bearer "+tok.AccessToken)
	if status != http.StatusForbidden || body["error"] != "insufficient_scope" ||
		!strings.HasPrefix(challenge, `Bearer realm="rollcall", error="insufficient_scope", error_description="This access token belongs to a machine client`) {
		t.Errorf("userinfo with a machine token: %d %q %v", status, challenge, body)
	}
}
