package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rollcall/rollcall/internal/store"
)

// column is how a store.Field… is compared in SQL: the column, and whether
// values are lower-cased first because the column holds a lower-cased copy.
type column struct {
	sql   string
	lower bool
	kind  byte // 's' string, 't' time, 'b' bool, 'r' related id
}

var userColumns = map[string]column{
	store.FieldID:          {"users.id", false, 's'},
	store.FieldUsername:    {"users.username", true, 's'},
	store.FieldEmail:       {"users.email_lower", true, 's'},
	store.FieldExternalID:  {"users.external_id", false, 's'},
	store.FieldDisplayName: {"LOWER(users.display_name)", true, 's'},
	store.FieldFirstName:   {"users.first_name_lower", true, 's'},
	store.FieldLastName:    {"users.last_name_lower", true, 's'},
	store.FieldDisabled:    {"users.disabled", false, 'b'},
	store.FieldCreatedAt:   {"users.created_at", false, 't'},
	store.FieldUpdatedAt:   {"users.updated_at", false, 't'},
	store.FieldGroup:       {"SELECT 1 FROM memberships m WHERE m.user_id = users.id", false, 'r'},
}

var groupColumns = map[string]column{
	store.FieldID:          {"groups.id", false, 's'},
	store.FieldName:        {"groups.name", true, 's'},
	store.FieldDisplayName: {"groups.friendly_name_lower", true, 's'},
	store.FieldCreatedAt:   {"groups.created_at", false, 't'},
	store.FieldUpdatedAt:   {"groups.updated_at", false, 't'},
	store.FieldMember:      {"SELECT 1 FROM memberships m WHERE m.group_id = groups.id", false, 'r'},
}

// groupColumnsOf adds to groupColumns the group's external id, which is
// kept among its attributes (JSON text): groups are few, so a filter on it
// reads them all, in the dialect's JSON syntax.
func (d *dialect) groupColumnsOf() map[string]column {
	cols := make(map[string]column, len(groupColumns)+1)
	for k, v := range groupColumns {
		cols[k] = v
	}
	ext := "COALESCE(json_extract(groups.attributes, '$.external_id'), '')"
	if d.numbered {
		ext = "COALESCE(groups.attributes::jsonb ->> 'external_id', '')"
	}
	cols[store.FieldExternalID] = column{ext, false, 's'}
	return cols
}

// cond renders c as SQL over cols, its values as b's arguments.
func (b *builder) cond(c *store.Cond, cols map[string]column, related string) (string, error) {
	switch c.Op {
	case "and", "or":
		if len(c.Sub) == 0 {
			return "", fmt.Errorf("sqlstore: %s with nothing to join", c.Op)
		}
		parts := make([]string, len(c.Sub))
		for i := range c.Sub {
			p, err := b.cond(&c.Sub[i], cols, related)
			if err != nil {
				return "", err
			}
			parts[i] = p
		}
		return "(" + strings.Join(parts, " "+strings.ToUpper(c.Op)+" ") + ")", nil
	case "true":
		return "(1 = 1)", nil
	case "false":
		return "(1 = 0)", nil
	case "not":
		if len(c.Sub) != 1 {
			return "", fmt.Errorf("sqlstore: not takes one condition")
		}
		p, err := b.cond(&c.Sub[0], cols, related)
		if err != nil {
			return "", err
		}
		return "(NOT " + p + ")", nil
	}
	col, ok := cols[c.Field]
	if !ok {
		return "", fmt.Errorf("sqlstore: cannot search by %q", c.Field)
	}
	if col.kind == 'r' {
		switch c.Op {
		case "pr":
			return "EXISTS (" + col.sql + ")", nil
		case "eq":
			v, _ := c.Value.(string)
			return "EXISTS (" + col.sql + " AND m." + related + " = " + b.arg(v) + ")", nil
		}
		return "", fmt.Errorf("sqlstore: %s takes only eq and pr", c.Field)
	}
	if c.Op == "pr" {
		switch col.kind {
		case 's':
			return "(" + col.sql + " <> '')", nil
		default:
			return "(" + col.sql + " IS NOT NULL)", nil
		}
	}
	var arg any
	switch v := c.Value.(type) {
	case string:
		if col.kind != 's' {
			return "", fmt.Errorf("sqlstore: %s compares with a string", c.Field)
		}
		if col.lower {
			v = strings.ToLower(v)
		}
		arg = v
		switch c.Op {
		case "co":
			return "(" + b.d.contains(col.sql, b.arg(v)) + ")", nil
		case "sw":
			return b.prefix(col.sql, v), nil
		case "ew":
			// Each use is its own argument: SQLite's placeholders are positional.
			return "(LENGTH(" + col.sql + ") >= LENGTH(" + b.arg(v) + ") AND SUBSTR(" + col.sql + ", LENGTH(" + col.sql + ") - LENGTH(" +
				b.arg(v) + ") + 1) = " + b.arg(v) + ")", nil
		}
	case time.Time:
		if col.kind != 't' {
			return "", fmt.Errorf("sqlstore: %s does not compare with a time", c.Field)
		}
		arg = b.d.encodeTime(v.UTC().Truncate(time.Microsecond))
	case bool:
		if col.kind != 'b' || (c.Op != "eq" && c.Op != "ne") {
			return "", fmt.Errorf("sqlstore: %s does not compare with %s a boolean", c.Field, c.Op)
		}
		arg = v
	default:
		return "", fmt.Errorf("sqlstore: value %T of %s", c.Value, c.Field)
	}
	ops := map[string]string{"eq": "=", "ne": "<>", "gt": ">", "ge": ">=", "lt": "<", "le": "<="}
	op, ok := ops[c.Op]
	if !ok {
		return "", fmt.Errorf("sqlstore: %s does not apply to %s", c.Op, c.Field)
	}
	return "(" + col.sql + " " + op + " " + b.arg(arg) + ")", nil
}

