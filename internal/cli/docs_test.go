package cli

import (
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/rollcall/rollcall/internal/config"
	"github.com/rollcall/rollcall/internal/mail/mailtest"
	"github.com/rollcall/rollcall/internal/testserver"
)

// docExample is one "$ rollcall ..." line of a console block in
// docs/cli.md, with the lines the docs show it printing.
type docExample struct {
	line   int
	text   string // the command line as the docs show it, comment and all
	args   []string
	stdout string   // file the docs redirect standard output to, or ""
	errors []string // expected "Error: ..." lines; none means it succeeds
	output []string // other lines shown after it: what it prints, "…" standing for any text
}

// docBlock is one console block and the heading it stands under.
type docBlock struct {
	heading  string
	examples []docExample
}

// docFixtures prepares, on a fresh server, what the examples under each
// heading of docs/cli.md assume exists. A console block under a heading
// that is not listed here fails the test, so new examples get checked too.
var docFixtures = map[string]func(t *testing.T, srv *testserver.Server){
	"Connecting": func(*testing.T, *testserver.Server) {},
	"Exit codes": func(t *testing.T, srv *testserver.Server) {
		ok(t, srv, "users", "create", "janet", "--email", "jane@example.com")
	},
	"Users": func(t *testing.T, srv *testserver.Server) {
		ok(t, srv, "groups", "create", "staff")
		ok(t, srv, "groups", "create", "platform")
	},
	"Setup links": func(t *testing.T, srv *testserver.Server) {
		ok(t, srv, "users", "create", "jane.doe", "--email", "jane@example.com")
	},
	"Groups": func(t *testing.T, srv *testserver.Server) {
		for _, u := range []string{"jane", "joe", "ann", "bob"} {
			ok(t, srv, "users", "create", u, "--email", u+"@example.com")
		}
	},
	"Applications (OpenID Connect clients)": func(t *testing.T, srv *testserver.Server) {
		ok(t, srv, "groups", "create", "staff")
	},
	"API tokens": func(t *testing.T, srv *testserver.Server) {
		ok(t, srv, "users", "create", "ci-bot", "--email", "ci@example.com", "--is-admin")
	},
	"Audit log": func(t *testing.T, srv *testserver.Server) {
		ok(t, srv, "users", "create", "jane", "--email", "jane@example.com")
	},
	"Bulk import and export": func(t *testing.T, srv *testserver.Server) {
		ok(t, srv, "groups", "create", "staff")
		ok(t, srv, "groups", "create", "platform")
		ok(t, srv, "users", "create", "joe", "--email", "joe@example.com", "--groups", "staff")
		ok(t, srv, "users", "create", "kim", "--email", "kim@example.com", "--groups", "staff")
	},
}

// docEdits make, under a heading, the change to a file that the docs ask
// the reader to make by hand after the command that wrote it.
var docEdits = map[string]func(t *testing.T, path string){
	// "then edit it: add ann, give joe a title and the platform group"
	"Bulk import and export": func(t *testing.T, path string) {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(f).ReadAll()
		f.Close()
		if err != nil || len(rows) < 2 {
			t.Fatalf("%s: %d rows, %v", path, len(rows), err)
		}
		col := map[string]int{}
		for i, name := range rows[0] {
			col[name] = i
		}
		for _, r := range rows[1:] {
			if r[col["username"]] == "joe" {
				r[col["title"]], r[col["groups"]] = "Engineer", "platform;staff"
			}
		}
		ann := make([]string, len(rows[0]))
		ann[col["username"]], ann[col["email"]], ann[col["groups"]] = "ann", "ann@example.com", "staff"
		rows = append(rows, ann)
		var b strings.Builder
		w := csv.NewWriter(&b)
		if err := w.WriteAll(rows); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
			t.Fatal(err)
		}
	},
}

