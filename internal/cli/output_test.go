package cli

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/rollcall/rollcall/internal/testserver"
)

// outputCases are the arguments that make each command with -o succeed
// on the fixture of TestOutputFlagEverywhere ({f} is the format, for
// names that must be new), and whether it shows resources (-o json and
// csv honoured) or only messages (-o json and csv refused).
var outputCases = map[string]struct {
	args []string
	data bool
}{
	"login":                   {[]string{}, false},
	"whoami":                  {nil, true},
	"users list":              {nil, true},
	"users get":               {[]string{"ann"}, true},
	"users create":            {[]string{"new-{f}", "--email", "new-{f}@example.com"}, true},
	"users update":            {[]string{"ann", "--title", "T-{f}"}, true},
	"users rename":            {[]string{"ren-{f}", "ren2-{f}"}, true},
	"users delete":            {[]string{"del-{f}", "--yes"}, false},
	"users disable":           {[]string{"ann"}, false},
	"users enable":            {[]string{"ann"}, false},
	"users setup-link":        {[]string{"ann"}, true},
	"users setup-link list":   {[]string{"ann"}, true},
	"users setup-link revoke": {[]string{"ann", "--all"}, false},
	"users sessions":          {[]string{"ann"}, true},
	"users sign-out":          {[]string{"ann"}, false},
	"groups list":             {nil, true},
	"groups get":              {[]string{"staff"}, true},
	"groups create":           {[]string{"g-{f}"}, true},
	"groups update":           {[]string{"staff", "--description", "d-{f}"}, true},
	"groups delete":           {[]string{"gdel-{f}"}, false},
	"groups add-member":       {[]string{"staff", "ann"}, false},
	"groups remove-member":    {[]string{"staff", "ann"}, false},
	"groups set-members":      {[]string{"staff", "ann"}, false},
	"tokens create":           {[]string{"--name", "t-{f}"}, true},
	"tokens list":             {nil, true},
	"tokens revoke":           {[]string{"tok-{f}"}, false},
	"clients list":            {nil, true},
	"clients get":             {[]string{"app"}, true},
	"clients create":          {[]string{"app-{f}", "--redirect-uri", "https://app.example/cb"}, true},
	"clients update":          {[]string{"app", "--launch-url", "https://app.example/{f}"}, true},
	"clients rotate-secret":   {[]string{"rot-{f}"}, true},
	"clients delete-secret":   {[]string{"{secret}"}, false},
	"clients delete":          {[]string{"cdel-{f}"}, false},
	"audit list":              {nil, true},
	"import users":            {[]string{"{file}"}, false},
	"export users":            {nil, true},
}

