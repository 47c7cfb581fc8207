package oidc

import (
	"slices"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/rollcall/rollcall/internal/store"
)

// Default token lifetimes, for a client that sets none.
const (
	DefaultAccessTokenTTL  = time.Hour
	DefaultIDTokenTTL      = time.Hour
	DefaultRefreshTokenTTL = 30 * 24 * time.Hour
	// authRequestTTL is how long a person has to sign in and agree.
	authRequestTTL = 15 * time.Minute
	// codeTTL is how long an issued code may be redeemed (RFC 6749
	// recommends at most ten minutes; a relying party redeems it at once).
	codeTTL = time.Minute
)

// Grant types a client may be given.
const (
	GrantAuthorizationCode = "authorization_code"
	GrantRefreshToken      = "refresh_token"
)

// ScopeGroups asks for the person's group names in the groups claim.
const ScopeGroups = "groups"

// client is a stored client as the OP library sees it.
type client struct {
	c store.OIDCClient
}

var _ op.Client = (*client)(nil)

func (c *client) GetID() string                    { return c.c.ID }
func (c *client) RedirectURIs() []string           { return c.c.RedirectURIs }
func (c *client) PostLogoutRedirectURIs() []string { return c.c.PostLogoutRedirectURIs }

// ApplicationType is web for confidential clients and user agent for
// public ones. Native would let a loopback redirect differ in its port
// from the registered one (RFC 8252), and Rollcall matches redirect URIs
// exactly.
func (c *client) ApplicationType() op.ApplicationType {
	if c.c.Public {
		return op.ApplicationTypeUserAgent
	}
	return op.ApplicationTypeWeb
}

func (c *client) AuthMethod() oidc.AuthMethod {
	if c.c.Public {
		return oidc.AuthMethodNone
	}
	return oidc.AuthMethodBasic
}

func (c *client) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}

func (c *client) GrantTypes() []oidc.GrantType {
	out := make([]oidc.GrantType, 0, len(c.c.GrantTypes))
	for _, g := range c.c.GrantTypes {
		out = append(out, oidc.GrantType(g))
	}
	return out
}

// LoginURL is where the authorize endpoint sends the browser: Rollcall's
// own hand-off to the passkey sign-in (see Provider.login).
func (c *client) LoginURL(id string) string { return loginPath + "?id=" + id }

// AccessTokenType is opaque (looked up by hash, revoked at once) unless
// the client asks for JWT access tokens, which an API verifies itself.
func (c *client) AccessTokenType() op.AccessTokenType {
	if c.c.AccessTokenFormat == "jwt" {
		return op.AccessTokenTypeJWT
	}
	return op.AccessTokenTypeBearer
}

func (c *client) IDTokenLifetime() time.Duration {
	if c.c.IDTokenTTL > 0 {
		return c.c.IDTokenTTL
	}
	return DefaultIDTokenTTL
}

func (c *client) accessTokenTTL() time.Duration {
	if c.c.AccessTokenTTL > 0 {
		return c.c.AccessTokenTTL
	}
	return DefaultAccessTokenTTL
}

func (c *client) refreshTokenTTL() time.Duration {
	if c.c.RefreshTokenTTL > 0 {
		return c.c.RefreshTokenTTL
	}
	return DefaultRefreshTokenTTL
}

// DevMode is never on: http redirect URIs are allowed for confidential
// clients only (the library's rule), and never by a switch.
func (c *client) DevMode() bool { return false }

func (c *client) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}

func (c *client) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}

// IsScopeAllowed admits the one scope beyond OpenID Connect's own that
// Rollcall answers: groups.
func (c *client) IsScopeAllowed(scope string) bool { return scope == ScopeGroups }

// IDTokenUserinfoClaimsAssertion puts the claims of the granted scopes in
// the ID token as well as at userinfo: many relying parties read only the
// ID token.
func (c *client) IDTokenUserinfoClaimsAssertion() bool { return true }

func (c *client) ClockSkew() time.Duration { return 0 }

func (c *client) hasGrant(g string) bool { return slices.Contains(c.c.GrantTypes, g) }
