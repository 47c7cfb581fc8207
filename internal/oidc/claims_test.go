package oidc

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"golang.org/x/text/language"

	"github.com/rollcall/rollcall/internal/store"
	"github.com/rollcall/rollcall/internal/store/sqlstore"
	"github.com/rollcall/rollcall/internal/testutil/pgtest"
)

// idTokenRequest is the part of an authorization the ID token's claims
// come from.
type idTokenRequest struct{ sub, clientID string }

func (r idTokenRequest) GetAMR() []string       { return []string{"hwk", "user"} }
func (r idTokenRequest) GetAudience() []string  { return []string{r.clientID} }
func (r idTokenRequest) GetAuthTime() time.Time { return time.Now() }
func (r idTokenRequest) GetClientID() string    { return r.clientID }
func (r idTokenRequest) GetScopes() []string    { return []string{"openid", "email", "groups"} }
func (r idTokenRequest) GetSubject() string     { return r.sub }
func (r idTokenRequest) sessionID() string      { return "session-1" }

// forEachStore runs f on a fresh store on SQLite and on PostgreSQL.
func forEachStore(t *testing.T, f func(t *testing.T, st *sqlstore.Store)) {
	dsns := map[string]func(t *testing.T) string{
		"sqlite":   func(t *testing.T) string { return filepath.Join(t.TempDir(), "rollcall.db") },
		"postgres": func(t *testing.T) string { return pgtest.NewDatabase(t) },
	}
	for _, name := range []string{"sqlite", "postgres"} {
		t.Run(name, func(t *testing.T) {
			st, err := sqlstore.Open(context.Background(), dsns[name](t))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			f(t, st)
		})
	}
}

