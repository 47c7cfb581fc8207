package client

import (
	"context"
	"net/http"
	"net/url"

	"github.com/rollcall/rollcall/api"
)

// CreateSetupLink makes a one-time setup link with which the user registers
// a passkey (POST /api/v1/users/{id}/setup-links). The link's URL is in the
// result only: the server keeps just its hash. sendEmail asks the server to
// email it too, which fails with code email_unavailable when the server has
// no SMTP configured.
//
// A setup link is not idempotent (each call makes a new link), so the
// request is retried only when the server provably did not act.
func (s *UsersService) CreateSetupLink(ctx context.Context, userID string, sendEmail bool) (*api.SetupLink, error) {
	var doc api.Document[api.SetupLink]
	body := api.Document[api.SetupLinkWrite]{Data: api.SetupLinkWrite{
		Type: "setup-links", Attributes: api.SetupLinkWriteAttributes{SendEmail: sendEmail},
	}}
	if _, err := s.c.do(ctx, request{method: http.MethodPost, path: userPath(userID) + "/setup-links", body: body}, &doc); err != nil {
		return nil, err
	}
	return &doc.Data, nil
}

// SetupLinks lists the user's outstanding setup links, newest first (GET
// /api/v1/users/{id}/setup-links): at most one, since a new link revokes
// the older ones. The URLs are not in the result: the server cannot show a
// link again after creating it. Admins only.
func (s *UsersService) SetupLinks(ctx context.Context, userID string) ([]api.SetupLink, error) {
	var doc api.Document[[]api.SetupLink]
	if _, err := s.c.do(ctx, request{method: http.MethodGet, path: userPath(userID) + "/setup-links"}, &doc); err != nil {
		return nil, err
	}
	return doc.Data, nil
}

// RevokeSetupLink revokes one outstanding setup link of the user (DELETE
// /api/v1/users/{id}/setup-links/{link}); a link that is not outstanding
// is ErrNotFound. Admins only.
func (s *UsersService) RevokeSetupLink(ctx context.Context, userID, linkID string) error {
	_, err := s.c.do(ctx, request{method: http.MethodDelete, path: userPath(userID) + "/setup-links/" + url.PathEscape(linkID)}, nil)
	return err
}

// RevokeSetupLinks revokes every outstanding setup link of the user
// (DELETE /api/v1/users/{id}/setup-links). Revoking twice is harmless, so
// the request is retried like any idempotent one. Admins only.
func (s *UsersService) RevokeSetupLinks(ctx context.Context, userID string) error {
	_, err := s.c.do(ctx, request{method: http.MethodDelete, path: userPath(userID) + "/setup-links"}, nil)
	return err
}
