package oidc_test

import (
	"context"
	"encoding/json"
	"errors"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/rollcall/rollcall/api"
	"github.com/rollcall/rollcall/internal/store"
	"github.com/rollcall/rollcall/internal/testserver"
	"github.com/rollcall/rollcall/internal/testutil/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// relyingParty is an application that signs people in with Rollcall: an
// httptest server whose /callback records what the provider sent back,
// and the go-oidc and oauth2 clients that redeem and check it.
type relyingParty struct {
	srv      *httptest.Server
	mu       sync.Mutex
	callback url.Values
}

func newRelyingParty(t *testing.T) *relyingParty {
	rp := &relyingParty{}
	rp.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/callback" && r.URL.Path != "/logged-out" {
			http.NotFound(w, r)
			return
		}
		_ = r.ParseForm()
		rp.mu.Lock()
		rp.callback = r.Form // the query, or the posted form of response_mode=form_post
		rp.callback.Set("_method", r.Method)
		rp.mu.Unlock()
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte("<!doctype html><title>RP</title><main>Callback received: " + html.EscapeString(r.URL.RawQuery) + "</main>"))
	}))
	t.Cleanup(rp.srv.Close)
	return rp
}

// last returns what the latest callback carried, and forgets it.
func (rp *relyingParty) last(t *testing.T) url.Values {
	t.Helper()
	rp.mu.Lock()
	defer rp.mu.Unlock()
	if rp.callback == nil {
		t.Fatal("the relying party got no callback")
	}
	v := rp.callback
	rp.callback = nil
	return v
}

