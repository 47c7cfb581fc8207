package cli

import (
	"strings"
	"testing"

	"github.com/rollcall/rollcall/internal/testserver"
)

// complete runs the shell completion of args (the last one being the word
// to complete) and returns the candidates, without the directive line.
func complete(t *testing.T, args ...string) []string {
	t.Helper()
	r := rc(t, append([]string{"__complete"}, args...)...)
	if r.code != 0 {
		t.Fatalf("__complete %s: exit %d: %s", strings.Join(args, " "), r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) == 0 || !strings.HasPrefix(lines[len(lines)-1], ":") {
		t.Fatalf("__complete %s: no directive: %q", strings.Join(args, " "), r.stdout)
	}
	var out []string
	for _, l := range lines[:len(lines)-1] {
		out = append(out, strings.SplitN(l, "\t", 2)[0])
	}
	return out
}

func TestCompletionUsesTheSavedLogin(t *testing.T) {
	isolate(t)
	srv := testserver.Start(t)
	// Before a login there is nothing to ask; completion stays quiet.
	if got := complete(t, "users", "get", "a"); len(got) != 0 {
		t.Errorf("without a login: %q", got)
	}
	ok(t, srv, "groups", "create", "staff")
	ok(t, srv, "groups", "create", "sales")
	for _, u := range []string{"ann", "andy", "bob"} {
		ok(t, srv, "users", "create", u, "--email", u+"@example.com")
	}
	ok(t, srv, "tokens", "create", "--name", "terraform")
	if r := rc(t, "login", "--url", srv.URL, "--token", srv.AdminToken); r.code != 0 {
		t.Fatal(r.stderr)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"users", "get", "a"}, "andy ann"},
		{[]string{"users", "delete", "ann", "b"}, "bob bootstrap-admin"},
		{[]string{"users", "delete", "andy", "an"}, "ann"},
		{[]string{"groups", "get", "s"}, "sales staff"},
		{[]string{"groups", "add-member", "s"}, "sales staff"},
		{[]string{"groups", "add-member", "staff", "an"}, "andy ann"},
		{[]string{"tokens", "revoke", "te"}, "terraform"},
		{[]string{"users", "list", "-o", ""}, "table json csv"},
		{[]string{"groups", "get", "staff", "--output", "j"}, "json"},
		{[]string{"export", "users", "-o", ""}, "csv json"},
		{[]string{"users", "list", "--group", "st"}, "staff"},
		{[]string{"users", "create", "x", "--groups", "staff,s"}, "staff,sales"},
		{[]string{"tokens", "list", "--user", "b"}, "bob bootstrap-admin"},
		{[]string{"audit", "list", "--action", "user.g"}, "user.groups. user.groups.update"},
	} {
		got := strings.Join(complete(t, tc.args...), " ")
		if got != tc.want {
			t.Errorf("complete %q: %q, want %q", tc.args, got, tc.want)
		}
	}
}
