package storetest

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rollcall/rollcall/internal/store"
)

// authOf returns the backend's store.AuthStore; every backend keeps the
// sign-in state beside the directory.
func authOf(t *testing.T, s store.Store) store.AuthStore {
	t.Helper()
	a, ok := s.(store.AuthStore)
	if !ok {
		t.Fatalf("%T does not implement store.AuthStore", s)
	}
	return a
}

// signIn records a passkey sign-in of u that starts a session with the
// given cookie hash, and returns that session as stored.
func signIn(t *testing.T, s store.Store, u store.User, hash string, at time.Time, ttl time.Duration, ua, ip string) store.Session {
	t.Helper()
	a := authOf(t, s)
	pks, err := a.ListPasskeys(ctx, u.ID)
	if err != nil {
		t.Fatalf("ListPasskeys: %v", err)
	}
	if len(pks) == 0 {
		p, err := a.CreatePasskey(ctx, store.Passkey{UserID: u.ID, CredentialID: []byte("cred-" + u.ID), PublicKey: []byte("key"),
			AAGUID: make([]byte, 16), Name: "Laptop"}, meta)
		if err != nil {
			t.Fatalf("CreatePasskey: %v", err)
		}
		pks = append(pks, p)
	}
	se := store.Session{Hash: sessionHash(hash), UserID: u.ID, CreatedAt: at, ExpiresAt: at.Add(ttl), LastSeenAt: at,
		UserAgent: ua, ClientIP: ip}
	if err := a.RecordSignIn(ctx, store.SignIn{UserID: u.ID, PasskeyID: pks[0].ID, SignCount: 1, Session: se, At: at}, meta); err != nil {
		t.Fatalf("RecordSignIn: %v", err)
	}
	got, err := a.GetSession(ctx, se.Hash, at)
	if err != nil {
		t.Fatalf("GetSession right after sign-in: %v", err)
	}
	return got
}

// sessionHash stands in for the SHA-256 of a cookie secret: 32 bytes.
func sessionHash(name string) []byte {
	return []byte(fmt.Sprintf("%-32s", name))
}

func sessionIDs(ss []store.Session) []string {
	out := []string{}
	for _, se := range ss {
		out = append(out, se.ID)
	}
	return out
}

// testListSessions: a user's live sessions, most recently seen first, each
// with a non-secret id and the device details recorded at sign-in; never
// another user's and never an expired one.
func testListSessions(t *testing.T, s store.Store) {
	a := authOf(t, s)
	ada, bob := createUser(t, s, "ada"), createUser(t, s, "bob")
	now := time.Now().UTC().Truncate(time.Second)
	laptop := signIn(t, s, ada, "laptop", now.Add(-3*time.Hour), 12*time.Hour, "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0", "192.0.2.10")
	phone := signIn(t, s, ada, "phone", now.Add(-2*time.Hour), 12*time.Hour, "Mozilla/5.0 (iPhone) Safari/604.1", "2001:db8::1")
	signIn(t, s, ada, "expired", now.Add(-20*time.Hour), 12*time.Hour, "old", "192.0.2.11")
	signIn(t, s, bob, "bob", now.Add(-time.Hour), 12*time.Hour, "bob's", "192.0.2.12")
	if err := a.TouchSession(ctx, sessionHash("laptop"), now.Add(-time.Minute)); err != nil {
		t.Fatalf("TouchSession: %v", err)
	}

	got, err := a.ListSessions(ctx, ada.ID, now)
	if err != nil {
		t.Fatalf("ListSessions: %v", err)
	}
	if len(got) != 2 || got[0].ID != laptop.ID || got[1].ID != phone.ID {
		t.Fatalf("ListSessions = %v, want [laptop %s, phone %s]: live sessions only, most recently seen first", sessionIDs(got), laptop.ID, phone.ID)
	}
	if laptop.ID == "" || laptop.ID == phone.ID {
		t.Fatalf("session ids %q and %q: want two distinct non-empty ids", laptop.ID, phone.ID)
	}
	l := got[0]
	if l.UserID != ada.ID || !l.CreatedAt.Equal(now.Add(-3*time.Hour)) || !l.LastSeenAt.Equal(now.Add(-time.Minute)) ||
		!l.ExpiresAt.Equal(now.Add(9*time.Hour)) || l.UserAgent != "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0" || l.ClientIP != "192.0.2.10" {
		t.Fatalf("laptop session read back as %+v", l)
	}
	if got[1].ClientIP != "2001:db8::1" {
		t.Fatalf("phone session's client address %q, want 2001:db8::1", got[1].ClientIP)
	}
	// The id names a session on a page: it must not be, or contain, the
	// cookie hash in any usual spelling.
	for _, se := range got {
		for _, enc := range []string{hex.EncodeToString(se.Hash), base64.StdEncoding.EncodeToString(se.Hash),
			base64.RawURLEncoding.EncodeToString(se.Hash), strings.TrimSpace(string(se.Hash))} {
			if strings.Contains(se.ID, enc) {
				t.Fatalf("session id %q contains its hash", se.ID)
			}
		}
	}
	if none, err := a.ListSessions(ctx, uid(99), now); err != nil || none == nil || len(none) != 0 {
		t.Fatalf("ListSessions of an unknown user = %v, %v; want an empty list", none, err)
	}
	if bobs, _ := a.ListSessions(ctx, bob.ID, now); len(bobs) != 1 || bobs[0].UserAgent != "bob's" {
		t.Fatalf("bob's sessions = %+v, want his one", bobs)
	}
}

