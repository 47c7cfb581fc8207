package cli

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/google/uuid"

	"github.com/rollcall/rollcall/api"
	"github.com/rollcall/rollcall/client"
)

// looksLikeID reports whether s has the shape of a resource id. Usernames
// may have that shape too, so callers fall back to the name on a 404.
func looksLikeID(s string) bool {
	_, err := uuid.Parse(s)
	return err == nil && len(s) == 36
}

// notFoundError is a lookup that found nothing: its message is only what
// a person needs ("no user has id or username "x""), and it matches
// client.ErrNotFound for the exit code.
type notFoundError struct{ msg string }

func (e notFoundError) Error() string        { return e.msg }
func (e notFoundError) Is(target error) bool { return target == client.ErrNotFound }

func notFoundf(format string, args ...any) error {
	return notFoundError{fmt.Sprintf(format, args...)}
}

// byIDOrName finds a resource by id when s has that shape, else (or on a
// 404, since names may look like ids) by name; the rules are the same for
// users, groups and tokens. An id wins over a name of the same shape, so
// that a lookup by id stays one request. A miss is an error matching
// client.ErrNotFound that says "no <kind> has id or <what> s"; byName
// refuses a name that fits more than one resource itself (token names are
// not unique), listing the candidates.
func byIDOrName[T any](s, what, kind string, byID, byName func(string) (T, error)) (T, error) {
	if looksLikeID(s) {
		v, err := byID(s)
		if err == nil || !client.IsNotFound(err) {
			return v, err
		}
	}
	v, err := byName(s)
	if client.IsNotFound(err) {
		return v, notFoundf("no %s has id or %s %q", kind, what, s)
	}
	return v, err
}

// resolveUser finds a user by id or username.
func resolveUser(ctx context.Context, c *client.Client, s string) (*api.User, error) {
	return byIDOrName(s, "username", "user",
		func(id string) (*api.User, error) { return c.Users.Get(ctx, id) },
		func(name string) (*api.User, error) { return c.Users.GetByUsername(ctx, name) })
}

// resolveUserWithGroups is resolveUser that also reads the user's groups,
// in the same one request (include=groups), for showing their names.
func resolveUserWithGroups(ctx context.Context, c *client.Client, s string) (*api.User, *groupIndex, error) {
	type withGroups struct {
		user   *api.User
		groups []api.Group
	}
	found := func(u *api.User, groups []api.Group, err error) (withGroups, error) {
		return withGroups{u, groups}, err
	}
	v, err := byIDOrName(s, "username", "user",
		func(id string) (withGroups, error) { return found(c.Users.GetWithGroups(ctx, id)) },
		func(name string) (withGroups, error) { return found(c.Users.GetByUsernameWithGroups(ctx, name)) })
	if err != nil {
		return nil, nil, err
	}
	return v.user, indexGroups(v.groups), nil
}

// resolveGroup finds a group by id or name.
func resolveGroup(ctx context.Context, c *client.Client, s string) (*api.Group, error) {
	return byIDOrName(s, "name", "group",
		func(id string) (*api.Group, error) { return c.Groups.Get(ctx, id) },
		func(name string) (*api.Group, error) { return c.Groups.GetByName(ctx, name) })
}

// resolveToken finds an API token by id or name; userID, when not empty,
// looks only among that user's tokens. Token names are not unique, so a
// name that more than one token has is refused with the candidates.
func resolveToken(ctx context.Context, c *client.Client, s, userID string, owners *userNames) (*api.APIToken, error) {
	return byIDOrName(s, "name", "token",
		func(id string) (*api.APIToken, error) { return c.Tokens.Get(ctx, id) },
		func(name string) (*api.APIToken, error) {
			tokens, err := c.Tokens.List(ctx, client.ListTokensOptions{UserID: userID})
			if err != nil {
				return nil, err
			}
			var found []*api.APIToken
			for i := range tokens {
				if tokens[i].Attributes.Name == name {
					found = append(found, &tokens[i])
				}
			}
			switch len(found) {
			case 0:
				return nil, client.ErrNotFound
			case 1:
				return found[0], nil
			}
			lines := make([]string, len(found))
			for i, t := range found {
				lines[i] = fmt.Sprintf("  %s  %s, owned by %s, created %s", t.ID, t.Attributes.Prefix, owners.name(ctx, tokenOwner(t)), timeCell(&t.Attributes.CreatedAt))
			}
			return nil, usagef("more than one token is named %q:\n%s\ngive the id, or narrow it down with --user", name, strings.Join(lines, "\n"))
		})
}

