package oidc_test

// Browser helpers, as in internal/web's tests (a test package's helpers
// cannot be imported): headless Chromium with a virtual authenticator.

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"github.com/rollcall/rollcall/client"
	"github.com/rollcall/rollcall/internal/config"
	"github.com/rollcall/rollcall/internal/testserver"
	"github.com/rollcall/rollcall/internal/testutil/browser"
)

// stepTimeout bounds one browser step, so that a ceremony that never
// finishes fails the test with a message instead of hanging it. It is a
// guard, not a measurement.
const stepTimeout = 45 * time.Second

// startServer runs the real server on 127.0.0.1 with ROLLCALL_URL set to
// http://localhost:PORT: browsers treat localhost as a secure context and
// accept it as a WebAuthn relying party id, which an IP address is not.
func startServer(t *testing.T, opts ...testserver.Option) *testserver.Server {
	t.Helper()
	opts = append(opts, testserver.WithConfig(func(c *config.Config) {
		_, port, _ := net.SplitHostPort(c.Addr)
		c.PublicURL = "http://localhost:" + port
	}))
	return testserver.Start(t, opts...)
}

// adminClient is an API client with the test server's admin token.
func adminClient(t *testing.T, srv *testserver.Server) *client.Client {
	t.Helper()
	c, err := client.New(srv.URL, client.WithToken(srv.AdminToken))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// newBrowser starts headless Chromium with a fresh profile and returns the
// context of its first tab.
func newBrowser(t *testing.T) context.Context {
	return browser.New(t)
}

// addAuthenticator attaches a virtual platform authenticator to the tab:
// CTAP2, internal transport, resident keys and user verification, and
// presence confirmed automatically (the field has no omitempty, so leaving
// it out would send false and make every ceremony wait for a touch).
func addAuthenticator(t *testing.T, ctx context.Context) webauthn.AuthenticatorID {
	t.Helper()
	if _, err := chromedp.Call(ctx, webauthn.Enable, webauthn.EnableParams{}); err != nil {
		t.Fatalf("enable WebAuthn domain: %v", err)
	}
	res, err := chromedp.Call(ctx, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{
		Options: &webauthn.VirtualAuthenticatorOptions{
			Protocol:                    webauthn.AuthenticatorProtocolCtap2,
			Ctap2version:                webauthn.Ctap2versionCtap21,
			Transport:                   webauthn.AuthenticatorTransportInternal,
			HasResidentKey:              true,
			HasUserVerification:         true,
			IsUserVerified:              true,
			AutomaticPresenceSimulation: true,
		},
	})
	if err != nil {
		t.Fatalf("add virtual authenticator: %v", err)
	}
	return res.AuthenticatorID
}

// hideConditionalUI makes the pages of the tab believe the browser has no
// conditional mediation (passkey autofill). Chromium's virtual
// authenticator answers a conditional request at once, which would sign
// in before the test clicks; with this the button path is tested, and
// conditional UI is tested where the script is removed again.
func hideConditionalUI(t *testing.T, ctx context.Context) page.ScriptIdentifier {
	t.Helper()
	res, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
		Source: `if (window.PublicKeyCredential) { PublicKeyCredential.isConditionalMediationAvailable = () => Promise.resolve(false); }`,
	})
	if err != nil {
		t.Fatalf("hide conditional UI: %v", err)
	}
	return res.Identifier
}

// step runs browser actions with the step timeout.
func step(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(sctx, actions...); err != nil {
		t.Fatalf("%s: %v\npage: %s", what, err, pageText(ctx))
	}
}

// visit opens url and waits for the page's main element.
func visit(t *testing.T, ctx context.Context, url string) {
	t.Helper()
	step(t, ctx, "open "+url, chromedp.Navigate(url), chromedp.WaitReady(chromedp.CSS("main")))
}

// click clicks the element as a person would (a user gesture) once it is
// visible and, when path is not empty, waits until the browser shows that
// path. The click runs in the page, so a navigation it starts cannot leave
// the test waiting on a document that is gone.
func click(t *testing.T, ctx context.Context, sel, path string) {
	t.Helper()
	expr := `(() => { const el = document.querySelector(` + jsString(sel) + `);
		if (!el || document.readyState !== "complete" || !(el.offsetWidth || el.offsetHeight || el.getClientRects().length)) return false;
		el.click(); return true; })()`
	if err := waitTrue(ctx, expr, func(p *runtime.EvaluateParams) { yes := true; p.UserGesture = &yes }); err != nil {
		loc, _ := chromedp.Run(ctx, chromedp.Location())
		t.Fatalf("click %s: %v; the browser is at %s showing:\n%s", sel, err, loc, pageText(ctx))
	}
	if path != "" {
		waitPath(t, ctx, path)
	}
}

// waitPath waits until location.pathname is path and the page is loaded.
func waitPath(t *testing.T, ctx context.Context, path string) {
	t.Helper()
	expr := `location.pathname === ` + jsString(path) + ` && document.readyState === "complete" && !!document.querySelector("main")`
	if err := waitTrue(ctx, expr); err != nil {
		loc, _ := chromedp.Run(ctx, chromedp.Location())
		t.Fatalf("waiting for %s: %v; the browser is at %s showing:\n%s", path, err, loc, pageText(ctx))
	}
}

// waitText waits until the element's text contains want.
func waitText(t *testing.T, ctx context.Context, sel, want string) {
	t.Helper()
	expr := `document.readyState === "complete" && (document.querySelector(` + jsString(sel) + `)?.innerText || "").includes(` + jsString(want) + `)`
	if err := waitTrue(ctx, expr); err != nil {
		t.Fatalf("waiting for %q in %s: %v; the page shows:\n%s", want, sel, err, pageText(ctx))
	}
}

// waitTrue evaluates expr until it is true. Errors while the page
// navigates (the expression's document goes away) are retried.
func waitTrue(ctx context.Context, expr string, opts ...chromedp.EvaluateOption) error {
	sctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	var last error
	for {
		ok, err := chromedp.Run(sctx, chromedp.Evaluate[bool](expr, opts...))
		if err == nil && ok {
			return nil
		}
		if err != nil {
			last = err
		}
		select {
		case <-sctx.Done():
			if last != nil {
				return fmt.Errorf("%w (last error: %v)", sctx.Err(), last)
			}
			return sctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// pageText is the visible text of the page, for failure messages and
// assertions on what a person reads.
func pageText(ctx context.Context) string {
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	s, err := chromedp.Run(sctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
	if err != nil {
		return "(page text unavailable: " + err.Error() + ")"
	}
	return s
}

func jsString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}
