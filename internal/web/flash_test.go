package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/rollcall/rollcall/internal/store"
	"github.com/rollcall/rollcall/internal/testserver"
)

// doFollow sends a form POST as device d, expects the 303 of
// post/redirect/get, and follows it with the flash cookie the answer set,
// as a browser would. It returns where the POST led and the page there.
func doFollow(t *testing.T, srv *testserver.Server, d device, path string, form url.Values) (string, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.AddCookie(&http.Cookie{Name: "rollcall_session", Value: d.secret})
	res, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	readAll(t, res)
	loc := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || loc == "" {
		t.Fatalf("POST %s: %d to %q, want 303 to a page", path, res.StatusCode, loc)
	}
	get, _ := http.NewRequest(http.MethodGet, srv.URL+loc, nil)
	get.AddCookie(&http.Cookie{Name: "rollcall_session", Value: d.secret})
	for _, c := range res.Cookies() {
		if c.Name == "rollcall_flash" {
			get.AddCookie(c)
		}
	}
	res, err = noRedirect.Do(get)
	if err != nil {
		t.Fatal(err)
	}
	return loc, readAll(t, res)
}

// TestConsoleBadInputIsNever500 sends the console's lists and searches
// what a person or a broken link may: NUL bytes, invalid UTF-8, unknown
// sorts and statuses, bad page numbers and cursors, on both backends
// (PostgreSQL refuses NUL and invalid UTF-8 in text). Each answers a
// page, never a 500.
func TestConsoleBadInputIsNever500(t *testing.T) {
	testserver.Backends(t, func(t *testing.T, backend testserver.Option) {
		srv := testserver.Start(t, backend)
		root := srv.CreateUser(t, "root", true)
		admin := signInDevice(t, srv, root.ID, "root-secret-0123456789abcdefghijklmnopqrstu", "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0", "192.0.2.1")
		g := srv.Store
		grp, err := g.CreateGroup(context.Background(), store.Group{Name: "pilots"}, store.Meta{ActorName: "test"})
		if err != nil {
			t.Fatal(err)
		}
		for _, path := range []string{
			"/admin/users?q=%00", "/admin/users?q=%FF", "/admin/users?group=%00", "/admin/users?group=%C3%28",
			"/admin/users?status=%00", "/admin/users?sort=%FF&dir=up&page=abc", "/admin/users?page=99999999999999999999",
			"/admin/users?page=-1", "/admin/users?group=00000000-0000-4000-8000-000000000000",
			"/admin/users/suggest?q=%00", "/admin/users/suggest?q=%FF", "/admin/users/suggest?q=" + strings.Repeat("a", 300),
			"/admin/groups/" + grp.ID + "?q=%00", "/admin/groups/" + grp.ID + "?q=%FF&after=%FF", "/admin/groups/" + grp.ID + "?after=garbage",
			"/admin/audit?action=%00&actor=%FF&target=%00", "/account?confirm-delete=%00",
		} {
			status, _, page := do(t, srv, admin, http.MethodGet, path, nil)
			if status >= 500 {
				t.Errorf("GET %s: %d\n%s", path, status, page)
			}
		}
	})
}
