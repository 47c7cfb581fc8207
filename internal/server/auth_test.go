package server_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rollcall/rollcall/api"
	"github.com/rollcall/rollcall/internal/config"
	"github.com/rollcall/rollcall/internal/store"
	"github.com/rollcall/rollcall/internal/testserver"
	"github.com/rollcall/rollcall/internal/token"
)

// TestAuthMatrix sends every API route with each kind of caller and checks
// the status: 401 for no, bad, expired and revoked tokens and disabled
// users; for a non-admin 404 on what it cannot see and 403 on what it can
// see but not do; for an admin the success status.
func TestAuthMatrix(t *testing.T) {
	testserver.Backends(t, func(t *testing.T, backend testserver.Option) {
		srv := testserver.Start(t, backend)
		ctx := t.Context()

		member := createUser(t, srv, map[string]any{"username": "member", "email": "member@example.com"})
		group := createGroup(t, srv, "team", member.ID)
		plain := srv.CreateUser(t, "plain", false)
		plainTok := srv.NewToken(t, plain.ID, nil)
		past := time.Now().Add(-time.Hour)
		expiredTok := srv.NewToken(t, plain.ID, &past)
		revokedUser := srv.CreateUser(t, "revoked", false)
		revokedTok := srv.NewToken(t, revokedUser.ID, nil)
		toks, _, err := srv.Store.ListTokens(ctx, storeTokenFilter(revokedUser.ID), storePage())
		if err != nil || len(toks) != 1 {
			t.Fatal(err)
		}
		mustStatus(t, call(t, srv, req{method: "DELETE", path: "/api/v1/api-tokens/" + toks[0].ID, token: srv.AdminToken}), 204)
		disabled := createUser(t, srv, map[string]any{"username": "gone", "email": "gone@example.com", "disabled": true})
		disabledTok := srv.NewToken(t, disabled.ID, nil)
		victimLinks := srv.CreateUser(t, "linked", false)
		adminTokID := ""
		{
			r := call(t, srv, req{method: "GET", path: "/api/v1/api-tokens", token: srv.AdminToken})
			adminTokID = strings.Split(strings.Split(string(r.Body), `"id":"`)[1], `"`)[0]
		}

		userDoc := func(name string) map[string]any {
			return userBody(map[string]any{"username": name, "email": name + "@example.com"})
		}
		patchUser := map[string]any{"data": map[string]any{"type": "users", "attributes": map[string]any{"title": "x"}}}
		groupDoc := func(name string) map[string]any {
			return map[string]any{"data": map[string]any{"type": "groups", "attributes": map[string]any{"name": name}}}
		}
		patchGroup := map[string]any{"data": map[string]any{"type": "groups", "attributes": map[string]any{"description": "d"}}}
		groupsLinkage := map[string]any{"data": api.Identifiers("groups", []string{group.ID})}
		usersLinkage := map[string]any{"data": api.Identifiers("users", []string{member.ID})}
		tokenDoc := map[string]any{"data": map[string]any{"type": "api-tokens", "attributes": map[string]any{"name": "t"}}}

		type route struct {
			method, path string
			body         any
			nonAdmin     int // status for a non-admin caller that is not the target
			admin        int
		}
		n := 0
		fresh := func() string { n++; return fmt.Sprintf("new%d", n) }
		routes := func() []route {
			// Each call gets fresh names and fresh deletable targets, so the
			// admin's successful requests do not disturb the next caller.
			victim := srv.CreateUser(t, fresh(), false)
			victimGroup, err := srv.Store.CreateGroup(ctx, storeGroup(fresh()), storeMeta())
			if err != nil {
				t.Fatal(err)
			}
			tokenOwner := srv.CreateUser(t, fresh(), false)
			srv.NewToken(t, tokenOwner.ID, nil)
			vt, _, _ := srv.Store.ListTokens(ctx, storeTokenFilter(tokenOwner.ID), storePage())
			link := newSetupLink(t, srv, victimLinks.ID)
			app, victimApp, rotated, twoSecrets := matrixClient(t, srv, fresh()), matrixClient(t, srv, fresh()),
				matrixClient(t, srv, fresh()), matrixClient(t, srv, fresh(), "old", "new")
			return []route{
				{"GET", "/api/v1/account", nil, 200, 200},
				{"GET", "/api/v1/users", nil, 403, 200},
				{"POST", "/api/v1/users", userDoc(fresh()), 403, 201},
				{"GET", "/api/v1/users/" + member.ID, nil, 404, 200},
				{"PATCH", "/api/v1/users/" + member.ID, patchUser, 404, 200},
				{"DELETE", "/api/v1/users/" + victim.ID, nil, 404, 204},
				{"GET", "/api/v1/users/" + member.ID + "/sessions", nil, 404, 200},
				{"DELETE", "/api/v1/users/" + member.ID + "/sessions", nil, 404, 204},
				{"POST", "/api/v1/users/" + member.ID + "/setup-links", setupLinkBody(false), 404, 201},
				{"GET", "/api/v1/users/" + member.ID + "/setup-links", nil, 404, 200},
				{"DELETE", "/api/v1/users/" + member.ID + "/setup-links", nil, 404, 204},
				{"DELETE", "/api/v1/users/" + victimLinks.ID + "/setup-links/" + link, nil, 404, 204},
				{"GET", "/api/v1/users/" + member.ID + "/relationships/groups", nil, 404, 200},
				{"PATCH", "/api/v1/users/" + member.ID + "/relationships/groups", groupsLinkage, 404, 200},
				{"POST", "/api/v1/users/" + member.ID + "/relationships/groups", groupsLinkage, 404, 200},
				{"DELETE", "/api/v1/users/" + member.ID + "/relationships/groups", map[string]any{"data": []any{}}, 404, 200},
				{"GET", "/api/v1/groups", nil, 403, 200},
				{"POST", "/api/v1/groups", groupDoc(fresh()), 403, 201},
				{"GET", "/api/v1/groups/" + group.ID, nil, 404, 200},
				{"PATCH", "/api/v1/groups/" + group.ID, patchGroup, 404, 200},
				{"DELETE", "/api/v1/groups/" + victimGroup.ID, nil, 404, 204},
				{"GET", "/api/v1/groups/" + group.ID + "/relationships/members", nil, 404, 200},
				{"PATCH", "/api/v1/groups/" + group.ID + "/relationships/members", usersLinkage, 404, 200},
				{"POST", "/api/v1/groups/" + group.ID + "/relationships/members", usersLinkage, 404, 200},
				{"DELETE", "/api/v1/groups/" + group.ID + "/relationships/members", map[string]any{"data": []any{}}, 404, 200},
				{"GET", "/api/v1/api-tokens", nil, 200, 200},
				{"POST", "/api/v1/api-tokens", tokenDoc, 201, 201},
				{"GET", "/api/v1/api-tokens/" + adminTokID, nil, 404, 200},
				{"DELETE", "/api/v1/api-tokens/" + vt[0].ID, nil, 404, 204},
				{"GET", "/api/v1/audit-events", nil, 403, 200},
				{"GET", "/api/v1/oidc-clients", nil, 403, 200},
				{"POST", "/api/v1/oidc-clients", oidcClientDoc(fresh()), 403, 201},
				{"GET", "/api/v1/oidc-clients/" + app.ID, nil, 403, 200},
				{"PATCH", "/api/v1/oidc-clients/" + app.ID, map[string]any{"data": map[string]any{"type": "oidc-clients", "id": app.ID,
					"attributes": map[string]any{"skip-consent": true}}}, 403, 200},
				{"DELETE", "/api/v1/oidc-clients/" + victimApp.ID, nil, 403, 204},
				{"POST", "/api/v1/oidc-clients/" + rotated.ID + "/secrets", nil, 403, 200},
				{"DELETE", "/api/v1/oidc-clients/" + twoSecrets.ID + "/secrets/old", nil, 403, 204},
			}
		}

		for _, caller := range []struct {
			name, header string
			want         func(route) int
		}{
			{"no token", "", func(route) int { return 401 }},
			{"not bearer", "Basic dXNlcjpwYXNz", func(route) int { return 401 }},
			{"malformed token", "Bearer hunter2", func(route) int { return 401 }},
			{"unknown token", "Bearer " + token.Generate(), func(route) int { return 401 }},
			{"expired token", "Bearer " + expiredTok, func(route) int { return 401 }},
			{"revoked token", "Bearer " + revokedTok, func(route) int { return 401 }},
			{"disabled user", "Bearer " + disabledTok, func(route) int { return 401 }},
			{"non-admin", "Bearer " + plainTok, func(r route) int { return r.nonAdmin }},
			{"admin", "Bearer " + srv.AdminToken, func(r route) int { return r.admin }},
		} {
			t.Run(caller.name, func(t *testing.T) {
				for _, rt := range routes() {
					r := call(t, srv, req{method: rt.method, path: rt.path, body: rt.body, header: map[string]string{"Authorization": caller.header}})
					want := caller.want(rt)
					if r.Status != want {
						t.Errorf("%s %s: status %d, want %d: %s", rt.method, rt.path, r.Status, want, truncate(r.Body))
						continue
					}
					if want >= 400 {
						code := map[int]string{401: api.CodeUnauthorized, 403: api.CodeForbidden, 404: api.CodeNotFound}[want]
						if e := r.Errors(t)[0]; e.Code != code {
							t.Errorf("%s %s: code %s, want %s", rt.method, rt.path, e.Code, code)
						}
						if want == 401 && r.Header.Get("WWW-Authenticate") == "" {
							t.Errorf("%s %s: 401 without WWW-Authenticate", rt.method, rt.path)
						}
					}
				}
			})
		}
	})
}

