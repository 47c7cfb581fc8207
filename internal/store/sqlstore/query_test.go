package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rollcall/rollcall/internal/store"
	"github.com/rollcall/rollcall/internal/testutil/pgtest"
)

// scimLookups are the filters SCIM clients send on every sync, as the
// SCIM layer translates them, with the index each must use.
func scimLookups() []struct {
	name          string
	cond          store.Cond
	sqlite, pgIdx string
} {
	since := time.Now().Add(-1000*time.Hour + 19950*time.Minute) // the last 50 or so of seedUsers
	return []struct {
		name          string
		cond          store.Cond
		sqlite, pgIdx string
	}{
		{"userName eq", store.Cond{Op: "eq", Field: store.FieldUsername, Value: "alice.smith.5"}, "sqlite_autoindex_users_", "users_username_key"},
		{"externalId eq", store.Cond{Op: "eq", Field: store.FieldExternalID, Value: "x-7"}, "users_external_id_idx", "users_external_id_idx"},
		{"emails eq", store.Cond{Op: "eq", Field: store.FieldEmail, Value: "Alice.Smith.5@example.com"}, "sqlite_autoindex_users_", "users_email_lower_key"},
		{`emails[type eq "work" and value eq]`, store.Cond{Op: "and", Sub: []store.Cond{{Op: "true"},
			{Op: "eq", Field: store.FieldEmail, Value: "alice.smith.5@example.com"}}}, "sqlite_autoindex_users_", "users_email_lower_key"},
		{"meta.lastModified gt", store.Cond{Op: "gt", Field: store.FieldUpdatedAt, Value: since}, "users_updated_idx", "users_updated_idx"},
		{"name.familyName eq", store.Cond{Op: "eq", Field: store.FieldLastName, Value: "Smith5"}, "users_last_name_search_idx", "users_last_name_search_idx"},
	}
}

