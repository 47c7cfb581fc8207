package storetest

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"

	"github.com/rollcall/rollcall/internal/store"
)

func testChangeUserGroups(t *testing.T, s store.Store) {
	a, b, c := createGroup(t, s, "a"), createGroup(t, s, "b"), createGroup(t, s, "c")
	u := createUser(t, s, "joiner")
	versions := func() []int64 {
		return []int64{getUser(t, s, u.ID).Version, getGroup(t, s, a.ID).Version, getGroup(t, s, b.ID).Version, getGroup(t, s, c.ID).Version}
	}
	step := func(op store.MembershipOp, ids []string, want []string, bumped []int64) {
		t.Helper()
		before := versions()
		got, err := s.ChangeUserGroups(ctx, u.ID, 0, op, ids, meta)
		if err != nil {
			t.Fatalf("op %d %v: %v", op, ids, err)
		}
		if !reflect.DeepEqual(got.GroupIDs, want) || !reflect.DeepEqual(getUser(t, s, u.ID).GroupIDs, want) {
			t.Errorf("op %d %v: groups %v, want %v", op, ids, got.GroupIDs, want)
		}
		after := versions()
		for i := range after {
			if after[i] != before[i]+bumped[i] {
				t.Errorf("op %d %v: versions %v→%v, want bumps %v (user, a, b, c)", op, ids, before, after, bumped)
				break
			}
		}
		if got.Version != after[0] {
			t.Errorf("returned version %d, stored %d", got.Version, after[0])
		}
	}
	step(store.MembershipReplace, []string{b.ID, a.ID}, sorted(a.ID, b.ID), []int64{1, 1, 1, 0})
	step(store.MembershipAdd, []string{b.ID, c.ID}, sorted(a.ID, b.ID, c.ID), []int64{1, 0, 0, 1})
	step(store.MembershipRemove, []string{a.ID, uid(404)}, sorted(b.ID, c.ID), []int64{1, 1, 0, 0})
	n := countAudit(t, s)
	step(store.MembershipAdd, []string{b.ID}, sorted(b.ID, c.ID), []int64{0, 0, 0, 0})
	step(store.MembershipRemove, []string{a.ID}, sorted(b.ID, c.ID), []int64{0, 0, 0, 0})
	step(store.MembershipReplace, []string{c.ID, b.ID}, sorted(b.ID, c.ID), []int64{0, 0, 0, 0})
	if m := countAudit(t, s); m != n {
		t.Errorf("membership changes that change nothing wrote %d audit events", m-n)
	}
	step(store.MembershipReplace, nil, []string{}, []int64{1, 0, 1, 1})
	if g := getGroup(t, s, b.ID); len(g.MemberIDs) != 0 || g.MemberCount != 0 {
		t.Errorf("group b after replace with none: %+v", g)
	}
	ev := allAudit(t, s, store.AuditFilter{TargetID: u.ID, Action: "user.groups.update"})
	if len(ev) != 4 {
		t.Fatalf("%d user.groups.update events, want 4", len(ev))
	}
	if ev[0].TargetType != "user" || ev[0].TargetName != "joiner" {
		t.Errorf("event target %+v", ev[0])
	}
	jsonEqual(t, "last before", ev[0].Before, obj{"groups": sorted(b.ID, c.ID)})
	jsonEqual(t, "last after", ev[0].After, obj{"groups": []string{}})
	jsonEqual(t, "first before", ev[3].Before, obj{"groups": []string{}})
	jsonEqual(t, "first after", ev[3].After, obj{"groups": sorted(a.ID, b.ID)})

	_, err := s.ChangeUserGroups(ctx, uid(404), 0, store.MembershipAdd, []string{a.ID}, meta)
	wantErr(t, "missing user", err, store.ErrNotFound)
}

