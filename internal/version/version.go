// Package version says which build of Rollcall is running, for rollcall
// version, the server's Server header, /healthz and the
// rollcall_build_info metric, and the Terraform provider.
//
// A release sets the version at link time:
//
//	go build -ldflags "-X github.com/rollcall/rollcall/internal/version.version=v1.2.3" ./cmd/rollcall
//
// Without it the version comes from the Go build info: the main module's
// version when built with go install module@version, else "devel", and
// the VCS revision and whether the work tree had changes.
package version

import (
	"runtime/debug"
	"strings"
)

// version is set with -ldflags -X for releases; see the package comment.
var version string

// Info is what is known about the running build.
type Info struct {
	Version   string // v1.2.3, or "devel" for a build from a work tree
	Revision  string // VCS commit, or ""
	Modified  bool   // the work tree had uncommitted changes
	GoVersion string // the Go toolchain that built it
}

// Get returns the running build's Info.
func Get() Info {
	return fromBuildInfo(version, readBuildInfo())
}

var readBuildInfo = func() *debug.BuildInfo {
	bi, _ := debug.ReadBuildInfo()
	return bi
}

func fromBuildInfo(override string, bi *debug.BuildInfo) Info {
	info := Info{Version: override}
	if bi != nil {
		info.GoVersion = bi.GoVersion
		if info.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			info.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				info.Revision = s.Value
			case "vcs.modified":
				info.Modified = s.Value == "true"
			}
		}
	}
	if info.Version == "" {
		info.Version = "devel"
	}
	return info
}

// Version is the version alone, such as "v1.2.3" or "devel": the part
// that is safe to show to anyone (the Server header, /healthz).
func Version() string { return Get().Version }

// String is the version with the revision, for people and logs:
// "v1.2.3 (commit 0123abcd4567, modified)".
func (i Info) String() string {
	var extra []string
	if i.Revision != "" {
		rev := i.Revision
		if len(rev) > 12 {
			rev = rev[:12]
		}
		extra = append(extra, "commit "+rev)
	}
	if i.Modified {
		extra = append(extra, "modified")
	}
	if len(extra) == 0 {
		return i.Version
	}
	return i.Version + " (" + strings.Join(extra, ", ") + ")"
}