// TestCustomClaimsPrecedence checks, over the real store on SQLite and
// PostgreSQL, the precedence the README documents for the ID token and
// userinfo, JWT access tokens and introspection: Rollcall's own claims,
// then the client's attribute-claims, then group custom claims, groups
// taken in name order (first wins).
func TestCustomClaimsPrecedence(t *testing.T) {
	forEachStore(t, func(t *testing.T, st *sqlstore.Store) {
		ctx := context.Background()
		m := store.Meta{ActorName: "test"}
		u, err := st.CreateUser(ctx, store.User{Username: "ada", Email: "ada@example.com", EmailVerified: true,
			Attributes: map[string]string{"employee_id": "E42"}}, m)
		if err != nil {
			t.Fatal(err)
		}
		raw := func(s string) json.RawMessage { return json.RawMessage(s) }
		for _, g := range []store.Group{
			// Created out of name order: the rule is by name, not by age.
			{Name: "zeta", CustomClaims: map[string]json.RawMessage{"role": raw(`"z"`), "team": raw(`"zeta"`), "employee_number": raw(`"G1"`)}},
			{Name: "alpha", CustomClaims: map[string]json.RawMessage{"role": raw(`"a"`), "level": raw(`2`)}},
			// Stored behind the API's back: a reserved name never overrides.
			{Name: "beta", CustomClaims: map[string]json.RawMessage{"tags": raw(`["x","y"]`), "email": raw(`"evil@example.com"`), "sub": raw(`"someone"`)}},
		} {
			g.MemberIDs = []string{u.ID}
			if _, err := st.CreateGroup(ctx, g, m); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := st.CreateGroup(ctx, store.Group{Name: "others", CustomClaims: map[string]json.RawMessage{"other": raw(`true`)}}, m); err != nil {
			t.Fatal(err)
		}
		cl, err := st.CreateOIDCClient(ctx, store.OIDCClient{Name: "App", RedirectURIs: []string{"https://app.example.com/cb"},
			GrantTypes: []string{"authorization_code"}, AttributeClaims: map[string]string{"employee_number": "employee_id"}}, m)
		if err != nil {
			t.Fatal(err)
		}
		s := &storage{st: st, o: st, now: time.Now}
		want := map[string]any{"sub": u.ID, "email": "ada@example.com", "email_verified": true,
			"groups": []any{"alpha", "beta", "zeta"}, "sid": "session-1",
			"employee_number": "E42", "role": "a", "level": 2.0, "team": "zeta", "tags": []any{"x", "y"}}

		var info oidc.UserInfo
		if err := s.SetUserinfoFromRequest(ctx, &info, idTokenRequest{u.ID, cl.ID}, idTokenRequest{}.GetScopes()); err != nil {
			t.Fatal(err)
		}
		checkClaims(t, "ID token", &info, want)

		// Group claims come whatever the scopes.
		info = oidc.UserInfo{}
		if err := s.SetUserinfoFromRequest(ctx, &info, idTokenRequest{u.ID, cl.ID}, []string{"openid"}); err != nil {
			t.Fatal(err)
		}
		checkClaims(t, "ID token of scope openid", &info, map[string]any{"sub": u.ID, "sid": "session-1",
			"employee_number": "E42", "role": "a", "level": 2.0, "team": "zeta", "tags": []any{"x", "y"}})

		// userinfo: the same claims from the access token (no sid).
		tokenID := "access-token-1"
		now := time.Now()
		if err := st.CreateOIDCTokens(ctx, store.OIDCTokenGrant{Access: store.OIDCAccessToken{Hash: hash(tokenID), ClientID: cl.ID, UserID: u.ID,
			Scopes: idTokenRequest{}.GetScopes(), FamilyID: "family-1", ExpiresAt: now.Add(time.Hour), CreatedAt: now}}, m); err != nil {
			t.Fatal(err)
		}
		info = oidc.UserInfo{}
		if err := s.SetUserinfoFromToken(ctx, &info, tokenID, u.ID, ""); err != nil {
			t.Fatal(err)
		}
		delete(want, "sid")
		checkClaims(t, "userinfo", &info, want)

		// A JWT access token: the custom claims, with the same
		// precedence; a machine client's token has none.
		custom := map[string]any{"employee_number": "E42", "role": "a", "level": 2.0, "team": "zeta", "tags": []any{"x", "y"}}
		private, err := s.GetPrivateClaimsFromRequest(ctx, &authRequest{rec: store.OIDCAuthRequest{ClientID: cl.ID, UserID: u.ID}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		checkJSON(t, "JWT access token claims", private, custom)
		withGroups := &authRequest{rec: store.OIDCAuthRequest{ClientID: cl.ID, UserID: u.ID}}
		withGroups.p.Scopes = []string{"openid", "profile", "groups"}
		private, err = s.GetPrivateClaimsFromRequest(ctx, withGroups, nil)
		if err != nil {
			t.Fatal(err)
		}
		custom["groups"] = []any{"alpha", "beta", "zeta"}
		checkJSON(t, "JWT access token claims with the groups scope", private, custom)
		delete(custom, "groups")
		if private, err := s.GetPrivateClaimsFromRequest(ctx, &machineRequest{clientID: cl.ID}, nil); err != nil || private != nil {
			t.Errorf("a machine token's private claims: %v %v", private, err)
		}

		// Introspection: the userinfo claims; a group claim never
		// stands in for the answer's own members.
		if _, err := st.CreateGroup(ctx, store.Group{Name: "aaa", MemberIDs: []string{u.ID}, CustomClaims: map[string]json.RawMessage{
			"active": raw(`false`), "username": raw(`"mallory"`), "token_type": raw(`"mac"`)}}, m); err != nil {
			t.Fatal(err)
		}
		var resp oidc.IntrospectionResponse
		if err := s.SetIntrospectionFromToken(ctx, &resp, tokenID, u.ID, cl.ID); err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(&resp)
		if err != nil {
			t.Fatal(err)
		}
		var got map[string]any
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatal(err)
		}
		for k, v := range want {
			if k == "groups" {
				v = []any{"aaa", "alpha", "beta", "zeta"}
			}
			if !reflect.DeepEqual(got[k], v) {
				t.Errorf("introspection %s = %v, want %v:\n%s", k, got[k], v, b)
			}
		}
		if got["active"] != true || got["token_type"] != "Bearer" || got["username"] != nil || got["client_id"] != cl.ID {
			t.Errorf("introspection members: %s", b)
		}
	})
}

func checkJSON(t *testing.T, what string, v any, want map[string]any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s\n%s\nwant\n%v", what, b, want)
	}
}

func checkClaims(t *testing.T, what string, info *oidc.UserInfo, want map[string]any) {
	t.Helper()
	checkJSON(t, what+" claims", info, want)
}

// TestUserinfoRefusals: each access token userinfo cannot answer for is
// refused with the reason, on both backends (userinfo reads a token with
// its person in one query; when that finds nothing, the reason is looked
// for).
func TestUserinfoRefusals(t *testing.T) {
	forEachStore(t, func(t *testing.T, st *sqlstore.Store) {
		ctx := context.Background()
		m := store.Meta{ActorName: "test"}
		mk := func(name string) store.User {
			u, err := st.CreateUser(ctx, store.User{Username: name, Email: name + "@example.com"}, m)
			if err != nil {
				t.Fatal(err)
			}
			return u
		}
		ada, gone, off := mk("ada"), mk("gone"), mk("off")
		cl, err := st.CreateOIDCClient(ctx, store.OIDCClient{Name: "App", RedirectURIs: []string{"https://app.example.com/cb"},
			GrantTypes: []string{"authorization_code", "client_credentials"}}, m)
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		issue := func(id, userID, family string, exp time.Time) {
			t.Helper()
			if err := st.CreateOIDCTokens(ctx, store.OIDCTokenGrant{Access: store.OIDCAccessToken{Hash: hash(id), ClientID: cl.ID, UserID: userID,
				Scopes: []string{"openid", "profile"}, FamilyID: family, ExpiresAt: exp}}, m); err != nil {
				t.Fatal(err)
			}
		}
		issue("ada", ada.ID, "f1", now.Add(time.Hour))
		issue("ada-expired", ada.ID, "f2", now.Add(-time.Minute))
		issue("ada-revoked", ada.ID, "f3", now.Add(time.Hour))
		issue("machine", cl.ID, machineFamily, now.Add(time.Hour))
		issue("gone", gone.ID, "f4", now.Add(time.Hour))
		issue("off", off.ID, "f5", now.Add(time.Hour))
		if err := st.RevokeOIDCAccessToken(ctx, hash("ada-revoked"), m); err != nil {
			t.Fatal(err)
		}
		if err := st.DeleteUser(ctx, gone.ID, 0, m); err != nil {
			t.Fatal(err)
		}
		if _, err := st.UpdateUser(ctx, off.ID, 0, func(u *store.User) error { u.Disabled = true; return nil }, m); err != nil {
			t.Fatal(err)
		}
		s := &storage{st: st, o: st, now: time.Now}

		var info oidc.UserInfo
		if err := s.SetUserinfoFromToken(ctx, &info, "ada", ada.ID, ""); err != nil || info.Subject != ada.ID || info.PreferredUsername != "ada" {
			t.Fatalf("ada's own token: %v %+v", err, info)
		}
		for _, c := range []struct{ token, subject, want string }{
			{"ada-expired", ada.ID, "The access token has expired or was revoked."},
			{"ada-revoked", ada.ID, "The access token has expired or was revoked."},
			{"never-issued", ada.ID, "The access token has expired or was revoked."},
			{"ada", off.ID, "The access token is not valid."},
			{"machine", cl.ID, "This access token belongs to a machine client (client credentials grant): there is no person to describe."},
			{"gone", gone.ID, "This person no longer exists."},
			{"off", off.ID, "This person is disabled."},
		} {
			err := s.SetUserinfoFromToken(ctx, &oidc.UserInfo{}, c.token, c.subject, "")
			var oe *oidc.Error
			if !errors.As(err, &oe) || oe.ErrorType != oidc.AccessDenied || oe.Description != c.want {
				t.Errorf("userinfo with the %s token: %v, want access_denied %q", c.token, err, c.want)
			}
		}

		// Introspection of the same tokens: a person's is active with their
		// claims, a machine client's active without any; an unknown one, or
		// another subject's, is inactive; a deleted or disabled person's
		// is refused as userinfo refuses it.
		var resp oidc.IntrospectionResponse
		if err := s.SetIntrospectionFromToken(ctx, &resp, "ada", ada.ID, cl.ID); err != nil || !resp.Active ||
			resp.Subject != ada.ID || resp.PreferredUsername != "ada" || resp.ClientID != cl.ID {
			t.Errorf("introspecting ada's token: %v %+v", err, resp)
		}
		resp = oidc.IntrospectionResponse{}
		if err := s.SetIntrospectionFromToken(ctx, &resp, "machine", cl.ID, cl.ID); err != nil || !resp.Active ||
			resp.Subject != cl.ID || resp.PreferredUsername != "" {
			t.Errorf("introspecting the machine token: %v %+v", err, resp)
		}
		for _, c := range []struct{ token, subject string }{{"ada-revoked", ada.ID}, {"never-issued", ada.ID}, {"ada", off.ID}} {
			var nf notFound
			if err := s.SetIntrospectionFromToken(ctx, &oidc.IntrospectionResponse{}, c.token, c.subject, cl.ID); !errors.As(err, &nf) {
				t.Errorf("introspecting the %s token as %s: %v, want not found (inactive)", c.token, c.subject, err)
			}
		}
		for token, want := range map[string]string{"gone": "This person no longer exists.", "off": "This person is disabled."} {
			subject := map[string]string{"gone": gone.ID, "off": off.ID}[token]
			err := s.SetIntrospectionFromToken(ctx, &oidc.IntrospectionResponse{}, token, subject, cl.ID)
			var oe *oidc.Error
			if !errors.As(err, &oe) || oe.ErrorType != oidc.AccessDenied || oe.Description != want {
				t.Errorf("introspecting the %s token: %v, want access_denied %q", token, err, want)
			}
		}
	})
}

// TestUserinfoJSONIsTheLibrarys holds the userinfo endpoint's one-pass JSON
// to what the library writes for the same claims (its marshal, read back,
// merge and marshal again), with and without extra claims.
func TestUserinfoJSONIsTheLibrarys(t *testing.T) {
	full := &oidc.UserInfo{Subject: "u1", UserInfoProfile: oidc.UserInfoProfile{Name: "Ada <Lovelace>", PreferredUsername: "ada",
		Locale: oidc.NewLocale(language.BritishEnglish), UpdatedAt: oidc.FromTime(time.Unix(1700000000, 0))},
		UserInfoEmail: oidc.UserInfoEmail{Email: "ada@example.com", EmailVerified: true}}
	full.AppendClaims("groups", []string{"eng", "ops & on-call"})
	full.AppendClaims("level", 2)
	full.AppendClaims("nested", map[string]any{"a": []any{1, "two", nil}, "b": true})
	full.AppendClaims("name", "not me") // a registered name: the registered claim stays
	for _, info := range []*oidc.UserInfo{{Subject: "u2"}, full} {
		want, err := info.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		got, err := userinfoJSON(info)
		if err != nil {
			t.Fatal(err)
		}
		var g, w map[string]any
		if err := json.Unmarshal(got, &g); err != nil {
			t.Fatalf("userinfoJSON wrote %s: %v", got, err)
		}
		if err := json.Unmarshal(want, &w); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(g, w) {
			t.Errorf("userinfoJSON wrote\n%s\nthe library\n%s", got, want)
		}
		if info == full && g["name"] != "Ada <Lovelace>" {
			t.Errorf("an extra claim replaced a registered one: %s", got)
		}
	}
}
