package storetest

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rollcall/rollcall/internal/store"
)

// oidcOf returns the backend's store.OIDCStore.
func oidcOf(t *testing.T, s store.Store) store.OIDCStore {
	t.Helper()
	o, ok := s.(store.OIDCStore)
	if !ok {
		t.Fatalf("%T does not implement store.OIDCStore", s)
	}
	return o
}

func hashOf(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

func createClient(t *testing.T, o store.OIDCStore, name string) store.OIDCClient {
	t.Helper()
	c, err := o.CreateOIDCClient(ctx, store.OIDCClient{
		Name: name, RedirectURIs: []string{"https://" + name + ".example.com/callback"},
		GrantTypes: []string{"authorization_code", "refresh_token"},
		Secrets:    []store.OIDCClientSecret{{Hash: hashOf("secret-" + name)}},
	}, meta)
	if err != nil {
		t.Fatalf("CreateOIDCClient(%s): %v", name, err)
	}
	return c
}

func testOIDCClients(t *testing.T, s store.Store) {
	o := oidcOf(t, s)
	g := createGroup(t, s, "staff")
	c, err := o.CreateOIDCClient(ctx, store.OIDCClient{
		Name: "grafana", RedirectURIs: []string{"https://grafana.example.com/login/generic_oauth"},
		GrantTypes: []string{"authorization_code"}, AllowedGroupIDs: []string{g.ID}, AccessTokenTTL: 10 * time.Minute,
		LogoURL: "https://grafana.example.com/logo.png",
		Secrets: []store.OIDCClientSecret{{Hash: hashOf("s1")}},
	}, meta)
	if err != nil {
		t.Fatalf("CreateOIDCClient: %v", err)
	}
	if c.ID == "" || c.Version != 1 || len(c.Secrets) != 1 || c.Secrets[0].ID == "" || c.PostLogoutRedirectURIs == nil {
		t.Fatalf("created client: %+v", c)
	}
	if !c.Secrets[0].CreatedAt.Equal(c.CreatedAt) {
		t.Errorf("a new secret is dated %v, want the client's creation %v", c.Secrets[0].CreatedAt, c.CreatedAt)
	}
	got, err := o.GetOIDCClient(ctx, c.ID)
	if err != nil {
		t.Fatalf("GetOIDCClient: %v", err)
	}
	if !reflect.DeepEqual(got, c) {
		t.Fatalf("GetOIDCClient:\n got %+v\nwant %+v", got, c)
	}
	_, err = o.CreateOIDCClient(ctx, store.OIDCClient{Name: "grafana"}, meta)
	wantConflict(t, "second client named grafana", err, "name")
	_, err = o.GetOIDCClient(ctx, "no-such-client")
	wantErr(t, "GetOIDCClient(missing)", err, store.ErrNotFound)

	// A second secret for a rotation; a third is refused.
	up, err := o.UpdateOIDCClient(ctx, c.ID, c.Version, func(cl *store.OIDCClient) error {
		cl.Secrets = append([]store.OIDCClientSecret{{Hash: hashOf("s2")}}, cl.Secrets...)
		cl.SkipConsent = true
		return nil
	}, meta)
	if err != nil {
		t.Fatalf("UpdateOIDCClient: %v", err)
	}
	if up.Version != 2 || len(up.Secrets) != 2 || !up.SkipConsent {
		t.Fatalf("updated client: %+v", up)
	}
	if !up.Secrets[0].CreatedAt.Equal(up.UpdatedAt) || !up.Secrets[1].CreatedAt.Equal(c.CreatedAt) {
		t.Errorf("after a rotation the secrets are dated %v and %v, want %v (the rotation) and %v (kept)",
			up.Secrets[0].CreatedAt, up.Secrets[1].CreatedAt, up.UpdatedAt, c.CreatedAt)
	}
	_, err = o.UpdateOIDCClient(ctx, c.ID, 1, func(cl *store.OIDCClient) error { return nil }, meta)
	wantErr(t, "update with a stale version", err, store.ErrPreconditionFailed)
	_, err = o.UpdateOIDCClient(ctx, c.ID, 0, func(cl *store.OIDCClient) error {
		cl.Secrets = append(cl.Secrets, store.OIDCClientSecret{Hash: hashOf("s3")})
		return nil
	}, meta)
	if err == nil {
		t.Fatal("a third secret was accepted")
	}

	evs := allAudit(t, s, store.AuditFilter{TargetID: c.ID})
	if len(evs) != 2 || evs[0].Action != "oidc_client.update" || evs[1].Action != "oidc_client.create" {
		t.Fatalf("audit of the client: %+v", evs)
	}
	for _, e := range evs {
		if string(e.After) == "" || containsHash(string(e.After)+string(e.Before), hashOf("s1"), hashOf("s2")) {
			t.Fatalf("audit event %s records a secret's hash: %s", e.Action, e.After)
		}
	}

	list, err := o.ListOIDCClients(ctx)
	if err != nil || len(list) != 1 || list[0].Name != "grafana" {
		t.Fatalf("ListOIDCClients: %v %+v", err, list)
	}
	if err := o.DeleteOIDCClient(ctx, c.ID, meta); err != nil {
		t.Fatalf("DeleteOIDCClient: %v", err)
	}
	_, err = o.GetOIDCClient(ctx, c.ID)
	wantErr(t, "GetOIDCClient after delete", err, store.ErrNotFound)
	wantErr(t, "DeleteOIDCClient twice", o.DeleteOIDCClient(ctx, c.ID, meta), store.ErrNotFound)
}

// containsHash reports whether s holds one of the hashes as JSON would
// encode them (base64).
func containsHash(s string, hashes ...[]byte) bool {
	for _, h := range hashes {
		if strings.Contains(s, base64.StdEncoding.EncodeToString(h)) {
			return true
		}
	}
	return false
}

// authorize runs an authorization request through to an issued code.
func authorize(t *testing.T, o store.OIDCStore, c store.OIDCClient, u store.User, code string) store.OIDCAuthRequest {
	t.Helper()
	now := time.Now()
	r, err := o.CreateOIDCAuthRequest(ctx, store.OIDCAuthRequest{ClientID: c.ID, Params: []byte(`{"state":"x"}`), ExpiresAt: now.Add(10 * time.Minute)})
	if err != nil {
		t.Fatalf("CreateOIDCAuthRequest: %v", err)
	}
	if err := o.CompleteOIDCAuthRequest(ctx, r.ID, store.OIDCAuthDone{UserID: u.ID, SessionID: "sess-1", AuthTime: now, AMR: []string{"hwk", "user"}}, meta); err != nil {
		t.Fatalf("CompleteOIDCAuthRequest: %v", err)
	}
	if err := o.SaveOIDCAuthCode(ctx, r.ID, hashOf(code), now.Add(time.Minute)); err != nil {
		t.Fatalf("SaveOIDCAuthCode: %v", err)
	}
	got, err := o.GetOIDCAuthRequestByCode(ctx, hashOf(code), now, meta)
	if err != nil {
		t.Fatalf("GetOIDCAuthRequestByCode: %v", err)
	}
	if !got.Done || got.UserID != u.ID || got.SessionID != "sess-1" || string(got.Params) != `{"state":"x"}` ||
		!reflect.DeepEqual(got.AMR, []string{"hwk", "user"}) {
		t.Fatalf("request by code: %+v", got)
	}
	return got
}

func testOIDCCodeSingleUse(t *testing.T, s store.Store) {
	o := oidcOf(t, s)
	u := createUser(t, s, "ada")
	c := createClient(t, o, "app")
	now := time.Now()

	_, err := o.CreateOIDCAuthRequest(ctx, store.OIDCAuthRequest{ClientID: "no-such-client", Params: []byte(`{}`), ExpiresAt: now.Add(time.Minute)})
	wantErr(t, "request for an unknown client", err, store.ErrNotFound)

	r := authorize(t, o, c, u, "code-1")
	grant := store.OIDCTokenGrant{
		RedeemCode: r.ID,
		Access:     store.OIDCAccessToken{Hash: hashOf("at-1"), ClientID: c.ID, UserID: u.ID, Scopes: []string{"openid"}, FamilyID: r.ID, ExpiresAt: now.Add(time.Hour)},
		Refresh: &store.OIDCRefreshToken{Hash: hashOf("rt-1"), FamilyID: r.ID, ClientID: c.ID, UserID: u.ID, Scopes: []string{"openid", "offline_access"},
			AuthTime: now, ExpiresAt: now.Add(24 * time.Hour)},
	}
	if err := o.CreateOIDCTokens(ctx, grant, meta); err != nil {
		t.Fatalf("CreateOIDCTokens: %v", err)
	}
	at, err := o.GetOIDCAccessToken(ctx, hashOf("at-1"), now)
	if err != nil || at.UserID != u.ID || at.ClientID != c.ID || !reflect.DeepEqual(at.Scopes, []string{"openid"}) {
		t.Fatalf("GetOIDCAccessToken: %v %+v", err, at)
	}
	_, err = o.GetOIDCAccessToken(ctx, hashOf("at-1"), now.Add(2*time.Hour))
	wantErr(t, "an expired access token", err, store.ErrNotFound)

	// Redeeming the code again: refused, and what it issued is revoked.
	_, err = o.GetOIDCAuthRequestByCode(ctx, hashOf("code-1"), now, meta)
	wantErr(t, "second lookup of a redeemed code", err, store.ErrOIDCCodeUsed)
	_, err = o.GetOIDCAccessToken(ctx, hashOf("at-1"), now)
	wantErr(t, "access token after the code's replay", err, store.ErrNotFound)
	_, err = o.GetOIDCRefreshToken(ctx, hashOf("rt-1"), now, meta)
	wantErr(t, "refresh token after the code's replay", err, store.ErrNotFound)
	if evs := allAudit(t, s, store.AuditFilter{Action: "oidc.code_reuse"}); len(evs) != 1 || evs[0].TargetID != u.ID {
		t.Fatalf("code reuse audit: %+v", evs)
	}

	// Two redemptions racing: the store lets one through.
	r2 := authorize(t, o, c, u, "code-2")
	g2 := store.OIDCTokenGrant{RedeemCode: r2.ID, Access: store.OIDCAccessToken{Hash: hashOf("at-2"), ClientID: c.ID, UserID: u.ID, FamilyID: r2.ID, ExpiresAt: now.Add(time.Hour)}}
	if err := o.CreateOIDCTokens(ctx, g2, meta); err != nil {
		t.Fatalf("first redemption: %v", err)
	}
	g2.Access.Hash = hashOf("at-2b")
	wantErr(t, "second redemption", o.CreateOIDCTokens(ctx, g2, meta), store.ErrOIDCCodeUsed)
	_, err = o.GetOIDCAccessToken(ctx, hashOf("at-2"), now)
	wantErr(t, "first redemption's token after the second", err, store.ErrNotFound)

	// A code that expired is not found, and not a reuse.
	r3, err := o.CreateOIDCAuthRequest(ctx, store.OIDCAuthRequest{ClientID: c.ID, Params: []byte(`{}`), ExpiresAt: now.Add(time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	wantErr(t, "a code for an unfinished request", o.SaveOIDCAuthCode(ctx, r3.ID, hashOf("code-3"), now.Add(time.Minute)), store.ErrNotFound)
	if err := o.CompleteOIDCAuthRequest(ctx, r3.ID, store.OIDCAuthDone{UserID: u.ID, AuthTime: now}, meta); err != nil {
		t.Fatal(err)
	}
	if err := o.SaveOIDCAuthCode(ctx, r3.ID, hashOf("code-3"), now.Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	_, err = o.GetOIDCAuthRequestByCode(ctx, hashOf("code-3"), now, meta)
	wantErr(t, "an expired code", err, store.ErrNotFound)
	wantErr(t, "redeeming an expired code", o.CreateOIDCTokens(ctx, store.OIDCTokenGrant{RedeemCode: r3.ID,
		Access: store.OIDCAccessToken{Hash: hashOf("at-3"), ClientID: c.ID, UserID: u.ID, ExpiresAt: now.Add(time.Hour)}}, meta), store.ErrNotFound)

	if evs := allAudit(t, s, store.AuditFilter{Action: "oidc.signin"}); len(evs) != 3 {
		t.Fatalf("oidc.signin events: %d, want 3", len(evs))
	}
	// A request without a code can be deleted; one with a code stays to
	// recognise a replay.
	if err := o.DeleteOIDCAuthRequest(ctx, r2.ID); err != nil {
		t.Fatal(err)
	}
	_, err = o.GetOIDCAuthRequestByCode(ctx, hashOf("code-2"), now, meta)
	wantErr(t, "replay after DeleteOIDCAuthRequest", err, store.ErrOIDCCodeUsed)
}

func testOIDCRefreshRotation(t *testing.T, s store.Store) {
	o := oidcOf(t, s)
	u := createUser(t, s, "ada")
	c := createClient(t, o, "app")
	now := time.Now()
	r := authorize(t, o, c, u, "code")
	rt := func(name string) *store.OIDCRefreshToken {
		return &store.OIDCRefreshToken{Hash: hashOf(name), FamilyID: r.ID, ClientID: c.ID, UserID: u.ID,
			Scopes: []string{"openid", "offline_access"}, AMR: []string{"hwk"}, AuthTime: now, SessionID: "sess-1", ExpiresAt: now.Add(time.Hour)}
	}
	at := func(name string) store.OIDCAccessToken {
		return store.OIDCAccessToken{Hash: hashOf(name), ClientID: c.ID, UserID: u.ID, FamilyID: r.ID, ExpiresAt: now.Add(time.Hour)}
	}
	if err := o.CreateOIDCTokens(ctx, store.OIDCTokenGrant{RedeemCode: r.ID, Access: at("at-1"), Refresh: rt("rt-1")}, meta); err != nil {
		t.Fatal(err)
	}
	got, err := o.GetOIDCRefreshToken(ctx, hashOf("rt-1"), now, meta)
	if err != nil || got.ID == "" || got.UserID != u.ID || got.SessionID != "sess-1" || !reflect.DeepEqual(got.AMR, []string{"hwk"}) {
		t.Fatalf("GetOIDCRefreshToken: %v %+v", err, got)
	}
	// Rotate rt-1 into rt-2.
	if err := o.CreateOIDCTokens(ctx, store.OIDCTokenGrant{RotateRefresh: hashOf("rt-1"), Access: at("at-2"), Refresh: rt("rt-2")}, meta); err != nil {
		t.Fatalf("rotation: %v", err)
	}
	if _, err := o.GetOIDCRefreshToken(ctx, hashOf("rt-2"), now, meta); err != nil {
		t.Fatalf("the new refresh token: %v", err)
	}
	// rt-1 again: reuse, the whole family goes.
	_, err = o.GetOIDCRefreshToken(ctx, hashOf("rt-1"), now, meta)
	wantErr(t, "presenting a rotated-away token", err, store.ErrOIDCRefreshReused)
	_, err = o.GetOIDCRefreshToken(ctx, hashOf("rt-2"), now, meta)
	wantErr(t, "the family's newest token after reuse", err, store.ErrNotFound)
	for _, name := range []string{"at-1", "at-2"} {
		_, err = o.GetOIDCAccessToken(ctx, hashOf(name), now)
		wantErr(t, "access token "+name+" after reuse", err, store.ErrNotFound)
	}
	if evs := allAudit(t, s, store.AuditFilter{Action: "oidc.refresh_reuse"}); len(evs) != 1 || evs[0].TargetID != u.ID {
		t.Fatalf("refresh reuse audit: %+v", evs)
	}

	// Reuse detected while rotating (two clients racing with one token).
	r2 := authorize(t, o, c, u, "code-2")
	rt3 := rt("rt-3")
	rt3.FamilyID = r2.ID
	if err := o.CreateOIDCTokens(ctx, store.OIDCTokenGrant{RedeemCode: r2.ID, Access: at("at-3"), Refresh: rt3}, meta); err != nil {
		t.Fatal(err)
	}
	rt4, rt5 := rt("rt-4"), rt("rt-5")
	rt4.FamilyID, rt5.FamilyID = r2.ID, r2.ID
	if err := o.CreateOIDCTokens(ctx, store.OIDCTokenGrant{RotateRefresh: hashOf("rt-3"), Access: at("at-4"), Refresh: rt4}, meta); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "second rotation of one token", o.CreateOIDCTokens(ctx, store.OIDCTokenGrant{RotateRefresh: hashOf("rt-3"), Access: at("at-5"), Refresh: rt5}, meta), store.ErrOIDCRefreshReused)
	_, err = o.GetOIDCRefreshToken(ctx, hashOf("rt-4"), now, meta)
	wantErr(t, "rt-4 after the race", err, store.ErrNotFound)

	// Expired refresh tokens are not found; revoking one access token.
	r3 := authorize(t, o, c, u, "code-3")
	rt6 := rt("rt-6")
	rt6.FamilyID = r3.ID
	if err := o.CreateOIDCTokens(ctx, store.OIDCTokenGrant{RedeemCode: r3.ID, Access: at("at-6"), Refresh: rt6}, meta); err != nil {
		t.Fatal(err)
	}
	_, err = o.GetOIDCRefreshToken(ctx, hashOf("rt-6"), now.Add(2*time.Hour), meta)
	wantErr(t, "an expired refresh token", err, store.ErrNotFound)
	if err := o.RevokeOIDCAccessToken(ctx, hashOf("at-6"), meta); err != nil {
		t.Fatalf("RevokeOIDCAccessToken: %v", err)
	}
	_, err = o.GetOIDCAccessToken(ctx, hashOf("at-6"), now)
	wantErr(t, "a revoked access token", err, store.ErrNotFound)
	wantErr(t, "revoking it again", o.RevokeOIDCAccessToken(ctx, hashOf("at-6"), meta), store.ErrNotFound)
	if err := o.RevokeOIDCFamily(ctx, r3.ID, "revoked by the client", meta); err != nil {
		t.Fatal(err)
	}
	_, err = o.GetOIDCRefreshToken(ctx, hashOf("rt-6"), now, meta)
	wantErr(t, "a revoked refresh token", err, store.ErrNotFound)

	// Deleting the user removes the refresh tokens.
	if err := o.DeleteExpiredOIDC(ctx, now.Add(48*time.Hour)); err != nil {
		t.Fatalf("DeleteExpiredOIDC: %v", err)
	}
	_, err = o.GetOIDCAuthRequestByCode(ctx, hashOf("code-3"), now, meta)
	wantErr(t, "a purged request", err, store.ErrNotFound)
}

func testOIDCKeys(t *testing.T, s store.Store) {
	o := oidcOf(t, s)
	keys, err := o.OIDCKeys(ctx)
	if err != nil || len(keys) != 0 {
		t.Fatalf("OIDCKeys on an empty store: %v %v", err, keys)
	}
	k1, err := o.CreateOIDCKey(ctx, store.OIDCKey{ID: "sig-1", Use: "sig", Algorithm: "RS256", PrivateKey: []byte("first")})
	if err != nil || k1.ID != "sig-1" || string(k1.PrivateKey) != "first" || k1.CreatedAt.IsZero() {
		t.Fatalf("CreateOIDCKey: %v %+v", err, k1)
	}
	// A second instance creating the same key id gets the first one's key.
	k2, err := o.CreateOIDCKey(ctx, store.OIDCKey{ID: "sig-1", Use: "sig", Algorithm: "RS256", PrivateKey: []byte("second")})
	if err != nil || string(k2.PrivateKey) != "first" {
		t.Fatalf("CreateOIDCKey of an existing id: %v %+v", err, k2)
	}
	time.Sleep(2 * time.Millisecond)
	if _, err := o.CreateOIDCKey(ctx, store.OIDCKey{ID: "enc-1", Use: "enc", Algorithm: "A256", PrivateKey: make([]byte, 32)}); err != nil {
		t.Fatal(err)
	}
	keys, err = o.OIDCKeys(ctx)
	if err != nil || len(keys) != 2 || keys[0].ID != "enc-1" || keys[1].ID != "sig-1" {
		t.Fatalf("OIDCKeys: %v %+v", err, keys)
	}
	time.Sleep(2 * time.Millisecond)
	k3, err := o.RotateOIDCSigningKey(ctx, store.OIDCKey{ID: "sig-2", Algorithm: "ES256", PrivateKey: []byte("third")}, meta)
	if err != nil || k3.Use != "sig" || k3.RetiredAt != nil {
		t.Fatalf("RotateOIDCSigningKey: %v %+v", err, k3)
	}
	keys, err = o.OIDCKeys(ctx)
	if err != nil || len(keys) != 3 || keys[0].ID != "sig-2" || keys[0].RetiredAt != nil || keys[2].ID != "sig-1" || keys[2].RetiredAt == nil || keys[1].RetiredAt != nil {
		t.Fatalf("keys after a rotation (the enc key is not retired): %v %+v", err, keys)
	}
	if evs := allAudit(t, s, store.AuditFilter{Action: "oidc.key_rotate"}); len(evs) != 1 || evs[0].TargetID != "sig-2" {
		t.Fatalf("key rotation audit: %+v", evs)
	}
}

func testOIDCConsents(t *testing.T, s store.Store) {
	o := oidcOf(t, s)
	u := createUser(t, s, "ada")
	c := createClient(t, o, "app")
	_, err := o.GetOIDCConsent(ctx, u.ID, c.ID)
	wantErr(t, "consent never given", err, store.ErrNotFound)
	if err := o.SaveOIDCConsent(ctx, store.OIDCConsent{UserID: u.ID, ClientID: c.ID, Scopes: []string{"openid", "email"}}, meta); err != nil {
		t.Fatalf("SaveOIDCConsent: %v", err)
	}
	if err := o.SaveOIDCConsent(ctx, store.OIDCConsent{UserID: u.ID, ClientID: c.ID, Scopes: []string{"openid", "email", "profile"}}, meta); err != nil {
		t.Fatalf("SaveOIDCConsent again: %v", err)
	}
	co, err := o.GetOIDCConsent(ctx, u.ID, c.ID)
	if err != nil || !reflect.DeepEqual(co.Scopes, []string{"email", "openid", "profile"}) {
		t.Fatalf("GetOIDCConsent: %v %+v", err, co)
	}
	err = o.SaveOIDCConsent(ctx, store.OIDCConsent{UserID: u.ID, ClientID: "nope", Scopes: []string{"openid"}}, meta)
	if !errors.Is(err, store.ErrInvalidReference) {
		t.Fatalf("consent to an unknown client: %v", err)
	}
	if evs := allAudit(t, s, store.AuditFilter{Action: "oidc.consent"}); len(evs) != 2 {
		t.Fatalf("consent audit events: %d", len(evs))
	}
	if list, err := o.ListOIDCConsents(ctx, u.ID); err != nil || len(list) != 1 || list[0].ClientID != c.ID {
		t.Fatalf("ListOIDCConsents: %v %+v", err, list)
	}
	// The person's tokens for the client can be revoked all at once.
	r := authorize(t, o, c, u, "code-consents")
	now := time.Now()
	if err := o.CreateOIDCTokens(ctx, store.OIDCTokenGrant{RedeemCode: r.ID,
		Access:  store.OIDCAccessToken{Hash: hashOf("at-c"), ClientID: c.ID, UserID: u.ID, FamilyID: r.ID, ExpiresAt: now.Add(time.Hour)},
		Refresh: &store.OIDCRefreshToken{Hash: hashOf("rt-c"), FamilyID: r.ID, ClientID: c.ID, UserID: u.ID, AuthTime: now, ExpiresAt: now.Add(time.Hour)},
	}, meta); err != nil {
		t.Fatal(err)
	}
	if n, err := o.RevokeOIDCUserTokens(ctx, u.ID, c.ID, "withdrawn by the person", meta); err != nil || n != 2 {
		t.Fatalf("RevokeOIDCUserTokens: %d %v", n, err)
	}
	_, err = o.GetOIDCRefreshToken(ctx, hashOf("rt-c"), now, meta)
	wantErr(t, "a refresh token after RevokeOIDCUserTokens", err, store.ErrNotFound)
	if err := o.DeleteOIDCConsent(ctx, u.ID, c.ID, meta); err != nil {
		t.Fatalf("DeleteOIDCConsent: %v", err)
	}
	_, err = o.GetOIDCConsent(ctx, u.ID, c.ID)
	wantErr(t, "consent after withdrawal", err, store.ErrNotFound)
	wantErr(t, "withdrawing twice", o.DeleteOIDCConsent(ctx, u.ID, c.ID, meta), store.ErrNotFound)

	// Deleting the user or the client removes consents.
	if err := o.SaveOIDCConsent(ctx, store.OIDCConsent{UserID: u.ID, ClientID: c.ID, Scopes: []string{"openid"}}, meta); err != nil {
		t.Fatal(err)
	}
	if err := o.DeleteOIDCClient(ctx, c.ID, meta); err != nil {
		t.Fatal(err)
	}
	_, err = o.GetOIDCConsent(ctx, u.ID, c.ID)
	wantErr(t, "consent after the client's deletion", err, store.ErrNotFound)
}

func testOIDCDevice(t *testing.T, s store.Store) {
	o := oidcOf(t, s)
	u := createUser(t, s, "ada")
	c := createClient(t, o, "tv")
	now := time.Now()
	d := store.OIDCDeviceAuth{DeviceHash: hashOf("device-1"), UserCode: "BCDF-GHJK", ClientID: c.ID, Scopes: []string{"openid"}, ExpiresAt: now.Add(10 * time.Minute)}
	if err := o.CreateOIDCDeviceAuth(ctx, d); err != nil {
		t.Fatalf("CreateOIDCDeviceAuth: %v", err)
	}
	d2 := d
	d2.DeviceHash = hashOf("device-2")
	wantConflict(t, "a user code in use", o.CreateOIDCDeviceAuth(ctx, d2), "user_code")
	d3 := d2
	d3.UserCode, d3.ClientID = "XXXX-XXXX", "no-such-client"
	wantErr(t, "a device authorization for an unknown client", o.CreateOIDCDeviceAuth(ctx, d3), store.ErrNotFound)

	got, err := o.GetOIDCDeviceAuthByUserCode(ctx, "BCDF-GHJK", now)
	if err != nil || got.State != store.OIDCDevicePending || got.ClientID != c.ID || !reflect.DeepEqual(got.Scopes, []string{"openid"}) {
		t.Fatalf("GetOIDCDeviceAuthByUserCode: %v %+v", err, got)
	}
	_, err = o.GetOIDCDeviceAuthByUserCode(ctx, "BCDF-GHJK", now.Add(time.Hour))
	wantErr(t, "an expired user code", err, store.ErrNotFound)
	if p, err := o.PollOIDCDeviceAuth(ctx, hashOf("device-1")); err != nil || p.State != store.OIDCDevicePending {
		t.Fatalf("poll while pending: %v %+v", err, p)
	}
	_, err = o.PollOIDCDeviceAuth(ctx, hashOf("unknown"))
	wantErr(t, "poll of an unknown device code", err, store.ErrNotFound)

	done := store.OIDCAuthDone{UserID: u.ID, SessionID: "sess", AuthTime: now, AMR: []string{"hwk", "user"}}
	if err := o.DecideOIDCDeviceAuth(ctx, "BCDF-GHJK", true, done, meta); err != nil {
		t.Fatalf("DecideOIDCDeviceAuth: %v", err)
	}
	wantErr(t, "deciding twice", o.DecideOIDCDeviceAuth(ctx, "BCDF-GHJK", false, done, meta), store.ErrNotFound)
	p, err := o.PollOIDCDeviceAuth(ctx, hashOf("device-1"))
	if err != nil || p.State != store.OIDCDeviceApproved || p.UserID != u.ID || p.SessionID != "sess" || !reflect.DeepEqual(p.AMR, []string{"hwk", "user"}) {
		t.Fatalf("the poll after approval: %v %+v", err, p)
	}
	if p, err := o.PollOIDCDeviceAuth(ctx, hashOf("device-1")); err != nil || p.State != store.OIDCDeviceRedeemed {
		t.Fatalf("a second poll after approval: %v %+v", err, p)
	}

	// Denied.
	d4 := store.OIDCDeviceAuth{DeviceHash: hashOf("device-4"), UserCode: "MNPQ-RSTV", ClientID: c.ID, ExpiresAt: now.Add(time.Minute)}
	if err := o.CreateOIDCDeviceAuth(ctx, d4); err != nil {
		t.Fatal(err)
	}
	if err := o.DecideOIDCDeviceAuth(ctx, "MNPQ-RSTV", false, done, meta); err != nil {
		t.Fatal(err)
	}
	if p, err := o.PollOIDCDeviceAuth(ctx, hashOf("device-4")); err != nil || p.State != store.OIDCDeviceDenied {
		t.Fatalf("poll after denial: %v %+v", err, p)
	}
	evs := allAudit(t, s, store.AuditFilter{TargetID: u.ID})
	actions := map[string]int{}
	for _, e := range evs {
		actions[e.Action]++
	}
	if actions["oidc.signin"] != 1 || actions["oidc.device_deny"] != 1 {
		t.Fatalf("device audit: %v", actions)
	}
	if err := o.DeleteExpiredOIDC(ctx, now.Add(3*time.Hour)); err != nil {
		t.Fatal(err)
	}
	_, err = o.PollOIDCDeviceAuth(ctx, hashOf("device-4"))
	wantErr(t, "a purged device authorization", err, store.ErrNotFound)
}

func testOIDCBackchannelLogout(t *testing.T, s store.Store) {
	o := oidcOf(t, s)
	a := authOf(t, s)
	u := createUser(t, s, "ada")
	withURI := createClient(t, o, "app")
	withURI, err := o.UpdateOIDCClient(ctx, withURI.ID, 0, func(c *store.OIDCClient) error {
		c.BackchannelLogoutURI = "https://app.example.com/backchannel"
		return nil
	}, meta)
	if err != nil || withURI.BackchannelLogoutURI != "https://app.example.com/backchannel" {
		t.Fatalf("set backchannel_logout_uri: %v %+v", err, withURI)
	}
	without := createClient(t, o, "other")
	now := time.Now()
	se := signIn(t, s, u, "cookie-1", now, time.Hour, "UA", "192.0.2.1")
	for _, c := range []store.OIDCClient{withURI, without} {
		r, err := o.CreateOIDCAuthRequest(ctx, store.OIDCAuthRequest{ClientID: c.ID, Params: []byte(`{}`), ExpiresAt: now.Add(time.Minute)})
		if err != nil {
			t.Fatal(err)
		}
		if err := o.CompleteOIDCAuthRequest(ctx, r.ID, store.OIDCAuthDone{UserID: u.ID, SessionID: se.ID, AuthTime: now}, meta); err != nil {
			t.Fatal(err)
		}
	}
	claim := func(at time.Time) []store.OIDCLogout {
		t.Helper()
		ls, err := o.ClaimOIDCLogouts(ctx, at, time.Minute, 10)
		if err != nil {
			t.Fatalf("ClaimOIDCLogouts: %v", err)
		}
		return ls
	}
	if ls := claim(time.Now()); len(ls) != 0 {
		t.Fatalf("logouts due while the session lives: %+v", ls)
	}
	if err := a.DeleteSession(ctx, se.Hash, meta); err != nil {
		t.Fatal(err)
	}
	ls := claim(time.Now())
	if len(ls) != 1 || ls[0].ClientID != withURI.ID || ls[0].SessionID != se.ID || ls[0].UserID != u.ID || ls[0].URI != "https://app.example.com/backchannel" || ls[0].Attempts != 0 {
		t.Fatalf("logouts after sign-out: %+v", ls)
	}
	if again := claim(time.Now()); len(again) != 0 {
		t.Fatalf("a claimed logout was handed out twice: %+v", again)
	}
	// A failed delivery comes back at its retry time; a delivered one is gone.
	if err := o.FinishOIDCLogout(ctx, ls[0], false, time.Now().Add(time.Second), "503 Service Unavailable"); err != nil {
		t.Fatal(err)
	}
	ls = claim(time.Now().Add(2 * time.Second))
	if len(ls) != 1 || ls[0].Attempts != 1 {
		t.Fatalf("logout after a failed delivery: %+v", ls)
	}
	if err := o.FinishOIDCLogout(ctx, ls[0], true, time.Time{}, ""); err != nil {
		t.Fatal(err)
	}
	if ls := claim(now.Add(time.Hour)); len(ls) != 0 {
		t.Fatalf("logouts after delivery: %+v", ls)
	}

	// Disabling the person makes the logouts of a live session due.
	se2 := signIn(t, s, u, "cookie-2", now, time.Hour, "UA", "192.0.2.1")
	r, err := o.CreateOIDCAuthRequest(ctx, store.OIDCAuthRequest{ClientID: withURI.ID, Params: []byte(`{}`), ExpiresAt: now.Add(time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	if err := o.CompleteOIDCAuthRequest(ctx, r.ID, store.OIDCAuthDone{UserID: u.ID, SessionID: se2.ID, AuthTime: now}, meta); err != nil {
		t.Fatal(err)
	}
	if ls := claim(time.Now()); len(ls) != 0 {
		t.Fatalf("logouts due while the second session lives: %+v", ls)
	}
	if _, err := s.UpdateUser(ctx, u.ID, 0, func(x *store.User) error { x.Disabled = true; return nil }, meta); err != nil {
		t.Fatal(err)
	}
	if ls := claim(time.Now()); len(ls) != 1 || ls[0].SessionID != se2.ID {
		t.Fatalf("logouts after disabling: %+v", ls)
	}
}

// testOIDCLogoutTriggers: every event that ends a browser session queues,
// in its own transaction, exactly one logout for the client that holds the
// session (and none for a client without a back-channel URI), with what the
// logout token needs even after the person is deleted; expiry is found by
// the sweep. Sessions that live on queue nothing.
func testOIDCLogoutTriggers(t *testing.T, s store.Store) {
	o := oidcOf(t, s)
	a := authOf(t, s)
	app := createClient(t, o, "app")
	app, err := o.UpdateOIDCClient(ctx, app.ID, 0, func(c *store.OIDCClient) error {
		c.BackchannelLogoutURI = "https://app.example.com/backchannel"
		return nil
	}, meta)
	if err != nil {
		t.Fatal(err)
	}
	other := createClient(t, o, "other")
	hold := func(u store.User, se store.Session) {
		t.Helper()
		now := time.Now()
		for _, c := range []store.OIDCClient{app, other} {
			r, err := o.CreateOIDCAuthRequest(ctx, store.OIDCAuthRequest{ClientID: c.ID, Params: []byte(`{}`), ExpiresAt: now.Add(time.Minute)})
			if err != nil {
				t.Fatal(err)
			}
			if err := o.CompleteOIDCAuthRequest(ctx, r.ID, store.OIDCAuthDone{UserID: u.ID, SessionID: se.ID, AuthTime: now}, meta); err != nil {
				t.Fatal(err)
			}
		}
	}
	// drain claims and delivers what is due at, checking there is at most one.
	drain := func(at time.Time) []store.OIDCLogout {
		t.Helper()
		ls, err := o.ClaimOIDCLogouts(ctx, at, time.Minute, 10)
		if err != nil {
			t.Fatalf("ClaimOIDCLogouts: %v", err)
		}
		for _, l := range ls {
			if err := o.FinishOIDCLogout(ctx, l, true, time.Time{}, ""); err != nil {
				t.Fatal(err)
			}
		}
		return ls
	}
	disable := func(u store.User) error {
		_, err := s.UpdateUser(ctx, u.ID, 0, func(x *store.User) error { x.Disabled = true; return nil }, meta)
		return err
	}
	for i, tc := range []struct {
		name string
		ttl  time.Duration
		end  func(u store.User, se, keep store.Session) error
		at   time.Duration // when to claim, after now
	}{
		{"signout", time.Hour, func(_ store.User, se, _ store.Session) error { return a.DeleteSession(ctx, se.Hash, meta) }, 0},
		{"sign-out-everywhere", time.Hour, func(u store.User, _, _ store.Session) error {
			_, err := a.DeleteUserSessions(ctx, u.ID, nil, meta)
			return err
		}, 0},
		{"sign-out-others", time.Hour, func(u store.User, _, keep store.Session) error {
			_, err := a.DeleteUserSessions(ctx, u.ID, keep.Hash, meta)
			return err
		}, 0},
		{"end-one-session", time.Hour, func(u store.User, se, _ store.Session) error { return a.DeleteUserSession(ctx, u.ID, se.ID, meta) }, 0},
		{"revoke-passkeys", time.Hour, func(u store.User, _, _ store.Session) error {
			_, err := a.DeleteUserPasskeys(ctx, u.ID, meta)
			return err
		}, 0},
		{"disable", time.Hour, func(u store.User, _, _ store.Session) error { return disable(u) }, 0},
		{"disable-atomic", time.Hour, func(u store.User, _, _ store.Session) error {
			return s.Atomic(ctx, func(tx store.Store) error {
				_, err := tx.UpdateUser(ctx, u.ID, 0, func(x *store.User) error { x.Disabled = true; return nil }, meta)
				return err
			})
		}, 0},
		{"delete", time.Hour, func(u store.User, _, _ store.Session) error { return s.DeleteUser(ctx, u.ID, 0, meta) }, 0},
		{"expiry-sweep", time.Second, func(store.User, store.Session, store.Session) error {
			return o.QueueExpiredOIDCLogouts(ctx, time.Now().Add(time.Minute))
		}, time.Minute},
		{"expiry-purge", time.Second, func(store.User, store.Session, store.Session) error {
			return a.DeleteExpired(ctx, time.Now().Add(time.Minute))
		}, time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u := createUser(t, s, fmt.Sprintf("logout%d", i))
			now := time.Now()
			se := signIn(t, s, u, fmt.Sprintf("cookie-%d-a", i), now, tc.ttl, "UA", "192.0.2.1")
			hold(u, se)
			var keep store.Session
			if tc.name == "sign-out-others" {
				keep = signIn(t, s, u, fmt.Sprintf("cookie-%d-b", i), now, time.Hour, "UA", "192.0.2.1")
				hold(u, keep)
			}
			if ls := drain(now.Add(tc.at)); tc.at == 0 && len(ls) != 0 {
				t.Fatalf("logouts queued while the session lives: %+v", ls)
			}
			if tc.at > 0 { // nothing is queued by expiry alone
				if ls := drain(now.Add(tc.at)); len(ls) != 0 {
					t.Fatalf("logouts queued before the sweep: %+v", ls)
				}
			}
			if err := tc.end(u, se, keep); err != nil {
				t.Fatal(err)
			}
			ls := drain(time.Now().Add(tc.at))
			if len(ls) != 1 || ls[0].ClientID != app.ID || ls[0].SessionID != se.ID || ls[0].UserID != u.ID ||
				ls[0].URI != "https://app.example.com/backchannel" || ls[0].Attempts != 0 {
				t.Fatalf("logouts after %s: %+v", tc.name, ls)
			}
			// The ended session's clients are forgotten: later events queue
			// nothing more for it; a session that lives on queues nothing.
			if tc.name != "delete" {
				_, _ = a.DeleteUserSessions(ctx, u.ID, keep.Hash, meta)
				if tc.name != "sign-out-others" {
					_ = s.DeleteUser(ctx, u.ID, 0, meta)
				}
			}
			if ls := drain(time.Now().Add(time.Hour)); len(ls) != 0 {
				t.Fatalf("logouts after the session had ended: %+v", ls)
			}
		})
	}

	// A session that ends while its person signs in to a client: the
	// client is told at once.
	u := createUser(t, s, "latecomer")
	se := signIn(t, s, u, "cookie-late", time.Now(), time.Hour, "UA", "192.0.2.1")
	if err := a.DeleteSession(ctx, se.Hash, meta); err != nil {
		t.Fatal(err)
	}
	hold(u, se)
	if ls := drain(time.Now()); len(ls) != 1 || ls[0].ClientID != app.ID || ls[0].SessionID != se.ID {
		t.Fatalf("logouts of a client that signed in from an ended session: %+v", ls)
	}
}

// testOIDCTokenHolder: userinfo's one read gives the token, its person
// (as GetUser would, groups included), their groups' claims and its
// client's attribute claims, and nothing for a token that has no person or
// is no longer valid; GetUserForClaims gives the same person and groups.
func testOIDCTokenHolder(t *testing.T, s store.Store) {
	o := oidcOf(t, s)
	g1, g2 := createGroup(t, s, "staff"), createGroup(t, s, "ops")
	u, err := s.CreateUser(ctx, store.User{Username: "ada", Email: "ada@example.com", FirstName: "Ada",
		Attributes: map[string]string{"department": "R&D", "level": "3"}, GroupIDs: []string{g1.ID, g2.ID}}, meta)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateGroup(ctx, g1.ID, 0, func(g *store.Group) error {
		g.CustomClaims = map[string]json.RawMessage{"role": json.RawMessage(`"engineer"`), "level": json.RawMessage(`2`)}
		return nil
	}, meta); err != nil {
		t.Fatal(err)
	}
	gone, loner := createUser(t, s, "gone"), createUser(t, s, "loner")
	c := createClient(t, o, "app")
	c, err = o.UpdateOIDCClient(ctx, c.ID, 0, func(cl *store.OIDCClient) error {
		cl.AttributeClaims = map[string]string{"dept": "department"}
		return nil
	}, meta)
	if err != nil {
		t.Fatal(err)
	}
	plain := createClient(t, o, "plain")
	now := time.Now()
	issue := func(secret, clientID, userID, family string, exp time.Time) {
		t.Helper()
		err := o.CreateOIDCTokens(ctx, store.OIDCTokenGrant{Access: store.OIDCAccessToken{Hash: hashOf(secret), ClientID: clientID,
			UserID: userID, Scopes: []string{"openid", "profile"}, Audience: []string{clientID}, FamilyID: family, ExpiresAt: exp}}, meta)
		if err != nil {
			t.Fatalf("CreateOIDCTokens(%s): %v", secret, err)
		}
	}
	issue("ada-app", c.ID, u.ID, "fam-1", now.Add(time.Hour))
	issue("ada-plain", plain.ID, u.ID, "fam-2", now.Add(time.Hour))
	issue("ada-expired", c.ID, u.ID, "fam-3", now.Add(-time.Second))
	issue("machine", c.ID, c.ID, "client-credentials", now.Add(time.Hour))
	issue("gone", c.ID, gone.ID, "fam-4", now.Add(time.Hour))
	issue("loner", c.ID, loner.ID, "fam-5", now.Add(time.Hour))
	if err := s.DeleteUser(ctx, gone.ID, 0, meta); err != nil {
		t.Fatal(err)
	}

	h, err := o.GetOIDCTokenHolder(ctx, hashOf("ada-app"), now)
	if err != nil {
		t.Fatalf("GetOIDCTokenHolder: %v", err)
	}
	want, err := o.GetOIDCAccessToken(ctx, hashOf("ada-app"), now)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(h.Token, want) {
		t.Errorf("token: got %+v, GetOIDCAccessToken gives %+v", h.Token, want)
	}
	if wantUser := getUser(t, s, u.ID); !reflect.DeepEqual(h.User, wantUser) {
		t.Errorf("person: got %+v, GetUser gives %+v", h.User, wantUser)
	}
	if len(h.User.GroupIDs) != 2 || h.User.Attributes["department"] != "R&D" {
		t.Errorf("person's groups and attributes: %v %v", h.User.GroupIDs, h.User.Attributes)
	}
	if !reflect.DeepEqual(h.AttributeClaims, map[string]string{"dept": "department"}) {
		t.Errorf("attribute claims: %v", h.AttributeClaims)
	}
	// The groups, in id order as GetGroups gives them, with what claims
	// are made of.
	full, err := s.GetGroups(ctx, h.User.GroupIDs)
	if err != nil {
		t.Fatal(err)
	}
	var wantGroups []store.Group
	for _, g := range full {
		wantGroups = append(wantGroups, store.Group{ID: g.ID, Name: g.Name, CustomClaims: g.CustomClaims})
	}
	if len(wantGroups) != 2 || !reflect.DeepEqual(h.Groups, wantGroups) {
		t.Errorf("groups: got %+v, want %+v", h.Groups, wantGroups)
	}
	if h, err := o.GetOIDCTokenHolder(ctx, hashOf("loner"), now); err != nil || h.Groups == nil || len(h.Groups) != 0 {
		t.Errorf("a person in no group: %v %#v", err, h.Groups)
	}
	// The same person and groups without a token, as a code exchange
	// reads them.
	if pu, pgs, err := o.GetUserForClaims(ctx, u.ID); err != nil || !reflect.DeepEqual(pu, h.User) || !reflect.DeepEqual(pgs, wantGroups) {
		t.Errorf("GetUserForClaims: %v\n%+v %+v\nwant %+v %+v", err, pu, pgs, h.User, wantGroups)
	}
	if pu, pgs, err := o.GetUserForClaims(ctx, loner.ID); err != nil || pu.Username != "loner" || pgs == nil || len(pgs) != 0 {
		t.Errorf("GetUserForClaims of a person in no group: %v %+v %#v", err, pu, pgs)
	}
	_, _, err = o.GetUserForClaims(ctx, gone.ID)
	wantErr(t, "GetUserForClaims of a deleted person", err, store.ErrNotFound)
	if h, err := o.GetOIDCTokenHolder(ctx, hashOf("ada-plain"), now); err != nil || h.AttributeClaims == nil || len(h.AttributeClaims) != 0 {
		t.Errorf("a client without attribute claims: %v %#v", err, h.AttributeClaims)
	}
	for secret, why := range map[string]string{
		"ada-expired": "an expired token", "machine": "a client credentials token", "gone": "a deleted person's token", "never": "an unknown token",
	} {
		_, err := o.GetOIDCTokenHolder(ctx, hashOf(secret), now)
		wantErr(t, why, err, store.ErrNotFound)
	}
	if err := o.RevokeOIDCAccessToken(ctx, hashOf("ada-app"), meta); err != nil {
		t.Fatal(err)
	}
	_, err = o.GetOIDCTokenHolder(ctx, hashOf("ada-app"), now)
	wantErr(t, "a revoked token", err, store.ErrNotFound)
}
