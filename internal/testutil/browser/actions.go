package browser

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
)

// StepTimeout bounds one browser step, so that a ceremony that never
// finishes fails the test with a message instead of hanging it. It is a
// guard, not a measurement.
const StepTimeout = 45 * time.Second

// AddAuthenticator attaches a virtual platform authenticator to the tab:
// CTAP2, internal transport, resident keys and user verification, and
// presence confirmed automatically (the field has no omitempty, so leaving
// it out would send false and make every ceremony wait for a touch).
func AddAuthenticator(t testing.TB, ctx context.Context) webauthn.AuthenticatorID {
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

// HideConditionalUI makes the pages of the tab believe the browser has no
// conditional mediation (passkey autofill). Chromium's virtual
// authenticator answers a conditional request at once, which would sign
// in before the test clicks; with this the button path is tested, and
// conditional UI is tested where the script is removed again.
func HideConditionalUI(t testing.TB, ctx context.Context) page.ScriptIdentifier {
	t.Helper()
	res, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
		Source: `if (window.PublicKeyCredential) { PublicKeyCredential.isConditionalMediationAvailable = () => Promise.resolve(false); }`,
	})
	if err != nil {
		t.Fatalf("hide conditional UI: %v", err)
	}
	return res.Identifier
}

// ShowConditionalUI removes the script HideConditionalUI added.
func ShowConditionalUI(t testing.TB, ctx context.Context, id page.ScriptIdentifier) {
	t.Helper()
	if _, err := chromedp.Call(ctx, page.RemoveScriptToEvaluateOnNewDocument, page.RemoveScriptToEvaluateOnNewDocumentParams{Identifier: id}); err != nil {
		t.Fatalf("show conditional UI: %v", err)
	}
}

// Step runs browser actions with the Step timeout.
func Step(t testing.TB, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, StepTimeout)
	defer cancel()
	if err := chromedp.Do(sctx, actions...); err != nil {
		t.Fatalf("%s: %v\npage: %s", what, err, PageText(ctx))
	}
}

// Visit opens url and waits for the page's main element.
func Visit(t testing.TB, ctx context.Context, url string) {
	t.Helper()
	Step(t, ctx, "open "+url, chromedp.Navigate(url), chromedp.WaitReady(chromedp.CSS("main")))
}

// Click clicks the element as a person would (a user gesture) once it is
// visible and, when path is not empty, waits until the browser shows that
// path. The Click runs in the page, so a navigation it starts cannot leave
// the test waiting on a document that is gone.
func Click(t testing.TB, ctx context.Context, sel, path string) {
	t.Helper()
	expr := `(() => { const el = document.querySelector(` + JSString(sel) + `);
		if (!el || document.readyState !== "complete" || !(el.offsetWidth || el.offsetHeight || el.getClientRects().length)) return false;
		el.click(); return true; })()`
	if err := WaitTrue(ctx, expr, func(p *runtime.EvaluateParams) { yes := true; p.UserGesture = &yes }); err != nil {
		loc, _ := chromedp.Run(ctx, chromedp.Location())
		t.Fatalf("Click %s: %v; the browser is at %s showing:\n%s", sel, err, loc, PageText(ctx))
	}
	if path != "" {
		WaitPath(t, ctx, path)
	}
}

// WaitPath waits until location.pathname is path and the page is loaded.
func WaitPath(t testing.TB, ctx context.Context, path string) {
	t.Helper()
	expr := `location.pathname === ` + JSString(path) + ` && document.readyState === "complete" && !!document.querySelector("main")`
	if err := WaitTrue(ctx, expr); err != nil {
		loc, _ := chromedp.Run(ctx, chromedp.Location())
		t.Fatalf("waiting for %s: %v; the browser is at %s showing:\n%s", path, err, loc, PageText(ctx))
	}
}

// WaitText waits until the element's text contains want.
func WaitText(t testing.TB, ctx context.Context, sel, want string) {
	t.Helper()
	expr := `document.readyState === "complete" && (document.querySelector(` + JSString(sel) + `)?.innerText || "").includes(` + JSString(want) + `)`
	if err := WaitTrue(ctx, expr); err != nil {
		t.Fatalf("waiting for %q in %s: %v; the page shows:\n%s", want, sel, err, PageText(ctx))
	}
}

// WaitNoText waits until the element's text no longer contains gone.
func WaitNoText(t testing.TB, ctx context.Context, sel, gone string) {
	t.Helper()
	expr := `document.readyState === "complete" && !!document.querySelector(` + JSString(sel) + `) && !document.querySelector(` + JSString(sel) + `).innerText.includes(` + JSString(gone) + `)`
	if err := WaitTrue(ctx, expr); err != nil {
		t.Fatalf("waiting for %q to leave %s: %v; the page shows:\n%s", gone, sel, err, PageText(ctx))
	}
}

// WaitTrue evaluates expr until it is true. Errors while the page
// navigates (the expression's document goes away) are retried.
func WaitTrue(ctx context.Context, expr string, opts ...chromedp.EvaluateOption) error {
	sctx, cancel := context.WithTimeout(ctx, StepTimeout)
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

// PageText is the visible text of the page, for failure messages and
// assertions on what a person reads.
func PageText(ctx context.Context) string {
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	s, err := chromedp.Run(sctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
	if err != nil {
		return "(page text unavailable: " + err.Error() + ")"
	}
	return s
}

// JSString quotes s as a JavaScript string literal.
func JSString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}
