package cli

import (
	"os"
	"strings"
	"testing"

	"github.com/rollcall/rollcall/internal/testserver"
)

func TestLoginSavesAVerifiedToken(t *testing.T) {
	cfg := isolate(t)
	srv := testserver.Start(t)

	r := rc(t, "login", "--url", srv.URL, "--token", "rc_"+strings.Repeat("a", 43))
	if r.code != ExitError || !strings.Contains(r.stderr, "the token was not accepted") || !strings.Contains(r.stderr, "unauthorized") {
		t.Errorf("login with a bad token: exit %d, stderr %q", r.code, r.stderr)
	}
	if _, err := os.Stat(cfg); err == nil {
		t.Error("a refused token was saved")
	}

	r = rc(t, "login", "--url", srv.URL, "--token", srv.AdminToken)
	if r.code != 0 || !strings.Contains(r.stdout, "Logged in to "+srv.URL+" as bootstrap-admin") {
		t.Fatalf("login: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	st, err := os.Stat(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("config file mode %v, want 0600: it holds a token", st.Mode().Perm())
	}

	// Later commands need no flags.
	r = rc(t, "whoami")
	if r.code != 0 {
		t.Fatalf("whoami after login: exit %d: %s", r.code, r.stderr)
	}
	golden(t, "whoami", r.stdout)

	// A flag wins over the config file.
	r = rc(t, "whoami", "--token", "rc_"+strings.Repeat("b", 43))
	if r.code != ExitError || !strings.Contains(r.stderr, "Error: unauthorized") {
		t.Errorf("whoami with a bad --token: exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestNoConnection(t *testing.T) {
	isolate(t)
	r := rc(t, "users", "list")
	if r.code != ExitUsage || !strings.Contains(r.stderr, "no server URL: pass --url, set ROLLCALL_URL, or run rollcall login") {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
	r = rc(t, "users", "list", "--url", "http://127.0.0.1:1")
	if r.code != ExitUsage || !strings.Contains(r.stderr, "no API token") {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestUsersCommands(t *testing.T) {
	isolate(t)
	srv := testserver.Start(t)
	ok(t, srv, "groups", "create", "staff")
	ok(t, srv, "groups", "create", "admins")

	out := ok(t, srv, "users", "create", "jane", "--email", "jane@example.com", "--first-name", "Jane", "--last-name", "Doe",
		"--locale", "en_gb", "--phone", "+44 20 7946 0958", "--title", "Engineer", "--groups", "staff,admins",
		"--attribute", "cost_center=42", "--attribute", "team=platform")
	golden(t, "users_create", out)
	ok(t, srv, "users", "create", "--username", "joe", "--email", "joe@example.com", "--disabled")

	golden(t, "users_list", ok(t, srv, "users", "list"))
	golden(t, "users_list_csv", ok(t, srv, "users", "list", "-o", "csv"))
	golden(t, "users_list_group", ok(t, srv, "users", "list", "--group", "staff"))
	golden(t, "users_get_json", ok(t, srv, "users", "get", "jane", "-o", "json"))

	// get accepts the id too.
	id := strings.Fields(strings.SplitN(ok(t, srv, "users", "get", "jane"), "\n", 2)[0])[1]
	if got := ok(t, srv, "users", "get", id); !strings.Contains(got, "jane@example.com") {
		t.Errorf("users get by id: %s", got)
	}

	// Update changes only what is given; "" clears; key= removes an attribute.
	out = ok(t, srv, "users", "update", "jane", "--title", "", "--department", "Platform", "--attribute", "cost_center=", "--groups", "staff")
	golden(t, "users_update", out)

	out = ok(t, srv, "users", "rename", "jane", "jane.doe")
	if !strings.Contains(out, "jane.doe") || !strings.Contains(out, id) {
		t.Errorf("rename: %s", out)
	}
	if out := ok(t, srv, "users", "disable", "jane.doe"); out != "User jane.doe is disabled\n" {
		t.Errorf("disable: %q", out)
	}
	if out := ok(t, srv, "users", "enable", "jane.doe", "joe"); out != "User jane.doe is pending-setup\nUser joe is pending-setup\n" {
		t.Errorf("enable: %q", out)
	}

	// Errors a person can act on, with exit codes scripts can tell apart.
	fails(t, srv, ExitNotFound, []string{`Error: no user has id or username "nobody"`}, "users", "get", "nobody")
	fails(t, srv, ExitConflict, []string{"Error: email_taken at /data/attributes/email: another user already has this email address"},
		"users", "create", "other", "--email", "JOE@example.com")
	fails(t, srv, ExitUsage, []string{`Error: invalid_email at --email: email "not-an-email" is not a valid address`},
		"users", "create", "x", "--email", "not-an-email")
	fails(t, srv, ExitUsage, []string{"Error: nothing to change"}, "users", "update", "joe")
	fails(t, srv, ExitUsage, []string{`no group is named "nope"`}, "users", "update", "joe", "--groups", "nope")
	fails(t, srv, ExitUsage, []string{"takes USER NEW-USERNAME (2 argument(s)), got 1"}, "users", "rename", "joe")
	fails(t, srv, ExitUsage, []string{"unknown flag: --colour"}, "users", "list", "--colour")
	fails(t, srv, ExitUsage, []string{`--output "yaml" is not a format`}, "users", "list", "-o", "yaml")

	out = ok(t, srv, "users", "delete", "joe", "--yes")
	if !strings.HasPrefix(out, "Deleted user joe (") {
		t.Errorf("delete: %q", out)
	}
	fails(t, srv, ExitNotFound, nil, "users", "delete", "joe", "--yes")

	// A non-admin sees a 404 for other users, and itself with whoami.
	tok := srv.NewUserToken(t, "plain", false)
	if r := as(t, srv, tok, "users", "get", id); r.code != ExitNotFound && r.code != ExitError {
		t.Errorf("non-admin users get: exit %d %s", r.code, r.stderr)
	}
	if r := as(t, srv, tok, "whoami"); r.code != 0 || !strings.Contains(r.stdout, "plain@example.com") {
		t.Errorf("non-admin whoami: exit %d %s%s", r.code, r.stdout, r.stderr)
	}
}

func TestGroupsCommands(t *testing.T) {
	isolate(t)
	srv := testserver.Start(t)
	for _, u := range []string{"ann", "bob", "cid"} {
		ok(t, srv, "users", "create", u, "--email", u+"@example.com")
	}
	out := ok(t, srv, "groups", "create", "platform", "--friendly-name", "Platform team", "--description", "Runs the platform",
		"--attribute", "slack=#platform", "--members", "ann,bob")
	golden(t, "groups_create", out)
	ok(t, srv, "groups", "create", "empty")

	if out := ok(t, srv, "groups", "add-member", "platform", "cid"); out != "Group platform has 3 member(s)\n" {
		t.Errorf("add-member: %q", out)
	}
	if out := ok(t, srv, "groups", "remove-member", "platform", "ann", "bob"); out != "Group platform has 1 member(s)\n" {
		t.Errorf("remove-member: %q", out)
	}
	if out := ok(t, srv, "groups", "set-members", "platform", "ann", "bob"); out != "Group platform has 2 member(s)\n" {
		t.Errorf("set-members: %q", out)
	}
	golden(t, "groups_list", ok(t, srv, "groups", "list"))
	golden(t, "groups_get", ok(t, srv, "groups", "get", "platform"))
	golden(t, "groups_get_json", ok(t, srv, "groups", "get", "platform", "-o", "json"))

	out = ok(t, srv, "groups", "update", "platform", "--name", "platform-eng", "--description", "")
	if !strings.Contains(out, "platform-eng") || strings.Contains(out, "Runs the platform") || !strings.Contains(out, "ann, bob") {
		t.Errorf("update: %s", out)
	}
	if out := ok(t, srv, "groups", "set-members", "platform-eng"); out != "Group platform-eng has 0 member(s)\n" {
		t.Errorf("set-members with none: %q", out)
	}
	fails(t, srv, ExitConflict, []string{"group_name_taken"}, "groups", "create", "EMPTY")
	fails(t, srv, ExitUsage, []string{"invalid_group_name at --name"}, "groups", "create", "no spaces")
	fails(t, srv, ExitNotFound, []string{`no group has id or name "platform"`}, "groups", "get", "platform")
	fails(t, srv, ExitNotFound, []string{`no user has id or username "zed"`}, "groups", "add-member", "empty", "zed")
	if out := ok(t, srv, "groups", "delete", "platform-eng", "empty"); strings.Count(out, "Deleted group") != 2 {
		t.Errorf("delete: %q", out)
	}
}

func TestTokensCommands(t *testing.T) {
	isolate(t)
	srv := testserver.Start(t)
	ok(t, srv, "users", "create", "ci-bot", "--email", "ci@example.com", "--is-admin")

	r := as(t, srv, srv.AdminToken, "tokens", "create", "--name", "terraform", "--user", "ci-bot", "--expires-in", "720h")
	if r.code != 0 || !tokenRE.MatchString(r.stdout) || !strings.Contains(r.stderr, "shown only this once") {
		t.Fatalf("tokens create: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	tok := strings.TrimSpace(r.stdout)
	if r := as(t, srv, tok, "whoami"); r.code != 0 || !strings.Contains(r.stdout, "ci-bot") {
		t.Fatalf("the new token does not work: %s%s", r.stdout, r.stderr)
	}

	list := ok(t, srv, "tokens", "list", "--user", "ci-bot")
	golden(t, "tokens_list", list)
	id := strings.Fields(strings.Split(list, "\n")[1])[0]
	if out := ok(t, srv, "tokens", "revoke", id); out != "Revoked token terraform ("+id+")\n" {
		t.Errorf("revoke: %q", out)
	}
	r = as(t, srv, tok, "whoami")
	if r.code != ExitError || !strings.Contains(r.stderr, "Error: unauthorized") {
		t.Errorf("revoked token: exit %d, stderr %q", r.code, r.stderr)
	}
	fails(t, srv, ExitUsage, []string{"required at --name"}, "tokens", "create")

	// A scim token reaches /scim/v2 only: the CLI's requests get 403 saying so.
	r = as(t, srv, srv.AdminToken, "tokens", "create", "--name", "okta", "--user", "ci-bot", "--scope", "scim")
	if r.code != 0 || !tokenRE.MatchString(r.stdout) {
		t.Fatalf("tokens create --scope scim: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := as(t, srv, strings.TrimSpace(r.stdout), "whoami"); r.code == 0 || !strings.Contains(r.stderr, "scope scim") {
		t.Errorf("a scim token on the REST API: exit %d, stderr %q", r.code, r.stderr)
	}
	if out := ok(t, srv, "tokens", "list", "--user", "ci-bot"); !strings.Contains(out, " scim ") {
		t.Errorf("tokens list does not show the scim scope:\n%s", out)
	}
	fails(t, srv, ExitUsage, []string{`scope "root"`}, "tokens", "create", "--name", "x", "--scope", "root")
	fails(t, srv, ExitUsage, []string{"not both"}, "tokens", "create", "--name", "x", "--expires-in", "1h", "--expires-at", "2030-01-01T00:00:00Z")
}

func TestAuditList(t *testing.T) {
	isolate(t)
	srv := testserver.Start(t)
	ok(t, srv, "users", "create", "ann", "--email", "ann@example.com")
	ok(t, srv, "users", "update", "ann", "--title", "CTO")
	ok(t, srv, "groups", "create", "staff", "--members", "ann")

	golden(t, "audit_list_user", ok(t, srv, "audit", "list", "--action", "user.", "--since", "1h"))
	golden(t, "audit_list_target_json", ok(t, srv, "audit", "list", "--target", "ann", "--limit", "1", "-o", "json"))
	if out := ok(t, srv, "audit", "list", "--actor", "bootstrap-admin", "-o", "csv"); !strings.HasPrefix(out, "time,action,actor,target,changes,request\n") {
		t.Errorf("csv: %q", out)
	}
	if out := ok(t, srv, "audit", "list", "--until", "2000-01-01T00:00:00Z"); strings.Count(out, "\n") != 1 {
		t.Errorf("--until in the past listed events: %q", out)
	}
	fails(t, srv, ExitUsage, []string{`--since "yesterday" is neither a duration`}, "audit", "list", "--since", "yesterday")
}
