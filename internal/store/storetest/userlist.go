package storetest

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/rollcall/rollcall/internal/store"
)

// testListUsersPage checks the console's user list: the total, each sort
// both ways (never signed in first when ascending), the status and group
// filters, the prefix search, and pages by position.
func testListUsersPage(t *testing.T, s store.Store) {
	g, err := s.CreateGroup(ctx, store.Group{Name: "pilots"}, meta)
	if err != nil {
		t.Fatal(err)
	}
	mk := func(name string, f func(*store.User)) store.User {
		u := store.User{Username: name, Email: name + "@example.com", FirstName: "F" + name}
		if f != nil {
			f(&u)
		}
		out, err := s.CreateUser(ctx, u, meta)
		if err != nil {
			t.Fatalf("CreateUser %s: %v", name, err)
		}
		return out
	}
	base := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	// ada and bob are active (signed in on days 2 and 1), cyd is pending,
	// dan disabled, eve a service account, fay pending and in the group.
	ada := mk("ada", func(u *store.User) { u.GroupIDs = []string{g.ID} })
	bob := mk("bob", nil)
	mk("cyd", nil)
	mk("dan", func(u *store.User) { u.Disabled = true })
	mk("eve", func(u *store.User) { u.ServiceAccount = true })
	mk("fay", func(u *store.User) { u.GroupIDs = []string{g.ID}; u.LastName = "Adams" })
	signIn(t, s, ada, "list-ada", base.Add(48*time.Hour), time.Hour, "", "")
	signIn(t, s, bob, "list-bob", base.Add(24*time.Hour), time.Hour, "", "")

	names := func(q store.UserListQuery) ([]string, int) {
		t.Helper()
		l, err := s.ListUsersPage(ctx, q)
		if err != nil {
			t.Fatalf("ListUsersPage(%+v): %v", q, err)
		}
		if l.TotalCapped {
			t.Errorf("ListUsersPage(%+v): the total %d is capped without a CountLimit", q, l.Total)
		}
		out := []string{}
		for _, u := range l.Users {
			out = append(out, u.Username)
		}
		return out, l.Total
	}
	for _, c := range []struct {
		q     store.UserListQuery
		want  []string
		total int
	}{
		{store.UserListQuery{Limit: 10}, []string{"ada", "bob", "cyd", "dan", "eve", "fay"}, 6},
		{store.UserListQuery{Limit: 2, Offset: 2}, []string{"cyd", "dan"}, 6},
		{store.UserListQuery{Limit: 2, Offset: 6}, []string{}, 6},
		{store.UserListQuery{Limit: 10, Desc: true}, []string{"fay", "eve", "dan", "cyd", "bob", "ada"}, 6},
		{store.UserListQuery{Limit: 10, Sort: store.UserSortLastSignIn}, []string{"cyd", "dan", "eve", "fay", "bob", "ada"}, 6},
		{store.UserListQuery{Limit: 3, Sort: store.UserSortLastSignIn, Desc: true}, []string{"ada", "bob", "fay"}, 6},
		{store.UserListQuery{Limit: 10, Sort: store.UserSortStatus}, []string{"ada", "bob", "dan", "cyd", "fay", "eve"}, 6},
		{store.UserListQuery{Limit: 10, Status: store.UserStatusActive}, []string{"ada", "bob"}, 2},
		{store.UserListQuery{Limit: 10, Status: store.UserStatusPendingSetup}, []string{"cyd", "fay"}, 2},
		{store.UserListQuery{Limit: 10, Status: store.UserStatusDisabled}, []string{"dan"}, 1},
		{store.UserListQuery{Limit: 10, Status: store.UserStatusServiceAccount}, []string{"eve"}, 1},
		{store.UserListQuery{Limit: 10, Status: "nonsense"}, []string{}, 0},
		{store.UserListQuery{Limit: 10, GroupID: g.ID}, []string{"ada", "fay"}, 2},
		{store.UserListQuery{Limit: 10, GroupID: g.ID, Status: store.UserStatusPendingSetup}, []string{"fay"}, 1},
		{store.UserListQuery{Limit: 10, Query: "A"}, []string{"ada", "fay"}, 2}, // username, last name
		{store.UserListQuery{Limit: 10, Query: "fb"}, []string{"bob"}, 1},       // first name
		{store.UserListQuery{Limit: 10, Query: "eve@"}, []string{"eve"}, 1},     // email
		{store.UserListQuery{Limit: 10, Query: "a", Sort: store.UserSortLastSignIn, Desc: true}, []string{"ada", "fay"}, 2},
	} {
		got, total := names(c.q)
		if !reflect.DeepEqual(got, c.want) || total != c.total {
			t.Errorf("ListUsersPage(%+v) = %v, total %d; want %v, total %d", c.q, got, total, c.want, c.total)
		}
	}
	// A page holds whole users, with their groups.
	l, err := s.ListUsersPage(ctx, store.UserListQuery{Limit: 1})
	if us := l.Users; err != nil || len(us) != 1 || us[0].ID != ada.ID || fmt.Sprint(us[0].GroupIDs) != fmt.Sprint([]string{g.ID}) || us[0].LastSignInAt == nil {
		t.Fatalf("first user: %+v, %v", us, err)
	}
}

