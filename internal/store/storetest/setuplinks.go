package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/rollcall/rollcall/internal/store"
)

func setupPasskey(userID, cred string) store.Passkey {
	return store.Passkey{UserID: userID, CredentialID: []byte(cred), PublicKey: []byte("key"), AAGUID: make([]byte, 16), Name: cred}
}

// testOlderSetupLinkDies: a person given two setup links who sets up with
// the newer one cannot use the older one afterwards (issue 16 A).
func testOlderSetupLinkDies(t *testing.T, s store.Store) {
	a := authOf(t, s)
	ada := createUser(t, s, "ada")
	now := time.Now().UTC()
	for _, h := range []string{"link-1", "link-2"} {
		if _, err := a.CreateSetupLink(ctx, store.SetupLink{UserID: ada.ID, Hash: []byte(h), ExpiresAt: now.Add(time.Hour)}, meta); err != nil {
			t.Fatalf("CreateSetupLink(%s): %v", h, err)
		}
	}
	if _, err := a.CompleteSetup(ctx, []byte("link-2"), setupPasskey(ada.ID, "cred-2"), store.Session{}, meta); err != nil {
		t.Fatalf("CompleteSetup(link-2): %v", err)
	}
	if _, err := a.CompleteSetup(ctx, []byte("link-1"), setupPasskey(ada.ID, "cred-1"), store.Session{}, meta); err == nil {
		t.Fatalf("the older link-1 still set up a passkey after ada set up with link-2")
	}
	if n := getUser(t, s, ada.ID).PasskeyCount; n != 1 {
		t.Fatalf("ada has %d passkeys, want 1", n)
	}
}

func newLink(t *testing.T, a store.AuthStore, userID, hash string, ttl time.Duration, firstAdmin bool) store.SetupLink {
	t.Helper()
	l, err := a.CreateSetupLink(ctx, store.SetupLink{UserID: userID, Hash: []byte(hash), ExpiresAt: time.Now().Add(ttl), FirstAdmin: firstAdmin}, meta)
	if err != nil {
		t.Fatalf("CreateSetupLink(%s): %v", hash, err)
	}
	return l
}

func linkIDs(ls []store.SetupLink) []string {
	out := []string{}
	for _, l := range ls {
		out = append(out, l.ID)
	}
	return out
}

// revokeReasons returns the reasons of the setup_link.revoke events of
// user id, newest first.
func revokeReasons(t *testing.T, s store.Store, id string) []string {
	t.Helper()
	out := []string{}
	for _, ev := range allAudit(t, s, store.AuditFilter{TargetID: id, Action: "setup_link.revoke"}) {
		var after map[string]any
		if err := json.Unmarshal(ev.After, &after); err != nil {
			t.Fatalf("setup_link.revoke after %s: %v", ev.After, err)
		}
		if after["setup-link-id"] == "" {
			t.Fatalf("setup_link.revoke without the link's id: %s", ev.After)
		}
		out = append(out, fmt.Sprint(after["reason"]))
	}
	return out
}

