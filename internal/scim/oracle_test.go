package scim_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/rollcall/rollcall/internal/testserver"
)

// oracleDir holds the npm packages of the independent oracles, pinned by
// its package-lock.json; scripts/test installs them with npm ci, and the test
// does so itself when node_modules is missing.
const oracleDir = "testdata/js"

var npmOnce sync.Once

// node returns the path of node after making sure the oracles are
// installed. A missing Node.js fails the test: the oracles are part of
// what shows SCIM works, not an extra.
func node(t *testing.T) string {
	t.Helper()
	nodeBin, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node is not on PATH (%v): install Node.js 20 or later and npm, such as Debian's nodejs and npm packages", err)
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		t.Fatalf("npm is not on PATH (%v): install npm beside Node.js, such as Debian's npm package", err)
	}
	npmOnce.Do(func() {
		if _, err := os.Stat(filepath.Join(oracleDir, "node_modules", "scimmy")); err == nil {
			return
		}
		cmd := exec.Command(npm, "ci", "--no-audit", "--no-fund")
		cmd.Dir = oracleDir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("npm ci in %s: %v\n%s", oracleDir, err, out)
		}
	})
	return nodeBin
}

// kindOf says which scimmy schema a response of this request is.
func kindOf(method, path string, status int) string {
	if status >= 400 {
		return "Error"
	}
	if status == 204 || method == "DELETE" {
		return ""
	}
	p, _, _ := strings.Cut(path, "?")
	p = strings.TrimPrefix(p, "/scim/v2")
	parts := strings.Split(strings.Trim(p, "/"), "/")
	list := len(parts) == 1 || (len(parts) == 2 && parts[1] == ".search")
	switch parts[0] {
	case "Users", "Groups":
		k := strings.TrimSuffix(parts[0], "s")
		if list && method != "POST" || len(parts) == 2 && parts[1] == ".search" {
			return "List:" + k
		}
		return k
	case "ServiceProviderConfig":
		return "ServiceProviderConfig"
	case "ResourceTypes":
		if list {
			return "List:ResourceType"
		}
		return "ResourceType"
	case "Schemas":
		if list {
			return "List:Schema"
		}
		return "Schema"
	}
	return ""
}

type exchange struct {
	Name string          `json:"name"`
	Kind string          `json:"kind"`
	Body json.RawMessage `json:"body"`
}

// validate runs scimmy over the exchanges and fails t for each it refuses.
func validate(t *testing.T, exchanges []exchange) {
	t.Helper()
	in, err := json.Marshal(exchanges)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node(t), "validate.mjs")
	cmd.Dir = oracleDir
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node validate.mjs: %v\n%s", err, stderr.String())
	}
	var problems []struct{ Name, Problem string }
	if err := json.Unmarshal(out, &problems); err != nil {
		t.Fatalf("validate.mjs printed %s: %v", out, err)
	}
	for _, p := range problems {
		t.Errorf("scimmy refuses %s: %s", p.Name, p.Problem)
	}
}

// TestScimmyValidatesResponses replays the Okta and Entra ID sequences,
// the discovery endpoints and the bad-input cases, and has scimmy (npm,
// RFC 7643 schemas with the enterprise extension) check every resource,
// list and error the server answered.
func TestScimmyValidatesResponses(t *testing.T) {
	srv := testserver.Start(t)
	var exchanges []exchange
	record := func(method, path string, r response) {
		kind := kindOf(method, path, r.Status)
		if kind == "" || len(r.Body) == 0 {
			return
		}
		exchanges = append(exchanges, exchange{Name: method + " " + path + " → " + strconv.Itoa(r.Status), Kind: kind, Body: r.Body})
	}
	files, _ := filepath.Glob("testdata/replay/*.json")
	for _, f := range files {
		c := &client{t: t, srv: srv, token: scimToken(t, srv), record: record}
		replayFresh(t, c, f)
	}
	c := &client{t: t, srv: srv, token: scimToken(t, srv), record: record}
	for _, p := range []string{"/scim/v2/ServiceProviderConfig", "/scim/v2/ResourceTypes", "/scim/v2/ResourceTypes/User",
		"/scim/v2/Schemas", "/scim/v2/Schemas/urn:ietf:params:scim:schemas:core:2.0:User", "/scim/v2/Users?count=2",
		"/scim/v2/Groups", "/scim/v2/Users?filter=" + esc(`userName sw "x" or not (active eq true)`)} {
		wantStatus(t, p, c.do("GET", p, nil), 200)
	}
	c.do("POST", "/scim/v2/.search", map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:SearchRequest"}, "filter": `userName pr`})
	for _, bad := range []struct{ method, path, body string }{
		{"GET", "/scim/v2/Users?filter=" + esc(`userName eq`), ""},
		{"POST", "/scim/v2/Users", `{"userName":"bootstrap-admin","emails":[{"value":"z@example.com"}]}`},
		{"POST", "/scim/v2/Users", `{"userName":7}`},
		{"POST", "/scim/v2/Users", `{`},
		{"PATCH", "/scim/v2/Users/8f1c3a52-8a51-4c8b-9d8b-3d9b1f1f1f1f", `{"Operations":[{"op":"replace","path":"title","value":"x"}]}`},
		{"GET", "/scim/v2/Users/nope", ""},
	} {
		var body any
		if bad.body != "" {
			body = bad.body
		}
		c.do(bad.method, bad.path, body)
	}
	kinds := map[string]bool{}
	for _, e := range exchanges {
		kinds[e.Kind] = true
	}
	for _, k := range []string{"User", "Group", "List:User", "List:Group", "Error", "ServiceProviderConfig", "List:ResourceType", "List:Schema"} {
		if !kinds[k] {
			t.Errorf("no %s response was validated", k)
		}
	}
	validate(t, exchanges)
}

// replayFresh replays a file whose steps assume nothing else exists: its
// names are made unique by the server (fresh ids), and the counts it
// expects hold on a server that other files also used only when their
// resources are gone, so expectations are not checked here, only shapes.
func replayFresh(t *testing.T, c *client, file string) {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var steps []step
	if err := json.Unmarshal(raw, &steps); err != nil {
		t.Fatal(err)
	}
	for i := range steps {
		steps[i].Expect = nil
	}
	tmp := filepath.Join(t.TempDir(), filepath.Base(file))
	out, _ := json.Marshal(steps)
	if err := os.WriteFile(tmp, out, 0o600); err != nil {
		t.Fatal(err)
	}
	replay(t, c, tmp, nil)
}
