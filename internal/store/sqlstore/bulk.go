package sqlstore

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/rollcall/rollcall/internal/store"
)

// Bulk statements insert a fixed number of rows each, so that they are
// fixed statements, prepared once at Open on SQLite (and cached by pgx on
// PostgreSQL) instead of parsed for every batch. The rows left over after
// the full chunks go through the one-row statements. Chunks stay far below
// the bind parameter limits (SQLite 32,766, PostgreSQL 65,535): 100 users
// are 2,700 parameters.
const (
	bulkUserRows       = 100
	bulkMembershipRows = 200
	bulkAuditRows      = 100
)

var (
	qInsertUsers = stmt(`INSERT INTO users (` + userCols + `, email_lower, first_name_lower, last_name_lower) VALUES ` +
		valuesRows(27, bulkUserRows))
	qInsertMemberships = stmt(`INSERT INTO memberships (user_id, group_id, username) VALUES ` +
		valuesRows(3, bulkMembershipRows) + ` ON CONFLICT DO NOTHING`)
	qInsertAudits = stmt(`INSERT INTO audit_events
 (id, action, actor_id, actor_name, target_type, target_id, target_name, before_data, after_data, request_id, client_ip, created_at)
 VALUES ` + valuesRows(12, bulkAuditRows))
)

// valuesRows returns rows groups of cols "?" placeholders: "(?, ?), (?, ?)".
func valuesRows(cols, rows int) string {
	row := "(" + strings.Repeat("?, ", cols-1) + "?)"
	return strings.Repeat(row+", ", rows-1) + row
}

// CreateUsers inserts users as CreateUser would one after another; see
// store.Store. The group reference check, the lock and the version bump of
// the touched groups happen once, and users, memberships and audit events
// go in with multi-row INSERTs. Conflicts are found by the database, as in
// CreateUser: when a chunk fails, the work is rolled back to a savepoint
// and the users are created one at a time, which names the first failing
// user exactly as a sequence of CreateUser calls would.
func (s *Store) CreateUsers(ctx context.Context, users []store.User, m store.Meta) ([]store.User, error) {
	if len(users) == 0 {
		return []store.User{}, nil
	}
	now := s.now()
	out, groupIDs := newUserRows(users, now)
	err := s.write(ctx, func(c *conn) error {
		if len(groupIDs) > 0 {
			if err := c.lockMemberships(ctx); err != nil {
				return err
			}
		}
		if _, err := c.q.ExecContext(ctx, "SAVEPOINT create_users"); err != nil {
			return err
		}
		err := c.insertUsers(ctx, out, groupIDs, func(int) store.Meta { return m }, now)
		if err == nil {
			_, err = c.q.ExecContext(ctx, "RELEASE SAVEPOINT create_users")
			return err
		}
		var conflict *store.ConflictError
		var ref *store.ReferenceError
		if !errors.As(err, &conflict) && !errors.As(err, &ref) {
			return err
		}
		// Some user cannot be created. Undo the chunks that went in, and
		// find which user it is the slow way, one at a time.
		if _, err := c.q.ExecContext(ctx, "ROLLBACK TO SAVEPOINT create_users"); err != nil {
			return err
		}
		one := &Store{core: s.core, tx: c}
		for i, u := range users {
			if _, err := one.CreateUser(ctx, u, m); err != nil {
				return &store.BatchError{Index: i, Err: err}
			}
		}
		// One at a time they all went in (the bulk error came from
		// something else): keep them, as CreateUser made them.
		return errors.New("sqlstore: bulk user insert failed but single inserts did not: " + err.Error())
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// newUserRows returns users as insertUsers writes them — ids given or
// made, normalized, version 1, created now — and the distinct group ids
// they reference.
func newUserRows(users []store.User, now time.Time) ([]store.User, []string) {
	out := make([]store.User, len(users))
	var groupIDs []string
	for i, u := range users {
		u.ID = newID(u.ID)
		normUser(&u)
		u.PasskeyCount = 0
		u.LastSignInAt = nil
		u.Version = 1
		u.CreatedAt, u.UpdatedAt = now, now
		out[i] = u
		groupIDs = append(groupIDs, u.GroupIDs...)
	}
	return out, normIDs(groupIDs)
}

// insertUsers writes users (prepared by CreateUsers) with their
// memberships, group version bumps and audit events; meta(i) is who
// creates users[i] (one caller for a bulk import, one per request for a
// group commit, see groupcommit.go).
func (c *conn) insertUsers(ctx context.Context, users []store.User, groupIDs []string, meta func(int) store.Meta, now time.Time) error {
	if err := c.checkRefs(ctx, "group", "groups", groupIDs); err != nil {
		return err
	}
	ts := c.t(now)
	args := make([]any, 0, 27*min(len(users), bulkUserRows)) // a group commit has a few users
	rest := users
	for len(rest) >= bulkUserRows {
		args = args[:0]
		for i := range rest[:bulkUserRows] {
			args = appendUserArgs(args, &rest[i], ts)
		}
		if _, err := c.exec(ctx, qInsertUsers, args...); err != nil {
			return err
		}
		rest = rest[bulkUserRows:]
	}
	for i := range rest {
		args = appendUserArgs(args[:0], &rest[i], ts)
		if _, err := c.exec(ctx, qInsertUser, args...); err != nil {
			return err
		}
	}

	args = args[:0]
	n := 0
	for i := range users {
		u := &users[i]
		for _, g := range u.GroupIDs {
			args = append(args, u.ID, g, u.Username)
			if n++; n == bulkMembershipRows {
				if _, err := c.exec(ctx, qInsertMemberships, args...); err != nil {
					return err
				}
				args, n = args[:0], 0
			}
		}
	}
	for i := 0; i < len(args); i += 3 {
		if _, err := c.exec(ctx, qInsertMembership, args[i:i+3]...); err != nil {
			return err
		}
	}

	args = args[:0]
	n = 0
	for i := range users {
		u := &users[i]
		id, err := uuid.NewV7()
		if err != nil {
			return err
		}
		m := meta(i)
		args = append(args, id.String(), "user.create", m.ActorID, m.ActorName, "user", u.ID, u.Username,
			nil, string(snapshot(userFields(u))), m.RequestID, m.ClientIP, ts)
		if n++; n == bulkAuditRows {
			if _, err := c.exec(ctx, qInsertAudits, args...); err != nil {
				return err
			}
			args, n = args[:0], 0
		}
	}
	for i := 0; i < len(args); i += 12 {
		if _, err := c.exec(ctx, qInsertAudit, args[i:i+12]...); err != nil {
			return err
		}
	}
	return c.bump(ctx, "groups", groupIDs, now)
}

// appendUserArgs appends the qInsertUser arguments of a new user.
func appendUserArgs(args []any, u *store.User, ts any) []any {
	return append(args, u.ID, u.Username, u.Email, u.EmailVerified, u.FirstName,
		u.LastName, u.DisplayName, u.Locale, u.IsAdmin, u.Disabled, u.ServiceAccount, u.Phone, u.Mobile,
		u.Title, u.Department, u.AvatarURL, u.ExternalID, u.ExternalSource, encodeAttrs(u.Attributes),
		0, nil, u.Version, ts, ts,
		strings.ToLower(u.Email), strings.ToLower(u.FirstName), strings.ToLower(u.LastName))
}
