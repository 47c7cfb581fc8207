package server

import (
	"context"
	"net/http"

	"github.com/rollcall/rollcall/api"
	"github.com/rollcall/rollcall/internal/store"
)

// membershipOp maps the relationship method to the store operation:
// PATCH replaces the whole set, POST adds, DELETE removes.
func membershipOp(method string) store.MembershipOp {
	switch method {
	case http.MethodPost:
		return store.MembershipAdd
	case http.MethodDelete:
		return store.MembershipRemove
	default:
		return store.MembershipReplace
	}
}

// changeUserGroupsIn changes user id's groups in st; ifVersion > 0 is the
// user's version the change is meant for (If-Match).
func changeUserGroupsIn(ctx context.Context, st store.Store, m store.Meta, id string, ifVersion int64, op store.MembershipOp, groupIDs []string) (store.User, error) {
	u, err := st.ChangeUserGroups(ctx, id, ifVersion, op, groupIDs, m)
	return u, mapReference(err, "/data", groupIDs)
}

// changeGroupMembersIn changes group id's members in st; ifVersion > 0 is
// the group's version the change is meant for (If-Match).
func changeGroupMembersIn(ctx context.Context, st store.Store, m store.Meta, id string, ifVersion int64, op store.MembershipOp, userIDs []string) (store.Group, error) {
	g, err := st.ChangeGroupMembers(ctx, id, ifVersion, op, userIDs, m)
	return g, mapReference(err, "/data", userIDs)
}

func (s *Server) writeLinkage(w http.ResponseWriter, r *http.Request, typ string, ids []string, next string, version int64) {
	if ids == nil {
		ids = []string{}
	}
	if version > 0 {
		w.Header().Set("ETag", etag(version))
	}
	writeJSON(w, http.StatusOK, api.RelationshipDocument{
		Data:  api.Identifiers(typ, ids),
		Links: &api.Links{Self: s.selfLink(r), Next: s.nextLink(r, next)},
	})
}

// GET /api/v1/users/{id}/relationships/groups — the user's groups; a
// non-admin may read its own.
func (s *Server) getUserGroups(w http.ResponseWriter, r *http.Request) {
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
	u, err := s.store.GetUser(r.Context(), id)
	if err != nil {
		s.writeError(w, r, notFoundAs(err, "user "+id))
		return
	}
	s.writeLinkage(w, r, api.TypeGroups, u.GroupIDs, "", u.Version)
}

// PATCH, POST, DELETE /api/v1/users/{id}/relationships/groups — admins
// only. The relationship has no ETag of its own: it is the user's, which
// every change of the user's groups bumps, so If-Match names the user
// version the client read (from GET of the user or of this relationship).
// PATCH without If-Match replaces the set whatever it is now.
func (s *Server) changeUserGroups(w http.ResponseWriter, r *http.Request) {
	p := caller(r)
	id, ok := pathID(r)
	if !ok || (!p.admin() && id != p.user.ID) {
		s.writeError(w, r, errNotFound("user "+r.PathValue("id")))
		return
	}
	if !p.admin() {
		s.writeError(w, r, errForbidden("only admins change group memberships"))
		return
	}
	ifVersion, err := ifMatch(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ids, err := decodeLinkage(r, api.TypeGroups)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	u, err := changeUserGroupsIn(r.Context(), s.store, p.meta(r), id, ifVersion, membershipOp(r.Method), ids)
	if err != nil {
		s.writeError(w, r, notFoundAs(err, "user "+id))
		return
	}
	s.writeLinkage(w, r, api.TypeGroups, u.GroupIDs, "", u.Version)
}

// GET /api/v1/groups/{id}/relationships/members — paged with page[size]
// and page[after], in username order. The ETag is the group's, read before
// the members, so that it is never newer than the set a client is shown: a
// change in between makes the client's If-Match fail rather than pass.
func (s *Server) getGroupMembers(w http.ResponseWriter, r *http.Request) {
	id, ok := s.groupID(w, r)
	if !ok {
		return
	}
	q, err := parseListQuery(r, nil, nil)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	g, err := s.store.GetGroup(r.Context(), id)
	if err != nil {
		s.writeError(w, r, notFoundAs(err, "group "+id))
		return
	}
	users, next, err := s.store.ListUsers(r.Context(), store.UserFilter{GroupID: id}, q.page)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ids := make([]string, len(users))
	for i, u := range users {
		ids[i] = u.ID
	}
	s.writeLinkage(w, r, api.TypeUsers, ids, next, g.Version)
}

// PATCH, POST, DELETE /api/v1/groups/{id}/relationships/members. If-Match
// names the group's version (its ETag, which every membership change
// bumps, from either side), as for the user side.
func (s *Server) changeGroupMembers(w http.ResponseWriter, r *http.Request) {
	id, ok := s.groupID(w, r)
	if !ok {
		return
	}
	ifVersion, err := ifMatch(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ids, err := decodeLinkage(r, api.TypeUsers)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	g, err := changeGroupMembersIn(r.Context(), s.store, caller(r).meta(r), id, ifVersion, membershipOp(r.Method), ids)
	if err != nil {
		s.writeError(w, r, notFoundAs(err, "group "+id))
		return
	}
	if g.MemberIDs == nil {
		if g, err = s.store.GetGroup(r.Context(), id); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	s.writeLinkage(w, r, api.TypeUsers, g.MemberIDs, "", g.Version)
}
