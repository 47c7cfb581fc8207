package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rollcall/rollcall/internal/config"
	"github.com/rollcall/rollcall/internal/server"
	"github.com/rollcall/rollcall/internal/store/sqlstore"
	"github.com/rollcall/rollcall/internal/token"
)

func runAdmin(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := Run(context.Background(), append([]string{"admin"}, args...), strings.NewReader(""), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// TestAdminRefusesMissingDatabase (issue 17 item 5): a mistyped --database
// is refused with its path instead of becoming a new, empty database whose
// token works on no server; --create makes a new one on purpose; and the
// command says which database the token is for.
func TestAdminRefusesMissingDatabase(t *testing.T) {
	dir := t.TempDir()
	typo := filepath.Join(dir, "typo.db")
	code, stdout, stderr := runAdmin(t, "create-token", "--database", typo, "--name", "cli")
	if code != ExitUsage || stdout != "" || !strings.Contains(stderr, typo) || !strings.Contains(stderr, "does not exist") ||
		!strings.Contains(stderr, "--create") {
		t.Fatalf("create-token on a missing database: exit %d\nstdout %q\nstderr %q", code, stdout, stderr)
	}
	if _, err := os.Stat(typo); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("the refused command left a file at %s: %v", typo, err)
	}
	code, _, stderr = runAdmin(t, "setup-link", "admin", "--database", typo)
	if code != ExitUsage || !strings.Contains(stderr, typo) || !strings.Contains(stderr, "does not exist") {
		t.Fatalf("setup-link on a missing database: exit %d, stderr %q", code, stderr)
	}
	code, stdout, stderr = runAdmin(t, "create-token", "--database", typo, "--name", "cli", "--create")
	if code != ExitOK || !token.WellFormed(strings.TrimSpace(stdout)) || !strings.Contains(stderr, typo) {
		t.Fatalf("create-token --create: exit %d\nstdout %q\nstderr %q", code, stdout, stderr)
	}
	code, stdout, stderr = runAdmin(t, "create-token", "--database", typo, "--name", "again")
	if code != ExitOK || !token.WellFormed(strings.TrimSpace(stdout)) || !strings.Contains(stderr, "database "+typo) {
		t.Fatalf("create-token on the database made before: exit %d\nstdout %q\nstderr %q", code, stdout, stderr)
	}
}

// TestAdminSetupLink (issue 17 item 6): `rollcall admin setup-link USER`
// works on the database without a server or token, prints a fresh link
// with its expiry and revokes the user's older link.
func TestAdminSetupLink(t *testing.T) {
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "rollcall.db")
	st, err := sqlstore.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	srv, err := server.New(cfg, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	printed, err := srv.FirstAdminLink(ctx)
	if err != nil || printed.URL == "" {
		t.Fatalf("first admin link: %+v, %v", printed, err)
	}
	srv.Close()
	st.Close()

	code, stdout, stderr := runAdmin(t, "setup-link", "admin", "--database", db, "--url", "https://id.example.com/")
	url := strings.TrimSpace(stdout)
	if code != ExitOK || !strings.HasPrefix(url, "https://id.example.com/setup/") || !strings.Contains(stderr, "expires") ||
		!strings.Contains(stderr, "admin") {
		t.Fatalf("admin setup-link: exit %d\nstdout %q\nstderr %q", code, stdout, stderr)
	}
	st, err = sqlstore.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if l := linkOf(t, st, printed.URL); l.RevokedAt == nil {
		t.Fatal("the link printed at start still works after admin setup-link made a new one")
	}
	sum := sha256.Sum256([]byte(strings.TrimPrefix(url, "https://id.example.com/setup/")))
	l, err := st.GetSetupLink(ctx, sum[:])
	if err != nil || !l.Outstanding(time.Now()) {
		t.Fatalf("the new link: %+v, %v", l, err)
	}
	code, _, stderr = runAdmin(t, "setup-link", "nobody", "--database", db)
	if code != ExitNotFound || !strings.Contains(stderr, `"nobody"`) {
		t.Fatalf("setup-link for an unknown user: exit %d, stderr %q", code, stderr)
	}
}
