// Package browser starts the headless Chromium that the page tests drive
// (internal/web, internal/oidc), so that they find it the same way.
package browser

import (
	"context"
	"os"
	"os/exec"
	"testing"

	"github.com/chromedp/chromedp"
)

// EnvPath names the variable that points the tests at a Chromium or Chrome
// binary; scripts/test sets it to what it found.
const EnvPath = "ROLLCALL_TEST_CHROMIUM"

// candidates are the names Chromium and Chrome go by on Debian, Ubuntu and
// Google's packages, tried on PATH in this order.
var candidates = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}

// Path returns the browser to drive: $ROLLCALL_TEST_CHROMIUM, Debian's
// /usr/bin/chromium, or the first of candidates on PATH. A missing browser
// fails the test with the command that installs one.
func Path(t testing.TB) string {
	t.Helper()
	if p := os.Getenv(EnvPath); p != "" {
		if _, err := exec.LookPath(p); err != nil {
			t.Fatalf("%s=%s, but that is not an executable browser: %v", EnvPath, p, err)
		}
		return p
	}
	if _, err := exec.LookPath("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	for _, name := range candidates {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatalf("the browser tests need Chromium and found none (looked for $%s, /usr/bin/chromium and %v on PATH); "+
		"install it with: apt-get update && apt-get install -y chromium — or run scripts/test, which does", EnvPath, candidates)
	return ""
}

// New starts headless Chromium with a fresh profile in a 1280×900 window and
// returns the context of its first tab; extra adds or overrides options.
// The browser is closed when the test ends.
func New(t testing.TB, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(Path(t)),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	opts = append(opts, extra...)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	return ctx
}
