package server

import (
	"errors"
	"net/http"

	"github.com/rollcall/rollcall/internal/store"
)

// DELETE /api/v1/users/{id}/sessions — admins only. Ends every browser
// session of the user, for offboarding scripts and a lost laptop, without
// the admin console. The store audits session.revoke with the number
// ended (also 0: the request was made). API tokens are not sessions and
// stay valid; revoke them at /api/v1/api-tokens.
func (s *Server) deleteUserSessions(w http.ResponseWriter, r *http.Request) {
	p := caller(r)
	id, ok := pathID(r)
	if !ok || (!p.admin() && id != p.user.ID) {
		s.writeError(w, r, errNotFound("user "+r.PathValue("id")))
		return
	}
	if !p.admin() {
		s.writeError(w, r, errForbidden("only admins end a user's sessions; sign out of your other devices on the account page"))
		return
	}
	auth, ok := s.store.(store.AuthStore)
	if !ok {
		// Without sign-in state there are no browser sessions to end.
		if _, err := s.store.GetUser(r.Context(), id); err != nil {
			s.writeError(w, r, notFoundAs(err, "user "+id))
			return
		}
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if _, err := auth.DeleteUserSessions(r.Context(), id, nil, p.meta(r)); err != nil {
		if errors.Is(err, store.ErrInvalidReference) {
			err = errNotFound("user " + id)
		}
		s.writeError(w, r, notFoundAs(err, "user "+id))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
