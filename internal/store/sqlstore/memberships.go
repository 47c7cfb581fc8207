package sqlstore

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	"github.com/rollcall/rollcall/internal/store"
)

var (
	qSetUserVersion  = stmt(`UPDATE users SET version = ?, updated_at = ? WHERE id = ?`)
	qSetGroupVersion = stmt(`UPDATE groups SET version = ?, updated_at = ? WHERE id = ?`)
)

// setMemberships adds and removes one user's groups, checking that the
// added groups exist and bumping the version of every group touched. The
// caller bumps the user.
func (c *conn) setMemberships(ctx context.Context, userID, username string, added, removed []string, now time.Time) error {
	if err := c.checkRefs(ctx, "group", "groups", added); err != nil {
		return err
	}
	if len(removed) > 0 {
		if _, err := c.exec(ctx, qLeaveGroups, userID, c.d.idsArg(removed)); err != nil {
			return err
		}
	}
	if err := c.joinGroups(ctx, userID, username, added); err != nil {
		return err
	}
	return c.bump(ctx, "groups", append(slices.Clone(added), removed...), now)
}

// joinGroups adds one user to groups (which exist).
func (c *conn) joinGroups(ctx context.Context, userID, username string, groupIDs []string) error {
	if len(groupIDs) == 0 {
		return nil
	}
	if c.d.batchMemberships {
		_, err := c.exec(ctx, qJoinGroups, userID, username, c.d.idsArg(groupIDs))
		return err
	}
	for _, g := range groupIDs {
		if _, err := c.exec(ctx, qInsertMembership, userID, g, username); err != nil {
			return err
		}
	}
	return nil
}

// addMembers adds users (who exist) to one group.
func (c *conn) addMembers(ctx context.Context, groupID string, userIDs []string) error {
	if len(userIDs) == 0 {
		return nil
	}
	if c.d.batchMemberships {
		_, err := c.exec(ctx, qAddMembers, groupID, c.d.idsArg(userIDs))
		return err
	}
	for _, u := range userIDs {
		if _, err := c.exec(ctx, qInsertMemberByID, groupID, u); err != nil {
			return err
		}
	}
	return nil
}

// setMembers adds and removes one group's members; see setMemberships.
func (c *conn) setMembers(ctx context.Context, groupID string, added, removed []string, now time.Time) error {
	if err := c.checkRefs(ctx, "user", "users", added); err != nil {
		return err
	}
	if len(removed) > 0 {
		if _, err := c.exec(ctx, qRemoveMembers, groupID, c.d.idsArg(removed)); err != nil {
			return err
		}
	}
	if err := c.addMembers(ctx, groupID, added); err != nil {
		return err
	}
	return c.bump(ctx, "users", append(slices.Clone(added), removed...), now)
}

// applyOp computes the new sorted set from the current one.
func applyOp(cur []string, op store.MembershipOp, ids []string) []string {
	ids = normIDs(ids)
	switch op {
	case store.MembershipAdd:
		return normIDs(append(slices.Clone(cur), ids...))
	case store.MembershipRemove:
		out := []string{}
		for _, id := range cur {
			if _, found := slices.BinarySearch(ids, id); !found {
				out = append(out, id)
			}
		}
		return out
	default:
		return ids
	}
}

// idsJSON is {"<key>": [ids]} for the audit log.
func idsJSON(key string, ids []string) json.RawMessage {
	b, _ := json.Marshal(map[string][]string{key: ids})
	return b
}

// ChangeUserGroups changes a user's groups; see store.Store. A change that
// changes nothing is not written or audited.
func (s *Store) ChangeUserGroups(ctx context.Context, userID string, ifVersion int64, op store.MembershipOp, groupIDs []string, m store.Meta) (store.User, error) {
	var result store.User
	err := s.write(ctx, func(c *conn) error {
		if err := c.lockMemberships(ctx); err != nil {
			return err
		}
		u, err := s.loadUser(ctx, c, qUserForUpdate, userID)
		if err != nil {
			return err
		}
		if ifVersion > 0 && u.Version != ifVersion {
			return store.ErrPreconditionFailed
		}
		old := u.GroupIDs
		u.GroupIDs = applyOp(old, op, groupIDs)
		added, removed := diffIDs(old, u.GroupIDs)
		if len(added)+len(removed) == 0 {
			result = u
			return nil
		}
		now := s.now()
		if err := c.setMemberships(ctx, u.ID, u.Username, added, removed, now); err != nil {
			return err
		}
		u.Version++
		u.UpdatedAt = now
		if _, err := c.exec(ctx, qSetUserVersion, u.Version, c.t(now), u.ID); err != nil {
			return err
		}
		c.markBumped("users", u.ID)
		result = u
		return c.audit(ctx, m, now, event{action: "user.groups.update", targetType: "user", targetID: u.ID,
			targetName: u.Username, before: idsJSON("groups", old), after: idsJSON("groups", u.GroupIDs)})
	})
	if err != nil {
		return store.User{}, err
	}
	return result, nil
}

// ChangeGroupMembers changes a group's members; see store.Store.
func (s *Store) ChangeGroupMembers(ctx context.Context, groupID string, ifVersion int64, op store.MembershipOp, userIDs []string, m store.Meta) (store.Group, error) {
	var result store.Group
	err := s.write(ctx, func(c *conn) error {
		if err := c.lockMemberships(ctx); err != nil {
			return err
		}
		g, err := s.loadGroup(ctx, c, qGroupForUpdate, groupID)
		if err != nil {
			return err
		}
		if ifVersion > 0 && g.Version != ifVersion {
			return store.ErrPreconditionFailed
		}
		old := g.MemberIDs
		g.MemberIDs = applyOp(old, op, userIDs)
		added, removed := diffIDs(old, g.MemberIDs)
		if len(added)+len(removed) == 0 {
			result = g
			return nil
		}
		now := s.now()
		if err := c.setMembers(ctx, g.ID, added, removed, now); err != nil {
			return err
		}
		g.Version++
		g.UpdatedAt = now
		if _, err := c.exec(ctx, qSetGroupVersion, g.Version, c.t(now), g.ID); err != nil {
			return err
		}
		c.markBumped("groups", g.ID)
		g.MemberCount = len(g.MemberIDs)
		result = g
		return c.audit(ctx, m, now, event{action: "group.members.update", targetType: "group", targetID: g.ID,
			targetName: g.Name, before: idsJSON("members", old), after: idsJSON("members", g.MemberIDs)})
	})
	if err != nil {
		return store.Group{}, err
	}
	return result, nil
}