// TestOutputFlagEverywhere runs every command that has -o with each
// format: -o json and -o csv are honoured by the commands that show
// resources and refused (exit 2, naming the formats it takes) by those
// that print only messages; a value that is no format is refused by all.
func TestOutputFlagEverywhere(t *testing.T) {
	isolate(t)
	srv := testserver.Start(t)
	ok(t, srv, "groups", "create", "staff")
	ok(t, srv, "users", "create", "ann", "--email", "ann@example.com", "--groups", "staff")
	ok(t, srv, "clients", "create", "app", "--redirect-uri", "https://app.example/cb")
	file := filepath.Join(t.TempDir(), "people.csv")
	if err := os.WriteFile(file, []byte("username,email\nann,ann@example.com\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"json", "csv", "table"} {
		ok(t, srv, "users", "create", "del-"+f, "--email", "del-"+f+"@example.com")
		ok(t, srv, "users", "create", "ren-"+f, "--email", "ren-"+f+"@example.com")
		ok(t, srv, "groups", "create", "gdel-"+f)
		ok(t, srv, "clients", "create", "cdel-"+f, "--redirect-uri", "https://app.example/cb")
		ok(t, srv, "clients", "create", "rot-"+f, "--redirect-uri", "https://app.example/cb")
	}
	seen := map[string]bool{}
	walkCommands(t, func(c *cobra.Command, path []string) {
		// A command that groups others has no -o of its own, unless it
		// also runs itself (users setup-link USER).
		if c.Flag("output") == nil || isGroupCommand(c) {
			return
		}
		name := strings.Join(path, " ")
		seen[name] = true
		tc, known := outputCases[name]
		if !known {
			t.Errorf("rollcall %s has -o but no case in outputCases", name)
			return
		}
		run := func(format string) cliResult {
			args := append([]string(nil), path...)
			for _, a := range tc.args {
				a = strings.ReplaceAll(a, "{f}", format)
				a = strings.ReplaceAll(a, "{file}", file)
				args = append(args, a)
			}
			if name == "clients delete-secret" {
				args = append(args[:len(args)-1], oldClientSecret(t, srv, "ds-"+format)...)
			}
			if name == "tokens revoke" {
				args = append(args[:len(args)-1], tokenID(t, srv, "tok-"+format))
			}
			return as(t, srv, srv.AdminToken, append(args, "-o", format)...)
		}
		r := run("yaml")
		if r.code != ExitUsage || !strings.Contains(r.stderr, `--output "yaml" is not a format`) || !strings.Contains(r.stderr, "table") {
			t.Errorf("rollcall %s -o yaml: exit %d, want 2 listing the formats; stderr %q", name, r.code, r.stderr)
		}
		for _, format := range []string{"json", "csv"} {
			r := run(format)
			if !tc.data {
				if r.code != ExitUsage || !strings.Contains(r.stderr, "-o "+format+" is not available") || !strings.Contains(r.stderr, "-o table") {
					t.Errorf("rollcall %s -o %s: exit %d, want 2 refusing it; stderr %q", name, format, r.code, r.stderr)
				}
				continue
			}
			if r.code != 0 {
				t.Errorf("rollcall %s -o %s: exit %d, stderr %q", name, format, r.code, r.stderr)
				continue
			}
			if format == "json" {
				sc := bufio.NewScanner(strings.NewReader(r.stdout))
				dec := json.NewDecoder(strings.NewReader(r.stdout))
				n := 0
				for dec.More() {
					var v any
					if err := dec.Decode(&v); err != nil {
						t.Errorf("rollcall %s -o json: not JSON: %v\n%s", name, err, r.stdout)
						break
					}
					n++
				}
				if n == 0 || !sc.Scan() {
					t.Errorf("rollcall %s -o json: no JSON: %q", name, r.stdout)
				}
			} else if recs, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll(); err != nil || len(recs) < 1 || strings.HasPrefix(r.stdout, "{") {
				t.Errorf("rollcall %s -o csv: not CSV (%v): %q", name, err, r.stdout)
			}
		}
	})
	for name := range outputCases {
		if !seen[name] {
			t.Errorf("outputCases has %q, which is no command with -o", name)
		}
	}
}

// tokenID creates a token for the admin and returns its id.
func tokenID(t *testing.T, srv *testserver.Server, name string) string {
	t.Helper()
	out := ok(t, srv, "tokens", "create", "--name", name, "-o", "json")
	var doc struct{ Data struct{ ID string } }
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Data.ID
}

// oldClientSecret makes an OIDC client with two secrets and returns the
// client's id and the id of its older secret, for clients delete-secret.
func oldClientSecret(t *testing.T, srv *testserver.Server, name string) []string {
	t.Helper()
	ok(t, srv, "clients", "create", name, "--redirect-uri", "https://app.example/cb")
	var doc struct {
		Data struct {
			ID         string
			Attributes struct {
				Secrets []struct{ ID string }
			}
		}
	}
	out := ok(t, srv, "clients", "rotate-secret", name, "-o", "json")
	if err := json.Unmarshal([]byte(out), &doc); err != nil || len(doc.Data.Attributes.Secrets) != 2 {
		t.Fatalf("clients rotate-secret %s -o json: %v\n%s", name, err, out)
	}
	return []string{doc.Data.ID, doc.Data.Attributes.Secrets[1].ID}
}