// TestDocsExamplesRun runs every rollcall command of docs/cli.md's
// console blocks, block by block on a fresh server, and checks that each
// succeeds, or fails with exactly the error the docs show, and prints the
// lines the docs show it printing. A token the docs elide as rc_… is the
// one the block's last command printed, as it is for a reader who copies
// it from there, and the test server's admin token before any is printed.
func TestDocsExamplesRun(t *testing.T) {
	blocks := readDocExamples(t, filepath.Join("..", "..", "docs", "cli.md"))
	if len(blocks) < 8 {
		t.Fatalf("found %d console blocks in docs/cli.md; the parser lost them", len(blocks))
	}
	smtp := mailtest.Start(t)
	dir := t.TempDir()
	t.Chdir(dir) // the examples name files such as people.csv
	for _, b := range blocks {
		fixture, known := docFixtures[b.heading]
		if !known {
			t.Errorf("docs/cli.md has examples under %q: add its fixture to docFixtures", b.heading)
			continue
		}
		t.Run(b.heading, func(t *testing.T) {
			configPath := isolate(t)
			srv := testserver.Start(t, testserver.WithConfig(func(c *config.Config) {
				c.SMTPURL = smtp.URL("rollcall@example.com")
			}))
			fixture(t, srv)
			printedToken := ""
			for _, ex := range b.examples {
				args := make([]string, 0, len(ex.args)+4)
				for _, a := range ex.args {
					if a == "rc_…" && printedToken != "" {
						args = append(args, printedToken)
						continue
					}
					args = append(args, docPlaceholder(t, srv, a))
				}
				if b.heading != "Connecting" { // there, login saves them
					args = append(args, "--url", srv.URL, "--token", srv.AdminToken)
				}
				r := rc(t, args...)
				cmd := fmt.Sprintf("docs/cli.md:%d: rollcall %s", ex.line, strings.Join(ex.args, " "))
				if len(ex.errors) == 0 && r.code != 0 {
					t.Errorf("%s: exit %d\n%s%s", cmd, r.code, r.stdout, r.stderr)
				}
				for _, want := range ex.errors {
					if r.code == 0 || !strings.Contains(r.stderr, want+"\n") {
						t.Errorf("%s: exit %d, stderr\n%s\nwant the documented\n%s", cmd, r.code, r.stderr, want)
					}
				}
				if ex.stdout != "" {
					if err := os.WriteFile(ex.stdout, []byte(r.stdout), 0o600); err != nil {
						t.Fatal(err)
					}
					if edit := docEdits[b.heading]; edit != nil && strings.Contains(ex.text, "# then edit it") {
						edit(t, ex.stdout)
					}
				}
				if tok := strings.TrimSpace(r.stdout); strings.HasPrefix(tok, "rc_") && !strings.ContainsAny(tok, " \n") {
					printedToken = tok
				}
				shown := strings.NewReplacer("https://rollcall.example.com", srv.URL,
					"/home/me/.config/rollcall/config.json", configPath)
				if missing := missingOutput(ex.output, r.stdout+r.stderr, shown); missing != "" {
					t.Errorf("%s: the docs show it printing\n%s\nbut it printed\n%s%s", cmd, missing, r.stdout, r.stderr)
				}
			}
		})
	}
}

// TestDocsNameEveryCommandAndFlag checks that docs/cli.md names every
// command of the rollcall tree ("rollcall users enable") and every flag
// ("--external-id"), so that what --help offers is documented.
func TestDocsNameEveryCommandAndFlag(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "cli.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	var visit func(cmd *cobra.Command)
	visit = func(cmd *cobra.Command) {
		if cmd.Name() == "help" || cmd.Name() == "completion" {
			return
		}
		path := strings.TrimPrefix(cmd.CommandPath(), "rollcall")
		if !cmd.HasSubCommands() && !strings.Contains(doc, "rollcall"+path) {
			t.Errorf("docs/cli.md never shows %q", cmd.CommandPath())
		}
		cmd.LocalFlags().VisitAll(func(f *pflag.Flag) {
			if f.Name != "help" && !strings.Contains(doc, "`--"+f.Name) && !strings.Contains(doc, " --"+f.Name) {
				t.Errorf("docs/cli.md does not mention --%s of %s", f.Name, cmd.CommandPath())
			}
		})
		for _, sub := range cmd.Commands() {
			visit(sub)
		}
	}
	visit(newRootCommand())
}

