package docstest

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestGitIgnore: what the README's commands leave in the checkout (the
// SQLite file of `rollcall serve` with its -wal and -shm, the binaries of
// `go build -o`, node_modules of the npm test oracles) does not show up in
// `git status`, while the sources with the same names stay tracked.
func TestGitIgnore(t *testing.T) {
	git, err := exec.LookPath("git")
	if err != nil {
		t.Fatalf("this test needs git: %v (apt-get install -y git)", err)
	}
	root := repoRoot(t)
	ignored := func(path string) bool {
		t.Helper()
		cmd := exec.Command(git, "-C", root, "check-ignore", "-q", "--no-index", path)
		err := cmd.Run()
		if err == nil {
			return true
		}
		if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 1 {
			return false
		}
		t.Fatalf("git check-ignore %s: %v", path, err)
		return false
	}
	for _, p := range []string{
		"rollcall.db", "rollcall.db-wal", "rollcall.db-shm", "rollcall.db-journal",
		"rollcall", "terraform-provider-rollcall",
		"node_modules/openid-client/package.json", "internal/oidc/testdata/node_modules/x.js",
	} {
		if !ignored(p) {
			t.Errorf("git status would show %s: add it to .gitignore", p)
		}
	}
	for _, p := range []string{
		"cmd/rollcall/main.go", "cmd/terraform-provider-rollcall/main.go",
		"internal/cli/rollcall.go", "README.md", "go.sum",
	} {
		if ignored(p) {
			t.Errorf(".gitignore hides the source %s", p)
		}
	}
}

// repoRoot is the directory of go.mod, two levels up from this package.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("go", "env", "GOMOD").Output(); err == nil && strings.TrimSpace(string(out)) != "" {
		root = filepath.Dir(strings.TrimSpace(string(out)))
	}
	return root
}
