package cli

import (
	"strings"
	"testing"

	"github.com/rollcall/rollcall/internal/testserver"
)

// TestAuditListSaysWhatItLeftOut: the default limit says when events were
// left out and how to see them; --all pages to the end; an unknown action
// is refused with the known ones.
func TestAuditListSaysWhatItLeftOut(t *testing.T) {
	isolate(t)
	srv := testserver.Start(t)
	for _, u := range []string{"ann", "bob", "cid", "dee", "eve"} {
		ok(t, srv, "users", "create", u, "--email", u+"@example.com")
	}
	r := as(t, srv, srv.AdminToken, "audit", "list", "--limit", "3")
	if r.code != 0 || strings.Count(r.stdout, "\n") != 4 ||
		r.stderr != "Showing the newest 3 events; there are more: use --limit N for more, or --all\n" {
		t.Errorf("--limit 3: exit %d\nstdout %q\nstderr %q", r.code, r.stdout, r.stderr)
	}
	// Exactly as many as exist: nothing was left out.
	all := as(t, srv, srv.AdminToken, "audit", "list", "--all")
	n := strings.Count(all.stdout, "\n") - 1
	if all.code != 0 || n < 5 || all.stderr != "" {
		t.Errorf("--all: exit %d, %d events, stderr %q", all.code, n, all.stderr)
	}
	if r := as(t, srv, srv.AdminToken, "audit", "list", "--limit", "50"); r.stderr != "" || strings.Count(r.stdout, "\n")-1 != n {
		t.Errorf("--limit above the count: stderr %q\n%s", r.stderr, r.stdout)
	}
	if r := as(t, srv, srv.AdminToken, "audit", "list", "--actor", "bootstrap-admin", "--target", "ann", "--since", "1h", "--action", "user."); r.code != 0 || strings.Count(r.stdout, "\n") != 2 {
		t.Errorf("filters: exit %d %q %q", r.code, r.stdout, r.stderr)
	}

	fails(t, srv, ExitUsage, []string{`Error: invalid_parameter in parameter filter[action]: filter[action] "bogus" is not an audit action;`, "user.create", "group.", "token.delete"},
		"audit", "list", "--action", "bogus")
	fails(t, srv, ExitUsage, []string{`is not an audit action`}, "audit", "list", "--action", "user.frobnicate")
	fails(t, srv, ExitUsage, []string{"give --all or --limit, not both"}, "audit", "list", "--all", "--limit", "5")
}
