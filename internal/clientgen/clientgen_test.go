// Package clientgen_test checks that api/openapi.json is usable by the
// client generators people reach for, not only valid: oapi-codegen
// generates a Go client and Node's openapi-typescript a TypeScript one,
// each is compiled (the TypeScript type-checked strictly) and then used
// against a real server to create, list, read and delete a user and to
// read a JSON:API error. Redocly's strict lint runs on the description too.
//
// The tools are pinned: oapi-codegen by its version below (fetched through
// the Go module proxy), the npm packages by testdata/ts/package-lock.json
// (installed with npm ci, which scripts/test does and the test does itself
// when node_modules is missing). Node.js and npm must be installed; the
// test fails, never skips, without them.
package clientgen_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rollcall/rollcall/internal/testserver"
)

// oapiCodegen is the generator the Go client test runs.
const oapiCodegen = "github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen@v2.8.2"

// description is the absolute path of api/openapi.json.
func description(t *testing.T) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("..", "..", "api", "openapi.json"))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// run runs name with args in dir and returns its standard output; it
// fails the test with everything the command printed when it fails.
func run(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s (in %s): %v\nstdout:\n%s\nstderr:\n%s", name, strings.Join(args, " "), dir, err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

// copyFiles copies the named files of testdata/src into a new temporary
// directory and returns it.
func copyFiles(t *testing.T, src string, names ...string) string {
	t.Helper()
	dst := t.TempDir()
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join("testdata", src, n))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, n), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// lastLine is the last non-empty line of s.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// TestGoClientFromOapiCodegen generates a Go client with oapi-codegen,
// builds testdata/go/main.go with it, and runs it against a real server.
func TestGoClientFromOapiCodegen(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is not on PATH: %v", err)
	}
	dir := copyFiles(t, "go", "go.mod", "go.sum", "main.go", "oapi-codegen.yaml")
	env := []string{"GOWORK=off", "GOFLAGS=-mod=mod"}
	run(t, dir, env, goTool, "run", oapiCodegen, "-config", "oapi-codegen.yaml", description(t))
	srv := testserver.Start(t)
	out := run(t, dir, append(env, "ROLLCALL_URL="+srv.URL, "ROLLCALL_TOKEN="+srv.AdminToken), goTool, "run", ".")
	if got := lastLine(out); got != "ok" {
		t.Fatalf("the generated Go client's run ended with %q, want ok:\n%s", got, out)
	}
}

// TestTypeScriptClientFromOpenapiTypescript generates TypeScript types with
// openapi-typescript, type-checks testdata/ts/client_test.ts against them
// with tsc, lints the description with Redocly, and runs the script with
// openapi-fetch against a real server.
func TestTypeScriptClientFromOpenapiTypescript(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node is not on PATH (%v): install Node.js 20 or later and npm, such as Debian's nodejs and npm packages", err)
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		t.Fatalf("npm is not on PATH (%v): install npm beside Node.js, such as Debian's npm package", err)
	}
	pkg, err := filepath.Abs(filepath.Join("testdata", "ts"))
	if err != nil {
		t.Fatal(err)
	}
	modules := filepath.Join(pkg, "node_modules")
	if _, err := os.Stat(filepath.Join(modules, ".package-lock.json")); err != nil {
		// scripts/test installs them; a fresh checkout gets them here, from the lockfile.
		run(t, pkg, nil, npm, "ci", "--no-audit", "--no-fund")
	}
	dir := copyFiles(t, "ts", "package.json", "tsconfig.json", "redocly.yaml", "client_test.ts")
	if err := os.Symlink(modules, filepath.Join(dir, "node_modules")); err != nil {
		t.Fatal(err)
	}
	bin := func(name string) string { return filepath.Join(dir, "node_modules", ".bin", name) }
	env := []string{"REDOCLY_TELEMETRY=off", "REDOCLY_SUPPRESS_UPDATE_NOTICE=true", "NO_UPDATE_NOTIFIER=1"}

	run(t, dir, env, bin("redocly"), "lint", "--config", "redocly.yaml", description(t))
	run(t, dir, env, bin("openapi-typescript"), description(t), "-o", filepath.Join("gen", "schema.d.ts"))
	run(t, dir, env, bin("tsc"), "-p", ".")
	srv := testserver.Start(t)
	out := run(t, dir, append(env, "ROLLCALL_URL="+srv.URL, "ROLLCALL_TOKEN="+srv.AdminToken), node, filepath.Join("out", "client_test.js"))
	if got := lastLine(out); got != "ok" {
		t.Fatalf("the generated TypeScript client's run ended with %q, want ok:\n%s", got, out)
	}
}
