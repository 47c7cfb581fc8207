package sqlstore_test

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/rollcall/rollcall/api"
)

// TestAuditActionsAreListed checks that every action the store writes to
// the audit log is in api.AuditActions, which the API's filter[action]
// accepts: an action missing there could not be filtered on.
func TestAuditActionsAreListed(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	action := regexp.MustCompile(`action:\s*"([a-z_]+(?:\.[a-z_]+)+)"|"([a-z_]+\.[a-z_]+(?:\.[a-z_]+)*)", m\.ActorID`)
	found := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range action.FindAllStringSubmatch(string(b), -1) {
			a := m[1] + m[2]
			found++
			if !slices.Contains(api.AuditActions, a) {
				t.Errorf("%s writes the audit action %q, which api.AuditActions does not list", f, a)
			}
		}
	}
	if found < 10 {
		t.Fatalf("found only %d audit actions in the store's source; the pattern lost them", found)
	}
	if !slices.IsSorted(api.AuditActions) {
		t.Error("api.AuditActions is not sorted")
	}
}
