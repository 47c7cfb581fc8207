package server_test

import (
	"testing"

	"github.com/rollcall/rollcall/api"
	"github.com/rollcall/rollcall/internal/testserver"
)

// TestConditionalGet: GET of a user or group with If-None-Match naming the
// current ETag answers 304 without a body; after a change, or with a stale
// or unrelated tag, the full 200 document.
func TestConditionalGet(t *testing.T) {
	testserver.Backends(t, func(t *testing.T, backend testserver.Option) {
		srv := testserver.Start(t, backend)
		admin := srv.AdminToken
		u := createUser(t, srv, map[string]any{"username": "cond", "email": "cond@example.com"})
		g := createGroup(t, srv, "cond-group")

		for _, path := range []string{"/api/v1/users/" + u.ID, "/api/v1/groups/" + g.ID} {
			r := call(t, srv, req{method: "GET", path: path, token: admin})
			mustStatus(t, r, 200)
			tag := r.Header.Get("ETag")
			if tag == "" {
				t.Fatalf("GET %s: no ETag", path)
			}
			for _, inm := range []string{tag, "W/" + tag, `"999999", ` + tag, "*"} {
				r = call(t, srv, req{method: "GET", path: path, token: admin, header: map[string]string{"If-None-Match": inm}})
				if r.Status != 304 || len(r.Body) != 0 || r.Header.Get("ETag") != tag {
					t.Errorf("GET %s If-None-Match %s: status %d, ETag %q, body %q; want 304, %s, no body", path, inm, r.Status, r.Header.Get("ETag"), r.Body, tag)
				}
			}
			for _, inm := range []string{`"999999"`, `"0"`, "garbage"} {
				r = call(t, srv, req{method: "GET", path: path, token: admin, header: map[string]string{"If-None-Match": inm}})
				if r.Status != 200 || r.Header.Get("ETag") != tag {
					t.Errorf("GET %s If-None-Match %s: status %d, want 200 with the document", path, inm, r.Status)
				}
			}
		}

		// A membership change bumps both versions: the old tags no longer match.
		r := call(t, srv, req{method: "GET", path: "/api/v1/users/" + u.ID, token: admin})
		userTag := r.Header.Get("ETag")
		r = call(t, srv, req{method: "GET", path: "/api/v1/groups/" + g.ID, token: admin})
		groupTag := r.Header.Get("ETag")
		r = call(t, srv, req{method: "POST", path: "/api/v1/groups/" + g.ID + "/relationships/members", token: admin,
			body: map[string]any{"data": api.Identifiers("users", []string{u.ID})}})
		mustStatus(t, r, 200)
		for path, tag := range map[string]string{"/api/v1/users/" + u.ID: userTag, "/api/v1/groups/" + g.ID: groupTag} {
			r = call(t, srv, req{method: "GET", path: path, token: admin, header: map[string]string{"If-None-Match": tag}})
			if r.Status != 200 || r.Header.Get("ETag") == tag {
				t.Errorf("GET %s after a membership change with the old tag: status %d, ETag %q; want 200 and a new ETag", path, r.Status, r.Header.Get("ETag"))
			}
		}

		// include=groups is always sent in full: the included groups can
		// change without the user's version.
		r = call(t, srv, req{method: "GET", path: "/api/v1/users/" + u.ID + "?include=groups", token: admin})
		mustStatus(t, r, 200)
		r = call(t, srv, req{method: "GET", path: "/api/v1/users/" + u.ID + "?include=groups", token: admin,
			header: map[string]string{"If-None-Match": r.Header.Get("ETag")}})
		mustStatus(t, r, 200)

		// Someone else's user is still 404 for a non-admin, whatever the tag.
		r = call(t, srv, req{method: "GET", path: "/api/v1/users/" + u.ID, token: "", header: map[string]string{"If-None-Match": "*"}})
		mustStatus(t, r, 401)
	})
}
