package provider

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rollcall/rollcall/api"
	"github.com/rollcall/rollcall/client"
	"github.com/rollcall/rollcall/internal/testserver"
)

// repoRoot is the module root, two levels above this package.
func repoRoot(t testing.TB) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// realCLI runs the real terraform CLI against the provider binary built
// from ./cmd/terraform-provider-rollcall, installed through dev_overrides:
// no `terraform init`, no registry, as a developer would run it.
type realCLI struct {
	terraform string
	env       []string
	// lastCPU is the CPU time (user and system) of the last run: terraform
	// with the provider processes it started and waited for.
	lastCPU time.Duration
}

// newRealCLI writes a CLI configuration whose dev_overrides point
// registry.terraform.io/rollcall/rollcall at the provider that
// installedProvider built (once for all tests).
func newRealCLI(t testing.TB) *realCLI {
	t.Helper()
	tf := terraformPath(t)
	bin := installedProvider(t)
	rc := filepath.Join(t.TempDir(), "terraformrc")
	cfg := fmt.Sprintf(`provider_installation {
  dev_overrides {
    %q = %q
  }
  direct {}
}
`, Address, bin)
	if err := os.WriteFile(rc, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{}
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case k == "ROLLCALL_PROVIDER_CPUPROFILE":
			// Kept: profiling the provider binary (see its main).
		case strings.HasPrefix(k, "TF_"), strings.HasPrefix(k, "ROLLCALL_"), k == "CHECKPOINT_DISABLE":
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "TF_CLI_CONFIG_FILE="+rc, "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1")
	return &realCLI{terraform: tf, env: env}
}

// run runs terraform in dir against the server and returns its exit code;
// an exit code not in ok fails the test with terraform's output.
func (cli *realCLI) run(t testing.TB, dir string, srv *testserver.Server, ok []int, args ...string) int {
	t.Helper()
	cmd := exec.Command(cli.terraform, args...)
	cmd.Dir = dir
	// Clipped: parallel tests share cli.env, and an append into its spare
	// capacity would hand one test's server to another.
	cmd.Env = append(slices.Clip(cli.env), "ROLLCALL_URL="+srv.URL, "ROLLCALL_TOKEN="+srv.AdminToken)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ps := cmd.ProcessState; ps != nil {
		cli.lastCPU = ps.UserTime() + ps.SystemTime()
	}
	code := 0
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		t.Fatalf("running terraform %v in %s: %v", args, dir, err)
	}
	for _, c := range ok {
		if c == code {
			return code
		}
	}
	t.Fatalf("terraform %s in %s exited %d:\n%s", strings.Join(args, " "), dir, code, out.String())
	return code
}

// copyModule makes a root module of the example files in src plus the
// provider block of examples/provider.
func copyModule(t testing.TB, src string, extra ...string) string {
	t.Helper()
	dst := t.TempDir()
	files, _ := filepath.Glob(filepath.Join(src, "*"))
	files = append(files, extra...)
	for _, f := range files {
		if strings.HasSuffix(f, ".sh") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, filepath.Base(f)), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// TestExamplesApplyWithRealCLI applies every example configuration in
// examples/ with the real terraform CLI and the built provider: apply, a
// second plan with no changes (-detailed-exitcode 0), destroy.
func TestExamplesApplyWithRealCLI(t *testing.T) {
	t.Parallel()
	shared := newRealCLI(t)
	root := repoRoot(t)
	providerTF := filepath.Join(root, "examples", "provider", "provider.tf")
	dirs := []string{filepath.Join(root, "examples", "provider")}
	for _, kind := range []string{"resources", "data-sources"} {
		sub, _ := filepath.Glob(filepath.Join(root, "examples", kind, "*"))
		dirs = append(dirs, sub...)
	}
	if len(dirs) < 9 {
		t.Fatalf("found only %d example directories under %s/examples", len(dirs), root)
	}
	for _, dir := range dirs {
		name, _ := filepath.Rel(filepath.Join(root, "examples"), dir)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cli := *shared // run records lastCPU
			srv := testserver.Start(t, testserver.WithLogLevel(slog.LevelWarn))
			var extra []string
			if !strings.HasSuffix(dir, "provider") {
				extra = []string{providerTF}
			}
			if strings.HasPrefix(name, "data-sources") {
				dataSourceFixtures(t, srv)
			}
			mod := copyModule(t, dir, extra...)
			cli.run(t, mod, srv, []int{0}, "apply", "-auto-approve", "-input=false", "-no-color")
			cli.run(t, mod, srv, []int{0}, "plan", "-detailed-exitcode", "-input=false", "-no-color")
			cli.run(t, mod, srv, []int{0}, "destroy", "-auto-approve", "-input=false", "-no-color")
		})
	}
}

// dataSourceFixtures creates what the data source examples look up: the
// user jane in the group engineering, and the application Grafana.
func dataSourceFixtures(t *testing.T, srv *testserver.Server) {
	t.Helper()
	c, err := client.New(srv.URL, client.WithToken(srv.AdminToken))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	g, err := c.Groups.Create(ctx, api.GroupWriteAttributes{Name: api.Some("engineering")}, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	ids := []string{g.ID}
	if _, err := c.Users.Create(ctx, api.UserWriteAttributes{
		Username: api.Some("jane"), Email: api.Some("jane@example.com"), FirstName: api.Some("Jane"),
	}, &ids, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := c.OIDCClients.Create(ctx, api.OIDCClientWriteAttributes{
		Name: api.Some("Grafana"), RedirectURIs: api.Some([]string{"https://grafana.example.com/login/generic_oauth"}),
	}); err != nil {
		t.Fatal(err)
	}
}
