package oidc_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/rollcall/rollcall/api"
	"github.com/rollcall/rollcall/internal/config"
	"github.com/rollcall/rollcall/internal/store"
	"github.com/rollcall/rollcall/internal/testserver"
)

// TestTwoInstances runs two servers on one PostgreSQL database, as behind a
// load balancer: a code issued by one is redeemed at the other, the ID
// token verifies against the other's JWKS, a refresh token from one is
// rotated at the other, a revocation at one is seen by the other, and a
// code replayed at the other is refused.
func TestTwoInstances(t *testing.T) {
	ctx := context.Background()
	a := startServer(t, testserver.WithPostgres())
	issuer := a.Config.PublicURL
	b := testserver.Start(t, testserver.WithDatabase(a.DSN), testserver.WithConfig(func(c *config.Config) { c.PublicURL = issuer }))
	admin := adminClient(t, a)

	// A signed-in browser, made directly: a session in the database and
	// its cookie, so that plain HTTP can walk the code flow.
	ada, err := admin.Users.Create(ctx, api.UserWriteAttributes{Username: api.Some("ada"), Email: api.Some("ada@example.com")}, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	auth := a.Store.(store.AuthStore)
	pk, err := auth.CreatePasskey(ctx, store.Passkey{UserID: ada.ID, CredentialID: []byte("cred-ada"), PublicKey: []byte("key"), Name: "Laptop"}, store.Meta{ActorName: "test"})
	if err != nil {
		t.Fatal(err)
	}
	const cookie = "session-secret-for-the-instances-test"
	sum := sha256.Sum256([]byte(cookie))
	now := time.Now()
	if err := auth.RecordSignIn(ctx, store.SignIn{UserID: ada.ID, PasskeyID: pk.ID, SignCount: 1, At: now,
		Session: store.Session{Hash: sum[:], UserID: ada.ID, CreatedAt: now, ExpiresAt: now.Add(time.Hour), LastSeenAt: now}}, store.Meta{ActorName: "test"}); err != nil {
		t.Fatal(err)
	}

	rpURL := "https://app.example.com/callback"
	cl, err := admin.OIDCClients.Create(ctx, api.OIDCClientWriteAttributes{
		Name: api.Some("App"), RedirectURIs: api.Some([]string{rpURL}), SkipConsent: api.Some(true),
	})
	if err != nil {
		t.Fatal(err)
	}
	conf := oauth2.Config{ClientID: cl.ID, ClientSecret: cl.Attributes.ClientSecret, RedirectURL: rpURL,
		Scopes:   []string{"openid", "email", "offline_access"},
		Endpoint: oauth2.Endpoint{AuthURL: issuer + "/oauth2/authorize", TokenURL: b.URL + "/oauth2/token", AuthStyle: oauth2.AuthStyleInHeader}}

	// The browser at instance A: authorize → login hand-off → code.
	jar, _ := cookiejar.New(nil)
	u, _ := url.Parse(issuer)
	jar.SetCookies(u, []*http.Cookie{{Name: "rollcall_session", Value: cookie, Path: "/"}})
	browser := &http.Client{Jar: jar, CheckRedirect: func(r *http.Request, _ []*http.Request) error {
		if strings.HasPrefix(r.URL.String(), rpURL) {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	pkce := oauth2.GenerateVerifier()
	res, err := browser.Get(conf.AuthCodeURL("s1", gooidc.Nonce("n1"), oauth2.S256ChallengeOption(pkce)))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	loc, _ := url.Parse(res.Header.Get("Location"))
	code := loc.Query().Get("code")
	if res.StatusCode != http.StatusFound || code == "" || loc.Query().Get("state") != "s1" {
		t.Fatalf("authorize at instance A: %d, Location %q", res.StatusCode, res.Header.Get("Location"))
	}

	// Redeemed at instance B; the ID token verifies with B's JWKS.
	tok, err := conf.Exchange(ctx, code, oauth2.VerifierOption(pkce))
	if err != nil {
		t.Fatalf("code from A redeemed at B: %v", err)
	}
	keys := gooidc.NewRemoteKeySet(ctx, b.URL+"/oauth2/keys")
	idt, err := gooidc.NewVerifier(issuer, keys, &gooidc.Config{ClientID: cl.ID}).Verify(ctx, tok.Extra("id_token").(string))
	if err != nil || idt.Subject != ada.ID || idt.Nonce != "n1" {
		t.Fatalf("ID token from B: %v", err)
	}

	// Refresh at A with B's refresh token; the old one replayed at B is reuse.
	confA := conf
	confA.Endpoint.TokenURL = a.URL + "/oauth2/token"
	tok2, err := confA.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
	if err != nil {
		t.Fatalf("refresh at A of B's token: %v", err)
	}

	// Revoked at A, refused by B.
	revoke(t, a.URL, cl.ID, cl.Attributes.ClientSecret, tok2.AccessToken)
	if got := introspect(t, b.URL, cl.ID, cl.Attributes.ClientSecret, tok2.AccessToken); got["active"] != false {
		t.Fatalf("B still accepts a token revoked at A: %v", got)
	}
	// The code again, at the other instance: refused.
	var re *oauth2.RetrieveError
	if _, err := confA.Exchange(ctx, code, oauth2.VerifierOption(pkce)); !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
		t.Fatalf("code replayed at A after B redeemed it: %v", err)
	}
	if _, err := conf.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token(); !oauthError(err, "invalid_grant") {
		t.Fatalf("rotated-away refresh token at B: %v", err)
	}
}
