package server

import "net/http"

// GET /api/v1/account — the caller's own user, for any valid token.
func (s *Server) getAccount(w http.ResponseWriter, r *http.Request) {
	include, err := parseIncludeOnly(r, userIncludes)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeUser(w, r, http.StatusOK, caller(r).user, include)
}
