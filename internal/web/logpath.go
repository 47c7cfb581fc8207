package web

import (
	"net/http"
	"strings"

	"github.com/rollcall/rollcall/internal/token"
)

// LogPath returns the request path as logs may show it. A setup link's
// path is its secret (/setup/{secret}/...), and a client may put an API
// token in a path by mistake; both are replaced by REDACTED, since a log
// line is read by more people than a token should be.
func LogPath(r *http.Request) string {
	p := r.URL.Path
	if !strings.Contains(p, "/setup/") && !strings.Contains(p, token.Prefix) {
		return p
	}
	segs := strings.Split(p, "/")
	afterSetup := false
	for i, s := range segs {
		switch {
		case afterSetup && s != "" && s != "begin" && s != "finish":
			segs[i] = "REDACTED"
		case strings.Contains(s, token.Prefix):
			segs[i] = s[:strings.Index(s, token.Prefix)] + token.Prefix + "REDACTED"
		}
		if s == "setup" {
			afterSetup = true
		}
	}
	return strings.Join(segs, "/")
}
