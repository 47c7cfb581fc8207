package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/rollcall/rollcall/internal/store"
	"github.com/rollcall/rollcall/internal/testutil/pgtest"
)

func TestAuthSQLite(t *testing.T) {
	runAuth(t, func(t *testing.T) store.Store { return openDSN(t, sqliteDSN(t)) })
}

func TestAuthPostgres(t *testing.T) {
	runAuth(t, func(t *testing.T) store.Store { return openDSN(t, pgtest.NewDatabase(t)) })
}

// runAuth checks store.AuthStore on one backend: passkeys with the user's
// passkey_count kept in step, single-use challenges and setup links,
// sessions, and the audit events of each.
func runAuth(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := context.Background()
	m := store.Meta{ActorName: "test", RequestID: "req-1", ClientIP: "127.0.0.1"}
	setup := func(t *testing.T) (store.Store, store.AuthStore, store.User) {
		st := open(t)
		auth, ok := st.(store.AuthStore)
		if !ok {
			t.Fatalf("%T does not implement store.AuthStore", st)
		}
		u, err := st.CreateUser(ctx, store.User{Username: "ada", Email: "ada@example.com"}, m)
		if err != nil {
			t.Fatal(err)
		}
		return st, auth, u
	}
	passkey := func(userID, cred string) store.Passkey {
		return store.Passkey{UserID: userID, CredentialID: []byte(cred), PublicKey: []byte("key-" + cred),
			AAGUID: make([]byte, 16), SignCount: 1, Transports: []string{"internal", "hybrid"}, BackupEligible: true, Name: "Laptop"}
	}
	actions := func(t *testing.T, st store.Store, userID string) map[string]int {
		t.Helper()
		evs, _, err := st.ListAuditEvents(ctx, store.AuditFilter{TargetID: userID}, store.Page{Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]int{}
		for _, e := range evs {
			out[e.Action]++
		}
		return out
	}

	t.Run("Passkeys", func(t *testing.T) {
		st, auth, u := setup(t)
		p, err := auth.CreatePasskey(ctx, passkey(u.ID, "cred-1"), m)
		if err != nil {
			t.Fatal(err)
		}
		got, err := st.GetUser(ctx, u.ID)
		if err != nil || got.PasskeyCount != 1 || got.Version <= u.Version {
			t.Fatalf("after add: passkey count %d version %d (was %d), err %v; want 1 and a bumped version", got.PasskeyCount, got.Version, u.Version, err)
		}
		if _, err := auth.CreatePasskey(ctx, passkey(u.ID, "cred-1"), m); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("same credential id twice: %v, want ErrConflict", err)
		} else if ce := (*store.ConflictError)(nil); !errors.As(err, &ce) || ce.Field != "credential_id" {
			t.Fatalf("conflict %v, want field credential_id", err)
		}
		byCred, err := auth.GetPasskeyByCredentialID(ctx, []byte("cred-1"))
		if err != nil || byCred.ID != p.ID || byCred.SignCount != 1 || len(byCred.Transports) != 2 || !byCred.BackupEligible {
			t.Fatalf("by credential id: %+v, %v", byCred, err)
		}
		if _, err := auth.GetPasskeyByCredentialID(ctx, []byte("nope")); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unknown credential: %v", err)
		}
		if _, err := auth.RenamePasskey(ctx, u.ID, p.ID, "Work laptop", m); err != nil {
			t.Fatal(err)
		}
		if _, err := auth.RenamePasskey(ctx, "someone-else", p.ID, "x", m); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("renaming another user's passkey: %v, want ErrNotFound", err)
		}
		p2, err := auth.CreatePasskey(ctx, passkey(u.ID, "cred-2"), m)
		if err != nil {
			t.Fatal(err)
		}
		list, err := auth.ListPasskeys(ctx, u.ID)
		if err != nil || len(list) != 2 || list[0].Name != "Work laptop" || list[1].ID != p2.ID {
			t.Fatalf("list: %+v, %v", list, err)
		}
		if err := auth.DeletePasskey(ctx, u.ID, p.ID, m); err != nil {
			t.Fatal(err)
		}
		if err := auth.DeletePasskey(ctx, u.ID, p.ID, m); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("second delete: %v", err)
		}
		if got, _ := st.GetUser(ctx, u.ID); got.PasskeyCount != 1 {
			t.Fatalf("after delete: passkey count %d, want 1", got.PasskeyCount)
		}
		if _, err := auth.CreatePasskey(ctx, passkey("00000000-0000-0000-0000-000000000000", "cred-3"), m); !errors.Is(err, store.ErrInvalidReference) {
			t.Fatalf("passkey of a missing user: %v, want ErrInvalidReference", err)
		}
		a := actions(t, st, u.ID)
		if a["passkey.add"] != 2 || a["passkey.rename"] != 1 || a["passkey.remove"] != 1 {
			t.Fatalf("audit actions %v", a)
		}
		n, err := auth.DeleteUserPasskeys(ctx, u.ID, m)
		if err != nil || n != 1 {
			t.Fatalf("revoke all: %d, %v", n, err)
		}
		if got, _ := st.GetUser(ctx, u.ID); got.PasskeyCount != 0 {
			t.Fatalf("after revoke: passkey count %d", got.PasskeyCount)
		}
	})

	t.Run("Challenges", func(t *testing.T) {
		_, auth, u := setup(t)
		now := time.Now().UTC()
		ch := store.Challenge{ID: "c1", UserID: u.ID, Purpose: "register", Data: []byte(`{"challenge":"x"}`), ExpiresAt: now.Add(time.Minute), CreatedAt: now}
		if err := auth.SaveChallenge(ctx, ch); err != nil {
			t.Fatal(err)
		}
		got, err := auth.ConsumeChallenge(ctx, "c1", now)
		if err != nil || string(got.Data) != string(ch.Data) || got.Purpose != "register" || got.UserID != u.ID {
			t.Fatalf("consume: %+v, %v", got, err)
		}
		if _, err := auth.ConsumeChallenge(ctx, "c1", now); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("second consume: %v, want ErrNotFound", err)
		}
		ch.ID = "c2"
		if err := auth.SaveChallenge(ctx, ch); err != nil {
			t.Fatal(err)
		}
		if _, err := auth.ConsumeChallenge(ctx, "c2", now.Add(2*time.Minute)); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("expired challenge: %v, want ErrNotFound", err)
		}
		ch.ID = "c3"
		ch.ExpiresAt = now.Add(-time.Second)
		if err := auth.SaveChallenge(ctx, ch); err != nil {
			t.Fatal(err)
		}
		if err := auth.DeleteExpired(ctx, now); err != nil {
			t.Fatal(err)
		}
		if _, err := auth.ConsumeChallenge(ctx, "c3", now.Add(-time.Hour)); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("DeleteExpired kept an expired challenge: %v", err)
		}
	})

	t.Run("SignInAndSessions", func(t *testing.T) {
		st, auth, u := setup(t)
		p, err := auth.CreatePasskey(ctx, passkey(u.ID, "cred-1"), m)
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now().UTC().Truncate(time.Microsecond)
		se := store.Session{Hash: []byte("0123456789abcdef0123456789abcdef"), UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(time.Hour), LastSeenAt: now}
		if err := auth.RecordSignIn(ctx, store.SignIn{UserID: u.ID, PasskeyID: p.ID, SignCount: 7, BackupState: true, Session: se, At: now}, m); err != nil {
			t.Fatal(err)
		}
		got, _ := st.GetUser(ctx, u.ID)
		if got.LastSignInAt == nil || !got.LastSignInAt.Equal(now) {
			t.Fatalf("last sign-in %v, want %v", got.LastSignInAt, now)
		}
		pk, _ := auth.GetPasskeyByCredentialID(ctx, []byte("cred-1"))
		if pk.SignCount != 7 || !pk.BackupState || pk.LastUsedAt == nil || !pk.LastUsedAt.Equal(now) {
			t.Fatalf("passkey after sign-in: %+v", pk)
		}
		s2, err := auth.GetSession(ctx, se.Hash, now)
		if err != nil || s2.UserID != u.ID || !s2.ExpiresAt.Equal(se.ExpiresAt) {
			t.Fatalf("session: %+v, %v", s2, err)
		}
		if _, err := auth.GetSession(ctx, se.Hash, now.Add(2*time.Hour)); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("expired session: %v, want ErrNotFound", err)
		}
		if err := auth.TouchSession(ctx, se.Hash, now.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if s3, _ := auth.GetSession(ctx, se.Hash, now); !s3.LastSeenAt.Equal(now.Add(time.Minute)) {
			t.Fatalf("last seen %v", s3.LastSeenAt)
		}
		if err := auth.RecordSignInFailure(ctx, u.ID, "bad signature", m); err != nil {
			t.Fatal(err)
		}
		if err := auth.RecordSignInFailure(ctx, "", "unknown passkey", m); err != nil {
			t.Fatal(err)
		}
		if err := auth.DeleteSession(ctx, se.Hash, m); err != nil {
			t.Fatal(err)
		}
		if _, err := auth.GetSession(ctx, se.Hash, now); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("session after sign-out: %v", err)
		}
		if err := auth.DeleteSession(ctx, se.Hash, m); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("second sign-out: %v", err)
		}
		a := actions(t, st, u.ID)
		if a["signin.success"] != 1 || a["signin.failure"] != 1 || a["session.signout"] != 1 {
			t.Fatalf("audit actions %v", a)
		}
		// A second session, then deleting the user removes it with the passkeys.
		se.Hash = []byte("another-session-hash-0123456789a")
		if err := auth.RecordSignIn(ctx, store.SignIn{UserID: u.ID, PasskeyID: p.ID, SignCount: 8, Session: se, At: now}, m); err != nil {
			t.Fatal(err)
		}
		if err := st.DeleteUser(ctx, u.ID, 0, m); err != nil {
			t.Fatal(err)
		}
		if _, err := auth.GetSession(ctx, se.Hash, now); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("session of a deleted user: %v", err)
		}
		if _, err := auth.GetPasskeyByCredentialID(ctx, []byte("cred-1")); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("passkey of a deleted user: %v", err)
		}
	})

	t.Run("SetupLinks", func(t *testing.T) {
		st, auth, u := setup(t)
		now := time.Now().UTC()
		l, err := auth.CreateSetupLink(ctx, store.SetupLink{UserID: u.ID, Hash: []byte("link-hash-1"), ExpiresAt: now.Add(time.Hour)}, m)
		if err != nil {
			t.Fatal(err)
		}
		got, err := auth.GetSetupLink(ctx, []byte("link-hash-1"))
		if err != nil || got.ID != l.ID || got.UsedAt != nil || got.UserID != u.ID {
			t.Fatalf("get: %+v, %v", got, err)
		}
		se := store.Session{Hash: []byte("setup-session-hash-0123456789abc"), UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(time.Hour), LastSeenAt: now}
		// Five browsers finish at once: exactly one gets the link.
		var wg sync.WaitGroup
		errs := make([]error, 5)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s := se
				s.Hash = fmt.Appendf(nil, "%s-%d", se.Hash, i)
				_, errs[i] = auth.CompleteSetup(ctx, []byte("link-hash-1"), passkey(u.ID, fmt.Sprintf("setup-cred-%d", i)), s, m)
			}()
		}
		wg.Wait()
		ok, used := 0, 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case errors.Is(err, store.ErrSetupLinkUsed):
				used++
			default:
				t.Errorf("concurrent setup: %v", err)
			}
		}
		if ok != 1 || used != 4 {
			t.Fatalf("concurrent setup: %d succeeded, %d refused as used; want 1 and 4", ok, used)
		}
		if got, _ := st.GetUser(ctx, u.ID); got.PasskeyCount != 1 {
			t.Fatalf("passkey count after setup %d", got.PasskeyCount)
		}
		if got, _ := auth.GetSetupLink(ctx, []byte("link-hash-1")); got.UsedAt == nil {
			t.Fatal("used link has no used-at")
		}
		if _, err := auth.CreateSetupLink(ctx, store.SetupLink{UserID: u.ID, Hash: []byte("link-hash-2"), ExpiresAt: now.Add(-time.Minute)}, m); err != nil {
			t.Fatal(err)
		}
		if _, err := auth.CompleteSetup(ctx, []byte("link-hash-2"), passkey(u.ID, "late"), store.Session{}, m); !errors.Is(err, store.ErrSetupLinkExpired) {
			t.Fatalf("expired link: %v, want ErrSetupLinkExpired", err)
		}
		if _, err := auth.CompleteSetup(ctx, []byte("no-such-link"), passkey(u.ID, "x"), store.Session{}, m); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unknown link: %v, want ErrNotFound", err)
		}
		if _, err := auth.GetPasskeyByCredentialID(ctx, []byte("late")); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("a refused setup stored its passkey: %v", err)
		}
		a := actions(t, st, u.ID)
		if a["setup_link.create"] != 2 || a["setup_link.use"] != 1 || a["passkey.add"] != 1 {
			t.Fatalf("audit actions %v", a)
		}
		if err := auth.DeleteExpired(ctx, now.Add(31*24*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if _, err := auth.GetSetupLink(ctx, []byte("link-hash-2")); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("long-expired link kept: %v", err)
		}
	})
}
