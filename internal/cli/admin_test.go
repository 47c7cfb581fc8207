package cli

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rollcall/rollcall/internal/testserver"
	"github.com/rollcall/rollcall/internal/token"
)

func TestAdminCreateTokenWorksOnTheDatabase(t *testing.T) {
	db := filepath.Join(t.TempDir(), "rollcall.db")
	create := func(args ...string) string {
		t.Helper()
		var stdout, stderr bytes.Buffer
		code := Run(context.Background(), append([]string{"admin", "create-token", "--database", db}, args...), strings.NewReader(""), &stdout, &stderr)
		if code != ExitOK {
			t.Fatalf("admin create-token %v: exit %d: %s", args, code, stderr.String())
		}
		tok := strings.TrimSpace(stdout.String())
		if !token.WellFormed(tok) || stdout.String() != tok+"\n" {
			t.Fatalf("stdout is %q, want only a token", stdout.String())
		}
		return tok
	}
	first := create("--name", "terraform", "--create")
	second := create("--name", "ci")
	if first == second {
		t.Fatal("two runs printed the same token")
	}

	srv := testserver.Start(t, testserver.WithDatabase(db))
	for _, tok := range []string{first, second} {
		r := serveCall(t, srv, tok, "/api/v1/account")
		if r.code != 200 || !strings.Contains(r.body, `"username":"rollcall-admin"`) || !strings.Contains(r.body, `"is-admin":true`) || !strings.Contains(r.body, `"service-account":true`) {
			t.Fatalf("account with the created token: %d %s", r.code, r.body)
		}
	}
	r := serveCall(t, srv, srv.AdminToken, "/api/v1/users?filter[username]=rollcall-admin")
	if strings.Count(r.body, `"type":"users"`) != 1 {
		t.Fatalf("want exactly one rollcall-admin user: %s", r.body)
	}
}

func TestAdminCreateTokenNeedsAName(t *testing.T) {
	var stderr bytes.Buffer
	code := Run(context.Background(), []string{"admin", "create-token", "--database", filepath.Join(t.TempDir(), "x.db")}, strings.NewReader(""), &bytes.Buffer{}, &stderr)
	if code != ExitUsage || !strings.Contains(stderr.String(), "--name is required") {
		t.Fatalf("exit %d, stderr %q", code, stderr.String())
	}
}

type serveResult struct {
	code int
	body string
}

func serveCall(t *testing.T, srv *testserver.Server, tok, path string) serveResult {
	t.Helper()
	code, body := serveGet(t, srv.URL+path, tok)
	return serveResult{code, body}
}
