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
		us, total, err := s.ListUsersPage(ctx, q)
		if err != nil {
			t.Fatalf("ListUsersPage(%+v): %v", q, err)
		}
		out := []string{}
		for _, u := range us {
			out = append(out, u.Username)
		}
		return out, total
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
	us, _, err := s.ListUsersPage(ctx, store.UserListQuery{Limit: 1})
	if err != nil || len(us) != 1 || us[0].ID != ada.ID || fmt.Sprint(us[0].GroupIDs) != fmt.Sprint([]string{g.ID}) || us[0].LastSignInAt == nil {
		t.Fatalf("first user: %+v, %v", us, err)
	}
}
