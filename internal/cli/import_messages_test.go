package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rollcall/rollcall/internal/testserver"
)

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestImportDryRunSpeaksInTheConditional: a dry run never says rows were
// imported, and ends with what would happen.
func TestImportDryRunSpeaksInTheConditional(t *testing.T) {
	isolate(t)
	srv := testserver.Start(t)
	ok(t, srv, "users", "create", "joe", "--email", "joe@example.com")
	p := writeFile(t, "p.csv", "username,email,title\nann,ann@example.com,\njoe,joe@example.com,CTO\nbad,not an address,\n")
	r := as(t, srv, srv.AdminToken, "import", "users", p, "--dry-run")
	if r.code != ExitError {
		t.Errorf("exit %d, want 1 for a row that would fail", r.code)
	}
	if r.stdout != "line 2: would create ann\nline 3: would update joe: title\nwould create 1, update 1; 0 unchanged, 1 would fail; nothing was changed (dry run)\n" {
		t.Errorf("stdout %q", r.stdout)
	}
	if strings.Contains(r.stderr, "imported") || !strings.HasSuffix(r.stderr,
		"Error: 1 row(s) would fail, listed above with their line numbers; nothing was changed (dry run)\n") {
		t.Errorf("stderr %q", r.stderr)
	}
	fails(t, srv, ExitNotFound, nil, "users", "get", "ann")
}

// TestImportSummarisesMissingGroups: rows that fail only for want of a
// group are summed up per group, with the flag that fixes them, instead
// of one line each; other errors are still listed per line.
func TestImportSummarisesMissingGroups(t *testing.T) {
	isolate(t)
	srv := testserver.Start(t)
	ok(t, srv, "groups", "create", "staff")
	var b strings.Builder
	b.WriteString("username,email,groups\n")
	for i := range 40 {
		g := "eng;staff"
		if i%10 == 0 {
			g = "ops;eng"
		}
		fmt.Fprintf(&b, "u%02d,u%02d@example.com,%s\n", i, i, g)
	}
	b.WriteString("bad,not an address,eng\nok,ok@example.com,staff\n")
	p := writeFile(t, "p.csv", b.String())
	r := as(t, srv, srv.AdminToken, "import", "users", p)
	if r.code != ExitError || r.stdout != "created 1, updated 0; 0 unchanged, 41 failed\n" {
		t.Errorf("exit %d, stdout %q", r.code, r.stdout)
	}
	want := "line 42: invalid_email at email: email \"not an address\" is not a valid address"
	if !strings.Contains(r.stderr, want) {
		t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
	}
	if n := strings.Count(r.stderr, "no group is named"); n > 0 {
		t.Errorf("%d per-row lines about missing groups:\n%s", n, r.stderr)
	}
	for _, want := range []string{
		"40 row(s) name groups that do not exist:\n",
		"  eng: 40 row(s) (lines 2, 3, 4, 5, 6, …)\n",
		"  ops: 4 row(s) (lines 2, 12, 22, 32)\n",
		"create them with rollcall groups create, or pass --create-groups to create them with the import\n",
		"Error: 41 row(s) failed, listed above with their line numbers; the other rows were imported\n",
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
}

// TestImportErrorsCiteLines: a row the server refuses is reported by its
// line in the file, not by the operation number of the request.
func TestImportErrorsCiteLines(t *testing.T) {
	isolate(t)
	srv := testserver.Start(t)
	ok(t, srv, "users", "create", "joe", "--email", "joe@example.com")
	p := writeFile(t, "p.csv", "username,email\nann,ann@example.com\ncid,JOE@example.com\n")
	r := as(t, srv, srv.AdminToken, "import", "users", p)
	if !strings.Contains(r.stderr, "line 3: email_taken at email: another user already has this email address") || strings.Contains(r.stderr, "operation") {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
}

// TestImportDelimiter: a file separated by semicolons gets a hint, and
// --delimiter reads it.
func TestImportDelimiter(t *testing.T) {
	isolate(t)
	srv := testserver.Start(t)
	p := writeFile(t, "p.csv", "username;email;first_name\nann;ann@example.com;Ann\n")
	fails(t, srv, ExitUsage, []string{`the header has one column, "username;email;first_name", which looks separated by ";": pass --delimiter ';'`}, "import", "users", p)
	r := as(t, srv, srv.AdminToken, "import", "users", p, "--delimiter", ";")
	if r.code != 0 || r.stdout != "created 1, updated 0; 0 unchanged, 0 failed\n" {
		t.Errorf("--delimiter ';': exit %d %q %q", r.code, r.stdout, r.stderr)
	}
	p = writeFile(t, "t.csv", "username\temail\nbob\tbob@example.com\n")
	if r := as(t, srv, srv.AdminToken, "import", "users", p, "--delimiter", `\t`); r.code != 0 {
		t.Errorf(`--delimiter '\t': exit %d %q %q`, r.code, r.stdout, r.stderr)
	}
	fails(t, srv, ExitUsage, []string{`--delimiter "ab" is not one character`}, "import", "users", p, "--delimiter", "ab")
}
