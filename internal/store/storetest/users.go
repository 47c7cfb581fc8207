package storetest

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/rollcall/rollcall/internal/store"
)

// fullUser has every writable field set.
func fullUser() store.User {
	return store.User{
		ID:             uid(1),
		Username:       "ada.lovelace",
		Email:          "Ada@Example.com",
		EmailVerified:  true,
		FirstName:      "Ada",
		LastName:       "Lovelace",
		DisplayName:    "Countess Ada",
		Locale:         "en-GB",
		IsAdmin:        true,
		ServiceAccount: false,
		Phone:          "+442071234567",
		Mobile:         "+447700900123",
		Title:          "Analyst",
		Department:     "Engines",
		AvatarURL:      "https://example.com/ada.png",
		ExternalID:     "E-1815",
		ExternalSource: "hr",
		Attributes:     map[string]string{"team": "engine", "floor": "2"},
	}
}

func checkTime(t *testing.T, what string, tm time.Time) {
	t.Helper()
	if tm.IsZero() || tm.Location() != time.UTC || tm.Nanosecond()%1000 != 0 {
		t.Errorf("%s = %v: want a UTC time truncated to microseconds", what, tm)
	}
	if d := time.Since(tm); d < -time.Minute || d > time.Minute {
		t.Errorf("%s = %v: not now", what, tm)
	}
}

func testUserCreateGet(t *testing.T, s store.Store) {
	g2 := createGroup(t, s, "zeta")
	g1 := createGroup(t, s, "alpha")
	in := fullUser()
	in.GroupIDs = []string{g2.ID, g1.ID, g2.ID}
	in.Version = 42                // ignored
	in.CreatedAt = time.Unix(1, 0) // ignored
	in.PasskeyCount = 5            // read-only
	u, err := s.CreateUser(ctx, in, meta)
	if err != nil {
		t.Fatal(err)
	}
	if u.ID != uid(1) {
		t.Errorf("proposed id: got %s, want %s", u.ID, uid(1))
	}
	if u.Version != 1 {
		t.Errorf("version = %d, want 1", u.Version)
	}
	checkTime(t, "created", u.CreatedAt)
	if !u.UpdatedAt.Equal(u.CreatedAt) {
		t.Errorf("updated %v != created %v", u.UpdatedAt, u.CreatedAt)
	}
	wantGroups := []string{g1.ID, g2.ID}
	slices.Sort(wantGroups)
	if !reflect.DeepEqual(u.GroupIDs, wantGroups) {
		t.Errorf("groups = %v, want sorted, deduplicated %v", u.GroupIDs, wantGroups)
	}
	if u.PasskeyCount != 0 || u.LastSignInAt != nil {
		t.Errorf("passkey count %d, last sign-in %v: want 0, nil", u.PasskeyCount, u.LastSignInAt)
	}
	want := in
	want.GroupIDs, want.Version, want.CreatedAt, want.UpdatedAt, want.PasskeyCount = wantGroups, 1, u.CreatedAt, u.UpdatedAt, 0
	if !reflect.DeepEqual(u, want) {
		t.Errorf("create returned\n%+v\nwant\n%+v", u, want)
	}
	got := getUser(t, s, u.ID)
	if !reflect.DeepEqual(got, u) {
		t.Errorf("GetUser returned\n%+v\nwant what create returned\n%+v", got, u)
	}
	byName, err := s.GetUserByUsername(ctx, "ada.lovelace")
	if err != nil || !reflect.DeepEqual(byName, u) {
		t.Errorf("GetUserByUsername = %+v, %v; want %+v", byName, err, u)
	}

	// A minimal user: generated id, empty collections never nil.
	m, err := s.CreateUser(ctx, store.User{Username: "min", Email: "min@example.com"}, meta)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.ID) != 36 {
		t.Errorf("generated id %q is not a UUID", m.ID)
	}
	m = getUser(t, s, m.ID)
	if m.Attributes == nil || m.GroupIDs == nil {
		t.Errorf("attributes %#v, groups %#v: want empty, not nil", m.Attributes, m.GroupIDs)
	}

	_, err = s.GetUser(ctx, uid(999))
	wantErr(t, "GetUser(missing)", err, store.ErrNotFound)
	_, err = s.GetUserByUsername(ctx, "nobody")
	wantErr(t, "GetUserByUsername(missing)", err, store.ErrNotFound)

	evs := allAudit(t, s, store.AuditFilter{TargetID: u.ID})
	if len(evs) != 1 || evs[0].Action != "user.create" {
		t.Fatalf("audit for the new user: %+v, want one user.create", evs)
	}
	e := evs[0]
	if e.TargetType != "user" || e.TargetName != "ada.lovelace" || e.ActorID != meta.ActorID ||
		e.ActorName != meta.ActorName || e.RequestID != meta.RequestID || e.ClientIP != meta.ClientIP {
		t.Errorf("audit event %+v does not record target and meta %+v", e, meta)
	}
	if !e.CreatedAt.Equal(u.CreatedAt) {
		t.Errorf("audit time %v, want the user's %v", e.CreatedAt, u.CreatedAt)
	}
	jsonEqual(t, "user.create before", e.Before, nil)
	jsonEqual(t, "user.create after", e.After, obj{
		"username": "ada.lovelace", "email": "Ada@Example.com", "email-verified": true, "first-name": "Ada",
		"last-name": "Lovelace", "display-name": "Countess Ada", "locale": "en-GB", "is-admin": true,
		"phone": "+442071234567", "mobile": "+447700900123", "title": "Analyst", "department": "Engines",
		"avatar-url": "https://example.com/ada.png", "external-id": "E-1815", "external-source": "hr",
		"attributes": obj{"team": "engine", "floor": "2"}, "groups": wantGroups,
	})
}