// tokenOwner is the id of the user a token belongs to.
func tokenOwner(t *api.APIToken) string {
	if d := t.Relationships.User.Data; d != nil {
		return d.ID
	}
	return ""
}

// userNames finds usernames by id for showing them, one request per user,
// remembering each; an id it cannot read (another user, for a non-admin)
// is shown as the id.
type userNames struct {
	c     *client.Client
	names map[string]string
}

func newUserNames(c *client.Client) *userNames { return &userNames{c: c, names: map[string]string{}} }

func (n *userNames) name(ctx context.Context, id string) string {
	if id == "" {
		return ""
	}
	if s, ok := n.names[id]; ok {
		return s
	}
	s := id
	if u, err := n.c.Users.Get(ctx, id); err == nil {
		s = u.Attributes.Username
	}
	n.names[id] = s
	return s
}

// resolveUserIDs turns user ids or usernames into ids.
func resolveUserIDs(ctx context.Context, c *client.Client, refs []string) ([]string, error) {
	ids := make([]string, 0, len(refs))
	for _, r := range refs {
		u, err := resolveUser(ctx, c, r)
		if err != nil {
			return nil, err
		}
		ids = append(ids, u.ID)
	}
	return ids, nil
}

// groupIndex maps group ids to names and back, read once per command.
type groupIndex struct {
	byID   map[string]string
	byName map[string]string
}

// loadGroups reads every group, for commands that resolve group names
// (--groups, import) or name the groups of many users (export).
func loadGroups(ctx context.Context, c *client.Client) (*groupIndex, error) {
	gs, err := c.Groups.List(ctx, client.ListGroupsOptions{})
	if err != nil {
		return nil, err
	}
	return indexGroups(gs), nil
}

// indexGroups indexes the groups a command has read.
func indexGroups(groups []api.Group) *groupIndex {
	ix := &groupIndex{byID: map[string]string{}, byName: map[string]string{}}
	for _, g := range groups {
		ix.add(g.ID, g.Attributes.Name)
	}
	return ix
}

// knows reports whether ix names every one of these group ids.
func (ix *groupIndex) knows(ids []string) bool {
	for _, id := range ids {
		if _, ok := ix.byID[id]; !ok {
			return false
		}
	}
	return true
}

func (ix *groupIndex) add(id, name string) {
	ix.byID[id] = name
	ix.byName[name] = id
}

// names returns the sorted names of group ids (the id itself when a group
// is not known, which only happens if it was created meanwhile).
func (ix *groupIndex) names(ids []string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		if n, ok := ix.byID[id]; ok {
			out[i] = n
		} else {
			out[i] = id
		}
	}
	sort.Strings(out)
	return out
}

// ids resolves group names or ids to ids, naming every unknown one.
func (ix *groupIndex) ids(refs []string) ([]string, error) {
	out := make([]string, 0, len(refs))
	var unknown []string
	for _, r := range refs {
		if _, ok := ix.byID[r]; ok {
			out = append(out, r)
		} else if id, ok := ix.byName[api.NormalizeName(r)]; ok {
			out = append(out, id)
		} else {
			unknown = append(unknown, r)
		}
	}
	if len(unknown) > 0 {
		return nil, notFoundf("no group is named %s; create it first with rollcall groups create", strings.Join(quoteAll(unknown), ", "))
	}
	return out, nil
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}
