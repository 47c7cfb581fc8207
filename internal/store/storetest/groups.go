package storetest

import (
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/rollcall/rollcall/internal/store"
)

func testGroupCRUD(t *testing.T, s store.Store) {
	u1, u2 := createUser(t, s, "m1"), createUser(t, s, "m2")
	in := store.Group{ID: uid(7), Name: "admins", FriendlyName: "Admins", Description: "People who run things",
		Attributes: map[string]string{"k": "v"}, MemberIDs: []string{u2.ID, u1.ID}}
	g, err := s.CreateGroup(ctx, in, meta)
	if err != nil {
		t.Fatal(err)
	}
	members := sorted(u1.ID, u2.ID)
	if g.ID != uid(7) || g.Version != 1 || g.MemberCount != 2 || !reflect.DeepEqual(g.MemberIDs, members) {
		t.Errorf("created group %+v", g)
	}
	checkTime(t, "group created", g.CreatedAt)
	got := getGroup(t, s, g.ID)
	if !reflect.DeepEqual(got, g) {
		t.Errorf("GetGroup\n%+v\nwant\n%+v", got, g)
	}
	byName, err := s.GetGroupByName(ctx, "admins")
	if err != nil || !reflect.DeepEqual(byName, g) {
		t.Errorf("GetGroupByName = %+v, %v", byName, err)
	}
	if v := getUser(t, s, u1.ID).Version; v != 2 {
		t.Errorf("member version %d after joining a new group, want 2", v)
	}
	ev := allAudit(t, s, store.AuditFilter{TargetID: g.ID})
	if len(ev) != 1 || ev[0].Action != "group.create" || ev[0].TargetType != "group" || ev[0].TargetName != "admins" {
		t.Fatalf("group audit %+v", ev)
	}
	jsonEqual(t, "group.create after", ev[0].After, obj{"name": "admins", "friendly-name": "Admins",
		"description": "People who run things", "attributes": obj{"k": "v"}, "members": members})

	_, err = s.CreateGroup(ctx, store.Group{Name: "admins"}, meta)
	wantConflict(t, "same group name", err, "name")
	_, err = s.CreateGroup(ctx, store.Group{ID: uid(7), Name: "other"}, meta)
	wantConflict(t, "same group id", err, "id")
	_, err = s.CreateGroup(ctx, store.Group{Name: "x", MemberIDs: []string{u1.ID, uid(404)}}, meta)
	wantRefs(t, "unknown member", err, "user", uid(404))
	if _, err := s.GetGroupByName(ctx, "x"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("failed create left a group: %v", err)
	}
	_, err = s.GetGroup(ctx, uid(404))
	wantErr(t, "missing group", err, store.ErrNotFound)

	// Rename keeps members; the audit has only what changed.
	createGroup(t, s, "other")
	up, err := s.UpdateGroup(ctx, g.ID, g.Version, func(x *store.Group) error {
		x.Name = "operators"
		x.Description = ""
		return nil
	}, meta)
	if err != nil {
		t.Fatal(err)
	}
	if up.Version != 2 || up.Name != "operators" || !reflect.DeepEqual(up.MemberIDs, members) || up.MemberCount != 2 {
		t.Errorf("renamed group %+v", up)
	}
	if read := getGroup(t, s, g.ID); !reflect.DeepEqual(read, up) {
		t.Errorf("read back\n%+v\nwant\n%+v", read, up)
	}
	if ids := getUser(t, s, u1.ID).GroupIDs; !reflect.DeepEqual(ids, []string{g.ID}) {
		t.Errorf("member's groups after rename: %v", ids)
	}
	ev = allAudit(t, s, store.AuditFilter{TargetID: g.ID, Action: "group.update"})
	if len(ev) != 1 {
		t.Fatalf("%d group.update events", len(ev))
	}
	jsonEqual(t, "group.update before", ev[0].Before, obj{"name": "admins", "description": "People who run things"})
	jsonEqual(t, "group.update after", ev[0].After, obj{"name": "operators", "description": nil})

	_, err = s.UpdateGroup(ctx, g.ID, 0, func(x *store.Group) error { x.Name = "other"; return nil }, meta)
	wantConflict(t, "rename to a taken name", err, "name")
	_, err = s.UpdateGroup(ctx, g.ID, 1, func(x *store.Group) error { x.FriendlyName = "y"; return nil }, meta)
	wantErr(t, "stale group version", err, store.ErrPreconditionFailed)
	_, err = s.UpdateGroup(ctx, uid(404), 0, func(x *store.Group) error { return nil }, meta)
	wantErr(t, "update missing group", err, store.ErrNotFound)

	// No-op: no version bump, no audit.
	n := countAudit(t, s)
	same, err := s.UpdateGroup(ctx, g.ID, 0, func(x *store.Group) error { x.Name = "operators"; return nil }, meta)
	if err != nil || same.Version != up.Version || countAudit(t, s) != n {
		t.Errorf("no-op group update: version %d→%d, %d events, %v", up.Version, same.Version, countAudit(t, s)-n, err)
	}

	// MemberIDs changed by mutate replace the members.
	u3 := createUser(t, s, "m3")
	rep, err := s.UpdateGroup(ctx, g.ID, 0, func(x *store.Group) error { x.MemberIDs = []string{u3.ID}; return nil }, meta)
	if err != nil || !reflect.DeepEqual(rep.MemberIDs, []string{u3.ID}) || rep.MemberCount != 1 {
		t.Fatalf("replace members by update: %+v, %v", rep, err)
	}
	if ids := getUser(t, s, u1.ID).GroupIDs; len(ids) != 0 {
		t.Errorf("removed member still in groups %v", ids)
	}
	if ids := getUser(t, s, u3.ID).GroupIDs; !reflect.DeepEqual(ids, []string{g.ID}) {
		t.Errorf("added member groups %v", ids)
	}
}