// testDeleteUserSessions: "sign out of all other devices" keeps the
// current session and ends the rest of that user's; "end all sessions"
// ends every one; both are audited with the count and touch nobody else.
func testDeleteUserSessions(t *testing.T, s store.Store) {
	a := authOf(t, s)
	ada, bob := createUser(t, s, "ada"), createUser(t, s, "bob")
	now := time.Now().UTC()
	for _, name := range []string{"here", "laptop", "phone"} {
		signIn(t, s, ada, name, now.Add(-time.Hour), 12*time.Hour, "ua-"+name, "192.0.2.1")
	}
	signIn(t, s, ada, "expired", now.Add(-20*time.Hour), 12*time.Hour, "old", "192.0.2.1")
	signIn(t, s, bob, "bob", now.Add(-time.Hour), 12*time.Hour, "bob's", "192.0.2.2")

	n, err := a.DeleteUserSessions(ctx, ada.ID, sessionHash("here"), meta)
	if err != nil || n != 2 {
		t.Fatalf("DeleteUserSessions(all but here) = %d, %v; want 2 (laptop and phone; the expired one is not counted)", n, err)
	}
	if _, err := a.GetSession(ctx, sessionHash("here"), now); err != nil {
		t.Fatalf("the kept session: %v", err)
	}
	for _, name := range []string{"laptop", "phone"} {
		_, err := a.GetSession(ctx, sessionHash(name), now)
		wantErr(t, "GetSession("+name+") after sign-out everywhere else", err, store.ErrNotFound)
	}
	if left, _ := a.ListSessions(ctx, ada.ID, now); len(left) != 1 || left[0].UserAgent != "ua-here" {
		t.Fatalf("ada's sessions after sign-out everywhere else: %+v", left)
	}
	evs := allAudit(t, s, store.AuditFilter{TargetID: ada.ID, Action: "session.revoke"})
	if len(evs) != 1 {
		t.Fatalf("%d session.revoke events, want 1", len(evs))
	}
	e := evs[0]
	if e.ActorID != meta.ActorID || e.TargetType != "user" || e.TargetName != "ada" || e.ClientIP != meta.ClientIP {
		t.Fatalf("session.revoke event %+v", e)
	}
	jsonEqual(t, "session.revoke after", e.After, obj{"sessions-ended": 2, "kept-current": true})

	n, err = a.DeleteUserSessions(ctx, ada.ID, nil, meta)
	if err != nil || n != 1 {
		t.Fatalf("DeleteUserSessions(all) = %d, %v; want 1", n, err)
	}
	if left, _ := a.ListSessions(ctx, ada.ID, now); len(left) != 0 {
		t.Fatalf("ada still has %d sessions after ending all", len(left))
	}
	n, err = a.DeleteUserSessions(ctx, ada.ID, nil, meta)
	if err != nil || n != 0 {
		t.Fatalf("DeleteUserSessions with none left = %d, %v; want 0", n, err)
	}
	if evs := allAudit(t, s, store.AuditFilter{TargetID: ada.ID, Action: "session.revoke"}); len(evs) != 3 {
		t.Fatalf("%d session.revoke events, want 3 (one per request, also when nothing was left)", len(evs))
	} else {
		jsonEqual(t, "session.revoke after ending all", evs[1].After, obj{"sessions-ended": 1})
	}
	if _, err := a.GetSession(ctx, sessionHash("bob"), now); err != nil {
		t.Fatalf("bob's session after ending ada's: %v", err)
	}
	_, err = a.DeleteUserSessions(ctx, uid(99), nil, meta)
	wantRefs(t, "DeleteUserSessions of an unknown user", err, "user", uid(99))

	// No audit event names the cookie hash.
	for _, e := range allAudit(t, s, store.AuditFilter{}) {
		for _, name := range []string{"here", "laptop", "phone", "bob"} {
			h := sessionHash(name)
			if bytes.Contains(e.After, []byte(hex.EncodeToString(h))) || bytes.Contains(e.After, []byte(base64.StdEncoding.EncodeToString(h))) {
				t.Fatalf("audit event %s holds a session hash: %s", e.Action, e.After)
			}
		}
	}
}

