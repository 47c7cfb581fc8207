package provider

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/rollcall/rollcall/api"
	"github.com/rollcall/rollcall/client"
	"github.com/rollcall/rollcall/internal/testserver"
)

// factories serves the provider in-process to the terraform CLI that
// terraform-plugin-testing runs.
var factories = map[string]func() (tfprotov6.ProviderServer, error){
	"rollcall": NewProtocol6WithError("test"),
}

// terraformPath is the terraform CLI the tests run: TF_ACC_TERRAFORM_PATH,
// else /usr/local/bin/terraform. A missing binary fails the test with the
// way to install it.
func terraformPath(t testing.TB) string {
	t.Helper()
	p := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if p == "" {
		p = "/usr/local/bin/terraform"
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("the terraform CLI is needed at %s (%v): install Terraform 1.x from https://developer.hashicorp.com/terraform/install, or point TF_ACC_TERRAFORM_PATH at it", p, err)
	}
	return p
}

// terraformEnv sets what terraform needs to run offline and quietly: no
// checkpoint calls and a real, empty CLI configuration file.
func terraformEnv(t *testing.T) {
	t.Helper()
	t.Setenv("TF_ACC_TERRAFORM_PATH", terraformPath(t))
	t.Setenv("TF_ACC", "1")
	t.Setenv("CHECKPOINT_DISABLE", "1")
	rc := filepath.Join(t.TempDir(), "terraformrc")
	if err := os.WriteFile(rc, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TF_CLI_CONFIG_FILE", rc)
}

// startAcc starts a real Rollcall server on loopback and points the
// provider at it through ROLLCALL_URL and ROLLCALL_TOKEN.
func startAcc(t *testing.T) (*testserver.Server, *client.Client) {
	t.Helper()
	terraformEnv(t)
	srv := testserver.Start(t, testserver.WithLogLevel(slog.LevelWarn))
	t.Setenv("ROLLCALL_URL", srv.URL)
	t.Setenv("ROLLCALL_TOKEN", srv.AdminToken)
	c, err := client.New(srv.URL, client.WithToken(srv.AdminToken))
	if err != nil {
		t.Fatal(err)
	}
	return srv, c
}

// accSettings are what the provider of a test that startParallel started
// takes in place of the process's environment, and its version.
type accSettings struct {
	env     map[string]string
	version string
}

// parallelAcc holds the accSettings of the tests that startParallel
// started, by test.
var parallelAcc sync.Map // *testing.T -> *accSettings

// startParallel is startAcc for a test that runs in parallel with others:
// t.Parallel() (so it runs after the sequential tests, with the others),
// its own server, and a provider that takes that server's URL and token
// instead of ROLLCALL_URL and ROLLCALL_TOKEN (factoriesFor; setAccEnv
// changes them). The terraform settings come from TestMain.
func startParallel(t *testing.T, opts ...testserver.Option) (*testserver.Server, *client.Client) {
	t.Helper()
	terraformPath(t)
	t.Parallel()
	srv := testserver.Start(t, append([]testserver.Option{testserver.WithLogLevel(slog.LevelWarn)}, opts...)...)
	parallelAcc.Store(t, &accSettings{
		env:     map[string]string{"ROLLCALL_URL": srv.URL, "ROLLCALL_TOKEN": srv.AdminToken},
		version: "test",
	})
	t.Cleanup(func() { parallelAcc.Delete(t) })
	c, err := client.New(srv.URL, client.WithToken(srv.AdminToken))
	if err != nil {
		t.Fatal(err)
	}
	return srv, c
}

// accOf is the accSettings of a test that startParallel started.
func accOf(t *testing.T) *accSettings {
	t.Helper()
	s, ok := parallelAcc.Load(t)
	if !ok {
		t.Fatal("accOf: the test did not call startParallel")
	}
	return s.(*accSettings)
}

// setAccEnv is t.Setenv for the provider of a parallel test.
func setAccEnv(t *testing.T, key, value string) { accOf(t).env[key] = value }

// factoriesFor is the provider factories of t: a provider with its own
// server's settings when startParallel started it, else factories (the
// environment's).
func factoriesFor(t *testing.T) map[string]func() (tfprotov6.ProviderServer, error) {
	v, ok := parallelAcc.Load(t)
	if !ok {
		return factories
	}
	s := v.(*accSettings)
	env := maps.Clone(s.env)
	return map[string]func() (tfprotov6.ProviderServer, error){
		"rollcall": func() (tfprotov6.ProviderServer, error) {
			return newProtocolServer(&rollcallProvider{version: s.version, getenv: func(k string) string { return env[k] }}), nil
		},
	}
}

// mustCreateUser creates a user through the API, as someone working
// outside Terraform would.
func mustCreateUser(t *testing.T, c *client.Client, username string) *api.User {
	t.Helper()
	u, err := c.Users.Create(context.Background(), api.UserWriteAttributes{
		Username: api.Some(username), Email: api.Some(username + "@example.com"),
	}, nil, "")
	if err != nil {
		t.Fatalf("create user %s: %v", username, err)
	}
	return u
}

// mustCreateGroup creates a group through the API.
func mustCreateGroup(t *testing.T, c *client.Client, name string) *api.Group {
	t.Helper()
	g, err := c.Groups.Create(context.Background(), api.GroupWriteAttributes{Name: api.Some(name)}, nil, "")
	if err != nil {
		t.Fatalf("create group %s: %v", name, err)
	}
	return g
}

// captureAttr stores a resource attribute's value in *dst.
func captureAttr(name, key string, dst *string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		rs, ok := s.RootModule().Resources[name]
		if !ok {
			return fmt.Errorf("%s is not in the state", name)
		}
		*dst = rs.Primary.Attributes[key]
		return nil
	}
}

