package web_test

import (
	"context"
	"crypto/sha256"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/rollcall/rollcall/internal/store"
)

// TestAdminApplications registers an application in the admin console,
// sees its secret once (stored only as a hash), makes a new secret and
// deletes it; a wildcard redirect URI is refused with the API's words.
func TestAdminApplications(t *testing.T) {
	srv := startServer(t)
	admin := adminClient(t, srv)
	b := newBrowser(t)
	hideConditionalUI(t, b)
	addAuthenticator(t, b)
	signInAdmin(t, srv, admin, b, "margaret")

	visit(t, b, srv.Config.PublicURL+"/admin/clients")
	waitText(t, b, "main", "No applications yet")
	fill(t, b, map[string]string{"f-name": "Grafana", "f-redirect-uris": "https://grafana.example.com/*"}, "#register-client")
	waitText(t, b, "main", "redirect URIs match exactly")

	fill(t, b, map[string]string{"f-name": "Grafana", "f-redirect-uris": "https://grafana.example.com/login/generic_oauth"}, "#register-client")
	waitText(t, b, "main", "Copy its secret now")
	secret, err := chromedp.Run(b, chromedp.Evaluate[string](`document.querySelector("#client-secret input").value`))
	if err != nil || len(secret) < 40 {
		t.Fatalf("secret on the page: %q %v", secret, err)
	}
	id, err := chromedp.Run(b, chromedp.Evaluate[string](`document.querySelector("#client-id").innerText`))
	if err != nil {
		t.Fatal(err)
	}
	o := srv.Store.(store.OIDCStore)
	c, err := o.GetOIDCClient(context.Background(), strings.TrimSpace(id))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(secret))
	if len(c.Secrets) != 1 || string(c.Secrets[0].Hash) != string(sum[:]) {
		t.Fatalf("the shown secret is not the stored one")
	}

	// Shown once: the page read again has no secret.
	visit(t, b, srv.Config.PublicURL+"/admin/clients/"+c.ID)
	if strings.Contains(pageText(b), secret) {
		t.Fatal("the secret is shown again")
	}
	click(t, b, "#rotate-secret", "/admin/clients/"+c.ID+"/rotate-secret")
	waitText(t, b, "main", "New secret made")
	if c, _ = o.GetOIDCClient(context.Background(), c.ID); len(c.Secrets) != 2 {
		t.Fatalf("secrets after rotation: %d", len(c.Secrets))
	}
	click(t, b, "#delete-client", "/admin/clients")
	waitText(t, b, "main", "Application deleted")
	if _, err := o.GetOIDCClient(context.Background(), c.ID); err == nil {
		t.Fatal("the application is still there")
	}
}
