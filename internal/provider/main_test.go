package provider

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/rollcall/rollcall/internal/testutil/pgtest"
)

// TestMain sets what terraform-plugin-testing and terraform need, for the
// whole test binary, so that tests can run in parallel (t.Setenv cannot be
// used in parallel tests): TF_ACC, the terraform CLI, no checkpoint calls,
// and a real, empty CLI configuration file. It also runs four tests at a
// time unless -parallel is given: they spend most of their time waiting
// for terraform processes and servers, not on the CPU.
func TestMain(m *testing.M) {
	flag.Parse()
	parallelSet := false
	flag.Visit(func(f *flag.Flag) { parallelSet = parallelSet || f.Name == "test.parallel" })
	if !parallelSet {
		if f := flag.Lookup("test.parallel"); f != nil {
			_ = f.Value.Set("4")
		}
	}
	rc, err := os.CreateTemp("", "terraformrc-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	rc.Close()
	os.Setenv("TF_CLI_CONFIG_FILE", rc.Name())
	os.Setenv("TF_ACC", "1")
	os.Setenv("CHECKPOINT_DISABLE", "1")
	if os.Getenv("TF_ACC_TERRAFORM_PATH") == "" {
		os.Setenv("TF_ACC_TERRAFORM_PATH", "/usr/local/bin/terraform")
	}
	os.Unsetenv("ROLLCALL_URL")
	os.Unsetenv("ROLLCALL_TOKEN")

	code := m.Run()
	pgtest.Cleanup() // the PostgreSQL server of tests that run on both databases
	os.Remove(rc.Name())
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
