package storetest

import (
	"errors"
	"reflect"
	"testing"

	"github.com/rollcall/rollcall/internal/store"
)

func testAtomicCommit(t *testing.T, s store.Store) {
	var u store.User
	var g store.Group
	err := s.Atomic(ctx, func(tx store.Store) error {
		var err error
		if g, err = tx.CreateGroup(ctx, store.Group{Name: "batch"}, meta); err != nil {
			return err
		}
		if u, err = tx.CreateUser(ctx, store.User{Username: "in-tx", Email: "in-tx@example.com", GroupIDs: []string{g.ID}}, meta); err != nil {
			return err
		}
		// Reads inside see the transaction's writes.
		if got, err := tx.GetUserByUsername(ctx, "in-tx"); err != nil || got.ID != u.ID {
			return errors.New("read inside the transaction missed its write")
		}
		// Nested Atomic joins.
		return tx.Atomic(ctx, func(inner store.Store) error {
			_, err := inner.UpdateUser(ctx, u.ID, 0, func(x *store.User) error { x.Title = "nested"; return nil }, meta)
			return err
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	got := getUser(t, s, u.ID)
	if got.Title != "nested" || !reflect.DeepEqual(got.GroupIDs, []string{g.ID}) {
		t.Errorf("after commit: %+v", got)
	}
	if n := countAudit(t, s); n != 3 {
		t.Errorf("%d audit events, want 3 (group.create, user.create, user.update)", n)
	}
}

func testAtomicRollback(t *testing.T, s store.Store) {
	keep := createUser(t, s, "keep")
	n := countAudit(t, s)
	boom := errors.New("stop the import")
	err := s.Atomic(ctx, func(tx store.Store) error {
		if _, err := tx.CreateGroup(ctx, store.Group{Name: "gone"}, meta); err != nil {
			return err
		}
		if _, err := tx.CreateUser(ctx, store.User{Username: "gone", Email: "gone@example.com"}, meta); err != nil {
			return err
		}
		if err := tx.DeleteUser(ctx, keep.ID, 0, meta); err != nil {
			return err
		}
		return tx.Atomic(ctx, func(store.Store) error { return boom })
	})
	if err != boom {
		t.Fatalf("Atomic returned %v, want fn's error as is", err)
	}
	if _, err := s.GetUserByUsername(ctx, "gone"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("rolled-back user exists: %v", err)
	}
	if _, err := s.GetGroupByName(ctx, "gone"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("rolled-back group exists: %v", err)
	}
	getUser(t, s, keep.ID)
	if m := countAudit(t, s); m != n {
		t.Errorf("rollback kept %d audit events", m-n)
	}
	// A store error inside fails the whole batch too.
	err = s.Atomic(ctx, func(tx store.Store) error {
		if _, err := tx.CreateUser(ctx, store.User{Username: "first", Email: "first@example.com"}, meta); err != nil {
			return err
		}
		_, err := tx.CreateUser(ctx, store.User{Username: "keep", Email: "dup@example.com"}, meta)
		return err
	})
	wantConflict(t, "conflict inside Atomic", err, "username")
	if _, err := s.GetUserByUsername(ctx, "first"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("batch with a conflict kept its first user: %v", err)
	}
	// The store still works afterwards.
	createUser(t, s, "after")
}

// testAtomicVersions checks versions and references when one transaction
// changes the same records several times.
func testAtomicVersions(t *testing.T, s store.Store) {
	u2, u3 := createUser(t, s, "u2"), createUser(t, s, "u3")
	var final store.Group
	err := s.Atomic(ctx, func(tx store.Store) error {
		g, err := tx.CreateGroup(ctx, store.Group{Name: "busy"}, meta)
		if err != nil {
			return err
		}
		if _, err := tx.CreateUser(ctx, store.User{Username: "u1", Email: "u1@example.com", GroupIDs: []string{g.ID}}, meta); err != nil {
			return err
		}
		for _, id := range []string{u2.ID, u3.ID} {
			changed, err := tx.ChangeGroupMembers(ctx, g.ID, 0, store.MembershipAdd, []string{id}, meta)
			if err != nil {
				return err
			}
			read, err := tx.GetGroup(ctx, g.ID)
			if err != nil {
				return err
			}
			if read.Version != changed.Version || read.Version <= g.Version {
				t.Errorf("in a transaction: returned version %d, stored %d, created %d", changed.Version, read.Version, g.Version)
			}
			g = read
		}
		u, err := tx.UpdateUser(ctx, u2.ID, 0, func(x *store.User) error { x.Title = "t"; return nil }, meta)
		if err != nil {
			return err
		}
		if read, _ := tx.GetUser(ctx, u2.ID); read.Version != u.Version {
			t.Errorf("user version returned %d, stored %d", u.Version, read.Version)
		}
		final = g
		// A group deleted in the transaction is gone for what follows.
		other, err := tx.CreateGroup(ctx, store.Group{Name: "short-lived"}, meta)
		if err != nil {
			return err
		}
		if _, err := tx.ChangeUserGroups(ctx, u3.ID, 0, store.MembershipAdd, []string{other.ID}, meta); err != nil {
			return err
		}
		if err := tx.DeleteGroup(ctx, other.ID, 0, meta); err != nil {
			return err
		}
		_, err = tx.ChangeUserGroups(ctx, u3.ID, 0, store.MembershipAdd, []string{other.ID}, meta)
		wantRefs(t, "group deleted earlier in the transaction", err, "group", other.ID)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if g := getGroup(t, s, final.ID); g.Version != final.Version || len(g.MemberIDs) != 3 {
		t.Errorf("after commit: version %d members %v, want version %d and 3 members", g.Version, g.MemberIDs, final.Version)
	}
}
