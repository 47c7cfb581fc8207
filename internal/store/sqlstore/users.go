package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/rollcall/rollcall/internal/store"
)

const userCols = `id, username, email, email_verified, first_name, last_name, display_name, locale,
 is_admin, disabled, service_account, phone, mobile, title, department, avatar_url, external_id,
 external_source, attributes, passkey_count, last_sign_in_at, version, created_at, updated_at`

var (
	qInsertUser = stmt(`INSERT INTO users (` + userCols + `, email_lower, first_name_lower, last_name_lower)
 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	qUpdateUser = stmt(`UPDATE users SET username = ?, email = ?, email_lower = ?, email_verified = ?,
 first_name = ?, first_name_lower = ?, last_name = ?, last_name_lower = ?, display_name = ?, locale = ?,
 is_admin = ?, disabled = ?, service_account = ?, phone = ?, mobile = ?, title = ?, department = ?,
 avatar_url = ?, external_id = ?, external_source = ?, attributes = ?, version = ?, updated_at = ?
 WHERE id = ?`)
	// A user with its group ids: one statement instead of two.
	qUserByID         = userStmt(`SELECT {user} FROM users WHERE id = ?`, false)
	qUserForUpdate    = userStmt(`SELECT {user} FROM users WHERE id = ?`, true)
	qUserByUsername   = userStmt(`SELECT {user} FROM users WHERE username = ?`, false)
	qDeleteUser       = stmt(`DELETE FROM users WHERE id = ?`)
	qInsertMembership = stmt(`INSERT INTO memberships (user_id, group_id, username) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`)
	qInsertMemberByID = stmt(`INSERT INTO memberships (user_id, group_id, username) SELECT id, ?, username FROM users WHERE id = ? ON CONFLICT DO NOTHING`)
	// One statement for all of a change's memberships, from either side.
	qJoinGroups    = idsStmt(`INSERT INTO memberships (user_id, group_id, username) SELECT ?, id, ? FROM groups WHERE id IN (?...) ON CONFLICT DO NOTHING`)
	qLeaveGroups   = idsStmt(`DELETE FROM memberships WHERE user_id = ? AND group_id IN (?...)`)
	qAddMembers    = idsStmt(`INSERT INTO memberships (user_id, group_id, username) SELECT id, ?, username FROM users WHERE id IN (?...) ON CONFLICT DO NOTHING`)
	qRemoveMembers = idsStmt(`DELETE FROM memberships WHERE group_id = ? AND user_id IN (?...)`)
	qRenameMember  = stmt(`UPDATE memberships SET username = ? WHERE user_id = ?`)
	qCountUsers    = scanning(stmt(`SELECT COUNT(*) FROM users`))
	qCountAdmins   = stmt(`SELECT COUNT(*) FROM users WHERE is_admin AND NOT disabled`)
)

// userDest is where the userCols of one row are scanned into.
func userDest(u *store.User) []any {
	dest := make([]any, 0, 25) // room for the group ids
	return append(dest, &u.ID, &u.Username, &u.Email, &u.EmailVerified, &u.FirstName, &u.LastName,
		&u.DisplayName, &u.Locale, &u.IsAdmin, &u.Disabled, &u.ServiceAccount, &u.Phone, &u.Mobile,
		&u.Title, &u.Department, &u.AvatarURL, &u.ExternalID, &u.ExternalSource, attrCol{&u.Attributes},
		&u.PasskeyCount, nullTimeCol{&u.LastSignInAt}, &u.Version, timeCol{&u.CreatedAt}, timeCol{&u.UpdatedAt})
}

// userFields are the audited attributes of a user.
func userFields(u *store.User) []field {
	return []field{
		{"username", u.Username},
		{"email", u.Email},
		{"email-verified", u.EmailVerified},
		{"first-name", opt(u.FirstName)},
		{"last-name", opt(u.LastName)},
		{"display-name", opt(u.DisplayName)},
		{"locale", opt(u.Locale)},
		{"is-admin", u.IsAdmin},
		{"disabled", u.Disabled},
		{"service-account", u.ServiceAccount},
		{"phone", opt(u.Phone)},
		{"mobile", opt(u.Mobile)},
		{"title", opt(u.Title)},
		{"department", opt(u.Department)},
		{"avatar-url", opt(u.AvatarURL)},
		{"external-id", opt(u.ExternalID)},
		{"external-source", opt(u.ExternalSource)},
		{"attributes", u.Attributes},
		{"groups", u.GroupIDs},
	}
}

// normUser makes the collections of u canonical: sorted, never nil.
func normUser(u *store.User) {
	u.GroupIDs = normIDs(u.GroupIDs)
	if u.Attributes == nil {
		u.Attributes = map[string]string{}
	}
}

// cloneUser copies u so that a mutate function cannot change the original.
func cloneUser(u store.User) store.User {
	u.Attributes = maps.Clone(u.Attributes)
	u.GroupIDs = slices.Clone(u.GroupIDs)
	u.LastSignInAt = truncTime(u.LastSignInAt)
	return u
}

// CreateUser inserts u with its memberships; see store.Store. Outside a
// transaction, concurrent calls are written together (groupcommit.go).
func (s *Store) CreateUser(ctx context.Context, u store.User, m store.Meta) (store.User, error) {
	if s.tx == nil {
		return s.createGrouped(ctx, u, m)
	}
	now := s.now()
	u.ID = newID(u.ID)
	normUser(&u)
	u.PasskeyCount = 0
	u.LastSignInAt = nil
	u.Version = 1
	u.CreatedAt, u.UpdatedAt = now, now
	err := s.write(ctx, func(c *conn) error {
		if len(u.GroupIDs) > 0 {
			if err := c.lockMemberships(ctx); err != nil {
				return err
			}
		}
		if err := c.checkRefs(ctx, "group", "groups", u.GroupIDs); err != nil {
			return err
		}
		if _, err := c.exec(ctx, qInsertUser, u.ID, u.Username, u.Email, u.EmailVerified, u.FirstName,
			u.LastName, u.DisplayName, u.Locale, u.IsAdmin, u.Disabled, u.ServiceAccount, u.Phone, u.Mobile,
			u.Title, u.Department, u.AvatarURL, u.ExternalID, u.ExternalSource, encodeAttrs(u.Attributes),
			0, nil, u.Version, c.t(now), c.t(now),
			strings.ToLower(u.Email), strings.ToLower(u.FirstName), strings.ToLower(u.LastName)); err != nil {
			return err
		}
		if err := c.joinGroups(ctx, u.ID, u.Username, u.GroupIDs); err != nil {
			return err
		}
		if err := c.bump(ctx, "groups", u.GroupIDs, now); err != nil {
			return err
		}
		return c.audit(ctx, m, now, event{action: "user.create", targetType: "user", targetID: u.ID,
			targetName: u.Username, after: snapshot(userFields(&u))})
	})
	if err != nil {
		return store.User{}, err
	}
	return u, nil
}

// loadUser reads a user with its groups by one of the statements made by
// withGroupsStmt; qUserForUpdate takes the row lock that a
// read-modify-write needs on PostgreSQL.
func (s *Store) loadUser(ctx context.Context, c *conn, q statement, arg string) (store.User, error) {
	var u store.User
	err := c.queryRow(ctx, q, []any{arg}, c.d.userScan(&u)...)
	return u, err
}

// idsCol scans a JSON array of ids, such as the group ids subqueries
// (dialect.go) give, sorted; the result is never nil.
type idsCol struct{ ids *[]string }

func (x idsCol) Scan(v any) error {
	var s string
	switch v := v.(type) {
	case string:
		s = v // the ids can share its memory
	case []byte:
		s = string(v) // the driver may reuse v
	case nil:
	default:
		return fmt.Errorf("sqlstore: cannot read %T as a list of ids", v)
	}
	ids, ok := plainIDs(s)
	if !ok {
		ids = []string{}
		if err := json.Unmarshal([]byte(s), &ids); err != nil {
			return fmt.Errorf("sqlstore: group ids are not a JSON array of strings: %w", err)
		}
	}
	slices.Sort(ids) // already in order; a sorted slice costs one pass
	*x.ids = ids
	return nil
}

// plainIDs reads a JSON array of strings without escapes or non-ASCII
// text, as the group ids subqueries give for ids (["a","b"] on SQLite, ["a", "b"] on
// PostgreSQL), without a JSON decoder: a page of users reads one per
// user. The ids are substrings of s. ok is false for anything else,
// which the caller hands to encoding/json.
func plainIDs(s string) (ids []string, ok bool) {
	if s == "" || s == "[]" {
		return []string{}, true
	}
	if len(s) < 2 || s[0] != '[' || s[len(s)-1] != ']' {
		return nil, false
	}
	ids = make([]string, 0, strings.Count(s, ",")+1)
	for i := 1; ; {
		for i < len(s) && s[i] == ' ' {
			i++
		}
		if i >= len(s) || s[i] != '"' {
			return nil, false
		}
		start := i + 1
		for i = start; i < len(s) && s[i] != '"'; i++ {
			if c := s[i]; c == '\\' || c < 0x20 || c >= 0x80 {
				return nil, false
			}
		}
		if i >= len(s) {
			return nil, false
		}
		ids = append(ids, s[start:i])
		for i++; i < len(s) && s[i] == ' '; i++ {
		}
		switch {
		case i < len(s) && s[i] == ',':
			i++
		case i == len(s)-1: // the closing ]
			return ids, true
		default:
			return nil, false
		}
	}
}

// ids runs a query returning one id column.
func (c *conn) ids(ctx context.Context, q statement, args ...any) ([]string, error) {
	rows, err := c.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// GetUser returns the user with this id.
func (s *Store) GetUser(ctx context.Context, id string) (store.User, error) {
	return s.loadUser(ctx, s.read(), qUserByID, id)
}

// GetUserByUsername returns the user with this (normalised) username.
func (s *Store) GetUserByUsername(ctx context.Context, username string) (store.User, error) {
	return s.loadUser(ctx, s.read(), qUserByUsername, username)
}

// UpdateUser changes a user in a transaction; see store.Store. PasskeyCount
// and LastSignInAt are kept by the passkey code and ignored here, like the
// ID, Version and timestamps.
func (s *Store) UpdateUser(ctx context.Context, id string, ifVersion int64, mutate func(*store.User) error, m store.Meta) (store.User, error) {
	var result store.User
	err := s.write(ctx, func(c *conn) error {
		old, err := s.loadUser(ctx, c, qUserForUpdate, id)
		if err != nil {
			return err
		}
		if ifVersion > 0 && old.Version != ifVersion {
			return store.ErrPreconditionFailed
		}
		u := cloneUser(old)
		if err := mutate(&u); err != nil {
			return err
		}
		u.ID, u.Version, u.CreatedAt, u.UpdatedAt = old.ID, old.Version, old.CreatedAt, old.UpdatedAt
		u.PasskeyCount, u.LastSignInAt = old.PasskeyCount, old.LastSignInAt
		normUser(&u)
		before, after := diff(userFields(&old), userFields(&u))
		if after == nil {
			result = old
			return nil
		}
		removesAdmin := enabledAdmin(&old) && !enabledAdmin(&u)
		if removesAdmin {
			if err := c.lockMembershipsLate(ctx); err != nil {
				return err
			}
		}
		now := s.now()
		if added, removed := diffIDs(old.GroupIDs, u.GroupIDs); len(added)+len(removed) > 0 {
			if err := c.lockMembershipsLate(ctx); err != nil {
				return err
			}
			if err := c.setMemberships(ctx, u.ID, u.Username, added, removed, now); err != nil {
				return err
			}
		}
		if u.Username != old.Username {
			if _, err := c.exec(ctx, qRenameMember, u.Username, u.ID); err != nil {
				return err
			}
		}
		u.Version, u.UpdatedAt = old.Version+1, now
		if _, err := c.exec(ctx, qUpdateUser, u.Username, u.Email, strings.ToLower(u.Email), u.EmailVerified,
			u.FirstName, strings.ToLower(u.FirstName), u.LastName, strings.ToLower(u.LastName), u.DisplayName,
			u.Locale, u.IsAdmin, u.Disabled, u.ServiceAccount, u.Phone, u.Mobile, u.Title, u.Department,
			u.AvatarURL, u.ExternalID, u.ExternalSource, encodeAttrs(u.Attributes), u.Version, c.t(now), u.ID); err != nil {
			return err
		}
		c.markBumped("users", u.ID)
		if u.Disabled && !old.Disabled {
			// A disabled person cannot sign in: their browser sessions
			// end, and the applications they signed in to are told.
			if err := c.queueLogouts(ctx, now, byUser, u.ID); err != nil {
				return err
			}
			if _, err := c.exec(ctx, qEndAllSessions, u.ID); err != nil {
				return err
			}
		}
		if removesAdmin {
			if err := c.requireAdmin(ctx); err != nil {
				return err
			}
		}
		result = u
		return c.audit(ctx, m, now, event{action: "user.update", targetType: "user", targetID: u.ID,
			targetName: u.Username, before: before, after: after})
	})
	if err != nil {
		return store.User{}, err
	}
	return result, nil
}

// DeleteUser removes a user; the database cascades to its memberships,
// tokens and everything else that references it.
func (s *Store) DeleteUser(ctx context.Context, id string, ifVersion int64, m store.Meta) error {
	return s.write(ctx, func(c *conn) error {
		if err := c.lockMemberships(ctx); err != nil {
			return err
		}
		old, err := s.loadUser(ctx, c, qUserForUpdate, id)
		if err != nil {
			return err
		}
		if ifVersion > 0 && old.Version != ifVersion {
			return store.ErrPreconditionFailed
		}
		now := s.now()
		if err := c.bump(ctx, "groups", old.GroupIDs, now); err != nil {
			return err
		}
		// The queue keeps what the logout tokens need after the person
		// and their sessions are gone.
		if err := c.queueLogouts(ctx, now, byUser, id); err != nil {
			return err
		}
		if _, err := c.exec(ctx, qDeleteUser, id); err != nil {
			return err
		}
		c.forget("users", id)
		if enabledAdmin(&old) {
			if err := c.requireAdmin(ctx); err != nil {
				return err
			}
		}
		return c.audit(ctx, m, now, event{action: "user.delete", targetType: "user", targetID: id,
			targetName: old.Username, before: snapshot(userFields(&old))})
	})
}

// ListUsers returns a page of users ordered by username; with a Query,
// in the order searchUsers explains.
func (s *Store) ListUsers(ctx context.Context, f store.UserFilter, p store.Page) ([]store.User, string, error) {
	limit := pageLimit(p)
	if f.Query != "" {
		return s.searchUsers(ctx, f, p.After, limit)
	}
	after, err := decodeCursor(p.After)
	if err != nil {
		return nil, "", err
	}
	c := s.read()
	b := &builder{d: s.d}
	from, order := "users", "users.username"
	if f.GroupID != "" {
		// A group's members, in username order from the memberships index.
		// (CROSS JOIN fixes the join order on SQLite; PostgreSQL plans it.)
		from, order = "memberships m CROSS JOIN users", "m.username"
		b.where("m.group_id = " + b.arg(f.GroupID) + " AND users.id = m.user_id")
	}
	if after != "" {
		b.where(order + " > " + b.arg(after))
	}
	b.userFilters(f)
	sql := "SELECT " + s.d.userRow + " FROM " + from + b.whereClause() + " ORDER BY " + order + " LIMIT " + strconv.Itoa(limit+1)
	users, err := c.queryUsers(ctx, b.statement(sql), b.args, limit+1)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(users) > limit {
		users = users[:limit]
		next = encodeCursor(users[limit-1].Username)
	}
	return users, next, nil
}

// qualifiedUserCols are userCols named with their table, as a query that
// joins memberships needs.
var qualifiedUserCols = "users." + strings.ReplaceAll(strings.ReplaceAll(userCols, "\n", ""), ", ", ", users.")

// userFilters adds the exact-match filters of f.
func (b *builder) userFilters(f store.UserFilter) {
	if f.Username != "" {
		b.where("users.username = " + b.arg(f.Username))
	}
	if f.Email != "" {
		b.where("users.email_lower = " + b.arg(strings.ToLower(f.Email)))
	}
	if f.ExternalID != "" {
		b.where("users.external_id = " + b.arg(f.ExternalID))
	}
}

// queryUsers runs a query selecting the dialect's userRow and scans the
// users. Reading each user's groups with a correlated subquery on the
// memberships primary key costs less than a second query for the page's
// memberships and a map to sort them out.
// Rows are scanned into one user and copied out, with the slice sized for
// the page (limit rows), so a row costs only what its values do.
func (c *conn) queryUsers(ctx context.Context, st statement, args []any, limit int) ([]store.User, error) {
	rows, err := c.query(ctx, st, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	users := make([]store.User, 0, limit)
	var u store.User
	dest := c.d.userScan(&u)
	for rows.Next() {
		u = store.User{}
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		users = append(users, u)
	}
	return users, rows.Err()
}

// searchCursor is where a search page ended: the field (index into
// searchFields), its value and the username of the last user.
type searchCursor struct {
	Phase    int    `json:"p"`
	Key      string `json:"k"`
	Username string `json:"u"`
}

// searchFields are the columns a Query matches, in the order searchUsers
// returns their matches.
var searchFields = []string{"username", "email_lower", "first_name_lower", "last_name_lower"}

// searchUsers returns users whose username, email, first or last name
// starts with f.Query (case-insensitively): first those whose username
// matches, by username; then those whose email matches, by email; then
// first name, then last name, each by name and username. Each user comes
// once, under the first field that matches.
//
// Ordering all matches by username would need every match found and
// sorted before the first page (a one-letter query matches a fifth of the
// users), or a walk through all users in username order. In this order
// every page is a range scan of one index from where the last page ended,
// so it costs about the same at a million users as at a hundred; the
// users a later field skips because an earlier one matched were each
// returned before, so paging to the end stays linear.
func (s *Store) searchUsers(ctx context.Context, f store.UserFilter, after string, limit int) ([]store.User, string, error) {
	q := strings.ToLower(f.Query)
	// cur is where the page starts; nil on the first page.
	var cur *searchCursor
	phase := 0
	if after != "" {
		raw, err := decodeCursor(after)
		if err != nil {
			return nil, "", err
		}
		cur = &searchCursor{}
		if json.Unmarshal([]byte(raw), cur) != nil || cur.Phase < 0 || cur.Phase >= len(searchFields) || cur.Username == "" ||
			strings.ContainsRune(cur.Key+cur.Username, 0) { // PostgreSQL text cannot hold NUL
			return nil, "", store.ErrInvalidCursor
		}
		phase = cur.Phase
	}
	c := s.read()
	var users []store.User
	var phases []int
	for ph := phase; ph < len(searchFields) && len(users) <= limit; ph++ {
		if ph > phase {
			cur = nil // later phases start at their beginning
		}
		b, sql := s.searchPhase(f, q, ph, cur, limit+1-len(users))
		us, err := c.queryUsers(ctx, b.statement(sql), b.args, limit+1-len(users))
		if err != nil {
			return nil, "", err
		}
		users = append(users, us...)
		for range us {
			phases = append(phases, ph)
		}
	}
	if users == nil {
		users = []store.User{}
	}
	next := ""
	if len(users) > limit {
		users = users[:limit]
		last := limit - 1
		b, _ := json.Marshal(searchCursor{Phase: phases[last], Key: searchKey(&users[last], phases[last]), Username: users[last].Username})
		next = encodeCursor(string(b))
	}
	return users, next, nil
}

// searchPhase builds the statement for phase ph of a search for the
// lower-cased prefix q: users matched by searchFields[ph] and by no
// earlier field, after cur when the page starts in this phase, in that
// field's index order.
func (s *Store) searchPhase(f store.UserFilter, q string, ph int, cur *searchCursor, limit int) (*builder, string) {
	col := searchFields[ph]
	b := &builder{d: s.d}
	b.where(b.prefixScan(col, q))
	for _, earlier := range searchFields[:ph] {
		b.where("NOT " + b.prefix(earlier, q))
	}
	order := col + ", username"
	if ph <= 1 {
		order = col // unique
	}
	if cur != nil {
		if ph <= 1 {
			b.where(col + " > " + b.arg(cur.Key))
		} else {
			b.where("(" + col + ", username) > (" + b.arg(cur.Key) + ", " + b.arg(cur.Username) + ")")
		}
	}
	b.userFilters(f)
	if f.GroupID != "" {
		b.where("EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = users.id AND m.group_id = " + b.arg(f.GroupID) + ")")
	}
	return b, "SELECT " + s.d.userRow + " FROM users" + b.whereClause() + " ORDER BY " + order + " LIMIT " + strconv.Itoa(limit)
}

// searchKey is the value of searchFields[phase] of u, where a search page
// that ends at u goes on from. The stored *_lower columns are
// strings.ToLower of their fields, written so by every insert and update,
// so it is computed here rather than read as one more column per row.
func searchKey(u *store.User, phase int) string {
	switch searchFields[phase] {
	case "username":
		return u.Username
	case "email_lower":
		return strings.ToLower(u.Email)
	case "first_name_lower":
		return strings.ToLower(u.FirstName)
	default: // "last_name_lower"
		return strings.ToLower(u.LastName)
	}
}

// CountUsers counts all users.
func (s *Store) CountUsers(ctx context.Context) (int, error) {
	var n int
	err := s.read().queryRow(ctx, qCountUsers, nil, &n)
	return n, err
}

// enabledAdmin reports whether u counts towards the last-admin rule.
func enabledAdmin(u *store.User) bool { return u.IsAdmin && !u.Disabled }

// requireAdmin fails with store.ErrLastAdmin when the transaction has
// left no enabled admin, after a change that removed one; the caller rolls
// it back. The change holds the membership lock (PostgreSQL), which every
// change that removes an enabled admin takes before it counts, so of two
// such changes racing, the second counts only after the first has
// committed, and under READ COMMITTED its count sees that commit. (Under
// REPEATABLE READ or SERIALIZABLE as the database's default the count
// would read the transaction's first snapshot; Rollcall's transactions
// rely on PostgreSQL's default, READ COMMITTED.) SQLite has one writer,
// whose transactions begin IMMEDIATE, so they run one at a time anyway.
func (c *conn) requireAdmin(ctx context.Context) error {
	var n int
	if err := c.queryRow(ctx, qCountAdmins, nil, &n); err != nil {
		return err
	}
	if n == 0 {
		return store.ErrLastAdmin
	}
	return nil
}

// CountAdmins counts enabled admins.
func (s *Store) CountAdmins(ctx context.Context) (int, error) {
	var n int
	err := s.read().queryRow(ctx, qCountAdmins, nil, &n)
	return n, err
}
