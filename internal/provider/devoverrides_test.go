package provider

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rollcall/rollcall/internal/testserver"
)

// fencedBlock returns the first fenced code block of doc in one of langs
// that contains want.
func fencedBlock(t *testing.T, name, doc, want string, langs ...string) string {
	t.Helper()
	re := regexp.MustCompile("(?ms)^```(" + strings.Join(langs, "|") + ")\n(.*?)^```")
	for _, m := range re.FindAllStringSubmatch(doc, -1) {
		if strings.Contains(m[2], want) {
			return m[2]
		}
	}
	t.Fatalf("%s has no %v block with %q", name, langs, want)
	return ""
}

// TestDevOverridesAsDocumented follows docs/index.md's "Using a locally
// built provider" and the README's Terraform section to the letter: the
// go install command they give, the dev_overrides block they give (with
// the install directory in place of /home/you/go/bin), the
// registry source "rollcall/rollcall", no terraform init, then terraform
// plan against a real server. The plan must work offline, and the
// provider must log its version and send it in its User-Agent.
func TestDevOverridesAsDocumented(t *testing.T) {
	tf := terraformPath(t)
	t.Parallel()
	root := repoRoot(t)
	const placeholder = "/home/you/go/bin"
	var rcBlock string
	for _, name := range []string{"docs/index.md", "README.md"} {
		b, err := os.ReadFile(filepath.Join(root, name))
		if err != nil {
			t.Fatal(err)
		}
		install := fencedBlock(t, name, string(b), "go install", "shell", "sh")
		if line, _, _ := strings.Cut(install, "#"); strings.TrimSpace(line) != installCommand {
			t.Errorf("%s tells people to run %q; the tests run %q", name, strings.TrimSpace(install), installCommand)
		}
		rc := fencedBlock(t, name, string(b), "dev_overrides", "terraform", "hcl")
		if !strings.Contains(rc, `"`+Address+`" = "`+placeholder+`"`) {
			t.Errorf("%s's dev_overrides block does not map %s to %s:\n%s", name, Address, placeholder, rc)
		}
		if rcBlock != "" && rc != rcBlock {
			t.Errorf("%s's dev_overrides block differs from docs/index.md's:\n%s", name, rc)
		}
		rcBlock = rc
	}
	if t.Failed() {
		return
	}

	bin := installedProvider(t) // installCommand with GOBIN=bin
	rc := filepath.Join(t.TempDir(), "terraformrc")
	if err := os.WriteFile(rc, []byte(strings.ReplaceAll(rcBlock, placeholder, bin)), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := testserver.Start(t, testserver.WithLogLevel(slog.LevelWarn))
	rec := recordUserAgents(t, srv.URL)
	mod := copyModule(t, filepath.Join(root, "examples", "provider"))
	main := `resource "rollcall_group" "docs" { name = "docs" }` + "\n"
	if err := os.WriteFile(filepath.Join(mod, "main.tf"), []byte(main), 0o600); err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(tf, "plan", "-input=false", "-no-color", "-detailed-exitcode")
	cmd.Dir = mod
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); !strings.HasPrefix(k, "TF_") && !strings.HasPrefix(k, "ROLLCALL_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "TF_CLI_CONFIG_FILE="+rc, "CHECKPOINT_DISABLE=1", "TF_LOG_PROVIDER=INFO",
		"ROLLCALL_URL="+rec.URL, "ROLLCALL_TOKEN="+srv.AdminToken)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 2 {
		t.Fatalf("terraform plan (without init) = %v, want exit code 2 (changes to make)\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	for _, want := range []string{"Provider development overrides are in effect", "rollcall_group.docs will be created"} {
		if !strings.Contains(stdout.String()+stderr.String(), want) {
			t.Errorf("terraform plan did not say %q:\n%s\n%s", want, stdout.String(), stderr.String())
		}
	}
	logged := regexp.MustCompile(`configuring the Rollcall provider:.*provider_version=(\S+)`).FindStringSubmatch(stderr.String())
	if logged == nil {
		t.Fatalf("the provider logged no version at TF_LOG_PROVIDER=INFO:\n%s", stderr.String())
	}
	version := strings.Trim(logged[1], `"`)
	agents := rec.seen()
	want := regexp.MustCompile(`^terraform-provider-rollcall/` + regexp.QuoteMeta(version) + ` Terraform/\d+\.\d+\.\d+`)
	t.Logf("the provider logged version %q; User-Agents %q", version, agents)
	if version == "" || len(agents) != 1 || !want.MatchString(agents[0]) {
		t.Errorf("the provider logged version %q and the server saw User-Agents %q", version, agents)
	}
}
