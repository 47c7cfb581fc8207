package sqlstore

import (
	"context"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rollcall/rollcall/internal/store"
)

// TestPackedUserRowReadsEveryField reads one user with every field set
// through each query that returns users on SQLite, where they come as one
// packed value, and expects the user that was written each time.
func TestPackedUserRowReadsEveryField(t *testing.T) {
	ctx := context.Background()
	s := openSQLiteStore(t)
	if !s.d.packedUsers {
		t.Fatal("SQLite does not read users packed")
	}
	m := store.Meta{ActorName: "test"}
	g, err := s.CreateGroup(ctx, store.Group{Name: "engines"}, m)
	if err != nil {
		t.Fatal(err)
	}
	// Separators, quotes and SQL in the values; a display name of only
	// spaces and an empty first name, so that neither shifts a field.
	in := store.User{Username: "ada", Email: "Ada@Example.com", EmailVerified: true, FirstName: "",
		LastName: "Love|lace,'; --", DisplayName: "   ", Locale: "en-GB", IsAdmin: false, Disabled: true,
		ServiceAccount: false, Phone: "+44 20", Mobile: "\x1f\x1e", Title: "Ünïcödé 🚀", Department: `"R&D"`,
		AvatarURL: "https://example.com/a.png", ExternalID: "E-1", ExternalSource: "hr",
		Attributes: map[string]string{"team": "engine", "": "empty key"}, GroupIDs: []string{g.ID}}
	created, err := s.CreateUser(ctx, in, m)
	if err != nil {
		t.Fatal(err)
	}
	signedIn := time.Date(2026, 12, 4, 10, 11, 12, 123456000, time.UTC)
	if _, err := s.w.ExecContext(ctx, `UPDATE users SET passkey_count = 3, last_sign_in_at = ? WHERE id = ?`,
		signedIn.UnixMicro(), created.ID); err != nil {
		t.Fatal(err)
	}
	want := created
	want.PasskeyCount, want.LastSignInAt = 3, &signedIn

	byID, err := s.GetUser(ctx, created.ID)
	if err != nil {
		t.Fatal(err)
	}
	byName, err := s.GetUserByUsername(ctx, "ada")
	if err != nil {
		t.Fatal(err)
	}
	page, _, err := s.ListUsers(ctx, store.UserFilter{}, store.Page{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	found, _, err := s.ListUsers(ctx, store.UserFilter{Query: "love"}, store.Page{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	members, _, err := s.ListUsers(ctx, store.UserFilter{GroupID: g.ID}, store.Page{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	for what, got := range map[string]store.User{"GetUser": byID, "GetUserByUsername": byName,
		"ListUsers": one(t, page), "search": one(t, found), "group members": one(t, members)} {
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s read\n%+v\nwant\n%+v", what, got, want)
		}
	}
}

func openSQLiteStore(t *testing.T) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "rollcall.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func one(t *testing.T, users []store.User) store.User {
	t.Helper()
	if len(users) != 1 {
		t.Fatalf("%d users, want 1", len(users))
		return store.User{}
	}
	return users[0]
}

// TestPackedUserRowRefusesAStraySeparator writes a value holding the
// separator byte straight into the database, which no API path can do:
// the read fails and names the problem instead of shifting the fields.
func TestPackedUserRowRefusesAStraySeparator(t *testing.T) {
	ctx := context.Background()
	s := openSQLiteStore(t)
	u, err := s.CreateUser(ctx, store.User{Username: "ada", Email: "ada@example.com"}, store.Meta{ActorName: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.w.ExecContext(ctx, `UPDATE users SET title = CAST(x'41ff42' AS TEXT) WHERE id = ?`, u.ID); err != nil {
		t.Fatal(err)
	}
	if got, err := s.GetUser(ctx, u.ID); err == nil || !strings.Contains(err.Error(), "stored user row has 26 values, want 25") {
		t.Errorf("GetUser = %+v, %v; want the row refused", got, err)
	}
	if _, _, err := s.ListUsers(ctx, store.UserFilter{}, store.Page{Limit: 10}); err == nil {
		t.Error("ListUsers read the row")
	}
}

func TestPackedUserRowRefusesBadNumbers(t *testing.T) {
	var u store.User
	row := strings.Repeat("x\xff", 24) + "[]"
	err := packedUser{&u}.Scan(row)
	if err == nil || !strings.Contains(err.Error(), `value 4 of a stored user row is "x", not 0 or 1`) {
		t.Errorf("Scan = %v", err)
	}
	if err := (packedUser{&u}).Scan(int64(1)); err == nil {
		t.Error("Scan read an integer")
	}
}
