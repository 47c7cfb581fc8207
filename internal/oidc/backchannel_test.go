package oidc_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/rollcall/rollcall/api"
	"github.com/rollcall/rollcall/internal/config"
	"github.com/rollcall/rollcall/internal/store"
	"github.com/rollcall/rollcall/internal/testserver"
)

// TestBackchannelLogout: two instances on one PostgreSQL; a person signs in
// to an application through one; when their browser session ends, the
// application's backchannel_logout_uri receives exactly one signed logout
// token naming the person and the session, though both instances poll the
// queue; a failed delivery is retried.
func TestBackchannelLogout(t *testing.T) {
	ctx := context.Background()
	a := startServer(t, testserver.WithPostgres())
	issuer := a.Config.PublicURL
	testserver.Start(t, testserver.WithDatabase(a.DSN), testserver.WithConfig(func(c *config.Config) { c.PublicURL = issuer }))
	admin := adminClient(t, a)

	var mu sync.Mutex
	var tokens []string
	failFirst := true
	rp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if failFirst { // the application is down the first time
			failFirst = false
			http.Error(w, "starting up", http.StatusServiceUnavailable)
			return
		}
		if r.URL.Path != "/backchannel" || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		tokens = append(tokens, r.PostFormValue("logout_token"))
	}))
	t.Cleanup(rp.Close)

	ada, err := admin.Users.Create(ctx, api.UserWriteAttributes{Username: api.Some("ada"), Email: api.Some("ada@example.com")}, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	auth := a.Store.(store.AuthStore)
	pk, err := auth.CreatePasskey(ctx, store.Passkey{UserID: ada.ID, CredentialID: []byte("cred-ada"), PublicKey: []byte("key"), Name: "Laptop"}, store.Meta{ActorName: "test"})
	if err != nil {
		t.Fatal(err)
	}
	const cookie = "session-secret-for-the-backchannel-test"
	sum := sha256.Sum256([]byte(cookie))
	now := time.Now()
	if err := auth.RecordSignIn(ctx, store.SignIn{UserID: ada.ID, PasskeyID: pk.ID, SignCount: 1, At: now,
		Session: store.Session{Hash: sum[:], UserID: ada.ID, CreatedAt: now, ExpiresAt: now.Add(time.Hour), LastSeenAt: now}}, store.Meta{ActorName: "test"}); err != nil {
		t.Fatal(err)
	}
	sessions, err := auth.ListSessions(ctx, ada.ID, time.Now())
	if err != nil || len(sessions) != 1 {
		t.Fatalf("sessions: %v %v", sessions, err)
	}
	sid := sessions[0].ID

	rpURL := "https://app.example.com/callback"
	cl, err := admin.OIDCClients.Create(ctx, api.OIDCClientWriteAttributes{
		Name: api.Some("App"), RedirectURIs: api.Some([]string{rpURL}), SkipConsent: api.Some(true),
		BackchannelLogoutURI: api.Some(rp.URL + "/backchannel"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if cl.Attributes.BackchannelLogoutURI == nil || *cl.Attributes.BackchannelLogoutURI != rp.URL+"/backchannel" {
		t.Fatalf("backchannel-logout-uri: %+v", cl.Attributes)
	}

	// Sign in to the application from the browser session.
	conf := oauth2.Config{ClientID: cl.ID, ClientSecret: cl.Attributes.ClientSecret, RedirectURL: rpURL, Scopes: []string{"openid"},
		Endpoint: oauth2.Endpoint{AuthURL: issuer + "/oauth2/authorize", TokenURL: issuer + "/oauth2/token"}}
	jar, _ := cookiejar.New(nil)
	u, _ := url.Parse(issuer)
	jar.SetCookies(u, []*http.Cookie{{Name: "rollcall_session", Value: cookie, Path: "/"}})
	browser := &http.Client{Jar: jar, CheckRedirect: func(r *http.Request, _ []*http.Request) error {
		if strings.HasPrefix(r.URL.String(), rpURL) {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	res, err := browser.Get(conf.AuthCodeURL("s", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if loc := res.Header.Get("Location"); !strings.Contains(loc, "code=") {
		t.Fatalf("sign-in to the application: %d %q", res.StatusCode, loc)
	}

	// Nothing is sent while the session lives.
	time.Sleep(3 * time.Second)
	mu.Lock()
	if len(tokens) != 0 || !failFirst {
		t.Fatalf("a logout token was sent while the session lives: %v", tokens)
	}
	mu.Unlock()

	// The person signs out: one logout token arrives (after the failed
	// first delivery and a retry ten seconds later).
	if err := auth.DeleteSession(ctx, sum[:], store.Meta{ActorName: "test"}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		mu.Lock()
		n := len(tokens)
		mu.Unlock()
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no logout token arrived within 30 s of the sign-out")
		}
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(5 * time.Second) // both instances keep polling: still one
	mu.Lock()
	got := append([]string(nil), tokens...)
	mu.Unlock()
	if len(got) != 1 {
		t.Fatalf("%d logout tokens arrived, want exactly 1", len(got))
	}

	// The token: signed by a key of the provider's JWKS, for this client,
	// naming the person, the session and the logout event.
	keys := gooidc.NewRemoteKeySet(ctx, issuer+"/oauth2/keys")
	payload, err := keys.VerifySignature(ctx, got[0])
	if err != nil {
		t.Fatalf("logout token signature: %v", err)
	}
	var claims struct {
		Iss    string                     `json:"iss"`
		Sub    string                     `json:"sub"`
		Aud    string                     `json:"aud"`
		Sid    string                     `json:"sid"`
		Jti    string                     `json:"jti"`
		Iat    int64                      `json:"iat"`
		Nonce  *string                    `json:"nonce"`
		Events map[string]json.RawMessage `json:"events"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	if claims.Iss != issuer || claims.Sub != ada.ID || claims.Aud != cl.ID || claims.Sid != sid || claims.Jti == "" || claims.Iat == 0 ||
		claims.Nonce != nil || claims.Events["http://schemas.openid.net/event/backchannel-logout"] == nil {
		t.Fatalf("logout token claims: %+v", claims)
	}
}
