package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/rollcall/rollcall/internal/store"
)

func createAdmin(t *testing.T, s store.Store, username string) store.User {
	t.Helper()
	u, err := s.CreateUser(ctx, store.User{Username: username, Email: username + "@example.com", IsAdmin: true}, meta)
	if err != nil {
		t.Fatalf("CreateUser(%s): %v", username, err)
	}
	return u
}

// adminRemovals are the changes that take an enabled admin away, as the
// last-admin rule sees them.
var adminRemovals = []struct {
	name string
	do   func(s store.Store, id string) error
}{
	{"demote", func(s store.Store, id string) error {
		_, err := s.UpdateUser(ctx, id, 0, func(u *store.User) error { u.IsAdmin = false; return nil }, meta)
		return err
	}},
	{"disable", func(s store.Store, id string) error {
		_, err := s.UpdateUser(ctx, id, 0, func(u *store.User) error { u.Disabled = true; return nil }, meta)
		return err
	}},
	{"delete", func(s store.Store, id string) error { return s.DeleteUser(ctx, id, 0, meta) }},
	{"demote in Atomic", func(s store.Store, id string) error {
		return s.Atomic(ctx, func(tx store.Store) error {
			_, err := tx.UpdateUser(ctx, id, 0, func(u *store.User) error { u.IsAdmin = false; return nil }, meta)
			return err
		})
	}},
}

// testLastAdmin: demoting, disabling or deleting the only enabled admin
// fails with ErrLastAdmin and changes nothing; with a second admin each
// succeeds. Changes that leave the admins alone are not affected, even
// when there is no admin at all.
func testLastAdmin(t *testing.T, s store.Store) {
	plain := createUser(t, s, "plain")
	if _, err := s.UpdateUser(ctx, plain.ID, 0, func(u *store.User) error { u.Title = "no admins yet"; return nil }, meta); err != nil {
		t.Fatalf("update with no admin at all: %v", err)
	}
	root := createAdmin(t, s, "root")
	// A disabled admin does not count.
	if _, err := s.CreateUser(ctx, store.User{Username: "off", Email: "off@example.com", IsAdmin: true, Disabled: true}, meta); err != nil {
		t.Fatal(err)
	}
	for _, rm := range adminRemovals {
		if err := rm.do(s, root.ID); !errors.Is(err, store.ErrLastAdmin) {
			t.Errorf("%s the last admin: %v, want ErrLastAdmin", rm.name, err)
		}
		if u := getUser(t, s, root.ID); !u.IsAdmin || u.Disabled || u.Version != root.Version {
			t.Errorf("%s the last admin was refused but changed it: %+v", rm.name, u)
		}
	}
	// An admin may change other things about itself.
	if _, err := s.UpdateUser(ctx, root.ID, 0, func(u *store.User) error { u.Title = "still admin"; return nil }, meta); err != nil {
		t.Fatalf("plain update of the last admin: %v", err)
	}
	for i, rm := range adminRemovals {
		other := createAdmin(t, s, fmt.Sprintf("other%d", i))
		if err := rm.do(s, other.ID); err != nil {
			t.Errorf("%s an admin while another remains: %v", rm.name, err)
		}
	}
	if n, err := s.CountAdmins(ctx); n != 1 || err != nil {
		t.Errorf("CountAdmins = %d, %v; want 1", n, err)
	}
}

// testLastAdminRace: the only two enabled admins are removed at the same
// moment, each by one of a pair of changes (demote, disable, delete), 50
// times per pairing. Every time exactly one change wins, the other fails
// with ErrLastAdmin, and one enabled admin remains. On PostgreSQL under
// READ COMMITTED, two transactions that each count the admins without a
// lock both see the other admin and both commit.
func testLastAdminRace(t *testing.T, s store.Store) {
	const trials = 50
	pairs := [][2]int{{0, 0}, {2, 2}, {1, 0}, {1, 2}, {3, 1}}
	for _, pair := range pairs {
		a, b := adminRemovals[pair[0]], adminRemovals[pair[1]]
		t.Run(a.name+"/"+b.name, func(t *testing.T) {
			zero := 0
			for i := range trials {
				x := createAdmin(t, s, fmt.Sprintf("%d-%d-x%d", pair[0], pair[1], i))
				y := createAdmin(t, s, fmt.Sprintf("%d-%d-y%d", pair[0], pair[1], i))
				// Only x and y are enabled admins.
				admins, _, err := s.ListUsers(ctx, store.UserFilter{}, store.Page{Limit: 1000})
				if err != nil {
					t.Fatal(err)
				}
				for _, u := range admins {
					if u.IsAdmin && !u.Disabled && u.ID != x.ID && u.ID != y.ID {
						if _, err := s.UpdateUser(ctx, u.ID, 0, func(u *store.User) error { u.IsAdmin = false; return nil }, meta); err != nil {
							t.Fatalf("demote %s: %v", u.Username, err)
						}
					}
				}
				var errs [2]error
				var wg sync.WaitGroup
				start := make(chan struct{})
				wg.Go(func() { <-start; errs[0] = a.do(s, x.ID) })
				wg.Go(func() { <-start; errs[1] = b.do(s, y.ID) })
				close(start)
				wg.Wait()
				n, err := s.CountAdmins(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if n == 0 {
					zero++
					// Put one back for the next trial.
					if _, err := s.UpdateUser(ctx, y.ID, 0, func(u *store.User) error { u.IsAdmin, u.Disabled = true, false; return nil }, meta); err != nil && !errors.Is(err, store.ErrNotFound) {
						t.Fatal(err)
					}
					createAdmin(t, s, fmt.Sprintf("%d-%d-z%d", pair[0], pair[1], i))
					continue
				}
				won, lost := 0, 0
				for k, err := range errs {
					switch {
					case err == nil:
						won++
					case errors.Is(err, store.ErrLastAdmin):
						lost++
					default:
						t.Errorf("trial %d: change %d: %v", i, k, err)
					}
				}
				if n != 1 || won != 1 || lost != 1 {
					t.Errorf("trial %d: %d admins left, %d changes won, %d lost with ErrLastAdmin; want 1, 1, 1", i, n, won, lost)
				}
			}
			if zero > 0 {
				t.Errorf("%d of %d trials ended with no enabled admin", zero, trials)
			}
		})
	}
}
