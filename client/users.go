package client

import (
	"context"
	"fmt"
	"iter"
	"net/http"
	"net/url"

	"github.com/rollcall/rollcall/api"
)

// UsersService is the /api/v1/users endpoint family.
type UsersService struct{ c *Client }

// ListUsersOptions filters a user list; empty fields do not filter.
type ListUsersOptions struct {
	Username   string // exact, after normalisation
	Email      string // exact, case-insensitive
	ExternalID string // exact
	Group      string // id or name of a group: its members; ErrNotFound when no such group
	Query      string // prefix of username, email, first or last name
	PageSize   int    // users per request, at most 1000 (the default)
}

func (o ListUsersOptions) values() url.Values {
	q := url.Values{}
	for k, v := range map[string]string{
		"filter[username]": o.Username, "filter[email]": o.Email, "filter[external-id]": o.ExternalID,
		"filter[group]": o.Group, "filter[q]": o.Query,
	} {
		if v != "" {
			q.Set(k, v)
		}
	}
	setPageSize(q, o.PageSize)
	return q
}

func userPath(id string) string { return "/api/v1/users/" + url.PathEscape(id) }

// Get returns the user with this id.
func (s *UsersService) Get(ctx context.Context, id string) (*api.User, error) {
	u, _, err := s.GetWithETag(ctx, id)
	return u, err
}

// GetWithETag returns the user and its ETag, for a later Update with
// If-Match.
func (s *UsersService) GetWithETag(ctx context.Context, id string) (*api.User, string, error) {
	doc, etag, err := getOne[api.User](ctx, s.c, userPath(id), nil)
	if err != nil {
		return nil, "", err
	}
	return &doc.Data, etag, nil
}

// GetByUsername finds a user by username (filter[username]). A missing
// user is an error matching ErrNotFound.
func (s *UsersService) GetByUsername(ctx context.Context, username string) (*api.User, error) {
	u, _, err := findOne[api.User](ctx, s.c, "/api/v1/users", ListUsersOptions{Username: username}.values(),
		fmt.Sprintf("no user has username %q", username))
	return u, err
}

// GetByEmail finds a user by email address, case-insensitively.
func (s *UsersService) GetByEmail(ctx context.Context, email string) (*api.User, error) {
	u, _, err := findOne[api.User](ctx, s.c, "/api/v1/users", ListUsersOptions{Email: email}.values(),
		fmt.Sprintf("no user has email %q", email))
	return u, err
}

// includeGroups is the query of a read that embeds the user's groups.
func includeGroups(q url.Values) url.Values {
	if q == nil {
		q = url.Values{}
	}
	q.Set("include", "groups")
	return q
}

// GetWithGroups returns the user with this id and the groups it is a
// member of, read together in one request (include=groups), so a caller
// showing group names need not list every group.
func (s *UsersService) GetWithGroups(ctx context.Context, id string) (*api.User, []api.Group, error) {
	return withGroups(getOne[api.User](ctx, s.c, userPath(id), includeGroups(nil)))
}

// GetByUsernameWithGroups is GetByUsername that also returns the user's
// groups, in one request.
func (s *UsersService) GetByUsernameWithGroups(ctx context.Context, username string) (*api.User, []api.Group, error) {
	u, included, err := findOne[api.User](ctx, s.c, "/api/v1/users", includeGroups(ListUsersOptions{Username: username}.values()),
		fmt.Sprintf("no user has username %q", username))
	if err != nil {
		return nil, nil, err
	}
	groups, err := includedGroups(included)
	if err != nil {
		return nil, nil, err
	}
	return u, groups, nil
}

// ListWithGroups is List that also returns the groups the listed users
// are members of (each once), read with the users' pages
// (include=groups) instead of by listing every group.
func (s *UsersService) ListWithGroups(ctx context.Context, o ListUsersOptions) ([]api.User, []api.Group, error) {
	users := []api.User{}
	groups := []api.Group{}
	seen := map[string]bool{}
	for doc, err := range documents[api.User](ctx, s.c, "/api/v1/users", includeGroups(o.values())) {
		if err != nil {
			return nil, nil, err
		}
		users = append(users, doc.Data...)
		gs, err := includedGroups(doc.Included)
		if err != nil {
			return nil, nil, err
		}
		for _, g := range gs {
			if !seen[g.ID] {
				seen[g.ID] = true
				groups = append(groups, g)
			}
		}
	}
	return users, groups, nil
}

// List returns every user matching o, reading all pages.
func (s *UsersService) List(ctx context.Context, o ListUsersOptions) ([]api.User, error) {
	return collect(s.Pages(ctx, o))
}

// Pages yields the users matching o one page at a time, for lists too big
// to hold at once. Stop ranging to stop fetching.
func (s *UsersService) Pages(ctx context.Context, o ListUsersOptions) iter.Seq2[[]api.User, error] {
	return pages[api.User](ctx, s.c, "/api/v1/users", o.values())
}

