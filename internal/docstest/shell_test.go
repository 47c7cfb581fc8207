//go:build unix

package docstest

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rollcall/rollcall/internal/config"
	"github.com/rollcall/rollcall/internal/mail/mailtest"
	"github.com/rollcall/rollcall/internal/testserver"
	"github.com/rollcall/rollcall/internal/testutil/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// shellBlock is a fenced sh, shell or bash block of a Markdown file.
type shellBlock struct {
	key  string // "README.md#Walkthrough with curl/1": file, heading, number under it
	line int
	text string
}

// shellRuns says, for every shell block of the documents below that the
// test runs, how it runs it exactly as written. Every other block must be
// in shellNotRun with the reason; a block in neither fails the test, so a
// new one gets looked at.
var shellRuns = map[string]func(t *testing.T, b shellBlock){
	"README.md#Walkthrough with curl/1":                      runWalkthrough,
	"docs/web.md#Setup links/1":                              runSetupLinkCommands,
	"README.md#Sign in to an application (OpenID Connect)/1": runRegisterApplication,
	"README.md#Sign in to an application (OpenID Connect)/2": runGroupCustomClaims,
}

// shellNotRun gives, for each shell block this test does not run, why not
// and which test covers the same commands instead. They are not subtests,
// so nothing here is reported as skipped.
var shellNotRun = map[string]string{
	"README.md#Rollcall/1": "starts a server in the foreground and runs the whole test suite",
	"README.md#The CLI in five commands/1": "stands for a token (rc_…) and a CSV of the reader's; " +
		"the same commands in docs/cli.md run in internal/cli's TestDocsExamplesRun",
	"README.md#Terraform/1": "installs the provider into the reader's GOBIN; " +
		"internal/provider's TestDevOverridesAsDocumented runs it with GOBIN in a temporary directory",
	"docs/index.md#Using a locally built provider/1": "the same go install as README.md#Terraform/1, " +
		"run by internal/provider's TestDevOverridesAsDocumented",
	"docs/web.md#First start/1": "stands for the reader's database and URL; " +
		"internal/cli's TestAdminSetupLink runs admin setup-link against a real database",
	"docs/web.md#The admin console/1": "runs the user-list benchmarks at 100,000 users; internal/store/sqlstore's " +
		"TestSQLite and TestPostgres (ListUsersPage) run the same queries",
	"docs/web.md#Tests and screenshots/1": "installs Chromium and runs internal/web's own tests",
	"docs/web.md#Tests and screenshots/2": "rewrites the screenshots in docs/screenshots",
	"docs/index.md#Authentication/1": "stands for the reader's server, token and Terraform configuration; " +
		"internal/provider's acceptance tests cover authentication",
}

// TestShellBlocks runs the shell blocks of README.md, docs/web.md and
// docs/index.md as a reader would paste them, with bash -euo pipefail, and
// checks what they print.
func TestShellBlocks(t *testing.T) {
	root := repoRoot(t)
	var all []shellBlock
	for _, f := range []string{"README.md", "docs/web.md", "docs/index.md"} {
		all = append(all, readShellBlocks(t, root, f)...)
	}
	if len(all) < 6 {
		t.Fatalf("found %d shell blocks; the parser lost some", len(all))
	}
	seen := map[string]bool{}
	for _, b := range all {
		seen[b.key] = true
		if _, covered := shellNotRun[b.key]; covered {
			continue
		}
		run, ok := shellRuns[b.key]
		if !ok {
			t.Errorf("%s (line %d) is a shell block the test does not know: add it to shellRuns or shellNotRun", b.key, b.line)
			continue
		}
		t.Run(b.key, func(t *testing.T) { run(t, b) })
	}
	for key := range shellNotRun {
		if !seen[key] {
			t.Errorf("shellNotRun names %s, which is no shell block any more", key)
		}
	}
	for key := range shellRuns {
		if !seen[key] {
			t.Errorf("shellRuns names %s, which is no shell block any more", key)
		}
	}
}