func testGroupDelete(t *testing.T, s store.Store) {
	g := createGroup(t, s, "temp")
	keep := createGroup(t, s, "keep")
	u := createUser(t, s, "member", g.ID, keep.ID)
	if err := s.DeleteGroup(ctx, g.ID, 99, meta); !errors.Is(err, store.ErrPreconditionFailed) {
		t.Errorf("delete with stale version: %v", err)
	}
	if err := s.DeleteGroup(ctx, g.ID, 0, meta); err != nil {
		t.Fatal(err)
	}
	_, err := s.GetGroup(ctx, g.ID)
	wantErr(t, "deleted group", err, store.ErrNotFound)
	after := getUser(t, s, u.ID)
	if !reflect.DeepEqual(after.GroupIDs, []string{keep.ID}) {
		t.Errorf("member's groups after group delete: %v", after.GroupIDs)
	}
	if after.Version != u.Version+1 {
		t.Errorf("member version %d after its group was deleted, want %d", after.Version, u.Version+1)
	}
	ev := allAudit(t, s, store.AuditFilter{TargetID: g.ID})
	if len(ev) != 2 || ev[0].Action != "group.delete" {
		t.Fatalf("audit %+v", ev)
	}
	jsonEqual(t, "group.delete before", ev[0].Before, obj{"name": "temp", "members": []string{u.ID}})
	jsonEqual(t, "group.delete after", ev[0].After, nil)
	wantErr(t, "delete again", s.DeleteGroup(ctx, g.ID, 0, meta), store.ErrNotFound)
	// The name is free again.
	createGroup(t, s, "temp")
}

func groupNames(gs []store.Group) []string {
	out := []string{}
	for _, g := range gs {
		out = append(out, g.Name)
	}
	return out
}

func testListGroups(t *testing.T, s store.Store) {
	u := createUser(t, s, "lister")
	for _, n := range []string{"web", "db", "dev-ops", "devs", "api"} {
		createGroup(t, s, n)
	}
	fr, err := s.CreateGroup(ctx, store.Group{Name: "x1", FriendlyName: "Developers Guild"}, meta)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ChangeUserGroups(ctx, u.ID, 0, store.MembershipAdd, []string{fr.ID}, meta); err != nil {
		t.Fatal(err)
	}
	var got []string
	p := store.Page{Limit: 4}
	for {
		gs, next, err := s.ListGroups(ctx, store.GroupFilter{}, p)
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range gs {
			if g.MemberIDs != nil {
				t.Errorf("listed group %s has MemberIDs %v, want nil in lists", g.Name, g.MemberIDs)
			}
			if g.Name == "x1" && g.MemberCount != 1 {
				t.Errorf("listed member count %d, want 1", g.MemberCount)
			}
		}
		got = append(got, groupNames(gs)...)
		if next == "" {
			break
		}
		p.After = next
	}
	if want := []string{"api", "db", "dev-ops", "devs", "web", "x1"}; !reflect.DeepEqual(got, want) {
		t.Errorf("paged groups %v, want %v", got, want)
	}
	cases := []struct {
		f    store.GroupFilter
		want []string
	}{
		{store.GroupFilter{Name: "db"}, []string{"db"}},
		{store.GroupFilter{Query: "dev"}, []string{"dev-ops", "devs", "x1"}},
		{store.GroupFilter{Query: "DEVELOPERS"}, []string{"x1"}},
		{store.GroupFilter{UserID: u.ID}, []string{"x1"}},
		{store.GroupFilter{Query: "q"}, []string{}},
	}
	for _, c := range cases {
		gs, _, err := s.ListGroups(ctx, c.f, store.Page{})
		if err != nil {
			t.Fatal(err)
		}
		if got := groupNames(gs); !reflect.DeepEqual(got, c.want) {
			t.Errorf("filter %+v: %v, want %v", c.f, got, c.want)
		}
	}
}

