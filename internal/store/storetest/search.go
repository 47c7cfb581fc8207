package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/rollcall/rollcall/internal/store"
)

func cmp(op, field string, v any) store.Cond { return store.Cond{Op: op, Field: field, Value: v} }

// testSearch checks what each Cond means on users and groups: case rules,
// and/or/not, ranges on times, related ids, paging and totals.
func testSearch(t *testing.T, s store.Store) {
	se, ok := s.(store.Searcher)
	if !ok {
		t.Fatal("the store does not implement store.Searcher, which SCIM needs of every backend")
	}
	ada := createUser(t, s, "ada")
	createUser(t, s, "bob")
	cy := createUser(t, s, "cy")
	g := createGroup(t, s, "eng", ada.ID, cy.ID)
	createGroup(t, s, "ops")
	time.Sleep(5 * time.Millisecond)
	mid := time.Now()
	time.Sleep(5 * time.Millisecond)
	if _, err := s.UpdateUser(ctx, cy.ID, 0, func(u *store.User) error {
		u.ExternalID, u.LastName, u.DisplayName, u.Disabled = "EXT-9", "Lovelace", "Cy Q", true
		return nil
	}, meta); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name string
		cond *store.Cond
		want []string
	}{
		{"all", nil, []string{"ada", "bob", "cy"}},
		{"username eq, any case", &store.Cond{Op: "eq", Field: store.FieldUsername, Value: "ADA"}, []string{"ada"}},
		{"email eq, any case", ptr(cmp("eq", store.FieldEmail, "Bob@Example.COM")), []string{"bob"}},
		{"externalId is exact", ptr(cmp("eq", store.FieldExternalID, "ext-9")), nil},
		{"externalId eq", ptr(cmp("eq", store.FieldExternalID, "EXT-9")), []string{"cy"}},
		{"externalId co is exact", ptr(cmp("co", store.FieldExternalID, "xt")), nil},
		{"externalId co", ptr(cmp("co", store.FieldExternalID, "XT")), []string{"cy"}},
		{"externalId pr", ptr(cmp("pr", store.FieldExternalID, nil)), []string{"cy"}},
		{"username sw", ptr(cmp("sw", store.FieldUsername, "B")), []string{"bob"}},
		{"username ew", ptr(cmp("ew", store.FieldUsername, "Y")), []string{"cy"}},
		{"username ne", ptr(cmp("ne", store.FieldUsername, "ada")), []string{"bob", "cy"}},
		{"last name eq, any case", ptr(cmp("eq", store.FieldLastName, "lovelace")), []string{"cy"}},
		{"display name co, any case", ptr(cmp("co", store.FieldDisplayName, "y q")), []string{"cy"}},
		{"updated after", ptr(cmp("gt", store.FieldUpdatedAt, mid)), []string{"cy"}},
		{"updated up to", ptr(cmp("le", store.FieldUpdatedAt, mid)), []string{"ada", "bob"}},
		{"disabled", ptr(cmp("eq", store.FieldDisabled, true)), []string{"cy"}},
		{"in group", ptr(cmp("eq", store.FieldGroup, g.ID)), []string{"ada", "cy"}},
		{"in a group", ptr(cmp("pr", store.FieldGroup, nil)), []string{"ada", "cy"}},
		{"or", &store.Cond{Op: "or", Sub: []store.Cond{cmp("eq", store.FieldUsername, "ada"), cmp("eq", store.FieldUsername, "bob")}}, []string{"ada", "bob"}},
		{"and not", &store.Cond{Op: "and", Sub: []store.Cond{cmp("eq", store.FieldGroup, g.ID),
			{Op: "not", Sub: []store.Cond{cmp("eq", store.FieldUsername, "ada")}}}}, []string{"cy"}},
		{"true and", &store.Cond{Op: "and", Sub: []store.Cond{{Op: "true"}, cmp("eq", store.FieldEmail, "ada@example.com")}}, []string{"ada"}},
		{"false", &store.Cond{Op: "false"}, nil},
		{"like characters are plain", ptr(cmp("co", store.FieldUsername, "%")), nil},
	} {
		users, total, err := se.SearchUsers(ctx, store.Query{Where: tc.cond, Limit: 100})
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		var got []string
		for _, u := range users {
			if u.Username != "ada" && u.Username != "bob" && u.Username != "cy" {
				continue // a store may hold others (no, but be safe)
			}
			got = append(got, u.Username)
		}
		if !slices.Equal(got, tc.want) || total != len(users) {
			t.Errorf("%s: %v (total %d), want %v", tc.name, got, total, tc.want)
		}
	}
	// Paging: offset and limit with the total of all matches.
	users, total, err := se.SearchUsers(ctx, store.Query{Offset: 1, Limit: 1})
	if err != nil || total != 3 || len(users) != 1 || users[0].Username != "bob" {
		t.Errorf("page 2 of 1: %v of %d, %v", users, total, err)
	}
	users, total, err = se.SearchUsers(ctx, store.Query{After: "ada", Limit: 1})
	if err != nil || total != 3 || len(users) != 1 || users[0].Username != "bob" {
		t.Errorf("the page after ada: %v of %d, %v", users, total, err)
	}
	users, total, err = se.SearchUsers(ctx, store.Query{After: "ada", Offset: 1, Limit: 5, NoCount: true,
		Where: ptr(cmp("ne", store.FieldUsername, "zed"))})
	if err != nil || total != -1 || len(users) != 1 || users[0].Username != "cy" {
		t.Errorf("one past the page after ada, uncounted: %v of %d, %v", users, total, err)
	}
	users, _, err = se.SearchUsers(ctx, store.Query{Desc: true, Limit: 2})
	if err != nil || len(users) != 2 || users[0].Username != "cy" || users[1].Username != "bob" {
		t.Errorf("descending: %v, %v", users, err)
	}
	users, _, err = se.SearchUsers(ctx, store.Query{Desc: true, After: "bob", Limit: 2, Where: ptr(cmp("pr", store.FieldUsername, nil))})
	if err != nil || len(users) != 1 || users[0].Username != "ada" {
		t.Errorf("descending after bob: %v, %v", users, err)
	}
	if _, err := s.UpdateGroup(ctx, g.ID, 0, func(g *store.Group) error {
		g.Attributes = map[string]string{"external_id": "AAD-7"}
		return nil
	}, meta); err != nil {
		t.Fatal(err)
	}
	groups, _, err := se.SearchGroups(ctx, store.Query{Where: ptr(cmp("eq", store.FieldExternalID, "AAD-7")), Limit: 5})
	if err != nil || len(groups) != 1 || groups[0].Name != "eng" {
		t.Errorf("group by external id: %v, %v", groups, err)
	}
	groups, _, err = se.SearchGroups(ctx, store.Query{Where: ptr(cmp("pr", store.FieldExternalID, nil)), Limit: 5})
	if err != nil || len(groups) != 1 {
		t.Errorf("groups with an external id: %v, %v", groups, err)
	}
	groups, _, err = se.SearchGroups(ctx, store.Query{After: "eng", Limit: 5})
	if err != nil || len(groups) != 1 || groups[0].Name != "ops" {
		t.Errorf("groups after eng: %v, %v", groups, err)
	}
	users, total, err = se.SearchUsers(ctx, store.Query{Limit: 0})
	if err != nil || total != 3 || len(users) != 0 {
		t.Errorf("count only: %d users of %d, %v", len(users), total, err)
	}
	if _, _, err := se.SearchUsers(ctx, store.Query{Where: ptr(cmp("eq", "shoe-size", "9")), Limit: 1}); err == nil {
		t.Error("an unknown field searched without an error")
	}
	groups, total, err = se.SearchGroups(ctx, store.Query{Where: ptr(cmp("eq", store.FieldMember, cy.ID)), Limit: 10})
	if err != nil || total != 1 || len(groups) != 1 || groups[0].Name != "eng" || groups[0].MemberCount != 2 {
		t.Errorf("groups of cy: %+v, %d, %v", groups, total, err)
	}
	groups, total, err = se.SearchGroups(ctx, store.Query{Where: ptr(cmp("eq", store.FieldName, "OPS")), Limit: 10})
	if err != nil || total != 1 || len(groups) != 1 || groups[0].Name != "ops" {
		t.Errorf("group ops: %+v, %d, %v", groups, total, err)
	}
}

