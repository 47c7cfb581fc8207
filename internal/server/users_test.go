package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/rollcall/rollcall/api"
	"github.com/rollcall/rollcall/internal/testserver"
)

func decodeUser(t testing.TB, r resp) api.User {
	t.Helper()
	var doc api.Document[api.User]
	if err := json.Unmarshal(r.Body, &doc); err != nil {
		t.Fatalf("not a user document: %v: %s", err, r.Body)
	}
	return doc.Data
}

func decodeUsers(t testing.TB, r resp) api.Document[[]api.User] {
	t.Helper()
	var doc api.Document[[]api.User]
	if err := json.Unmarshal(r.Body, &doc); err != nil {
		t.Fatalf("not a user list: %v: %s", err, r.Body)
	}
	return doc
}

func TestUserLifecycle(t *testing.T) {
	srv := testserver.Start(t)
	testUserLifecycle(t, srv)
}

// testUserLifecycle is the core user scenario, run on each backend.
func testUserLifecycle(t *testing.T, srv *testserver.Server) {
	admin := srv.AdminToken
	u := createUser(t, srv, map[string]any{
		"username": "Jane.Doe", "email": "Jane.Doe@Example.com", "first-name": "Jane", "last-name": "Doe",
		"locale": "en_us", "phone": "+44 20 7946 0958", "title": "Engineer", "attributes": map[string]any{"cost_center": "42"},
	})
	a := u.Attributes
	if a.Username != "jane.doe" || a.Email != "Jane.Doe@Example.com" || a.DisplayName != "Jane Doe" || *a.Locale != "en-US" ||
		*a.Phone != "+442079460958" || a.Status != api.StatusPendingSetup || a.Attributes["cost_center"] != "42" || a.LastName == nil {
		t.Fatalf("created user attributes: %+v", a)
	}
	if a.Mobile != nil || a.Department != nil || a.AvatarURL != nil {
		t.Fatalf("unset optional attributes must be null: %+v", a)
	}
	if u.Links == nil || u.Links.Self != srv.URL+"/api/v1/users/"+u.ID {
		t.Fatalf("links.self = %+v", u.Links)
	}

	// Read back with its ETag.
	r := call(t, srv, req{method: "GET", path: "/api/v1/users/" + u.ID, token: admin})
	mustStatus(t, r, 200)
	if r.Header.Get("Content-Type") != api.MediaType || r.Header.Get("ETag") != `"1"` {
		t.Fatalf("headers: %v", r.Header)
	}
	etag := r.Header.Get("ETag")

	// PATCH: left out unchanged, null and "" clear, display-name computed again.
	r = call(t, srv, req{method: "PATCH", path: "/api/v1/users/" + u.ID, token: admin, header: map[string]string{"If-Match": etag},
		body: map[string]any{"data": map[string]any{"type": "users", "id": u.ID, "attributes": map[string]any{"title": nil, "phone": "", "first-name": "Janet"}}}})
	mustStatus(t, r, 200)
	p := decodeUser(t, r).Attributes
	if p.Title != nil || p.Phone != nil || p.DisplayName != "Janet Doe" || *p.Locale != "en-US" || p.Email != a.Email {
		t.Fatalf("after PATCH: %+v", p)
	}
	if r.Header.Get("ETag") == etag {
		t.Fatal("ETag did not change after PATCH")
	}

	// Stale If-Match is refused.
	r = call(t, srv, req{method: "PATCH", path: "/api/v1/users/" + u.ID, token: admin, header: map[string]string{"If-Match": etag},
		body: map[string]any{"data": map[string]any{"type": "users", "attributes": map[string]any{"title": "x"}}}})
	wantError(t, r, 412, api.CodePreconditionFailed, "")
	r = call(t, srv, req{method: "DELETE", path: "/api/v1/users/" + u.ID, token: admin, header: map[string]string{"If-Match": etag}})
	wantError(t, r, 412, api.CodePreconditionFailed, "")

	// Set display-name explicitly, then clear it.
	r = call(t, srv, req{method: "PATCH", path: "/api/v1/users/" + u.ID, token: admin,
		body: map[string]any{"data": map[string]any{"type": "users", "attributes": map[string]any{"display-name": "JD"}}}})
	mustStatus(t, r, 200)
	if decodeUser(t, r).Attributes.DisplayName != "JD" {
		t.Fatalf("display-name not set: %s", r.Body)
	}

	// Delete, then it is gone.
	r = call(t, srv, req{method: "DELETE", path: "/api/v1/users/" + u.ID, token: admin})
	mustStatus(t, r, 204)
	r = call(t, srv, req{method: "GET", path: "/api/v1/users/" + u.ID, token: admin})
	wantError(t, r, 404, api.CodeNotFound, "")
	r = call(t, srv, req{method: "PATCH", path: "/api/v1/users/" + u.ID, token: admin,
		body: map[string]any{"data": map[string]any{"type": "users", "attributes": map[string]any{"title": "x"}}}})
	wantError(t, r, 404, api.CodeNotFound, "")
	r = call(t, srv, req{method: "DELETE", path: "/api/v1/users/" + u.ID, token: admin})
	wantError(t, r, 404, api.CodeNotFound, "")
	r = call(t, srv, req{method: "GET", path: "/api/v1/users/" + u.ID + "/relationships/groups", token: admin})
	wantError(t, r, 404, api.CodeNotFound, "")
}

