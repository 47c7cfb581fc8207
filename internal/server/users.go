package server

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/google/uuid"
	"github.com/rollcall/rollcall/api"
	"github.com/rollcall/rollcall/internal/store"
)

// groupsPointer is where a user write's group identifiers are.
const groupsPointer = "/data/relationships/groups/data"

// userFilters and userIncludes are what GET /users accepts.
var (
	userFilters  = []string{"username", "email", "external-id", "group", "q"}
	userIncludes = []string{"groups"}
)

// userResource converts a stored user to its JSON:API resource.
func (s *Server) userResource(u store.User) api.User {
	groups := u.GroupIDs
	if groups == nil {
		groups = []string{}
	}
	return api.User{
		Type:       api.TypeUsers,
		ID:         u.ID,
		Attributes: userAttributes(u),
		Relationships: api.UserRelationships{Groups: api.ToMany{
			Data: api.Identifiers(api.TypeGroups, groups),
			Links: &api.RelationshipLinks{
				Self:    s.link("/api/v1/users/" + u.ID + "/relationships/groups"),
				Related: s.link("/api/v1/groups?filter%5Bmember%5D=" + u.ID),
			},
		}},
		Links: &api.Links{Self: s.link("/api/v1/users/" + u.ID)},
	}
}

// userAttributes converts the stored attributes: unset optional strings
// become null, display-name is computed when unset, status is derived.
func userAttributes(u store.User) api.UserAttributes {
	attrs := u.Attributes
	if attrs == nil {
		attrs = map[string]string{}
	}
	return api.UserAttributes{
		Username:       u.Username,
		Email:          u.Email,
		EmailVerified:  u.EmailVerified,
		FirstName:      optional(u.FirstName),
		LastName:       optional(u.LastName),
		DisplayName:    displayName(u),
		Locale:         optional(u.Locale),
		IsAdmin:        u.IsAdmin,
		Disabled:       u.Disabled,
		ServiceAccount: u.ServiceAccount,
		Phone:          optional(u.Phone),
		Mobile:         optional(u.Mobile),
		Title:          optional(u.Title),
		Department:     optional(u.Department),
		AvatarURL:      optional(u.AvatarURL),
		ExternalID:     optional(u.ExternalID),
		ExternalSource: optional(u.ExternalSource),
		Attributes:     attrs,
		Status:         userStatus(u),
		PasskeyCount:   u.PasskeyCount,
		LastSignInAt:   utcPtr(u.LastSignInAt),
		CreatedAt:      u.CreatedAt.UTC(),
		UpdatedAt:      u.UpdatedAt.UTC(),
	}
}

// displayName is the display name as set, else "first last", else the
// username, so that every user has something to show.
func displayName(u store.User) string {
	if u.DisplayName != "" {
		return u.DisplayName
	}
	if n := strings.TrimSpace(u.FirstName + " " + u.LastName); n != "" {
		return n
	}
	return u.Username
}

