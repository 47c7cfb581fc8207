package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"text/template"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/rollcall/rollcall/internal/provider"
	"gopkg.in/yaml.v3"
)

// goreleaserConfig is the part of .goreleaser.yml that decides what a
// release publishes.
type goreleaserConfig struct {
	Version     int    `yaml:"version"`
	ProjectName string `yaml:"project_name"`
	Builds      []struct {
		Main    string   `yaml:"main"`
		Env     []string `yaml:"env"`
		Flags   []string `yaml:"flags"`
		Ldflags []string `yaml:"ldflags"`
		Goos    []string `yaml:"goos"`
		Goarch  []string `yaml:"goarch"`
		Binary  string   `yaml:"binary"`
	} `yaml:"builds"`
	Archives []struct {
		Formats      []string `yaml:"formats"`
		NameTemplate string   `yaml:"name_template"`
	} `yaml:"archives"`
	Checksum struct {
		NameTemplate string       `yaml:"name_template"`
		Algorithm    string       `yaml:"algorithm"`
		ExtraFiles   []extraFiles `yaml:"extra_files"`
	} `yaml:"checksum"`
	Signs []struct {
		Artifacts string   `yaml:"artifacts"`
		Signature string   `yaml:"signature"`
		Args      []string `yaml:"args"`
	} `yaml:"signs"`
	Release struct {
		ExtraFiles []extraFiles `yaml:"extra_files"`
	} `yaml:"release"`
}

type extraFiles struct {
	Glob         string `yaml:"glob"`
	NameTemplate string `yaml:"name_template"`
}

// TestReleaseLayout checks that .goreleaser.yml publishes what the
// Terraform Registry requires of a provider release (goreleaser itself is
// not run here: it is a large program outside the project's modules):
// terraform-provider-rollcall_VERSION_OS_ARCH.zip archives holding
// terraform-provider-rollcall_vVERSION, a SHA256SUMS file with a detached
// GPG signature beside it, and the registry manifest naming protocol 6.0,
// the protocol the binary serves.
func TestReleaseLayout(t *testing.T) {
	root := filepath.Join("..", "..")
	b, err := os.ReadFile(filepath.Join(root, ".goreleaser.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg goreleaserConfig
	dec := yaml.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&cfg); err != nil {
		t.Fatalf(".goreleaser.yml: %v", err)
	}
	// What goreleaser's templates see for a release of v1.2.3 for linux/amd64.
	vars := map[string]any{"ProjectName": cfg.ProjectName, "Version": "1.2.3", "Os": "linux", "Arch": "amd64",
		"Env": map[string]string{"GPG_FINGERPRINT": "ABCD"}}
	render := func(what, tmpl string) string {
		t.Helper()
		tp, err := template.New(what).Option("missingkey=error").Parse(tmpl)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		var out strings.Builder
		if err := tp.Execute(&out, vars); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return out.String()
	}
	check := func(what, got, want string) {
		t.Helper()
		if got != want {
			t.Errorf("%s is %q, want %q", what, got, want)
		}
	}

	if cfg.Version != 2 {
		t.Errorf(".goreleaser.yml has version %d, want 2 (goreleaser v2's format)", cfg.Version)
	}
	check("project_name", cfg.ProjectName, "terraform-provider-rollcall")

	if len(cfg.Builds) != 1 {
		t.Fatalf(".goreleaser.yml has %d builds, want the provider's only", len(cfg.Builds))
	}
	bd := cfg.Builds[0]
	check("the build's main", bd.Main, "./cmd/terraform-provider-rollcall")
	if !slices.Contains(bd.Env, "CGO_ENABLED=0") {
		t.Errorf("the build's env %q lacks CGO_ENABLED=0: the registry's binaries must run without a C library", bd.Env)
	}
	if !strings.Contains(strings.Join(bd.Ldflags, " "), "-X main.version={{ .Version }}") {
		t.Errorf("the build's ldflags %q do not set main.version, so the provider would report no version", bd.Ldflags)
	}
	_ = &version // the variable the ldflags set
	for _, p := range []string{"linux", "darwin", "windows"} {
		if !slices.Contains(bd.Goos, p) {
			t.Errorf("goos %q lacks %s", bd.Goos, p)
		}
	}
	for _, a := range []string{"amd64", "arm64"} {
		if !slices.Contains(bd.Goarch, a) {
			t.Errorf("goarch %q lacks %s", bd.Goarch, a)
		}
	}
	check("the binary", render("binary", bd.Binary), "terraform-provider-rollcall_v1.2.3")

	if len(cfg.Archives) != 1 {
		t.Fatalf(".goreleaser.yml has %d archives, want one", len(cfg.Archives))
	}
	if !slices.Equal(cfg.Archives[0].Formats, []string{"zip"}) {
		t.Errorf("archive formats %q, want [zip]: the registry takes zip files only", cfg.Archives[0].Formats)
	}
	check("the archive", render("archive", cfg.Archives[0].NameTemplate)+".zip", "terraform-provider-rollcall_1.2.3_linux_amd64.zip")

	check("the checksum algorithm", cfg.Checksum.Algorithm, "sha256")
	sums := render("checksum", cfg.Checksum.NameTemplate)
	check("the checksum file", sums, "terraform-provider-rollcall_1.2.3_SHA256SUMS")
	manifest := "terraform-provider-rollcall_1.2.3_manifest.json"
	for what, files := range map[string][]extraFiles{"checksum": cfg.Checksum.ExtraFiles, "release": cfg.Release.ExtraFiles} {
		if len(files) != 1 || files[0].Glob != "terraform-registry-manifest.json" {
			t.Errorf("%s extra_files %+v, want terraform-registry-manifest.json", what, files)
			continue
		}
		check(what+"'s manifest", render(what, files[0].NameTemplate), manifest)
	}

	if len(cfg.Signs) != 1 || cfg.Signs[0].Artifacts != "checksum" {
		t.Fatalf("signs %+v, want one signature of the checksum file", cfg.Signs)
	}
	sig := cfg.Signs[0].Signature
	if sig == "" {
		sig = "${artifact}.sig" // goreleaser's default
	}
	check("the signature", strings.ReplaceAll(sig, "${artifact}", sums), "terraform-provider-rollcall_1.2.3_SHA256SUMS.sig")
	args := strings.Join(cfg.Signs[0].Args, " ")
	for _, want := range []string{"--detach-sign", "--output ${signature}", "${artifact}", "--local-user {{ .Env.GPG_FINGERPRINT }}"} {
		if !strings.Contains(args, want) {
			t.Errorf("the gpg arguments %q lack %q", args, want)
		}
	}
	if strings.Contains(args, "--armor") {
		t.Error("the signature must be binary (no --armor): the registry verifies a binary detached signature")
	}

	var m struct {
		Version  int `json:"version"`
		Metadata struct {
			ProtocolVersions []string `json:"protocol_versions"`
		} `json:"metadata"`
	}
	b, err = os.ReadFile(filepath.Join(root, "terraform-registry-manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("terraform-registry-manifest.json: %v", err)
	}
	if m.Version != 1 || !slices.Equal(m.Metadata.ProtocolVersions, []string{"6.0"}) {
		t.Errorf("terraform-registry-manifest.json says version %d, protocols %q; want 1 and [6.0]", m.Version, m.Metadata.ProtocolVersions)
	}
	// The binary serves protocol 6 (tf6server in main).
	var _ func() tfprotov6.ProviderServer = provider.NewProtocol6("")
}