func testUserConflicts(t *testing.T, s store.Store) {
	u := createUser(t, s, "alice")
	before := countAudit(t, s)
	_, err := s.CreateUser(ctx, store.User{Username: "alice", Email: "other@example.com"}, meta)
	wantConflict(t, "same username", err, "username")
	_, err = s.CreateUser(ctx, store.User{Username: "alice2", Email: "ALICE@Example.COM"}, meta)
	wantConflict(t, "same email in other case", err, "email")
	_, err = s.CreateUser(ctx, store.User{ID: u.ID, Username: "alice3", Email: "alice3@example.com"}, meta)
	wantConflict(t, "same id", err, "id")
	if n := countAudit(t, s); n != before {
		t.Errorf("failed creates wrote %d audit events", n-before)
	}
	if n, _ := s.CountUsers(ctx); n != 1 {
		t.Errorf("%d users after failed creates, want 1", n)
	}

	b := createUser(t, s, "bob")
	_, err = s.UpdateUser(ctx, b.ID, 0, func(x *store.User) error { x.Username = "alice"; return nil }, meta)
	wantConflict(t, "rename to a taken username", err, "username")
	_, err = s.UpdateUser(ctx, b.ID, 0, func(x *store.User) error { x.Email = "Alice@example.com"; return nil }, meta)
	wantConflict(t, "change to a taken email", err, "email")
	if got := getUser(t, s, b.ID); got.Version != 1 || got.Username != "bob" {
		t.Errorf("after failed updates: %+v, want unchanged", got)
	}
	// Changing only the case of one's own email is not a conflict.
	got, err := s.UpdateUser(ctx, b.ID, 0, func(x *store.User) error { x.Email = "BOB@example.com"; return nil }, meta)
	if err != nil || got.Email != "BOB@example.com" {
		t.Errorf("recase own email: %+v, %v", got, err)
	}
}

