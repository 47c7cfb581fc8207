package testserver_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/rollcall/rollcall/internal/testserver"
	"github.com/rollcall/rollcall/internal/testutil/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func account(t *testing.T, srv *testserver.Server, tok string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", srv.URL+"/api/v1/account", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// TestStartTokensRestart exercises the API other packages' tests rely on.
func TestStartTokensRestart(t *testing.T) {
	testserver.Backends(t, func(t *testing.T, backend testserver.Option) {
		srv := testserver.Start(t, backend)
		if code, body := account(t, srv, srv.AdminToken); code != 200 || !strings.Contains(body, `"is-admin":true`) {
			t.Fatalf("admin token: %d %s", code, body)
		}
		tok := srv.NewUserToken(t, "someone", false)
		if code, body := account(t, srv, tok); code != 200 || !strings.Contains(body, `"username":"someone"`) || !strings.Contains(body, `"is-admin":false`) {
			t.Fatalf("user token: %d %s", code, body)
		}
		old := srv.URL
		srv.Restart(t)
		if code, _ := account(t, srv, tok); code != 200 {
			t.Fatalf("user token after restart (URL %s, was %s): %d", srv.URL, old, code)
		}
		if !strings.Contains(srv.Logs(), "GET /api/v1/account") {
			t.Fatal("Logs() does not hold the access log")
		}
	})
}
