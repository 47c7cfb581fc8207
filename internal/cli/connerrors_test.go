package cli

import (
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/rollcall/rollcall/internal/testserver"
)

// TestConnectionErrorsSayWhatHappened: a login or any other command that
// cannot talk to a Rollcall server says why (nothing listening, no such
// host, TLS, another kind of server), not that the token was refused.
func TestConnectionErrorsSayWhatHappened(t *testing.T) {
	cfg := isolate(t)
	tok := "rc_" + strings.Repeat("a", 43)

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()

	html := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		if r.URL.Path != "/" {
			w.WriteHeader(http.StatusNotFound)
		}
		w.Write([]byte("<html><body>It works!</body></html>"))
	}))
	defer html.Close()
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte("<html><body>Welcome</body></html>"))
	}))
	defer page.Close()
	tlsSrv := httptest.NewUnstartedServer(http.NotFoundHandler())
	tlsSrv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes are the point
	tlsSrv.StartTLS()
	defer tlsSrv.Close()
	srv := testserver.Start(t)

	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"nothing listening", []string{"login", "--url", "http://" + closed}, "cannot connect to " + closed + ": connection refused; is the Rollcall server running there?"},
		{"nothing listening, other command", []string{"users", "list", "--url", "http://" + closed}, "cannot connect to " + closed + ": connection refused; is the Rollcall server running there?"},
		{"no such host", []string{"login", "--url", "http://nosuch.invalid:8080"}, `cannot find the host "nosuch.invalid": DNS lookup failed`},
		{"https to a plain server", []string{"login", "--url", strings.Replace(srv.URL, "http://", "https://", 1)}, "does not speak TLS (HTTPS); is the URL http://"},
		{"untrusted certificate", []string{"whoami", "--url", tlsSrv.URL}, "the TLS certificate of " + strings.TrimPrefix(tlsSrv.URL, "https://") + " is not trusted"},
		{"another server, 404", []string{"login", "--url", html.URL}, "is not a Rollcall server: GET /api/v1/account answered 404 Not Found with text/html"},
		{"another server, 200", []string{"whoami", "--url", page.URL}, "is not a Rollcall server: GET /api/v1/account answered 200 OK with text/html"},
	} {
		r := rc(t, append(tc.args, "--token", tok, "--timeout", "5s")...)
		if r.code != ExitError || !strings.Contains(r.stderr, tc.want) || strings.Contains(r.stderr, "token was not accepted") || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("%s: exit %d, stderr %q, want %q", tc.name, r.code, r.stderr, tc.want)
		}
	}
	if _, err := os.Stat(cfg); err == nil {
		t.Error("a failed login saved the config")
	}

	// The common mistake of giving the API's base URL is corrected, with a note.
	r := rc(t, "login", "--url", srv.URL+"/api/v1/", "--token", srv.AdminToken)
	if r.code != 0 || !strings.Contains(r.stdout, "Logged in to "+srv.URL+" as ") ||
		r.stderr != "Note: the URL is the server's address without /api/v1; using "+srv.URL+"\n" {
		t.Errorf("--url …/api/v1: exit %d\nstdout %q\nstderr %q", r.code, r.stdout, r.stderr)
	}
	if b, _ := os.ReadFile(cfg); !strings.Contains(string(b), `"url": "`+srv.URL+`"`) {
		t.Errorf("saved config: %s", b)
	}
	// A token the server refuses is still called that.
	r = rc(t, "login", "--url", srv.URL, "--token", tok)
	if r.code != ExitError || !strings.Contains(r.stderr, "the token was not accepted by "+srv.URL) {
		t.Errorf("bad token: exit %d, stderr %q", r.code, r.stderr)
	}
}