// contains is "s contains sub" compared exactly: SQLite's LIKE ignores the
// case of ASCII letters, which externalId must not.
func (d *dialect) contains(s, sub string) string {
	if d.numbered {
		return "STRPOS(" + s + ", " + sub + ") > 0"
	}
	return "INSTR(" + s + ", " + sub + ") > 0"
}

func queryLimit(q store.Query) (int, error) {
	if q.Limit < 0 || q.Limit > 1000 || q.Offset < 0 {
		return 0, fmt.Errorf("sqlstore: limit %d offset %d out of range", q.Limit, q.Offset)
	}
	return q.Limit, nil
}

// SearchUsers returns the users matching q.Where by username, and how many
// match in all. Every field a client searches by often has an index
// (username, email_lower, external_id, last_name_lower, updated_at), so
// such a search reads only the matching rows.
func (s *Store) SearchUsers(ctx context.Context, q store.Query) ([]store.User, int, error) {
	cb, countSQL, pb, pageSQL, err := s.userSearch(q)
	if err != nil {
		return nil, 0, err
	}
	c := s.read()
	if !q.NoCount && q.After == "" && q.Limit > 0 {
		// The page first: one that is not full says how many match
		// without counting them, and nearly every SCIM lookup (userName
		// eq, externalId eq) finds one user or none.
		users, err := c.queryUsers(ctx, pb.statement(pageSQL), pb.args, q.Limit)
		if err != nil || len(users) < q.Limit && (len(users) > 0 || q.Offset == 0) {
			return users, q.Offset + len(users), err
		}
		total := 0
		err = c.queryRow(ctx, cb.statement(countSQL), cb.args, &total)
		return users, total, err
	}
	total := -1
	if !q.NoCount {
		if err := c.queryRow(ctx, cb.statement(countSQL), cb.args, &total); err != nil {
			return nil, 0, err
		}
	}
	if q.Limit == 0 {
		return []store.User{}, total, nil
	}
	users, err := c.queryUsers(ctx, pb.statement(pageSQL), pb.args, q.Limit)
	return users, total, err
}