// testDeleteUserSession: one other device signed out by its id; the id of
// someone else's session is not found, so a person cannot end another's.
func testDeleteUserSession(t *testing.T, s store.Store) {
	a := authOf(t, s)
	ada, bob := createUser(t, s, "ada"), createUser(t, s, "bob")
	now := time.Now().UTC()
	phone := signIn(t, s, ada, "phone", now, time.Hour, "ua", "192.0.2.1")
	signIn(t, s, ada, "laptop", now, time.Hour, "ua", "192.0.2.1")
	bobs := signIn(t, s, bob, "bob", now, time.Hour, "ua", "192.0.2.2")

	wantErr(t, "ending bob's session as ada", a.DeleteUserSession(ctx, ada.ID, bobs.ID, meta), store.ErrNotFound)
	if _, err := a.GetSession(ctx, bobs.Hash, now); err != nil {
		t.Fatalf("bob's session after ada tried to end it: %v", err)
	}
	if err := a.DeleteUserSession(ctx, ada.ID, phone.ID, meta); err != nil {
		t.Fatalf("DeleteUserSession: %v", err)
	}
	wantErr(t, "the same session again", a.DeleteUserSession(ctx, ada.ID, phone.ID, meta), store.ErrNotFound)
	if left, _ := a.ListSessions(ctx, ada.ID, now); len(left) != 1 || left[0].Hash == nil || !bytes.Equal(left[0].Hash, sessionHash("laptop")) {
		t.Fatalf("ada's sessions after ending the phone's: %v", sessionIDs(left))
	}
	evs := allAudit(t, s, store.AuditFilter{TargetID: ada.ID, Action: "session.revoke"})
	if len(evs) != 1 {
		t.Fatalf("%d session.revoke events, want 1", len(evs))
	}
	jsonEqual(t, "session.revoke after", evs[0].After, obj{"session-id": phone.ID, "sessions-ended": 1})
	err := a.DeleteUserSession(ctx, uid(99), phone.ID, meta)
	if !errors.Is(err, store.ErrInvalidReference) {
		t.Fatalf("DeleteUserSession of an unknown user: %v, want a reference error", err)
	}
}

// testRevokePasskeysEndsSessions: revoking all of a user's passkeys (lost
// devices) also ends the user's sessions, audited as one session.revoke.
func testRevokePasskeysEndsSessions(t *testing.T, s store.Store) {
	a := authOf(t, s)
	ada, bob := createUser(t, s, "ada"), createUser(t, s, "bob")
	now := time.Now().UTC()
	signIn(t, s, ada, "laptop", now, time.Hour, "ua", "192.0.2.1")
	signIn(t, s, ada, "phone", now, time.Hour, "ua", "192.0.2.1")
	signIn(t, s, bob, "bob", now, time.Hour, "ua", "192.0.2.2")
	n, err := a.DeleteUserPasskeys(ctx, ada.ID, meta)
	if err != nil || n != 1 {
		t.Fatalf("DeleteUserPasskeys = %d, %v; want 1", n, err)
	}
	if left, _ := a.ListSessions(ctx, ada.ID, now); len(left) != 0 {
		t.Fatalf("ada has %d sessions after her passkeys were revoked, want 0", len(left))
	}
	if _, err := a.GetSession(ctx, sessionHash("bob"), now); err != nil {
		t.Fatalf("bob's session after revoking ada's passkeys: %v", err)
	}
	evs := allAudit(t, s, store.AuditFilter{TargetID: ada.ID, Action: "session.revoke"})
	if len(evs) != 1 {
		t.Fatalf("%d session.revoke events, want 1", len(evs))
	}
	jsonEqual(t, "session.revoke after", evs[0].After, obj{"sessions-ended": 2})
}
