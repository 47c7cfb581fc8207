package web_test

import (
	"context"
	"crypto/sha256"
	"net"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"github.com/rollcall/rollcall/api"
	"github.com/rollcall/rollcall/client"
	"github.com/rollcall/rollcall/internal/config"
	"github.com/rollcall/rollcall/internal/store"
	"github.com/rollcall/rollcall/internal/testserver"
	"github.com/rollcall/rollcall/internal/testutil/browser"
)

// The browser steps every page test takes (internal/testutil/browser).
const stepTimeout = browser.StepTimeout

var (
	addAuthenticator  = browser.AddAuthenticator
	hideConditionalUI = browser.HideConditionalUI
	showConditionalUI = browser.ShowConditionalUI
	step              = browser.Step
	visit             = browser.Visit
	click             = browser.Click
	waitPath          = browser.WaitPath
	waitText          = browser.WaitText
	waitNoText        = browser.WaitNoText
	waitTrue          = browser.WaitTrue
	pageText          = browser.PageText
	jsString          = browser.JSString
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

// createUser makes a user through the API, as an admin would.
func createUser(t *testing.T, c *client.Client, username, first, last string) *api.User {
	t.Helper()
	u, err := c.Users.Create(context.Background(), api.UserWriteAttributes{
		Username: api.Some(username), Email: api.Some(username + "@example.com"),
		FirstName: api.Some(first), LastName: api.Some(last),
	}, nil, "")
	if err != nil {
		t.Fatalf("create user %s through the API: %v", username, err)
	}
	return u
}

// newBrowser starts headless Chromium with a fresh profile and returns the
// context of its first tab; extra adds command-line flags.
func newBrowser(t *testing.T, extra ...chromedp.ExecAllocatorOption) context.Context {
	return browser.New(t, extra...)
}

func removeAuthenticator(t *testing.T, ctx context.Context, id webauthn.AuthenticatorID) {
	t.Helper()
	if _, err := chromedp.Call(ctx, webauthn.RemoveVirtualAuthenticator, webauthn.RemoveVirtualAuthenticatorParams{AuthenticatorID: id}); err != nil {
		t.Fatalf("remove virtual authenticator: %v", err)
	}
}

// exportCredentials reads the credentials (with their private keys) of a
// virtual authenticator, to put them into another one later: the same
// passkey on a device that comes back.
func exportCredentials(t *testing.T, ctx context.Context, id webauthn.AuthenticatorID) []*webauthn.Credential {
	t.Helper()
	res, err := chromedp.Call(ctx, webauthn.GetCredentials, webauthn.GetCredentialsParams{AuthenticatorID: id})
	if err != nil {
		t.Fatalf("read virtual authenticator credentials: %v", err)
	}
	if len(res.Credentials) == 0 {
		t.Fatal("the virtual authenticator holds no credential")
	}
	return res.Credentials
}

// importCredentials adds credentials read by exportCredentials to another
// virtual authenticator. It sends its own parameters, without the CMTG key
// fields that cdproto always sends and that an authenticator without that
// extension refuses.
func importCredentials(t *testing.T, ctx context.Context, id webauthn.AuthenticatorID, creds []*webauthn.Credential) {
	t.Helper()
	type credential struct {
		CredentialID         []byte  `json:"credentialId"`
		IsResidentCredential bool    `json:"isResidentCredential"`
		RpID                 string  `json:"rpId"`
		PrivateKey           []byte  `json:"privateKey"`
		UserHandle           []byte  `json:"userHandle,omitempty"`
		SignCount            float64 `json:"signCount"`
		BackupEligibility    bool    `json:"backupEligibility"`
		BackupState          bool    `json:"backupState"`
		UserName             string  `json:"userName,omitempty"`
		UserDisplayName      string  `json:"userDisplayName,omitempty"`
	}
	type params struct {
		AuthenticatorID webauthn.AuthenticatorID `json:"authenticatorId"`
		Credential      credential               `json:"credential"`
	}
	add := cdp.Command[params, cdp.Empty]{Method: webauthn.CommandAddCredential}
	for _, c := range creds {
		if _, err := chromedp.Call(ctx, add, params{AuthenticatorID: id, Credential: credential{
			CredentialID: c.CredentialID, IsResidentCredential: c.IsResidentCredential, RpID: c.RpID,
			PrivateKey: c.PrivateKey, UserHandle: c.UserHandle, SignCount: c.SignCount,
			BackupEligibility: c.BackupEligibility, BackupState: c.BackupState,
			UserName: c.UserName, UserDisplayName: c.UserDisplayName,
		}}); err != nil {
			t.Fatalf("add credential to virtual authenticator: %v", err)
		}
	}
}

// auditActions counts the audit events about a user by action.
func auditActions(t *testing.T, st store.Store, userID string) map[string]int {
	t.Helper()
	evs, _, err := st.ListAuditEvents(context.Background(), store.AuditFilter{TargetID: userID}, store.Page{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, e := range evs {
		out[e.Action]++
	}
	return out
}

// insertSetupLink stores a setup link with a known secret and expiry
// directly, for links an API call cannot make (already expired).
func insertSetupLink(t *testing.T, srv *testserver.Server, userID, secret string, expires time.Time) {
	t.Helper()
	auth := srv.Store.(store.AuthStore)
	sum := sha256.Sum256([]byte(secret))
	if _, err := auth.CreateSetupLink(context.Background(), store.SetupLink{UserID: userID, Hash: sum[:], ExpiresAt: expires}, store.Meta{ActorName: "test"}); err != nil {
		t.Fatal(err)
	}
}