// docPlaceholder replaces what the docs elide or make up with the test
// server's real values.
func docPlaceholder(t *testing.T, srv *testserver.Server, arg string) string {
	switch arg {
	case "rc_…":
		return srv.AdminToken
	case "https://rollcall.example.com":
		return srv.URL
	case "./rollcall.db":
		return srv.DSN
	case "0193…": // the id of the token the API tokens block created
		rows, err := csv.NewReader(strings.NewReader(ok(t, srv, "tokens", "list", "--user", "ci-bot", "-o", "csv"))).ReadAll()
		if err != nil || len(rows) < 2 {
			t.Fatalf("no token to stand for 0193…: %v %v", rows, err)
		}
		return rows[1][0]
	}
	return arg
}

// readDocExamples collects the console blocks of a Markdown file.
func readDocExamples(t *testing.T, path string) []docBlock {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var blocks []docBlock
	var heading string
	var cur *docBlock
	lines := strings.Split(string(b), "\n")
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		switch {
		case cur == nil && strings.HasPrefix(line, "#"):
			heading = strings.TrimSpace(strings.TrimLeft(line, "#"))
		case cur == nil && strings.TrimSpace(line) == "```console":
			blocks = append(blocks, docBlock{heading: heading})
			cur = &blocks[len(blocks)-1]
		case cur != nil && strings.TrimSpace(line) == "```":
			cur = nil
		case cur != nil && strings.HasPrefix(line, "$ rollcall "):
			start := i
			cmd := strings.TrimPrefix(line, "$ rollcall ")
			for strings.HasSuffix(cmd, `\`) && i+1 < len(lines) {
				i++
				cmd = strings.TrimSuffix(cmd, `\`) + " " + strings.TrimSpace(lines[i])
			}
			args, redirect := shellWords(cmd)
			cur.examples = append(cur.examples, docExample{line: start + 1, text: cmd, args: args, stdout: redirect})
		case cur != nil && strings.HasPrefix(line, "Error: ") && len(cur.examples) > 0:
			ex := &cur.examples[len(cur.examples)-1]
			ex.errors = append(ex.errors, line)
		case cur != nil && strings.TrimSpace(line) != "" && len(cur.examples) > 0:
			ex := &cur.examples[len(cur.examples)-1]
			out, _, _ := strings.Cut(line, "   #") // a comment beside the output
			ex.output = append(ex.output, strings.TrimRight(out, " "))
		}
	}
	return blocks
}

// missingOutput returns the first of the documented output lines that the
// command's output lacks, or "". The lines must appear in order; "…" in a
// documented line stands for any text, and shown turns the docs' made-up
// values into the test's real ones.
func missingOutput(documented []string, output string, shown *strings.Replacer) string {
	lines := strings.Split(output, "\n")
	next := 0
	for _, d := range documented {
		parts := strings.Split(shown.Replace(d), "…")
		for i := range parts {
			parts[i] = regexp.QuoteMeta(parts[i])
		}
		re := regexp.MustCompile("^" + strings.Join(parts, ".*") + "$")
		found := false
		for next < len(lines) && !found {
			found = re.MatchString(lines[next])
			next++
		}
		if !found {
			return d
		}
	}
	return ""
}

// shellWords splits a command line as a shell would for the simple lines
// of the docs: quotes, a trailing # comment, and "> FILE".
func shellWords(s string) (words []string, redirect string) {
	var word strings.Builder
	inWord, quote := false, rune(0)
	flush := func() {
		if inWord {
			words = append(words, word.String())
		}
		word.Reset()
		inWord = false
	}
	for _, r := range s {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			word.WriteRune(r)
		case r == '"' || r == '\'':
			quote, inWord = r, true
		case r == ' ' || r == '\t':
			flush()
		case r == '#' && !inWord:
			flush()
			return splitRedirect(words)
		default:
			word.WriteRune(r)
			inWord = true
		}
	}
	flush()
	return splitRedirect(words)
}

func splitRedirect(words []string) ([]string, string) {
	for i, w := range words {
		if w == ">" && i+1 < len(words) {
			return words[:i], words[i+1]
		}
	}
	return words, ""
}