func TestUserCreateWithProposedIDAndGroups(t *testing.T) {
	testserver.Backends(t, func(t *testing.T, backend testserver.Option) {
		srv := testserver.Start(t, backend)
		g := createGroup(t, srv, "staff")
		id := "2f1e6a52-7c1d-4e53-9b5c-0c8d3f0e4a71"
		r := call(t, srv, req{method: "POST", path: "/api/v1/users", token: srv.AdminToken, body: map[string]any{"data": map[string]any{
			"type": "users", "id": strings.ToUpper(id), "attributes": map[string]any{"username": "svc", "email": "svc@example.com", "service-account": true},
			"relationships": map[string]any{"groups": map[string]any{"data": []any{map[string]any{"type": "groups", "id": g.ID}}}},
		}}})
		mustStatus(t, r, 201)
		u := decodeUser(t, r)
		if u.ID != id || len(u.GroupIDs()) != 1 || u.GroupIDs()[0] != g.ID || u.Attributes.Status != api.StatusActive {
			t.Fatalf("created: %s", r.Body)
		}
		if r.Header.Get("Location") != srv.URL+"/api/v1/users/"+id {
			t.Fatalf("Location = %q", r.Header.Get("Location"))
		}
		// The same id again is a conflict on the id.
		r = call(t, srv, req{method: "POST", path: "/api/v1/users", token: srv.AdminToken, body: map[string]any{"data": map[string]any{
			"type": "users", "id": id, "attributes": map[string]any{"username": "svc2", "email": "svc2@example.com"}}}})
		wantError(t, r, 409, api.CodeIDTaken, "/data/id")
		// An unknown group is named.
		missing := "11111111-2222-4333-8444-555555555555"
		r = call(t, srv, req{method: "POST", path: "/api/v1/users", token: srv.AdminToken, body: map[string]any{"data": map[string]any{
			"type": "users", "attributes": map[string]any{"username": "svc3", "email": "svc3@example.com"},
			"relationships": map[string]any{"groups": map[string]any{"data": []any{
				map[string]any{"type": "groups", "id": g.ID}, map[string]any{"type": "groups", "id": missing}}}},
		}}})
		e := wantError(t, r, 422, api.CodeInvalidReference, "/data/relationships/groups/data/1/id")
		if !strings.Contains(e.Detail, missing) {
			t.Fatalf("detail does not name the id: %q", e.Detail)
		}
		// PATCH with relationships.groups replaces the groups; an unknown one is named.
		g2 := createGroup(t, srv, "staff2")
		r = call(t, srv, req{method: "PATCH", path: "/api/v1/users/" + id, token: srv.AdminToken, body: map[string]any{"data": map[string]any{
			"type": "users", "relationships": map[string]any{"groups": map[string]any{"data": api.Identifiers("groups", []string{g2.ID})}}}}})
		mustStatus(t, r, 200)
		if pu := decodeUser(t, r); strings.Join(pu.GroupIDs(), ",") != g2.ID {
			t.Fatalf("groups after PATCH: %s", r.Body)
		}
		r = call(t, srv, req{method: "PATCH", path: "/api/v1/users/" + id, token: srv.AdminToken, body: map[string]any{"data": map[string]any{
			"type": "users", "relationships": map[string]any{"groups": map[string]any{"data": api.Identifiers("groups", []string{missing})}}}}})
		wantError(t, r, 422, api.CodeInvalidReference, "/data/relationships/groups/data/0/id")
		r = call(t, srv, req{method: "PATCH", path: "/api/v1/users/" + id, token: srv.AdminToken, body: map[string]any{"data": map[string]any{
			"type": "users", "relationships": map[string]any{"groups": map[string]any{"data": []any{}}}}}})
		mustStatus(t, r, 200)
		if pu := decodeUser(t, r); len(pu.GroupIDs()) != 0 {
			t.Fatalf("groups = [] did not clear: %s", r.Body)
		}
		// Disabled wins over everything for status.
		r = call(t, srv, req{method: "PATCH", path: "/api/v1/users/" + id, token: srv.AdminToken,
			body: map[string]any{"data": map[string]any{"type": "users", "attributes": map[string]any{"disabled": true}}}})
		mustStatus(t, r, 200)
		if s := decodeUser(t, r).Attributes.Status; s != api.StatusDisabled {
			t.Fatalf("status %q, want disabled", s)
		}
	})
}