func testUserUpdate(t *testing.T, s store.Store) {
	g := createGroup(t, s, "eng")
	u, err := s.CreateUser(ctx, fullUser(), meta)
	if err != nil {
		t.Fatal(err)
	}
	createAdmin(t, s, "keeper") // so that ada may step down (see testLastAdmin)
	if _, err := s.ChangeUserGroups(ctx, u.ID, 0, store.MembershipAdd, []string{g.ID}, meta); err != nil {
		t.Fatal(err)
	}
	u = getUser(t, s, u.ID)
	time.Sleep(2 * time.Millisecond) // so that updated-at moves
	got, err := s.UpdateUser(ctx, u.ID, u.Version, func(x *store.User) error {
		x.Username = "ada.byron" // rename
		x.FirstName = ""         // clear
		x.Title = "Countess"
		x.IsAdmin = false
		x.Attributes["floor"] = "3"
		x.ID = "ignored"
		x.Version = 99
		return nil
	}, meta)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != u.ID || got.Version != u.Version+1 || !got.UpdatedAt.After(u.UpdatedAt) || !got.CreatedAt.Equal(u.CreatedAt) {
		t.Errorf("update: id %s version %d updated %v created %v; want id %s version %d, updated later, created kept",
			got.ID, got.Version, got.UpdatedAt, got.CreatedAt, u.ID, u.Version+1)
	}
	checkTime(t, "updated", got.UpdatedAt)
	if !reflect.DeepEqual(got.GroupIDs, []string{g.ID}) {
		t.Errorf("rename lost memberships: %v", got.GroupIDs)
	}
	read := getUser(t, s, u.ID)
	if !reflect.DeepEqual(read, got) {
		t.Errorf("read back\n%+v\nwant\n%+v", read, got)
	}
	if read.Username != "ada.byron" || read.FirstName != "" || read.Title != "Countess" || read.IsAdmin || read.Attributes["floor"] != "3" {
		t.Errorf("update not stored: %+v", read)
	}
	if _, err := s.GetUserByUsername(ctx, "ada.lovelace"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("old username still found: %v", err)
	}
	if gg := getGroup(t, s, g.ID); !reflect.DeepEqual(gg.MemberIDs, []string{u.ID}) {
		t.Errorf("group members after rename: %v", gg.MemberIDs)
	}
	evs := allAudit(t, s, store.AuditFilter{TargetID: u.ID, Action: "user.update"})
	if len(evs) != 1 {
		t.Fatalf("%d user.update events, want 1", len(evs))
	}
	e := evs[0]
	if e.TargetName != "ada.byron" {
		t.Errorf("target name %q, want the new username", e.TargetName)
	}
	jsonEqual(t, "update before", e.Before, obj{"username": "ada.lovelace", "first-name": "Ada", "title": "Analyst",
		"is-admin": true, "attributes": obj{"team": "engine", "floor": "2"}})
	jsonEqual(t, "update after", e.After, obj{"username": "ada.byron", "first-name": nil, "title": "Countess",
		"is-admin": false, "attributes": obj{"team": "engine", "floor": "3"}})

	_, err = s.UpdateUser(ctx, uid(999), 0, func(*store.User) error { return nil }, meta)
	wantErr(t, "update missing", err, store.ErrNotFound)
}

func testUserUpdateNoop(t *testing.T, s store.Store) {
	u, err := s.CreateUser(ctx, fullUser(), meta)
	if err != nil {
		t.Fatal(err)
	}
	n := countAudit(t, s)
	got, err := s.UpdateUser(ctx, u.ID, u.Version, func(x *store.User) error {
		x.Title = "Analyst"                                              // same value
		x.Attributes = map[string]string{"floor": "2", "team": "engine"} // same map
		x.GroupIDs = nil                                                 // same (empty) set
		return nil
	}, meta)
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != u.Version || !got.UpdatedAt.Equal(u.UpdatedAt) {
		t.Errorf("no-op update changed version %d→%d or time", u.Version, got.Version)
	}
	if getUser(t, s, u.ID).Version != u.Version {
		t.Errorf("no-op update bumped the stored version")
	}
	if m := countAudit(t, s); m != n {
		t.Errorf("no-op update wrote %d audit events", m-n)
	}
}