// testPatchGroupMembers checks the member delta: only the named rows
// change, versions move for those users and the group, the audit event
// lists the delta, unknown users fail it all.
func testPatchGroupMembers(t *testing.T, s store.Store) {
	se, ok := s.(store.Searcher)
	if !ok {
		t.Fatal("the store does not implement store.Searcher, which SCIM needs of every backend")
	}
	ada, bob, cy := createUser(t, s, "ada"), createUser(t, s, "bob"), createUser(t, s, "cy")
	g := createGroup(t, s, "eng", ada.ID, bob.ID)
	bob, _ = s.GetUser(ctx, bob.ID) // joining eng moved its version
	got, err := se.PatchGroupMembers(ctx, g.ID, 0, []string{cy.ID, ada.ID}, []string{bob.ID, uid(77)}, meta)
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != g.Version+1 || got.MemberCount != 2 {
		t.Errorf("after the patch: version %d (was %d), %d members", got.Version, g.Version, got.MemberCount)
	}
	full, err := s.GetGroup(ctx, g.ID)
	if err != nil || !slices.Equal(full.MemberIDs, sortedIDs(ada.ID, cy.ID)) || full.Version != got.Version {
		t.Errorf("members %v (version %d), want ada and cy at %d: %v", full.MemberIDs, full.Version, got.Version, err)
	}
	for _, u := range []store.User{bob, cy} {
		after, _ := s.GetUser(ctx, u.ID)
		if after.Version != u.Version+1 {
			t.Errorf("%s's version %d, want %d", u.Username, after.Version, u.Version+1)
		}
	}
	ev := allAudit(t, s, store.AuditFilter{TargetID: g.ID})
	if len(ev) == 0 || ev[0].Action != "group.members.update" {
		t.Fatalf("audit %+v", ev)
	}
	jsonEqual(t, "delta after", ev[0].After, obj{"members-added": []string{cy.ID}})
	jsonEqual(t, "delta before", ev[0].Before, obj{"members-removed": []string{bob.ID}})

	// No change: no new version, no event.
	same, err := se.PatchGroupMembers(ctx, g.ID, 0, []string{ada.ID}, []string{bob.ID}, meta)
	if err != nil || same.Version != got.Version {
		t.Errorf("a patch that changes nothing: version %d, want %d, %v", same.Version, got.Version, err)
	}
	_, err = se.PatchGroupMembers(ctx, g.ID, got.Version-1, []string{bob.ID}, nil, meta)
	wantErr(t, "a stale version", err, store.ErrPreconditionFailed)
	if _, err := se.PatchGroupMembers(ctx, g.ID, got.Version, []string{bob.ID}, nil, meta); err != nil {
		t.Errorf("the current version: %v", err)
	}
	_, err = se.PatchGroupMembers(ctx, g.ID, 0, []string{uid(404)}, nil, meta)
	wantRefs(t, "adding an unknown user", err, "user", uid(404))
	_, err = se.PatchGroupMembers(ctx, uid(405), 0, nil, []string{ada.ID}, meta)
	wantErr(t, "unknown group", err, store.ErrNotFound)
}