func testGetGroups(t *testing.T, s store.Store) {
	a, b, c := createGroup(t, s, "ga"), createGroup(t, s, "gb"), createGroup(t, s, "gc")
	createUser(t, s, "in-b", b.ID)
	gs, err := s.GetGroups(ctx, []string{c.ID, uid(404), a.ID, b.ID})
	if err != nil {
		t.Fatal(err)
	}
	if got := groupNames(gs); !reflect.DeepEqual(got, []string{"gc", "ga", "gb"}) {
		t.Errorf("GetGroups order %v, want gc ga gb", got)
	}
	if gs[2].MemberCount != 1 {
		t.Errorf("member count %d, want 1", gs[2].MemberCount)
	}
	if gs, err := s.GetGroups(ctx, nil); err != nil || len(gs) != 0 {
		t.Errorf("GetGroups(nil) = %v, %v", gs, err)
	}

	// GroupLabels: the same groups in the same order, with what names them.
	if _, err := s.UpdateGroup(ctx, a.ID, 0, func(g *store.Group) error { g.FriendlyName = "Group A"; return nil }, meta); err != nil {
		t.Fatal(err)
	}
	ls, err := s.GroupLabels(ctx, []string{c.ID, uid(404), a.ID, b.ID})
	want := []store.GroupLabel{{ID: c.ID, Name: "gc"}, {ID: a.ID, Name: "ga", FriendlyName: "Group A"}, {ID: b.ID, Name: "gb"}}
	if err != nil || !reflect.DeepEqual(ls, want) {
		t.Errorf("GroupLabels = %+v, %v; want %+v", ls, err, want)
	}
	if ls, err := s.GroupLabels(ctx, nil); err != nil || ls == nil || len(ls) != 0 {
		t.Errorf("GroupLabels(nil) = %#v, %v", ls, err)
	}
}

func testGroupMemberIDs(t *testing.T, s store.Store) {
	a, b, empty := createGroup(t, s, "ma"), createGroup(t, s, "mb"), createGroup(t, s, "mempty")
	u1 := createUser(t, s, "m-one", a.ID, b.ID)
	u2 := createUser(t, s, "m-two", b.ID)
	u3 := createUser(t, s, "a-three", b.ID) // sorts first by username, not by id
	missing := uid(404)
	got, err := s.GroupMemberIDs(ctx, []string{b.ID, a.ID, empty.ID, missing, a.ID})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		a.ID:     {u1.ID},
		b.ID:     sortedIDs(u1.ID, u2.ID, u3.ID),
		empty.ID: {},
		missing:  {},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("GroupMemberIDs = %v, want %v", got, want)
	}
	// The same as GetGroup reads one at a time.
	for _, g := range []store.Group{a, b, empty} {
		one, err := s.GetGroup(ctx, g.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(one.MemberIDs, got[g.ID]) {
			t.Errorf("group %s: GetGroup members %v, GroupMemberIDs %v", g.Name, one.MemberIDs, got[g.ID])
		}
	}
	if got, err := s.GroupMemberIDs(ctx, nil); err != nil || len(got) != 0 {
		t.Errorf("GroupMemberIDs(nil) = %v, %v", got, err)
	}
}

// sortedIDs returns the ids sorted, as the store orders member ids.
func sortedIDs(ids ...string) []string {
	slices.Sort(ids)
	return ids
}

