package storetest

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"

	"github.com/rollcall/rollcall/internal/store"
)

// bulkUsers makes n users named bulk-0000, bulk-0001, ...; every user is
// in the groups given, the even ones with a proposed id.
func bulkUsers(n int, groups ...string) []store.User {
	us := make([]store.User, n)
	for i := range us {
		us[i] = store.User{Username: fmt.Sprintf("bulk-%04d", i), Email: fmt.Sprintf("Bulk-%04d@Example.com", i),
			FirstName: "Bulk", LastName: fmt.Sprint(i), Attributes: map[string]string{"n": fmt.Sprint(i)},
			GroupIDs: slices.Clone(groups)}
		if i%2 == 0 {
			us[i].ID = uid(10_000 + i)
		}
	}
	return us
}

// testCreateUsers checks that CreateUsers stores what CreateUser would,
// for more users than fit one multi-row statement.
func testCreateUsers(t *testing.T, s store.Store) {
	ga := createGroup(t, s, "alpha")
	gb := createGroup(t, s, "beta")
	in := bulkUsers(257, gb.ID, ga.ID, gb.ID)
	full := fullUser()
	full.ID = ""
	full.GroupIDs = []string{ga.ID}
	in = append(in, full)
	before := countAudit(t, s)

	out, err := s.CreateUsers(ctx, in, meta)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != len(in) {
		t.Fatalf("CreateUsers returned %d users, want %d", len(out), len(in))
	}
	both := sorted(ga.ID, gb.ID)
	for i, u := range out {
		if in[i].ID != "" && u.ID != in[i].ID {
			t.Errorf("user %d: id %s, want the proposed %s", i, u.ID, in[i].ID)
		}
		if len(u.ID) != 36 || u.Version != 1 || u.Username != in[i].Username || u.Email != in[i].Email {
			t.Errorf("user %d returned as %+v", i, u)
		}
		checkTime(t, "created", u.CreatedAt)
		if got := getUser(t, s, u.ID); !reflect.DeepEqual(got, u) {
			t.Fatalf("user %d: GetUser returned\n%+v\nwant what CreateUsers returned\n%+v", i, got, u)
		}
		if i < 257 && !reflect.DeepEqual(u.GroupIDs, both) {
			t.Errorf("user %d: groups %v, want sorted, deduplicated %v", i, u.GroupIDs, both)
		}
	}

	evs := allAudit(t, s, store.AuditFilter{Action: "user.create"})
	if n := countAudit(t, s) - before; n != len(in) || len(evs) != len(in) {
		t.Fatalf("%d audit events (%d user.create) for %d users, want one user.create each", n, len(evs), len(in))
	}
	// Newest first: the last user's event is first.
	for i, e := range evs {
		u := out[len(out)-1-i]
		if e.TargetID != u.ID || e.TargetName != u.Username || e.TargetType != "user" || e.ActorID != meta.ActorID ||
			e.RequestID != meta.RequestID || e.ClientIP != meta.ClientIP || !e.CreatedAt.Equal(u.CreatedAt) {
			t.Fatalf("audit event %d = %+v, want user.create of %s in order", i, e, u.Username)
		}
	}
	jsonEqual(t, "bulk user.create after", evs[0].After, obj{
		"username": "ada.lovelace", "email": "Ada@Example.com", "email-verified": true, "first-name": "Ada",
		"last-name": "Lovelace", "display-name": "Countess Ada", "locale": "en-GB", "is-admin": true,
		"phone": "+442071234567", "mobile": "+447700900123", "title": "Analyst", "department": "Engines",
		"avatar-url": "https://example.com/ada.png", "external-id": "E-1815", "external-source": "hr",
		"attributes": obj{"team": "engine", "floor": "2"}, "groups": []string{ga.ID},
	})
	jsonEqual(t, "bulk user.create before", evs[0].Before, nil)

	// Each group changed once, in one call: one version bump.
	for _, g := range []store.Group{ga, gb} {
		got, err := s.GetGroup(ctx, g.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := 257
		if g.ID == ga.ID {
			want++
		}
		if got.Version != g.Version+1 || got.MemberCount != want {
			t.Errorf("group %s: version %d, %d members; want %d, %d", g.Name, got.Version, got.MemberCount, g.Version+1, want)
		}
	}

	if out, err := s.CreateUsers(ctx, nil, meta); err != nil || len(out) != 0 {
		t.Errorf("CreateUsers(none) = %v, %v; want nothing, no error", out, err)
	}
}

// wantBatchError fails unless err is a *store.BatchError at index.
func wantBatchError(t *testing.T, what string, err error, index int) {
	t.Helper()
	var be *store.BatchError
	if !errors.As(err, &be) {
		t.Fatalf("%s: got error %v, want a *store.BatchError", what, err)
	}
	if be.Index != index {
		t.Fatalf("%s: error at user %d (%v), want at user %d", what, be.Index, be.Err, index)
	}
}

// testCreateUsersErrors checks that a failing CreateUsers names the first
// user that cannot be created, and writes nothing.
func testCreateUsersErrors(t *testing.T, s store.Store) {
	g := createGroup(t, s, "alpha")
	alice := createUser(t, s, "alice", g.ID)
	g = getGroup(t, s, g.ID)
	users, audits := 1, countAudit(t, s)
	nothingWritten := func(what string) {
		t.Helper()
		if n, _ := s.CountUsers(ctx); n != users {
			t.Errorf("%s: %d users, want %d", what, n, users)
		}
		if n := countAudit(t, s); n != audits {
			t.Errorf("%s: %d audit events written", what, n-audits)
		}
		if got := getGroup(t, s, g.ID); got.Version != g.Version || got.MemberCount != 1 {
			t.Errorf("%s: group version %d with %d members, want %d with 1", what, got.Version, got.MemberCount, g.Version)
		}
	}

	in := bulkUsers(150, g.ID)
	in[120].Username = "alice"
	in[140].Email = "ALICE@example.com"
	_, err := s.CreateUsers(ctx, in, meta)
	wantBatchError(t, "taken username", err, 120)
	wantConflict(t, "taken username", err, "username")
	nothingWritten("taken username")

	in = bulkUsers(150, g.ID)
	in[130].Email = "bulk-0005@EXAMPLE.com"
	_, err = s.CreateUsers(ctx, in, meta)
	wantBatchError(t, "email twice in the batch", err, 130)
	wantConflict(t, "email twice in the batch", err, "email")
	nothingWritten("email twice in the batch")

	in = bulkUsers(150, g.ID)
	in[101].ID = alice.ID
	_, err = s.CreateUsers(ctx, in, meta)
	wantBatchError(t, "taken id", err, 101)
	wantConflict(t, "taken id", err, "id")
	nothingWritten("taken id")

	in = bulkUsers(150, g.ID)
	in[7].GroupIDs = []string{g.ID, uid(404)}
	in[9].Username = "alice"
	_, err = s.CreateUsers(ctx, in, meta)
	wantBatchError(t, "unknown group", err, 7)
	var ref *store.ReferenceError
	if !errors.As(err, &ref) || !errors.Is(err, store.ErrInvalidReference) || !reflect.DeepEqual(ref.IDs, []string{uid(404)}) {
		t.Fatalf("unknown group: got %v, want a reference error naming %s", err, uid(404))
	}
	nothingWritten("unknown group")

	// Inside Atomic, the error fails the whole transaction as any other.
	err = s.Atomic(ctx, func(tx store.Store) error {
		if _, err := tx.CreateUser(ctx, store.User{Username: "carol", Email: "carol@example.com"}, meta); err != nil {
			return err
		}
		in := bulkUsers(120, g.ID)
		in[110].Username = "carol"
		_, err := tx.CreateUsers(ctx, in, meta)
		return err
	})
	wantBatchError(t, "username taken in the transaction", err, 110)
	wantConflict(t, "username taken in the transaction", err, "username")
	nothingWritten("in Atomic")

	// And a good batch after a bad one in the same transaction commits.
	err = s.Atomic(ctx, func(tx store.Store) error {
		if _, err := tx.CreateUsers(ctx, bulkUsers(120, g.ID), meta); err != nil {
			return err
		}
		_, err := tx.CreateUsers(ctx, []store.User{{Username: "dave", Email: "dave@example.com", GroupIDs: []string{g.ID}}}, meta)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := s.CountUsers(ctx); n != 122 {
		t.Errorf("%d users after the good transaction, want 122", n)
	}
	if got := getGroup(t, s, g.ID); got.Version != g.Version+1 || got.MemberCount != 122 {
		t.Errorf("group version %d with %d members, want %d with 122", got.Version, got.MemberCount, g.Version+1)
	}
}