// testSetupLinkLifecycle: a person has at most one outstanding link: a new
// one revokes the older; a passkey registered by any route revokes the
// rest; an admin lists and revokes them; each revocation is audited with
// its reason, and a revoked link is refused as ErrSetupLinkRevoked.
func testSetupLinkLifecycle(t *testing.T, s store.Store) {
	a := authOf(t, s)
	ada, bob := createUser(t, s, "ada"), createUser(t, s, "bob")
	now := time.Now().UTC()

	l1 := newLink(t, a, ada.ID, "l1", time.Hour, false)
	l2 := newLink(t, a, ada.ID, "l2", time.Hour, false)
	newLink(t, a, bob.ID, "b1", time.Hour, false)
	got, err := a.ListSetupLinks(ctx, ada.ID, now)
	if err != nil || len(got) != 1 || got[0].ID != l2.ID {
		t.Fatalf("ListSetupLinks(ada) = %v, %v; want only the newer link %s", linkIDs(got), err, l2.ID)
	}
	if g, _ := a.GetSetupLink(ctx, []byte("l1")); g.RevokedAt == nil || g.Outstanding(now) {
		t.Fatalf("the older link after a newer one was issued: %+v, want revoked", g)
	}
	_, err = a.CompleteSetup(ctx, []byte("l1"), setupPasskey(ada.ID, "c1"), store.Session{}, meta)
	wantErr(t, "CompleteSetup with a replaced link", err, store.ErrSetupLinkRevoked)
	if r := revokeReasons(t, s, ada.ID); len(r) != 1 || r[0] != store.RevokedReplaced {
		t.Fatalf("revocations audited %v, want [replaced]", r)
	}
	_ = l1

	// The account page's "add passkey" (CreatePasskey) kills l2 too.
	if _, err := a.CreatePasskey(ctx, setupPasskey(ada.ID, "c-account"), meta); err != nil {
		t.Fatalf("CreatePasskey: %v", err)
	}
	_, err = a.CompleteSetup(ctx, []byte("l2"), setupPasskey(ada.ID, "c2"), store.Session{}, meta)
	wantErr(t, "CompleteSetup after a passkey was added another way", err, store.ErrSetupLinkRevoked)
	if r := revokeReasons(t, s, ada.ID); len(r) != 2 || r[0] != store.RevokedPasskey {
		t.Fatalf("revocations audited %v, want [passkey-added replaced]", r)
	}
	if got, _ := a.ListSetupLinks(ctx, ada.ID, now); len(got) != 0 {
		t.Fatalf("ada's links after she added a passkey: %v, want none", linkIDs(got))
	}
	if n := getUser(t, s, ada.ID).PasskeyCount; n != 1 {
		t.Fatalf("ada has %d passkeys, want 1", n)
	}

	// Revoking one link, then all; bob's are untouched by ada's changes.
	b2 := newLink(t, a, bob.ID, "b2", time.Hour, false)
	wantErr(t, "RevokeSetupLink of another user's link", a.RevokeSetupLink(ctx, ada.ID, b2.ID, meta), store.ErrNotFound)
	if err := a.RevokeSetupLink(ctx, bob.ID, b2.ID, meta); err != nil {
		t.Fatalf("RevokeSetupLink: %v", err)
	}
	wantErr(t, "RevokeSetupLink twice", a.RevokeSetupLink(ctx, bob.ID, b2.ID, meta), store.ErrNotFound)
	_, err = a.CompleteSetup(ctx, []byte("b2"), setupPasskey(bob.ID, "cb2"), store.Session{}, meta)
	wantErr(t, "CompleteSetup with a revoked link", err, store.ErrSetupLinkRevoked)
	newLink(t, a, bob.ID, "b3", time.Hour, false)
	if n, err := a.RevokeSetupLinks(ctx, bob.ID, meta); err != nil || n != 1 {
		t.Fatalf("RevokeSetupLinks = %d, %v; want 1", n, err)
	}
	if n, err := a.RevokeSetupLinks(ctx, bob.ID, meta); err != nil || n != 0 {
		t.Fatalf("RevokeSetupLinks again = %d, %v; want 0", n, err)
	}
	if _, err := a.RevokeSetupLinks(ctx, uid(98), meta); !errors.Is(err, store.ErrInvalidReference) {
		t.Fatalf("RevokeSetupLinks of an unknown user: %v, want a reference error", err)
	}
	if r := revokeReasons(t, s, bob.ID); len(r) != 3 || r[0] != store.RevokedByAdmin || r[1] != store.RevokedByAdmin || r[2] != store.RevokedReplaced {
		t.Fatalf("bob's revocations audited %v, want [revoked revoked replaced]", r)
	}

	// A disabled user's link registers nothing, and works again once the
	// user is enabled.
	newLink(t, a, bob.ID, "b-disabled", time.Hour, false)
	if _, err := s.UpdateUser(ctx, bob.ID, 0, func(u *store.User) error { u.Disabled = true; return nil }, meta); err != nil {
		t.Fatal(err)
	}
	_, err = a.CompleteSetup(ctx, []byte("b-disabled"), setupPasskey(bob.ID, "c-disabled"), store.Session{}, meta)
	wantErr(t, "CompleteSetup for a disabled user", err, store.ErrSetupLinkUserDisabled)
	if g, _ := a.GetSetupLink(ctx, []byte("b-disabled")); g.UsedAt != nil || getUser(t, s, bob.ID).PasskeyCount != 0 {
		t.Fatalf("a disabled user's setup stored something: link %+v", g)
	}
	if _, err := s.UpdateUser(ctx, bob.ID, 0, func(u *store.User) error { u.Disabled = false; return nil }, meta); err != nil {
		t.Fatal(err)
	}

	// A used link is used, not revoked, and using it revokes nothing else.
	newLink(t, a, bob.ID, "b4", time.Hour, false)
	if _, err := a.CompleteSetup(ctx, []byte("b4"), setupPasskey(bob.ID, "cb4"), store.Session{}, meta); err != nil {
		t.Fatalf("CompleteSetup(b4): %v", err)
	}
	_, err = a.CompleteSetup(ctx, []byte("b4"), setupPasskey(bob.ID, "cb4-again"), store.Session{}, meta)
	wantErr(t, "CompleteSetup twice", err, store.ErrSetupLinkUsed)
	if n := len(allAudit(t, s, store.AuditFilter{TargetID: bob.ID, Action: "setup_link.use"})); n != 1 {
		t.Fatalf("%d setup_link.use events for bob, want 1", n)
	}
}

