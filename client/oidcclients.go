package client

import (
	"context"
	"net/http"
	"net/url"

	"github.com/rollcall/rollcall/api"
)

// OIDCClientsService is the /api/v1/oidc-clients endpoint family: the
// applications that sign people in with Rollcall (admins only).
type OIDCClientsService struct{ c *Client }

func oidcClientPath(id string) string { return "/api/v1/oidc-clients/" + url.PathEscape(id) }

// Create registers an application. For a confidential client the secret
// is in Attributes.ClientSecret of the result, shown only this once.
func (s *OIDCClientsService) Create(ctx context.Context, attrs api.OIDCClientWriteAttributes) (*api.OIDCClient, error) {
	var doc api.Document[api.OIDCClient]
	body := api.Document[api.OIDCClientWrite]{Data: api.OIDCClientWrite{Type: api.TypeOIDCClients, Attributes: attrs}}
	if _, err := s.c.do(ctx, request{method: http.MethodPost, path: "/api/v1/oidc-clients", body: body}, &doc); err != nil {
		return nil, err
	}
	return &doc.Data, nil
}

// List returns every application, by name.
func (s *OIDCClientsService) List(ctx context.Context) ([]api.OIDCClient, error) {
	var doc api.Document[[]api.OIDCClient]
	if _, err := s.c.do(ctx, request{method: http.MethodGet, path: "/api/v1/oidc-clients"}, &doc); err != nil {
		return nil, err
	}
	return doc.Data, nil
}

// Get returns one application; a missing one is an error matching
// ErrNotFound.
func (s *OIDCClientsService) Get(ctx context.Context, id string) (*api.OIDCClient, error) {
	doc, _, err := getOne[api.OIDCClient](ctx, s.c, oidcClientPath(id), nil)
	if err != nil {
		return nil, err
	}
	return &doc.Data, nil
}

// Update changes the attributes that are set in attrs. ifMatch, when not
// empty, is the ETag the change applies to.
func (s *OIDCClientsService) Update(ctx context.Context, id string, attrs api.OIDCClientWriteAttributes, ifMatch string) (*api.OIDCClient, error) {
	var doc api.Document[api.OIDCClient]
	body := api.Document[api.OIDCClientWrite]{Data: api.OIDCClientWrite{Type: api.TypeOIDCClients, ID: id, Attributes: attrs}}
	if _, err := s.c.do(ctx, request{method: http.MethodPatch, path: oidcClientPath(id), body: body, ifMatch: ifMatch}, &doc); err != nil {
		return nil, err
	}
	return &doc.Data, nil
}

// Delete removes the application; its tokens stop working at once.
func (s *OIDCClientsService) Delete(ctx context.Context, id string) error {
	_, err := s.c.do(ctx, request{method: http.MethodDelete, path: oidcClientPath(id)}, nil)
	return err
}

// RotateSecret adds a new secret beside the newest existing one and
// returns the client with the new secret in Attributes.ClientSecret (shown
// this once). Once the application uses it, delete the old one with
// DeleteSecret.
func (s *OIDCClientsService) RotateSecret(ctx context.Context, id string) (*api.OIDCClient, error) {
	var doc api.Document[api.OIDCClient]
	if _, err := s.c.do(ctx, request{method: http.MethodPost, path: oidcClientPath(id) + "/secrets", body: struct{}{}}, &doc); err != nil {
		return nil, err
	}
	return &doc.Data, nil
}

// DeleteSecret removes one of the application's secrets (by the id listed
// in Attributes.Secrets).
func (s *OIDCClientsService) DeleteSecret(ctx context.Context, id, secretID string) error {
	_, err := s.c.do(ctx, request{method: http.MethodDelete, path: oidcClientPath(id) + "/secrets/" + url.PathEscape(secretID)}, nil)
	return err
}
