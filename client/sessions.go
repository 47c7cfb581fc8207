package client

import (
	"context"
	"net/http"

	"github.com/rollcall/rollcall/api"
)

// Sessions lists the user's live browser sessions, the most recently seen
// first (GET /api/v1/users/{id}/sessions): where the person is signed in,
// before ending it with EndSessions. An admin reads anyone's, a non-admin
// its own.
func (s *UsersService) Sessions(ctx context.Context, userID string) ([]api.Session, error) {
	var doc api.Document[[]api.Session]
	if _, err := s.c.do(ctx, request{method: http.MethodGet, path: userPath(userID) + "/sessions"}, &doc); err != nil {
		return nil, err
	}
	return doc.Data, nil
}

// EndSessions signs the user out of every browser at once (DELETE
// /api/v1/users/{id}/sessions): for offboarding, or a lost laptop. It is
// for admins; the user's API tokens are not sessions and stay valid. Ending
// the sessions twice is harmless, so the request is retried like any
// idempotent one.
func (s *UsersService) EndSessions(ctx context.Context, userID string) error {
	_, err := s.c.do(ctx, request{method: http.MethodDelete, path: userPath(userID) + "/sessions"}, nil)
	return err
}
