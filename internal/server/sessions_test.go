package server_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rollcall/rollcall/api"
	"github.com/rollcall/rollcall/internal/store"
	"github.com/rollcall/rollcall/internal/testserver"
)

// signInSession records a passkey sign-in of the user through the store, as
// the sign-in page does, and returns the cookie hash of its session.
func signInSession(t *testing.T, srv *testserver.Server, u store.User, cookie string) []byte {
	t.Helper()
	ctx := t.Context()
	auth := srv.Store.(store.AuthStore)
	pks, err := auth.ListPasskeys(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(pks) == 0 {
		p, err := auth.CreatePasskey(ctx, store.Passkey{UserID: u.ID, CredentialID: []byte("cred-" + u.ID), PublicKey: []byte("key"),
			AAGUID: make([]byte, 16), Name: "Laptop"}, storeMeta())
		if err != nil {
			t.Fatal(err)
		}
		pks = append(pks, p)
	}
	sum := sha256.Sum256([]byte(cookie))
	now := time.Now()
	se := store.Session{Hash: sum[:], UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(time.Hour), LastSeenAt: now,
		UserAgent: "Mozilla/5.0 (Macintosh)", ClientIP: "192.0.2.7"}
	if err := auth.RecordSignIn(ctx, store.SignIn{UserID: u.ID, PasskeyID: pks[0].ID, SignCount: 1, Session: se, At: now}, storeMeta()); err != nil {
		t.Fatal(err)
	}
	return sum[:]
}

// TestDeleteUserSessions: an admin lists a user's browser sessions (never
// their hashes) and ends every one of them through the API; the sessions
// are gone, other users' stay, the change is audited with the admin as
// actor, and unknown users and non-admins are refused like on the other
// user routes (a non-admin may list its own).
func TestDeleteUserSessions(t *testing.T) {
	testserver.Backends(t, func(t *testing.T, backend testserver.Option) {
		srv := testserver.Start(t, backend)
		ctx := t.Context()
		auth := srv.Store.(store.AuthStore)
		alice := srv.CreateUser(t, "alice", false)
		bob := srv.CreateUser(t, "bob", false)
		laptop := signInSession(t, srv, alice, "alice-laptop")
		phone := signInSession(t, srv, alice, "alice-phone")
		bobs := signInSession(t, srv, bob, "bob-laptop")

		listed := func(tok, userID string) []api.Session {
			t.Helper()
			r := call(t, srv, req{method: "GET", path: "/api/v1/users/" + userID + "/sessions", token: tok})
			mustStatus(t, r, http.StatusOK)
			for _, h := range [][]byte{laptop, phone, bobs} {
				if strings.Contains(string(r.Body), hex.EncodeToString(h)) || strings.Contains(string(r.Body), base64.StdEncoding.EncodeToString(h)) {
					t.Fatalf("a session hash appears in the list: %s", r.Body)
				}
			}
			var doc api.Document[[]api.Session]
			if err := json.Unmarshal(r.Body, &doc); err != nil {
				t.Fatal(err)
			}
			return doc.Data
		}
		got := listed(srv.AdminToken, alice.ID)
		if len(got) != 2 || got[0].Type != "sessions" || got[0].ID == "" || got[0].ID == got[1].ID ||
			got[0].Attributes.UserAgent != "Mozilla/5.0 (Macintosh)" || got[0].Attributes.ClientIP != "192.0.2.7" ||
			got[0].Attributes.CreatedAt.IsZero() || got[0].Attributes.LastSeenAt.IsZero() || !got[0].Attributes.ExpiresAt.After(time.Now()) {
			t.Fatalf("alice's sessions: %+v", got)
		}

		r := call(t, srv, req{method: "DELETE", path: "/api/v1/users/" + alice.ID + "/sessions", token: srv.AdminToken})
		mustStatus(t, r, http.StatusNoContent)
		for _, h := range [][]byte{laptop, phone} {
			if _, err := auth.GetSession(ctx, h, time.Now()); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("alice's session after DELETE: %v, want it gone", err)
			}
		}
		if _, err := auth.GetSession(ctx, bobs, time.Now()); err != nil {
			t.Fatalf("bob's session was ended too: %v", err)
		}

		r = call(t, srv, req{method: "GET", path: "/api/v1/audit-events?filter[action]=session.revoke&filter[target]=" + alice.ID, token: srv.AdminToken})
		mustStatus(t, r, http.StatusOK)
		var doc api.Document[[]api.AuditEvent]
		if err := json.Unmarshal(r.Body, &doc); err != nil {
			t.Fatal(err)
		}
		if len(doc.Data) != 1 {
			t.Fatalf("want one session.revoke for alice, got %s", r.Body)
		}
		e := doc.Data[0].Attributes
		var after map[string]any
		if err := json.Unmarshal(e.After, &after); err != nil {
			t.Fatal(err)
		}
		if e.ActorName != "bootstrap-admin" || e.TargetName != "alice" || e.RequestID == "" || after["sessions-ended"] != 2.0 {
			t.Fatalf("audit event %+v after %s", e, e.After)
		}

		if got := listed(srv.AdminToken, alice.ID); len(got) != 0 {
			t.Fatalf("alice's sessions after DELETE: %+v", got)
		}
		// Again: nothing left to end, still done.
		mustStatus(t, call(t, srv, req{method: "DELETE", path: "/api/v1/users/" + alice.ID + "/sessions", token: srv.AdminToken}), http.StatusNoContent)

		wantError(t, call(t, srv, req{method: "DELETE", path: "/api/v1/users/2f1e6a52-7c1d-4e53-9b5c-0c8d3f0e4a71/sessions", token: srv.AdminToken}),
			http.StatusNotFound, api.CodeNotFound, "")
		wantError(t, call(t, srv, req{method: "DELETE", path: "/api/v1/users/alice/sessions", token: srv.AdminToken}),
			http.StatusNotFound, api.CodeNotFound, "")
		wantError(t, call(t, srv, req{method: "GET", path: "/api/v1/users/2f1e6a52-7c1d-4e53-9b5c-0c8d3f0e4a71/sessions", token: srv.AdminToken}),
			http.StatusNotFound, api.CodeNotFound, "")
		bobTok := srv.NewToken(t, bob.ID, nil)
		if got := listed(bobTok, bob.ID); len(got) != 1 {
			t.Fatalf("bob's own sessions: %+v", got)
		}
		wantError(t, call(t, srv, req{method: "GET", path: "/api/v1/users/" + alice.ID + "/sessions", token: bobTok}),
			http.StatusNotFound, api.CodeNotFound, "")
		wantError(t, call(t, srv, req{method: "DELETE", path: "/api/v1/users/" + bob.ID + "/sessions", token: bobTok}),
			http.StatusForbidden, api.CodeForbidden, "")
		wantError(t, call(t, srv, req{method: "DELETE", path: "/api/v1/users/" + alice.ID + "/sessions", token: bobTok}),
			http.StatusNotFound, api.CodeNotFound, "")
		if _, err := auth.GetSession(ctx, bobs, time.Now()); err != nil {
			t.Fatalf("bob's refused request ended his session: %v", err)
		}
		wantError(t, call(t, srv, req{method: "DELETE", path: "/api/v1/users/" + bob.ID + "/sessions"}),
			http.StatusUnauthorized, api.CodeUnauthorized, "")
	})
}