func testUserUpdatePrecondition(t *testing.T, s store.Store) {
	u := createUser(t, s, "carol")
	n := countAudit(t, s)
	_, err := s.UpdateUser(ctx, u.ID, u.Version+1, func(x *store.User) error { x.Title = "x"; return nil }, meta)
	wantErr(t, "stale If-Match", err, store.ErrPreconditionFailed)
	boom := errors.New("mutate refused")
	_, err = s.UpdateUser(ctx, u.ID, 0, func(x *store.User) error { x.Title = "y"; return boom }, meta)
	if err != boom {
		t.Errorf("mutate error: got %v, want it returned as is", err)
	}
	if got := getUser(t, s, u.ID); got.Title != "" || got.Version != 1 {
		t.Errorf("failed updates changed the user: %+v", got)
	}
	if m := countAudit(t, s); m != n {
		t.Errorf("failed updates wrote %d audit events", m-n)
	}
	got, err := s.UpdateUser(ctx, u.ID, 1, func(x *store.User) error { x.Title = "z"; return nil }, meta)
	if err != nil || got.Version != 2 {
		t.Fatalf("update with the right version: %+v, %v", got, err)
	}
	err = s.DeleteUser(ctx, u.ID, 1, meta)
	wantErr(t, "delete with stale version", err, store.ErrPreconditionFailed)
	if err := s.DeleteUser(ctx, u.ID, 2, meta); err != nil {
		t.Fatalf("delete with the right version: %v", err)
	}
	wantErr(t, "delete again", s.DeleteUser(ctx, u.ID, 0, meta), store.ErrNotFound)
}

func testUserUpdateGroups(t *testing.T, s store.Store) {
	a, b, c := createGroup(t, s, "a"), createGroup(t, s, "b"), createGroup(t, s, "c")
	u := createUser(t, s, "dave", a.ID, b.ID)
	a, b = getGroup(t, s, a.ID), getGroup(t, s, b.ID)
	if a.Version != 2 || b.Version != 2 {
		t.Errorf("creating a member bumps its groups: versions %d %d, want 2 2", a.Version, b.Version)
	}
	got, err := s.UpdateUser(ctx, u.ID, 0, func(x *store.User) error { x.GroupIDs = []string{c.ID, b.ID}; return nil }, meta)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{b.ID, c.ID}
	slices.Sort(want)
	if !reflect.DeepEqual(got.GroupIDs, want) || !reflect.DeepEqual(getUser(t, s, u.ID).GroupIDs, want) {
		t.Errorf("groups after replace: %v, want %v", got.GroupIDs, want)
	}
	if v := getGroup(t, s, a.ID).Version; v != a.Version+1 {
		t.Errorf("removed group version %d, want %d", v, a.Version+1)
	}
	if v := getGroup(t, s, b.ID).Version; v != b.Version {
		t.Errorf("kept group version %d, want unchanged %d", v, b.Version)
	}
	if v := getGroup(t, s, c.ID).Version; v != c.Version+1 {
		t.Errorf("added group version %d, want %d", v, c.Version+1)
	}
	ev := allAudit(t, s, store.AuditFilter{TargetID: u.ID, Action: "user.update"})[0]
	jsonEqual(t, "groups before", ev.Before, obj{"groups": sorted(a.ID, b.ID)})
	jsonEqual(t, "groups after", ev.After, obj{"groups": want})

	_, err = s.UpdateUser(ctx, u.ID, 0, func(x *store.User) error {
		x.GroupIDs = []string{a.ID, uid(404)}
		x.Title = "t"
		return nil
	}, meta)
	wantRefs(t, "unknown group in update", err, "group", uid(404))
	if got := getUser(t, s, u.ID); !reflect.DeepEqual(got.GroupIDs, want) || got.Title != "" {
		t.Errorf("failed update changed the user: %+v", got)
	}
}

func sorted(ids ...string) []string {
	out := slices.Clone(ids)
	slices.Sort(out)
	return out
}

