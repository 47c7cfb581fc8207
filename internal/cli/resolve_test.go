package cli

import (
	"strings"
	"testing"

	"github.com/rollcall/rollcall/internal/testserver"
)

// TestResolveTokensLikeUsersAndGroups: every resource argument takes an
// id or a name, a miss is one clean line, and a name that fits more than
// one is refused with the candidates.
func TestResolveTokensLikeUsersAndGroups(t *testing.T) {
	isolate(t)
	srv := testserver.Start(t)
	ok(t, srv, "users", "create", "ci-bot", "--email", "ci@example.com", "--is-admin")
	ok(t, srv, "users", "create", "deploy-bot", "--email", "deploy@example.com", "--is-admin")
	ok(t, srv, "groups", "create", "staff")
	ok(t, srv, "tokens", "create", "--name", "terraform", "--user", "ci-bot")
	ok(t, srv, "tokens", "create", "--name", "ci", "--user", "ci-bot")
	ok(t, srv, "tokens", "create", "--name", "ci", "--user", "deploy-bot")

	// tokens list names the owners.
	list := ok(t, srv, "tokens", "list")
	lines := strings.Split(strings.TrimSpace(list), "\n")
	if len(lines) != 5 {
		t.Fatalf("tokens list:\n%s", list)
	}
	for _, line := range lines[1:] {
		// The token's own id starts the line; no other id may follow.
		if ids := uuidRE.FindAllString(line, -1); len(ids) != 1 || !strings.Contains(line, "-bot") && !strings.Contains(line, "bootstrap-admin") {
			t.Errorf("tokens list shows a user id rather than a name: %q", line)
		}
	}

	// A non-admin sees its own name too.
	plain := srv.NewUserToken(t, "plain", false)
	if r := as(t, srv, plain, "tokens", "list"); r.code != 0 || !strings.Contains(r.stdout, " plain ") || len(uuidRE.FindAllString(r.stdout, -1)) != 1 {
		t.Errorf("non-admin tokens list: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// By name.
	if out := ok(t, srv, "tokens", "revoke", "terraform"); !strings.HasPrefix(out, "Revoked token terraform (") {
		t.Errorf("revoke by name: %q", out)
	}
	// Ambiguous: refused, with the candidates.
	r := fails(t, srv, ExitUsage, []string{`Error: more than one token is named "ci":`, "owned by ci-bot", "owned by deploy-bot", "give the id"}, "tokens", "revoke", "ci")
	if r.stdout != "" {
		t.Errorf("ambiguous revoke printed %q", r.stdout)
	}
	// --user narrows it down.
	if out := ok(t, srv, "tokens", "revoke", "ci", "--user", "deploy-bot"); !strings.HasPrefix(out, "Revoked token ci (") {
		t.Errorf("revoke --user: %q", out)
	}

	// Misses are one clean line each, with exit 3.
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"users", "get", "nosuch"}, `Error: no user has id or username "nosuch"` + "\n"},
		{[]string{"groups", "get", "nosuch"}, `Error: no group has id or name "nosuch"` + "\n"},
		{[]string{"tokens", "revoke", "nosuch"}, `Error: no token has id or name "nosuch"` + "\n"},
		{[]string{"users", "update", "ci-bot", "--groups", "nosuch"}, `Error: no group is named "nosuch"; create it first with rollcall groups create` + "\n"},
	} {
		r := as(t, srv, srv.AdminToken, tc.args...)
		if r.code != ExitNotFound && r.code != ExitUsage || r.stderr != tc.want {
			t.Errorf("rollcall %s: exit %d, stderr %q, want %q", strings.Join(tc.args, " "), r.code, r.stderr, tc.want)
		}
	}
}
