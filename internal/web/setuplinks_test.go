package web_test

import (
	"context"
	"encoding/json"
	"net/http"
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
	var got struct{ Error string }
	_ = json.Unmarshal([]byte(body), &got)
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(got.Error, "could not be registered. Try again") ||
		strings.Contains(strings.ToLower(got.Error), "passkey: ") || strings.Contains(got.Error, "attestation") ||
		strings.Contains(got.Error, "clientData") || strings.Contains(got.Error, "parse") {
		t.Fatalf("finish with a malformed credential: %d %s; want 400 and an actionable message without the library's text", res.StatusCode, body)
	}
}
