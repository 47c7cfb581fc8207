package client

import (
	"context"
	"net/http"

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