// userSorts and groupSorts are the columns store.Query.SortBy may name,
// each the first column of an index whose next one is the tie-break.
// Those in mayLack hold the empty string for a resource without the
// value, which RFC 7644 §3.4.2.3 orders after every value: last when
// ascending, first when descending. So their order starts with whether the
// value is empty (false before true), and so do their indexes (migration
// 0023).
var (
	userSorts = map[string]string{
		"": "users.username", store.FieldUsername: "users.username", store.FieldID: "users.id",
		store.FieldLastName: "users.last_name_lower", store.FieldDisplayName: "users.display_sort",
		store.FieldUpdatedAt: "users.updated_at", store.FieldExternalID: "users.external_id",
	}
	groupSorts = map[string]string{
		"": "name", store.FieldName: "name", store.FieldID: "id", store.FieldDisplayName: "display_sort",
	}
	mayLack = map[string]bool{"users.last_name_lower": true, "users.display_sort": true, "users.external_id": true}
)

// orderBy is the ORDER BY list of a search sorted by sortBy (a key of
// sorts), then by tie (unique). plus marks the first column as not to be
// read from an index (SQLite, see userSearch).
func orderBy(sorts map[string]string, q store.Query, tie string, plus bool) (string, error) {
	col, ok := sorts[q.SortBy]
	if !ok {
		return "", fmt.Errorf("sqlstore: cannot sort by %q", q.SortBy)
	}
	if q.After != "" && col != tie {
		return "", fmt.Errorf("sqlstore: After with SortBy %q", q.SortBy)
	}
	dir := ""
	if q.Desc {
		dir = " DESC"
	}
	order := col + dir
	if mayLack[col] {
		order = "(" + col + " = '')" + dir + ", " + order
	}
	if plus {
		order = "+" + order
	}
	if col != tie && !strings.HasSuffix(col, ".id") && col != "id" {
		order += ", " + tie + dir
	}
	return order, nil
}

// userSearch builds SearchUsers' two statements: the count of all matches
// and the page, which may start after a username (keyset paging).
// The page is ordered by "+username" on SQLite when filtered: with a plain
// column SQLite may walk the whole username index to skip the sort, where
// the filter's own index finds the few matching rows at once; the unary
// plus tells it the order cannot come from an index. (PostgreSQL weighs
// both with its statistics and needs no hint.)
func (s *Store) userSearch(q store.Query) (cb *builder, countSQL string, pb *builder, pageSQL string, err error) {
	if _, err := queryLimit(q); err != nil {
		return nil, "", nil, "", err
	}
	cb, pb = &builder{d: s.d}, &builder{d: s.d}
	plus := false
	if q.Where != nil {
		for _, b := range []*builder{cb, pb} {
			w, err := b.cond(q.Where, userColumns, "group_id")
			if err != nil {
				return nil, "", nil, "", err
			}
			b.where(w)
		}
		plus = !s.d.numbered
	}
	order, err := orderBy(userSorts, q, "users.username", plus)
	if err != nil {
		return nil, "", nil, "", err
	}
	cmp := " > "
	if q.Desc {
		cmp = " < "
	}
	if q.After != "" {
		pb.where("users.username" + cmp + pb.arg(q.After))
	}
	countSQL = "SELECT COUNT(*) FROM users" + cb.whereClause()
	limit := " LIMIT " + strconv.Itoa(q.Limit) + " OFFSET " + strconv.Itoa(q.Offset)
	pageSQL = "SELECT " + s.d.userRow + " FROM users" + pb.whereClause() + " ORDER BY " + order + limit
	if q.Offset > 0 && s.d.numbered {
		// PostgreSQL computes the select list, groups subquery included,
		// for every row an OFFSET skips: a page at 500,000 took 7 s at a
		// million users. A deep page finds its usernames first, from the
		// index alone, then reads those rows (an InitPlan and one index
		// probe per row, whatever the table's size). SQLite skips rows
		// before computing them.
		pageSQL = "SELECT " + s.d.userRow + " FROM users WHERE users.username = ANY (ARRAY(SELECT users.username FROM users" +
			pb.whereClause() + " ORDER BY " + order + limit + ")) ORDER BY " + order
	}
	return cb, countSQL, pb, pageSQL, nil
}

