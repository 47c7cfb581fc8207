package cli

import (
	"strings"
	"testing"

	"github.com/rollcall/rollcall/internal/testserver"
)

// TestGroupsCustomClaims sets, shows, refuses and clears a group's
// custom claims from the command line.
func TestGroupsCustomClaims(t *testing.T) {
	isolate(t)
	srv := testserver.Start(t)
	ok(t, srv, "groups", "create", "ops", "--custom-claims", `{"role": "ops", "level": 2}`)
	if out := ok(t, srv, "groups", "get", "ops"); !strings.Contains(out, `{"level":2,"role":"ops"}`) {
		t.Errorf("groups get does not show the custom claims:\n%s", out)
	}
	if out := ok(t, srv, "groups", "get", "ops", "-o", "json"); !strings.Contains(out, `"custom-claims"`) {
		t.Errorf("groups get -o json has no custom-claims:\n%s", out)
	}
	fails(t, srv, 2, []string{"--custom-claims", "JSON object"}, "groups", "update", "ops", "--custom-claims", `["role"]`)
	fails(t, srv, 2, []string{`"sub"`, "--custom-claims"}, "groups", "update", "ops", "--custom-claims", `{"sub":"x"}`)
	ok(t, srv, "groups", "update", "ops", "--custom-claims", "")
	if out := ok(t, srv, "groups", "get", "ops"); strings.Contains(out, "role") {
		t.Errorf("custom claims still shown after clearing:\n%s", out)
	}
}