// readShellBlocks returns the sh, shell and bash blocks of a Markdown file,
// each keyed by the file, the heading above it and its number under that
// heading.
func readShellBlocks(t *testing.T, root, file string) []shellBlock {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, file))
	if err != nil {
		t.Fatal(err)
	}
	var out []shellBlock
	heading, n := "", 0
	var cur *shellBlock
	fence := ""
	for i, line := range strings.Split(string(data), "\n") {
		switch {
		case cur != nil && strings.TrimSpace(line) == fence:
			out = append(out, *cur)
			cur, fence = nil, ""
		case cur != nil:
			cur.text += line + "\n"
		case fence != "" && strings.TrimSpace(line) == fence:
			fence = "" // the end of a block of another language
		case fence != "":
		case strings.HasPrefix(line, "```"):
			fence = "```"
			switch strings.TrimSpace(strings.TrimPrefix(line, "```")) {
			case "sh", "shell", "bash":
				n++
				cur = &shellBlock{key: file + "#" + heading + "/" + strconv.Itoa(n), line: i + 1}
			}
		case strings.HasPrefix(line, "#"):
			heading, n = strings.TrimSpace(strings.TrimLeft(line, "#")), 0
		}
	}
	return out
}

// cleanEnv is the test's environment without any ROLLCALL_ variable and
// with XDG_CONFIG_HOME in a temporary directory (no saved CLI login), plus
// extra. HOME stays, and with it Go's module and build caches.
func cleanEnv(t *testing.T, extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ROLLCALL_") && !strings.HasPrefix(kv, "XDG_CONFIG_HOME=") {
			env = append(env, kv)
		}
	}
	return append(append(env, "XDG_CONFIG_HOME="+t.TempDir()), extra...)
}

// runBash runs text with bash -euo pipefail in dir, in a process group of
// its own that is killed when it ends, with whatever it started in the
// background (the walkthrough's server). It returns stdout and stderr.
func runBash(t *testing.T, dir, text string, env []string) (string, string) {
	t.Helper()
	if _, err := exec.LookPath("bash"); err != nil {
		t.Fatalf("the documents' shell blocks need bash: %v", err)
	}
	script := filepath.Join(t.TempDir(), "block.sh")
	if err := os.WriteFile(script, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	outF, errF := filepath.Join(t.TempDir(), "stdout"), filepath.Join(t.TempDir(), "stderr")
	stdout, err := os.Create(outF)
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := os.Create(errF)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-euo", "pipefail", script)
	cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = dir, env, stdout, stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	err = cmd.Start()
	if err != nil {
		t.Fatal(err)
	}
	stopGroup := func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM) }
	t.Cleanup(stopGroup)
	err = cmd.Wait()
	stopGroup()
	stdout.Close()
	stderr.Close()
	o, _ := os.ReadFile(outF)
	e, _ := os.ReadFile(errF)
	if err != nil {
		t.Fatalf("bash -euo pipefail: %v\nstdout:\n%s\nstderr:\n%s", err, o, e)
	}
	return string(o), string(e)
}

// freeAddr is a free 127.0.0.1 address for a server the test starts.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// checkout is a temporary directory that looks like a fresh clone: every
// file and directory of the repository's top level, linked to the real one,
// except .git and what the commands leave behind (the binaries and the
// database). The walkthrough's ./rollcall and ./rollcall.db land there.
func checkout(t *testing.T) string {
	t.Helper()
	root, dir := repoRoot(t), t.TempDir()
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		n := e.Name()
		if n == ".git" || n == "rollcall" || n == "terraform-provider-rollcall" || strings.HasPrefix(n, "rollcall.db") {
			continue
		}
		if err := os.Symlink(filepath.Join(root, n), filepath.Join(dir, n)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// runWalkthrough runs the README's walkthrough in a fresh checkout on a
// free port: it builds the binary, starts the server in the background,
// waits for it and talks to it with curl and jq.
func runWalkthrough(t *testing.T, b shellBlock) {
	for _, tool := range []string{"go", "curl", "jq", "tr", "head"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("the README's walkthrough needs %s: %v (apt-get install -y curl jq)", tool, err)
		}
	}
	dir, addr := checkout(t), freeAddr(t)
	out, errOut := runBash(t, dir, b.text, cleanEnv(t, "ROLLCALL_ADDR="+addr))

	// Jane, as the server canonicalised her, in both groups.
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`"username":\s*"jane.doe"`),
		regexp.MustCompile(`"locale":\s*"de-DE"`),
		regexp.MustCompile(`\[\s*"engineering",\s*"oncall"\s*\]|\[\s*"oncall",\s*"engineering"\s*\]`),
		regexp.MustCompile(`"url":\s*"http://localhost:` + regexp.QuoteMeta(addr[strings.LastIndex(addr, ":")+1:]) + `/setup/[A-Za-z0-9_-]{20,}"`),
		regexp.MustCompile(`"action":\s*"group.create"`),
		regexp.MustCompile(`"action":\s*"user.create"`),
		regexp.MustCompile(`"target-name":\s*"jane.doe"`),
	} {
		if !want.MatchString(out) {
			t.Errorf("the walkthrough's output lacks %s:\n%s\nstderr:\n%s", want, out, errOut)
		}
	}
	if strings.Contains(errOut, "curl:") {
		t.Errorf("a curl call failed:\n%s\nstderr:\n%s", out, errOut)
	}
	for _, f := range []string{"rollcall", "rollcall.db"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("the walkthrough should leave ./%s in the checkout: %v", f, err)
		}
	}
	// The server the block started in the background is gone with it.
	waitDown(t, "http://"+addr+"/readyz")
}

