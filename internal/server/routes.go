package server

import "net/http"

// routes registers every route of the API. The operational endpoints and
// the OpenAPI description are public; everything else under /api/v1 needs
// a token (Server.api).
func (s *Server) routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.Handle("GET /metrics", s.metrics.handler())
	mux.HandleFunc("GET /api/v1/openapi.json", s.openAPI)

	mux.Handle("GET /api/v1/account", s.api(s.getAccount))

	mux.Handle("GET /api/v1/users", s.api(s.listUsers))
	mux.Handle("POST /api/v1/users", s.api(s.createUser))
	mux.Handle("GET /api/v1/users/{id}", s.api(s.getUser))
	mux.Handle("PATCH /api/v1/users/{id}", s.api(s.updateUser))
	mux.Handle("DELETE /api/v1/users/{id}", s.api(s.deleteUser))
	mux.Handle("GET /api/v1/users/{id}/sessions", s.api(s.listUserSessions))
	mux.Handle("DELETE /api/v1/users/{id}/sessions", s.api(s.deleteUserSessions))
	mux.Handle("GET /api/v1/users/{id}/relationships/groups", s.api(s.getUserGroups))
	mux.Handle("PATCH /api/v1/users/{id}/relationships/groups", s.api(s.changeUserGroups))
	mux.Handle("POST /api/v1/users/{id}/relationships/groups", s.api(s.changeUserGroups))
	mux.Handle("DELETE /api/v1/users/{id}/relationships/groups", s.api(s.changeUserGroups))

	mux.Handle("GET /api/v1/groups", s.api(s.listGroups))
	mux.Handle("POST /api/v1/groups", s.api(s.createGroup))
	mux.Handle("GET /api/v1/groups/{id}", s.api(s.getGroup))
	mux.Handle("PATCH /api/v1/groups/{id}", s.api(s.updateGroup))
	mux.Handle("DELETE /api/v1/groups/{id}", s.api(s.deleteGroup))
	mux.Handle("GET /api/v1/groups/{id}/relationships/members", s.api(s.getGroupMembers))
	mux.Handle("PATCH /api/v1/groups/{id}/relationships/members", s.api(s.changeGroupMembers))
	mux.Handle("POST /api/v1/groups/{id}/relationships/members", s.api(s.changeGroupMembers))
	mux.Handle("DELETE /api/v1/groups/{id}/relationships/members", s.api(s.changeGroupMembers))

	mux.Handle("GET /api/v1/api-tokens", s.api(s.listTokens))
	mux.Handle("POST /api/v1/api-tokens", s.api(s.createToken))
	mux.Handle("GET /api/v1/api-tokens/{id}", s.api(s.getToken))
	mux.Handle("DELETE /api/v1/api-tokens/{id}", s.api(s.deleteToken))

	mux.Handle("GET /api/v1/audit-events", s.api(s.listAuditEvents))

	s.oidcClientRoutes(mux)

	// The browser pages and /api/v1/users/{id}/setup-links (POST, GET,
	// DELETE, and DELETE …/{link}) are added by mountWeb (setuplinks.go),
	// called from New.

	mux.Handle("POST /api/v1/operations", s.atomicAPI(s.postOperations))

	s.mountSCIM(mux) // /scim/v2/: SCIM 2.0 for Okta, Entra ID and HR systems (scim.go)
}