func testChangeGroupMembers(t *testing.T, s store.Store) {
	g := createGroup(t, s, "team")
	x, y, z := createUser(t, s, "x"), createUser(t, s, "y"), createUser(t, s, "z")
	versions := func() []int64 {
		return []int64{getGroup(t, s, g.ID).Version, getUser(t, s, x.ID).Version, getUser(t, s, y.ID).Version, getUser(t, s, z.ID).Version}
	}
	step := func(op store.MembershipOp, ids []string, want []string, bumped []int64) {
		t.Helper()
		before := versions()
		got, err := s.ChangeGroupMembers(ctx, g.ID, 0, op, ids, meta)
		if err != nil {
			t.Fatalf("op %d %v: %v", op, ids, err)
		}
		read := getGroup(t, s, g.ID)
		if !reflect.DeepEqual(got.MemberIDs, want) || !reflect.DeepEqual(read.MemberIDs, want) || got.MemberCount != len(want) || read.MemberCount != len(want) {
			t.Errorf("op %d %v: members %v (%d), want %v", op, ids, got.MemberIDs, got.MemberCount, want)
		}
		after := versions()
		for i := range after {
			if after[i] != before[i]+bumped[i] {
				t.Errorf("op %d %v: versions %v→%v, want bumps %v (group, x, y, z)", op, ids, before, after, bumped)
				break
			}
		}
	}
	step(store.MembershipReplace, []string{y.ID, x.ID, x.ID}, sorted(x.ID, y.ID), []int64{1, 1, 1, 0})
	step(store.MembershipAdd, []string{z.ID}, sorted(x.ID, y.ID, z.ID), []int64{1, 0, 0, 1})
	step(store.MembershipRemove, []string{x.ID}, sorted(y.ID, z.ID), []int64{1, 1, 0, 0})
	n := countAudit(t, s)
	step(store.MembershipAdd, []string{y.ID}, sorted(y.ID, z.ID), []int64{0, 0, 0, 0})
	if countAudit(t, s) != n {
		t.Error("a no-op member change was audited")
	}
	if ids := getUser(t, s, z.ID).GroupIDs; !reflect.DeepEqual(ids, []string{g.ID}) {
		t.Errorf("member's groups seen from the user: %v", ids)
	}
	ev := allAudit(t, s, store.AuditFilter{TargetID: g.ID, Action: "group.members.update"})
	if len(ev) != 3 || ev[0].TargetType != "group" || ev[0].TargetName != "team" {
		t.Fatalf("group.members.update events %+v", ev)
	}
	jsonEqual(t, "members before", ev[0].Before, obj{"members": sorted(x.ID, y.ID, z.ID)})
	jsonEqual(t, "members after", ev[0].After, obj{"members": sorted(y.ID, z.ID)})
	_, err := s.ChangeGroupMembers(ctx, uid(404), 0, store.MembershipAdd, []string{x.ID}, meta)
	wantErr(t, "missing group", err, store.ErrNotFound)
}

func testMembershipReferences(t *testing.T, s store.Store) {
	g := createGroup(t, s, "real")
	u := createUser(t, s, "real-user")
	n := countAudit(t, s)
	_, err := s.ChangeUserGroups(ctx, u.ID, 0, store.MembershipAdd, []string{uid(902), g.ID, uid(901)}, meta)
	wantRefs(t, "unknown groups", err, "group", uid(901), uid(902))
	_, err = s.ChangeUserGroups(ctx, u.ID, 0, store.MembershipReplace, []string{g.ID, uid(903)}, meta)
	wantRefs(t, "unknown group in replace", err, "group", uid(903))
	_, err = s.ChangeGroupMembers(ctx, g.ID, 0, store.MembershipAdd, []string{u.ID, uid(904)}, meta)
	wantRefs(t, "unknown member", err, "user", uid(904))
	_, err = s.CreateUser(ctx, store.User{Username: "new", Email: "new@example.com", GroupIDs: []string{uid(905)}}, meta)
	wantRefs(t, "create with unknown group", err, "group", uid(905))
	if got := getUser(t, s, u.ID); len(got.GroupIDs) != 0 || got.Version != 1 {
		t.Errorf("failed changes changed the user: %+v", got)
	}
	if got := getGroup(t, s, g.ID); len(got.MemberIDs) != 0 || got.Version != 1 {
		t.Errorf("failed changes changed the group: %+v", got)
	}
	if _, err := s.GetUserByUsername(ctx, "new"); err == nil {
		t.Error("a create with an unknown group stored the user")
	}
	if m := countAudit(t, s); m != n {
		t.Errorf("failed changes wrote %d audit events", m-n)
	}
}