// seedUsers writes n users straight into the table (through the store it
// would be slower for nothing), with externalIds and a spread of times.
func seedUsers(t *testing.T, s *Store, n int) {
	t.Helper()
	ctx := context.Background()
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	ins := s.d.rebind(`INSERT INTO users (id, username, email, email_lower, last_name, last_name_lower, external_id, version, created_at, updated_at)
 VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?)`)
	base := time.Now().Add(-1000 * time.Hour)
	last := []string{"Smith", "Jones", "Brown", "Taylor", "Wilson"}
	for i := range n {
		name := fmt.Sprintf("alice.%s.%d", strings.ToLower(last[i%5]), i)
		at := s.d.encodeTime(base.Add(time.Duration(i) * time.Minute).UTC().Truncate(time.Microsecond))
		if _, err := tx.ExecContext(ctx, ins, fmt.Sprintf("u%06d", i), name, name+"@example.com", name+"@example.com",
			last[i%5]+fmt.Sprint(i%1000), strings.ToLower(last[i%5])+fmt.Sprint(i%1000), fmt.Sprintf("x-%d", i), at, at); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.w.ExecContext(ctx, "ANALYZE"); err != nil {
		t.Fatal(err)
	}
}

// TestSearchUsesIndexes checks with EXPLAIN, on SQLite and PostgreSQL,
// that the filters SCIM clients send are index lookups, for the count and
// for the page, never a scan of every user: at a million users a scan is
// hundreds of milliseconds per request.
func TestSearchUsesIndexes(t *testing.T) {
	ctx := context.Background()
	t.Run("sqlite", func(t *testing.T) {
		s, err := Open(ctx, t.TempDir()+"/plan.db")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		seedUsers(t, s, 20000)
		for _, tc := range scimLookups() {
			cb, countSQL, pb, pageSQL, err := s.userSearch(store.Query{Where: &tc.cond, Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			for i, q := range []string{countSQL, pageSQL} {
				b := []*builder{cb, pb}[i]
				rows, err := s.w.QueryContext(ctx, "EXPLAIN QUERY PLAN "+q, b.args...)
				if err != nil {
					t.Fatalf("%s: %v", tc.name, err)
				}
				var plan []string
				for rows.Next() {
					var id, parent, unused int
					var detail string
					if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
						t.Fatal(err)
					}
					plan = append(plan, detail)
				}
				rows.Close()
				text := strings.Join(plan, "\n")
				top := ""
				for _, line := range plan {
					if strings.Contains(line, " users") && !strings.Contains(line, "memberships") {
						top = line
						break
					}
				}
				if !strings.HasPrefix(top, "SEARCH users USING") || !strings.Contains(top, tc.sqlite) {
					t.Errorf("%s: %q is not a search of %s:\n%s", tc.name, q[:min(len(q), 60)], tc.sqlite, text)
				}
			}
			// And the search finds what it should.
			users, total, err := s.SearchUsers(ctx, store.Query{Where: &tc.cond, Limit: 10})
			if err != nil || total == 0 || len(users) == 0 {
				t.Errorf("%s: %d users of %d, %v", tc.name, len(users), total, err)
			}
		}
	})
	t.Run("postgres", func(t *testing.T) {
		s, err := Open(ctx, pgtest.NewDatabase(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		seedUsers(t, s, 20000)
		for _, tc := range scimLookups() {
			cb, countSQL, pb, pageSQL, err := s.userSearch(store.Query{Where: &tc.cond, Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			for i, q := range []string{countSQL, pageSQL} {
				b := []*builder{cb, pb}[i]
				var raw string
				if err := s.w.QueryRowContext(ctx, "EXPLAIN (FORMAT JSON) "+q, b.args...).Scan(&raw); err != nil {
					t.Fatalf("%s: %v", tc.name, err)
				}
				var plans []struct{ Plan planNode }
				if err := json.Unmarshal([]byte(raw), &plans); err != nil || len(plans) != 1 {
					t.Fatalf("%s: EXPLAIN gave %s", tc.name, raw)
				}
				top := plans[0].Plan
				if seq := top.find(func(n *planNode) bool { return n.NodeType == "Seq Scan" && n.Relation == "users" }); seq != nil {
					t.Errorf("%s: a sequential scan of users:\n%s", tc.name, indent(raw))
				}
				if idx := top.find(func(n *planNode) bool { return n.Index == tc.pgIdx }); idx == nil {
					t.Errorf("%s: %s is not used:\n%s", tc.name, tc.pgIdx, indent(raw))
				}
			}
		}
	})
}

// TestPatchLargeGroup adds 1,000 members to a group of 50,000 and removes
// 10, on both databases, and checks that only those rows changed and the
// audit event holds the 1,010 ids, not the 51,000 of whole lists (which is
// what ChangeGroupMembers would read, diff and write).
func TestPatchLargeGroup(t *testing.T) {
	ctx := context.Background()
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			dsn := t.TempDir() + "/big.db"
			if backend == "postgres" {
				dsn = pgtest.NewDatabase(t)
			}
			s, err := Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			seedUsers(t, s, 51000)
			g, err := s.CreateGroup(ctx, store.Group{Name: "everyone"}, store.Meta{})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.w.ExecContext(ctx, s.d.rebind(`INSERT INTO memberships (user_id, group_id, username)
 SELECT id, ?, username FROM users WHERE id < 'u050000'`), g.ID); err != nil {
				t.Fatal(err)
			}
			var add, remove []string
			for i := 50000; i < 51000; i++ {
				add = append(add, fmt.Sprintf("u%06d", i))
			}
			for i := range 10 {
				remove = append(remove, fmt.Sprintf("u%06d", i*1000))
			}
			start := time.Now()
			got, err := s.PatchGroupMembers(ctx, g.ID, 0, add, remove, store.Meta{ActorName: "okta"})
			took := time.Since(start)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: +1,000 −10 on a group of 50,000 in %v", backend, took)
			if got.MemberCount != 50990 {
				t.Errorf("member count %d, want 50,990", got.MemberCount)
			}
			var n int
			if err := s.w.QueryRowContext(ctx, s.d.rebind(`SELECT COUNT(*) FROM memberships WHERE group_id = ?`), g.ID).Scan(&n); err != nil || n != 50990 {
				t.Errorf("memberships %d, %v", n, err)
			}
			events, _, err := s.ListAuditEvents(ctx, store.AuditFilter{TargetID: g.ID, Action: "group.members.update"}, store.Page{Limit: 10})
			if err != nil || len(events) != 1 {
				t.Fatalf("events %v, %v", events, err)
			}
			if size := len(events[0].Before) + len(events[0].After); size > 60000 {
				t.Errorf("the audit event holds %d bytes: more than the 1,010 ids changed", size)
			}
		})
	}
}
