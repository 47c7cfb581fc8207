package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

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
