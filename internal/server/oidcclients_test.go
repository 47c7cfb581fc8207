package server_test

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"
	"testing"

	"github.com/rollcall/rollcall/internal/store"
	"github.com/rollcall/rollcall/internal/testserver"
)

func clientBody(attrs map[string]any) map[string]any {
	return map[string]any{"data": map[string]any{"type": "oidc-clients", "attributes": attrs}}
}

// TestOIDCClientsAPI walks an application through its life on the API:
// registered with a generated secret shown once and stored hashed, read,
// changed, its secret rotated without downtime, and deleted; admins only,
// every step audited, bad input a 4xx that names the field.
func TestOIDCClientsAPI(t *testing.T) {
	testserver.Backends(t, func(t *testing.T, backend testserver.Option) {
		srv := testserver.Start(t, backend)
		staff := createGroup(t, srv, "staff")

		r := call(t, srv, req{method: "POST", path: "/api/v1/oidc-clients", token: srv.AdminToken, body: clientBody(map[string]any{
			"name": "Grafana", "redirect-uris": []string{"https://grafana.example.com/login/generic_oauth"},
			"allowed-groups": []string{staff.ID}, "logo-url": "https://grafana.example.com/logo.svg", "access-token-lifetime": 600,
		})})
		mustStatus(t, r, http.StatusCreated)
		doc := r.JSON(t)["data"].(map[string]any)
		id := doc["id"].(string)
		attrs := doc["attributes"].(map[string]any)
		secret, _ := attrs["client-secret"].(string)
		if len(secret) < 40 || r.Header.Get("Location") == "" || r.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("create: secret %q, headers %v", secret, r.Header)
		}
		if gt := attrs["grant-types"].([]any); len(gt) != 2 || attrs["public"] != false || attrs["access-token-lifetime"] != float64(600) {
			t.Fatalf("create defaults: %v", attrs)
		}

		// Stored hashed: the database holds the SHA-256 and not the secret.
		stored, err := srv.Store.(store.OIDCStore).GetOIDCClient(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256([]byte(secret))
		if len(stored.Secrets) != 1 || subtle.ConstantTimeCompare(stored.Secrets[0].Hash, sum[:]) != 1 {
			t.Fatalf("stored secrets: %+v", stored.Secrets)
		}

		// Read: no secret any more; 304 with the ETag.
		r = call(t, srv, req{method: "GET", path: "/api/v1/oidc-clients/" + id, token: srv.AdminToken})
		mustStatus(t, r, http.StatusOK)
		if strings.Contains(string(r.Body), secret) || strings.Contains(string(r.Body), "client-secret") {
			t.Fatalf("a read shows the secret: %s", r.Body)
		}
		etag := r.Header.Get("ETag")
		r = call(t, srv, req{method: "GET", path: "/api/v1/oidc-clients/" + id, token: srv.AdminToken, header: map[string]string{"If-None-Match": etag}})
		mustStatus(t, r, http.StatusNotModified)
		r = call(t, srv, req{method: "GET", path: "/api/v1/oidc-clients", token: srv.AdminToken})
		mustStatus(t, r, http.StatusOK)
		if list := r.JSON(t)["data"].([]any); len(list) != 1 {
			t.Fatalf("list: %s", r.Body)
		}

		// Update with If-Match; a stale one is 412.
		r = call(t, srv, req{method: "PATCH", path: "/api/v1/oidc-clients/" + id, token: srv.AdminToken, header: map[string]string{"If-Match": etag},
			body: clientBody(map[string]any{"skip-consent": true, "logo-url": nil})})
		mustStatus(t, r, http.StatusOK)
		if a := r.JSON(t)["data"].(map[string]any)["attributes"].(map[string]any); a["skip-consent"] != true || a["logo-url"] != nil {
			t.Fatalf("update: %v", a)
		}
		r = call(t, srv, req{method: "PATCH", path: "/api/v1/oidc-clients/" + id, token: srv.AdminToken, header: map[string]string{"If-Match": etag},
			body: clientBody(map[string]any{"skip-consent": false})})
		wantError(t, r, http.StatusPreconditionFailed, "precondition_failed", "")

		// Rotation: a second secret, both work; a third is refused until
		// the old one is deleted.
		r = call(t, srv, req{method: "POST", path: "/api/v1/oidc-clients/" + id + "/secrets", token: srv.AdminToken, body: "{}"})
		mustStatus(t, r, http.StatusOK)
		a := r.JSON(t)["data"].(map[string]any)["attributes"].(map[string]any)
		if s, _ := a["client-secret"].(string); s == "" || s == secret || len(a["secrets"].([]any)) != 2 {
			t.Fatalf("rotation: %v", a)
		}
		oldID := a["secrets"].([]any)[1].(map[string]any)["id"].(string)
		r = call(t, srv, req{method: "POST", path: "/api/v1/oidc-clients/" + id + "/secrets", token: srv.AdminToken, body: "{}"})
		wantError(t, r, http.StatusConflict, "too_many_secrets", "")
		r = call(t, srv, req{method: "DELETE", path: "/api/v1/oidc-clients/" + id + "/secrets/" + oldID, token: srv.AdminToken})
		mustStatus(t, r, http.StatusNoContent)
		r = call(t, srv, req{method: "DELETE", path: "/api/v1/oidc-clients/" + id + "/secrets/" + oldID, token: srv.AdminToken})
		wantError(t, r, http.StatusNotFound, "not_found", "")

		// Bad input: each refusal names the field.
		for _, tc := range []struct {
			attrs   map[string]any
			status  int
			code    string
			pointer string
		}{
			{map[string]any{"redirect-uris": []string{"https://a.example/cb"}}, 422, "required", "/data/attributes/name"},
			{map[string]any{"name": "Grafana", "redirect-uris": []string{"https://a.example/cb"}}, 409, "client_name_taken", "/data/attributes/name"},
			{map[string]any{"name": "X", "redirect-uris": []string{"https://a.example/*"}}, 422, "invalid_url", "/data/attributes/redirect-uris/0"},
			{map[string]any{"name": "X", "redirect-uris": []string{"/relative"}}, 422, "invalid_url", "/data/attributes/redirect-uris/0"},
			{map[string]any{"name": "X", "redirect-uris": []string{"com.example.app:/callback"}}, 422, "invalid_url", "/data/attributes/redirect-uris/0"},
			{map[string]any{"name": "X", "redirect-uris": []string{"https://a.example/cb#x"}}, 422, "invalid_url", "/data/attributes/redirect-uris/0"},
			{map[string]any{"name": "X", "public": true, "redirect-uris": []string{"http://a.example/cb"}}, 422, "invalid_url", "/data/attributes/redirect-uris/0"},
			{map[string]any{"name": "X"}, 422, "required", "/data/attributes/redirect-uris"},
			{map[string]any{"name": "X", "redirect-uris": []string{"https://a.example/cb"}, "grant-types": []string{"implicit"}}, 422, "invalid_value", "/data/attributes/grant-types/0"},
			{map[string]any{"name": "X", "redirect-uris": []string{"https://a.example/cb"}, "allowed-groups": []string{"nope"}}, 422, "invalid_id", "/data/attributes/allowed-groups/0"},
			{map[string]any{"name": "X", "redirect-uris": []string{"https://a.example/cb"}, "allowed-groups": []string{"00000000-0000-4000-8000-000000000001"}}, 422, "invalid_reference", "/data/attributes/allowed-groups/0"},
			{map[string]any{"name": "X", "redirect-uris": []string{"https://a.example/cb"}, "id-token-lifetime": 5}, 422, "invalid_value", "/data/attributes/id-token-lifetime"},
			{map[string]any{"name": "X", "redirect-uris": []string{"https://a.example/cb"}, "client-secret": "mine"}, 422, "read_only", "/data/attributes/client-secret"},
			{map[string]any{"name": "X", "redirect-uris": []string{"https://a.example/cb"}, "launch-url": "ftp://x"}, 422, "invalid_url", "/data/attributes/launch-url"},
			{map[string]any{"name": "X", "public": true, "grant-types": []string{"client_credentials"}}, 422, "invalid_value", "/data/attributes/grant-types"},
			{map[string]any{"name": "X", "redirect-uris": []string{"https://a.example/cb"}, "attribute-claims": map[string]string{"email": "work_email"}}, 422, "invalid_value", "/data/attributes/attribute-claims/email"},
			{map[string]any{"name": "X", "redirect-uris": []string{"https://a.example/cb"}, "access-token-format": "paseto"}, 422, "invalid_value", "/data/attributes/access-token-format"},
		} {
			r := call(t, srv, req{method: "POST", path: "/api/v1/oidc-clients", token: srv.AdminToken, body: clientBody(tc.attrs)})
			wantError(t, r, tc.status, tc.code, tc.pointer)
		}

		// A public client gets no secret.
		r = call(t, srv, req{method: "POST", path: "/api/v1/oidc-clients", token: srv.AdminToken, body: clientBody(map[string]any{
			"name": "SPA", "public": true, "redirect-uris": []string{"https://spa.example.com/cb"}})})
		mustStatus(t, r, http.StatusCreated)
		if a := r.JSON(t)["data"].(map[string]any)["attributes"].(map[string]any); a["client-secret"] != nil || len(a["secrets"].([]any)) != 0 {
			t.Fatalf("public client: %v", a)
		}

		// Admins only.
		alice := srv.NewUserToken(t, "alice", false)
		r = call(t, srv, req{method: "GET", path: "/api/v1/oidc-clients", token: alice})
		wantError(t, r, http.StatusForbidden, "forbidden", "")

		r = call(t, srv, req{method: "DELETE", path: "/api/v1/oidc-clients/" + id, token: srv.AdminToken})
		mustStatus(t, r, http.StatusNoContent)
		r = call(t, srv, req{method: "GET", path: "/api/v1/oidc-clients/" + id, token: srv.AdminToken})
		wantError(t, r, http.StatusNotFound, "not_found", "")

		evs, _, err := srv.Store.ListAuditEvents(t.Context(), store.AuditFilter{TargetID: id}, store.Page{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, e := range evs {
			actions = append(actions, e.Action)
			if strings.Contains(string(e.After)+string(e.Before), secret) {
				t.Fatalf("audit event %s holds the secret", e.Action)
			}
		}
		if strings.Join(actions, ",") != "oidc_client.delete,oidc_client.update,oidc_client.update,oidc_client.update,oidc_client.create" {
			t.Fatalf("audit: %v", actions)
		}
	})
}