// testGroupMembers: the members a SCIM group response lists, with the name
// it shows for each: the display name, else "first last", else the
// username; the same ids as GroupMemberIDs, in one query for many groups.
func testGroupMembers(t *testing.T, s store.Store) {
	se, ok := s.(store.Searcher)
	if !ok {
		t.Fatal("the store does not implement store.Searcher, which SCIM needs of every backend")
	}
	a, b := createGroup(t, s, "na"), createGroup(t, s, "nb")
	named, err := s.CreateUser(ctx, store.User{Username: "n-one", Email: "n-one@example.com", DisplayName: "Ada L.", FirstName: "Ada", LastName: "Lovelace", GroupIDs: []string{a.ID, b.ID}}, meta)
	if err != nil {
		t.Fatal(err)
	}
	first, err := s.CreateUser(ctx, store.User{Username: "n-two", Email: "n-two@example.com", FirstName: "Grace", LastName: "Hopper", GroupIDs: []string{b.ID}}, meta)
	if err != nil {
		t.Fatal(err)
	}
	bare := createUser(t, s, "n-three", b.ID)
	missing := uid(404)
	got, err := se.GroupMembers(ctx, []string{b.ID, a.ID, missing})
	if err != nil {
		t.Fatal(err)
	}
	wantB := []store.Member{{ID: named.ID, Display: "Ada L."}, {ID: first.ID, Display: "Grace Hopper"}, {ID: bare.ID, Display: "n-three"}}
	slices.SortFunc(wantB, func(x, y store.Member) int { return strings.Compare(x.ID, y.ID) })
	want := map[string][]store.Member{a.ID: {{ID: named.ID, Display: "Ada L."}}, b.ID: wantB, missing: {}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("GroupMembers = %v, want %v", got, want)
	}
	if got, err := se.GroupMembers(ctx, nil); err != nil || len(got) != 0 {
		t.Errorf("GroupMembers(nil) = %v, %v", got, err)
	}
}

// testGroupCustomClaims checks that custom claims round-trip as JSON values
// of any type, that lists carry them, and that the audit has them before
// and after.
func testGroupCustomClaims(t *testing.T, s store.Store) {
	claims := map[string]json.RawMessage{"role": json.RawMessage(`"ops"`), "level": json.RawMessage(`3`),
		"tags": json.RawMessage(`["a","b"]`), "nested": json.RawMessage(`{"x":true}`)}
	g, err := s.CreateGroup(ctx, store.Group{Name: "claimers", CustomClaims: claims}, meta)
	if err != nil {
		t.Fatal(err)
	}
	if got := getGroup(t, s, g.ID).CustomClaims; !reflect.DeepEqual(got, claims) {
		t.Errorf("read back custom claims %s", mustJSON(got))
	}
	plain := createGroup(t, s, "plain")
	if got := getGroup(t, s, plain.ID).CustomClaims; got == nil || len(got) != 0 {
		t.Errorf("group without custom claims read back %#v, want an empty map", got)
	}
	gs, err := s.GetGroups(ctx, []string{g.ID})
	if err != nil || len(gs) != 1 || !reflect.DeepEqual(gs[0].CustomClaims, claims) {
		t.Errorf("GetGroups custom claims %+v, %v", gs, err)
	}
	up, err := s.UpdateGroup(ctx, g.ID, 0, func(x *store.Group) error {
		x.CustomClaims = map[string]json.RawMessage{"role": json.RawMessage(`"dev"`)}
		return nil
	}, meta)
	if err != nil || up.Version != 2 {
		t.Fatalf("update custom claims: %+v, %v", up, err)
	}
	if got := getGroup(t, s, g.ID).CustomClaims; string(mustJSON(got)) != `{"role":"dev"}` {
		t.Errorf("custom claims after update %s", mustJSON(got))
	}
	ev := allAudit(t, s, store.AuditFilter{TargetID: g.ID, Action: "group.update"})
	if len(ev) != 1 {
		t.Fatalf("%d group.update events", len(ev))
	}
	jsonEqual(t, "custom claims before", ev[0].Before, obj{"custom-claims": obj{"role": "ops", "level": 3, "tags": []any{"a", "b"}, "nested": obj{"x": true}}})
	jsonEqual(t, "custom claims after", ev[0].After, obj{"custom-claims": obj{"role": "dev"}})
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
