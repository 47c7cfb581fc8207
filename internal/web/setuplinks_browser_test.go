package web_test

import (
	"context"
	"strings"
	"testing"
)

// TestSetupLinksDieInTheBrowser is issue 16 A as a person meets it: Ada has
// two links and sets up with the newer; the older one then shows "no longer
// valid" instead of "Set up your passkey". A link made later (for a lost
// device) dies when she adds a passkey on the account page instead.
func TestSetupLinksDieInTheBrowser(t *testing.T) {
	srv := startServer(t)
	admin := adminClient(t, srv)
	ctx := context.Background()
	ada := createUser(t, admin, "ada", "Ada", "Lovelace")
	l1, err := admin.Users.CreateSetupLink(ctx, ada.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	l2, err := admin.Users.CreateSetupLink(ctx, ada.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t)
	hideConditionalUI(t, b)
	laptop := addAuthenticator(t, b)
	visit(t, b, l2.Attributes.URL)
	click(t, b, "#passkey-button", "/account")
	waitText(t, b, "main", "Your passkey is set up")

	visit(t, b, l1.Attributes.URL)
	page := pageText(b)
	if strings.Contains(page, "Set up your passkey") || !strings.Contains(page, "This setup link is no longer valid") {
		t.Fatalf("the older link after Ada set up with the newer one:\n%s", page)
	}

	// A link for a replacement passkey, then Ada adds one herself.
	l3, err := admin.Users.CreateSetupLink(ctx, ada.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	removeAuthenticator(t, b, laptop)
	addAuthenticator(t, b)
	visit(t, b, srv.URL+"/account")
	click(t, b, "#passkey-button", "")
	waitText(t, b, "main", "Passkey added.")
	visit(t, b, l3.Attributes.URL)
	if page := pageText(b); strings.Contains(page, "Set up your passkey") || !strings.Contains(page, "no longer valid") {
		t.Fatalf("a link made before Ada added a passkey on the account page:\n%s", page)
	}
	if got := auditActions(t, srv.Store, ada.ID); got["setup_link.revoke"] != 2 || got["setup_link.use"] != 1 || got["passkey.add"] != 2 {
		t.Fatalf("audit events of ada: %v; want 2 setup_link.revoke, 1 setup_link.use, 2 passkey.add", got)
	}
}
