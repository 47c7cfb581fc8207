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

// byIDOrName finds a resource by id when s has that shape, else (or on a
// 404, since names may look like ids) by name. A miss is an error matching
// client.ErrNotFound that says "no <what> has id or <name> s".
func byIDOrName[T any](s, what string, byID, byName func(string) (T, error)) (T, error) {
	if looksLikeID(s) {
		v, err := byID(s)
		if err == nil || !client.IsNotFound(err) {
			return v, err
		}
	}
	v, err := byName(s)
	if client.IsNotFound(err) {
		return v, fmt.Errorf("no %s %q: %w", what, s, client.ErrNotFound)
	}
	return v, err
}

// resolveUser finds a user by id or username.
func resolveUser(ctx context.Context, c *client.Client, s string) (*api.User, error) {
	return byIDOrName(s, "user has id or username",
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
	v, err := byIDOrName(s, "user has id or username",
		func(id string) (withGroups, error) { return found(c.Users.GetWithGroups(ctx, id)) },
		func(name string) (withGroups, error) { return found(c.Users.GetByUsernameWithGroups(ctx, name)) })
	if err != nil {
		return nil, nil, err
	}
	return v.user, indexGroups(v.groups), nil
}

// resolveGroup finds a group by id or name.
func resolveGroup(ctx context.Context, c *client.Client, s string) (*api.Group, error) {
	return byIDOrName(s, "group has id or name",
		func(id string) (*api.Group, error) { return c.Groups.Get(ctx, id) },
		func(name string) (*api.Group, error) { return c.Groups.GetByName(ctx, name) })
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
		return nil, fmt.Errorf("no group is named %s; create it first with rollcall groups create: %w",
			strings.Join(quoteAll(unknown), ", "), client.ErrNotFound)
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
