package provider

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if installed.dir != "" {
		os.RemoveAll(installed.dir)
	}
	os.Exit(code)
}

// installCommand is how docs/index.md and the README tell people to build
// the provider for dev_overrides (TestDevOverridesAsDocumented checks that
// they still say so).
const installCommand = "go install ./cmd/terraform-provider-rollcall"

// installed is the provider binary that installedProvider builds once for
// all the tests that run the real terraform CLI.
var installed struct {
	once sync.Once
	dir  string
	out  []byte
	err  error
}

// installedProvider runs installCommand once per test binary, with GOBIN
// a temporary directory, and returns that directory: the one the
// dev_overrides of the tests' CLI configuration names.
func installedProvider(t testing.TB) string {
	t.Helper()
	installed.once.Do(func() {
		installed.dir, installed.err = os.MkdirTemp("", "rollcall-provider-bin-")
		if installed.err != nil {
			return
		}
		args := strings.Fields(installCommand)
		cmd := exec.Command(args[0], args[1:]...)
		cmd.Dir = repoRoot(t)
		cmd.Env = append(os.Environ(), "GOBIN="+installed.dir)
		installed.out, installed.err = cmd.CombinedOutput()
	})
	if installed.err != nil {
		t.Fatalf("%s: %v\n%s", installCommand, installed.err, installed.out)
	}
	if _, err := os.Stat(filepath.Join(installed.dir, "terraform-provider-rollcall")); err != nil {
		t.Fatalf("%s wrote no terraform-provider-rollcall into GOBIN: %v", installCommand, err)
	}
	return installed.dir
}
