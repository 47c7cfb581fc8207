package web_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/rollcall/rollcall/internal/testserver"
	"github.com/rollcall/rollcall/internal/web"
)

// nextCase is a next= parameter as an attacker writes it into a link to
// the sign-in page (the text after "next=", percent-encoding and all), and
// the path the browser must land on after signing in: the one asked for
// when it is a path on Rollcall's own site, /account otherwise.
type nextCase struct {
	raw  string
	want string
}

// nextCases are known ways past open-redirect checks. Each is something a
// browser, by the WHATWG URL rules, would take to another host if it
// reached a Location header or location.assign unchanged: tabs, newlines
// and carriage returns that browsers delete from URLs, backslashes they
// read as slashes, encoded forms of those, scheme-relative and
// scheme-only URLs, userinfo, and look-alike slashes.
var nextCases = []nextCase{
	// The two.
	{"/%09/evil.example", "/account"},
	{"/%09%5Cevil.example", "/account"},
	// Tab, newline, CR, and other controls between the slashes.
	{"/%0a/evil.example", "/account"},
	{"/%0d/evil.example", "/account"},
	{"/%0d%0a/evil.example", "/account"},
	{"/%09%09/evil.example", "/account"},
	{"/%0b/evil.example", "/account"},
	{"/%00/evil.example", "/account"},
	{"/%7f/evil.example", "/account"},
	{"%09//evil.example", "/account"},
	{"%20//evil.example", "/account"},
	{"/%20/evil.example", "/account"},
	// Backslashes, raw and encoded.
	{"/%5Cevil.example", "/account"},
	{"/%5C/evil.example", "/account"},
	{"%5C%5Cevil.example", "/account"},
	{"%5C/evil.example", "/account"},
	{`/\evil.example`, "/account"},
	{`\\evil.example`, "/account"},
	// Scheme-relative, with more slashes, encoded slashes, userinfo.
	{"//evil.example", "/account"},
	{"%2F%2Fevil.example", "/account"},
	{"/%2F%2Fevil.example", "/account"},
	{"///evil.example", "/account"},
	{"////evil.example/", "/account"},
	{"//localhost@evil.example", "/account"},
	{"/%09/localhost@evil.example", "/account"},
	// Doubly encoded: harmless to a browser, refused all the same.
	{"/%252F%252Fevil.example", "/account"},
	{"/%255Cevil.example", "/account"},
	{"/%2509/evil.example", "/account"},
	// Absolute URLs and other schemes.
	{"https://evil.example", "/account"},
	{"https:evil.example", "/account"},
	{"http:/evil.example", "/account"},
	{"javascript:alert(document.domain)", "/account"},
	{"data:text/html,evil", "/account"},
	// Unicode look-alikes of "/" and "\".
	{"/%EF%BC%8F/evil.example", "/account"},        // fullwidth solidus
	{"%EF%BC%8F%EF%BC%8Fevil.example", "/account"}, // two of them
	{"/%E2%88%95evil.example", "/account"},         // division slash
	{"/%EF%BC%BCevil.example", "/account"},         // fullwidth reverse solidus
	{"/%E3%80%82evil.example", "/account"},         // ideographic full stop
	{"", "/account"},
	{"account", "/account"},
	// What a real next= looks like: a path and query on this site stays.
	{"%2Faccount%3Fdone%3Dx", "/account?done=x"},
	{"/account", "/account"},
	{"/admin/users?q=ke", "/admin/users"},
	{"/@evil.example", "/@evil.example"},
}

// TestSafeNext: every bypass becomes /account, a path on this site is kept.
func TestSafeNext(t *testing.T) {
	for _, c := range nextCases {
		v, err := url.QueryUnescape(c.raw)
		if err != nil {
			t.Fatalf("%q: %v", c.raw, err)
		}
		got := web.SafeNext(v)
		want := c.want
		if want != "/account" {
			want = v // kept as it is
		}
		if got != want {
			t.Errorf("next=%s (%q): safeNext gives %q, want %q", c.raw, v, got, want)
		}
	}
}