// SearchGroups returns the groups matching q.Where by name (without
// MemberIDs), and how many match in all.
func (s *Store) SearchGroups(ctx context.Context, q store.Query) ([]store.Group, int, error) {
	limit, err := queryLimit(q)
	if err != nil {
		return nil, 0, err
	}
	b := &builder{d: s.d}
	if q.Where != nil {
		w, err := b.cond(q.Where, s.d.groupColumnsOf(), "user_id")
		if err != nil {
			return nil, 0, err
		}
		b.where(w)
	}
	total := -1
	if !q.NoCount {
		if err := s.read().queryRow(ctx, b.statement("SELECT COUNT(*) FROM groups"+b.whereClause()), b.args, &total); err != nil {
			return nil, 0, err
		}
		if q.After == "" && total <= q.Offset {
			return []store.Group{}, total, nil
		}
	}
	if limit == 0 {
		return []store.Group{}, total, nil
	}
	order, err := orderBy(groupSorts, q, "name", false)
	if err != nil {
		return nil, 0, err
	}
	cmp := " > "
	if q.Desc {
		cmp = " < "
	}
	if q.After != "" {
		b.where("name" + cmp + b.arg(q.After))
	}
	sql := "SELECT " + groupCols + " FROM groups" + b.whereClause() + " ORDER BY " + order + " LIMIT " +
		strconv.Itoa(limit) + " OFFSET " + strconv.Itoa(q.Offset)
	groups, err := s.queryGroups(ctx, b.statement(sql), b.args)
	return groups, total, err
}

var (
	qMembersAmong = scanning(idsStmt(`SELECT user_id FROM memberships WHERE group_id = ? AND user_id IN (?...)`))
	// qRemoveAllMembers, qRemoveMembersNotAmong and qAddMissingMembers make
	// a group's member list whole in the database, each returning the ids
	// it removed or added (for the audit event and the version bumps).
	// qAddMissingMembers looks up only the users of the list who are not
	// members yet: the list is compared with the group's rows of the
	// memberships index in one pass (SQLite builds a temporary index of
	// them, PostgreSQL hashes them) rather than probing the users table
	// and the memberships key for each of the 50,000 of a large group.
	qRemoveAllMembers      = stmt(`DELETE FROM memberships WHERE group_id = ? RETURNING user_id`)
	qRemoveMembersNotAmong = notInIDsStmt(`DELETE FROM memberships WHERE group_id = ? AND user_id NOT IN (?...) RETURNING user_id`)
	qAddMissingMembers     = dialectStmt(
		`INSERT INTO memberships (user_id, group_id, username) SELECT id, ?, username FROM users WHERE id IN
 (SELECT value FROM json_each(?) WHERE value NOT IN (SELECT user_id FROM memberships WHERE group_id = ?))
 ON CONFLICT DO NOTHING RETURNING user_id`,
		`INSERT INTO memberships (user_id, group_id, username) SELECT id, ?, username FROM users WHERE id IN
 (SELECT u FROM unnest(?::text[]) AS u WHERE u NOT IN (SELECT user_id FROM memberships WHERE group_id = ?))
 ON CONFLICT DO NOTHING RETURNING user_id`)
)

// groupForMembers takes the membership lock and the group's row lock and
// reads the group (without MemberIDs), checking ifVersion.
func (c *conn) groupForMembers(ctx context.Context, groupID string, ifVersion int64) (store.Group, error) {
	if err := c.lockMemberships(ctx); err != nil {
		return store.Group{}, err
	}
	g, err := c.groupRow(ctx, qGroupForUpdate, groupID)
	if err != nil {
		return store.Group{}, err
	}
	if ifVersion > 0 && g.Version != ifVersion {
		return store.Group{}, store.ErrPreconditionFailed
	}
	return g, nil
}

