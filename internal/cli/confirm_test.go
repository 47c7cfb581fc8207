package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/rollcall/rollcall/internal/testserver"
)

func TestUsersDeleteConfirms(t *testing.T) {
	isolate(t)
	srv := testserver.Start(t)
	for _, u := range []string{"ann", "bob", "cid"} {
		ok(t, srv, "users", "create", u, "--email", u+"@example.com")
	}
	// A script (stdin not a terminal) must say --yes.
	r := fails(t, srv, ExitUsage, []string{"Error: not deleting ann without confirmation: standard input is not a terminal; pass --yes"}, "users", "delete", "ann")
	if r.stdout != "" {
		t.Errorf("stdout %q", r.stdout)
	}
	if out := ok(t, srv, "users", "delete", "ann", "--yes"); !strings.HasPrefix(out, "Deleted user ann (") {
		t.Errorf("delete --yes: %q", out)
	}

	// On a terminal, the username must be typed.
	deleteOnTTY := func(answer string) cliResult {
		ptm, tty := openPTY(t)
		if _, err := ptm.WriteString(answer + "\n"); err != nil {
			t.Fatal(err)
		}
		var out, errOut bytes.Buffer
		code := Run(context.Background(), []string{"users", "delete", "bob", "--url", srv.URL, "--token", srv.AdminToken}, tty, &out, &errOut)
		return cliResult{code, out.String(), errOut.String()}
	}
	r = deleteOnTTY("bobby")
	if r.code != ExitError || !strings.Contains(r.stderr, "Type the username to confirm") ||
		!strings.Contains(r.stderr, `Error: bob was not deleted: "bobby" is not its username`) || r.stdout != "" {
		t.Errorf("wrong answer: exit %d\nstdout %q\nstderr %q", r.code, r.stdout, r.stderr)
	}
	ok(t, srv, "users", "get", "bob")
	r = deleteOnTTY("bob")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "Deleted user bob (") {
		t.Errorf("right answer: exit %d\nstdout %q\nstderr %q", r.code, r.stdout, r.stderr)
	}
	fails(t, srv, ExitNotFound, nil, "users", "get", "bob")
}
