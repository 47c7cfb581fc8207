package web_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rollcall/rollcall/internal/store"
	"github.com/rollcall/rollcall/internal/testserver"
)

// device is a browser signed in as someone, made directly in the store
// (as a passkey sign-in would), for tests that need no real browser.
type device struct {
	secret string // the cookie value
	id     string // the session's non-secret id
}

const (
	uaLaptop = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
	uaPhone  = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"
	uaTablet = "Mozilla/5.0 (Linux; Android 14; Pixel Tablet) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
)

// signInDevice records a sign-in of userID from a browser with user agent
// ua at address ip, and returns its cookie.
func signInDevice(t *testing.T, srv *testserver.Server, userID, secret, ua, ip string) device {
	t.Helper()
	ctx := context.Background()
	auth := srv.Store.(store.AuthStore)
	pks, err := auth.ListPasskeys(ctx, userID)
	if err != nil {
		t.Fatal(err)
	}
	if len(pks) == 0 {
		pks = append(pks, addFakePasskey(t, auth, userID, "Laptop", false))
	}
	now := time.Now().UTC()
	sum := sha256.Sum256([]byte(secret))
	se := store.Session{Hash: sum[:], UserID: userID, CreatedAt: now, ExpiresAt: now.Add(time.Hour), LastSeenAt: now, UserAgent: ua, ClientIP: ip}
	if err := auth.RecordSignIn(ctx, store.SignIn{UserID: userID, PasskeyID: pks[0].ID, SignCount: 1, Session: se, At: now}, store.Meta{ActorName: "test"}); err != nil {
		t.Fatal(err)
	}
	got, err := auth.GetSession(ctx, sum[:], now)
	if err != nil {
		t.Fatal(err)
	}
	return device{secret: secret, id: got.ID}
}

