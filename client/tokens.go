package client

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/rollcall/rollcall/api"
)

// TokensService is the /api/v1/api-tokens endpoint family.
type TokensService struct{ c *Client }

// ListTokensOptions filters a token list.
type ListTokensOptions struct {
	UserID string // tokens of this user, by id or username (a non-admin only itself); ErrNotFound when no such user; empty lists what the caller may see
}

// Create creates an API token named name. expiresAt, when not nil, makes
// it expire; userID, when not empty, creates it for that user (an admin
// creating a token for a service account). The secret is in
// Attributes.Token of the result and is shown only this once. scopes, when
// given (api.ScopeAdmin, api.ScopeSCIM), limit what the token reaches; none
// means the server's default, admin.
func (s *TokensService) Create(ctx context.Context, name string, expiresAt *time.Time, userID string, scopes ...string) (*api.APIToken, error) {
	w := api.APITokenWrite{Type: api.TypeAPITokens, Attributes: api.APITokenWriteAttributes{Name: name, ExpiresAt: expiresAt, Scopes: scopes}}
	if userID != "" {
		w.Relationships = &api.APITokenWriteRelationships{User: &api.ToOne{Data: &api.ResourceIdentifier{Type: api.TypeUsers, ID: userID}}}
	}
	var doc api.Document[api.APIToken]
	if _, err := s.c.do(ctx, request{method: http.MethodPost, path: "/api/v1/api-tokens", body: api.Document[api.APITokenWrite]{Data: w}}, &doc); err != nil {
		return nil, err
	}
	return &doc.Data, nil
}

// List returns the tokens matching o (never their secrets), all pages.
func (s *TokensService) List(ctx context.Context, o ListTokensOptions) ([]api.APIToken, error) {
	q := url.Values{}
	if o.UserID != "" {
		q.Set("filter[user]", o.UserID)
	}
	setPageSize(q, 0)
	return collect(pages[api.APIToken](ctx, s.c, "/api/v1/api-tokens", q))
}

// Get returns one token by id (never its secret).
func (s *TokensService) Get(ctx context.Context, id string) (*api.APIToken, error) {
	doc, _, err := getOne[api.APIToken](ctx, s.c, "/api/v1/api-tokens/"+url.PathEscape(id), nil)
	if err != nil {
		return nil, err
	}
	return &doc.Data, nil
}

// Revoke deletes the token; requests using it fail with 401 from then on.
func (s *TokensService) Revoke(ctx context.Context, id string) error {
	_, err := s.c.do(ctx, request{method: http.MethodDelete, path: "/api/v1/api-tokens/" + url.PathEscape(id)}, nil)
	return err
}
