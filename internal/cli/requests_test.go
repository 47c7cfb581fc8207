package cli

import (
	"regexp"
	"strings"
	"testing"

	"github.com/rollcall/rollcall/internal/testserver"
)

var routeRE = regexp.MustCompile(`msg=request .*route="([^"]+)"`)

// routesOf runs a command as tok and returns its output and the routes of
// the requests the server logged while it ran, in order.
func routesOf(t *testing.T, srv *testserver.Server, tok string, args ...string) (string, []string) {
	t.Helper()
	before := len(srv.Logs())
	r := as(t, srv, tok, args...)
	if r.code != 0 {
		t.Fatalf("rollcall %s: exit %d\n%s%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	var routes []string
	for _, m := range routeRE.FindAllStringSubmatch(srv.Logs()[before:], -1) {
		routes = append(routes, m[1])
	}
	return r.stdout, routes
}

// TestShowingGroupNamesReadsOnlyTheUsersGroups checks that commands
// printing a user's group names read them with the user (include=groups)
// instead of listing every group of the directory.
func TestShowingGroupNamesReadsOnlyTheUsersGroups(t *testing.T) {
	isolate(t)
	srv := testserver.Start(t)
	ok(t, srv, "groups", "create", "staff")
	ok(t, srv, "groups", "create", "admins")
	ok(t, srv, "users", "create", "jane", "--email", "jane@example.com", "--groups", "staff,admins")
	id := strings.Fields(strings.SplitN(ok(t, srv, "users", "get", "jane"), "\n", 2)[0])[1]
	plain := srv.NewUserToken(t, "plain", false)
	ok(t, srv, "groups", "add-member", "staff", "plain")

	for _, tc := range []struct {
		tok  string
		args []string
		want []string // routes, in order
		show string   // what the output must say
	}{
		{srv.AdminToken, []string{"users", "get", "jane"}, []string{"GET /api/v1/users"}, "admins, staff"},
		{srv.AdminToken, []string{"users", "get", id}, []string{"GET /api/v1/users/{id}"}, "admins, staff"},
		{srv.AdminToken, []string{"users", "list", "-q", "ja"}, []string{"GET /api/v1/users"}, "admins,staff"},
		{srv.AdminToken, []string{"users", "update", "jane", "--title", "CTO"},
			[]string{"GET /api/v1/users", "PATCH /api/v1/users/{id}", "GET /api/v1/users/{id}"}, "admins, staff"},
		{srv.AdminToken, []string{"users", "create", "joe", "--email", "joe@example.com"}, []string{"POST /api/v1/users"}, "Groups:"},
		// A non-admin may not list groups, and now sees its groups' names.
		{plain, []string{"whoami"}, []string{"GET /api/v1/account"}, "staff"},
	} {
		out, got := routesOf(t, srv, tc.tok, tc.args...)
		if strings.Join(got, "; ") != strings.Join(tc.want, "; ") {
			t.Errorf("rollcall %s sent %q, want %q", strings.Join(tc.args, " "), got, tc.want)
		}
		if !strings.Contains(out, tc.show) {
			t.Errorf("rollcall %s does not show %q:\n%s", strings.Join(tc.args, " "), tc.show, out)
		}
	}
}
