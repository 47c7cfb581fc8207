package main

import (
	"runtime/debug"
	"testing"
)

func TestVersionFrom(t *testing.T) {
	vcs := func(rev, modified string, mainVersion string) *debug.BuildInfo {
		return &debug.BuildInfo{
			Main: debug.Module{Path: "github.com/rollcall/rollcall", Version: mainVersion},
			Settings: []debug.BuildSetting{
				{Key: "vcs", Value: "git"},
				{Key: "vcs.revision", Value: rev},
				{Key: "vcs.modified", Value: modified},
			},
		}
	}
	for _, tc := range []struct {
		name   string
		linked string
		bi     *debug.BuildInfo
		want   string
	}{
		{"release build (goreleaser's -X main.version)", "1.2.3", vcs("23e0c7a1b2c3d4e5", "false", "(devel)"), "1.2.3"},
		{"a v prefix is dropped, as the registry's versions have none", "v1.2.3", nil, "1.2.3"},
		{"go install module@version", "dev", &debug.BuildInfo{Main: debug.Module{Version: "v1.4.0"}}, "1.4.0"},
		{"go build in a checkout (Go 1.24+ pseudo-version)", "dev", vcs("23e0c7a1b2c3d4e5", "true", "v0.0.0-20261206204700-23e0c7a1b2c3+dirty"), "0.0.0-20261206204700-23e0c7a1b2c3+dirty"},
		{"no module version: the revision", "dev", vcs("23e0c7a1b2c3d4e5", "false", "(devel)"), "dev-23e0c7a1b2c3"},
		{"no module version, uncommitted changes", "dev", vcs("23e0c7a1b2c3d4e5", "true", "(devel)"), "dev-23e0c7a1b2c3-dirty"},
		{"nothing recorded", "dev", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "dev"},
		{"no build info", "dev", nil, "dev"},
	} {
		if got := versionFrom(tc.linked, tc.bi); got != tc.want {
			t.Errorf("%s: versionFrom(%q, …) = %q, want %q", tc.name, tc.linked, got, tc.want)
		}
	}
}