// testFirstAdminLink: a first-admin link dies once any enabled admin has a
// passkey, by whichever route; a plain link of a non-admin does not.
func testFirstAdminLink(t *testing.T, s store.Store) {
	a := authOf(t, s)
	first := createUser(t, s, "admin")
	if _, err := s.UpdateUser(ctx, first.ID, 0, func(u *store.User) error { u.IsAdmin = true; return nil }, meta); err != nil {
		t.Fatalf("UpdateUser: %v", err)
	}
	other := createUser(t, s, "grace")
	if _, err := s.UpdateUser(ctx, other.ID, 0, func(u *store.User) error { u.IsAdmin = true; return nil }, meta); err != nil {
		t.Fatalf("UpdateUser: %v", err)
	}
	plain := createUser(t, s, "ada")
	if has, err := a.AdminHasPasskey(ctx); err != nil || has {
		t.Fatalf("AdminHasPasskey on a new directory = %v, %v; want false", has, err)
	}
	// A first-admin link made for someone else (the first admin renamed,
	// another made) dies when the next one is made.
	stale := newLink(t, a, other.ID, "first-stale", time.Hour, true)
	fl := newLink(t, a, first.ID, "first", time.Hour, true)
	if g, _ := a.GetSetupLink(ctx, []byte("first-stale")); g.ID != stale.ID || g.RevokedAt == nil {
		t.Fatalf("an older first-admin link of another user after a new one: %+v, want revoked", g)
	}
	if g, _ := a.GetSetupLink(ctx, []byte("first")); !g.FirstAdmin {
		t.Fatalf("first-admin link read back as %+v", g)
	}
	newLink(t, a, plain.ID, "plain", time.Hour, false)
	// A non-admin's passkey leaves the first-admin link alone.
	if _, err := a.CreatePasskey(ctx, setupPasskey(plain.ID, "c-plain"), meta); err != nil {
		t.Fatalf("CreatePasskey: %v", err)
	}
	if got, _ := a.ListSetupLinks(ctx, first.ID, time.Now()); len(got) != 1 || got[0].ID != fl.ID {
		t.Fatalf("first admin's links after a non-admin's passkey: %v, want [%s]", linkIDs(got), fl.ID)
	}
	// Another admin's passkey kills it.
	if _, err := a.CreatePasskey(ctx, setupPasskey(other.ID, "c-grace"), meta); err != nil {
		t.Fatalf("CreatePasskey: %v", err)
	}
	if has, err := a.AdminHasPasskey(ctx); err != nil || !has {
		t.Fatalf("AdminHasPasskey = %v, %v; want true", has, err)
	}
	_, err := a.CompleteSetup(ctx, []byte("first"), setupPasskey(first.ID, "c-first"), store.Session{}, meta)
	wantErr(t, "CompleteSetup with a first-admin link once an admin has a passkey", err, store.ErrSetupLinkRevoked)
	if r := revokeReasons(t, s, first.ID); len(r) != 1 || r[0] != store.RevokedAdminReady {
		t.Fatalf("first admin's revocations audited %v, want [admin-has-passkey]", r)
	}
	// A first-admin link made later (a stale serve) is refused at use.
	newLink(t, a, first.ID, "first-2", time.Hour, true)
	_, err = a.CompleteSetup(ctx, []byte("first-2"), setupPasskey(first.ID, "c-first-2"), store.Session{}, meta)
	wantErr(t, "CompleteSetup with a first-admin link made after an admin had a passkey", err, store.ErrSetupLinkRevoked)
	// An ordinary link for the same admin still works.
	newLink(t, a, first.ID, "first-plain", time.Hour, false)
	if _, err := a.CompleteSetup(ctx, []byte("first-plain"), setupPasskey(first.ID, "c-first-3"), store.Session{}, meta); err != nil {
		t.Fatalf("CompleteSetup with an ordinary link of the first admin: %v", err)
	}
}

