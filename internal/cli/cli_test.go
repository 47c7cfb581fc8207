package cli

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rollcall/rollcall/internal/testserver"
	"github.com/rollcall/rollcall/internal/testutil/pgtest"
)

// TestMain stops the shared throwaway PostgreSQL server the import
// benchmark starts.
func TestMain(m *testing.M) { pgtest.Main(m) }

var update = flag.Bool("update", false, "rewrite the golden files in testdata/ with the current output")

// cliResult is what one command line printed and returned.
type cliResult struct {
	code           int
	stdout, stderr string
}

// isolate keeps the developer's own config and environment out of a test.
func isolate(t testing.TB) string {
	t.Helper()
	cfg := filepath.Join(t.TempDir(), "config.json")
	t.Setenv(envConfig, cfg)
	t.Setenv(envURL, "")
	t.Setenv(envToken, "")
	return cfg
}

// rc runs the rollcall command line with stdin empty.
func rc(t testing.TB, args ...string) cliResult {
	t.Helper()
	return rcIn(t, "", args...)
}

func rcIn(t testing.TB, stdin string, args ...string) cliResult {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Run(context.Background(), args, strings.NewReader(stdin), &out, &errOut)
	return cliResult{code: code, stdout: out.String(), stderr: errOut.String()}
}

// as runs a command against srv with token tok.
func as(t testing.TB, srv *testserver.Server, tok string, args ...string) cliResult {
	t.Helper()
	return rc(t, append(args, "--url", srv.URL, "--token", tok)...)
}

// ok runs a command as the admin and fails the test unless it exits 0.
func ok(t testing.TB, srv *testserver.Server, args ...string) string {
	t.Helper()
	r := as(t, srv, srv.AdminToken, args...)
	if r.code != 0 {
		t.Fatalf("rollcall %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

// fails runs a command as the admin and checks its exit code and that
// stderr contains each of want.
func fails(t testing.TB, srv *testserver.Server, code int, want []string, args ...string) cliResult {
	t.Helper()
	r := as(t, srv, srv.AdminToken, args...)
	if r.code != code {
		t.Errorf("rollcall %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, code, r.stdout, r.stderr)
	}
	for _, w := range want {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("rollcall %s: stderr does not say %q:\n%s", strings.Join(args, " "), w, r.stderr)
		}
	}
	return r
}

var (
	uuidRE  = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	timeRE  = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z`)
	reqIDRE = regexp.MustCompile(`\b[0-9a-f]{24}\b`)
	tokenRE = regexp.MustCompile(`rc_[0-9A-Za-z]{43}`)
	// prefixRE is a token's display prefix in lists.
	prefixRE = regexp.MustCompile(`\brc_[0-9A-Za-z]{4,12}\b`)
	urlRE    = regexp.MustCompile(`http://127\.0\.0\.1:\d+`)
)

// normalise replaces what changes from run to run with placeholders of
// the same width, so that table columns stay aligned: ids are numbered in
// order of first appearance.
func normalise(s string) string {
	ids := map[string]string{}
	s = uuidRE.ReplaceAllStringFunc(s, func(id string) string {
		if n, ok := ids[id]; ok {
			return n
		}
		n := fmt.Sprintf("00000000-0000-0000-0000-%012d", len(ids)+1)
		ids[id] = n
		return n
	})
	// Tables print whole seconds, so dropping JSON's fractions keeps
	// every column aligned.
	s = timeRE.ReplaceAllString(s, "2000-01-01T00:00:00Z")
	s = reqIDRE.ReplaceAllString(s, "000000000000000000000000")
	s = tokenRE.ReplaceAllString(s, "rc_"+strings.Repeat("x", 43))
	s = prefixRE.ReplaceAllStringFunc(s, func(p string) string { return "rc_" + strings.Repeat("x", len(p)-3) })
	return urlRE.ReplaceAllString(s, "http://127.0.0.1:8080")
}

// golden compares got (normalised) with testdata/name.golden, or rewrites
// the file with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	got = normalise(got)
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v; run go test ./internal/cli -run %s -update to create it", err, t.Name())
	}
	if got != string(want) {
		t.Errorf("output differs from %s (run with -update if the change is intended):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}
