package web_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"
)

// secondDevice opens a tab in a new browser context of the same Chromium:
// its own cookies, like another computer, with its own virtual
// authenticator.
func secondDevice(t *testing.T, b context.Context) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("opening a second browser context: %v", err)
	}
	hideConditionalUI(t, ctx)
	return ctx
}

// waitSessions waits until the page lists n sessions.
func waitSessions(t *testing.T, b context.Context, n int) {
	t.Helper()
	if err := waitTrue(b, `document.readyState === "complete" && document.querySelectorAll("#sessions li[id^=session-]").length === `+strconv.Itoa(n)); err != nil {
		t.Fatalf("waiting for %d sessions on the page: %v; the page shows:\n%s", n, err, pageText(b))
	}
}

// TestSignOutOfAllOtherDevices: Ada is signed in on her laptop and on a
// second device with the same passkey. On the laptop she sees both, this
// one marked, and signs out of all other devices; the other device's next
// page load is the sign-in page, and the laptop stays signed in.
func TestSignOutOfAllOtherDevices(t *testing.T) {
	srv := startServer(t)
	admin := adminClient(t, srv)
	ada := createUser(t, admin, "ada", "Ada", "Lovelace")
	link, err := admin.Users.CreateSetupLink(context.Background(), ada.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	laptop := newBrowser(t)
	hideConditionalUI(t, laptop)
	key := addAuthenticator(t, laptop)
	visit(t, laptop, link.Attributes.URL)
	click(t, laptop, "#passkey-button", "/account")
	waitSessions(t, laptop, 1)
	waitText(t, laptop, "#sessions", "this device")

	// The same passkey on another device (synced), signed in there.
	other := secondDevice(t, laptop)
	importCredentials(t, other, addAuthenticator(t, other), exportCredentials(t, laptop, key))
	visit(t, other, srv.URL+"/signin")
	click(t, other, "#passkey-button", "/account")
	waitText(t, other, "h1", "Ada Lovelace")
	waitSessions(t, other, 2)

	visit(t, laptop, srv.URL+"/account")
	waitSessions(t, laptop, 2)
	waitText(t, laptop, "#sessions", "Chrome on Linux")
	marked, err := chromedp.Run(laptop, chromedp.Evaluate[int](`document.querySelectorAll("#sessions .badge").length`))
	if err != nil || marked != 1 {
		t.Fatalf("%d sessions marked as this device (%v), want 1", marked, err)
	}
	click(t, laptop, "#signout-others", "/account")
	waitText(t, laptop, "main", "Signed out of 1 other device.")
	waitSessions(t, laptop, 1)
	waitText(t, laptop, "#sessions", "this device")

	// The other device is sent to sign in on its next page load.
	visit(t, other, srv.URL+"/account")
	waitPath(t, other, "/signin")
	waitText(t, other, "main", "Sign in")

	// The laptop is still signed in.
	visit(t, laptop, srv.URL+"/account")
	waitText(t, laptop, "h1", "Ada Lovelace")
	if a := auditActions(t, srv.Store, ada.ID); a["session.revoke"] != 1 || a["signin.success"] != 1 {
		t.Fatalf("audit actions for ada: %v; want one session.revoke and one sign-in", a)
	}
}

// TestAdminEndsAllSessions: an admin opens a signed-in user's page in the
// console, sees the session, and ends all sessions; the user's next page
// load is the sign-in page.
func TestAdminEndsAllSessions(t *testing.T) {
	srv := startServer(t)
	admin := adminClient(t, srv)
	ada := createUser(t, admin, "ada", "Ada", "Lovelace")
	link, err := admin.Users.CreateSetupLink(context.Background(), ada.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	console := newBrowser(t)
	hideConditionalUI(t, console)
	addAuthenticator(t, console)
	signInAdmin(t, srv, admin, console, "margaret")

	adas := secondDevice(t, console)
	addAuthenticator(t, adas)
	visit(t, adas, link.Attributes.URL)
	click(t, adas, "#passkey-button", "/account")
	waitText(t, adas, "h1", "Ada Lovelace")

	visit(t, console, srv.URL+"/admin/users/"+ada.ID)
	waitSessions(t, console, 1)
	waitText(t, console, "#sessions", "Chrome on Linux")
	waitText(t, console, "main", "signed out everywhere at once")
	click(t, console, "#end-sessions", "/admin/users/"+ada.ID)
	waitText(t, console, "main", "Ended 1 session of this user")
	waitText(t, console, "#sessions", "Not signed in anywhere.")

	visit(t, adas, srv.URL+"/account")
	waitPath(t, adas, "/signin")

	// The admin is still signed in, and the audit log names them.
	visit(t, console, srv.URL+"/admin/audit")
	waitText(t, console, "main", "session.revoke")
	if a := auditActions(t, srv.Store, ada.ID); a["session.revoke"] != 1 {
		t.Fatalf("audit actions for ada: %v; want one session.revoke", a)
	}
}
