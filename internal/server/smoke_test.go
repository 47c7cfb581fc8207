package server_test

import (
	"testing"

	"github.com/rollcall/rollcall/internal/testserver"
)

func TestSmoke(t *testing.T) {
	srv := testserver.Start(t)
	u := createUser(t, srv, map[string]any{"username": "Alice", "email": "alice@example.com", "first-name": "Alice", "last-name": "Liddell"})
	if u.Attributes.Username != "alice" || u.Attributes.DisplayName != "Alice Liddell" {
		t.Fatalf("%+v", u.Attributes)
	}
	g := createGroup(t, srv, "staff", u.ID)
	t.Logf("%+v", g)
	r := call(t, srv, req{method: "GET", path: "/api/v1/users?include=groups", token: srv.AdminToken})
	mustStatus(t, r, 200)
	t.Logf("%s", r.Body)
}
