package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rollcall/rollcall/internal/store"
	"github.com/rollcall/rollcall/internal/testserver"
)

// peopleCSV writes n generated people in the import format, spread over
// ten groups, and returns the path. bad maps a 0-based row index to a
// replacement row.
func peopleCSV(t testing.TB, n int, bad map[int]string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("username,email,first_name,last_name,email_verified,locale,title,department,external_id,groups,attributes\n")
	for i := range n {
		if row, ok := bad[i]; ok {
			b.WriteString(row + "\n")
			continue
		}
		fmt.Fprintf(&b, "user%05d,user%05d@example.com,First%d,Last%d,%t,%s,Engineer,Dept %d,hr-%d,team%d;all,\"{\"\"seat\"\":\"\"%d\"\"}\"\n",
			i, i, i, i, i%2 == 0, []string{"en-US", "de_de", ""}[i%3], i%7, i, i%10, i)
	}
	path := filepath.Join(t.TempDir(), "people.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// auditCount counts the audit events recorded since the given time.
func auditCount(t *testing.T, srv *testserver.Server, action string, since time.Time) int {
	t.Helper()
	n, page := 0, store.Page{Limit: 1000}
	for {
		evs, next, err := srv.Store.ListAuditEvents(context.Background(), store.AuditFilter{Action: action, Since: since}, page)
		if err != nil {
			t.Fatal(err)
		}
		n += len(evs)
		if next == "" {
			return n
		}
		page.After = next
	}
}

func TestImportTenThousandUsers(t *testing.T) {
	isolate(t)
	srv := testserver.Start(t)
	// Line numbers count the header as line 1: row i is on line i+2.
	path := peopleCSV(t, 10000, map[int]string{
		100:  `bad-email,not an address,A,B,false,,,,,team1,`,
		5000: `No Spaces Allowed,nsa@example.com,A,B,false,,,,,team1,`,
		9000: `dup,USER00002@example.com,A,B,false,,,,,team1,`, // refused by the server: email taken
	})

	start := time.Now()
	r := as(t, srv, srv.AdminToken, "import", "users", path, "--create-groups")
	if r.code != ExitError {
		t.Fatalf("import with 3 bad rows: exit %d, want 1\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.HasSuffix(r.stdout, "created 9997, updated 0; 0 unchanged, 3 failed\n") {
		t.Errorf("summary: %q", r.stdout)
	}
	for _, want := range []string{
		`line 102: invalid_email at email: email "not an address" is not a valid address`,
		`line 5002: invalid_username at username: username "No Spaces Allowed" may contain only`,
		`line 9002: email_taken at email: another user already has this email address`,
		"created 11 group(s): all, team0, team1",
		"Error: 3 row(s) failed, listed above with their line numbers; the other rows were imported",
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr does not say %q:\n%s", want, r.stderr)
		}
	}
	if strings.Contains(r.stderr, "\r") || strings.Contains(r.stderr, "users/s") {
		t.Errorf("a progress bar was drawn on a non-terminal: %q", r.stderr)
	}
	if n, _ := srv.Store.CountUsers(context.Background()); n != 9997+1 {
		t.Errorf("%d users in the store, want 9997 and the bootstrap admin", n)
	}
	if got := auditCount(t, srv, "user.create", start); got != 9997 {
		t.Errorf("%d user.create events, want 9997", got)
	}
	if out := ok(t, srv, "users", "get", "user00004"); !strings.Contains(out, "de-DE") || !strings.Contains(out, "all, team4") || !strings.Contains(out, "seat=4") {
		t.Errorf("user00004 as imported:\n%s", out)
	}

	// Running the same import again changes nothing.
	again := time.Now()
	r = as(t, srv, srv.AdminToken, "import", "users", path)
	if !strings.HasSuffix(r.stdout, "created 0, updated 0; 9997 unchanged, 3 failed\n") {
		t.Errorf("second run: %q\n%s", r.stdout, r.stderr)
	}
	if got := auditCount(t, srv, "", again); got != 0 {
		t.Errorf("the second run changed something: %d audit events", got)
	}

	// An edited row updates that user only, in the edited fields only.
	data, _ := os.ReadFile(path)
	edited := strings.Replace(string(data), "user04321,user04321@example.com,First4321,Last4321,false,de_de,Engineer,",
		"user04321,user04321@example.com,First4321,Last4321,false,de_de,Manager,", 1)
	if edited == string(data) {
		t.Fatal("the row to edit was not found")
	}
	os.WriteFile(path, []byte(edited), 0o644)
	r = as(t, srv, srv.AdminToken, "import", "users", path, "--dry-run")
	// A dry run checks what can be checked without changing anything: the
	// taken email on line 9002 is found by the database only on a real run.
	if r.stdout != "line 4323: would update user04321: title\nline 9002: would create dup\nwould create 1, update 1; 9996 unchanged, 2 would fail; nothing was changed (dry run)\n" {
		t.Errorf("dry run: %q", r.stdout)
	}
	edit := time.Now()
	r = as(t, srv, srv.AdminToken, "import", "users", path)
	if !strings.HasSuffix(r.stdout, "created 0, updated 1; 9996 unchanged, 3 failed\n") {
		t.Errorf("run after the edit: %q\n%s", r.stdout, r.stderr)
	}
	evs, _, err := srv.Store.ListAuditEvents(context.Background(), store.AuditFilter{Since: edit}, store.Page{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 || evs[0].TargetName != "user04321" || string(evs[0].After) != `{"title":"Manager"}` {
		t.Errorf("the edit recorded %d events: %+v", len(evs), evs)
	}

	// export → import → export gives the same bytes, and the import
	// changes nothing.
	first := ok(t, srv, "export", "users")
	exported := filepath.Join(t.TempDir(), "export.csv")
	os.WriteFile(exported, []byte(first), 0o644)
	r = as(t, srv, srv.AdminToken, "import", "users", exported)
	if r.code != 0 || r.stdout != "created 0, updated 0; 9998 unchanged, 0 failed\n" {
		t.Errorf("importing the export: exit %d %q %s", r.code, r.stdout, r.stderr)
	}
	if second := ok(t, srv, "export", "users"); second != first {
		t.Error("export → import → export is not byte-for-byte the same")
	}
	if lines := strings.Count(first, "\n"); lines != 1+9998 {
		t.Errorf("export has %d lines, want a header and 9998 users", lines)
	}
}

func TestImportRulesAndFormats(t *testing.T) {
	isolate(t)
	srv := testserver.Start(t)
	ok(t, srv, "groups", "create", "staff")
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(content), 0o644)
		return p
	}

	// An unknown group fails its row unless --create-groups.
	p := write("a.csv", "username,email,groups,is_admin\nann,ann@example.com,staff,yes\nbob,bob@example.com,staff;ghosts,no\n")
	r := as(t, srv, srv.AdminToken, "import", "users", p)
	if r.code != ExitError || !strings.Contains(r.stderr, "1 row(s) name groups that do not exist:\n  ghosts: 1 row(s) (lines 3)\n") ||
		!strings.Contains(r.stderr, "pass --create-groups") ||
		r.stdout != "created 1, updated 0; 0 unchanged, 1 failed\n" {
		t.Errorf("unknown group: exit %d %q %q", r.code, r.stdout, r.stderr)
	}
	// Dry run changes nothing.
	r = as(t, srv, srv.AdminToken, "import", "users", p, "--dry-run", "--create-groups")
	if r.code != 0 || r.stdout != "would create group ghosts\nline 3: would create bob\nwould create 1, update 0; 1 unchanged, 0 would fail; nothing was changed (dry run)\n" {
		t.Errorf("dry run: exit %d %q %q", r.code, r.stdout, r.stderr)
	}
	fails(t, srv, ExitNotFound, nil, "groups", "get", "ghosts")

	// JSON lines, keyed on external id: renames and clears.
	ok(t, srv, "users", "update", "ann", "--external-id", "e-1", "--title", "CTO")
	p = write("b.jsonl", `{"external_id":"e-1","username":"ann.smith","title":null,"groups":[],"attributes":{"k":"v"}}`+"\n\n"+
		`{"external_id":"e-2","username":"cid","email":"cid@example.com","shoe":"44"}`+"\n"+
		`{"external_id":"e-3","username":"eve","email":"eve@example.com","first_name":"\ud800"}`+"\n")
	r = as(t, srv, srv.AdminToken, "import", "users", p, "--key", "external-id")
	if !strings.Contains(r.stderr, `line 3: unknown member "shoe"`) ||
		!strings.Contains(r.stderr, `line 4: first_name contains an unpaired UTF-16 surrogate escape (\ud800)`) ||
		r.stdout != "created 0, updated 1; 0 unchanged, 2 failed\n" {
		t.Errorf("jsonl: exit %d %q %q", r.code, r.stdout, r.stderr)
	}
	out := ok(t, srv, "users", "get", "ann.smith")
	for _, want := range []string{"Title:            \n", "Groups:           \n", "Attributes:       k=v\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("after the jsonl import, ann.smith lacks %q:\n%s", want, out)
		}
	}

	// Standard input, and errors in the file itself.
	r = rcIn(t, "username,email\ndee,dee@example.com\n", "import", "users", "-", "--url", srv.URL, "--token", srv.AdminToken)
	if r.code != 0 || r.stdout != "created 1, updated 0; 0 unchanged, 0 failed\n" {
		t.Errorf("stdin: exit %d %q %q", r.code, r.stdout, r.stderr)
	}
	fails(t, srv, ExitUsage, []string{`column 2 of the header is "e-mail", which is not a column`}, "import", "users", write("c.csv", "username,e-mail\n"))
	fails(t, srv, ExitUsage, []string{"the import file is empty"}, "import", "users", write("d.csv", ""))
	fails(t, srv, ExitError, []string{"line 2: has 1 cells; the header has 2 columns", "line 4: duplicate at username: username \"dee\" is also on line 3"},
		"import", "users", write("e.csv", "username,email\nx\ndee,other@example.com\ndee,x@example.com\n"))
	fails(t, srv, ExitUsage, []string{`--key "id" is not a key`}, "import", "users", p, "--key", "id")
	fails(t, srv, ExitUsage, []string{"the file has no email column, which --key email matches rows on"},
		"import", "users", write("g.csv", "username\nzed\n"), "--key", "email")

	// export --format jsonl writes what import reads.
	jl := ok(t, srv, "export", "users", "--format", "jsonl")
	if !strings.Contains(jl, `{"id":"`) || !strings.Contains(jl, `"username":"ann.smith","email":"ann@example.com"`) {
		t.Errorf("jsonl export: %s", jl)
	}
	r = as(t, srv, srv.AdminToken, "import", "users", write("f.jsonl", jl))
	if r.code != 0 || !strings.HasPrefix(r.stdout, "created 0, updated 0;") {
		t.Errorf("re-importing the jsonl export: %q %q", r.stdout, r.stderr)
	}
}

// TestImportOnPostgres runs the import path, including a row the database
// refuses in the middle of a batch, on PostgreSQL.
func TestImportOnPostgres(t *testing.T) {
	isolate(t)
	srv := testserver.Start(t, testserver.WithPostgres())
	path := peopleCSV(t, 1500, map[int]string{
		10:   `bad,bad@,A,B,false,,,,,team1,`,
		1200: `dup,user00007@EXAMPLE.com,A,B,false,,,,,team1,`,
	})
	r := as(t, srv, srv.AdminToken, "import", "users", path, "--create-groups")
	if r.code != ExitError || r.stdout != "created 1498, updated 0; 0 unchanged, 2 failed\n" ||
		!strings.Contains(r.stderr, "line 12: invalid_email at email") || !strings.Contains(r.stderr, "line 1202: email_taken at email") {
		t.Errorf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	r = as(t, srv, srv.AdminToken, "import", "users", path)
	if r.stdout != "created 0, updated 0; 1498 unchanged, 2 failed\n" {
		t.Errorf("second run: %q", r.stdout)
	}
	first := ok(t, srv, "export", "users")
	exported := filepath.Join(t.TempDir(), "export.csv")
	os.WriteFile(exported, []byte(first), 0o644)
	if r := as(t, srv, srv.AdminToken, "import", "users", exported); r.code != 0 || r.stdout != "created 0, updated 0; 1499 unchanged, 0 failed\n" {
		t.Errorf("importing the export: %q %s", r.stdout, r.stderr)
	}
	if second := ok(t, srv, "export", "users"); second != first {
		t.Error("export → import → export differs on PostgreSQL")
	}
}