func TestUserDuplicates(t *testing.T) {
	testserver.Backends(t, func(t *testing.T, backend testserver.Option) {
		srv := testserver.Start(t, backend)
		createUser(t, srv, map[string]any{"username": "alice", "email": "alice@example.com"})
		r := call(t, srv, req{method: "POST", path: "/api/v1/users", token: srv.AdminToken,
			body: userBody(map[string]any{"username": "ALICE", "email": "other@example.com"})})
		wantError(t, r, 409, api.CodeUsernameTaken, "/data/attributes/username")
		r = call(t, srv, req{method: "POST", path: "/api/v1/users", token: srv.AdminToken,
			body: userBody(map[string]any{"username": "alice2", "email": "ALICE@Example.COM"})})
		wantError(t, r, 409, api.CodeEmailTaken, "/data/attributes/email")
		// A rename onto a taken name is a conflict too.
		b := createUser(t, srv, map[string]any{"username": "bob", "email": "bob@example.com"})
		r = call(t, srv, req{method: "PATCH", path: "/api/v1/users/" + b.ID, token: srv.AdminToken,
			body: map[string]any{"data": map[string]any{"type": "users", "attributes": map[string]any{"username": "Alice"}}}})
		wantError(t, r, 409, api.CodeUsernameTaken, "/data/attributes/username")
	})
}

func TestUserRenameKeepsMembershipsAndTokens(t *testing.T) {
	testserver.Backends(t, func(t *testing.T, backend testserver.Option) {
		srv := testserver.Start(t, backend)
		u := createUser(t, srv, map[string]any{"username": "carol", "email": "carol@example.com"})
		g := createGroup(t, srv, "ops", u.ID)
		tok := srv.NewToken(t, u.ID, nil)

		r := call(t, srv, req{method: "PATCH", path: "/api/v1/users/" + u.ID, token: srv.AdminToken,
			body: map[string]any{"data": map[string]any{"type": "users", "attributes": map[string]any{"username": "carol.smith"}}}})
		mustStatus(t, r, 200)
		renamed := decodeUser(t, r)
		if renamed.ID != u.ID || renamed.Attributes.Username != "carol.smith" || len(renamed.GroupIDs()) != 1 || renamed.GroupIDs()[0] != g.ID {
			t.Fatalf("after rename: %s", r.Body)
		}
		r = call(t, srv, req{method: "GET", path: "/api/v1/account", token: tok})
		mustStatus(t, r, 200)
		if decodeUser(t, r).Attributes.Username != "carol.smith" {
			t.Fatalf("token after rename: %s", r.Body)
		}
		r = call(t, srv, req{method: "GET", path: "/api/v1/groups/" + g.ID + "/relationships/members", token: srv.AdminToken})
		mustStatus(t, r, 200)
		if !strings.Contains(string(r.Body), u.ID) {
			t.Fatalf("group lost the member: %s", r.Body)
		}
	})
}

