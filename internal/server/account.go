package server

import (
	"errors"
	"net/http"

	"github.com/rollcall/rollcall/internal/store"
)

// GET /api/v1/account — the caller's own user, for any valid token.
func (s *Server) getAccount(w http.ResponseWriter, r *http.Request) {
	include, err := parseIncludeOnly(r, userIncludes)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	// Authentication read only what authorization needs; the whole user,
	// with its groups, is read here.
	u, err := s.store.GetUser(r.Context(), caller(r).user.ID)
	if errors.Is(err, store.ErrNotFound) {
		err = errUnauthorized("the API token's user no longer exists")
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeUser(w, r, http.StatusOK, u, include)
}
