package oidc

import (
	"context"
	"crypto/subtle"
	"errors"

	"github.com/zitadel/oidc/v3/pkg/op"
)

// The client credentials grant: a machine client (a confidential client
// given the client_credentials grant type) gets an access token for itself,
// with no person. The token's subject is the client id, and its family is
// machineFamily, so userinfo and introspection know there is no person.

// GrantClientCredentials is the grant type's name.
const GrantClientCredentials = "client_credentials"

// machineFamily marks the access tokens of the client credentials grant.
const machineFamily = "client-credentials"

var _ op.ClientCredentialsStorage = (*storage)(nil)

// machineRequest is a client credentials token request.
type machineRequest struct {
	clientID string
	scopes   []string
}

func (m *machineRequest) GetSubject() string    { return m.clientID }
func (m *machineRequest) GetAudience() []string { return []string{m.clientID} }
func (m *machineRequest) GetScopes() []string   { return m.scopes }

// ClientCredentials authenticates a machine client; the grant type itself
// is checked by the library.
func (s *storage) ClientCredentials(ctx context.Context, clientID, secret string) (op.Client, error) {
	cl, err := s.client(ctx, clientID)
	if err != nil {
		return nil, err
	}
	if cl.c.Public {
		return nil, errors.New("public clients have no secret")
	}
	h := hash(secret)
	ok := 0
	for _, sec := range cl.c.Secrets {
		ok |= subtle.ConstantTimeCompare(h, sec.Hash)
	}
	if ok != 1 {
		return nil, errors.New("wrong client secret")
	}
	return cl, nil
}

// ClientCredentialsTokenRequest keeps the scopes a machine token may
// carry: none of OpenID Connect's, which describe a person.
func (s *storage) ClientCredentialsTokenRequest(_ context.Context, clientID string, scopes []string) (op.TokenRequest, error) {
	var keep []string
	for _, sc := range scopes {
		switch sc {
		case "openid", "profile", "email", "phone", "address", "offline_access", ScopeGroups:
		default:
			keep = append(keep, sc)
		}
	}
	return &machineRequest{clientID: clientID, scopes: keep}, nil
}