// testListUsersPageCountLimit checks that the count of a search, or of a
// status within a group, stops at CountLimit (or past the page) and says
// so, while the counts that are one index range stay exact, as does the
// total of a last page.
func testListUsersPageCountLimit(t *testing.T, s store.Store) {
	g, err := s.CreateGroup(ctx, store.Group{Name: "crew"}, meta)
	if err != nil {
		t.Fatal(err)
	}
	// Eight pending users "fa" to "fh" whose first names all start with
	// F; the first five are in the group.
	for i, name := range []string{"fa", "fb", "fc", "fd", "fe", "ff", "fg", "fh"} {
		u := store.User{Username: name, Email: name + "@example.com", FirstName: "F" + name}
		if i < 5 {
			u.GroupIDs = []string{g.ID}
		}
		if _, err := s.CreateUser(ctx, u, meta); err != nil {
			t.Fatalf("CreateUser %s: %v", name, err)
		}
	}
	type q = store.UserListQuery
	pending := store.UserStatusPendingSetup
	for _, c := range []struct {
		q      q
		first  string // the page's first user
		total  int
		capped bool
	}{
		{q{Query: "f", Limit: 2, CountLimit: 3}, "fa", 3, true},             // counted to 3 of 8
		{q{Query: "f", Limit: 2, Offset: 2, CountLimit: 3}, "fc", 4, true},  // and always past the page
		{q{Query: "f", Limit: 2, Offset: 4, CountLimit: 3}, "fe", 6, true},  // 7 is past the page: "more than 6"
		{q{Query: "f", Limit: 2, Offset: 6, CountLimit: 3}, "fg", 8, false}, // the last page
		{q{Query: "f", Limit: 10, CountLimit: 3}, "fa", 8, false},           // one page holds them all
		{q{Query: "f", Limit: 2, Offset: 20, CountLimit: 3}, "", 8, false},  // past the end: counted to the end
		{q{Query: "f", Limit: 2}, "fa", 8, false},                           // no CountLimit: exact
		{q{Query: "f", Status: pending, Limit: 2, CountLimit: 3}, "fa", 3, true},
		{q{GroupID: g.ID, Status: pending, Limit: 2, CountLimit: 3}, "fa", 3, true},
		{q{GroupID: g.ID, Query: "f", Limit: 1, CountLimit: 1}, "fa", 1, true},
		{q{GroupID: g.ID, Status: pending, Limit: 2, CountLimit: 5}, "fa", 5, false}, // 5 of 5: exact
		// One filter or none: one index range, always exact.
		{q{Limit: 2, CountLimit: 3}, "fa", 8, false},
		{q{Status: pending, Limit: 2, CountLimit: 3}, "fa", 8, false},
		{q{GroupID: g.ID, Limit: 2, CountLimit: 3}, "fa", 5, false},
	} {
		l, err := s.ListUsersPage(ctx, c.q)
		if err != nil {
			t.Fatalf("ListUsersPage(%+v): %v", c.q, err)
		}
		first := ""
		if len(l.Users) > 0 {
			first = l.Users[0].Username
		}
		if first != c.first || l.Total != c.total || l.TotalCapped != c.capped {
			t.Errorf("ListUsersPage(%+v) starts with %q, total %d, capped %v; want %q, %d, %v",
				c.q, first, l.Total, l.TotalCapped, c.first, c.total, c.capped)
		}
	}
}