// TestRelyingParty is the proof that Rollcall is an OpenID Connect
// provider: a relying party built on go-oidc and oauth2 signs a person in
// through headless Chromium with a passkey — authorize, passkey sign-in,
// consent, callback, code exchange, ID token verified, userinfo, refresh
// with rotation — and the refusals a relying party and a person can meet
// along the way, on SQLite and on PostgreSQL.
func TestRelyingParty(t *testing.T) {
	testserver.Backends(t, func(t *testing.T, backend testserver.Option) {
		ctx := context.Background()
		srv := startServer(t, backend)
		issuer := srv.Config.PublicURL
		admin := adminClient(t, srv)

		// Ada, in group staff, registers a passkey from a setup link.
		ada, err := admin.Users.Create(ctx, api.UserWriteAttributes{
			Username: api.Some("ada"), Email: api.Some("ada@example.com"),
			FirstName: api.Some("Ada"), LastName: api.Some("Lovelace"), EmailVerified: api.Some(true),
			Attributes: api.Some(map[string]string{"employee_id": "E42"}),
		}, nil, "")
		if err != nil {
			t.Fatal(err)
		}
		staff, err := srv.Store.CreateGroup(ctx, store.Group{Name: "staff", MemberIDs: []string{ada.ID}}, store.Meta{ActorName: "test"})
		if err != nil {
			t.Fatal(err)
		}
		// Custom claims: staff's role loses to engineering's (name order),
		// its employee_number to the client's attribute-claims.
		if _, err := admin.Groups.Update(ctx, staff.ID, api.GroupWriteAttributes{CustomClaims: api.Some(json.RawMessage(
			`{"role":"staff","employee_number":"G1","level":2}`))}, nil, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := admin.Groups.Create(ctx, api.GroupWriteAttributes{Name: api.Some("engineering"), CustomClaims: api.Some(json.RawMessage(
			`{"role":"engineer"}`))}, &[]string{ada.ID}, ""); err != nil {
			t.Fatal(err)
		}
		otherGroup, err := srv.Store.CreateGroup(ctx, store.Group{Name: "finance"}, store.Meta{ActorName: "test"})
		if err != nil {
			t.Fatal(err)
		}
		link, err := admin.Users.CreateSetupLink(ctx, ada.ID, false)
		if err != nil {
			t.Fatal(err)
		}
		b := newBrowser(t)
		hideConditionalUI(t, b)
		addAuthenticator(t, b)
		visit(t, b, link.Attributes.URL)
		click(t, b, "#passkey-button", "/account")
		click(t, b, ".signout button", "/signin")

		// The application, registered with Rollcall.
		rp := newRelyingParty(t)
		redirect := rp.srv.URL + "/callback"
		created, err := admin.OIDCClients.Create(ctx, api.OIDCClientWriteAttributes{
			Name: api.Some("Grafana"), RedirectURIs: api.Some([]string{redirect}),
			AllowedGroups:   api.Some([]string{staff.ID}),
			AttributeClaims: api.Some(map[string]string{"employee_number": "employee_id", "cost_center": "cost_center"}),
		})
		if err != nil {
			t.Fatalf("register the application through the API: %v", err)
		}
		secret := created.Attributes.ClientSecret

		provider, err := gooidc.NewProvider(ctx, issuer)
		if err != nil {
			t.Fatalf("discovery at %s: %v", issuer, err)
		}
		conf := oauth2.Config{
			ClientID: created.ID, ClientSecret: secret, Endpoint: provider.Endpoint(), RedirectURL: redirect,
			Scopes: []string{gooidc.ScopeOpenID, "profile", "email", "groups", gooidc.ScopeOfflineAccess},
		}
		verifier := provider.Verifier(&gooidc.Config{ClientID: created.ID})

		// authorize sends the browser through the flow and returns the
		// callback's parameters; wantPath is where the browser must stop
		// on the way (the sign-in or consent page), acted on by act.
		authorize := func(state, nonce, pkce string) string {
			return conf.AuthCodeURL(state, gooidc.Nonce(nonce), oauth2.S256ChallengeOption(pkce))
		}

		// 1. The whole flow: authorize → passkey sign-in → consent → callback.
		pkce := oauth2.GenerateVerifier()
		visit(t, b, conf.AuthCodeURL("state-1", gooidc.Nonce("nonce-1"), oauth2.S256ChallengeOption(pkce), oauth2.SetAuthURLParam("login_hint", "ada")))
		waitPath(t, b, "/signin")
		if hint, err := chromedp.Run(b, chromedp.Evaluate[string](`document.querySelector("#username").value`)); err != nil || hint != "ada" {
			t.Fatalf("login_hint did not prefill the username: %q %v", hint, err)
		}
		click(t, b, "#passkey-button", "/oauth2/login")
		waitText(t, b, "main", "Sign in to Grafana")
		waitText(t, b, "main", "Your email address")
		click(t, b, "#consent-allow", "/callback")
		cb := rp.last(t)
		if cb.Get("state") != "state-1" || cb.Get("code") == "" {
			t.Fatalf("callback: %v", cb)
		}
		code := cb.Get("code")

		// A wrong client secret and a wrong PKCE verifier are refused, and
		// neither uses the code up.
		bad := conf
		bad.ClientSecret = "wrong-secret"
		if _, err := bad.Exchange(ctx, code, oauth2.VerifierOption(pkce)); !oauthError(err, "unauthorized_client", "invalid_client") {
			t.Fatalf("exchange with a wrong client secret: %v", err)
		}
		if _, err := conf.Exchange(ctx, code, oauth2.VerifierOption(oauth2.GenerateVerifier())); !oauthError(err, "invalid_grant") {
			t.Fatalf("exchange with a wrong PKCE verifier: %v", err)
		}
		tok, err := conf.Exchange(ctx, code, oauth2.VerifierOption(pkce))
		if err != nil {
			t.Fatalf("code exchange: %v", err)
		}

		// The ID token, verified by go-oidc (issuer, audience, signature
		// from JWKS, expiry), says who signed in and how.
		raw, _ := tok.Extra("id_token").(string)
		idt, err := verifier.Verify(ctx, raw)
		if err != nil {
			t.Fatalf("ID token verification: %v", err)
		}
		var claims struct {
			Nonce             string   `json:"nonce"`
			AMR               []string `json:"amr"`
			AuthTime          int64    `json:"auth_time"`
			SID               string   `json:"sid"`
			Email             string   `json:"email"`
			EmailVerified     bool     `json:"email_verified"`
			PreferredUsername string   `json:"preferred_username"`
			Name              string   `json:"name"`
			Groups            []string `json:"groups"`
			EmployeeNumber    string   `json:"employee_number"`
			CostCenter        *string  `json:"cost_center"`
			Role              string   `json:"role"`
			Level             int      `json:"level"`
		}
		if err := idt.Claims(&claims); err != nil {
			t.Fatal(err)
		}
		if idt.Subject != ada.ID || claims.Nonce != "nonce-1" || !slices.Equal(claims.AMR, []string{"hwk", "user"}) ||
			claims.SID == "" || claims.Email != "ada@example.com" || !claims.EmailVerified || claims.PreferredUsername != "ada" ||
			claims.Name != "Ada Lovelace" || !slices.Equal(claims.Groups, []string{"engineering", "staff"}) ||
			claims.EmployeeNumber != "E42" || claims.CostCenter != nil || claims.Role != "engineer" || claims.Level != 2 {
			t.Fatalf("ID token: sub %q, claims %+v", idt.Subject, claims)
		}
		if at := time.Unix(claims.AuthTime, 0); time.Since(at) > time.Minute || time.Until(at) > time.Second {
			t.Fatalf("auth_time %v is not the passkey sign-in just now", at)
		}

		// userinfo with the access token.
		ui, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
		if err != nil {
			t.Fatalf("userinfo: %v", err)
		}
		var uiClaims struct {
			EmployeeNumber string `json:"employee_number"`
			Role           string `json:"role"`
			Level          int    `json:"level"`
		}
		if err := ui.Claims(&uiClaims); err != nil || ui.Subject != ada.ID || ui.Email != "ada@example.com" || uiClaims.EmployeeNumber != "E42" ||
			uiClaims.Role != "engineer" || uiClaims.Level != 2 {
			t.Fatalf("userinfo: %+v %+v %v", ui, uiClaims, err)
		}

		// The code again: refused, and the tokens it gave are revoked.
		if _, err := conf.Exchange(ctx, code, oauth2.VerifierOption(pkce)); !oauthError(err, "invalid_grant") {
			t.Fatalf("second exchange of one code: %v", err)
		}
		if _, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(tok)); err == nil {
			t.Fatal("userinfo still answers with the access token of a replayed code")
		}

		// 2. A second sign-in: the consent is remembered and the passkey
		// session is still there, so the browser comes straight back.
		pkce = oauth2.GenerateVerifier()
		visit(t, b, authorize("state-2", "nonce-2", pkce))
		waitPath(t, b, "/callback")
		cb = rp.last(t)
		tok, err = conf.Exchange(ctx, cb.Get("code"), oauth2.VerifierOption(pkce))
		if err != nil {
			t.Fatalf("second code exchange: %v", err)
		}
		if tok.RefreshToken == "" {
			t.Fatal("no refresh token for offline_access")
		}

		// Refresh: a new access token and a new refresh token.
		first := tok.RefreshToken
		refreshed, err := conf.TokenSource(ctx, &oauth2.Token{RefreshToken: first}).Token()
		if err != nil {
			t.Fatalf("refresh: %v", err)
		}
		if refreshed.RefreshToken == "" || refreshed.RefreshToken == first || refreshed.AccessToken == tok.AccessToken {
			t.Fatalf("refresh did not rotate: %+v", refreshed)
		}
		if _, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(refreshed)); err != nil {
			t.Fatalf("userinfo with the refreshed access token: %v", err)
		}
		if raw, _ := refreshed.Extra("id_token").(string); raw != "" {
			if idt, err := verifier.Verify(ctx, raw); err != nil || idt.Subject != ada.ID {
				t.Fatalf("refreshed ID token: %v", err)
			}
		}
		// The rotated-away token again: refused, and the whole family is
		// revoked — the newest refresh token and access token too.
		if _, err := conf.TokenSource(ctx, &oauth2.Token{RefreshToken: first}).Token(); !oauthError(err, "invalid_grant") {
			t.Fatalf("reuse of a rotated refresh token: %v", err)
		}
		if _, err := conf.TokenSource(ctx, &oauth2.Token{RefreshToken: refreshed.RefreshToken}).Token(); !oauthError(err, "invalid_grant") {
			t.Fatalf("the newest refresh token after reuse: %v", err)
		}
		if _, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(refreshed)); err == nil {
			t.Fatal("userinfo still answers after refresh-token reuse revoked the family")
		}
		evs, _, err := srv.Store.ListAuditEvents(ctx, store.AuditFilter{TargetID: ada.ID}, store.Page{Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		actions := map[string]int{}
		for _, e := range evs {
			actions[e.Action]++
		}
		if actions["oidc.signin"] != 2 || actions["oidc.consent"] != 1 || actions["oidc.refresh_reuse"] != 1 || actions["oidc.code_reuse"] != 1 {
			t.Fatalf("audit events about ada: %v", actions)
		}

		// response_mode=form_post: the code is posted to the application
		// (passkey.js submits the form; the CSP lets it go there).
		pkce = oauth2.GenerateVerifier()
		visit(t, b, conf.AuthCodeURL("state-post", oauth2.S256ChallengeOption(pkce), oauth2.SetAuthURLParam("response_mode", "form_post")))
		waitPath(t, b, "/callback")
		cb = rp.last(t)
		if cb.Get("_method") != "POST" || cb.Get("state") != "state-post" || cb.Get("code") == "" {
			t.Fatalf("form_post callback: %v", cb)
		}
		if _, err := conf.Exchange(ctx, cb.Get("code"), oauth2.VerifierOption(pkce)); err != nil {
			t.Fatalf("exchange of a form_post code: %v", err)
		}

		// 2b. prompt=none with a session and a consent: straight back with a
		// code. Introspection and revocation of its access token.
		pkce = oauth2.GenerateVerifier()
		visit(t, b, conf.AuthCodeURL("state-none", gooidc.Nonce("n"), oauth2.S256ChallengeOption(pkce), oauth2.SetAuthURLParam("prompt", "none")))
		waitPath(t, b, "/callback")
		cb = rp.last(t)
		tok3, err := conf.Exchange(ctx, cb.Get("code"), oauth2.VerifierOption(pkce))
		if err != nil {
			t.Fatalf("exchange after prompt=none: %v", err)
		}
		// The resource server sees the custom claims the ID token has.
		if got := introspect(t, issuer, created.ID, secret, tok3.AccessToken); got["active"] != true || got["sub"] != ada.ID || got["client_id"] != created.ID ||
			got["role"] != "engineer" || got["level"] != 2.0 || got["employee_number"] != "E42" {
			t.Fatalf("introspection of a live access token: %v", got)
		}
		revoke(t, issuer, created.ID, secret, tok3.AccessToken)
		if got := introspect(t, issuer, created.ID, secret, tok3.AccessToken); got["active"] != false {
			t.Fatalf("introspection of a revoked access token: %v", got)
		}
		if _, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(tok3)); err == nil {
			t.Fatal("userinfo answers with a revoked access token")
		}
		// RFC 6750's challenge tells the relying party to get a new token.
		if status, challenge, _ := userinfoAnswer(t, "GET", issuer, "Bearer "+tok3.AccessToken); status != http.StatusUnauthorized ||
			challenge != `Bearer realm="rollcall", error="invalid_token", error_description="The access token has expired or was revoked."` {
			t.Fatalf("userinfo with a revoked access token: %d %q", status, challenge)
		}

		// A client with JWT access tokens (RFC 9068): the token carries
		// the same custom claims, and an API verifies it with the JWKS.
		if _, err := admin.OIDCClients.Update(ctx, created.ID, api.OIDCClientWriteAttributes{AccessTokenFormat: api.Some("jwt")}, ""); err != nil {
			t.Fatal(err)
		}
		pkce = oauth2.GenerateVerifier()
		visit(t, b, conf.AuthCodeURL("state-jwt", gooidc.Nonce("n"), oauth2.S256ChallengeOption(pkce), oauth2.SetAuthURLParam("prompt", "none")))
		waitPath(t, b, "/callback")
		jtok, err := conf.Exchange(ctx, rp.last(t).Get("code"), oauth2.VerifierOption(pkce))
		if err != nil {
			t.Fatalf("exchange for a JWT access token: %v", err)
		}
		payload, err := gooidc.NewRemoteKeySet(ctx, issuer+"/oauth2/keys").VerifySignature(ctx, jtok.AccessToken)
		if err != nil {
			t.Fatalf("the JWT access token does not verify with the JWKS: %v", err)
		}
		var at map[string]any
		if err := json.Unmarshal(payload, &at); err != nil || at["sub"] != ada.ID || at["role"] != "engineer" || at["level"] != 2.0 ||
			at["employee_number"] != "E42" || at["cost_center"] != nil {
			t.Fatalf("JWT access token claims: %s %v", payload, err)
		}
		if got := introspect(t, issuer, created.ID, secret, jtok.AccessToken); got["active"] != true || got["role"] != "engineer" {
			t.Fatalf("introspection of a JWT access token: %v", got)
		}
		// Userinfo takes it as it takes an opaque one, until it is revoked.
		if ui, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(jtok)); err != nil || ui.Subject != ada.ID || ui.Email != "ada@example.com" {
			t.Fatalf("userinfo with a JWT access token: %+v %v", ui, err)
		}
		revoke(t, issuer, created.ID, secret, jtok.AccessToken)
		if status, challenge, _ := userinfoAnswer(t, "GET", issuer, "Bearer "+jtok.AccessToken); status != http.StatusUnauthorized ||
			!strings.Contains(challenge, `error="invalid_token"`) {
			t.Fatalf("userinfo with a revoked JWT access token: %d %q", status, challenge)
		}
		if _, err := admin.OIDCClients.Update(ctx, created.ID, api.OIDCClientWriteAttributes{AccessTokenFormat: api.Some("opaque")}, ""); err != nil {
			t.Fatal(err)
		}

		// prompt=login: a new passkey sign-in though the session is there;
		// auth_time says when.
		before := time.Now().Add(-time.Second)
		pkce = oauth2.GenerateVerifier()
		visit(t, b, conf.AuthCodeURL("state-login", gooidc.Nonce("n"), oauth2.S256ChallengeOption(pkce), oauth2.SetAuthURLParam("prompt", "login")))
		waitPath(t, b, "/signin")
		click(t, b, "#passkey-button", "/callback")
		cb = rp.last(t)
		tok4, err := conf.Exchange(ctx, cb.Get("code"), oauth2.VerifierOption(pkce))
		if err != nil {
			t.Fatalf("exchange after prompt=login: %v", err)
		}
		idt, err = verifier.Verify(ctx, tok4.Extra("id_token").(string))
		if err != nil {
			t.Fatal(err)
		}
		if err := idt.Claims(&claims); err != nil {
			t.Fatal(err)
		}
		if at := time.Unix(claims.AuthTime, 0); at.Before(before.Truncate(time.Second)) {
			t.Fatalf("auth_time %v after prompt=login is older than the request (%v)", at, before)
		}

		// prompt=consent asks again though the consent is remembered.
		visit(t, b, conf.AuthCodeURL("state-consent", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()), oauth2.SetAuthURLParam("prompt", "consent")))
		waitText(t, b, "main", "Sign in to Grafana")
		click(t, b, "#consent-deny", "/callback")
		if cb := rp.last(t); cb.Get("error") != "access_denied" || cb.Get("state") != "state-consent" {
			t.Fatalf("consent declined: callback %v", cb)
		}

		// 3. A redirect URI that is not registered: an error page at
		// Rollcall, never a redirect.
		noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		evil := conf
		evil.RedirectURL = "https://evil.example/callback"
		resp, err := noFollow.Get(evil.AuthCodeURL("s", oauth2.S256ChallengeOption(pkce)))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
			t.Fatalf("unregistered redirect URI: %d, Location %q, %s", resp.StatusCode, resp.Header.Get("Location"), resp.Header.Get("Content-Type"))
		}
		visit(t, b, evil.AuthCodeURL("s", oauth2.S256ChallengeOption(pkce)))
		waitText(t, b, "main", "This sign-in cannot continue")

		// plain PKCE is refused, back at the relying party.
		visit(t, b, conf.AuthCodeURL("s-plain", oauth2.SetAuthURLParam("code_challenge", "abc"), oauth2.SetAuthURLParam("code_challenge_method", "plain")))
		waitPath(t, b, "/callback")
		if cb := rp.last(t); cb.Get("error") != "invalid_request" || cb.Get("state") != "s-plain" {
			t.Fatalf("plain PKCE: callback %v", cb)
		}

		// 3b. The device grant (RFC 8628), for a public CLI client: the
		// device gets a code, the person enters it in the signed-in
		// browser and agrees, and the device's next poll gets tokens, once.
		cli, err := admin.OIDCClients.Create(ctx, api.OIDCClientWriteAttributes{
			Name: api.Some("Rollcall CLI"), Public: api.Some(true),
			GrantTypes: api.Some([]string{api.GrantDeviceCode, "refresh_token"}),
		})
		if err != nil {
			t.Fatalf("register a device client: %v", err)
		}
		dconf := oauth2.Config{ClientID: cli.ID, Endpoint: provider.Endpoint(), Scopes: []string{gooidc.ScopeOpenID, "profile", gooidc.ScopeOfflineAccess}}
		dconf.Endpoint.AuthStyle = oauth2.AuthStyleInParams
		da, err := dconf.DeviceAuth(ctx)
		if err != nil {
			t.Fatalf("device authorization: %v", err)
		}
		if da.VerificationURI != issuer+"/oauth2/device" || !strings.HasPrefix(da.VerificationURIComplete, da.VerificationURI+"?user_code=") {
			t.Fatalf("device authorization answer: %+v", da)
		}
		if _, errCode := pollDevice(t, issuer, cli.ID, da.DeviceCode); errCode != "authorization_pending" {
			t.Fatalf("poll before the person agreed: %q", errCode)
		}
		visit(t, b, issuer+"/oauth2/device")
		waitText(t, b, "main", "Enter the code your device shows")
		visit(t, b, da.VerificationURIComplete)
		waitText(t, b, "main", "Sign in to Rollcall CLI on your device")
		click(t, b, "#consent-allow", "/oauth2/device/decide")
		waitText(t, b, "main", "is signed in as ada")
		dtok, errCode := pollDevice(t, issuer, cli.ID, da.DeviceCode)
		if errCode != "" || dtok["refresh_token"] == nil {
			t.Fatalf("poll after the person agreed: %q %v", errCode, dtok)
		}
		didt, err := provider.Verifier(&gooidc.Config{ClientID: cli.ID}).Verify(ctx, dtok["id_token"].(string))
		if err != nil || didt.Subject != ada.ID {
			t.Fatalf("device ID token: %v", err)
		}
		if _, errCode := pollDevice(t, issuer, cli.ID, da.DeviceCode); errCode == "" {
			t.Fatal("a second poll got tokens again")
		}

		// 4. Outside the allowed groups: a page that says so, whose button
		// returns access_denied to the relying party.
		if _, err := admin.OIDCClients.Update(ctx, created.ID, api.OIDCClientWriteAttributes{
			AllowedGroups: api.Some([]string{otherGroup.ID}),
		}, ""); err != nil {
			t.Fatal(err)
		}
		visit(t, b, authorize("state-3", "nonce-3", oauth2.GenerateVerifier()))
		waitText(t, b, "main", "You don't have access to Grafana")
		click(t, b, "main a.button", "/callback")
		if cb := rp.last(t); cb.Get("error") != "access_denied" || cb.Get("state") != "state-3" {
			t.Fatalf("outside the allowed groups: callback %v", cb)
		}
		// An application that asked for response_mode=form_post gets the
		// refusal posted, as it would get a code.
		visit(t, b, conf.AuthCodeURL("state-3p", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()), oauth2.SetAuthURLParam("response_mode", "form_post")))
		waitText(t, b, "main", "You don't have access to Grafana")
		click(t, b, "main a.button", "/callback")
		if cb := rp.last(t); cb.Get("_method") != "POST" || cb.Get("error") != "access_denied" || cb.Get("state") != "state-3p" {
			t.Fatalf("outside the allowed groups, form_post: callback %v", cb)
		}

		// The account page: the launcher lists what she may open, and
		// "Apps you signed in to" lets her remove Grafana's access, which
		// revokes its tokens.
		if _, err := admin.OIDCClients.Update(ctx, cli.ID, api.OIDCClientWriteAttributes{LaunchURL: api.Some("https://cli.example.com/")}, ""); err != nil {
			t.Fatal(err)
		}
		visit(t, b, issuer+"/account")
		waitText(t, b, "#launch", "Rollcall CLI")
		waitText(t, b, "#apps", "Grafana")
		click(t, b, "#app-"+created.ID+" button", "/account")
		waitText(t, b, "main", "The application has no access to your account any more")
		if _, err := conf.TokenSource(ctx, &oauth2.Token{RefreshToken: tok4.RefreshToken}).Token(); !oauthError(err, "invalid_grant") {
			t.Fatalf("refresh after the person removed the application's access: %v", err)
		}

		// 5. RP-initiated logout: end_session with the ID token as hint and
		// a registered post-logout URI; Rollcall asks, signs the browser
		// out, and sends it back to the application with its state.
		if _, err := admin.OIDCClients.Update(ctx, created.ID, api.OIDCClientWriteAttributes{
			PostLogoutRedirectURIs: api.Some([]string{rp.srv.URL + "/logged-out"}),
		}, ""); err != nil {
			t.Fatal(err)
		}
		badEnd := url.Values{"id_token_hint": {tok4.Extra("id_token").(string)}, "post_logout_redirect_uri": {"https://evil.example/"}}
		if res, err := noFollow.Get(issuer + "/oauth2/end_session?" + badEnd.Encode()); err != nil || res.StatusCode != http.StatusBadRequest {
			t.Fatalf("end_session with an unregistered post-logout URI: %v %v", err, res)
		}
		end := url.Values{"id_token_hint": {tok4.Extra("id_token").(string)}, "post_logout_redirect_uri": {rp.srv.URL + "/logged-out"}, "state": {"bye"}}
		visit(t, b, issuer+"/oauth2/end_session?"+end.Encode())
		waitText(t, b, "main", "Grafana has signed you out")
		click(t, b, "#logout-confirm", "/logged-out")
		if cb := rp.last(t); cb.Get("state") != "bye" {
			t.Fatalf("post-logout redirect: %v", cb)
		}
		visit(t, b, issuer+"/account")
		waitPath(t, b, "/signin")

		// Signed out of Rollcall: prompt=none answers login_required.
		visit(t, b, conf.AuthCodeURL("state-5", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()), oauth2.SetAuthURLParam("prompt", "none")))
		waitPath(t, b, "/callback")
		if cb := rp.last(t); cb.Get("error") != "login_required" || cb.Get("state") != "state-5" {
			t.Fatalf("prompt=none without a session: callback %v", cb)
		}

		// 6. A disabled person's refresh token stops working.
		if _, err := admin.Users.Update(ctx, ada.ID, api.UserWriteAttributes{Disabled: api.Some(true)}, nil, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := conf.TokenSource(ctx, &oauth2.Token{RefreshToken: tok3.RefreshToken}).Token(); !oauthError(err, "invalid_grant", "access_denied") {
			t.Fatalf("refresh by a disabled person: %v", err)
		}
	})
}

