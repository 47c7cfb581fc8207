package server_test

import (
	"strings"
	"testing"

	"github.com/rollcall/rollcall/internal/testserver"
)

// TestTokenScopes creates a scim-scoped token through the API and checks
// that /api/v1 refuses it with a 403 that says which token to use, that
// ordinary tokens keep the admin scope, and that an unknown scope is a 422
// naming the scopes there are.
func TestTokenScopes(t *testing.T) {
	testserver.Backends(t, func(t *testing.T, backend testserver.Option) {
		srv := testserver.Start(t, backend)
		tokenDoc := func(scopes ...string) map[string]any {
			attrs := map[string]any{"name": "okta"}
			if scopes != nil {
				attrs["scopes"] = scopes
			}
			return map[string]any{"data": map[string]any{"type": "api-tokens", "attributes": attrs}}
		}

		r := call(t, srv, req{method: "POST", path: "/api/v1/api-tokens", token: srv.AdminToken, body: tokenDoc("scim")})
		mustStatus(t, r, 201)
		attrs := r.JSON(t)["data"].(map[string]any)["attributes"].(map[string]any)
		if got, _ := attrs["scopes"].([]any); len(got) != 1 || got[0] != "scim" {
			t.Errorf("scopes of the created token: %v, want [scim]", attrs["scopes"])
		}
		scimTok := attrs["token"].(string)

		for _, path := range []string{"/api/v1/users", "/api/v1/account", "/api/v1/api-tokens"} {
			e := wantError(t, call(t, srv, req{method: "GET", path: path, token: scimTok}), 403, "forbidden", "")
			if !strings.Contains(e.Detail, "scope scim") || !strings.Contains(e.Detail, "--scope admin") {
				t.Errorf("GET %s with a scim token: detail %q does not say the token's scope and what to use", path, e.Detail)
			}
		}
		mustStatus(t, call(t, srv, req{method: "POST", path: "/api/v1/users", token: scimTok,
			body: userBody(map[string]any{"username": "x", "email": "x@example.com"})}), 403)

		r = call(t, srv, req{method: "POST", path: "/api/v1/api-tokens", token: srv.AdminToken, body: tokenDoc()})
		mustStatus(t, r, 201)
		attrs = r.JSON(t)["data"].(map[string]any)["attributes"].(map[string]any)
		if got, _ := attrs["scopes"].([]any); len(got) != 1 || got[0] != "admin" {
			t.Errorf("scopes of a token made without scopes: %v, want [admin]", attrs["scopes"])
		}
		mustStatus(t, call(t, srv, req{method: "GET", path: "/api/v1/users", token: attrs["token"].(string)}), 200)

		e := wantError(t, call(t, srv, req{method: "POST", path: "/api/v1/api-tokens", token: srv.AdminToken, body: tokenDoc("root")}),
			422, "invalid_value", "/data/attributes/scopes/0")
		if !strings.Contains(e.Detail, "admin") || !strings.Contains(e.Detail, "scim") {
			t.Errorf("unknown scope: detail %q does not name the scopes there are", e.Detail)
		}
	})
}
