package client

import (
	"context"
	"net/http"
)

// EndSessions signs the user out of every browser at once (DELETE
// /api/v1/users/{id}/sessions): for offboarding, or a lost laptop. It is
// for admins; the user's API tokens are not sessions and stay valid. Ending
// the sessions twice is harmless, so the request is retried like any
// idempotent one.
func (s *UsersService) EndSessions(ctx context.Context, userID string) error {
	_, err := s.c.do(ctx, request{method: http.MethodDelete, path: userPath(userID) + "/sessions"}, nil)
	return err
}