// TestNonAdminOwnTokens: a non-admin creates, lists, reads and revokes its
// own tokens, cannot see others', and cannot mint one for another user.
func TestNonAdminOwnTokens(t *testing.T) {
	srv := testserver.Start(t)
	me := srv.CreateUser(t, "me", false)
	tok := srv.NewToken(t, me.ID, nil)
	other := srv.CreateUser(t, "other", false)
	srv.NewToken(t, other.ID, nil)

	r := call(t, srv, req{method: "GET", path: "/api/v1/api-tokens", token: tok})
	mustStatus(t, r, 200)
	if strings.Count(string(r.Body), `"type":"api-tokens"`) != 1 {
		t.Fatalf("non-admin sees other tokens: %s", r.Body)
	}
	// Another user is not visible to a non-admin: 404, as for a user that
	// does not exist.
	r = call(t, srv, req{method: "GET", path: "/api/v1/api-tokens?filter[user]=" + other.ID, token: tok})
	wantError(t, r, http.StatusNotFound, api.CodeNotFound, "")
	if strings.Contains(string(r.Body), `"type":"api-tokens"`) {
		t.Fatalf("filter[user] shows another user's tokens: %s", r.Body)
	}
	r = call(t, srv, req{method: "POST", path: "/api/v1/api-tokens", token: tok, body: map[string]any{"data": map[string]any{
		"type": "api-tokens", "attributes": map[string]any{"name": "x"},
		"relationships": map[string]any{"user": map[string]any{"data": map[string]any{"type": "users", "id": other.ID}}}}}})
	wantError(t, r, http.StatusForbidden, api.CodeForbidden, "")
	// Its own user named explicitly is fine.
	r = call(t, srv, req{method: "POST", path: "/api/v1/api-tokens", token: tok, body: map[string]any{"data": map[string]any{
		"type": "api-tokens", "attributes": map[string]any{"name": "mine"},
		"relationships": map[string]any{"user": map[string]any{"data": map[string]any{"type": "users", "id": me.ID}}}}}})
	mustStatus(t, r, 201)
}

