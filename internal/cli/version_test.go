package cli

import (
	"strings"
	"testing"

	"github.com/rollcall/rollcall/internal/version"
)

func TestVersion(t *testing.T) {
	isolate(t)
	want := "rollcall " + version.Get().String() + "\n"
	for _, args := range [][]string{{"version"}, {"--version"}} {
		r := rc(t, args...)
		if r.code != 0 || r.stdout != want {
			t.Errorf("rollcall %s: exit %d, stdout %q, want %q; stderr %q", strings.Join(args, " "), r.code, r.stdout, want, r.stderr)
		}
	}
}
