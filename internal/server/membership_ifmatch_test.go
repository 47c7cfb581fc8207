package server_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/rollcall/rollcall/api"
	"github.com/rollcall/rollcall/internal/testserver"
)

func linkage(typ string, ids ...string) map[string]any {
	data := []map[string]any{}
	for _, id := range ids {
		data = append(data, map[string]any{"type": typ, "id": id})
	}
	return map[string]any{"data": data}
}

// TestMembershipWritesHonourIfMatch: a client reads a group's members (or a
// user's groups) with its ETag, another client adds a member, and the
// first client's full replace, sent with the ETag it read, is refused with
// 412 instead of silently dropping the new member. The ETag of a
// relationship is the group's (user's) ETag, the same from GET of the
// resource and of the relationship, and it changes with every membership
// change from either side.
func TestMembershipWritesHonourIfMatch(t *testing.T) {
	srv := testserver.Start(t)
	adm := srv.AdminToken
	alice := createUser(t, srv, map[string]any{"username": "alice", "email": "alice@example.com"})
	bob := createUser(t, srv, map[string]any{"username": "bob", "email": "bob@example.com"})
	g := createGroup(t, srv, "oncall", alice.ID)
	membersPath := "/api/v1/groups/" + g.ID + "/relationships/members"

	// The relationship's ETag is the group's.
	r := call(t, srv, req{method: "GET", path: membersPath, token: adm})
	mustStatus(t, r, 200)
	read := r.Header.Get("ETag")
	if gr := call(t, srv, req{method: "GET", path: "/api/v1/groups/" + g.ID, token: adm}); read == "" || gr.Header.Get("ETag") != read {
		t.Fatalf("GET members ETag %q, GET group ETag %q; want the same, non-empty", read, gr.Header.Get("ETag"))
	}

	// Someone else adds bob.
	mustStatus(t, call(t, srv, req{method: "POST", path: membersPath, token: adm, body: linkage("users", bob.ID)}), 200)

	// The stale replace (and add, and remove) is refused and changes nothing.
	for _, method := range []string{"PATCH", "POST", "DELETE"} {
		r = call(t, srv, req{method: method, path: membersPath, token: adm, body: linkage("users", alice.ID),
			header: map[string]string{"If-Match": read}})
		e := wantError(t, r, http.StatusPreconditionFailed, api.CodePreconditionFailed, "")
		if e.Source == nil || e.Source.Header != "If-Match" {
			t.Errorf("%s with a stale If-Match: source %+v, want header If-Match", method, e.Source)
		}
	}
	r = call(t, srv, req{method: "GET", path: membersPath, token: adm})
	if got := linkageIDs(t, r); !slices.Contains(got, bob.ID) || !slices.Contains(got, alice.ID) {
		t.Fatalf("after the refused replace the members are %v; want alice and bob", got)
	}
	// With the current ETag the replace goes through and answers the next ETag.
	cur := r.Header.Get("ETag")
	r = call(t, srv, req{method: "PATCH", path: membersPath, token: adm, body: linkage("users", alice.ID),
		header: map[string]string{"If-Match": cur}})
	mustStatus(t, r, 200)
	next := r.Header.Get("ETag")
	if next == "" || next == cur {
		t.Fatalf("ETag after the replace %q; want a new one (was %q)", next, cur)
	}
	if gr := call(t, srv, req{method: "GET", path: "/api/v1/groups/" + g.ID, token: adm}); gr.Header.Get("ETag") != next {
		t.Fatalf("group ETag %q after the replace; the replace answered %q", gr.Header.Get("ETag"), next)
	}
	// A malformed If-Match is a 412 like on every other write.
	r = call(t, srv, req{method: "PATCH", path: membersPath, token: adm, body: linkage("users", alice.ID),
		header: map[string]string{"If-Match": "yesterday"}})
	wantError(t, r, http.StatusPreconditionFailed, api.CodePreconditionFailed, "")

	// The user side: bob's groups, with bob's ETag; a change from the group
	// side changes it.
	groupsPath := "/api/v1/users/" + bob.ID + "/relationships/groups"
	r = call(t, srv, req{method: "GET", path: groupsPath, token: adm})
	mustStatus(t, r, 200)
	read = r.Header.Get("ETag")
	if ur := call(t, srv, req{method: "GET", path: "/api/v1/users/" + bob.ID, token: adm}); read == "" || ur.Header.Get("ETag") != read {
		t.Fatalf("GET groups ETag %q, GET user ETag %q; want the same, non-empty", read, ur.Header.Get("ETag"))
	}
	other := createGroup(t, srv, "backend")
	mustStatus(t, call(t, srv, req{method: "POST", path: "/api/v1/groups/" + other.ID + "/relationships/members", token: adm,
		body: linkage("users", bob.ID)}), 200)
	for _, method := range []string{"PATCH", "POST", "DELETE"} {
		r = call(t, srv, req{method: method, path: groupsPath, token: adm, body: linkage("groups", g.ID),
			header: map[string]string{"If-Match": read}})
		wantError(t, r, http.StatusPreconditionFailed, api.CodePreconditionFailed, "")
	}
	r = call(t, srv, req{method: "GET", path: groupsPath, token: adm})
	if got := linkageIDs(t, r); !slices.Contains(got, other.ID) {
		t.Fatalf("after the refused replace bob's groups are %v; want backend kept", got)
	}
	r = call(t, srv, req{method: "PATCH", path: groupsPath, token: adm, body: linkage("groups", g.ID, other.ID),
		header: map[string]string{"If-Match": r.Header.Get("ETag")}})
	mustStatus(t, r, 200)
	// "*" and no If-Match at all mean no precondition.
	mustStatus(t, call(t, srv, req{method: "DELETE", path: groupsPath, token: adm, body: linkage("groups", g.ID),
		header: map[string]string{"If-Match": "*"}}), 200)
	mustStatus(t, call(t, srv, req{method: "POST", path: groupsPath, token: adm, body: linkage("groups", g.ID)}), 200)
}
