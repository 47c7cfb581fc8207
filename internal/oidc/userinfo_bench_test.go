package oidc

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/rollcall/rollcall/internal/store"
	"github.com/rollcall/rollcall/internal/store/sqlstore"
	"github.com/rollcall/rollcall/internal/testutil/pgtest"
	"github.com/rollcall/rollcall/internal/web"
)

// BenchmarkUserinfo serves one person's userinfo in process (no network),
// on SQLite and PostgreSQL, through the library's endpoint and through
// Rollcall's, for the server's CPU and time per request of each. The
// person is in a group with a custom claim and the token has the groups
// scope, as for most relying parties that decide access by group:
//
//	go test ./internal/oidc -run '^$' -bench Userinfo -benchmem
func BenchmarkUserinfo(b *testing.B) {
	dsns := map[string]func() string{
		"sqlite":   func() string { return filepath.Join(b.TempDir(), "rollcall.db") },
		"postgres": func() string { return pgtest.NewDatabase(b) },
	}
	for _, backend := range []string{"sqlite", "postgres"} {
		b.Run(backend, func(b *testing.B) { benchmarkUserinfo(b, dsns[backend]()) })
	}
}

func benchmarkUserinfo(b *testing.B, dsn string) {
	ctx := context.Background()
	st, err := sqlstore.Open(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	// Pages are only used by the sign-in routes, which this does not mount.
	p, err := New(ctx, Options{Store: st, Issuer: "http://localhost", Pages: &web.Handler{}})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	m := store.Meta{ActorName: "bench"}
	u, err := st.CreateUser(ctx, store.User{Username: "ada", Email: "ada@example.com", FirstName: "Ada", LastName: "Lovelace"}, m)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := st.CreateGroup(ctx, store.Group{Name: "eng", MemberIDs: []string{u.ID},
		CustomClaims: map[string]json.RawMessage{"role": json.RawMessage(`"engineer"`)}}, m); err != nil {
		b.Fatal(err)
	}
	cl, err := st.CreateOIDCClient(ctx, store.OIDCClient{Name: "App", RedirectURIs: []string{"https://app.example.com/cb"}}, m)
	if err != nil {
		b.Fatal(err)
	}
	if err := st.CreateOIDCTokens(ctx, store.OIDCTokenGrant{Access: store.OIDCAccessToken{Hash: hash("t1"), ClientID: cl.ID, UserID: u.ID,
		Scopes: []string{"openid", "profile", "email", "groups"}, FamilyID: "f1", ExpiresAt: time.Now().Add(time.Hour)}}, m); err != nil {
		b.Fatal(err)
	}
	token, err := p.op.Crypto().Encrypt("t1:" + u.ID)
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		h    http.Handler
	}{{"library", p.op}, {"rollcall", p.userinfo()}} {
		b.Run(c.name, func(b *testing.B) {
			rq := httptest.NewRequest("GET", "http://localhost/oauth2/userinfo", nil)
			rq.Header.Set("Authorization", "Bearer "+token)
			for b.Loop() {
				w := httptest.NewRecorder()
				c.h.ServeHTTP(w, rq)
				if w.Code != http.StatusOK {
					b.Fatalf("%d %s", w.Code, w.Body)
				}
			}
		})
	}
}
