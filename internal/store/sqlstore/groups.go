package sqlstore

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/rollcall/rollcall/internal/store"
)

const groupCols = `id, name, friendly_name, description, attributes, custom_claims, version, created_at, updated_at,
 (SELECT COUNT(*) FROM memberships m WHERE m.group_id = groups.id)`

var (
	qInsertGroup = stmt(`INSERT INTO groups (id, name, friendly_name, friendly_name_lower, description, attributes, custom_claims, version, created_at, updated_at)
 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	qUpdateGroup = stmt(`UPDATE groups SET name = ?, friendly_name = ?, friendly_name_lower = ?, description = ?,
 attributes = ?, custom_claims = ?, version = ?, updated_at = ? WHERE id = ?`)
	qGroupByID      = stmt(`SELECT ` + groupCols + ` FROM groups WHERE id = ?`)
	qGroupForUpdate = lockStmt(`SELECT ` + groupCols + ` FROM groups WHERE id = ?`)
	qGroupByName    = stmt(`SELECT ` + groupCols + ` FROM groups WHERE name = ?`)
	qGroupMembers   = scanning(stmt(`SELECT user_id FROM memberships WHERE group_id = ? ORDER BY user_id`))
	qDeleteGroup    = stmt(`DELETE FROM groups WHERE id = ?`)
	qGroupsByIDs    = idsStmt(`SELECT ` + groupCols + ` FROM groups WHERE id IN (?...)`)
	qGroupLabels    = idsStmt(`SELECT id, name, friendly_name FROM groups WHERE id IN (?...)`)
	qMembersOf      = scanning(idsStmt(`SELECT group_id, user_id FROM memberships WHERE group_id IN (?...)`))
	qMembersNamed   = scanning(idsStmt(`SELECT m.group_id, m.user_id, u.username, u.display_name, u.first_name, u.last_name
		FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.group_id IN (?...)`))
)

func scanGroup(row interface{ Scan(...any) error }) (store.Group, error) {
	var g store.Group
	err := row.Scan(&g.ID, &g.Name, &g.FriendlyName, &g.Description, attrCol{&g.Attributes}, claimsCol{&g.CustomClaims}, &g.Version,
		timeCol{&g.CreatedAt}, timeCol{&g.UpdatedAt}, &g.MemberCount)
	return g, err
}

// groupFields are the audited attributes of a group; members only when
// withMembers (an update that replaced them).
func groupFields(g *store.Group, withMembers bool) []field {
	fs := []field{
		{"name", g.Name},
		{"friendly-name", opt(g.FriendlyName)},
		{"description", opt(g.Description)},
		{"attributes", g.Attributes},
		{"custom-claims", g.CustomClaims},
	}
	if withMembers {
		fs = append(fs, field{"members", g.MemberIDs})
	}
	return fs
}

func normGroup(g *store.Group) {
	g.MemberIDs = normIDs(g.MemberIDs)
	if g.Attributes == nil {
		g.Attributes = map[string]string{}
	}
	if g.CustomClaims == nil {
		g.CustomClaims = map[string]json.RawMessage{}
	}
}

// CreateGroup inserts g with its members (MemberIDs); see store.Store.
func (s *Store) CreateGroup(ctx context.Context, g store.Group, m store.Meta) (store.Group, error) {
	now := s.now()
	g.ID = newID(g.ID)
	normGroup(&g)
	g.MemberCount = len(g.MemberIDs)
	g.Version = 1
	g.CreatedAt, g.UpdatedAt = now, now
	err := s.write(ctx, func(c *conn) error {
		if len(g.MemberIDs) > 0 {
			if err := c.lockMemberships(ctx); err != nil {
				return err
			}
		}
		if err := c.checkRefs(ctx, "user", "users", g.MemberIDs); err != nil {
			return err
		}
		if _, err := c.exec(ctx, qInsertGroup, g.ID, g.Name, g.FriendlyName, strings.ToLower(g.FriendlyName),
			g.Description, encodeAttrs(g.Attributes), encodeClaims(g.CustomClaims), g.Version, c.t(now), c.t(now)); err != nil {
			return err
		}
		if err := c.addMembers(ctx, g.ID, g.MemberIDs); err != nil {
			return err
		}
		if err := c.bump(ctx, "users", g.MemberIDs, now); err != nil {
			return err
		}
		return c.audit(ctx, m, now, event{action: "group.create", targetType: "group", targetID: g.ID,
			targetName: g.Name, after: snapshot(groupFields(&g, true))})
	})
	if err != nil {
		return store.Group{}, err
	}
	return g, nil
}

func (s *Store) loadGroup(ctx context.Context, c *conn, q statement, arg string) (store.Group, error) {
	g, err := c.groupRow(ctx, q, arg)
	if err != nil {
		return g, err
	}
	g.MemberIDs, err = c.ids(ctx, qGroupMembers, g.ID)
	return g, err
}

// groupRow reads one group without its MemberIDs (MemberCount is set).
func (c *conn) groupRow(ctx context.Context, q statement, arg string) (store.Group, error) {
	return queryOne(ctx, c, q, scanGroup, arg)
}

// GetGroup returns the group with this id and its members.
func (s *Store) GetGroup(ctx context.Context, id string) (store.Group, error) {
	return s.loadGroup(ctx, s.read(), qGroupByID, id)
}

// GetGroupByName returns the group with this name and its members.
func (s *Store) GetGroupByName(ctx context.Context, name string) (store.Group, error) {
	return s.loadGroup(ctx, s.read(), qGroupByName, name)
}

// UpdateGroup changes a group in a transaction; see store.Store. MemberIDs
// changed by mutate replace the members.
func (s *Store) UpdateGroup(ctx context.Context, id string, ifVersion int64, mutate func(*store.Group) error, m store.Meta) (store.Group, error) {
	return s.updateGroup(ctx, id, ifVersion, mutate, m, true)
}

// UpdateGroupAttrs changes a group but not its members, which it does not
// read; see store.Searcher.
func (s *Store) UpdateGroupAttrs(ctx context.Context, id string, ifVersion int64, mutate func(*store.Group) error, m store.Meta) (store.Group, error) {
	return s.updateGroup(ctx, id, ifVersion, mutate, m, false)
}

func (s *Store) updateGroup(ctx context.Context, id string, ifVersion int64, mutate func(*store.Group) error, m store.Meta, withMembers bool) (store.Group, error) {
	var result store.Group
	err := s.write(ctx, func(c *conn) error {
		var old store.Group
		var err error
		if withMembers {
			old, err = s.loadGroup(ctx, c, qGroupForUpdate, id)
		} else {
			old, err = c.groupRow(ctx, qGroupForUpdate, id)
		}
		if err != nil {
			return err
		}
		if ifVersion > 0 && old.Version != ifVersion {
			return store.ErrPreconditionFailed
		}
		g := old
		g.Attributes = maps.Clone(old.Attributes)
		g.CustomClaims = maps.Clone(old.CustomClaims)
		g.MemberIDs = slices.Clone(old.MemberIDs)
		if err := mutate(&g); err != nil {
			return err
		}
		if !withMembers && g.MemberIDs != nil {
			return errors.New("sqlstore: UpdateGroupAttrs cannot change members; use SetGroupMembers")
		}
		g.ID, g.Version, g.CreatedAt, g.UpdatedAt = old.ID, old.Version, old.CreatedAt, old.UpdatedAt
		normGroup(&g)
		if withMembers {
			g.MemberCount = len(g.MemberIDs)
		} else {
			g.MemberIDs, g.MemberCount = nil, old.MemberCount
		}
		added, removed := diffIDs(old.MemberIDs, g.MemberIDs)
		before, after := diff(groupFields(&old, withMembers), groupFields(&g, withMembers))
		if after == nil {
			result = old
			return nil
		}
		now := s.now()
		if len(added)+len(removed) > 0 {
			if err := c.lockMembershipsLate(ctx); err != nil {
				return err
			}
			if err := c.setMembers(ctx, g.ID, added, removed, now); err != nil {
				return err
			}
		}
		g.Version, g.UpdatedAt = old.Version+1, now
		if _, err := c.exec(ctx, qUpdateGroup, g.Name, g.FriendlyName, strings.ToLower(g.FriendlyName),
			g.Description, encodeAttrs(g.Attributes), encodeClaims(g.CustomClaims), g.Version, c.t(now), g.ID); err != nil {
			return err
		}
		c.markBumped("groups", g.ID)
		result = g
		return c.audit(ctx, m, now, event{action: "group.update", targetType: "group", targetID: g.ID,
			targetName: g.Name, before: before, after: after})
	})
	if err != nil {
		return store.Group{}, err
	}
	return result, nil
}

// DeleteGroup removes a group and its memberships, bumping its members.
func (s *Store) DeleteGroup(ctx context.Context, id string, ifVersion int64, m store.Meta) error {
	return s.write(ctx, func(c *conn) error {
		if err := c.lockMemberships(ctx); err != nil {
			return err
		}
		old, err := s.loadGroup(ctx, c, qGroupForUpdate, id)
		if err != nil {
			return err
		}
		if ifVersion > 0 && old.Version != ifVersion {
			return store.ErrPreconditionFailed
		}
		now := s.now()
		if err := c.bump(ctx, "users", old.MemberIDs, now); err != nil {
			return err
		}
		if _, err := c.exec(ctx, qDeleteGroup, id); err != nil {
			return err
		}
		c.forget("groups", id)
		return c.audit(ctx, m, now, event{action: "group.delete", targetType: "group", targetID: id,
			targetName: old.Name, before: snapshot(groupFields(&old, true))})
	})
}

// ListGroups returns a page of groups ordered by name, without MemberIDs.
func (s *Store) ListGroups(ctx context.Context, f store.GroupFilter, p store.Page) ([]store.Group, string, error) {
	limit := pageLimit(p)
	after, err := decodeCursor(p.After)
	if err != nil {
		return nil, "", err
	}
	b := &builder{d: s.d}
	if after != "" {
		b.where("name > " + b.arg(after))
	}
	if f.Name != "" {
		b.where("name = " + b.arg(f.Name))
	}
	if f.UserID != "" {
		b.where("EXISTS (SELECT 1 FROM memberships m WHERE m.group_id = groups.id AND m.user_id = " + b.arg(f.UserID) + ")")
	}
	if f.Query != "" {
		q := strings.ToLower(f.Query)
		b.where("(" + b.prefix("name", q) + " OR " + b.prefix("friendly_name_lower", q) + ")")
	}
	sql := "SELECT " + groupCols + " FROM groups" + b.whereClause() + " ORDER BY name LIMIT " + strconv.Itoa(limit+1)
	groups, err := s.queryGroups(ctx, b.statement(sql), b.args)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(groups) > limit {
		groups = groups[:limit]
		next = encodeCursor(groups[limit-1].Name)
	}
	return groups, next, nil
}

func (s *Store) queryGroups(ctx context.Context, st statement, args []any) ([]store.Group, error) {
	groups, err := queryAll(ctx, s.read(), st, scanGroup, args...)
	return groups, err
}

// GetGroups returns the groups with these ids in the order given, leaving
// out missing ones; MemberIDs are not filled.
func (s *Store) GetGroups(ctx context.Context, ids []string) ([]store.Group, error) {
	out := []store.Group{}
	if len(ids) == 0 {
		return out, nil
	}
	gs, err := s.queryGroups(ctx, qGroupsByIDs, []any{s.d.idsArg(normIDs(ids))})
	if err != nil {
		return nil, err
	}
	return inIDOrder(out, gs, ids, func(g store.Group) string { return g.ID }), nil
}

// inIDOrder appends to out the items whose ids are in ids, in that order,
// leaving out ids no item has.
func inIDOrder[T any](out, items []T, ids []string, idOf func(T) string) []T {
	byID := make(map[string]T, len(items))
	for _, it := range items {
		byID[idOf(it)] = it
	}
	for _, id := range ids {
		if it, ok := byID[id]; ok {
			out = append(out, it)
		}
	}
	return out
}

// GroupLabels returns the groups' ids and names without counting their
// members; see store.Store.
func (s *Store) GroupLabels(ctx context.Context, ids []string) ([]store.GroupLabel, error) {
	out := []store.GroupLabel{}
	if len(ids) == 0 {
		return out, nil
	}
	ls, err := queryAll(ctx, s.read(), qGroupLabels, func(row interface{ Scan(...any) error }) (store.GroupLabel, error) {
		var l store.GroupLabel
		err := row.Scan(&l.ID, &l.Name, &l.FriendlyName)
		return l, err
	}, s.d.idsArg(normIDs(ids)))
	if err != nil {
		return nil, err
	}
	return inIDOrder(out, ls, ids, func(l store.GroupLabel) string { return l.ID }), nil
}

// GroupMembers returns the members of each group with their display
// names, reading each membership row and its user by primary key; see
// store.Searcher.
func (s *Store) GroupMembers(ctx context.Context, groupIDs []string) (map[string][]store.Member, error) {
	out := make(map[string][]store.Member, len(groupIDs))
	if len(groupIDs) == 0 {
		return out, nil
	}
	for _, id := range groupIDs {
		out[id] = []store.Member{}
	}
	c := s.read()
	rows, err := c.query(ctx, qMembersNamed, c.d.idsArg(normIDs(groupIDs)))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var gid, uid, username, display, first, last string
		if err := rows.Scan(&gid, &uid, &username, &display, &first, &last); err != nil {
			return nil, err
		}
		if display == "" {
			display = strings.TrimSpace(first + " " + last)
		}
		if display == "" {
			display = username
		}
		if ms, ok := out[gid]; ok {
			out[gid] = append(ms, store.Member{ID: uid, Display: display})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, ms := range out {
		slices.SortFunc(ms, func(a, b store.Member) int { return strings.Compare(a.ID, b.ID) })
	}
	return out, nil
}

// GroupMemberIDs returns the member ids of each group; see store.Store.
func (s *Store) GroupMemberIDs(ctx context.Context, groupIDs []string) (map[string][]string, error) {
	out := make(map[string][]string, len(groupIDs))
	if len(groupIDs) == 0 {
		return out, nil
	}
	for _, id := range groupIDs {
		out[id] = []string{}
	}
	c := s.read()
	rows, err := c.query(ctx, qMembersOf, c.d.idsArg(normIDs(groupIDs)))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var gid, uid string
		if err := rows.Scan(&gid, &uid); err != nil {
			return nil, err
		}
		if ids, ok := out[gid]; ok {
			out[gid] = append(ids, uid)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, ids := range out {
		slices.Sort(ids) // the index gives them by username
	}
	return out, nil
}