func testUserDeleteCascades(t *testing.T, s store.Store) {
	g := createGroup(t, s, "ops")
	u := createUser(t, s, "erin", g.ID)
	other := createUser(t, s, "frank", g.ID)
	g = getGroup(t, s, g.ID)
	tok, err := s.CreateToken(ctx, store.Token{UserID: u.ID, Name: "cli", Hash: hash("erin"), Prefix: "rc_erin"}, meta)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteUser(ctx, u.ID, 0, meta); err != nil {
		t.Fatal(err)
	}
	_, err = s.GetUser(ctx, u.ID)
	wantErr(t, "deleted user", err, store.ErrNotFound)
	after := getGroup(t, s, g.ID)
	if !reflect.DeepEqual(after.MemberIDs, []string{other.ID}) || after.MemberCount != 1 {
		t.Errorf("group members after delete: %v (%d), want only %s", after.MemberIDs, after.MemberCount, other.ID)
	}
	if after.Version != g.Version+1 {
		t.Errorf("group version %d after its member was deleted, want %d", after.Version, g.Version+1)
	}
	_, err = s.GetToken(ctx, tok.ID)
	wantErr(t, "token of deleted user", err, store.ErrNotFound)
	_, err = s.GetTokenByHash(ctx, hash("erin"))
	wantErr(t, "token of deleted user by hash", err, store.ErrNotFound)
	if toks, _, _ := s.ListTokens(ctx, store.TokenFilter{}, store.Page{}); len(toks) != 0 {
		t.Errorf("tokens listed after delete: %+v", toks)
	}
	evs := allAudit(t, s, store.AuditFilter{TargetID: u.ID})
	if len(evs) != 2 || evs[0].Action != "user.delete" || evs[1].Action != "user.create" {
		t.Fatalf("audit of deleted user: %+v, want user.delete then user.create kept", evs)
	}
	jsonEqual(t, "delete after", evs[0].After, nil)
	jsonEqual(t, "delete before", evs[0].Before, obj{"username": "erin", "email": "erin@example.com", "groups": []string{g.ID}})
	// The name is free again.
	createUser(t, s, "erin")
}

func testListUsersPaging(t *testing.T, s store.Store) {
	var want []string
	for i := range 23 {
		name := fmt.Sprintf("user%02d", (i*7)%23) // created out of order
		createUser(t, s, name)
		want = append(want, name)
	}
	slices.Sort(want)
	var got []string
	p := store.Page{Limit: 5}
	pages := 0
	for {
		us, next, err := s.ListUsers(ctx, store.UserFilter{}, p)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if len(us) > 5 {
			t.Fatalf("page of %d users, limit 5", len(us))
		}
		for _, u := range us {
			got = append(got, u.Username)
			if u.GroupIDs == nil || u.Attributes == nil {
				t.Errorf("listed user %s has nil groups or attributes", u.Username)
			}
		}
		if next == "" {
			break
		}
		if pages > 10 {
			t.Fatal("paging does not end")
		}
		p.After = next
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("paged usernames\n%v\nwant\n%v", got, want)
	}
	if pages != 5 {
		t.Errorf("%d pages of 5 for 23 users, want 5", pages)
	}
	// An exact fit ends with an empty next.
	us, next, err := s.ListUsers(ctx, store.UserFilter{}, store.Page{Limit: 23})
	if err != nil || len(us) != 23 || next != "" {
		t.Errorf("limit = count: %d users, next %q, %v; want 23, \"\"", len(us), next, err)
	}
}

