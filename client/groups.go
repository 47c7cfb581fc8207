package client

import (
	"context"
	"fmt"
	"iter"
	"net/http"
	"net/url"

	"github.com/rollcall/rollcall/api"
)

// GroupsService is the /api/v1/groups endpoint family.
type GroupsService struct{ c *Client }

// ListGroupsOptions filters a group list; empty fields do not filter.
type ListGroupsOptions struct {
	Name     string // exact, after normalisation
	Query    string // prefix of name or friendly name
	PageSize int    // groups per request, at most 1000 (the default)
}

func (o ListGroupsOptions) values() url.Values {
	q := url.Values{}
	if o.Name != "" {
		q.Set("filter[name]", o.Name)
	}
	if o.Query != "" {
		q.Set("filter[q]", o.Query)
	}
	setPageSize(q, o.PageSize)
	return q
}

func groupPath(id string) string { return "/api/v1/groups/" + url.PathEscape(id) }

// Get returns the group with this id, with its members relationship.
func (s *GroupsService) Get(ctx context.Context, id string) (*api.Group, error) {
	g, _, err := s.GetWithETag(ctx, id)
	return g, err
}

// GetWithETag returns the group and its ETag, for Update with If-Match.
func (s *GroupsService) GetWithETag(ctx context.Context, id string) (*api.Group, string, error) {
	doc, etag, err := getOne[api.Group](ctx, s.c, groupPath(id), nil)
	if err != nil {
		return nil, "", err
	}
	return &doc.Data, etag, nil
}

// GetByName finds a group by name. A missing group is an error matching
// ErrNotFound.
func (s *GroupsService) GetByName(ctx context.Context, name string) (*api.Group, error) {
	g, _, err := findOne[api.Group](ctx, s.c, "/api/v1/groups", ListGroupsOptions{Name: name}.values(),
		fmt.Sprintf("no group is named %q", name))
	if err != nil {
		return nil, err
	}
	// Lists may leave the members relationship out; read the group itself
	// so callers always get its members.
	return s.Get(ctx, g.ID)
}

// List returns every group matching o, reading all pages.
func (s *GroupsService) List(ctx context.Context, o ListGroupsOptions) ([]api.Group, error) {
	return collect(s.Pages(ctx, o))
}

// Pages yields the groups matching o one page at a time.
func (s *GroupsService) Pages(ctx context.Context, o ListGroupsOptions) iter.Seq2[[]api.Group, error] {
	return pages[api.Group](ctx, s.c, "/api/v1/groups", o.values())
}

// Create creates a group. memberIDs, when not nil, sets its members;
// proposedID, when not empty, asks for that id.
func (s *GroupsService) Create(ctx context.Context, attrs api.GroupWriteAttributes, memberIDs *[]string, proposedID string) (*api.Group, error) {
	var doc api.Document[api.Group]
	body := api.Document[api.GroupWrite]{Data: NewGroupWrite(proposedID, attrs, memberIDs)}
	if _, err := s.c.do(ctx, request{method: http.MethodPost, path: "/api/v1/groups", body: body}, &doc); err != nil {
		return nil, err
	}
	return &doc.Data, nil
}

// Update changes the attributes set in attrs; memberIDs, when not nil,
// replaces the members. ifMatch, when not empty, is sent as If-Match.
func (s *GroupsService) Update(ctx context.Context, id string, attrs api.GroupWriteAttributes, memberIDs *[]string, ifMatch string) (*api.Group, error) {
	var doc api.Document[api.Group]
	body := api.Document[api.GroupWrite]{Data: NewGroupWrite(id, attrs, memberIDs)}
	if _, err := s.c.do(ctx, request{method: http.MethodPatch, path: groupPath(id), body: body, ifMatch: ifMatch}, &doc); err != nil {
		return nil, err
	}
	return &doc.Data, nil
}

// Delete deletes the group and its memberships; the users stay.
func (s *GroupsService) Delete(ctx context.Context, id string) error {
	_, err := s.c.do(ctx, request{method: http.MethodDelete, path: groupPath(id)}, nil)
	return err
}

// Members returns every member of the group, reading all pages.
func (s *GroupsService) Members(ctx context.Context, groupID string) ([]api.User, error) {
	return s.c.Users.List(ctx, ListUsersOptions{Group: groupID})
}

// SetMembers makes userIDs the group's whole member set.
func (s *GroupsService) SetMembers(ctx context.Context, groupID string, userIDs []string) error {
	return s.c.relationship(ctx, http.MethodPatch, groupPath(groupID)+"/relationships/members", api.TypeUsers, userIDs)
}

// SetMembersIfMatch is SetMembers for a read-modify-write: ifMatch is the
// group's ETag from the read (GetWithETag, whose MemberIDs are the whole
// set; the members relationship shares the group's ETag, which every
// membership change bumps). When the group changed since, nothing changes
// and the error matches ErrPreconditionFailed, so a member someone else
// added meanwhile is not dropped: read again. It returns the group's new
// ETag.
func (s *GroupsService) SetMembersIfMatch(ctx context.Context, groupID string, userIDs []string, ifMatch string) (string, error) {
	return s.c.relationshipIfMatch(ctx, http.MethodPatch, groupPath(groupID)+"/relationships/members", api.TypeUsers, userIDs, ifMatch)
}

// AddMembers adds userIDs to the group, keeping the other members.
func (s *GroupsService) AddMembers(ctx context.Context, groupID string, userIDs []string) error {
	return s.c.relationship(ctx, http.MethodPost, groupPath(groupID)+"/relationships/members", api.TypeUsers, userIDs)
}

// RemoveMembers removes userIDs from the group.
func (s *GroupsService) RemoveMembers(ctx context.Context, groupID string, userIDs []string) error {
	return s.c.relationship(ctx, http.MethodDelete, groupPath(groupID)+"/relationships/members", api.TypeUsers, userIDs)
}

// NewGroupWrite builds the primary data of a group create or update.
func NewGroupWrite(id string, attrs api.GroupWriteAttributes, memberIDs *[]string) api.GroupWrite {
	w := api.GroupWrite{Type: api.TypeGroups, ID: id, Attributes: attrs}
	if memberIDs != nil {
		w.Relationships = &api.GroupWriteRelationships{Members: &api.ToMany{Data: api.Identifiers(api.TypeUsers, *memberIDs)}}
	}
	return w
}