// sameAttr checks that a resource attribute still has the captured value.
func sameAttr(name, key string, want *string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		rs, ok := s.RootModule().Resources[name]
		if !ok {
			return fmt.Errorf("%s is not in the state", name)
		}
		if got := rs.Primary.Attributes[key]; got != *want {
			return fmt.Errorf("%s.%s = %q, want %q (it must not change)", name, key, got, *want)
		}
		return nil
	}
}

func TestProviderBadToken(t *testing.T) {
	srv, _ := startParallel(t)
	setAccEnv(t, "ROLLCALL_TOKEN", "rc_0000000000000000000000000000000000000000000")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factoriesFor(t),
		Steps: []resource.TestStep{{
			Config:      `resource "rollcall_group" "g" { name = "eng" }`,
			ExpectError: regexp.MustCompile(`(?s)The token was refused: check ROLLCALL_TOKEN.*` + regexp.QuoteMeta(srv.URL)),
		}},
	})
}

func TestProviderUnreachable(t *testing.T) {
	startParallel(t)
	setAccEnv(t, "ROLLCALL_URL", "http://127.0.0.1:1")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factoriesFor(t),
		Steps: []resource.TestStep{{
			Config:      `resource "rollcall_group" "g" { name = "eng" }`,
			ExpectError: regexp.MustCompile(`(?s)Cannot reach the Rollcall server.*http://127\.0\.0\.1:1.*connection\s+refused`),
		}},
	})
}

func TestProviderMissingSettings(t *testing.T) {
	startAcc(t)
	t.Setenv("ROLLCALL_URL", "")
	t.Setenv("ROLLCALL_TOKEN", "")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factories,
		Steps: []resource.TestStep{{
			Config:      `resource "rollcall_group" "g" { name = "eng" }`,
			ExpectError: regexp.MustCompile(`(?s)Missing Rollcall server URL.*ROLLCALL_URL`),
		}, {
			Config: `provider "rollcall" {
  url     = "http://127.0.0.1:1"
  token   = "x"
  timeout = "soon"
}
resource "rollcall_group" "g" { name = "eng" }`,
			ExpectError: regexp.MustCompile(`timeout "soon" is not a positive Go duration`),
		}},
	})
}

func TestProviderConfigArguments(t *testing.T) {
	srv, _ := startParallel(t)
	setAccEnv(t, "ROLLCALL_URL", "")
	setAccEnv(t, "ROLLCALL_TOKEN", "")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factoriesFor(t),
		Steps: []resource.TestStep{{
			Config: fmt.Sprintf(`provider "rollcall" {
  url     = %q
  token   = %q
  timeout = "10s"
}
resource "rollcall_group" "g" { name = "eng" }`, srv.URL, srv.AdminToken),
			Check: resource.TestCheckResourceAttr("rollcall_group.g", "name", "eng"),
		}},
	})
}

// wrapped compiles a pattern of the words terraform prints, where any
// space may have become a line break.
func wrapped(pattern string) *regexp.Regexp {
	return regexp.MustCompile(strings.ReplaceAll(pattern, " ", `\s+`))
}

// userAgents is a reverse proxy in front of a Rollcall server that records
// the User-Agent of every request it passes on.
type userAgents struct {
	URL    string
	mu     sync.Mutex
	agents map[string]int
}

func recordUserAgents(t testing.TB, target string) *userAgents {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rec := &userAgents{agents: map[string]int{}}
	proxy := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.mu.Lock()
		rec.agents[r.UserAgent()]++
		rec.mu.Unlock()
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	rec.URL = srv.URL
	return rec
}

// seen returns the User-Agents seen so far.
func (rec *userAgents) seen() []string {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return slices.Sorted(maps.Keys(rec.agents))
}

// TestProviderUserAgent checks that every request names the provider's
// version and Terraform's, so server logs tell them apart.
func TestProviderUserAgent(t *testing.T) {
	srv, _ := startParallel(t)
	rec := recordUserAgents(t, srv.URL)
	setAccEnv(t, "ROLLCALL_URL", rec.URL)
	accOf(t).version = "1.2.3-test"
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factoriesFor(t),
		Steps: []resource.TestStep{{
			Config: `resource "rollcall_group" "g" { name = "ua" }`,
			Check: func(*terraform.State) error {
				agents := rec.seen()
				want := regexp.MustCompile(`^terraform-provider-rollcall/1\.2\.3-test Terraform/\d+\.\d+\.\d+`)
				if len(agents) != 1 || !want.MatchString(agents[0]) {
					return fmt.Errorf("the server saw User-Agents %q, want only one like %s", agents, want)
				}
				return nil
			},
		}},
	})
}