// testSetGroupMembers: replacing a group's whole member list changes the
// rows, versions and audit of the users who leave or join only; the same
// list again changes nothing; an empty list removes everyone; unknown
// users and a stale version change nothing. UpdateGroupAttrs changes the
// rest of a group without its members.
func testSetGroupMembers(t *testing.T, s store.Store) {
	se, ok := s.(store.Searcher)
	if !ok {
		t.Fatal("the store does not implement store.Searcher, which SCIM needs of every backend")
	}
	ada, bob, cy := createUser(t, s, "ada"), createUser(t, s, "bob"), createUser(t, s, "cy")
	g := createGroup(t, s, "eng", ada.ID, bob.ID)
	ada, bob = getUser(t, s, ada.ID), getUser(t, s, bob.ID) // joining eng moved their versions

	got, err := se.SetGroupMembers(ctx, g.ID, 0, []string{cy.ID, bob.ID, cy.ID}, meta)
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != g.Version+1 || got.MemberCount != 2 || got.MemberIDs != nil {
		t.Errorf("after the replace: version %d (was %d), %d members, MemberIDs %v", got.Version, g.Version, got.MemberCount, got.MemberIDs)
	}
	if full := getGroup(t, s, g.ID); !slices.Equal(full.MemberIDs, sortedIDs(bob.ID, cy.ID)) || full.Version != got.Version {
		t.Errorf("members %v (version %d), want bob and cy at %d", full.MemberIDs, full.Version, got.Version)
	}
	for _, tc := range []struct {
		u    store.User
		bump int64
	}{{ada, 1}, {bob, 0}, {cy, 1}} {
		if after := getUser(t, s, tc.u.ID); after.Version != tc.u.Version+tc.bump {
			t.Errorf("%s's version %d, want %d", tc.u.Username, after.Version, tc.u.Version+tc.bump)
		}
	}
	ev := allAudit(t, s, store.AuditFilter{TargetID: g.ID})
	if len(ev) == 0 || ev[0].Action != "group.members.update" {
		t.Fatalf("audit %+v", ev)
	}
	jsonEqual(t, "replace: added", ev[0].After, obj{"members-added": []string{cy.ID}})
	jsonEqual(t, "replace: removed", ev[0].Before, obj{"members-removed": []string{ada.ID}})

	// The same members: no new version, no event.
	events := countAudit(t, s)
	same, err := se.SetGroupMembers(ctx, g.ID, got.Version, []string{bob.ID, cy.ID}, meta)
	if err != nil || same.Version != got.Version || same.MemberCount != 2 || countAudit(t, s) != events {
		t.Errorf("a replace that changes nothing: version %d (want %d), %d members, %d events (want %d), %v",
			same.Version, got.Version, same.MemberCount, countAudit(t, s), events, err)
	}
	_, err = se.SetGroupMembers(ctx, g.ID, got.Version-1, nil, meta)
	wantErr(t, "a stale version", err, store.ErrPreconditionFailed)
	_, err = se.SetGroupMembers(ctx, g.ID, 0, []string{ada.ID, uid(404)}, meta)
	wantRefs(t, "an unknown user", err, "user", uid(404))
	_, err = se.SetGroupMembers(ctx, uid(405), 0, nil, meta)
	wantErr(t, "unknown group", err, store.ErrNotFound)
	if full := getGroup(t, s, g.ID); !slices.Equal(full.MemberIDs, sortedIDs(bob.ID, cy.ID)) || full.Version != got.Version {
		t.Errorf("refused replaces changed the group: %v at version %d", full.MemberIDs, full.Version)
	}

	// Everyone out.
	bob, cy = getUser(t, s, bob.ID), getUser(t, s, cy.ID)
	none, err := se.SetGroupMembers(ctx, g.ID, got.Version, []string{}, meta)
	if err != nil || none.Version != got.Version+1 || none.MemberCount != 0 {
		t.Errorf("remove all: version %d (want %d), %d members, %v", none.Version, got.Version+1, none.MemberCount, err)
	}
	if full := getGroup(t, s, g.ID); len(full.MemberIDs) != 0 || full.MemberCount != 0 {
		t.Errorf("after removing all: %v (%d)", full.MemberIDs, full.MemberCount)
	}
	for _, u := range []store.User{bob, cy} {
		if after := getUser(t, s, u.ID); after.Version != u.Version+1 || len(after.GroupIDs) != 0 {
			t.Errorf("%s after removing all: version %d (want %d), groups %v", u.Username, after.Version, u.Version+1, after.GroupIDs)
		}
	}
	ev = allAudit(t, s, store.AuditFilter{TargetID: g.ID})
	jsonEqual(t, "remove all: removed", ev[0].Before, obj{"members-removed": sortedIDs(bob.ID, cy.ID)})
	if ev[0].After != nil {
		t.Errorf("remove all: after %s, want none", ev[0].After)
	}

	// UpdateGroupAttrs: the members are not read, and stay.
	if _, err := se.SetGroupMembers(ctx, g.ID, 0, []string{ada.ID}, meta); err != nil {
		t.Fatal(err)
	}
	up, err := se.UpdateGroupAttrs(ctx, g.ID, 0, func(x *store.Group) error {
		if x.MemberIDs != nil {
			t.Errorf("UpdateGroupAttrs read the members: %v", x.MemberIDs)
		}
		x.FriendlyName = "Engineering"
		return nil
	}, meta)
	if err != nil || up.FriendlyName != "Engineering" || up.MemberCount != 1 || up.Version != none.Version+2 {
		t.Errorf("UpdateGroupAttrs: %+v, %v", up, err)
	}
	if full := getGroup(t, s, g.ID); !slices.Equal(full.MemberIDs, []string{ada.ID}) || full.FriendlyName != "Engineering" {
		t.Errorf("after UpdateGroupAttrs: %+v", full)
	}
	ev = allAudit(t, s, store.AuditFilter{TargetID: g.ID})
	jsonEqual(t, "rename: after", ev[0].After, obj{"friendly-name": "Engineering"})
	if _, err := se.UpdateGroupAttrs(ctx, g.ID, 0, func(x *store.Group) error { x.MemberIDs = []string{}; return nil }, meta); err == nil {
		t.Error("UpdateGroupAttrs changed the members")
	}
}