// TestAuthChangesApplyAtOnce: a token that has just been accepted, and so
// sits in the store's token cache, stops working on the very next request
// once its owner is demoted, disabled or deleted or the token is revoked.
func TestAuthChangesApplyAtOnce(t *testing.T) {
	testserver.Backends(t, func(t *testing.T, backend testserver.Option) {
		srv := testserver.Start(t, backend)
		ops := srv.CreateUser(t, "ops", true)
		tok := srv.NewToken(t, ops.ID, nil)
		n := 0
		createAs := func() resp {
			n++
			name := fmt.Sprintf("made%d", n)
			return call(t, srv, req{method: "POST", path: "/api/v1/users", token: tok,
				body: userBody(map[string]any{"username": name, "email": name + "@example.com"})})
		}
		patchOps := func(attrs map[string]any) {
			t.Helper()
			mustStatus(t, call(t, srv, req{method: "PATCH", path: "/api/v1/users/" + ops.ID, token: srv.AdminToken,
				body: map[string]any{"data": map[string]any{"type": "users", "id": ops.ID, "attributes": attrs}}}), 200)
		}
		self := func() resp {
			return call(t, srv, req{method: "GET", path: "/api/v1/users/" + ops.ID, token: tok})
		}

		mustStatus(t, createAs(), 201)
		mustStatus(t, createAs(), 201)
		patchOps(map[string]any{"is-admin": false})
		wantError(t, createAs(), http.StatusForbidden, api.CodeForbidden, "")
		mustStatus(t, self(), 200)

		patchOps(map[string]any{"disabled": true})
		wantError(t, self(), http.StatusUnauthorized, api.CodeUnauthorized, "")
		patchOps(map[string]any{"disabled": false, "is-admin": true})
		mustStatus(t, createAs(), 201)

		r := call(t, srv, req{method: "GET", path: "/api/v1/api-tokens?filter[user]=" + ops.ID, token: srv.AdminToken})
		mustStatus(t, r, 200)
		tokID := strings.Split(strings.Split(string(r.Body), `"id":"`)[1], `"`)[0]
		mustStatus(t, call(t, srv, req{method: "DELETE", path: "/api/v1/api-tokens/" + tokID, token: srv.AdminToken}), 204)
		wantError(t, self(), http.StatusUnauthorized, api.CodeUnauthorized, "")

		gone := srv.CreateUser(t, "gone", false)
		goneTok := srv.NewToken(t, gone.ID, nil)
		mustStatus(t, call(t, srv, req{method: "GET", path: "/api/v1/users/" + gone.ID, token: goneTok}), 200)
		mustStatus(t, call(t, srv, req{method: "DELETE", path: "/api/v1/users/" + gone.ID, token: srv.AdminToken}), 204)
		wantError(t, call(t, srv, req{method: "GET", path: "/api/v1/users/" + gone.ID, token: goneTok}),
			http.StatusUnauthorized, api.CodeUnauthorized, "")
	})
}

