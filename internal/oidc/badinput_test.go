package oidc_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/rollcall/rollcall/api"
)

// TestBadInputIsNeverA500 sends the provider's endpoints malformed,
// oversized and made-up parameters: each is refused with a 4xx (or, for
// revocation of an unknown token, the 200 RFC 7009 asks for), never a 500.
func TestBadInputIsNeverA500(t *testing.T) {
	srv := startServer(t)
	issuer := srv.Config.PublicURL
	admin := adminClient(t, srv)
	cl, err := admin.OIDCClients.Create(context.Background(), api.OIDCClientWriteAttributes{
		Name: api.Some("App"), RedirectURIs: api.Some([]string{"https://app.example.com/cb"}),
	})
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("x", 100_000)
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	gets := []string{
		"/oauth2/authorize",
		"/oauth2/authorize?client_id=nope&redirect_uri=https://x.example/&response_type=code&scope=openid",
		"/oauth2/authorize?client_id=" + cl.ID + "&redirect_uri=https://app.example.com/cb&response_type=token&scope=openid",
		"/oauth2/authorize?client_id=" + cl.ID + "&redirect_uri=https://app.example.com/cb&response_type=code",
		"/oauth2/authorize?client_id=" + cl.ID + "&redirect_uri=https://app.example.com/cb&response_type=code&scope=openid&prompt=none%20login",
		"/oauth2/authorize?client_id=" + cl.ID + "&redirect_uri=https://app.example.com/cb&response_type=code&scope=openid&id_token_hint=garbage",
		"/oauth2/authorize?client_id=" + long,
		"/oauth2/authorize?client_id=%ff%fe&redirect_uri=%00",
		"/oauth2/login", "/oauth2/login?id=" + long, "/oauth2/login?id=00000000-0000-4000-8000-000000000000",
		"/oauth2/device?user_code=" + long, "/oauth2/device?user_code=%00%01",
		"/oauth2/logout?r=garbage", "/oauth2/logout?r=" + long,
		"/oauth2/end_session?id_token_hint=garbage", "/oauth2/end_session?client_id=nope",
		"/oauth2/end_session?client_id=" + cl.ID + "&post_logout_redirect_uri=https://evil.example/",
		"/oauth2/userinfo", "/oauth2/keys", "/.well-known/openid-configuration",
	}
	for _, p := range gets {
		res, err := noFollow.Get(issuer + p)
		if err != nil {
			t.Fatalf("GET %.80s: %v", p, err)
		}
		res.Body.Close()
		if res.StatusCode >= 500 {
			t.Errorf("GET %.120s: %d", p, res.StatusCode)
		}
		if strings.HasPrefix(p, "/oauth2/authorize?client_id=nope") && res.Header.Get("Location") != "" {
			t.Errorf("GET %s redirected to %s", p, res.Header.Get("Location"))
		}
	}
	posts := []struct {
		path string
		form url.Values
		auth bool
	}{
		{"/oauth2/token", url.Values{}, false},
		{"/oauth2/token", url.Values{"grant_type": {"authorization_code"}, "code": {"garbage"}}, true},
		{"/oauth2/token", url.Values{"grant_type": {"authorization_code"}, "code": {long}}, true},
		{"/oauth2/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"garbage"}}, true},
		{"/oauth2/token", url.Values{"grant_type": {"password"}, "username": {"ada"}}, true},
		{"/oauth2/token", url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"}, "device_code": {"garbage"}}, true},
		{"/oauth2/token", url.Values{"grant_type": {"client_credentials"}}, true},
		{"/oauth2/token", url.Values{"grant_type": {"authorization_code"}, "code": {"x"}, "client_id": {"nope"}, "client_secret": {"x"}}, false},
		{"/oauth2/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"garbage"}, "client_id": {cl.ID}, "client_assertion": {"a.b.c"},
			"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}}, false},
		{"/oauth2/token", url.Values{"grant_type": {"authorization_code"}, "code": {"garbage"}, "client_id": {cl.ID}, "client_assertion": {"a.b.c"},
			"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}}, false},
		{"/oauth2/token", url.Values{"grant_type": {"client_credentials"}, "client_assertion": {"a.b.c"},
			"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}}, false},
		{"/oauth2/introspect", url.Values{"token": {"garbage"}}, true},
		{"/oauth2/introspect", url.Values{"token": {"garbage"}}, false},
		{"/oauth2/revoke", url.Values{"token": {"garbage"}}, true},
		{"/oauth2/revoke", url.Values{}, true},
		{"/oauth2/device_authorization", url.Values{"client_id": {cl.ID}}, true},
		{"/oauth2/device_authorization", url.Values{"client_id": {"nope"}}, false},
		{"/oauth2/userinfo", url.Values{"access_token": {"garbage"}}, false},
	}
	for _, p := range posts {
		rq, _ := http.NewRequest("POST", issuer+p.path, strings.NewReader(p.form.Encode()))
		rq.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if p.auth {
			rq.SetBasicAuth(cl.ID, cl.Attributes.ClientSecret)
		}
		res, err := noFollow.Do(rq)
		if err != nil {
			t.Fatalf("POST %s: %v", p.path, err)
		}
		res.Body.Close()
		if res.StatusCode >= 500 {
			t.Errorf("POST %s %.80v: %d", p.path, p.form, res.StatusCode)
		}
	}
	// Pages' POSTs without a session or with garbage.
	for _, p := range []string{"/oauth2/consent", "/oauth2/device/decide", "/oauth2/logout"} {
		rq, _ := http.NewRequest("POST", issuer+p, strings.NewReader("id=garbage&r=garbage&decision=allow"))
		rq.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rq.Header.Set("Origin", issuer)
		res, err := noFollow.Do(rq)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode >= 500 {
			t.Errorf("POST %s: %d", p, res.StatusCode)
		}
	}
}