func ptr[T any](v T) *T { return &v }

// testSortMissing: a user without the value sortBy names (no last name,
// display name or external id) comes after every user with one when
// ascending and before them when descending (RFC 7644 §3.4.2.3), the
// users without it in username order (reversed when descending); and an
// OFFSET page that straddles the line between the two holds the right
// users, with and without a filter.
func testSortMissing(t *testing.T, s store.Store) {
	se, ok := s.(store.Searcher)
	if !ok {
		t.Fatal("the store does not implement store.Searcher, which SCIM needs of every backend")
	}
	for _, u := range []store.User{
		{Username: "ada", LastName: "Lovelace", DisplayName: "Countess", ExternalID: "e2"},
		{Username: "bob"},
		{Username: "cy", LastName: "Hopper", ExternalID: "e1"}, // displayName "Hopper", from the names
		{Username: "dan"},
	} {
		u.Email = u.Username + "@example.com"
		if _, err := s.CreateUser(ctx, u, meta); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		sortBy string
		asc    []string
	}{
		{store.FieldLastName, []string{"cy", "ada", "bob", "dan"}},
		{store.FieldDisplayName, []string{"ada", "cy", "bob", "dan"}},
		{store.FieldExternalID, []string{"cy", "ada", "bob", "dan"}},
	} {
		desc := slices.Clone(tc.asc)
		slices.Reverse(desc)
		for _, order := range []struct {
			desc bool
			want []string
		}{{false, tc.asc}, {true, desc}} {
			for _, where := range []*store.Cond{nil, ptr(cmp("ne", store.FieldUsername, "zed"))} {
				for offset := 0; offset < len(order.want); offset++ {
					users, total, err := se.SearchUsers(ctx, store.Query{SortBy: tc.sortBy, Desc: order.desc, Offset: offset, Limit: 2, Where: where})
					if err != nil {
						t.Fatalf("sort by %s: %v", tc.sortBy, err)
					}
					var got []string
					for _, u := range users {
						got = append(got, u.Username)
					}
					want := order.want[offset:min(offset+2, len(order.want))]
					if !slices.Equal(got, want) || total != 4 {
						t.Errorf("sort by %s (desc %v, filtered %v), offset %d: %v of %d, want %v of 4",
							tc.sortBy, order.desc, where != nil, offset, got, total, want)
					}
				}
			}
		}
	}
}
