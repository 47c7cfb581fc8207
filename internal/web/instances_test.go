package web_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync/atomic"
	"testing"

	"github.com/rollcall/rollcall/internal/config"
	"github.com/rollcall/rollcall/internal/testserver"
	"github.com/rollcall/rollcall/internal/testutil/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// TestTwoInstancesBehindALoadBalancer runs two servers on one PostgreSQL
// database behind a round-robin proxy, so that every request goes to the
// other instance than the one before: each ceremony begins on one server
// and finishes on the other, and each session is made on one and read on
// the other. It works only because challenges and sessions live in the
// database.
func TestTwoInstancesBehindALoadBalancer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	public := "http://localhost:" + port
	same := testserver.WithConfig(func(c *config.Config) { c.PublicURL = public })
	a := testserver.Start(t, testserver.WithPostgres(), same)
	b := testserver.Start(t, testserver.WithDatabase(a.DSN), same)

	var n atomic.Int64
	var hits [2]atomic.Int64
	targets := []*url.URL{mustURL(t, "http://"+a.Config.Addr), mustURL(t, "http://"+b.Config.Addr)}
	proxy := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		i := n.Add(1) % 2
		hits[i].Add(1)
		r.SetURL(targets[i])
		r.Out.Host = r.In.Host // the servers see the public host, as behind a real balancer
	}}
	hs := &http.Server{Handler: proxy}
	go func() { _ = hs.Serve(ln) }()
	t.Cleanup(func() { hs.Close() })

	admin := adminClient(t, a)
	u := createUser(t, admin, "barbara", "Barbara", "Liskov")
	link, err := admin.Users.CreateSetupLink(context.Background(), u.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	br := newBrowser(t)
	hideConditionalUI(t, br)
	addAuthenticator(t, br)
	visit(t, br, link.Attributes.URL)
	click(t, br, "#passkey-button", "/account")
	waitText(t, br, "h1", "Barbara Liskov")
	click(t, br, ".signout button", "/signin")
	click(t, br, "#passkey-button", "/account")
	waitText(t, br, "h1", "Barbara Liskov")
	visit(t, br, public+"/account")
	waitText(t, br, "h1", "Barbara Liskov")
	if hits[0].Load() < 5 || hits[1].Load() < 5 {
		t.Fatalf("requests per instance: %d and %d; the proxy did not spread them", hits[0].Load(), hits[1].Load())
	}
	if a := auditActions(t, a.Store, u.ID); a["signin.success"] != 1 || a["passkey.add"] != 1 {
		t.Fatalf("audit %v", a)
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