// do sends a request as device d (no cookie when d.secret is empty), as a
// same-origin form would, and returns the status, the Location and the body.
func do(t *testing.T, srv *testserver.Server, d device, method, path string, form url.Values) (int, string, string) {
	t.Helper()
	var body *strings.Reader
	if form == nil {
		body = strings.NewReader("")
	} else {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, srv.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	if d.secret != "" {
		req.AddCookie(&http.Cookie{Name: "rollcall_session", Value: d.secret})
	}
	res, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, res.Header.Get("Location"), readAll(t, res)
}

// signedIn reports whether device d still gets the account page.
func signedIn(t *testing.T, srv *testserver.Server, d device) bool {
	t.Helper()
	status, loc, _ := do(t, srv, d, http.MethodGet, "/account", nil)
	switch {
	case status == http.StatusOK:
		return true
	case status == http.StatusSeeOther && strings.HasPrefix(loc, "/signin"):
		return false
	}
	t.Fatalf("GET /account: %d to %q, want 200 or a redirect to /signin", status, loc)
	return false
}

// noSecrets fails if a page shows a session's cookie or its hash.
func noSecrets(t *testing.T, page string, ds ...device) {
	t.Helper()
	for _, d := range ds {
		sum := sha256.Sum256([]byte(d.secret))
		for _, s := range []string{d.secret, hex.EncodeToString(sum[:]), base64.StdEncoding.EncodeToString(sum[:]),
			base64.RawURLEncoding.EncodeToString(sum[:])} {
			if strings.Contains(page, s) {
				t.Fatalf("the page shows a session secret or its hash (%q)", s)
			}
		}
	}
}

// TestAccountSessionsOverHTTP: the account page lists where the person is
// signed in, marks this browser, and signs out the other devices, all of
// them or one; other people's sessions are out of reach.
func TestAccountSessionsOverHTTP(t *testing.T) {
	srv := startServer(t)
	ada := srv.CreateUser(t, "ada", false)
	bob := srv.CreateUser(t, "bob", false)
	laptop := signInDevice(t, srv, ada.ID, "ada-laptop-secret-0123456789abcdefghijklmnop", uaLaptop, "192.0.2.10")
	phone := signInDevice(t, srv, ada.ID, "ada-phone-secret-0123456789abcdefghijklmnopq", uaPhone, "198.51.100.7")
	tablet := signInDevice(t, srv, ada.ID, "ada-tablet-secret-0123456789abcdefghijklmnop", uaTablet, "203.0.113.9")
	bobs := signInDevice(t, srv, bob.ID, "bob-laptop-secret-0123456789abcdefghijklmnop", uaLaptop, "192.0.2.20")

	status, _, page := do(t, srv, laptop, http.MethodGet, "/account", nil)
	if status != http.StatusOK {
		t.Fatalf("GET /account: %d", status)
	}
	for _, want := range []string{"Where you are signed in", "Chrome on Linux", "Safari on iPhone", "Chrome on Android",
		"192.0.2.10", "198.51.100.7", "this device", "Sign out of all other devices", `id="session-` + phone.id + `"`} {
		if !strings.Contains(page, want) {
			t.Fatalf("the account page lacks %q:\n%s", want, page)
		}
	}
	if strings.Count(page, "this device") != 1 || strings.Contains(page, "192.0.2.20") {
		t.Fatalf("the account page should mark one device as this one and show none of bob's:\n%s", page)
	}
	first := strings.Index(page, `id="session-`)
	if first < 0 || !strings.HasPrefix(page[first:], `id="session-`+laptop.id+`"`) {
		t.Fatalf("the first session listed should be this browser's (%s), which signed in before the others", laptop.id)
	}
	if row, _, _ := strings.Cut(page[first:], "</li>"); !strings.Contains(row, "this device") {
		t.Fatalf("\"this device\" is not on the laptop's row:\n%s", row)
	}
	noSecrets(t, page, laptop, phone, tablet, bobs)

	// One other device, by its id: the tablet.
	status, loc, _ := do(t, srv, laptop, http.MethodPost, "/account/sessions/"+tablet.id+"/signout", url.Values{})
	if status != http.StatusSeeOther || loc != "/account?done=signedout" {
		t.Fatalf("signing out the tablet: %d to %q", status, loc)
	}
	if signedIn(t, srv, tablet) || !signedIn(t, srv, phone) || !signedIn(t, srv, laptop) {
		t.Fatal("after signing out the tablet, only the tablet should be signed out")
	}
	// Bob's session id is not Ada's to end.
	loc, page = doFollow(t, srv, laptop, "/account/sessions/"+bobs.id+"/signout", url.Values{})
	if loc != "/account" || !strings.Contains(page, "That device is not signed in any more.") {
		t.Fatalf("ending bob's session as ada: to %q\n%s", loc, page)
	}
	if !signedIn(t, srv, bobs) {
		t.Fatal("bob was signed out by ada")
	}

	// A cross-site form cannot sign anyone out.
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/account/sessions/signout-others", strings.NewReader(""))
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	req.AddCookie(&http.Cookie{Name: "rollcall_session", Value: laptop.secret})
	res, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden || !signedIn(t, srv, phone) {
		t.Fatalf("cross-site sign-out of other devices: %d; the phone must stay signed in", res.StatusCode)
	}
	// Without a session there is nothing to sign out.
	if status, _, _ := do(t, srv, device{}, http.MethodPost, "/account/sessions/signout-others", url.Values{}); status != http.StatusUnauthorized {
		t.Fatalf("signing out other devices without a session: %d, want 401", status)
	}

	// Every other device.
	status, loc, _ = do(t, srv, laptop, http.MethodPost, "/account/sessions/signout-others", url.Values{})
	if status != http.StatusSeeOther || loc != "/account?done=others&n=1" {
		t.Fatalf("sign out of all other devices: %d to %q", status, loc)
	}
	_, _, page = do(t, srv, laptop, http.MethodGet, loc, nil)
	if !strings.Contains(page, "Signed out of 1 other device.") || strings.Contains(page, "Safari on iPhone") {
		t.Fatalf("after signing out the other devices the page should say so and list only this one:\n%s", page)
	}
	if signedIn(t, srv, phone) || !signedIn(t, srv, laptop) || !signedIn(t, srv, bobs) {
		t.Fatal("after sign-out everywhere else: the phone must be signed out, the laptop and bob not")
	}
	status, loc, _ = do(t, srv, laptop, http.MethodPost, "/account/sessions/signout-others", url.Values{})
	if _, _, page = do(t, srv, laptop, http.MethodGet, loc, nil); status != http.StatusSeeOther || !strings.Contains(page, "No other device was signed in.") {
		t.Fatalf("sign out of all other devices with none left: %d, %q", status, loc)
	}

	a := auditActions(t, srv.Store, ada.ID)
	if a["session.revoke"] != 3 || a["session.signout"] != 0 {
		t.Fatalf("audit actions for ada: %v; want 3 session.revoke (the tablet, the others, the empty repeat)", a)
	}
}

// TestAdminEndsSessionsOverHTTP: an admin ends all of a user's sessions
// from the console; disabling the user or removing one of their passkeys
// ends them too; the admin's own "end all" keeps their browser; and
// non-admins cannot.
func TestAdminEndsSessionsOverHTTP(t *testing.T) {
	srv := startServer(t)
	ctx := context.Background()
	grace := srv.CreateUser(t, "grace", true)
	ada := srv.CreateUser(t, "ada", false)
	admin := signInDevice(t, srv, grace.ID, "grace-laptop-secret-0123456789abcdefghijklm", uaLaptop, "192.0.2.1")
	graceOld := signInDevice(t, srv, grace.ID, "grace-old-secret-0123456789abcdefghijklmnop", uaTablet, "192.0.2.2")
	laptop := signInDevice(t, srv, ada.ID, "ada-laptop-secret-0123456789abcdefghijklmnop", uaLaptop, "192.0.2.10")
	phone := signInDevice(t, srv, ada.ID, "ada-phone-secret-0123456789abcdefghijklmnopq", uaPhone, "198.51.100.7")
	userPage := "/admin/users/" + ada.ID

	_, _, page := do(t, srv, admin, http.MethodGet, userPage, nil)
	for _, want := range []string{"Sessions", "Chrome on Linux", "Safari on iPhone", "198.51.100.7", "End all sessions",
		"signed out everywhere at once", "also ends all of the user's sessions"} {
		if !strings.Contains(page, want) {
			t.Fatalf("the admin user page lacks %q:\n%s", want, page)
		}
	}
	noSecrets(t, page, laptop, phone, admin)

	// A non-admin cannot end anyone's sessions.
	if status, _, _ := do(t, srv, laptop, http.MethodPost, "/admin/users/"+grace.ID+"/end-sessions", url.Values{}); status != http.StatusForbidden || !signedIn(t, srv, admin) {
		t.Fatalf("a non-admin ending an admin's sessions: %d, want 403", status)
	}

	status, loc, _ := do(t, srv, admin, http.MethodPost, userPage+"/end-sessions", url.Values{})
	if status != http.StatusSeeOther || loc != userPage+"?done=ended&n=2" {
		t.Fatalf("end all sessions: %d to %q", status, loc)
	}
	_, _, page = do(t, srv, admin, http.MethodGet, loc, nil)
	if !strings.Contains(page, "Ended 2 sessions of this user: they must sign in again on every device.") || !strings.Contains(page, "Not signed in anywhere.") {
		t.Fatalf("after ending all sessions the page should say so:\n%s", page)
	}
	if signedIn(t, srv, laptop) || signedIn(t, srv, phone) || !signedIn(t, srv, admin) {
		t.Fatal("after end all sessions: ada must be signed out everywhere, the admin not")
	}
	evs, _, err := srv.Store.ListAuditEvents(ctx, store.AuditFilter{TargetID: ada.ID, Action: "session.revoke"}, store.Page{Limit: 10})
	if err != nil || len(evs) != 1 || evs[0].ActorID != grace.ID || !strings.Contains(string(evs[0].After), `"sessions-ended":2`) {
		t.Fatalf("session.revoke events: %+v, %v; want one by grace with 2 sessions ended", evs, err)
	}

	// Disabling ends the sessions at once, not only at their next request.
	signInDevice(t, srv, ada.ID, "ada-laptop-2-secret-0123456789abcdefghijklm", uaLaptop, "192.0.2.10")
	if status, loc, _ := do(t, srv, admin, http.MethodPost, userPage+"/disable", url.Values{"confirm": {"yes"}}); status != http.StatusSeeOther || loc != userPage+"?done=disabled" {
		t.Fatalf("disable: %d to %q", status, loc)
	}
	if ss, _ := srv.Store.(store.AuthStore).ListSessions(ctx, ada.ID, time.Now()); len(ss) != 0 {
		t.Fatalf("a disabled user still has %d sessions", len(ss))
	}
	if _, _, page = do(t, srv, admin, http.MethodGet, userPage+"?done=disabled", nil); !strings.Contains(page, "their sessions have ended") {
		t.Fatalf("the disable notice should say the sessions ended:\n%s", page)
	}
	if status, _, _ := do(t, srv, admin, http.MethodPost, userPage+"/enable", url.Values{}); status != http.StatusSeeOther {
		t.Fatalf("enable: %d", status)
	}

	// Removing one passkey ends the user's sessions too.
	again := signInDevice(t, srv, ada.ID, "ada-laptop-3-secret-0123456789abcdefghijklm", uaLaptop, "192.0.2.10")
	spare := addFakePasskey(t, srv.Store.(store.AuthStore), ada.ID, "YubiKey", false)
	status, loc, _ = do(t, srv, admin, http.MethodPost, userPage+"/passkeys/"+spare.ID+"/delete", url.Values{})
	if status != http.StatusSeeOther || loc != userPage+"?done=pkremoved" {
		t.Fatalf("remove one passkey: %d to %q", status, loc)
	}
	if _, _, page = do(t, srv, admin, http.MethodGet, loc, nil); !strings.Contains(page, "Passkey removed. The user&#39;s sessions have ended too") || strings.Contains(page, "YubiKey") {
		t.Fatalf("after removing a passkey the page should say the sessions ended and not list it:\n%s", page)
	}
	if signedIn(t, srv, again) || countPasskeys(t, srv, ada.ID) != 1 {
		t.Fatal("removing a passkey from the console must end the user's sessions and remove only that passkey")
	}
	if loc, page := doFollow(t, srv, admin, userPage+"/passkeys/"+spare.ID+"/delete", url.Values{}); loc != userPage || !strings.Contains(page, "That passkey was already removed.") {
		t.Fatalf("removing it again: to %q", loc)
	}

	// An admin ending their own sessions keeps this browser.
	status, loc, _ = do(t, srv, admin, http.MethodPost, "/admin/users/"+grace.ID+"/end-sessions", url.Values{})
	if status != http.StatusSeeOther || !strings.Contains(loc, "done=ended-others&n=1") {
		t.Fatalf("an admin ending their own sessions: %d to %q", status, loc)
	}
	if signedIn(t, srv, graceOld) || !signedIn(t, srv, admin) {
		t.Fatal("an admin ending their own sessions: the other browser must be signed out, this one not")
	}
}
