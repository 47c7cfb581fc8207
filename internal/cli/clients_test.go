package cli

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/rollcall/rollcall/internal/testserver"
)

// TestClientsCommands registers an application, reads, changes and
// rotates it, and deletes it, as an administrator would from the shell.
func TestClientsCommands(t *testing.T) {
	isolate(t)
	srv := testserver.Start(t)
	ok(t, srv, "groups", "create", "staff")

	out := ok(t, srv, "clients", "create", "Grafana", "--redirect-uri", "https://grafana.example.com/login/generic_oauth",
		"--allowed-groups", "staff", "--access-token-lifetime", "10m")
	for _, want := range []string{"Grafana", "confidential", "https://grafana.example.com/login/generic_oauth", "staff", "10m0s",
		"Client secret (shown only now; Rollcall keeps its hash): "} {
		if !strings.Contains(out, want) {
			t.Fatalf("clients create does not show %q:\n%s", want, out)
		}
	}
	secret := out[strings.LastIndex(out, ": ")+2:]
	secret = strings.TrimSpace(secret)
	if len(secret) < 40 {
		t.Fatalf("secret %q", secret)
	}

	out = ok(t, srv, "clients", "get", "Grafana")
	if strings.Contains(out, secret) || strings.Contains(out, "Client secret") {
		t.Fatalf("clients get shows the secret:\n%s", out)
	}
	out = ok(t, srv, "clients", "list")
	if !strings.Contains(out, "Grafana") || !strings.Contains(out, "CLIENT ID") {
		t.Fatalf("clients list:\n%s", out)
	}
	out = ok(t, srv, "clients", "update", "Grafana", "--skip-consent", "--name", "Grafana prod")
	if !strings.Contains(out, "Grafana prod") || !strings.Contains(out, "yes") {
		t.Fatalf("clients update:\n%s", out)
	}

	// Rotation: a second secret, a third refused, the old one deleted.
	out = ok(t, srv, "clients", "rotate-secret", "Grafana prod", "-o", "json")
	var doc struct {
		Data struct {
			ID         string
			Attributes struct {
				ClientSecret string `json:"client-secret"`
				Secrets      []struct{ ID string }
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || doc.Data.Attributes.ClientSecret == "" || len(doc.Data.Attributes.Secrets) != 2 {
		t.Fatalf("rotate-secret -o json: %v\n%s", err, out)
	}
	fails(t, srv, 4, []string{"two secrets already", "delete"}, "clients", "rotate-secret", "Grafana prod")
	old := doc.Data.Attributes.Secrets[1].ID
	ok(t, srv, "clients", "delete-secret", doc.Data.ID, old)
	fails(t, srv, 3, nil, "clients", "delete-secret", doc.Data.ID, old)

	// Refusals name the field.
	fails(t, srv, 2, []string{"redirect-uris"}, "clients", "create", "X", "--redirect-uri", "https://x.example/*")
	fails(t, srv, 4, []string{"another application already has this name"}, "clients", "create", "Grafana prod", "--redirect-uri", "https://a.example/cb")
	fails(t, srv, 2, []string{"nothing to change"}, "clients", "update", "Grafana prod")
	fails(t, srv, 3, []string{"no OIDC client"}, "clients", "get", "nope")

	ok(t, srv, "clients", "delete", "Grafana prod")
	fails(t, srv, 3, nil, "clients", "get", doc.Data.ID)
}

// TestAdminRotateSigningKey rotates the ID token signing key on the
// server's database and finds the new key in the running server's JWKS.
func TestAdminRotateSigningKey(t *testing.T) {
	isolate(t)
	srv := testserver.Start(t)
	r := rc(t, "admin", "rotate-signing-key", "--database", srv.DSN, "--algorithm", "ES256")
	if r.code != 0 {
		t.Fatalf("rotate-signing-key: exit %d: %s", r.code, r.stderr)
	}
	kid := strings.TrimSpace(r.stdout)
	res, err := http.Get(srv.URL + "/oauth2/keys")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if kid == "" || !strings.Contains(string(body), kid) || !strings.Contains(string(body), "ES256") {
		t.Fatalf("JWKS after rotating to %q: %s", kid, body)
	}
	if r := rc(t, "admin", "rotate-signing-key", "--database", srv.DSN, "--algorithm", "HS256"); r.code != 2 || !strings.Contains(r.stderr, "RS256, ES256, EdDSA") {
		t.Fatalf("rotate-signing-key --algorithm HS256: exit %d: %s", r.code, r.stderr)
	}
}
