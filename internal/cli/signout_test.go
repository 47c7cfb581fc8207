package cli

import (
	"context"
	"crypto/sha256"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rollcall/rollcall/internal/store"
	"github.com/rollcall/rollcall/internal/testserver"
)

// TestUsersSignOut lists and ends a user's browser sessions through the
// CLI against the real server: by username and by id, the sessions are
// gone, the other user's stays, and unknown users and non-admins are
// refused.
func TestUsersSignOut(t *testing.T) {
	isolate(t)
	srv := testserver.Start(t)
	ctx := context.Background()
	auth := srv.Store.(store.AuthStore)
	alice := srv.CreateUser(t, "alice", false)
	bob := srv.CreateUser(t, "bob", false)
	signIn := func(u store.User, cookie string) []byte {
		t.Helper()
		p, err := auth.CreatePasskey(ctx, store.Passkey{UserID: u.ID, CredentialID: []byte("cred-" + cookie), PublicKey: []byte("key"),
			AAGUID: make([]byte, 16), Name: "Laptop"}, store.Meta{ActorName: "test"})
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256([]byte(cookie))
		now := time.Now()
		if err := auth.RecordSignIn(ctx, store.SignIn{UserID: u.ID, PasskeyID: p.ID, SignCount: 1, At: now,
			Session: store.Session{Hash: sum[:], UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(time.Hour), LastSeenAt: now,
				UserAgent: "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0", ClientIP: "192.0.2.7"}},
			store.Meta{ActorName: "test"}); err != nil {
			t.Fatal(err)
		}
		return sum[:]
	}
	gone := func(h []byte) bool {
		_, err := auth.GetSession(ctx, h, time.Now())
		return errors.Is(err, store.ErrNotFound)
	}
	laptop := signIn(alice, "alice-laptop")
	bobs := signIn(bob, "bob-laptop")

	golden(t, "users_sessions", ok(t, srv, "users", "sessions", "alice"))
	if out := ok(t, srv, "users", "sign-out", "alice"); out != "Ended all sessions of alice.\n" {
		if out := ok(t, srv, "users", "sessions", "alice"); out != strings.Join(sessionHeaders, "  ")+"\n" {
			t.Fatalf("sessions after sign-out printed %q", out)
		}
		t.Fatalf("sign-out printed %q", out)
	}
	if !gone(laptop) || gone(bobs) {
		t.Fatalf("after sign-out alice: alice's session gone %v, bob's gone %v; want true, false", gone(laptop), gone(bobs))
	}
	phone := signIn(alice, "alice-phone")
	if out := ok(t, srv, "users", "sign-out", alice.ID); out != "Ended all sessions of alice.\n" || !gone(phone) {
		t.Fatalf("sign-out by id printed %q, session gone %v", out, gone(phone))
	}

	fails(t, srv, ExitNotFound, []string{"nobody"}, "users", "sign-out", "nobody")
	fails(t, srv, ExitUsage, []string{"USER"}, "users", "sign-out")
	r := as(t, srv, srv.NewToken(t, bob.ID, nil), "users", "sign-out", bob.ID)
	if r.code == 0 || !strings.Contains(r.stderr, "only admins end a user's sessions") || gone(bobs) {
		t.Fatalf("non-admin sign-out: exit %d, stderr %q, bob's session gone %v", r.code, r.stderr, gone(bobs))
	}
}
