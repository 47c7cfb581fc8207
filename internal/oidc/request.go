package oidc

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/rollcall/rollcall/internal/store"
)

// authParams are the parameters of an authorization request that the
// store keeps opaque (store.OIDCAuthRequest.Params).
type authParams struct {
	RedirectURI         string   `json:"redirect_uri"`
	State               string   `json:"state,omitempty"`
	Nonce               string   `json:"nonce,omitempty"`
	Scopes              []string `json:"scopes"`
	ResponseType        string   `json:"response_type"`
	ResponseMode        string   `json:"response_mode,omitempty"`
	CodeChallenge       string   `json:"code_challenge,omitempty"`
	CodeChallengeMethod string   `json:"code_challenge_method,omitempty"`
	Prompt              []string `json:"prompt,omitempty"`
	MaxAge              *uint    `json:"max_age,omitempty"`
	LoginHint           string   `json:"login_hint,omitempty"`
}

// authRequest is a stored authorization request as the library sees it.
type authRequest struct {
	rec store.OIDCAuthRequest
	p   authParams
}

var _ op.AuthRequest = (*authRequest)(nil)

func newAuthRequest(rec store.OIDCAuthRequest) (*authRequest, error) {
	a := &authRequest{rec: rec}
	if err := json.Unmarshal(rec.Params, &a.p); err != nil {
		return nil, fmt.Errorf("oidc: stored authorization request %s is unreadable: %w", rec.ID, err)
	}
	return a, nil
}

func (a *authRequest) GetID() string                      { return a.rec.ID }
func (a *authRequest) GetACR() string                     { return "" }
func (a *authRequest) GetAMR() []string                   { return a.rec.AMR }
func (a *authRequest) GetAudience() []string              { return []string{a.rec.ClientID} }
func (a *authRequest) GetAuthTime() time.Time             { return a.rec.AuthTime }
func (a *authRequest) GetClientID() string                { return a.rec.ClientID }
func (a *authRequest) GetNonce() string                   { return a.p.Nonce }
func (a *authRequest) GetRedirectURI() string             { return a.p.RedirectURI }
func (a *authRequest) GetScopes() []string                { return a.p.Scopes }
func (a *authRequest) GetState() string                   { return a.p.State }
func (a *authRequest) GetSubject() string                 { return a.rec.UserID }
func (a *authRequest) Done() bool                         { return a.rec.Done }
func (a *authRequest) sessionID() string                  { return a.rec.SessionID }
func (a *authRequest) GetResponseType() oidc.ResponseType { return oidc.ResponseType(a.p.ResponseType) }
func (a *authRequest) GetResponseMode() oidc.ResponseMode { return oidc.ResponseMode(a.p.ResponseMode) }

func (a *authRequest) GetCodeChallenge() *oidc.CodeChallenge {
	if a.p.CodeChallenge == "" {
		return nil
	}
	return &oidc.CodeChallenge{Challenge: a.p.CodeChallenge, Method: oidc.CodeChallengeMethod(a.p.CodeChallengeMethod)}
}

// refreshRequest is a stored refresh token as the library sees it when
// the token endpoint is asked to refresh.
type refreshRequest struct {
	rec    store.OIDCRefreshToken
	scopes []string // narrowed by the request, if it asked for fewer
}

var _ op.RefreshTokenRequest = (*refreshRequest)(nil)

func (r *refreshRequest) GetAMR() []string            { return r.rec.AMR }
func (r *refreshRequest) GetAudience() []string       { return r.rec.Audience }
func (r *refreshRequest) GetAuthTime() time.Time      { return r.rec.AuthTime }
func (r *refreshRequest) GetClientID() string         { return r.rec.ClientID }
func (r *refreshRequest) GetScopes() []string         { return r.scopes }
func (r *refreshRequest) GetSubject() string          { return r.rec.UserID }
func (r *refreshRequest) SetCurrentScopes(s []string) { r.scopes = s }
func (r *refreshRequest) sessionID() string           { return r.rec.SessionID }

// sessionBound is a request that knows the browser session it came from,
// for the sid claim.
type sessionBound interface{ sessionID() string }