func TestUserDeleteCascades(t *testing.T) {
	testserver.Backends(t, func(t *testing.T, backend testserver.Option) {
		srv := testserver.Start(t, backend)
		u := createUser(t, srv, map[string]any{"username": "dave", "email": "dave@example.com"})
		g := createGroup(t, srv, "eng", u.ID)
		tok := srv.NewToken(t, u.ID, nil)

		mustStatus(t, call(t, srv, req{method: "DELETE", path: "/api/v1/users/" + u.ID, token: srv.AdminToken}), 204)

		r := call(t, srv, req{method: "GET", path: "/api/v1/account", token: tok})
		wantError(t, r, 401, api.CodeUnauthorized, "")
		r = call(t, srv, req{method: "GET", path: "/api/v1/groups/" + g.ID, token: srv.AdminToken})
		mustStatus(t, r, 200)
		var gd api.Document[api.Group]
		json.Unmarshal(r.Body, &gd)
		if gd.Data.Attributes.MemberCount != 0 || len(gd.Data.MemberIDs()) != 0 {
			t.Fatalf("membership survived the delete: %s", r.Body)
		}
		// The user is gone, so a filter naming it names nothing (404), and
		// no token in the whole list belongs to it.
		r = call(t, srv, req{method: "GET", path: "/api/v1/api-tokens?filter[user]=" + u.ID, token: srv.AdminToken})
		wantError(t, r, 404, api.CodeNotFound, "")
		r = call(t, srv, req{method: "GET", path: "/api/v1/api-tokens?page[size]=1000", token: srv.AdminToken})
		mustStatus(t, r, 200)
		if strings.Contains(string(r.Body), u.ID) {
			t.Fatalf("token survived the delete: %s", r.Body)
		}
		r = call(t, srv, req{method: "GET", path: "/api/v1/audit-events?filter[target]=" + u.ID, token: srv.AdminToken})
		mustStatus(t, r, 200)
		body := string(r.Body)
		if !strings.Contains(body, `"action":"user.delete"`) || !strings.Contains(body, `"action":"user.create"`) {
			t.Fatalf("audit log lost the history: %s", body)
		}
	})
}

func TestUserListPagingFiltersAndInclude(t *testing.T) {
	testserver.Backends(t, func(t *testing.T, backend testserver.Option) {
		srv := testserver.Start(t, backend)
		g := createGroup(t, srv, "readers")
		var ids []string
		for i := range 7 {
			u := createUser(t, srv, map[string]any{"username": fmt.Sprintf("user%02d", i), "email": fmt.Sprintf("u%d@example.com", i),
				"first-name": "Zed", "external-id": fmt.Sprintf("E%d", i)})
			ids = append(ids, u.ID)
		}
		mustStatus(t, call(t, srv, req{method: "PATCH", path: "/api/v1/groups/" + g.ID + "/relationships/members", token: srv.AdminToken,
			body: map[string]any{"data": api.Identifiers("users", ids[:3])}}), 200)

		// Page through everything, 3 at a time, following links.next.
		var seen []string
		next := "/api/v1/users?page[size]=3"
		for pages := 0; next != ""; pages++ {
			if pages > 10 {
				t.Fatal("paging does not end")
			}
			r := call(t, srv, req{method: "GET", path: next, token: srv.AdminToken})
			mustStatus(t, r, 200)
			doc := decodeUsers(t, r)
			if len(doc.Data) > 3 {
				t.Fatalf("page of %d, want at most 3", len(doc.Data))
			}
			for _, u := range doc.Data {
				seen = append(seen, u.Attributes.Username)
			}
			next = strings.TrimPrefix(doc.Links.Next, srv.URL)
		}
		if len(seen) != 8 || seen[0] != "bootstrap-admin" || seen[7] != "user06" {
			t.Fatalf("paged through %v", seen)
		}

		check := func(query string, want ...string) {
			t.Helper()
			r := call(t, srv, req{method: "GET", path: "/api/v1/users?" + query, token: srv.AdminToken})
			mustStatus(t, r, 200)
			var got []string
			for _, u := range decodeUsers(t, r).Data {
				got = append(got, u.Attributes.Username)
			}
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Fatalf("%s: got %v, want %v", query, got, want)
			}
		}
		check("filter[username]=USER03", "user03")
		check("filter[email]=U4@EXAMPLE.COM", "user04")
		check("filter[external-id]=E5", "user05")
		check("filter[group]="+g.ID, "user00", "user01", "user02")
		check("filter[group]=readers", "user00", "user01", "user02")
		check("filter[q]=zed&page[size]=2", "user00", "user01")
		check("filter[q]=user06", "user06")

		r := call(t, srv, req{method: "GET", path: "/api/v1/users?filter[group]=readers&include=groups", token: srv.AdminToken})
		mustStatus(t, r, 200)
		doc := decodeUsers(t, r)
		if len(doc.Included) != 1 || !strings.Contains(string(doc.Included[0]), `"name":"readers"`) {
			t.Fatalf("included: %s", r.Body)
		}
		r = call(t, srv, req{method: "GET", path: "/api/v1/users/" + ids[0] + "?include=groups", token: srv.AdminToken})
		mustStatus(t, r, 200)
		if !strings.Contains(string(r.Body), `"included":[{"type":"groups"`) {
			t.Fatalf("single user include: %s", r.Body)
		}

		// Bad parameters name themselves.
		for _, tc := range []struct{ query, param, code string }{
			{"page[size]=0", "page[size]", api.CodeInvalidParameter},
			{"page[size]=1001", "page[size]", api.CodeInvalidParameter},
			{"page[size]=ten", "page[size]", api.CodeInvalidParameter},
			{"filter[colour]=red", "filter[colour]", api.CodeInvalidParameter},
			{"include=tokens", "include", api.CodeInvalidParameter},
			{"sort=username", "sort", api.CodeInvalidParameter},
			{"page[after]=garbage", "page[after]", api.CodeInvalidCursor},
		} {
			r := call(t, srv, req{method: "GET", path: "/api/v1/users?" + tc.query, token: srv.AdminToken, noValidate: true})
			if r.Status != 400 {
				t.Fatalf("%s: status %d: %s", tc.query, r.Status, r.Body)
			}
			e := r.Errors(t)[0]
			if e.Code != tc.code || e.Source == nil || e.Source.Parameter != tc.param {
				t.Fatalf("%s: error %+v", tc.query, e)
			}
		}
	})
}