// All yields the users matching o one by one, fetching pages as needed.
func (s *UsersService) All(ctx context.Context, o ListUsersOptions) iter.Seq2[api.User, error] {
	return items(s.Pages(ctx, o))
}

// Create creates a user. groupIDs, when not nil, sets its groups;
// proposedID, when not empty, asks for that id (a UUID).
func (s *UsersService) Create(ctx context.Context, attrs api.UserWriteAttributes, groupIDs *[]string, proposedID string) (*api.User, error) {
	var doc api.Document[api.User]
	body := api.Document[api.UserWrite]{Data: NewUserWrite(proposedID, attrs, groupIDs)}
	if _, err := s.c.do(ctx, request{method: http.MethodPost, path: "/api/v1/users", body: body}, &doc); err != nil {
		return nil, err
	}
	return &doc.Data, nil
}

// Update changes the attributes that are set in attrs (PATCH semantics:
// unset is unchanged, Null clears). groupIDs, when not nil, replaces the
// user's groups. ifMatch, when not empty, is sent as If-Match; a stale one
// fails with ErrPreconditionFailed.
func (s *UsersService) Update(ctx context.Context, id string, attrs api.UserWriteAttributes, groupIDs *[]string, ifMatch string) (*api.User, error) {
	var doc api.Document[api.User]
	body := api.Document[api.UserWrite]{Data: NewUserWrite(id, attrs, groupIDs)}
	if _, err := s.c.do(ctx, request{method: http.MethodPatch, path: userPath(id), body: body, ifMatch: ifMatch}, &doc); err != nil {
		return nil, err
	}
	return &doc.Data, nil
}

// Delete deletes the user with its passkeys, sessions, tokens and
// memberships.
func (s *UsersService) Delete(ctx context.Context, id string) error {
	_, err := s.c.do(ctx, request{method: http.MethodDelete, path: userPath(id)}, nil)
	return err
}

// SetUserGroups makes groupIDs the user's whole set of groups.
func (s *UsersService) SetUserGroups(ctx context.Context, userID string, groupIDs []string) error {
	return s.c.relationship(ctx, http.MethodPatch, userPath(userID)+"/relationships/groups", api.TypeGroups, groupIDs)
}

// SetUserGroupsIfMatch is SetUserGroups for a read-modify-write: ifMatch
// is the user's ETag from the read (GetWithETag; a user's groups share its
// ETag, which every membership change bumps). When the user changed since,
// nothing changes and the error matches ErrPreconditionFailed: read again.
// It returns the user's new ETag.
func (s *UsersService) SetUserGroupsIfMatch(ctx context.Context, userID string, groupIDs []string, ifMatch string) (string, error) {
	return s.c.relationshipIfMatch(ctx, http.MethodPatch, userPath(userID)+"/relationships/groups", api.TypeGroups, groupIDs, ifMatch)
}

// AddUserGroups adds the user to groupIDs, keeping its other groups.
func (s *UsersService) AddUserGroups(ctx context.Context, userID string, groupIDs []string) error {
	return s.c.relationship(ctx, http.MethodPost, userPath(userID)+"/relationships/groups", api.TypeGroups, groupIDs)
}

// RemoveUserGroups removes the user from groupIDs.
func (s *UsersService) RemoveUserGroups(ctx context.Context, userID string, groupIDs []string) error {
	return s.c.relationship(ctx, http.MethodDelete, userPath(userID)+"/relationships/groups", api.TypeGroups, groupIDs)
}

// NewUserWrite builds the primary data of a user create or update.
func NewUserWrite(id string, attrs api.UserWriteAttributes, groupIDs *[]string) api.UserWrite {
	w := api.UserWrite{Type: api.TypeUsers, ID: id, Attributes: attrs}
	if groupIDs != nil {
		w.Relationships = &api.UserWriteRelationships{Groups: &api.ToMany{Data: api.Identifiers(api.TypeGroups, *groupIDs)}}
	}
	return w
}

func (c *Client) relationship(ctx context.Context, method, path, typ string, ids []string) error {
	_, err := c.relationshipIfMatch(ctx, method, path, typ, ids, "")
	return err
}

// relationshipIfMatch changes a relationship, sending ifMatch (when not
// empty) as If-Match, and returns the ETag of the answer: the version of the
// user or group whose relationship it is.
func (c *Client) relationshipIfMatch(ctx context.Context, method, path, typ string, ids []string, ifMatch string) (string, error) {
	if ids == nil {
		ids = []string{}
	}
	body := api.RelationshipDocument{Data: api.Identifiers(typ, ids)}
	r, err := c.do(ctx, request{method: method, path: path, body: body, ifMatch: ifMatch}, nil)
	if err != nil {
		return "", err
	}
	return r.header.Get("ETag"), nil
}
