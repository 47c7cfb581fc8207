package oidc_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/rollcall/rollcall/api"
	"github.com/rollcall/rollcall/internal/testserver"
)

// TestClientCredentials: a machine client gets an access token for itself
// with its secret; a resource server introspects it; userinfo says there
// is no person; a wrong secret and a client without the grant are refused.
func TestClientCredentials(t *testing.T) {
	testserver.Backends(t, func(t *testing.T, backend testserver.Option) {
		ctx := context.Background()
		srv := startServer(t, backend)
		issuer := srv.Config.PublicURL
		admin := adminClient(t, srv)
		machine, err := admin.OIDCClients.Create(ctx, api.OIDCClientWriteAttributes{
			Name: api.Some("Nightly job"), GrantTypes: api.Some([]string{"client_credentials"}),
		})
		if err != nil {
			t.Fatalf("register a machine client: %v", err)
		}
		api2, err := admin.OIDCClients.Create(ctx, api.OIDCClientWriteAttributes{
			Name: api.Some("Inventory API"), RedirectURIs: api.Some([]string{"https://inventory.example.com/cb"}),
		})
		if err != nil {
			t.Fatal(err)
		}
		provider, err := gooidc.NewProvider(ctx, issuer)
		if err != nil {
			t.Fatal(err)
		}
		cc := clientcredentials.Config{ClientID: machine.ID, ClientSecret: machine.Attributes.ClientSecret, TokenURL: provider.Endpoint().TokenURL,
			Scopes: []string{"inventory.read", "openid"}}
		tok, err := cc.Token(ctx)
		if err != nil {
			t.Fatalf("client credentials grant: %v", err)
		}
		if tok.RefreshToken != "" || tok.Extra("id_token") != nil {
			t.Fatalf("a machine token came with a refresh or ID token: %+v", tok)
		}
		got := introspect(t, issuer, api2.ID, api2.Attributes.ClientSecret, tok.AccessToken)
		if got["active"] != true || got["sub"] != machine.ID || got["client_id"] != machine.ID || got["scope"] != "inventory.read" {
			t.Fatalf("introspection of a machine token by a resource server: %v", got)
		}
		if _, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(tok)); err == nil {
			t.Fatal("userinfo answered for a machine token")
		}

		bad := cc
		bad.ClientSecret = "wrong"
		var re *oauth2.RetrieveError
		if _, err := bad.Token(ctx); !errors.As(err, &re) || re.Response.StatusCode != http.StatusUnauthorized && re.Response.StatusCode != http.StatusBadRequest {
			t.Fatalf("client credentials with a wrong secret: %v", err)
		}
		other := clientcredentials.Config{ClientID: api2.ID, ClientSecret: api2.Attributes.ClientSecret, TokenURL: cc.TokenURL}
		if _, err := other.Token(ctx); !oauthError(err, "unauthorized_client") {
			t.Fatalf("client credentials for a client without the grant: %v", err)
		}

		// access-token-format jwt: a JWT an API verifies with the JWKS; it
		// is still introspected and revoked through the database.
		if _, err := admin.OIDCClients.Update(ctx, machine.ID, api.OIDCClientWriteAttributes{AccessTokenFormat: api.Some("jwt")}, ""); err != nil {
			t.Fatal(err)
		}
		jtok, err := cc.Token(ctx)
		if err != nil {
			t.Fatalf("client credentials with JWT access tokens: %v", err)
		}
		payload, err := gooidc.NewRemoteKeySet(ctx, issuer+"/oauth2/keys").VerifySignature(ctx, jtok.AccessToken)
		if err != nil {
			t.Fatalf("the JWT access token does not verify with the JWKS: %v", err)
		}
		// RFC 9068: the header says at+jwt; iss, exp, aud, sub, client_id,
		// iat, jti and the granted scope are claims.
		var header struct {
			Typ string `json:"typ"`
			Kid string `json:"kid"`
		}
		if raw, err := base64.RawURLEncoding.DecodeString(strings.Split(jtok.AccessToken, ".")[0]); err != nil || json.Unmarshal(raw, &header) != nil ||
			header.Typ != "at+jwt" || header.Kid == "" {
			t.Fatalf("JWT access token header: %+v %v", header, err)
		}
		var claims struct {
			Iss      string          `json:"iss"`
			Sub      string          `json:"sub"`
			ClientID string          `json:"client_id"`
			Exp      int64           `json:"exp"`
			Iat      int64           `json:"iat"`
			Jti      string          `json:"jti"`
			Aud      json.RawMessage `json:"aud"`
			Scope    string          `json:"scope"`
		}
		if err := json.Unmarshal(payload, &claims); err != nil || claims.Iss != issuer || claims.Sub != machine.ID || claims.ClientID != machine.ID ||
			claims.Exp == 0 || claims.Iat == 0 || claims.Jti == "" || !strings.Contains(string(claims.Aud), machine.ID) ||
			!strings.Contains(" "+claims.Scope+" ", " inventory.read ") {
			t.Fatalf("JWT access token claims: %s", payload)
		}
		if got := introspect(t, issuer, api2.ID, api2.Attributes.ClientSecret, jtok.AccessToken); got["active"] != true {
			t.Fatalf("introspection of a JWT access token: %v", got)
		}
		revoke(t, issuer, machine.ID, machine.Attributes.ClientSecret, jtok.AccessToken)
		if got := introspect(t, issuer, api2.ID, api2.Attributes.ClientSecret, jtok.AccessToken); got["active"] != false {
			t.Fatalf("introspection of a revoked JWT access token: %v", got)
		}
	})
}