func TestLastAdminIsProtected(t *testing.T) {
	testserver.Backends(t, func(t *testing.T, backend testserver.Option) {
		srv := testserver.Start(t, backend)
		r := call(t, srv, req{method: "GET", path: "/api/v1/account", token: srv.AdminToken})
		boot := decodeUser(t, r)
		for _, attrs := range []map[string]any{{"is-admin": false}, {"disabled": true}} {
			r = call(t, srv, req{method: "PATCH", path: "/api/v1/users/" + boot.ID, token: srv.AdminToken,
				body: map[string]any{"data": map[string]any{"type": "users", "attributes": attrs}}})
			wantError(t, r, 409, api.CodeLastAdmin, "")
		}
		r = call(t, srv, req{method: "DELETE", path: "/api/v1/users/" + boot.ID, token: srv.AdminToken})
		wantError(t, r, 409, api.CodeLastAdmin, "")

		// With a second admin the first may step down.
		other := createUser(t, srv, map[string]any{"username": "root2", "email": "root2@example.com", "is-admin": true})
		r = call(t, srv, req{method: "PATCH", path: "/api/v1/users/" + boot.ID, token: srv.AdminToken,
			body: map[string]any{"data": map[string]any{"type": "users", "attributes": map[string]any{"is-admin": false}}}})
		mustStatus(t, r, 200)
		_ = other
	})
}

func TestAccountAndSelfVisibility(t *testing.T) {
	srv := testserver.Start(t)
	tok := srv.NewUserToken(t, "erin", false)
	r := call(t, srv, req{method: "GET", path: "/api/v1/account?include=groups", token: tok})
	mustStatus(t, r, 200)
	me := decodeUser(t, r)
	if me.Attributes.Username != "erin" || r.Header.Get("ETag") == "" {
		t.Fatalf("account: %s", r.Body)
	}
	mustStatus(t, call(t, srv, req{method: "GET", path: "/api/v1/users/" + me.ID, token: tok}), 200)
	mustStatus(t, call(t, srv, req{method: "GET", path: "/api/v1/users/" + me.ID + "/relationships/groups", token: tok}), 200)
	r = call(t, srv, req{method: "PATCH", path: "/api/v1/users/" + me.ID, token: tok,
		body: map[string]any{"data": map[string]any{"type": "users", "attributes": map[string]any{"is-admin": true}}}})
	wantError(t, r, http.StatusForbidden, api.CodeForbidden, "")
}
