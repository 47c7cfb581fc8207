package oidc_test

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rollcall/rollcall/api"
	"github.com/rollcall/rollcall/internal/store"
)

// TestOpenIDClient runs a second, independent relying party against
// Rollcall: panva's openid-client (npm, installed by the test into a
// temporary directory), strict about issuer, state, nonce, PKCE and the
// JWKS, through the code flow, userinfo, refresh, introspection,
// revocation and the device grant. The browser's part is played over plain
// HTTP with a signed-in session's cookie.
func TestOpenIDClient(t *testing.T) {
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("this test needs %s (Node.js 20 or newer): apt-get install -y nodejs npm", tool)
		}
	}
	dir := t.TempDir()
	for _, f := range []string{"package.json", "rp.mjs"} {
		b, err := os.ReadFile(filepath.Join("testdata", "openid-client", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	install := exec.Command("npm", "install", "--no-audit", "--no-fund", "--silent")
	install.Dir = dir
	if out, err := install.CombinedOutput(); err != nil {
		t.Fatalf("npm install openid-client (needs the npm registry): %v\n%s", err, out)
	}

	ctx := context.Background()
	srv := startServer(t)
	issuer := srv.Config.PublicURL
	admin := adminClient(t, srv)
	ada, err := admin.Users.Create(ctx, api.UserWriteAttributes{Username: api.Some("ada"), Email: api.Some("ada@example.com")}, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	auth := srv.Store.(store.AuthStore)
	pk, err := auth.CreatePasskey(ctx, store.Passkey{UserID: ada.ID, CredentialID: []byte("cred"), PublicKey: []byte("key"), Name: "Laptop"}, store.Meta{ActorName: "test"})
	if err != nil {
		t.Fatal(err)
	}
	const cookie = "session-secret-for-the-openid-client-test"
	sum := sha256.Sum256([]byte(cookie))
	now := time.Now()
	if err := auth.RecordSignIn(ctx, store.SignIn{UserID: ada.ID, PasskeyID: pk.ID, SignCount: 1, At: now,
		Session: store.Session{Hash: sum[:], UserID: ada.ID, CreatedAt: now, ExpiresAt: now.Add(time.Hour), LastSeenAt: now}}, store.Meta{ActorName: "test"}); err != nil {
		t.Fatal(err)
	}
	redirect := "http://127.0.0.1:9/callback" // never contacted: the test reads the redirect
	cl, err := admin.OIDCClients.Create(ctx, api.OIDCClientWriteAttributes{
		Name: api.Some("Node app"), RedirectURIs: api.Some([]string{redirect}), SkipConsent: api.Some(true),
		GrantTypes: api.Some([]string{"authorization_code", "refresh_token", api.GrantDeviceCode}),
	})
	if err != nil {
		t.Fatal(err)
	}

	jar, _ := cookiejar.New(nil)
	u, _ := url.Parse(issuer)
	jar.SetCookies(u, []*http.Cookie{{Name: "rollcall_session", Value: cookie, Path: "/"}})
	browser := &http.Client{Jar: jar, CheckRedirect: func(r *http.Request, _ []*http.Request) error {
		if strings.HasPrefix(r.URL.String(), redirect) {
			return http.ErrUseLastResponse
		}
		return nil
	}}

	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	node := exec.CommandContext(ctx, "node", "rp.mjs", issuer, cl.ID, cl.Attributes.ClientSecret, redirect)
	node.Dir = dir
	stdin, _ := node.StdinPipe()
	stdout, _ := node.StdoutPipe()
	var stderr strings.Builder
	node.Stderr = &stderr
	if err := node.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = node.Process.Kill(); _ = node.Wait() }()
	send := func(v any) {
		b, _ := json.Marshal(v)
		if _, err := fmt.Fprintf(stdin, "%s\n", b); err != nil {
			t.Fatalf("writing to openid-client: %v", err)
		}
	}
	lines := bufio.NewScanner(stdout)
	lines.Buffer(make([]byte, 1<<20), 1<<20)
	var result map[string]any
	for result == nil {
		if !lines.Scan() {
			t.Fatalf("openid-client stopped: %v\n%s", lines.Err(), stderr.String())
		}
		var msg struct {
			Authorize string `json:"authorize"`
			Device    *struct {
				UserCode string `json:"user_code"`
				Complete string `json:"verification_uri_complete"`
			} `json:"device"`
			Result map[string]any `json:"result"`
		}
		if err := json.Unmarshal(lines.Bytes(), &msg); err != nil {
			t.Fatalf("openid-client printed %q: %v", lines.Text(), err)
		}
		switch {
		case msg.Authorize != "":
			res, err := browser.Get(msg.Authorize)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			loc := res.Header.Get("Location")
			if !strings.HasPrefix(loc, redirect) {
				t.Fatalf("authorize for openid-client: %d, Location %q", res.StatusCode, loc)
			}
			send(map[string]string{"callback": loc})
		case msg.Device != nil:
			// The person opens the verification URI and agrees.
			res, err := browser.Get(msg.Device.Complete)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			form := url.Values{"id": {msg.Device.UserCode}, "decision": {"allow"}}
			rq, _ := http.NewRequest("POST", issuer+"/oauth2/device/decide", strings.NewReader(form.Encode()))
			rq.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			rq.Header.Set("Origin", issuer)
			res, err = browser.Do(rq)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != 200 || !strings.Contains(string(body), "is signed in as ada") {
				t.Fatalf("approving the device: %d %s", res.StatusCode, body)
			}
			send(map[string]bool{"approved": true})
		case msg.Result != nil:
			result = msg.Result
		}
	}
	if result["sub"] != ada.ID || result["email"] != "ada@example.com" || result["rotated"] != true ||
		result["live"] != true || result["revoked"] != false || result["device_sub"] != ada.ID ||
		result["userinfo_after_revocation"] != "401 bearer invalid_token" {
		t.Fatalf("openid-client's results: %v\n%s", result, stderr.String())
	}
}
