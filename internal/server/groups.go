package server

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/rollcall/rollcall/api"
	"github.com/rollcall/rollcall/internal/store"
)

// membersPointer is where a group write's member identifiers are.
const membersPointer = "/data/relationships/members/data"

var groupFilters = []string{"name", "q", "member"}

// groupResource converts a stored group to its JSON:API resource. The
// group must have its MemberIDs loaded (GetGroup).
func (s *Server) groupResource(g store.Group) api.Group {
	members := g.MemberIDs
	if members == nil {
		members = []string{}
	}
	attrs := g.Attributes
	if attrs == nil {
		attrs = map[string]string{}
	}
	claims := g.CustomClaims
	if claims == nil {
		claims = map[string]json.RawMessage{}
	}
	return api.Group{
		Type: api.TypeGroups,
		ID:   g.ID,
		Attributes: api.GroupAttributes{
			Name:         g.Name,
			FriendlyName: optional(g.FriendlyName),
			Description:  optional(g.Description),
			Attributes:   attrs,
			CustomClaims: claims,
			MemberCount:  g.MemberCount,
			CreatedAt:    g.CreatedAt.UTC(),
			UpdatedAt:    g.UpdatedAt.UTC(),
		},
		Relationships: api.GroupRelationships{Members: api.ToMany{
			Data: api.Identifiers(api.TypeUsers, members),
			Links: &api.RelationshipLinks{
				Self:    s.link("/api/v1/groups/" + g.ID + "/relationships/members"),
				Related: s.link("/api/v1/users?filter%5Bgroup%5D=" + g.ID),
			},
		}},
		Links: &api.Links{Self: s.link("/api/v1/groups/" + g.ID)},
	}
}

// loadGroups reads groups by id with their members, in the order given,
// skipping ids that no longer exist: two queries however many groups.
func loadGroups(ctx context.Context, st store.Store, ids []string) ([]store.Group, error) {
	seen := make(map[string]bool, len(ids))
	uniq := make([]string, 0, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			uniq = append(uniq, id)
		}
	}
	if len(uniq) == 0 {
		return nil, nil
	}
	groups, err := st.GetGroups(ctx, uniq)
	if err != nil {
		return nil, err
	}
	return withMembers(ctx, st, groups)
}

// withMembers fills the MemberIDs of groups read without them (lists),
// with one query.
func withMembers(ctx context.Context, st store.Store, groups []store.Group) ([]store.Group, error) {
	if len(groups) == 0 {
		return groups, nil
	}
	ids := make([]string, len(groups))
	for i, g := range groups {
		ids[i] = g.ID
	}
	members, err := st.GroupMemberIDs(ctx, ids)
	if err != nil {
		return nil, err
	}
	for i := range groups {
		groups[i].MemberIDs = members[groups[i].ID]
	}
	return groups, nil
}

