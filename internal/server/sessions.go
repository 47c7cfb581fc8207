package server

import (
	"errors"
	"net/http"
	"time"

	"github.com/rollcall/rollcall/api"
	"github.com/rollcall/rollcall/internal/store"
)

// GET /api/v1/users/{id}/sessions — the user's live browser sessions, the
// most recently seen first: what the account page and the admin console
// list. An admin reads anyone's, a non-admin its own. Only the session's
// own random id is shown, never its cookie secret or hash.
func (s *Server) listUserSessions(w http.ResponseWriter, r *http.Request) {
	p := caller(r)
	id, ok := pathID(r)
	if !ok || (!p.admin() && id != p.user.ID) {
		s.writeError(w, r, errNotFound("user "+r.PathValue("id")))
		return
	}
	if _, err := parseIncludeOnly(r, nil); err != nil {
		s.writeError(w, r, err)
		return
	}
	if _, err := s.store.GetUser(r.Context(), id); err != nil {
		s.writeError(w, r, notFoundAs(err, "user "+id))
		return
	}
	data := []api.Session{}
	if auth, ok := s.store.(store.AuthStore); ok {
		sessions, err := auth.ListSessions(r.Context(), id, time.Now())
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		for _, se := range sessions {
			data = append(data, api.Session{Type: "sessions", ID: se.ID, Attributes: api.SessionAttributes{
				CreatedAt: se.CreatedAt.UTC(), LastSeenAt: se.LastSeenAt.UTC(), ExpiresAt: se.ExpiresAt.UTC(),
				UserAgent: se.UserAgent, ClientIP: se.ClientIP,
			}})
		}
	}
	writeJSON(w, http.StatusOK, api.Document[[]api.Session]{Data: data, Links: &api.Links{Self: s.selfLink(r)}})
}

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
