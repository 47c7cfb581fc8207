package oidc_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/rollcall/rollcall/api"

	"github.com/rollcall/rollcall/internal/oidc"
	"github.com/rollcall/rollcall/internal/store"
	"github.com/rollcall/rollcall/internal/testserver"
)

// jwks reads the key ids and algorithms a server publishes.
func jwks(t *testing.T, base string) map[string]string {
	t.Helper()
	res, err := http.Get(base + "/oauth2/keys")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var doc struct {
		Keys []struct {
			Kid string `json:"kid"`
			Alg string `json:"alg"`
		} `json:"keys"`
	}
	if err := json.NewDecoder(res.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, k := range doc.Keys {
		out[k.Kid] = k.Alg
	}
	return out
}

// TestRotateSigningKey: a key rotated on one instance is in the other's
// JWKS at once, beside the retired one; discovery lists both algorithms.
func TestRotateSigningKey(t *testing.T) {
	ctx := context.Background()
	a := startServer(t, testserver.WithPostgres())
	b := testserver.Start(t, testserver.WithDatabase(a.DSN))
	before := jwks(t, b.URL)
	if len(before) != 1 || before["rs256-1"] != "RS256" {
		t.Fatalf("JWKS of a new installation: %v", before)
	}
	for _, alg := range []string{"ES256", "EdDSA"} {
		k, err := oidc.RotateSigningKey(ctx, a.Store.(store.OIDCStore), alg, store.Meta{ActorName: "test"})
		if err != nil {
			t.Fatalf("rotate to %s: %v", alg, err)
		}
		if got := jwks(t, b.URL); got[k.ID] != alg || got["rs256-1"] != "RS256" {
			t.Fatalf("JWKS of the other instance right after rotating to %s: %v", alg, got)
		}
	}
	p, err := gooidc.NewProvider(ctx, a.Config.PublicURL)
	if err != nil {
		t.Fatal(err)
	}
	var meta struct {
		Algs []string `json:"id_token_signing_alg_values_supported"`
	}
	if err := p.Claims(&meta); err != nil {
		t.Fatal(err)
	}
	for _, alg := range []string{"RS256", "ES256", "EdDSA"} {
		if !slices.Contains(meta.Algs, alg) {
			t.Fatalf("discovery lists %v, missing %s", meta.Algs, alg)
		}
	}
	// The next ID token (the JWKS read above refreshed b's keys) is signed
	// with the EdDSA key, and go-oidc verifies it.
	admin := adminClient(t, a)
	ada, err := admin.Users.Create(ctx, api.UserWriteAttributes{Username: api.Some("ada"), Email: api.Some("ada@example.com")}, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	const cookie = "session-secret-for-the-keys-test"
	sum := sha256.Sum256([]byte(cookie))
	auth := a.Store.(store.AuthStore)
	pk, err := auth.CreatePasskey(ctx, store.Passkey{UserID: ada.ID, CredentialID: []byte("cred"), PublicKey: []byte("key"), Name: "Laptop"}, store.Meta{ActorName: "test"})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if err := auth.RecordSignIn(ctx, store.SignIn{UserID: ada.ID, PasskeyID: pk.ID, SignCount: 1, At: now,
		Session: store.Session{Hash: sum[:], UserID: ada.ID, CreatedAt: now, ExpiresAt: now.Add(time.Hour), LastSeenAt: now}}, store.Meta{ActorName: "test"}); err != nil {
		t.Fatal(err)
	}
	rpURL := "https://app.example.com/callback"
	cl, err := admin.OIDCClients.Create(ctx, api.OIDCClientWriteAttributes{Name: api.Some("App"), RedirectURIs: api.Some([]string{rpURL}), SkipConsent: api.Some(true)})
	if err != nil {
		t.Fatal(err)
	}
	jwks(t, a.URL)
	conf := oauth2.Config{ClientID: cl.ID, ClientSecret: cl.Attributes.ClientSecret, RedirectURL: rpURL, Scopes: []string{"openid"}, Endpoint: p.Endpoint()}
	jar, _ := cookiejar.New(nil)
	u, _ := url.Parse(a.Config.PublicURL)
	jar.SetCookies(u, []*http.Cookie{{Name: "rollcall_session", Value: cookie, Path: "/"}})
	browser := &http.Client{Jar: jar, CheckRedirect: func(r *http.Request, _ []*http.Request) error {
		if strings.HasPrefix(r.URL.String(), rpURL) {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	pkce := oauth2.GenerateVerifier()
	res, err := browser.Get(conf.AuthCodeURL("s", oauth2.S256ChallengeOption(pkce)))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	loc, _ := url.Parse(res.Header.Get("Location"))
	tok, err := conf.Exchange(ctx, loc.Query().Get("code"), oauth2.VerifierOption(pkce))
	if err != nil {
		t.Fatalf("code exchange after rotation: %v", err)
	}
	raw := tok.Extra("id_token").(string)
	idt, err := p.Verifier(&gooidc.Config{ClientID: cl.ID, SupportedSigningAlgs: []string{"EdDSA"}}).Verify(ctx, raw)
	if err != nil || idt.Subject != ada.ID {
		t.Fatalf("an ID token signed after rotating to EdDSA: %v", err)
	}

	if _, err := oidc.RotateSigningKey(ctx, a.Store.(store.OIDCStore), "HS256", store.Meta{}); err == nil {
		t.Fatal("HS256 was accepted")
	}
}
