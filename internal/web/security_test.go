package web_test

import (
	"context"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/rollcall/rollcall/internal/store"
	"github.com/rollcall/rollcall/internal/store/sqlstore"
	"github.com/rollcall/rollcall/internal/testserver"
	"github.com/rollcall/rollcall/internal/web"
)

// TestPagesSendSecurityHeaders checks the strict policy and its companions
// on pages, static files and refusals.
func TestPagesSendSecurityHeaders(t *testing.T) {
	srv := startServer(t)
	for _, path := range []string{"/signin", "/static/app.css", "/static/passkey.js", "/setup/not-a-link", "/account"} {
		res, err := noRedirect.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		h := res.Header
		if h.Get("Content-Security-Policy") != web.ContentSecurityPolicy || h.Get("X-Frame-Options") != "DENY" ||
			h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "same-origin" {
			t.Errorf("GET %s: security headers %v", path, h)
		}
	}
	for _, want := range []string{"default-src 'self'", "script-src 'self'", "style-src 'self'", "object-src 'none'", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'self'"} {
		if !strings.Contains(web.ContentSecurityPolicy, want) {
			t.Errorf("the policy lacks %q", want)
		}
	}
}

// TestTemplatesHaveNoInlineCode keeps the pages compatible with the
// policy: no inline scripts, no event handler attributes, no style
// attributes or elements.
func TestTemplatesHaveNoInlineCode(t *testing.T) {
	bad := regexp.MustCompile(`(?i)<script|\son[a-z]+=|\sstyle=|<style`)
	err := filepath.WalkDir("templates", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, line := range strings.Split(string(b), "\n") {
			m := bad.FindString(line)
			if m != "" && !(strings.EqualFold(m, "<script") && strings.Contains(line, `<script src="/static/`) && strings.Contains(line, "></script>")) {
				t.Errorf("%s: inline code the policy would block: %s", path, strings.TrimSpace(line))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// TestCrossSiteFormsAreRefused sends state-changing requests as another
// site would: they are refused before any handler runs.
func TestCrossSiteFormsAreRefused(t *testing.T) {
	srv := startServer(t)
	for _, c := range []struct{ path, header, value string }{
		{"/signout", "Sec-Fetch-Site", "cross-site"},
		{"/admin/users", "Origin", "http://evil.example"},
		{"/admin/clients/00000000-0000-4000-8000-000000000000", "Sec-Fetch-Site", "cross-site"},
		{"/signin/begin", "Sec-Fetch-Site", "same-site"},
	} {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+c.path, strings.NewReader("username=x"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set(c.header, c.value)
		res, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body := readAll(t, res)
		if res.StatusCode != http.StatusForbidden || !strings.Contains(body, "This form was sent from another site") {
			t.Errorf("POST %s with %s: %s: status %d, body:\n%s", c.path, c.header, c.value, res.StatusCode, body)
		}
	}
}

// TestHTTPSCookie checks that on an https public URL the session cookie
// is Secure with the __Host- prefix (tested on the sign-out that clears
// it), HttpOnly and SameSite=Lax.
func TestHTTPSCookie(t *testing.T) {
	st, err := sqlstore.Open(context.Background(), filepath.Join(t.TempDir(), "rollcall.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	h, err := web.New(web.Options{Store: st, Auth: st, PublicURL: "https://id.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPost, "https://id.example.com/signout", nil)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.AddCookie(&http.Cookie{Name: "__Host-rollcall_session", Value: "stale"})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	cookie := rec.Header().Get("Set-Cookie")
	for _, want := range []string{"__Host-rollcall_session=", "Path=/", "HttpOnly", "Secure", "SameSite=Lax"} {
		if !strings.Contains(cookie, want) {
			t.Errorf("Set-Cookie %q lacks %s", cookie, want)
		}
	}
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/signin?signedout=1" {
		t.Errorf("sign-out answered %d to %q", rec.Code, rec.Header().Get("Location"))
	}
	var _ store.AuthStore = st
}

// TestSessionCookieInTheBrowser reads the cookie a real sign-in set.
func TestSessionCookieInTheBrowser(t *testing.T) {
	srv := startServer(t)
	admin := adminClient(t, srv)
	u := createUser(t, admin, "edsger", "Edsger", "Dijkstra")
	link, err := admin.Users.CreateSetupLink(context.Background(), u.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t)
	hideConditionalUI(t, b)
	addAuthenticator(t, b)
	visit(t, b, link.Attributes.URL)
	click(t, b, "#passkey-button", "/account")
	res, err := chromedp.Call(b, network.GetCookies, network.GetCookiesParams{URLs: []string{srv.URL}})
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, c := range res.Cookies {
		if c.Name != "rollcall_session" {
			continue
		}
		found = true
		if !c.HTTPOnly || c.SameSite != network.CookieSameSiteLax || c.Secure || c.Path != "/" || len(c.Value) != 43 {
			t.Errorf("session cookie %+v: want HttpOnly, SameSite=Lax, not Secure on http, path /, a 43-character secret", c)
		}
	}
	if !found {
		t.Fatalf("no rollcall_session cookie among %d", len(res.Cookies))
	}
}

func readAll(t *testing.T, res *http.Response) string {
	t.Helper()
	defer res.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := res.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return b.String()
}

// TestIPAddressURLExplainsPasskeys: on an IP address the pages still serve,
// and say why passkeys cannot work there and what to change.
func TestIPAddressURLExplainsPasskeys(t *testing.T) {
	srv := testserver.Start(t) // ROLLCALL_URL http://127.0.0.1:PORT
	res, err := noRedirect.Get(srv.URL + "/signin")
	if err != nil {
		t.Fatal(err)
	}
	if body := readAll(t, res); res.StatusCode != http.StatusOK || !strings.Contains(body, "Passkeys do not work on this address") {
		t.Fatalf("sign-in page on an IP address: %d\n%s", res.StatusCode, body)
	}
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/signin/begin", nil)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	res, err = noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if body := readAll(t, res); res.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, "ROLLCALL_URL") {
		t.Fatalf("begin sign-in on an IP address: %d %s", res.StatusCode, body)
	}
}