// testConcurrentMemberships changes the same memberships from both sides
// at once. Every change must succeed (a database deadlock between the two
// directions is the store's to resolve), and both sides must agree after.
func testConcurrentMemberships(t *testing.T, s store.Store) {
	const n = 6
	var users, groups []string
	for i := range n {
		users = append(users, createUser(t, s, fmt.Sprintf("cu%d", i)).ID)
		groups = append(groups, createGroup(t, s, fmt.Sprintf("cg%d", i)).ID)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 5*n)
	for i := range n {
		wg.Add(3)
		go func() {
			defer wg.Done()
			// An update that turns out to change groups, with its row
			// lock already taken.
			_, err := s.UpdateUser(ctx, users[n-1-i], 0, func(x *store.User) error {
				x.GroupIDs = append(x.GroupIDs, groups[i])
				x.Title = fmt.Sprint("t", i)
				return nil
			}, meta)
			errs <- err
		}()
		go func() {
			defer wg.Done()
			for round := range 2 {
				op := store.MembershipAdd
				if round == 1 {
					op = store.MembershipRemove
				}
				_, err := s.ChangeUserGroups(ctx, users[i], 0, op, groups[:n-i], meta)
				errs <- err
			}
		}()
		go func() {
			defer wg.Done()
			_, err := s.ChangeGroupMembers(ctx, groups[i], 0, store.MembershipAdd, users, meta)
			errs <- err
			_, err = s.ChangeGroupMembers(ctx, groups[i], 0, store.MembershipReplace, users[i:], meta)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("concurrent membership change: %v", err)
		}
	}
	for _, gid := range groups {
		g := getGroup(t, s, gid)
		for _, uid := range g.MemberIDs {
			if !slices.Contains(getUser(t, s, uid).GroupIDs, gid) {
				t.Errorf("group %s lists member %s, who does not list the group", g.Name, uid)
			}
		}
	}
	for _, uid := range users {
		for _, gid := range getUser(t, s, uid).GroupIDs {
			if !slices.Contains(getGroup(t, s, gid).MemberIDs, uid) {
				t.Errorf("user %s lists group %s, which does not list the user", uid, gid)
			}
		}
	}
}

// testMembershipPrecondition: a membership change with the version of the
// user (group) it was read at goes through; with an older one it fails
// with ErrPreconditionFailed and changes nothing. A change from the other
// side bumps the version too.
func testMembershipPrecondition(t *testing.T, s store.Store) {
	u := createUser(t, s, "pre-u")
	other := createUser(t, s, "pre-other")
	g := createGroup(t, s, "pre-g")
	g2 := createGroup(t, s, "pre-g2")
	g = getGroup(t, s, g.ID)
	read := g.Version
	if _, err := s.ChangeUserGroups(ctx, other.ID, 0, store.MembershipAdd, []string{g.ID}, meta); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ChangeGroupMembers(ctx, g.ID, read, store.MembershipReplace, []string{u.ID}, meta); !errors.Is(err, store.ErrPreconditionFailed) {
		t.Fatalf("replace with a stale group version: %v, want ErrPreconditionFailed", err)
	}
	cur := getGroup(t, s, g.ID)
	if len(cur.MemberIDs) != 1 || cur.MemberIDs[0] != other.ID {
		t.Fatalf("members after the refused replace: %v", cur.MemberIDs)
	}
	got, err := s.ChangeGroupMembers(ctx, g.ID, cur.Version, store.MembershipAdd, []string{u.ID}, meta)
	if err != nil || got.Version != cur.Version+1 {
		t.Fatalf("add with the current version: version %d, %v", got.Version, err)
	}
	uv := getUser(t, s, u.ID).Version
	if _, err := s.ChangeGroupMembers(ctx, g2.ID, 0, store.MembershipAdd, []string{u.ID}, meta); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ChangeUserGroups(ctx, u.ID, uv, store.MembershipRemove, []string{g.ID}, meta); !errors.Is(err, store.ErrPreconditionFailed) {
		t.Fatalf("remove with a stale user version: %v, want ErrPreconditionFailed", err)
	}
	if _, err := s.ChangeUserGroups(ctx, u.ID, getUser(t, s, u.ID).Version, store.MembershipRemove, []string{g.ID}, meta); err != nil {
		t.Fatalf("remove with the current user version: %v", err)
	}
}
