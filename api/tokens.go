package api

import (
	"strconv"
	"time"
)

// TokenPrefix starts every API token: rc_ and 43 base62 characters.
const TokenPrefix = "rc_"

// APITokenAttributes are an API token's attributes. Token is the secret and
// is present only in the response to the create request.
type APITokenAttributes struct {
	Name       string     `json:"name"`
	Token      string     `json:"token,omitempty"`
	Prefix     string     `json:"prefix"` // first characters, to recognise a token in a list
	Scopes     []string   `json:"scopes"`
	ExpiresAt  *time.Time `json:"expires-at"`
	LastUsedAt *time.Time `json:"last-used-at"`
	CreatedAt  time.Time  `json:"created-at"`
}

// APITokenRelationships names the token's owner.
type APITokenRelationships struct {
	User ToOne `json:"user"`
}

// APIToken is an api-tokens resource object.
type APIToken struct {
	Type          string                `json:"type"`
	ID            string                `json:"id"`
	Attributes    APITokenAttributes    `json:"attributes"`
	Relationships APITokenRelationships `json:"relationships"`
	Links         *Links                `json:"links,omitempty"`
}

// APITokenWriteAttributes are what a client sends to create a token.
type APITokenWriteAttributes struct {
	Name      string     `json:"name"`
	ExpiresAt *time.Time `json:"expires-at,omitempty"`
	Scopes    []string   `json:"scopes,omitempty"`
}

// Token scopes. ScopeAdmin, the default, reaches the whole REST API with the
// rights of the token's owner; ScopeSCIM reaches only /scim/v2, so the token
// an HR system or Okta/Entra ID holds can provision people and nothing else.
const (
	ScopeAdmin = "admin"
	ScopeSCIM  = "scim"
)

// Scopes lists the token scopes there are, for messages and the CLI's help.
var Scopes = []string{ScopeAdmin, ScopeSCIM}

// APITokenWriteRelationships optionally names the owner; an admin may
// create tokens for another user (a service account), others only for
// themselves.
type APITokenWriteRelationships struct {
	User *ToOne `json:"user,omitempty"`
}

// APITokenWrite is the primary data of POST /api-tokens.
type APITokenWrite struct {
	Type          string                      `json:"type"`
	Attributes    APITokenWriteAttributes     `json:"attributes"`
	Relationships *APITokenWriteRelationships `json:"relationships,omitempty"`
}

// Validate checks a token create request against now.
func (w *APITokenWriteAttributes) Validate(now time.Time) Errors {
	var errs Errors
	if w.Name == "" {
		errs = append(errs, Invalid(CodeRequired, AttrPointer("name"), "name is required: say what the token is for, such as terraform"))
	} else if e := ValidateText("name", w.Name, MaxTokenNameLen); e != nil {
		errs = append(errs, e)
	}
	for i, sc := range w.Scopes {
		if sc != ScopeAdmin && sc != ScopeSCIM {
			errs = append(errs, Invalid(CodeInvalidValue, AttrPointer("scopes")+"/"+strconv.Itoa(i),
				"scope "+strconv.Quote(sc)+" is not one there is: give admin (the whole API, the default) or scim (only /scim/v2, for Okta, Entra ID and other provisioning clients)"))
		}
	}
	if w.ExpiresAt != nil && !w.ExpiresAt.After(now) {
		errs = append(errs, Invalid(CodeInvalidValue, AttrPointer("expires-at"), "expires-at must be in the future (RFC 3339, such as 2030-01-02T15:04:05Z)"))
	}
	return errs
}
