package oidc_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/rollcall/rollcall/api"
	"github.com/rollcall/rollcall/internal/store"
	"github.com/rollcall/rollcall/internal/testserver"
)

// TestBackchannelLogoutTriggers: for every way a browser session ends (the
// person signs out, an admin ends their sessions or one of them, their
// passkeys are revoked, they are disabled or deleted, the application asks
// for logout, the session expires), an application that signed them in
// from it receives exactly one logout token, signed by a key of the JWKS,
// with the claims Back-Channel Logout 1.0 asks for; on SQLite and
// PostgreSQL.
func TestBackchannelLogoutTriggers(t *testing.T) {
	for _, db := range []struct {
		name string
		opts []testserver.Option
	}{{"SQLite", nil}, {"PostgreSQL", []testserver.Option{testserver.WithPostgres()}}} {
		t.Run(db.name, func(t *testing.T) {
			t.Parallel()
			testLogoutTriggers(t, startServer(t, db.opts...))
		})
	}
}

func testLogoutTriggers(t *testing.T, srv *testserver.Server) {
	ctx := context.Background()
	issuer := srv.Config.PublicURL
	admin := adminClient(t, srv)
	auth := srv.Store.(store.AuthStore)

	tokens := make(chan string, 100)
	rp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		tokens <- r.PostFormValue("logout_token")
	}))
	t.Cleanup(rp.Close)

	rpURL := "https://app.example.com/callback"
	cl, err := admin.OIDCClients.Create(ctx, api.OIDCClientWriteAttributes{
		Name: api.Some("App"), RedirectURIs: api.Some([]string{rpURL}), SkipConsent: api.Some(true),
		PostLogoutRedirectURIs: api.Some([]string{"https://app.example.com/bye"}),
		BackchannelLogoutURI:   api.Some(rp.URL + "/backchannel"),
	})
	if err != nil {
		t.Fatal(err)
	}
	keys := gooidc.NewRemoteKeySet(ctx, issuer+"/oauth2/keys")
	meta := store.Meta{ActorName: "test"}

	type signedIn struct {
		user    *api.User
		hash    []byte
		sid     string
		idToken string
		browser *http.Client
	}
	for i, tc := range []struct {
		name string
		ttl  time.Duration
		end  func(t *testing.T, s signedIn) error
	}{
		{"signout", time.Hour, func(_ *testing.T, s signedIn) error { return auth.DeleteSession(ctx, s.hash, meta) }},
		{"sign-out-everywhere", time.Hour, func(_ *testing.T, s signedIn) error {
			_, err := auth.DeleteUserSessions(ctx, s.user.ID, nil, meta)
			return err
		}},
		{"end-one-session", time.Hour, func(_ *testing.T, s signedIn) error { return auth.DeleteUserSession(ctx, s.user.ID, s.sid, meta) }},
		{"revoke-passkeys", time.Hour, func(_ *testing.T, s signedIn) error {
			_, err := auth.DeleteUserPasskeys(ctx, s.user.ID, meta)
			return err
		}},
		{"disable", time.Hour, func(_ *testing.T, s signedIn) error {
			_, err := admin.Users.Update(ctx, s.user.ID, api.UserWriteAttributes{Disabled: api.Some(true)}, nil, "")
			return err
		}},
		{"delete", time.Hour, func(_ *testing.T, s signedIn) error { return admin.Users.Delete(ctx, s.user.ID) }},
		{"end-session", time.Hour, func(t *testing.T, s signedIn) error {
			q := url.Values{"id_token_hint": {s.idToken}, "post_logout_redirect_uri": {"https://app.example.com/bye"}}
			res, err := s.browser.Get(issuer + "/oauth2/end_session?" + q.Encode())
			if err != nil {
				return err
			}
			res.Body.Close()
			loc, err := res.Location()
			if err != nil {
				return fmt.Errorf("end_session: %d without a redirect", res.StatusCode)
			}
			res, err = s.browser.PostForm(issuer+"/oauth2/logout", url.Values{"r": {loc.Query().Get("r")}, "decision": {"signout"}})
			if err != nil {
				return err
			}
			res.Body.Close()
			if loc := res.Header.Get("Location"); loc != "https://app.example.com/bye" {
				return fmt.Errorf("after the logout: %d %q", res.StatusCode, loc)
			}
			return nil
		}},
		{"expiry", 4 * time.Second, func(*testing.T, signedIn) error { return nil }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u, err := admin.Users.Create(ctx, api.UserWriteAttributes{Username: api.Some(fmt.Sprintf("user%d", i)), Email: api.Some(fmt.Sprintf("user%d@example.com", i))}, nil, "")
			if err != nil {
				t.Fatal(err)
			}
			pk, err := auth.CreatePasskey(ctx, store.Passkey{UserID: u.ID, CredentialID: []byte("cred-" + u.ID), PublicKey: []byte("key"), Name: "Laptop"}, meta)
			if err != nil {
				t.Fatal(err)
			}
			cookie := "session-secret-of-" + u.ID
			sum := sha256.Sum256([]byte(cookie))
			now := time.Now()
			if err := auth.RecordSignIn(ctx, store.SignIn{UserID: u.ID, PasskeyID: pk.ID, SignCount: 1, At: now,
				Session: store.Session{Hash: sum[:], UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(tc.ttl), LastSeenAt: now}}, meta); err != nil {
				t.Fatal(err)
			}
			sessions, err := auth.ListSessions(ctx, u.ID, time.Now())
			if err != nil || len(sessions) != 1 {
				t.Fatalf("sessions: %v %v", sessions, err)
			}
			s := signedIn{user: u, hash: sum[:], sid: sessions[0].ID}

			conf := oauth2.Config{ClientID: cl.ID, ClientSecret: cl.Attributes.ClientSecret, RedirectURL: rpURL, Scopes: []string{"openid"},
				Endpoint: oauth2.Endpoint{AuthURL: issuer + "/oauth2/authorize", TokenURL: issuer + "/oauth2/token"}}
			jar, _ := cookiejar.New(nil)
			iu, _ := url.Parse(issuer)
			jar.SetCookies(iu, []*http.Cookie{{Name: "rollcall_session", Value: cookie, Path: "/"}})
			// The browser follows Rollcall's own redirects but for the
			// logout page's, and stops at the application's.
			s.browser = &http.Client{Jar: jar, CheckRedirect: func(r *http.Request, _ []*http.Request) error {
				if r.URL.Host != iu.Host || r.URL.Path == "/oauth2/logout" {
					return http.ErrUseLastResponse
				}
				return nil
			}}
			verifier := oauth2.GenerateVerifier()
			res, err := s.browser.Get(conf.AuthCodeURL("st", oauth2.S256ChallengeOption(verifier)))
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			loc, err := res.Location()
			if err != nil || loc.Query().Get("code") == "" {
				t.Fatalf("sign-in to the application: %d %v", res.StatusCode, loc)
			}
			tok, err := conf.Exchange(ctx, loc.Query().Get("code"), oauth2.VerifierOption(verifier))
			if err != nil {
				t.Fatal(err)
			}
			s.idToken, _ = tok.Extra("id_token").(string)

			if err := tc.end(t, s); err != nil {
				t.Fatal(err)
			}
			var got string
			select {
			case got = <-tokens:
			case <-time.After(30 * time.Second):
				t.Fatal("no logout token arrived within 30 s")
			}
			payload, err := keys.VerifySignature(ctx, got)
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
			if claims.Iss != issuer || claims.Sub != u.ID || claims.Aud != cl.ID || claims.Sid != s.sid || claims.Jti == "" ||
				claims.Iat < now.Add(-time.Minute).Unix() || claims.Nonce != nil || !strings.HasPrefix(string(claims.Events["http://schemas.openid.net/event/backchannel-logout"]), "{") {
				t.Fatalf("logout token claims: %+v", claims)
			}
			// Exactly one: nothing more arrives over the next polls.
			select {
			case extra := <-tokens:
				t.Fatalf("a second logout token arrived: %s", extra)
			case <-time.After(2500 * time.Millisecond):
			}
		})
	}
}
