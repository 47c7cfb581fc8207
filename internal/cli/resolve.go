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

// resolveUser finds a user by id or username.
func resolveUser(ctx context.Context, c *client.Client, s string) (*api.User, error) {
	if looksLikeID(s) {
		u, err := c.Users.Get(ctx, s)
		if err == nil || !client.IsNotFound(err) {
			return u, err
		}
	}
	u, err := c.Users.GetByUsername(ctx, s)
	if client.IsNotFound(err) {
		return nil, fmt.Errorf("no user has id or username %q: %w", s, client.ErrNotFound)
	}
	return u, err
}

// resolveGroup finds a group by id or name.
func resolveGroup(ctx context.Context, c *client.Client, s string) (*api.Group, error) {
	if looksLikeID(s) {
		g, err := c.Groups.Get(ctx, s)
		if err == nil || !client.IsNotFound(err) {
			return g, err
		}
	}
	g, err := c.Groups.GetByName(ctx, s)
	if client.IsNotFound(err) {
		return nil, fmt.Errorf("no group has id or name %q: %w", s, client.ErrNotFound)
	}
	return g, err
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

func loadGroups(ctx context.Context, c *client.Client) (*groupIndex, error) {
	gs, err := c.Groups.List(ctx, client.ListGroupsOptions{})
	if err != nil {
		return nil, err
	}
	ix := &groupIndex{byID: map[string]string{}, byName: map[string]string{}}
	for _, g := range gs {
		ix.add(g.ID, g.Attributes.Name)
	}
	return ix, nil
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