// includedGroups renders the groups with these ids for a compound
// document's included member.
func (s *Server) includedGroups(ctx context.Context, ids []string) ([]json.RawMessage, error) {
	groups, err := loadGroups(ctx, s.store, ids)
	if err != nil {
		return nil, err
	}
	out := make([]json.RawMessage, 0, len(groups))
	for _, g := range groups {
		b, err := json.Marshal(s.groupResource(g))
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

// groupFromWrite checks a POST /groups document and returns the group to
// create with its members.
func groupFromWrite(w *api.GroupWrite) (store.Group, error) {
	if err := checkType(w.Type, api.TypeGroups); err != nil {
		return store.Group{}, err
	}
	var errs api.Errors
	g := store.Group{}
	if w.ID != "" {
		id, e := api.ValidateID(w.ID)
		if e != nil {
			errs = append(errs, e)
		}
		g.ID = id
	} else {
		g.ID = uuid.NewString()
	}
	errs = append(errs, w.Attributes.Normalize(true)...)
	applyGroupAttributes(&g, &w.Attributes)
	g.MemberIDs = []string{}
	if w.Relationships != nil && w.Relationships.Members != nil {
		ids, err := linkageIDs(w.Relationships.Members.Data, api.TypeUsers, membersPointer)
		if err != nil {
			errs = append(errs, err.(api.Errors)...)
		}
		if ids != nil {
			g.MemberIDs = ids
		}
	}
	return g, errs.Err()
}

// groupMutation checks a PATCH /groups/{id} document and returns the change.
// A members relationship that is sent replaces the members.
func groupMutation(w *api.GroupWrite, id string) (mutate func(*store.Group) error, members []string, replace bool, err error) {
	if err := checkType(w.Type, api.TypeGroups); err != nil {
		return nil, nil, false, err
	}
	if w.ID != "" && !strings.EqualFold(w.ID, id) {
		return nil, nil, false, errBadDocument("/data/id", "data.id \""+w.ID+"\" does not match the id in the URL; leave it out or send the same id")
	}
	errs := w.Attributes.Normalize(false)
	replace = w.Relationships != nil && w.Relationships.Members != nil
	if replace {
		ids, err := linkageIDs(w.Relationships.Members.Data, api.TypeUsers, membersPointer)
		if err != nil {
			errs = append(errs, err.(api.Errors)...)
		}
		members = ids
		if members == nil {
			members = []string{}
		}
	}
	if len(errs) > 0 {
		return nil, nil, false, errs
	}
	attrs := w.Attributes
	return func(g *store.Group) error {
		applyGroupAttributes(g, &attrs)
		return nil
	}, members, replace, nil
}

func applyGroupAttributes(g *store.Group, a *api.GroupWriteAttributes) {
	a.Name.ApplyTo(&g.Name)
	a.FriendlyName.ApplyTo(&g.FriendlyName)
	a.Description.ApplyTo(&g.Description)
	a.Attributes.ApplyTo(&g.Attributes)
	if g.Attributes == nil {
		g.Attributes = map[string]string{}
	}
	if a.CustomClaims.Set {
		g.CustomClaims = api.ParseCustomClaims(a.CustomClaims.Value)
	}
}

// createGroupIn validates w and creates the group, with its members, in st.
func createGroupIn(ctx context.Context, st store.Store, m store.Meta, w *api.GroupWrite) (store.Group, error) {
	g, err := groupFromWrite(w)
	if err != nil {
		return store.Group{}, err
	}
	var out store.Group
	err = st.Atomic(ctx, func(tx store.Store) error {
		members := g.MemberIDs
		g.MemberIDs = nil
		created, err := tx.CreateGroup(ctx, g, m)
		if err != nil {
			return err
		}
		if len(members) > 0 {
			created, err = tx.ChangeGroupMembers(ctx, created.ID, 0, store.MembershipReplace, members, m)
			if err != nil {
				return mapReference(err, membersPointer, members)
			}
		}
		out = created
		return nil
	})
	if err != nil {
		return store.Group{}, err
	}
	return st.GetGroup(ctx, out.ID)
}

// updateGroupIn validates w and applies it to group id in st.
func updateGroupIn(ctx context.Context, st store.Store, m store.Meta, id string, ifVersion int64, w *api.GroupWrite) (store.Group, error) {
	mutate, members, replace, err := groupMutation(w, id)
	if err != nil {
		return store.Group{}, err
	}
	err = st.Atomic(ctx, func(tx store.Store) error {
		if _, err := tx.UpdateGroup(ctx, id, ifVersion, mutate, m); err != nil {
			return err
		}
		if replace {
			if _, err := tx.ChangeGroupMembers(ctx, id, 0, store.MembershipReplace, members, m); err != nil {
				return mapReference(err, membersPointer, members)
			}
		}
		return nil
	})
	if err != nil {
		return store.Group{}, err
	}
	return st.GetGroup(ctx, id)
}

func (s *Server) writeGroup(w http.ResponseWriter, status int, g store.Group) {
	w.Header().Set("ETag", etag(g.Version))
	if status == http.StatusCreated {
		w.Header().Set("Location", s.link("/api/v1/groups/"+g.ID))
	}
	writeJSON(w, status, api.Document[api.Group]{Data: s.groupResource(g), Links: &api.Links{Self: s.link("/api/v1/groups/" + g.ID)}})
}

// GET /api/v1/groups — admins only.
func (s *Server) listGroups(w http.ResponseWriter, r *http.Request) {
	p := caller(r)
	if !p.admin() {
		s.writeError(w, r, errForbidden("listing groups needs an admin token"))
		return
	}
	q, err := parseListQuery(r, groupFilters, nil)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	f := store.GroupFilter{Name: api.NormalizeName(q.filter["name"]), Query: q.filter["q"]}
	if m := q.filter["member"]; m != "" {
		id, err := s.resolveUserFilter(r.Context(), "filter[member]", m)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		f.UserID = id
	}
	list, next, err := s.store.ListGroups(r.Context(), f, q.page)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if len(list) == 0 && f.UserID != "" && q.page.After == "" {
		if err := s.checkUserExists(r.Context(), "filter[member]", q.filter["member"], f.UserID); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	groups, err := withMembers(r.Context(), s.store, list)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	data := make([]api.Group, len(groups))
	for i, g := range groups {
		data[i] = s.groupResource(g)
	}
	writeJSON(w, http.StatusOK, api.Document[[]api.Group]{Data: data, Links: &api.Links{Self: s.selfLink(r), Next: s.nextLink(r, next)}})
}

// POST /api/v1/groups
func (s *Server) createGroup(w http.ResponseWriter, r *http.Request) {
	p := caller(r)
	if !p.admin() {
		s.writeError(w, r, errForbidden("creating groups needs an admin token"))
		return
	}
	data, err := decodeData[api.GroupWrite](r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	g, err := createGroupIn(r.Context(), s.store, p.meta(r), data)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeGroup(w, http.StatusCreated, g)
}

// groupForCaller resolves {id} for a group route: non-admins see no groups.
func (s *Server) groupID(w http.ResponseWriter, r *http.Request) (string, bool) {
	id, ok := pathID(r)
	if !ok || !caller(r).admin() {
		s.writeError(w, r, errNotFound("group "+r.PathValue("id")))
		return "", false
	}
	return id, true
}

// GET /api/v1/groups/{id}
func (s *Server) getGroup(w http.ResponseWriter, r *http.Request) {
	id, ok := s.groupID(w, r)
	if !ok {
		return
	}
	if _, err := parseIncludeOnly(r, nil); err != nil {
		s.writeError(w, r, err)
		return
	}
	g, err := s.store.GetGroup(r.Context(), id)
	if err != nil {
		s.writeError(w, r, notFoundAs(err, "group "+id))
		return
	}
	if notModified(w, r, g.Version) {
		return
	}
	s.writeGroup(w, http.StatusOK, g)
}

// PATCH /api/v1/groups/{id}
func (s *Server) updateGroup(w http.ResponseWriter, r *http.Request) {
	id, ok := s.groupID(w, r)
	if !ok {
		return
	}
	ifVersion, err := ifMatch(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	data, err := decodeData[api.GroupWrite](r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	g, err := updateGroupIn(r.Context(), s.store, caller(r).meta(r), id, ifVersion, data)
	if err != nil {
		s.writeError(w, r, notFoundAs(err, "group "+id))
		return
	}
	s.writeGroup(w, http.StatusOK, g)
}

// DELETE /api/v1/groups/{id}
func (s *Server) deleteGroup(w http.ResponseWriter, r *http.Request) {
	id, ok := s.groupID(w, r)
	if !ok {
		return
	}
	ifVersion, err := ifMatch(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.store.DeleteGroup(r.Context(), id, ifVersion, caller(r).meta(r)); err != nil {
		s.writeError(w, r, notFoundAs(err, "group "+id))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// utcPtr returns t in UTC, keeping nil.
func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
