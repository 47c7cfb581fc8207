package version

import (
	"runtime/debug"
	"testing"
)

func TestFromBuildInfo(t *testing.T) {
	settings := []debug.BuildSetting{{Key: "vcs.revision", Value: "0123456789abcdef0123"}, {Key: "vcs.modified", Value: "true"}}
	for _, tc := range []struct {
		name     string
		override string
		bi       *debug.BuildInfo
		want     string
	}{
		{"work tree", "", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: settings}, "devel (commit 0123456789ab, modified)"},
		{"go install module@version", "", &debug.BuildInfo{Main: debug.Module{Version: "v1.4.0"}}, "v1.4.0"},
		{"ldflags wins", "v2.0.0", &debug.BuildInfo{Main: debug.Module{Version: "v1.4.0"}, Settings: settings[:1]}, "v2.0.0 (commit 0123456789ab)"},
		{"no build info", "", nil, "devel"},
	} {
		if got := fromBuildInfo(tc.override, tc.bi).String(); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
	if Version() == "" {
		t.Error("Version is empty")
	}
}