// userStatus: disabled wins; service accounts never register a passkey, so
// they are active; people are pending-setup until their first passkey.
func userStatus(u store.User) string {
	switch {
	case u.Disabled:
		return api.StatusDisabled
	case u.ServiceAccount || u.PasskeyCount > 0:
		return api.StatusActive
	default:
		return api.StatusPendingSetup
	}
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// checkType refuses primary data of the wrong resource type.
func checkType(got, want string) error {
	if got == want {
		return nil
	}
	if got == "" {
		return errBadDocument("/data/type", "data.type is required and must be \""+want+"\"")
	}
	return errBadDocument("/data/type", "data.type is \""+got+"\" but this endpoint takes \""+want+"\"")
}

// userFromWrite checks a POST /users document and returns the user to
// create: type, proposed id, every attribute rule, and the groups.
func userFromWrite(w *api.UserWrite) (store.User, error) {
	if err := checkType(w.Type, api.TypeUsers); err != nil {
		return store.User{}, err
	}
	var errs api.Errors
	u := store.User{}
	if w.ID != "" {
		id, e := api.ValidateID(w.ID)
		if e != nil {
			errs = append(errs, e)
		}
		u.ID = id
	} else {
		// Time-ordered (UUIDv7): new users' ids then land at the end of the
		// id, membership and audit target indexes instead of at random
		// pages, which keeps a bulk import's writes to few pages.
		u.ID = uuid.Must(uuid.NewV7()).String()
	}
	errs = append(errs, w.Attributes.Normalize(true)...)
	applyUserAttributes(&u, &w.Attributes)
	if w.Relationships != nil && w.Relationships.Groups != nil {
		ids, err := linkageIDs(w.Relationships.Groups.Data, api.TypeGroups, groupsPointer)
		if err != nil {
			errs = append(errs, err.(api.Errors)...)
		}
		u.GroupIDs = ids
	}
	if u.GroupIDs == nil {
		u.GroupIDs = []string{}
	}
	return u, errs.Err()
}

// userMutation checks a PATCH /users/{id} document and returns the change
// to apply inside the store's transaction.
func userMutation(w *api.UserWrite, id string) (func(*store.User) error, error) {
	if err := checkType(w.Type, api.TypeUsers); err != nil {
		return nil, err
	}
	if w.ID != "" && !strings.EqualFold(w.ID, id) {
		return nil, errBadDocument("/data/id", "data.id \""+w.ID+"\" does not match the id in the URL; leave it out or send the same id")
	}
	errs := w.Attributes.Normalize(false)
	var groups []string
	replaceGroups := w.Relationships != nil && w.Relationships.Groups != nil
	if replaceGroups {
		ids, err := linkageIDs(w.Relationships.Groups.Data, api.TypeGroups, groupsPointer)
		if err != nil {
			errs = append(errs, err.(api.Errors)...)
		}
		groups = ids
	}
	if len(errs) > 0 {
		return nil, errs
	}
	attrs := w.Attributes
	return func(u *store.User) error {
		applyUserAttributes(u, &attrs)
		if replaceGroups {
			u.GroupIDs = groups
		}
		return nil
	}, nil
}

// applyUserAttributes copies the attributes that were sent onto u; null
// and "" clear optional ones. The attributes must be normalised already.
func applyUserAttributes(u *store.User, a *api.UserWriteAttributes) {
	setStr := func(dst *string, o api.Opt[string]) {
		if o.Set {
			*dst = o.Value
		}
	}
	setBool := func(dst *bool, o api.Opt[bool]) {
		if o.Set {
			*dst = o.Value
		}
	}
	setStr(&u.Username, a.Username)
	setStr(&u.Email, a.Email)
	setBool(&u.EmailVerified, a.EmailVerified)
	setStr(&u.FirstName, a.FirstName)
	setStr(&u.LastName, a.LastName)
	setStr(&u.DisplayName, a.DisplayName)
	setStr(&u.Locale, a.Locale)
	setBool(&u.IsAdmin, a.IsAdmin)
	setBool(&u.Disabled, a.Disabled)
	setBool(&u.ServiceAccount, a.ServiceAccount)
	setStr(&u.Phone, a.Phone)
	setStr(&u.Mobile, a.Mobile)
	setStr(&u.Title, a.Title)
	setStr(&u.Department, a.Department)
	setStr(&u.AvatarURL, a.AvatarURL)
	setStr(&u.ExternalID, a.ExternalID)
	setStr(&u.ExternalSource, a.ExternalSource)
	if a.Attributes.Set {
		u.Attributes = a.Attributes.Value
		if u.Attributes == nil {
			u.Attributes = map[string]string{}
		}
	}
	if u.Attributes == nil {
		u.Attributes = map[string]string{}
	}
}

// createUserIn validates w and creates the user in st.
func createUserIn(ctx context.Context, st store.Store, m store.Meta, w *api.UserWrite) (store.User, error) {
	u, err := userFromWrite(w)
	if err != nil {
		return store.User{}, err
	}
	created, err := st.CreateUser(ctx, u, m)
	if err != nil {
		return store.User{}, mapReference(err, groupsPointer, u.GroupIDs)
	}
	return created, nil
}

// updateUserIn validates w and applies it to user id in st; the store
// refuses a change that would leave no enabled admin (store.ErrLastAdmin,
// answered as 409 last_admin).
func updateUserIn(ctx context.Context, st store.Store, m store.Meta, id string, ifVersion int64, w *api.UserWrite) (store.User, error) {
	mutate, err := userMutation(w, id)
	if err != nil {
		return store.User{}, err
	}
	var sent []string
	if w.Relationships != nil && w.Relationships.Groups != nil {
		sent, _ = linkageIDs(w.Relationships.Groups.Data, api.TypeGroups, groupsPointer)
	}
	u, err := st.UpdateUser(ctx, id, ifVersion, mutate, m)
	if err != nil {
		return store.User{}, mapReference(err, groupsPointer, sent)
	}
	return u, nil
}

// deleteUserIn deletes user id from st; the store refuses to delete the
// last enabled admin.
func deleteUserIn(ctx context.Context, st store.Store, m store.Meta, id string, ifVersion int64) error {
	return st.DeleteUser(ctx, id, ifVersion, m)
}

// writeUser writes one user with its ETag, and the user's groups when
// include=groups asked for them.
func (s *Server) writeUser(w http.ResponseWriter, r *http.Request, status int, u store.User, include map[string]bool) {
	var inc []json.RawMessage
	if include["groups"] {
		var err error
		if inc, err = s.includedGroups(r.Context(), u.GroupIDs); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	w.Header().Set("ETag", etag(u.Version))
	if status == http.StatusCreated {
		w.Header().Set("Location", s.link("/api/v1/users/"+u.ID))
	}
	writeAppended(w, status, func(b []byte) []byte { return s.appendUserDocument(b, &u, inc) })
}

// GET /api/v1/users — admins only; a non-admin reads itself at /account.
func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) {
	p := caller(r)
	if !p.admin() {
		s.writeError(w, r, errForbidden("listing users needs an admin token; a non-admin token reads its own user at /api/v1/account"))
		return
	}
	q, err := parseListQuery(r, userFilters, userIncludes)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	f := store.UserFilter{
		Username:   api.NormalizeName(q.filter["username"]),
		Email:      q.filter["email"],
		ExternalID: q.filter["external-id"],
		Query:      q.filter["q"],
	}
	if g := q.filter["group"]; g != "" {
		id, err := s.resolveGroupFilter(r.Context(), g)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		f.GroupID = id
	}
	users, next, err := s.store.ListUsers(r.Context(), f, q.page)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if len(users) == 0 && f.GroupID != "" && q.page.After == "" {
		// Only an empty first page needs to ask whether the group exists:
		// a group with members exists.
		if _, err := s.store.GetGroup(r.Context(), f.GroupID); isNotFound(err) {
			s.writeError(w, r, errUnknownRef("filter[group]", q.filter["group"], groupRef))
			return
		} else if err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	s.writeUserList(w, r, users, next, q)
}

// resolveGroupFilter turns filter[group], a group id or name, into an id
// (see parseRef). An id is checked only when the list comes back empty.
func (s *Server) resolveGroupFilter(ctx context.Context, v string) (string, error) {
	id, name, err := parseRef("filter[group]", v, groupRef)
	if err != nil || id != "" {
		return id, err
	}
	list, _, err := s.store.ListGroups(ctx, store.GroupFilter{Name: name}, store.Page{Limit: 1})
	if err != nil {
		return "", err
	}
	if len(list) == 0 {
		return "", errUnknownRef("filter[group]", v, groupRef)
	}
	return list[0].ID, nil
}

func (s *Server) writeUserList(w http.ResponseWriter, r *http.Request, users []store.User, next string, q listQuery) {
	var inc []json.RawMessage
	if q.include["groups"] {
		var groupIDs []string
		for _, u := range users {
			groupIDs = append(groupIDs, u.GroupIDs...)
		}
		var err error
		if inc, err = s.includedGroups(r.Context(), groupIDs); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	self, nextURL := s.selfLink(r), s.nextLink(r, next)
	writeAppended(w, http.StatusOK, func(b []byte) []byte { return s.appendUserListDocument(b, users, inc, self, nextURL) })
}

// POST /api/v1/users
func (s *Server) createUser(w http.ResponseWriter, r *http.Request) {
	p := caller(r)
	if !p.admin() {
		s.writeError(w, r, errForbidden("creating users needs an admin token"))
		return
	}
	data, err := decodeUserCreate(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	u, err := createUserIn(r.Context(), s.store, p.meta(r), data)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeUser(w, r, http.StatusCreated, u, nil)
}

// GET /api/v1/users/{id} — admins see anyone, others only themselves.
func (s *Server) getUser(w http.ResponseWriter, r *http.Request) {
	p := caller(r)
	id, ok := pathID(r)
	if !ok || (!p.admin() && id != p.user.ID) {
		s.writeError(w, r, errNotFound("user "+r.PathValue("id")))
		return
	}
	include, err := parseIncludeOnly(r, userIncludes)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	u, err := s.store.GetUser(r.Context(), id)
	if err != nil {
		s.writeError(w, r, notFoundAs(err, "user "+id))
		return
	}
	// The ETag is the user's version; included groups can change without
	// it, so a compound document is always sent in full.
	if !include["groups"] && notModified(w, r, u.Version) {
		return
	}
	s.writeUser(w, r, http.StatusOK, u, include)
}

// PATCH /api/v1/users/{id}
func (s *Server) updateUser(w http.ResponseWriter, r *http.Request) {
	p := caller(r)
	id, ok := pathID(r)
	if !ok || (!p.admin() && id != p.user.ID) {
		s.writeError(w, r, errNotFound("user "+r.PathValue("id")))
		return
	}
	if !p.admin() {
		s.writeError(w, r, errForbidden("only admins change users; ask an admin to change your profile"))
		return
	}
	ifVersion, err := ifMatch(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	data, err := decodeData[api.UserWrite](r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	u, err := updateUserIn(r.Context(), s.store, p.meta(r), id, ifVersion, data)
	if err != nil {
		s.writeError(w, r, notFoundAs(err, "user "+id))
		return
	}
	s.writeUser(w, r, http.StatusOK, u, nil)
}

// DELETE /api/v1/users/{id}
func (s *Server) deleteUser(w http.ResponseWriter, r *http.Request) {
	p := caller(r)
	id, ok := pathID(r)
	if !ok || (!p.admin() && id != p.user.ID) {
		s.writeError(w, r, errNotFound("user "+r.PathValue("id")))
		return
	}
	if !p.admin() {
		s.writeError(w, r, errForbidden("only admins delete users"))
		return
	}
	ifVersion, err := ifMatch(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := deleteUserIn(r.Context(), s.store, p.meta(r), id, ifVersion); err != nil {
		s.writeError(w, r, notFoundAs(err, "user "+id))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// notFoundAs names the missing resource in a store not-found error.
func notFoundAs(err error, what string) error {
	if isNotFound(err) {
		return errNotFound(what)
	}
	return err
}
