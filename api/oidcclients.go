package api

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// TypeOIDCClients is the resource type of applications that sign people
// in with Rollcall (OpenID Connect clients).
const TypeOIDCClients = "oidc-clients"

// Error codes of the oidc-clients resource.
const (
	CodeClientNameTaken = "client_name_taken" // 409
	CodeTooManySecrets  = "too_many_secrets"  // 409: a third secret; delete the old one first
)

// Limits of a client's attributes.
const (
	MaxClientNameLen       = 100
	MaxRedirectURIs        = 20
	MaxRedirectURILen      = 2000
	MaxClientURLLen        = 255
	MaxAccessTokenLifetime = 24 * 60 * 60       // seconds
	MaxIDTokenLifetime     = 24 * 60 * 60       // seconds
	MaxRefreshLifetime     = 365 * 24 * 60 * 60 // seconds
	MinTokenLifetime       = 60                 // seconds
)

// GrantDeviceCode is the device authorization grant (RFC 8628), for CLIs
// and TVs.
const GrantDeviceCode = "urn:ietf:params:oauth:grant-type:device_code"

// Grant types a client may be given: client_credentials is for machine
// clients (confidential ones), which get tokens for themselves.
var OIDCGrantTypes = []string{"authorization_code", "refresh_token", GrantDeviceCode, "client_credentials"}

// OIDCClientSecretInfo names one of a client's secrets; the secret itself
// is shown only when it is made.
type OIDCClientSecretInfo struct {
	ID        string    `json:"id"`
	CreatedAt time.Time `json:"created-at"`
}

// OIDCClientAttributes are a client's attributes. ClientSecret is present
// only in the answer to a create of a confidential client and to a secret
// rotation.
type OIDCClientAttributes struct {
	Name                   string                 `json:"name"`
	ClientSecret           string                 `json:"client-secret,omitempty"`
	RedirectURIs           []string               `json:"redirect-uris"`
	PostLogoutRedirectURIs []string               `json:"post-logout-redirect-uris"`
	Public                 bool                   `json:"public"`
	GrantTypes             []string               `json:"grant-types"`
	AllowedGroups          []string               `json:"allowed-groups"`
	SkipConsent            bool                   `json:"skip-consent"`
	AccessTokenLifetime    int64                  `json:"access-token-lifetime"`
	IDTokenLifetime        int64                  `json:"id-token-lifetime"`
	RefreshTokenLifetime   int64                  `json:"refresh-token-lifetime"`
	LogoURL                *string                `json:"logo-url"`
	LaunchURL              *string                `json:"launch-url"`
	BackchannelLogoutURI   *string                `json:"backchannel-logout-uri"`
	AccessTokenFormat      string                 `json:"access-token-format"`
	AttributeClaims        map[string]string      `json:"attribute-claims"`
	Secrets                []OIDCClientSecretInfo `json:"secrets"`
	CreatedAt              time.Time              `json:"created-at"`
	UpdatedAt              time.Time              `json:"updated-at"`
}

// OIDCClient is an oidc-clients resource object; its id is the client_id.
type OIDCClient struct {
	Type       string               `json:"type"`
	ID         string               `json:"id"`
	Attributes OIDCClientAttributes `json:"attributes"`
	Links      *Links               `json:"links,omitempty"`
}

// OIDCClientWriteAttributes are what a client sends to create or change an
// application; PATCH leaves out what it does not change. The read-only
// members are accepted (and refused with read_only when sent).
type OIDCClientWriteAttributes struct {
	Name                   Opt[string]            `json:"name,omitzero"`
	RedirectURIs           Opt[[]string]          `json:"redirect-uris,omitzero"`
	PostLogoutRedirectURIs Opt[[]string]          `json:"post-logout-redirect-uris,omitzero"`
	Public                 Opt[bool]              `json:"public,omitzero"`
	GrantTypes             Opt[[]string]          `json:"grant-types,omitzero"`
	AllowedGroups          Opt[[]string]          `json:"allowed-groups,omitzero"`
	SkipConsent            Opt[bool]              `json:"skip-consent,omitzero"`
	AccessTokenLifetime    Opt[int64]             `json:"access-token-lifetime,omitzero"`
	IDTokenLifetime        Opt[int64]             `json:"id-token-lifetime,omitzero"`
	RefreshTokenLifetime   Opt[int64]             `json:"refresh-token-lifetime,omitzero"`
	LogoURL                Opt[string]            `json:"logo-url,omitzero"`
	LaunchURL              Opt[string]            `json:"launch-url,omitzero"`
	BackchannelLogoutURI   Opt[string]            `json:"backchannel-logout-uri,omitzero"`
	AccessTokenFormat      Opt[string]            `json:"access-token-format,omitzero"`
	AttributeClaims        Opt[map[string]string] `json:"attribute-claims,omitzero"`

	ClientSecret json.RawMessage `json:"client-secret,omitempty"`
	Secrets      json.RawMessage `json:"secrets,omitempty"`
	CreatedAt    json.RawMessage `json:"created-at,omitempty"`
	UpdatedAt    json.RawMessage `json:"updated-at,omitempty"`
}

