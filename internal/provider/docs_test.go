package provider

import (
	"bytes"
	"encoding/json"
	"flag"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
)

var updateDocs = flag.Bool("update-docs", false, "regenerate docs/ (index.md, resources/, data-sources/) with tfplugindocs instead of checking it")

// generatedDocs are the parts of docs/ that tfplugindocs writes; the rest
// of docs/ belongs to other pages.
var generatedDocs = []string{"index.md", "resources", "data-sources"}

// generateDocs renders the provider's documentation with tfplugindocs
// into dir (relative to the repository root). tfplugindocs would build the
// provider and run `terraform init`, which needs the registry; instead the
// schema comes from the real terraform CLI through dev_overrides
// (`terraform providers schema -json`), which works offline, and is handed
// to tfplugindocs with --providers-schema.
func generateDocs(t *testing.T, dir string) {
	t.Helper()
	root := repoRoot(t)
	cli := newRealCLI(t)
	mod := copyModule(t, filepath.Join(root, "examples", "provider"))
	cmd := exec.Command(cli.terraform, "providers", "schema", "-json")
	cmd.Dir = mod
	cmd.Env = cli.env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("terraform providers schema -json: %v\n%s", err, stderr.String())
	}
	// tfplugindocs looks the schema up by the provider's short name.
	var schemas struct {
		FormatVersion   string                     `json:"format_version"`
		ProviderSchemas map[string]json.RawMessage `json:"provider_schemas"`
	}
	if err := json.Unmarshal(out, &schemas); err != nil {
		t.Fatalf("decoding the provider schema: %v", err)
	}
	s, ok := schemas.ProviderSchemas[Address]
	if !ok {
		t.Fatalf("terraform printed no schema for %s: %s", Address, out)
	}
	schemas.ProviderSchemas = map[string]json.RawMessage{"rollcall": s}
	b, err := json.Marshal(schemas)
	if err != nil {
		t.Fatal(err)
	}
	schemaFile := filepath.Join(t.TempDir(), "schema.json")
	if err := os.WriteFile(schemaFile, b, 0o600); err != nil {
		t.Fatal(err)
	}
	gen := exec.Command("go", "run", "github.com/hashicorp/terraform-plugin-docs/cmd/tfplugindocs", "generate",
		"--provider-name", "rollcall",
		"--provider-dir", root,
		"--providers-schema", schemaFile,
		"--rendered-website-dir", dir,
		"--examples-dir", "examples",
		"--website-source-dir", "templates",
	)
	gen.Dir = root
	gen.Env = cli.env
	if out, err := gen.CombinedOutput(); err != nil {
		t.Fatalf("tfplugindocs generate: %v\n%s", err, out)
	}
}

// TestDocsUpToDate regenerates the documentation into a temporary
// directory and fails when docs/ differs: a schema description, an example
// or a template changed without `go test ./internal/provider -run
// TestDocsUpToDate -update-docs`.
func TestDocsUpToDate(t *testing.T) {
	terraformPath(t)
	t.Parallel()
	root := repoRoot(t)
	if *updateDocs {
		generateDocs(t, "docs")
		return
	}
	tmp, err := os.MkdirTemp(root, ".docs-check-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(tmp) })
	rel, err := filepath.Rel(root, tmp)
	if err != nil {
		t.Fatal(err)
	}
	generateDocs(t, rel)
	want := docFiles(t, tmp)
	got := docFiles(t, filepath.Join(root, "docs"))
	if len(want) < 9 {
		t.Fatalf("tfplugindocs produced only %v", slices.Sorted(maps.Keys(want)))
	}
	for name, w := range want {
		g, ok := got[name]
		switch {
		case !ok:
			t.Errorf("docs/%s is missing; run: go test ./internal/provider -run TestDocsUpToDate -update-docs", name)
		case !bytes.Equal(g, w):
			t.Errorf("docs/%s is stale; run: go test ./internal/provider -run TestDocsUpToDate -update-docs", name)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("docs/%s is not generated any more; delete it or run: go test ./internal/provider -run TestDocsUpToDate -update-docs", name)
		}
	}
}

// docFiles reads the generated parts of a docs directory.
func docFiles(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	for _, top := range generatedDocs {
		err := filepath.WalkDir(filepath.Join(dir, top), func(p string, d os.DirEntry, err error) error {
			if err != nil {
				if os.IsNotExist(err) {
					return nil
				}
				return err
			}
			if d.IsDir() {
				return nil
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(dir, p)
			files[filepath.ToSlash(rel)] = b
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return files
}
