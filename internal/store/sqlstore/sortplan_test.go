package sqlstore

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/rollcall/rollcall/internal/store"
	"github.com/rollcall/rollcall/internal/testutil/pgtest"
)

// sortIndexes are the orders SCIM's sortBy asks for, with the index each
// page must be read from in order (no sort of every user); those of values
// a user may lack start with whether the value is empty, see orderBy.
var sortIndexes = []struct {
	sortBy, sqlite, pg string
}{
	{"", "sqlite_autoindex_users_", "users_username_key"},
	{store.FieldID, "sqlite_autoindex_users_", "users_pkey"},
	{store.FieldLastName, "users_last_name_sort_idx", "users_last_name_sort_idx"},
	{store.FieldDisplayName, "users_display_sort_idx", "users_display_sort_idx"},
	{store.FieldUpdatedAt, "users_updated_idx", "users_updated_idx"},
	{store.FieldExternalID, "users_external_id_sort_idx", "users_external_id_sort_idx"},
}

// TestSortUsesIndexes: a page sorted by each sortable field, ascending and
// descending, is a walk of that field's index on both databases.
func TestSortUsesIndexes(t *testing.T) {
	ctx := context.Background()
	t.Run("sqlite", func(t *testing.T) {
		s, err := Open(ctx, t.TempDir()+"/sort.db")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		seedUsers(t, s, 5000)
		for _, tc := range sortIndexes {
			for _, desc := range []bool{false, true} {
				for _, offset := range []int{0, 200} {
					_, _, pb, pageSQL, err := s.userSearch(store.Query{Limit: 100, Offset: offset, SortBy: tc.sortBy, Desc: desc})
					if err != nil {
						t.Fatal(err)
					}
					rows, err := s.w.QueryContext(ctx, "EXPLAIN QUERY PLAN "+pageSQL, pb.args...)
					if err != nil {
						t.Fatalf("%q: %v", tc.sortBy, err)
					}
					// Were a deep page to walk the index for its usernames
					// in a subquery (a co-routine), it could sort the page
					// it read; a sort inside the walk would be of every user.
					var walk, plan []string
					walkID := -1
					for rows.Next() {
						var id, parent, unused int
						var detail string
						if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
							t.Fatal(err)
						}
						if strings.HasPrefix(detail, "CO-ROUTINE") {
							walkID = id
						}
						if walkID < 0 || parent == walkID {
							walk = append(walk, detail)
						}
						plan = append(plan, detail)
					}
					rows.Close()
					text := strings.Join(walk, "\n")
					if !strings.Contains(text, "SCAN users USING") || !strings.Contains(text, tc.sqlite) || strings.Contains(text, "TEMP B-TREE") {
						t.Errorf("sort by %q (desc %v, offset %d) is not a walk of %s:\n%s", tc.sortBy, desc, offset, tc.sqlite, strings.Join(plan, "\n"))
					}
				}
			}
		}
	})
	t.Run("postgres", func(t *testing.T) {
		s, err := Open(ctx, pgtest.NewDatabase(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		seedUsers(t, s, 5000)
		if _, err := s.w.ExecContext(ctx, "ANALYZE users"); err != nil {
			t.Fatal(err)
		}
		for _, tc := range sortIndexes {
			for _, desc := range []bool{false, true} {
				for _, offset := range []int{0, 200} {
					_, _, pb, pageSQL, err := s.userSearch(store.Query{Limit: 100, Offset: offset, SortBy: tc.sortBy, Desc: desc})
					if err != nil {
						t.Fatal(err)
					}
					var raw string
					if err := s.w.QueryRowContext(ctx, "EXPLAIN (FORMAT JSON) "+pageSQL, pb.args...).Scan(&raw); err != nil {
						t.Fatalf("%q: %v", tc.sortBy, err)
					}
					var plans []struct{ Plan planNode }
					if err := json.Unmarshal([]byte(raw), &plans); err != nil || len(plans) != 1 {
						t.Fatalf("%q: EXPLAIN gave %s", tc.sortBy, raw)
					}
					top := plans[0].Plan
					// Only the page itself may be sorted (a deep page reads
					// its rows by username after the walk).
					if n := top.find(func(n *planNode) bool {
						return (n.NodeType == "Sort" && n.Rows > 100) || (n.NodeType == "Seq Scan" && n.Relation == "users")
					}); n != nil {
						t.Errorf("sort by %q (desc %v, offset %d): a %s of %.0f rows:\n%s", tc.sortBy, desc, offset, n.NodeType, n.Rows, indent(raw))
					}
					if idx := top.find(func(n *planNode) bool { return n.Index == tc.pg }); idx == nil {
						t.Errorf("sort by %q (desc %v, offset %d): %s is not used:\n%s", tc.sortBy, desc, offset, tc.pg, indent(raw))
					}
				}
			}
		}
	})
}
