package client

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestForeignAnswersAndConnectionErrors: an answer that is not Rollcall's
// matches none of the sentinel errors (another server's 404 is not a
// missing user), and a request that got no answer is a *ConnectionError
// that says why.
func TestForeignAnswersAndConnectionErrors(t *testing.T) {
	html := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte("<html>nope</html>"))
	}))
	defer html.Close()
	c := newTestClient(t, html.URL+"/api/v1/", WithRetries(0, 0))
	if c.BaseURL() != html.URL {
		t.Errorf("BaseURL %q, want the URL without /api/v1", c.BaseURL())
	}
	_, err := c.Users.Get(context.Background(), "0193")
	ae, ok := AsAPIError(err)
	if !ok || !ae.Foreign() || IsNotFound(err) || !strings.Contains(err.Error(), "is not a Rollcall server: GET /api/v1/users/0193 answered 404 Not Found with text/html") {
		t.Errorf("foreign 404: %v", err)
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	c = newTestClient(t, "http://"+addr, WithRetries(0, 0))
	_, err = c.Account(context.Background())
	if !IsConnectionError(err) || err.Error() != "cannot connect to "+addr+": connection refused; is the Rollcall server running there?" {
		t.Errorf("refused: %v", err)
	}
}
