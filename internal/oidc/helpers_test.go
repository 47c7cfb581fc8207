package oidc_test

// The server and API client the page tests start; the browser steps are
// internal/testutil/browser's, shared with internal/web's tests.

import (
	"context"
	"net"
	"testing"

	"github.com/rollcall/rollcall/client"
	"github.com/rollcall/rollcall/internal/config"
	"github.com/rollcall/rollcall/internal/testserver"
	"github.com/rollcall/rollcall/internal/testutil/browser"
)

// The browser steps every page test takes (internal/testutil/browser).
var (
	addAuthenticator  = browser.AddAuthenticator
	hideConditionalUI = browser.HideConditionalUI
	visit             = browser.Visit
	click             = browser.Click
	waitPath          = browser.WaitPath
	waitText          = browser.WaitText
)

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
