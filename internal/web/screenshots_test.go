package web_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"flag"
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/rollcall/rollcall/internal/store"
	"github.com/rollcall/rollcall/internal/testserver"
)

var updateScreenshots = flag.Bool("update-screenshots", false, "write the screenshots of the pages to docs/screenshots/")

// TestScreenshots renders the sign-in page, the account page and the admin
// user list in Chromium over sample data. With -update-screenshots it
// writes them to docs/screenshots/ (see docs/web.md); without, it checks
// they render to real images.
//
//	go test ./internal/web -run TestScreenshots -update-screenshots
func TestScreenshots(t *testing.T) {
	srv := startServer(t)
	admin := adminClient(t, srv)
	seedDirectory(t, srv)
	b := newBrowser(t)
	hideConditionalUI(t, b)
	addAuthenticator(t, b)
	margaret := signInAdmin(t, srv, admin, b, "margaret")
	auth := srv.Store.(store.AuthStore)
	phone := addFakePasskey(t, auth, margaret.ID, "iPhone 16", true)
	// Signed in on her phone too, so the account page lists two devices.
	signedInAt := time.Now().Add(-5 * time.Hour).UTC()
	sum := sha256.Sum256([]byte("screenshot-phone-session"))
	if err := auth.RecordSignIn(context.Background(), store.SignIn{UserID: margaret.ID, PasskeyID: phone.ID, SignCount: 3, At: signedInAt,
		Session: store.Session{Hash: sum[:], UserID: margaret.ID, CreatedAt: signedInAt, ExpiresAt: signedInAt.Add(12 * time.Hour),
			LastSeenAt: signedInAt.Add(2 * time.Hour), UserAgent: "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
			ClientIP: "198.51.100.23"}}, store.Meta{ActorName: "seed"}); err != nil {
		t.Fatal(err)
	}
	click(t, b, ".signout button", "/signin")
	click(t, b, "#passkey-button", "/account")
	pks, err := auth.ListPasskeys(context.Background(), margaret.ID)
	if err != nil || len(pks) != 2 || pks[1].ID != phone.ID {
		t.Fatalf("passkeys: %d, %v; want the browser's and the phone's", len(pks), err)
	}
	if _, err := auth.RenamePasskey(context.Background(), margaret.ID, pks[0].ID, "MacBook Pro (Touch ID)", store.Meta{}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"engineering", "operations"} {
		g, err := srv.Store.GetGroupByName(context.Background(), name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := srv.Store.ChangeUserGroups(context.Background(), margaret.ID, 0, store.MembershipAdd, []string{g.ID}, store.Meta{}); err != nil {
			t.Fatal(err)
		}
	}

	dir := t.TempDir()
	if *updateScreenshots {
		dir = filepath.Join("..", "..", "docs", "screenshots")
	}
	shoot := func(name, url string, width, height int64) {
		t.Helper()
		step(t, b, "viewport", chromedp.EmulateViewport(width, height))
		visit(t, b, url)
		waitTrue(b, `document.fonts ? document.fonts.status === "loaded" : true`)
		img, err := chromedp.Run(b, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatalf("screenshot of %s: %v", url, err)
		}
		cfg, err := png.DecodeConfig(bytes.NewReader(img))
		if err != nil || cfg.Width < int(width) || cfg.Height < int(height) {
			t.Fatalf("screenshot of %s is not a %dx%d PNG: %v %+v", url, width, height, err, cfg)
		}
		if err := os.WriteFile(filepath.Join(dir, name), img, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	shoot("account.png", srv.URL+"/account", 1280, 1080)
	shoot("admin-users.png", srv.URL+"/admin/users", 1280, 820)
	shoot("admin-users-phone.png", srv.URL+"/admin/users?sort=last-sign-in&dir=desc", 390, 844)
	shoot("admin-audit-phone.png", srv.URL+"/admin/audit", 390, 844)
	click(t, b, ".signout button", "/signin")
	shoot("signin.png", srv.URL+"/signin", 1280, 720)
	shoot("signin-phone.png", srv.URL+"/signin", 390, 740)
}

// seedDirectory fills the server with a small company.
func seedDirectory(t *testing.T, srv *testserver.Server) {
	t.Helper()
	ctx := context.Background()
	auth := srv.Store.(store.AuthStore)
	m := store.Meta{ActorName: "seed"}
	eng, err := srv.Store.CreateGroup(ctx, store.Group{Name: "engineering", FriendlyName: "Engineering"}, m)
	if err != nil {
		t.Fatal(err)
	}
	ops, err := srv.Store.CreateGroup(ctx, store.Group{Name: "operations", FriendlyName: "Operations"}, m)
	if err != nil {
		t.Fatal(err)
	}
	people := []struct {
		user, first, last, title, dept string
		admin, disabled                bool
		passkeys                       int
		group                          string
	}{
		{"ada.lovelace", "Ada", "Lovelace", "Principal engineer", "Engineering", false, false, 2, eng.ID},
		{"alan.turing", "Alan", "Turing", "Research lead", "Research", false, false, 1, eng.ID},
		{"barbara.liskov", "Barbara", "Liskov", "Architect", "Engineering", true, false, 1, eng.ID},
		{"dennis.ritchie", "Dennis", "Ritchie", "Systems engineer", "Infrastructure", false, true, 1, ops.ID},
		{"edsger.dijkstra", "Edsger", "Dijkstra", "Staff engineer", "Engineering", false, false, 1, eng.ID},
		{"frances.allen", "Frances", "Allen", "Compiler engineer", "Engineering", false, false, 0, eng.ID},
		{"grace.hopper", "Grace", "Hopper", "VP Engineering", "Engineering", true, false, 2, eng.ID},
		{"john.backus", "John", "Backus", "Engineer", "Engineering", false, false, 0, ""},
		{"ken.thompson", "Ken", "Thompson", "SRE", "Infrastructure", false, false, 1, ops.ID},
		{"radia.perlman", "Radia", "Perlman", "Network engineer", "Infrastructure", false, false, 1, ops.ID},
	}
	for i, p := range people {
		var groups []string
		if p.group != "" {
			groups = []string{p.group}
		}
		u, err := srv.Store.CreateUser(ctx, store.User{Username: p.user, Email: p.user + "@example.com", FirstName: p.first, LastName: p.last,
			Title: p.title, Department: p.dept, IsAdmin: p.admin, Disabled: p.disabled, GroupIDs: groups}, m)
		if err != nil {
			t.Fatal(err)
		}
		for k := range p.passkeys {
			pk := addFakePasskey(t, auth, u.ID, []string{"MacBook Air", "Pixel 9", "YubiKey 5"}[k%3], false)
			if k == 0 {
				at := time.Now().Add(-time.Duration(i*7+3) * time.Hour)
				if err := auth.RecordSignIn(ctx, store.SignIn{UserID: u.ID, PasskeyID: pk.ID, SignCount: 2, At: at}, m); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
}

// addFakePasskey stores a passkey record for display only: its key is
// random bytes, so nothing can sign in with it.
func addFakePasskey(t *testing.T, auth store.AuthStore, userID, name string, used bool) store.Passkey {
	t.Helper()
	id := make([]byte, 32)
	_, _ = rand.Read(id)
	p := store.Passkey{UserID: userID, CredentialID: id, PublicKey: id, Name: name, Transports: []string{"internal"}}
	if used {
		at := time.Now().Add(-26 * time.Hour)
		p.LastUsedAt = &at
	}
	p, err := auth.CreatePasskey(context.Background(), p, store.Meta{ActorName: "seed"})
	if err != nil {
		t.Fatal(err)
	}
	return p
}
