package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// postCeremony posts to a ceremony URL as the page's script would.
func postCeremony(t *testing.T, url string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader("{}"))
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	res, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, readAll(t, res)
}

// TestOlderSetupLinkRefused (issue 16 A): a person's older setup link stops
// working as soon as a newer one is issued: the page says so instead of
// offering "Set up your passkey", and the ceremony cannot be started with
// it.
func TestOlderSetupLinkRefused(t *testing.T) {
	srv := startServer(t)
	admin := adminClient(t, srv)
	ctx := context.Background()
	u := createUser(t, admin, "ada", "Ada", "Lovelace")
	l1, err := admin.Users.CreateSetupLink(ctx, u.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	l2, err := admin.Users.CreateSetupLink(ctx, u.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	res, err := noRedirect.Get(l1.Attributes.URL)
	if err != nil {
		t.Fatal(err)
	}
	body := readAll(t, res)
	if res.StatusCode != http.StatusGone || strings.Contains(body, "Set up your passkey") ||
		!strings.Contains(body, "This setup link is no longer valid") || !strings.Contains(body, "newer link") {
		t.Fatalf("the older link after a newer one was issued: %d\n%s", res.StatusCode, body)
	}
	for _, path := range []string{"/begin", "/finish?ceremony=x"} {
		if code, body := postCeremony(t, l1.Attributes.URL+path); code != http.StatusGone || !strings.Contains(body, "no longer valid") {
			t.Fatalf("POST %s with the older link: %d %s", path, code, body)
		}
	}
	res, err = noRedirect.Get(l2.Attributes.URL)
	if err != nil {
		t.Fatal(err)
	}
	if body := readAll(t, res); res.StatusCode != http.StatusOK || !strings.Contains(body, "Set up your passkey") {
		t.Fatalf("the newer link: %d\n%s", res.StatusCode, body)
	}
}

// TestSetupFinishHidesLibraryErrors (issue 16 item 11): a new passkey the
// WebAuthn library refuses gets a message a person can act on, not the
// library's words; the same for adding a passkey on the account page.
func TestSetupFinishHidesLibraryErrors(t *testing.T) {
	srv := startServer(t)
	admin := adminClient(t, srv)
	u := createUser(t, admin, "ada", "Ada", "Lovelace")
	link, err := admin.Users.CreateSetupLink(context.Background(), u.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	code, body := postCeremony(t, link.Attributes.URL+"/begin")
	if code != http.StatusOK {
		t.Fatalf("begin: %d %s", code, body)
	}
	var opts struct{ Ceremony string }
	if err := json.Unmarshal([]byte(body), &opts); err != nil || opts.Ceremony == "" {
		t.Fatalf("begin answered %s (%v), want a ceremony id", body, err)
	}
	req, _ := http.NewRequest(http.MethodPost, link.Attributes.URL+"/finish?ceremony="+opts.Ceremony,
		strings.NewReader(`{"id":"AAAA","rawId":"AAAA","type":"public-key","response":{"clientDataJSON":"e30","attestationObject":"oA"}}`))
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	res, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body = readAll(t, res)
	checkRefusal := func(what string, status int, body string) {
		t.Helper()
		var got struct{ Error string }
		_ = json.Unmarshal([]byte(body), &got)
		if status != http.StatusBadRequest || !strings.Contains(got.Error, "could not be registered. Try again") ||
			strings.Contains(strings.ToLower(got.Error), "passkey: ") || strings.Contains(got.Error, "attestation") ||
			strings.Contains(got.Error, "clientData") || strings.Contains(got.Error, "parse") {
			t.Fatalf("%s with a malformed credential: %d %s; want 400 and an actionable message without the library's text", what, status, body)
		}
	}
	checkRefusal("setup finish", res.StatusCode, body)

	// The account page's "Add a passkey" answers the same way.
	grace := srv.CreateUser(t, "grace", false)
	d := signInDevice(t, srv, grace.ID, "grace-laptop-secret-0123456789abcdefghijklm", uaLaptop, "192.0.2.1")
	status, _, body := do(t, srv, d, http.MethodPost, "/account/passkeys/begin", nil)
	if err := json.Unmarshal([]byte(body), &opts); status != http.StatusOK || err != nil || opts.Ceremony == "" {
		t.Fatalf("add-passkey begin: %d %s", status, body)
	}
	req, _ = http.NewRequest(http.MethodPost, srv.URL+"/account/passkeys/finish?ceremony="+opts.Ceremony,
		strings.NewReader(`{"id":"AAAA","rawId":"AAAA","type":"public-key","response":{"clientDataJSON":"e30","attestationObject":"oA"}}`))
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.AddCookie(&http.Cookie{Name: "rollcall_session", Value: d.secret})
	res, err = noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	checkRefusal("add-passkey finish", res.StatusCode, readAll(t, res))
}

// TestAdminRevokesSetupLinkOverHTTP (issue 16 A): the admin console's user
// page lists the outstanding setup link with a Revoke button; revoking it
// makes the link's page say it is no longer valid; a cross-site form and a
// non-admin are refused.
func TestAdminRevokesSetupLinkOverHTTP(t *testing.T) {
	srv := startServer(t)
	grace := srv.CreateUser(t, "grace", true)
	bob := srv.CreateUser(t, "bob", false)
	admin := signInDevice(t, srv, grace.ID, "grace-laptop-secret-0123456789abcdefghijklm", uaLaptop, "192.0.2.1")
	other := signInDevice(t, srv, bob.ID, "bob-laptop-secret-0123456789abcdefghijklmno", uaLaptop, "192.0.2.2")
	ada := createUser(t, adminClient(t, srv), "ada", "Ada", "Lovelace")
	link, err := adminClient(t, srv).Users.CreateSetupLink(context.Background(), ada.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	userPage := "/admin/users/" + ada.ID
	revoke := userPage + "/setup-links/" + link.ID + "/revoke"
	_, _, page := do(t, srv, admin, http.MethodGet, userPage, nil)
	if !strings.Contains(page, "Outstanding setup link") || !strings.Contains(page, `action="`+revoke+`"`) || strings.Contains(page, link.Attributes.URL) {
		t.Fatalf("the user page should list the outstanding link (not its URL) with a Revoke form:\n%s", page)
	}
	if status, _, _ := do(t, srv, other, http.MethodPost, revoke, url.Values{}); status != http.StatusForbidden {
		t.Fatalf("a non-admin revoking a setup link: %d, want 403", status)
	}
	req, _ := http.NewRequest(http.MethodPost, srv.URL+revoke, strings.NewReader(""))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	req.AddCookie(&http.Cookie{Name: "rollcall_session", Value: admin.secret})
	res, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if readAll(t, res); res.StatusCode != http.StatusForbidden {
		t.Fatalf("a cross-site revoke: %d, want 403", res.StatusCode)
	}
	status, loc, _ := do(t, srv, admin, http.MethodPost, revoke, url.Values{})
	if status != http.StatusSeeOther || loc != userPage+"?done=linkrevoked" {
		t.Fatalf("revoke: %d to %q", status, loc)
	}
	_, _, page = do(t, srv, admin, http.MethodGet, loc, nil)
	if !strings.Contains(page, "Setup link revoked") || !strings.Contains(page, "No outstanding setup link") {
		t.Fatalf("after revoking, the page should say so:\n%s", page)
	}
	res, err = noRedirect.Get(link.Attributes.URL)
	if err != nil {
		t.Fatal(err)
	}
	if body := readAll(t, res); res.StatusCode != http.StatusGone || !strings.Contains(body, "no longer valid") {
		t.Fatalf("the revoked link: %d\n%s", res.StatusCode, body)
	}
	if _, page := doFollow(t, srv, admin, revoke, url.Values{}); !strings.Contains(page, "That setup link no longer works") {
		t.Fatalf("revoking twice:\n%s", page)
	}
	if n := auditActions(t, srv.Store, ada.ID)["setup_link.revoke"]; n != 1 {
		t.Fatalf("%d setup_link.revoke events, want 1", n)
	}
}