// TestAuthMatrixUnderLimits is the matrix's callers once the limits apply:
// with the address's budget of failed authentications spent, every kind of
// failing caller gets 429 with Retry-After instead of 401, while valid
// tokens (non-admin and admin) still get their usual answers; and a
// non-admin at its token cap gets 409 too_many_tokens where an admin gets
// 201.
func TestAuthMatrixUnderLimits(t *testing.T) {
	srv := testserver.Start(t, testserver.WithConfig(func(c *config.Config) { c.AuthFailureLimit, c.MaxTokensPerUser = 3, 1 }))
	plain := srv.CreateUser(t, "plain", false)
	plainTok := srv.NewToken(t, plain.ID, nil) // its one token: at the cap
	past := time.Now().Add(-time.Hour)
	expiredTok := srv.NewToken(t, srv.CreateUser(t, "late", false).ID, &past)
	disabled := createUser(t, srv, map[string]any{"username": "gone", "email": "gone@example.com", "disabled": true})
	disabledTok := srv.NewToken(t, disabled.ID, nil)
	tokenDoc := map[string]any{"data": map[string]any{"type": "api-tokens", "attributes": map[string]any{"name": "t"}}}

	r := call(t, srv, req{method: "POST", path: "/api/v1/api-tokens", token: plainTok, body: tokenDoc})
	wantError(t, r, http.StatusConflict, api.CodeTooManyTokens, "")
	mustStatus(t, call(t, srv, req{method: "POST", path: "/api/v1/api-tokens", token: srv.AdminToken, body: tokenDoc}), 201)

	for range 3 { // spend the address's budget
		mustStatus(t, call(t, srv, req{method: "GET", path: "/api/v1/account", token: token.Generate()}), 401)
	}
	for _, caller := range []struct{ name, header string }{
		{"no token", ""},
		{"not bearer", "Basic dXNlcjpwYXNz"},
		{"malformed token", "Bearer hunter2"},
		{"unknown token", "Bearer " + token.Generate()},
		{"expired token", "Bearer " + expiredTok},
		{"disabled user", "Bearer " + disabledTok},
	} {
		r := call(t, srv, req{method: "GET", path: "/api/v1/users", header: map[string]string{"Authorization": caller.header}})
		if r.Status != http.StatusTooManyRequests || r.Errors(t)[0].Code != api.CodeRateLimited || r.Header.Get("Retry-After") == "" {
			t.Errorf("%s over the failure budget: %d %s (Retry-After %q); want 429 rate_limited with Retry-After",
				caller.name, r.Status, truncate(r.Body), r.Header.Get("Retry-After"))
		}
	}
	mustStatus(t, call(t, srv, req{method: "GET", path: "/api/v1/users", token: plainTok}), 403)
	mustStatus(t, call(t, srv, req{method: "GET", path: "/api/v1/account", token: plainTok}), 200)
	mustStatus(t, call(t, srv, req{method: "GET", path: "/api/v1/users", token: srv.AdminToken}), 200)
}

// matrixClient stores an OIDC client named name with the given secret ids
// (each with a throwaway hash), for the matrix's application routes.
func matrixClient(t *testing.T, srv *testserver.Server, name string, secretIDs ...string) store.OIDCClient {
	t.Helper()
	c := store.OIDCClient{Name: name, RedirectURIs: []string{"https://app.example/cb"},
		GrantTypes: []string{"authorization_code", "refresh_token"}}
	for _, id := range secretIDs {
		c.Secrets = append(c.Secrets, store.OIDCClientSecret{ID: id, Hash: []byte("hash-of-" + id + "-0123456789abcdef")})
	}
	got, err := srv.Store.(store.OIDCStore).CreateOIDCClient(context.Background(), c, store.Meta{ActorName: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// oidcClientDoc is a create document for a confidential client.
func oidcClientDoc(name string) map[string]any {
	return map[string]any{"data": map[string]any{"type": "oidc-clients", "attributes": map[string]any{
		"name": name, "redirect-uris": []string{"https://" + name + ".example/cb"}}}}
}