// OIDCClientWrite is the primary data of a POST or PATCH on /oidc-clients.
type OIDCClientWrite struct {
	Type       string                    `json:"type"`
	ID         string                    `json:"id,omitempty"`
	Attributes OIDCClientWriteAttributes `json:"attributes"`
}

// Validate checks a create (create true) or a change. It checks each
// attribute sent; the rules that join attributes (a public client's
// redirect URIs are https) are checked by ValidateOIDCClient on the result.
func (w *OIDCClientWriteAttributes) Validate(create bool) Errors {
	var errs Errors
	add := func(e *Error) {
		if e != nil {
			errs = append(errs, e)
		}
	}
	for name, raw := range map[string]json.RawMessage{"client-secret": w.ClientSecret, "secrets": w.Secrets, "created-at": w.CreatedAt, "updated-at": w.UpdatedAt} {
		if raw != nil {
			add(Invalid(CodeReadOnly, AttrPointer(name), name+" is read-only: the server sets it; leave it out"))
		}
	}
	switch {
	case create && (!w.Name.Set || w.Name.Null || strings.TrimSpace(w.Name.Value) == ""):
		add(Invalid(CodeRequired, AttrPointer("name"), "name is required: the application's name as people will see it, such as Grafana"))
	case w.Name.Set && (w.Name.Null || strings.TrimSpace(w.Name.Value) == ""):
		add(Invalid(CodeRequired, AttrPointer("name"), "name cannot be cleared: give the application's name, such as Grafana"))
	case w.Name.Set:
		add(ValidateText("name", w.Name.Value, MaxClientNameLen))
	}
	for _, l := range []struct {
		name string
		v    Opt[[]string]
	}{{"redirect-uris", w.RedirectURIs}, {"post-logout-redirect-uris", w.PostLogoutRedirectURIs}} {
		if len(l.v.Value) > MaxRedirectURIs {
			add(Invalid(CodeInvalidValue, AttrPointer(l.name), fmt.Sprintf("%s has %d entries; at most %d are allowed", l.name, len(l.v.Value), MaxRedirectURIs)))
			continue
		}
		for i, u := range l.v.Value {
			add(validateRedirectURI(fmt.Sprintf("%s/%d", AttrPointer(l.name), i), l.name, u))
		}
	}
	for i, g := range w.GrantTypes.Value {
		if !contains(OIDCGrantTypes, g) {
			add(Invalid(CodeInvalidValue, fmt.Sprintf("%s/%d", AttrPointer("grant-types"), i),
				fmt.Sprintf("grant type %q is not offered; use %s", g, strings.Join(OIDCGrantTypes, " or "))))
		}
	}
	for i, g := range w.AllowedGroups.Value {
		if _, e := ValidateID(g); e != nil {
			add(Invalid(CodeInvalidID, fmt.Sprintf("%s/%d", AttrPointer("allowed-groups"), i), fmt.Sprintf("allowed-groups holds group ids (UUIDs); %q is not one", g)))
		}
	}
	for _, l := range []struct {
		name string
		v    Opt[int64]
		max  int64
	}{{"access-token-lifetime", w.AccessTokenLifetime, MaxAccessTokenLifetime}, {"id-token-lifetime", w.IDTokenLifetime, MaxIDTokenLifetime},
		{"refresh-token-lifetime", w.RefreshTokenLifetime, MaxRefreshLifetime}} {
		if v := l.v.Value; v != 0 && (v < MinTokenLifetime || v > l.max) {
			add(Invalid(CodeInvalidValue, AttrPointer(l.name), fmt.Sprintf("%s is in seconds: 0 for the default, or from %d to %d", l.name, MinTokenLifetime, l.max)))
		}
	}
	for _, l := range []struct {
		name string
		v    Opt[string]
	}{{"logo-url", w.LogoURL}, {"launch-url", w.LaunchURL}} {
		if l.v.Value == "" {
			continue
		}
		if e := ValidateText(l.name, l.v.Value, MaxClientURLLen); e != nil {
			add(e)
			continue
		}
		u, err := url.Parse(l.v.Value)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			add(Invalid(CodeInvalidURL, AttrPointer(l.name), fmt.Sprintf("%s %q must be an absolute http:// or https:// URL", l.name, l.v.Value)))
		}
	}
	if f := w.AccessTokenFormat; f.Set && f.Value != "opaque" && f.Value != "jwt" {
		add(Invalid(CodeInvalidValue, AttrPointer("access-token-format"), fmt.Sprintf("access-token-format %q is not one: use opaque (looked up by Rollcall, revoked at once) or jwt (signed, for APIs that verify tokens themselves)", f.Value)))
	}
	errs = append(errs, validateAttributeClaims(w.AttributeClaims.Value)...)
	if v := w.BackchannelLogoutURI.Value; v != "" {
		add(validateRedirectURI(AttrPointer("backchannel-logout-uri"), "backchannel-logout-uri", v))
	}
	return errs
}

