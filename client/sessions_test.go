package client_test

import (
	"crypto/sha256"
	"errors"
	"testing"
	"time"

	"github.com/rollcall/rollcall/client"
	"github.com/rollcall/rollcall/internal/store"
	"github.com/rollcall/rollcall/internal/testserver"
)

// TestEndSessions: Sessions lists a user's browser sessions and
// EndSessions signs the user out of them on the real server; an unknown
// user is ErrNotFound and a non-admin may not end sessions.
func TestEndSessions(t *testing.T) {
	srv := testserver.Start(t)
	ctx := t.Context()
	auth := srv.Store.(store.AuthStore)
	u := srv.CreateUser(t, "alice", false)
	p, err := auth.CreatePasskey(ctx, store.Passkey{UserID: u.ID, CredentialID: []byte("cred-alice"), PublicKey: []byte("key"),
		AAGUID: make([]byte, 16), Name: "Laptop"}, store.Meta{ActorName: "test"})
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte("alice-cookie"))
	now := time.Now()
	if err := auth.RecordSignIn(ctx, store.SignIn{UserID: u.ID, PasskeyID: p.ID, SignCount: 1, At: now,
		Session: store.Session{Hash: sum[:], UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(time.Hour), LastSeenAt: now}},
		store.Meta{ActorName: "test"}); err != nil {
		t.Fatal(err)
	}

	c, err := client.New(srv.URL, client.WithToken(srv.AdminToken))
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.Users.Sessions(ctx, u.ID)
	if err != nil || len(got) != 1 || got[0].Type != "sessions" || got[0].ID == "" || got[0].Attributes.CreatedAt.IsZero() {
		t.Fatalf("Sessions = %+v, %v", got, err)
	}
	if err := c.Users.EndSessions(ctx, u.ID); err != nil {
		t.Fatalf("EndSessions: %v", err)
	}
	if _, err := auth.GetSession(ctx, sum[:], time.Now()); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("session after EndSessions: %v, want it gone", err)
	}
	if got, err := c.Users.Sessions(ctx, u.ID); err != nil || len(got) != 0 {
		t.Fatalf("Sessions after EndSessions = %+v, %v", got, err)
	}
	if _, err := c.Users.Sessions(ctx, "0b9d6b5e-0000-4000-8000-00000000dead"); !client.IsNotFound(err) {
		t.Fatalf("Sessions(missing) = %v, want not found", err)
	}
	if err := c.Users.EndSessions(ctx, "0b9d6b5e-0000-4000-8000-00000000dead"); !client.IsNotFound(err) {
		t.Fatalf("EndSessions(missing) = %v, want not found", err)
	}
	mine, err := client.New(srv.URL, client.WithToken(srv.NewToken(t, u.ID, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := mine.Users.EndSessions(ctx, u.ID); !errors.Is(err, client.ErrForbidden) {
		t.Fatalf("EndSessions as a non-admin = %v, want forbidden", err)
	}
}
