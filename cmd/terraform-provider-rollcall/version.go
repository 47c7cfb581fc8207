package main

import (
	"runtime/debug"
	"strings"
)

// providerVersion is the version the provider reports (in its logs and in
// the User-Agent of its requests): main.version when a release build set
// it with -ldflags "-X main.version=1.2.3", else what the Go toolchain
// recorded in the binary.
func providerVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		bi = nil
	}
	return versionFrom(version, bi)
}

// versionFrom picks the version: the linker's value unless it is the
// default "dev"; else the module version, which `go install
// github.com/rollcall/rollcall/cmd/terraform-provider-rollcall@v1.2.3`
// sets to v1.2.3 and a build in a Git checkout sets to a pseudo-version
// such as v0.0.0-20261206204700-23e0c7a1b2c3+dirty; else, when the
// toolchain recorded no module version ("(devel)"), "dev-" and the VCS
// revision (with "-dirty" for uncommitted changes); else "dev".
func versionFrom(linked string, bi *debug.BuildInfo) string {
	if linked != "" && linked != "dev" {
		return strings.TrimPrefix(linked, "v")
	}
	if bi == nil {
		return "dev"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return strings.TrimPrefix(v, "v")
	}
	var rev string
	var dirty bool
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "dev"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "-dirty"
	}
	return "dev-" + rev
}