func testListUsersDefaultLimit(t *testing.T, s store.Store) {
	err := s.Atomic(ctx, func(tx store.Store) error {
		for i := range 101 {
			if _, err := tx.CreateUser(ctx, store.User{Username: fmt.Sprintf("u%03d", i), Email: fmt.Sprintf("u%03d@example.com", i)}, meta); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	us, next, err := s.ListUsers(ctx, store.UserFilter{}, store.Page{})
	if err != nil || len(us) != 100 || next == "" {
		t.Fatalf("default page: %d users, next %q, %v; want 100 and a next cursor", len(us), next, err)
	}
	us, next, err = s.ListUsers(ctx, store.UserFilter{}, store.Page{After: next})
	if err != nil || len(us) != 1 || us[0].Username != "u100" || next != "" {
		t.Fatalf("second page: %+v, next %q, %v", us, next, err)
	}
}

func names(us []store.User) []string {
	out := []string{}
	for _, u := range us {
		out = append(out, u.Username)
	}
	return out
}

func testListUsersFilters(t *testing.T, s store.Store) {
	g := createGroup(t, s, "staff")
	mk := func(username, email, first, last, ext string, groups ...string) store.User {
		u, err := s.CreateUser(ctx, store.User{Username: username, Email: email, FirstName: first, LastName: last, ExternalID: ext, GroupIDs: groups}, meta)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	mk("jdoe", "John.Doe@Example.com", "John", "Doe", "100", g.ID)
	mk("asmith", "anna@example.com", "Anna", "Smith", "101")
	mk("bjones", "bj@corp.example", "Émile", "Jones", "102", g.ID)
	mk("jo", "jo@example.com", "", "", "")
	mk("zed", "zed@example.com", "Zoë", "Johnson", "")
	cases := []struct {
		f    store.UserFilter
		want []string
	}{
		{store.UserFilter{}, []string{"asmith", "bjones", "jdoe", "jo", "zed"}},
		{store.UserFilter{Username: "jdoe"}, []string{"jdoe"}},
		{store.UserFilter{Username: "jd"}, []string{}},
		{store.UserFilter{Email: "JOHN.DOE@example.COM"}, []string{"jdoe"}},
		{store.UserFilter{Email: "john"}, []string{}},
		{store.UserFilter{ExternalID: "101"}, []string{"asmith"}},
		{store.UserFilter{GroupID: g.ID}, []string{"bjones", "jdoe"}},
		{store.UserFilter{GroupID: uid(404)}, []string{}},
		// Username matches first, then email, first name, last name; each
		// user once (jdoe's email and first name both match).
		{store.UserFilter{Query: "jo"}, []string{"jo", "jdoe", "zed", "bjones"}},
		{store.UserFilter{Query: "JOH"}, []string{"jdoe", "zed"}},
		{store.UserFilter{Query: "j"}, []string{"jdoe", "jo", "zed", "bjones"}},
		{store.UserFilter{Query: "anna@"}, []string{"asmith"}},
		{store.UserFilter{Query: "smi"}, []string{"asmith"}},
		{store.UserFilter{Query: "émi"}, []string{"bjones"}},
		{store.UserFilter{Query: "zo"}, []string{"zed"}},
		{store.UserFilter{Query: "doe"}, []string{"jdoe"}},
		{store.UserFilter{Query: "x"}, []string{}},
		{store.UserFilter{Query: "jo", GroupID: g.ID}, []string{"jdoe", "bjones"}},
	}
	for _, c := range cases {
		us, next, err := s.ListUsers(ctx, c.f, store.Page{})
		if err != nil {
			t.Fatalf("%+v: %v", c.f, err)
		}
		if got := names(us); !reflect.DeepEqual(got, c.want) || next != "" {
			t.Errorf("filter %+v: got %v (next %q), want %v", c.f, got, next, c.want)
		}
	}
	// Filters page like the full list.
	var got []string
	p := store.Page{Limit: 1}
	for pages := 0; ; pages++ {
		if pages > 10 {
			// A cursor that does not move on would page forever.
			t.Fatalf("paged search: still paging after %v", got)
		}
		us, next, err := s.ListUsers(ctx, store.UserFilter{Query: "jo"}, p)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, names(us)...)
		if next == "" {
			break
		}
		p.After = next
	}
	if want := []string{"jo", "jdoe", "zed", "bjones"}; !reflect.DeepEqual(got, want) {
		t.Errorf("paged search: %v, want %v", got, want)
	}
	// Listed users carry their groups.
	us, _, _ := s.ListUsers(ctx, store.UserFilter{Username: "jdoe"}, store.Page{})
	if len(us) != 1 || !reflect.DeepEqual(us[0].GroupIDs, []string{g.ID}) {
		t.Errorf("listed user groups: %+v", us)
	}
}

func testCounts(t *testing.T, s store.Store) {
	if n, err := s.CountUsers(ctx); n != 0 || err != nil {
		t.Errorf("empty CountUsers = %d, %v", n, err)
	}
	mk := func(name string, admin, disabled bool) {
		if _, err := s.CreateUser(ctx, store.User{Username: name, Email: name + "@example.com", IsAdmin: admin, Disabled: disabled}, meta); err != nil {
			t.Fatal(err)
		}
	}
	mk("a1", true, false)
	mk("a2", true, false)
	mk("a3", true, true)
	mk("u1", false, false)
	mk("u2", false, true)
	if n, err := s.CountUsers(ctx); n != 5 || err != nil {
		t.Errorf("CountUsers = %d, %v; want 5", n, err)
	}
	if n, err := s.CountAdmins(ctx); n != 2 || err != nil {
		t.Errorf("CountAdmins = %d, %v; want 2 (enabled admins)", n, err)
	}
}

func testConcurrentCreate(t *testing.T, s store.Store) {
	const n = 50
	errs := make(chan error, n)
	start := make(chan struct{})
	for i := range n {
		go func() {
			<-start
			_, err := s.CreateUser(ctx, store.User{Username: "same", Email: fmt.Sprintf("same%d@example.com", i)}, meta)
			errs <- err
		}()
	}
	close(start)
	ok := 0
	for range n {
		err := <-errs
		if err == nil {
			ok++
			continue
		}
		var ce *store.ConflictError
		if !errors.As(err, &ce) || ce.Field != "username" {
			t.Errorf("concurrent create: %v, want success or a conflict on username", err)
		}
	}
	if ok != 1 {
		t.Errorf("%d concurrent creates of one username succeeded, want exactly 1", ok)
	}
	if c, _ := s.CountUsers(ctx); c != 1 {
		t.Errorf("%d users stored, want 1", c)
	}
}

// testListGroupMembers pages through a group's members, which come in
// username order also after a rename.
func testListGroupMembers(t *testing.T, s store.Store) {
	g := createGroup(t, s, "crew")
	other := createGroup(t, s, "others")
	var ids []string
	for _, name := range []string{"mia", "ben", "zoe", "ada", "kim", "lee", "eve"} {
		ids = append(ids, createUser(t, s, name, g.ID).ID)
	}
	createUser(t, s, "outsider", other.ID)
	page := func() []string {
		var got []string
		p := store.Page{Limit: 3}
		for range 10 {
			us, next, err := s.ListUsers(ctx, store.UserFilter{GroupID: g.ID}, p)
			if err != nil {
				t.Fatal(err)
			}
			for _, u := range us {
				if !slices.Contains(u.GroupIDs, g.ID) {
					t.Errorf("listed %s is not in the group", u.Username)
				}
			}
			got = append(got, names(us)...)
			if next == "" {
				break
			}
			p.After = next
		}
		return got
	}
	if got, want := page(), []string{"ada", "ben", "eve", "kim", "lee", "mia", "zoe"}; !reflect.DeepEqual(got, want) {
		t.Errorf("members %v, want %v", got, want)
	}
	if _, err := s.UpdateUser(ctx, ids[0], 0, func(x *store.User) error { x.Username = "aaron"; return nil }, meta); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ChangeGroupMembers(ctx, g.ID, 0, store.MembershipRemove, []string{ids[1]}, meta); err != nil {
		t.Fatal(err)
	}
	if got, want := page(), []string{"aaron", "ada", "eve", "kim", "lee", "zoe"}; !reflect.DeepEqual(got, want) {
		t.Errorf("members after rename and removal %v, want %v", got, want)
	}
}
