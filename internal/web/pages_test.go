package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/rollcall/rollcall/internal/store"
)

// TestSetupLinkRefusals checks the pages a person sees for links that
// cannot be used, over plain HTTP: each says what happened and what to do,
// with a status a monitor can tell apart.
func TestSetupLinkRefusals(t *testing.T) {
	srv := startServer(t)
	admin := adminClient(t, srv)
	u := createUser(t, admin, "ken", "Ken", "Thompson")
	link, err := admin.Users.CreateSetupLink(context.Background(), u.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	get := func(url string) (int, string) {
		t.Helper()
		res, err := noRedirect.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		return res.StatusCode, readAll(t, res)
	}
	if code, body := get(link.Attributes.URL); code != http.StatusOK || !strings.Contains(body, "Welcome, Ken Thompson") {
		t.Fatalf("a fresh link: %d\n%s", code, body)
	}
	if code, body := get(srv.URL + "/setup/" + strings.Repeat("A", 43)); code != http.StatusNotFound ||
		!strings.Contains(body, "This setup link is not valid") || !strings.Contains(body, "ask your administrator for a new setup link") {
		t.Fatalf("an unknown link: %d\n%s", code, body)
	}
	if _, err := srv.Store.UpdateUser(context.Background(), u.ID, 0, func(x *store.User) error { x.Disabled = true; return nil }, store.Meta{}); err != nil {
		t.Fatal(err)
	}
	if code, body := get(link.Attributes.URL); code != http.StatusForbidden || !strings.Contains(body, "Your account is disabled") {
		t.Fatalf("the link of a disabled user: %d\n%s", code, body)
	}
	req, _ := http.NewRequest(http.MethodPost, link.Attributes.URL+"/begin", nil)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	res, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if body := readAll(t, res); res.StatusCode != http.StatusForbidden || !strings.Contains(body, "disabled") {
		t.Fatalf("registering with the link of a disabled user: %d %s", res.StatusCode, body)
	}
	if code, body := get(srv.URL + "/signin/disabled"); code != http.StatusForbidden || !strings.Contains(body, "contact your administrator") {
		t.Fatalf("the disabled page: %d\n%s", code, body)
	}
	// Signed-out visitors are sent to sign in, and come back afterwards.
	res, err = noRedirect.Get(srv.URL + "/admin/users?q=ke")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || loc != "/signin?next=%2Fadmin%2Fusers%3Fq%3Dke" {
		t.Fatalf("signed out on an admin page: %d to %q", res.StatusCode, loc)
	}
}

// TestCeremoniesAreLimitedPerClient: an anonymous client cannot start
// passkey ceremonies (each writes a row) without bound.
func TestCeremoniesAreLimitedPerClient(t *testing.T) {
	srv := startServer(t)
	var last *http.Response
	for i := 0; i < 40; i++ {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/signin/begin", nil)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		res, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body := readAll(t, res)
		if res.StatusCode == http.StatusTooManyRequests {
			if i < 30 || res.Header.Get("Retry-After") == "" || !strings.Contains(body, "Too many passkey attempts") {
				t.Fatalf("request %d refused: %s, Retry-After %q", i+1, body, res.Header.Get("Retry-After"))
			}
			return
		}
		last = res
	}
	t.Fatalf("40 ceremonies in a row were all started; the last answered %d", last.StatusCode)
}