// waitDown waits until nothing answers at url.
func waitDown(t *testing.T, url string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; {
		res, err := http.Get(url)
		if err != nil {
			return
		}
		res.Body.Close()
		if time.Now().After(deadline) {
			t.Fatalf("the walkthrough's server still answers at %s after the test stopped it", url)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// runSetupLinkCommands runs docs/web.md's setup-link commands with the
// rollcall binary on PATH, against a server with an SMTP server, for the
// user ada the block names.
func runSetupLinkCommands(t *testing.T, b shellBlock) {
	root, bin := repoRoot(t), t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "rollcall"), "./cmd/rollcall")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	smtp := mailtest.Start(t)
	srv := testserver.Start(t, testserver.WithConfig(func(c *config.Config) { c.SMTPURL = smtp.URL("rollcall@example.com") }))
	create := exec.Command(filepath.Join(bin, "rollcall"), "users", "create", "ada", "--email", "ada@example.com")
	create.Env = cleanEnv(t, "ROLLCALL_URL="+srv.URL, "ROLLCALL_TOKEN="+srv.AdminToken)
	if out, err := create.CombinedOutput(); err != nil {
		t.Fatalf("creating ada: %v\n%s", err, out)
	}
	env := cleanEnv(t, "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "ROLLCALL_URL="+srv.URL, "ROLLCALL_TOKEN="+srv.AdminToken)
	out, errOut := runBash(t, t.TempDir(), b.text, env)
	links := regexp.MustCompile(regexp.QuoteMeta(srv.URL)+`/setup/[A-Za-z0-9_-]{20,}`).FindAllString(out, -1)
	if len(links) != 2 || links[0] == links[1] {
		t.Errorf("want two different setup links printed, got %q:\n%s\nstderr:\n%s", links, out, errOut)
	}
	msgs := smtp.Messages()
	if len(msgs) != 1 || len(msgs[0].To) != 1 || msgs[0].To[0] != "ada@example.com" || !strings.Contains(string(msgs[0].Data), links[len(links)-1]) {
		t.Errorf("want one email to ada@example.com with the second link, got %d: %+v", len(msgs), msgs)
	}
}

// runRegisterApplication runs the README's curl that registers an OpenID
// Connect client, with T, J and API set as the walkthrough above it sets
// them, and checks that it printed the new client's id and its secret.
func runRegisterApplication(t *testing.T, b shellBlock) {
	if _, err := exec.LookPath("jq"); err != nil {
		t.Fatalf("the README's block needs jq: %v (apt-get install -y jq)", err)
	}
	srv := testserver.Start(t)
	env := cleanEnv(t,
		"T=Authorization: Bearer "+srv.AdminToken,
		"J=Content-Type: application/vnd.api+json",
		"API="+srv.URL+"/api/v1")
	out, errOut := runBash(t, t.TempDir(), b.text, env)
	var got struct{ ID, Secret string }
	if err := json.Unmarshal([]byte(out), &got); err != nil || got.ID == "" || len(got.Secret) < 20 {
		t.Fatalf("registering an application printed no id and secret (%v):\n%s\nstderr:\n%s", err, out, errOut)
	}
}

// runGroupCustomClaims creates the README's group with custom claims and
// checks that the server answers them back, compact with sorted keys.
func runGroupCustomClaims(t *testing.T, b shellBlock) {
	if _, err := exec.LookPath("jq"); err != nil {
		t.Fatalf("the README's block needs jq: %v (apt-get install -y jq)", err)
	}
	srv := testserver.Start(t)
	env := cleanEnv(t,
		"T=Authorization: Bearer "+srv.AdminToken,
		"J=Content-Type: application/vnd.api+json",
		"API="+srv.URL+"/api/v1")
	out, errOut := runBash(t, t.TempDir(), b.text, env)
	if strings.TrimSpace(out) != `{"on_call":true,"role":"sre"}` {
		t.Fatalf("creating the group printed %q, want its custom claims\nstderr:\n%s", out, errOut)
	}
}