// PatchGroupMembers removes then adds members of one group, touching only
// the membership rows of the ids given: a SCIM PATCH that adds 1,000
// people to a group of 50,000 neither reads nor rewrites the 50,000. The
// audit event records the ids added and removed rather than whole lists.
// Adding a missing user fails the whole change with a *ReferenceError.
func (s *Store) PatchGroupMembers(ctx context.Context, groupID string, ifVersion int64, add, remove []string, m store.Meta) (store.Group, error) {
	add, remove = normIDs(add), normIDs(remove)
	var result store.Group
	err := s.write(ctx, func(c *conn) error {
		g, err := c.groupForMembers(ctx, groupID, ifVersion)
		if err != nil {
			return err
		}
		var removed, added []string
		if len(remove) > 0 {
			if removed, err = c.ids(ctx, qMembersAmong, g.ID, c.d.idsArg(remove)); err != nil {
				return err
			}
			if len(removed) > 0 {
				if _, err := c.exec(ctx, qRemoveMembers, g.ID, c.d.idsArg(removed)); err != nil {
					return err
				}
			}
		}
		if len(add) > 0 {
			if err := c.checkRefs(ctx, "user", "users", add); err != nil {
				return err
			}
			present, err := c.ids(ctx, qMembersAmong, g.ID, c.d.idsArg(add))
			if err != nil {
				return err
			}
			for _, id := range add {
				if !slices.Contains(present, id) {
					added = append(added, id)
				}
			}
			if err := c.addMembers(ctx, g.ID, added); err != nil {
				return err
			}
		}
		result, err = s.membersChanged(ctx, c, g, added, normIDs(removed), m)
		return err
	})
	if err != nil {
		return store.Group{}, err
	}
	return result, nil
}

// SetGroupMembers makes userIDs the group's whole member list with one
// DELETE of the members not among them (of all members, when userIDs is
// empty) and one INSERT of those missing, so a PUT of a group of 50,000
// that changes two members reads and writes the rows of those two. The
// audit event, like PatchGroupMembers', records the ids added and removed.
func (s *Store) SetGroupMembers(ctx context.Context, groupID string, ifVersion int64, userIDs []string, m store.Meta) (store.Group, error) {
	ids := normIDs(userIDs)
	var result store.Group
	err := s.write(ctx, func(c *conn) error {
		g, err := c.groupForMembers(ctx, groupID, ifVersion)
		if err != nil {
			return err
		}
		var removed, added []string
		if len(ids) == 0 {
			removed, err = c.ids(ctx, qRemoveAllMembers, g.ID)
		} else {
			removed, err = c.ids(ctx, qRemoveMembersNotAmong, g.ID, c.d.idsArg(ids))
		}
		if err != nil {
			return err
		}
		if len(ids) > 0 {
			if added, err = c.ids(ctx, qAddMissingMembers, g.ID, c.d.idsArg(ids), g.ID); err != nil {
				return err
			}
		}
		// Every id now names a member unless some user does not exist:
		// only then are the ids looked up, to name the missing ones (the
		// error rolls the change back).
		if g.MemberCount-len(removed)+len(added) != len(ids) {
			if err := c.checkRefs(ctx, "user", "users", ids); err != nil {
				return err
			}
			return fmt.Errorf("sqlstore: group %s has %d members after the change, want %d", g.ID, g.MemberCount-len(removed)+len(added), len(ids))
		}
		result, err = s.membersChanged(ctx, c, g, normIDs(added), normIDs(removed), m)
		return err
	})
	if err != nil {
		return store.Group{}, err
	}
	return result, nil
}

// membersChanged finishes a change of group g's members that added and
// removed these users (sorted): it bumps their versions and the group's,
// and records the ids in the audit event. With nothing changed it writes
// nothing and returns g.
func (s *Store) membersChanged(ctx context.Context, c *conn, g store.Group, added, removed []string, m store.Meta) (store.Group, error) {
	if len(added)+len(removed) == 0 {
		return g, nil
	}
	now := s.now()
	if err := c.bump(ctx, "users", append(slices.Clone(added), removed...), now); err != nil {
		return store.Group{}, err
	}
	result := g
	result.Version++
	result.UpdatedAt = now
	result.MemberCount += len(added) - len(removed)
	if _, err := c.exec(ctx, qSetGroupVersion, result.Version, c.t(now), g.ID); err != nil {
		return store.Group{}, err
	}
	c.markBumped("groups", g.ID)
	var before, after json.RawMessage
	if len(removed) > 0 {
		before = idsJSON("members-removed", removed)
	}
	if len(added) > 0 {
		after = idsJSON("members-added", added)
	}
	return result, c.audit(ctx, m, now, event{action: "group.members.update", targetType: "group", targetID: g.ID,
		targetName: g.Name, before: before, after: after})
}