// ReservedClaims are the claims Rollcall sets itself; neither a client's
// attribute-claims nor a group's custom-claims can name them, so neither
// overrides who someone is, when they signed in or what they may do. Of
// the two, a client's attribute-claims win.
var ReservedClaims = []string{"iss", "sub", "aud", "exp", "iat", "nbf", "jti", "auth_time", "nonce", "acr", "amr", "azp",
	"sid", "at_hash", "c_hash", "client_id", "scope", "cnf", "act", "events", "name", "given_name", "family_name",
	"middle_name", "nickname", "preferred_username", "profile", "picture", "website", "email", "email_verified",
	"gender", "birthdate", "zoneinfo", "locale", "phone_number", "phone_number_verified", "address", "updated_at", "groups"}

// MaxAttributeClaims bounds a client's attribute-claims.
const MaxAttributeClaims = 32

// validateAttributeClaims checks a client's map of claim name to the key
// of a person's attribute.
func validateAttributeClaims(m map[string]string) Errors {
	var errs Errors
	ptr := AttrPointer("attribute-claims")
	if len(m) > MaxAttributeClaims {
		errs = append(errs, Invalid(CodeTooManyAttributes, ptr, fmt.Sprintf("attribute-claims has %d entries; at most %d are allowed", len(m), MaxAttributeClaims)))
	}
	for claim, key := range m {
		p := ptr + "/" + pointerEscape(claim)
		switch {
		case !attributeKeyRE.MatchString(claim):
			errs = append(errs, Invalid(CodeInvalidAttributeKey, p, fmt.Sprintf("claim name %q must start with a lower-case letter and contain only a-z, 0-9 and _, at most 64 characters", claim)))
		case contains(ReservedClaims, claim):
			errs = append(errs, Invalid(CodeInvalidValue, p, fmt.Sprintf("claim %q is set by Rollcall itself and cannot come from an attribute; choose another name", claim)))
		case !attributeKeyRE.MatchString(key):
			errs = append(errs, Invalid(CodeInvalidAttributeKey, p, fmt.Sprintf("%q is not an attribute key: keys start with a lower-case letter and contain only a-z, 0-9 and _", key)))
		}
	}
	return errs
}

// validateRedirectURI checks one redirect URI: absolute http or https, no
// fragment (OpenID Connect forbids it), at most MaxRedirectURILen
// characters.
// Matching is exact, so wildcards mean nothing and are refused.
func validateRedirectURI(ptr, attr, s string) *Error {
	if len(s) > MaxRedirectURILen {
		return Invalid(CodeTooLong, ptr, fmt.Sprintf("%s entries are at most %d characters", attr, MaxRedirectURILen))
	}
	u, err := url.Parse(s)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		// Custom schemes (native apps) are refused by the authorize
		// endpoint for the client types Rollcall has, so they are refused
		// here, where the person registering can act on it.
		return Invalid(CodeInvalidURL, ptr, fmt.Sprintf("%s entry %q must be an absolute http:// or https:// URL such as https://app.example.com/callback", attr, s))
	case u.Fragment != "" || strings.Contains(s, "#"):
		return Invalid(CodeInvalidURL, ptr, fmt.Sprintf("%s entry %q must not have a #fragment", attr, s))
	case strings.Contains(s, "*"):
		return Invalid(CodeInvalidURL, ptr, fmt.Sprintf("%s entry %q has a *: redirect URIs match exactly, so list each one", attr, s))
	}
	return nil
}

// ValidateOIDCClient checks the rules that join attributes, on the client
// as it would be stored: a public client's redirect URIs use https (the
// authorize endpoint refuses http for clients without a secret), and a
// client of the authorization code flow has a redirect URI.
func ValidateOIDCClient(public bool, grantTypes, redirectURIs []string) Errors {
	var errs Errors
	if contains(grantTypes, "authorization_code") && len(redirectURIs) == 0 {
		errs = append(errs, Invalid(CodeRequired, AttrPointer("redirect-uris"),
			"redirect-uris needs at least one entry: where Rollcall sends people back to the application after they sign in"))
	}
	if public && contains(grantTypes, "client_credentials") {
		errs = append(errs, Invalid(CodeInvalidValue, AttrPointer("grant-types"),
			"client_credentials needs a confidential client (one with a secret): set public to false"))
	}
	if public {
		for i, u := range redirectURIs {
			if strings.HasPrefix(u, "http://") {
				errs = append(errs, Invalid(CodeInvalidURL, fmt.Sprintf("%s/%d", AttrPointer("redirect-uris"), i),
					fmt.Sprintf("redirect-uris entry %q uses http: a public client (no secret) must use https", u)))
			}
		}
	}
	if contains(grantTypes, "refresh_token") && !contains(grantTypes, "authorization_code") && !contains(grantTypes, GrantDeviceCode) {
		errs = append(errs, Invalid(CodeInvalidValue, AttrPointer("grant-types"),
			"refresh_token needs authorization_code or "+GrantDeviceCode+": refresh tokens are issued at a sign-in"))
	}
	return errs
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