// testBootstrapTokens: a remembered bootstrap token hash stays remembered.
func testBootstrapTokens(t *testing.T, s store.Store) {
	a := authOf(t, s)
	h := []byte("bootstrap-hash-0123456789abcdef0")
	if ok, err := a.BootstrapTokenRemembered(ctx, h); err != nil || ok {
		t.Fatalf("BootstrapTokenRemembered before = %v, %v", ok, err)
	}
	for range 2 {
		if err := a.RememberBootstrapToken(ctx, h); err != nil {
			t.Fatalf("RememberBootstrapToken: %v", err)
		}
	}
	if ok, err := a.BootstrapTokenRemembered(ctx, h); err != nil || !ok {
		t.Fatalf("BootstrapTokenRemembered after = %v, %v", ok, err)
	}
}

// testSetupLinkRaces: a link used while it is being revoked, or while the
// person registers a passkey another way, is either used or revoked, never
// both: the checks run in the transaction that stores the passkey.
func testSetupLinkRaces(t *testing.T, s store.Store) {
	a := authOf(t, s)
	ada := createUser(t, s, "ada")
	for i := range 8 {
		hash := fmt.Sprintf("race-%d", i)
		newLink(t, a, ada.ID, hash, time.Hour, false)
		var setupErr, otherErr error
		revoked := 0
		done := make(chan struct{})
		go func() {
			defer close(done)
			_, setupErr = a.CompleteSetup(ctx, []byte(hash), setupPasskey(ada.ID, "setup-"+hash), store.Session{}, meta)
		}()
		if i%2 == 0 {
			revoked, otherErr = a.RevokeSetupLinks(ctx, ada.ID, meta)
		} else {
			_, otherErr = a.CreatePasskey(ctx, setupPasskey(ada.ID, "account-"+hash), meta)
		}
		<-done
		if otherErr != nil {
			t.Fatalf("round %d: the concurrent change: %v", i, otherErr)
		}
		l, err := a.GetSetupLink(ctx, []byte(hash))
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case setupErr == nil && (l.UsedAt == nil || l.RevokedAt != nil || revoked != 0):
			t.Fatalf("round %d: setup succeeded but the link is %+v and %d were revoked", i, l, revoked)
		case setupErr != nil && (!errors.Is(setupErr, store.ErrSetupLinkRevoked) || l.UsedAt != nil || l.RevokedAt == nil):
			t.Fatalf("round %d: setup refused with %v; the link is %+v", i, setupErr, l)
		}
	}
	pks, err := a.ListPasskeys(ctx, ada.ID)
	if err != nil {
		t.Fatal(err)
	}
	if n := getUser(t, s, ada.ID).PasskeyCount; n != len(pks) {
		t.Fatalf("passkey-count %d, %d passkeys", n, len(pks))
	}
}