// introspect asks the introspection endpoint (RFC 7662) about a token.
func introspect(t *testing.T, issuer, clientID, secret, token string) map[string]any {
	t.Helper()
	rq, _ := http.NewRequest("POST", issuer+"/oauth2/introspect", strings.NewReader(url.Values{"token": {token}}.Encode()))
	rq.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rq.SetBasicAuth(clientID, secret)
	res, err := http.DefaultClient.Do(rq)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || res.StatusCode != 200 {
		t.Fatalf("introspection: %d %v", res.StatusCode, err)
	}
	return out
}

// pollDevice polls the token endpoint with a device code once, and
// returns the token answer or the OAuth error code.
func pollDevice(t *testing.T, issuer, clientID, deviceCode string) (map[string]any, string) {
	t.Helper()
	form := url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"}, "device_code": {deviceCode}, "client_id": {clientID}}
	res, err := http.PostForm(issuer+"/oauth2/token", form)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		t.Fatalf("token endpoint answer: %v", err)
	}
	if e, _ := out["error"].(string); e != "" {
		return nil, e
	}
	return out, ""
}

// revoke revokes a token (RFC 7009).
func revoke(t *testing.T, issuer, clientID, secret, token string) {
	t.Helper()
	rq, _ := http.NewRequest("POST", issuer+"/oauth2/revoke", strings.NewReader(url.Values{"token": {token}}.Encode()))
	rq.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rq.SetBasicAuth(clientID, secret)
	res, err := http.DefaultClient.Do(rq)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("revocation: %d", res.StatusCode)
	}
}

// oauthError reports whether err is an OAuth error answer with one of the
// codes.
func oauthError(err error, codes ...string) bool {
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		return false
	}
	return slices.Contains(codes, re.ErrorCode)
}
