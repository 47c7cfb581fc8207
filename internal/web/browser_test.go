package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/rollcall/rollcall/api"
	"github.com/rollcall/rollcall/internal/store"
	"github.com/rollcall/rollcall/internal/testserver"
)

// TestPasskeyLifecycle drives a real headless Chromium with a virtual
// authenticator through a person's life with Rollcall: an admin creates
// them through the API, they open the setup link, register a passkey, sign
// out, sign in with the passkey, add a second passkey from another
// authenticator and remove the first. A removed passkey, a used link, an
// expired link and a disabled account are each refused with a page that
// says so.
func TestPasskeyLifecycle(t *testing.T) {
	srv := startServer(t)
	admin := adminClient(t, srv)
	ctx := context.Background()

	// The admin creates Ada through the API and asks for a setup link.
	ada := createUser(t, admin, "ada", "Ada", "Lovelace")
	if ada.Attributes.Status != "pending-setup" {
		t.Fatalf("a new user's status is %q, want pending-setup", ada.Attributes.Status)
	}
	link, err := admin.Users.CreateSetupLink(ctx, ada.ID, false)
	if err != nil {
		t.Fatalf("create setup link: %v", err)
	}
	if !strings.HasPrefix(link.Attributes.URL, srv.URL+"/setup/") || link.Attributes.EmailSent {
		t.Fatalf("setup link %+v: want a URL under %s/setup/ and no email", link.Attributes, srv.URL)
	}
	if d := time.Until(link.Attributes.ExpiresAt); d < 71*time.Hour || d > 73*time.Hour {
		t.Fatalf("setup link expires in %v, want the default 72h", d)
	}

	b := newBrowser(t)
	hidden := hideConditionalUI(t, b)
	laptop := addAuthenticator(t, b)

	// Ada opens the link: the page says who she is.
	visit(t, b, link.Attributes.URL)
	page := pageText(b)
	for _, want := range []string{"Set up your passkey", "Ada Lovelace", "ada@example.com"} {
		if !strings.Contains(page, want) {
			t.Fatalf("setup page lacks %q:\n%s", want, page)
		}
	}
	click(t, b, "#passkey-button", "/account")
	waitText(t, b, "main", "Your passkey is set up")
	waitText(t, b, ".passkeys", "Chrome on Linux")

	got, err := admin.Users.Get(ctx, ada.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Attributes.Status != "active" || got.Attributes.PasskeyCount != 1 {
		t.Fatalf("after setup: status %q, passkey-count %d; want active and 1", got.Attributes.Status, got.Attributes.PasskeyCount)
	}

	// The link worked once; opening it again says it was used.
	visit(t, b, link.Attributes.URL)
	waitText(t, b, "main", "This setup link has already been used")

	// Sign out, then sign in with the passkey: no username typed.
	visit(t, b, srv.URL+"/account")
	click(t, b, ".signout button", "/signin")
	waitText(t, b, "main", "You are signed out")
	visit(t, b, srv.URL+"/account")
	waitPath(t, b, "/signin")
	click(t, b, "#passkey-button", "/account")
	waitText(t, b, "h1", "Ada Lovelace")
	page = pageText(b)
	if !strings.Contains(page, "ada@example.com") || strings.Contains(page, "Last used never") {
		t.Fatalf("account page after sign-in should show the profile and the passkey's last use:\n%s", page)
	}
	got, _ = admin.Users.Get(ctx, ada.ID)
	if got.Attributes.LastSignInAt == nil {
		t.Fatal("last-sign-in-at is not set after a sign-in")
	}

	// A second passkey, from another authenticator (a phone), then the
	// first one is deleted. The laptop's key is kept aside to try it later.
	laptopKeys := exportCredentials(t, b, laptop)
	removeAuthenticator(t, b, laptop)
	phone := addAuthenticator(t, b)
	click(t, b, "#passkey-button", "")
	waitText(t, b, "main", "Passkey added.")
	pks, err := srv.Store.(store.AuthStore).ListPasskeys(ctx, ada.ID)
	if err != nil || len(pks) != 2 {
		t.Fatalf("passkeys after adding a second: %d, %v; want 2", len(pks), err)
	}
	first, second := "#passkey-"+pks[0].ID, "#passkey-"+pks[1].ID
	click(t, b, first+" summary", "")
	step(t, b, "rename the first passkey",
		chromedp.SetValue(chromedp.CSS("#name-"+pks[0].ID), "Old laptop"),
		chromedp.Click(chromedp.CSS(first+" form[action$='/rename'] button"), chromedp.NodeVisible))
	waitText(t, b, "main", "Passkey renamed.")
	waitText(t, b, ".passkeys", "Old laptop")
	click(t, b, first+" summary", "")
	click(t, b, first+" form[action$='/delete'] button", "")
	waitText(t, b, "main", "Passkey deleted.")
	if strings.Contains(pageText(b), "Old laptop") {
		t.Fatal("the deleted passkey is still listed")
	}

	// The last passkey is not deleted without an explicit confirmation.
	click(t, b, second+" summary", "")
	click(t, b, second+" form[action$='/delete'] button", "/account")
	waitText(t, b, "main", "This is your only passkey")
	if n := countPasskeys(t, srv, ada.ID); n != 1 {
		t.Fatalf("the last passkey went without confirmation: %d left", n)
	}

	// Sign out and in again with the phone's passkey, this time through
	// conditional UI: the sign-in page offers the passkey by itself,
	// without the button.
	visit(t, b, srv.URL+"/account")
	showConditionalUI(t, b, hidden)
	click(t, b, ".signout button", "")
	waitPath(t, b, "/account")
	waitText(t, b, "h1", "Ada Lovelace")
	hideConditionalUI(t, b)
	click(t, b, ".signout button", "/signin")

	// The laptop's passkey was deleted from the account: it is refused.
	phoneKeys := exportCredentials(t, b, phone)
	removeAuthenticator(t, b, phone)
	laptopAgain := addAuthenticator(t, b)
	importCredentials(t, b, laptopAgain, laptopKeys)
	click(t, b, "#passkey-button", "")
	waitText(t, b, "#passkey-status", "That passkey was not accepted")

	// Disabled users cannot sign in, and are told why.
	if _, err := admin.Users.Update(ctx, ada.ID, disabledAttr(true), nil, ""); err != nil {
		t.Fatalf("disable ada: %v", err)
	}
	removeAuthenticator(t, b, laptopAgain)
	importCredentials(t, b, addAuthenticator(t, b), phoneKeys)
	visit(t, b, srv.URL+"/signin")
	click(t, b, "#passkey-button", "/signin/disabled")
	waitText(t, b, "main", "Your account is disabled")
	visit(t, b, srv.URL+"/account")
	waitPath(t, b, "/signin")

	// An expired setup link is refused with what to do.
	if _, err := admin.Users.Update(ctx, ada.ID, disabledAttr(false), nil, ""); err != nil {
		t.Fatal(err)
	}
	insertSetupLink(t, srv, ada.ID, "expired-link-secret-for-the-browser-test", time.Now().Add(-time.Hour))
	visit(t, b, srv.URL+"/setup/expired-link-secret-for-the-browser-test")
	waitText(t, b, "main", "This setup link has expired")
	waitText(t, b, "main", "Ask your administrator for a new setup link")

	// The audit log recorded the sign-ins, the refusals and the passkeys.
	a := auditActions(t, srv.Store, ada.ID)
	if a["signin.success"] != 2 || a["signin.failure"] != 1 || a["passkey.add"] != 2 || a["passkey.remove"] != 1 ||
		a["passkey.rename"] != 1 || a["setup_link.create"] != 2 || a["setup_link.use"] != 1 || a["session.signout"] != 3 {
		t.Fatalf("audit actions for ada: %v", a)
	}
	unknown, _, err := srv.Store.ListAuditEvents(ctx, store.AuditFilter{Action: "signin.failure"}, store.Page{Limit: 100})
	if err != nil || len(unknown) != 2 {
		t.Fatalf("signin.failure events: %d, %v; want 2 (the deleted passkey and the disabled account)", len(unknown), err)
	}
}

func countPasskeys(t *testing.T, srv *testserver.Server, userID string) int {
	t.Helper()
	pks, err := srv.Store.(store.AuthStore).ListPasskeys(context.Background(), userID)
	if err != nil {
		t.Fatal(err)
	}
	return len(pks)
}

func disabledAttr(v bool) api.UserWriteAttributes {
	return api.UserWriteAttributes{Disabled: api.Some(v)}
}