// TestRedirectsStayOnSiteInChromium asks real Chromium where it lands for
// every next= of nextCases, by both ways a next= is followed: a passkey
// sign-in (the finish request answers with the location the page's script
// goes to) and the sign-in page opened while signed in (a 303 with a
// Location header). Chromium resolves every host name except localhost to
// a server of the test's own, so a redirect to another host lands there
// instead of failing to resolve; the test reads the address of the page the
// browser shows and wants Rollcall's origin.
func TestRedirectsStayOnSiteInChromium(t *testing.T) {
	// Two instances on one database take turns, so that the sign-ins stay
	// within the ceremonies each allows one address (a passkey and a
	// session cookie for localhost serve every port).
	first := startServer(t)
	servers := []*testserver.Server{first, startServer(t, testserver.WithDatabase(first.DSN))}
	var mu sync.Mutex
	var hits []string
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.Host, "evil.example") && r.URL.Path != "/favicon.ico" { // not Chromium's own background requests
			mu.Lock()
			hits = append(hits, r.Host+r.URL.RequestURI())
			mu.Unlock()
		}
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<!doctype html><title>evil</title><main>another site</main>")
	}))
	t.Cleanup(evil.Close)
	_, evilPort, _ := net.SplitHostPort(evil.Listener.Addr().String())

	b := newBrowser(t, chromedp.Flag("host-resolver-rules", "MAP * 127.0.0.1:"+evilPort+", EXCLUDE localhost"))
	hideConditionalUI(t, b)
	addAuthenticator(t, b)
	admin := adminClient(t, first)
	u := createUser(t, admin, "grace", "Grace", "Hopper")
	link, err := admin.Users.CreateSetupLink(context.Background(), u.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	visit(t, b, link.Attributes.URL)
	click(t, b, "#passkey-button", "/account")

	for i, c := range nextCases {
		srv := servers[i%len(servers)]
		origin, err := url.Parse(srv.Config.PublicURL)
		if err != nil {
			t.Fatal(err)
		}
		signinURL := srv.Config.PublicURL + "/signin?next="
		// Signed out: the passkey sign-in's answer says where to go.
		if _, err := chromedp.Call(b, network.ClearBrowserCookies, cdp.Empty{}); err != nil {
			t.Fatal(err)
		}
		visit(t, b, signinURL+c.raw)
		signInWithPasskey(t, b)
		checkLanding(t, b, origin, "after a passkey sign-in with next="+c.raw, c.want)

		// Signed in: the sign-in page redirects at once.
		nctx, cancel := context.WithTimeout(b, stepTimeout)
		_, _ = chromedp.Run(nctx, chromedp.Navigate(signinURL+c.raw)) // an error page is an answer too
		cancel()
		checkLanding(t, b, origin, "opening the sign-in page signed in with next="+c.raw, c.want)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(hits) > 0 {
		t.Errorf("Chromium opened pages of another site %d times: %v", len(hits), hits)
	}
}

// signInWithPasskey clicks the sign-in button and waits until the page is
// left; when the server's limit on ceremonies per address (30 at once, one
// more a second) refuses, it waits as the page says and clicks again.
func signInWithPasskey(t *testing.T, b context.Context) {
	t.Helper()
	for try := 0; ; try++ {
		click(t, b, "#passkey-button", "")
		var status string
		err := waitTrue(b, `(() => { if (location.pathname !== "/signin") return true;
			const s = document.querySelector("#passkey-status"); return !!s && s.innerText.includes("Wait"); })()`)
		if err == nil {
			status, _ = chromedp.Run(b, chromedp.Evaluate[string](`location.pathname === "/signin" ? document.querySelector("#passkey-status").innerText : ""`))
		}
		if err != nil || status == "" || try == 10 {
			return // left the page, or checkLanding reports where it is
		}
		time.Sleep(2 * time.Second)
		_, _ = chromedp.Run(b, chromedp.Evaluate[bool](`(() => { document.querySelector("#passkey-status").innerText = ""; return true; })()`))
	}
}

// checkLanding waits until the tab has left the sign-in page and its
// document is loaded, then wants it on Rollcall's origin at path want.
func checkLanding(t *testing.T, b context.Context, origin *url.URL, what, want string) {
	t.Helper()
	deadline := time.Now().Add(stepTimeout)
	var at string
	for {
		h, err := chromedp.Run(b, chromedp.NavigationEntries())
		if err == nil && h.CurrentIndex >= 0 && int(h.CurrentIndex) < len(h.Entries) {
			at = h.Entries[h.CurrentIndex].URL
			u, perr := url.Parse(at)
			if perr != nil || u.Host != origin.Host || u.Path != "/signin" {
				ready, _ := chromedp.Run(b, chromedp.Evaluate[bool](`document.readyState === "complete"`))
				if ready {
					break
				}
			}
		}
		if time.Now().After(deadline) {
			t.Errorf("%s: the browser stayed at %s:\n%s", what, at, pageText(b))
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	u, err := url.Parse(at)
	switch {
	case err != nil:
		t.Errorf("%s: the browser is at %q, which does not parse: %v", what, at, err)
	case u.Scheme != origin.Scheme || u.Host != origin.Host:
		t.Errorf("%s: the browser left Rollcall for %s", what, at)
	case u.Path != strings.SplitN(want, "?", 2)[0]:
		t.Errorf("%s: the browser is at %s, want %s on Rollcall", what, at, want)
	}
}
