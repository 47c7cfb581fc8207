package server_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/rollcall/rollcall/api"
	"github.com/rollcall/rollcall/internal/testserver"
)

func decodeGroup(t testing.TB, r resp) api.Group {
	t.Helper()
	var doc api.Document[api.Group]
	if err := json.Unmarshal(r.Body, &doc); err != nil {
		t.Fatalf("not a group document: %v: %s", err, r.Body)
	}
	return doc.Data
}

func linkageIDs(t testing.TB, r resp) []string {
	t.Helper()
	var doc api.RelationshipDocument
	if err := json.Unmarshal(r.Body, &doc); err != nil {
		t.Fatalf("not a relationship document: %v: %s", err, r.Body)
	}
	ids := make([]string, len(doc.Data))
	for i, d := range doc.Data {
		ids[i] = d.ID
	}
	return ids
}

func TestGroupLifecycle(t *testing.T) {
	srv := testserver.Start(t)
	testGroupLifecycle(t, srv)
}

func testGroupLifecycle(t *testing.T, srv *testserver.Server) {
	admin := srv.AdminToken
	a := createUser(t, srv, map[string]any{"username": "ann", "email": "ann@example.com"})
	b := createUser(t, srv, map[string]any{"username": "ben", "email": "ben@example.com"})

	r := call(t, srv, req{method: "POST", path: "/api/v1/groups", token: admin, body: map[string]any{"data": map[string]any{
		"type": "groups", "attributes": map[string]any{"name": "Platform", "friendly-name": "Platform team", "attributes": map[string]any{"slack": "#platform"}},
		"relationships": map[string]any{"members": map[string]any{"data": api.Identifiers("users", []string{a.ID})}},
	}}})
	mustStatus(t, r, 201)
	g := decodeGroup(t, r)
	if g.Attributes.Name != "platform" || *g.Attributes.FriendlyName != "Platform team" || g.Attributes.Description != nil ||
		g.Attributes.MemberCount != 1 || len(g.MemberIDs()) != 1 || g.Relationships.Members.Links == nil {
		t.Fatalf("created group: %s", r.Body)
	}
	etag := r.Header.Get("ETag")

	// Duplicate names collide after normalisation.
	r = call(t, srv, req{method: "POST", path: "/api/v1/groups", token: admin,
		body: map[string]any{"data": map[string]any{"type": "groups", "attributes": map[string]any{"name": "PLATFORM"}}}})
	wantError(t, r, 409, api.CodeGroupNameTaken, "/data/attributes/name")

	// PATCH with members replaces them; rename keeps id.
	r = call(t, srv, req{method: "PATCH", path: "/api/v1/groups/" + g.ID, token: admin, header: map[string]string{"If-Match": etag},
		body: map[string]any{"data": map[string]any{"type": "groups", "id": g.ID, "attributes": map[string]any{"name": "platform-eng", "friendly-name": nil},
			"relationships": map[string]any{"members": map[string]any{"data": api.Identifiers("users", []string{b.ID})}}}}})
	mustStatus(t, r, 200)
	g2 := decodeGroup(t, r)
	if g2.ID != g.ID || g2.Attributes.Name != "platform-eng" || g2.Attributes.FriendlyName != nil || strings.Join(g2.MemberIDs(), ",") != b.ID ||
		g2.Attributes.Attributes["slack"] != "#platform" {
		t.Fatalf("after PATCH: %s", r.Body)
	}
	r = call(t, srv, req{method: "PATCH", path: "/api/v1/groups/" + g.ID, token: admin, header: map[string]string{"If-Match": etag},
		body: map[string]any{"data": map[string]any{"type": "groups", "attributes": map[string]any{"description": "x"}}}})
	wantError(t, r, 412, api.CodePreconditionFailed, "")

	// Read, list, filters.
	r = call(t, srv, req{method: "GET", path: "/api/v1/groups/" + g.ID, token: admin})
	mustStatus(t, r, 200)
	if r.Header.Get("ETag") == "" || r.Header.Get("ETag") == etag {
		t.Fatalf("ETag %q after changes (was %q)", r.Header.Get("ETag"), etag)
	}
	createGroup(t, srv, "sales")
	check := func(query string, want ...string) {
		t.Helper()
		r := call(t, srv, req{method: "GET", path: "/api/v1/groups?" + query, token: admin})
		mustStatus(t, r, 200)
		var doc api.Document[[]api.Group]
		json.Unmarshal(r.Body, &doc)
		var got []string
		for _, g := range doc.Data {
			got = append(got, g.Attributes.Name)
			if g.Relationships.Members.Data == nil {
				t.Fatalf("group in list without members data: %s", r.Body)
			}
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("%s: got %v, want %v", query, got, want)
		}
	}
	check("", "platform-eng", "sales")
	check("filter[name]=SALES", "sales")
	check("filter[q]=plat", "platform-eng")
	check("filter[member]="+b.ID, "platform-eng")
	check("page[size]=1", "platform-eng")

	// Delete: members keep existing, lose the group.
	mustStatus(t, call(t, srv, req{method: "DELETE", path: "/api/v1/groups/" + g.ID, token: admin}), 204)
	wantError(t, call(t, srv, req{method: "GET", path: "/api/v1/groups/" + g.ID, token: admin}), 404, api.CodeNotFound, "")
	r = call(t, srv, req{method: "GET", path: "/api/v1/users/" + b.ID, token: admin})
	mustStatus(t, r, 200)
	if du := decodeUser(t, r); len(du.GroupIDs()) != 0 {
		t.Fatalf("user still in deleted group: %s", r.Body)
	}
}

func TestMembershipsFromBothSides(t *testing.T) {
	srv := testserver.Start(t)
	testMemberships(t, srv)
}

func testMemberships(t *testing.T, srv *testserver.Server) {
	admin := srv.AdminToken
	u := createUser(t, srv, map[string]any{"username": "uma", "email": "uma@example.com"})
	v := createUser(t, srv, map[string]any{"username": "vic", "email": "vic@example.com"})
	g1, g2, g3 := createGroup(t, srv, "g1"), createGroup(t, srv, "g2"), createGroup(t, srv, "g3")
	userSide := "/api/v1/users/" + u.ID + "/relationships/groups"
	groupSide := "/api/v1/groups/" + g1.ID + "/relationships/members"

	send := func(method, path, typ string, ids ...string) resp {
		t.Helper()
		return call(t, srv, req{method: method, path: path, token: admin, body: map[string]any{"data": api.Identifiers(typ, ids)}})
	}
	sorted := func(ids ...string) string {
		s := append([]string(nil), ids...)
		for i := range s {
			for j := i + 1; j < len(s); j++ {
				if s[j] < s[i] {
					s[i], s[j] = s[j], s[i]
				}
			}
		}
		return strings.Join(s, ",")
	}
	expect := func(r resp, ids ...string) {
		t.Helper()
		mustStatus(t, r, 200)
		if got := sorted(linkageIDs(t, r)...); got != sorted(ids...) {
			t.Fatalf("linkage %s, want %s", got, sorted(ids...))
		}
	}
	expect(send("PATCH", userSide, "groups", g1.ID, g2.ID), g1.ID, g2.ID)
	expect(send("POST", userSide, "groups", g2.ID, g3.ID), g1.ID, g2.ID, g3.ID)
	expect(send("DELETE", userSide, "groups", g2.ID), g1.ID, g3.ID)
	expect(call(t, srv, req{method: "GET", path: userSide, token: admin}), g1.ID, g3.ID)

	expect(call(t, srv, req{method: "GET", path: groupSide, token: admin}), u.ID)
	expect(send("POST", groupSide, "users", v.ID), u.ID, v.ID)
	expect(send("DELETE", groupSide, "users", u.ID), v.ID)
	expect(call(t, srv, req{method: "GET", path: userSide, token: admin}), g3.ID)
	expect(send("PATCH", groupSide, "users"), []string{}...)
	expect(send("PATCH", groupSide, "users", u.ID, v.ID), u.ID, v.ID)

	// Members page with page[size] and links.next.
	r := call(t, srv, req{method: "GET", path: groupSide + "?page[size]=1", token: admin})
	mustStatus(t, r, 200)
	var doc api.RelationshipDocument
	json.Unmarshal(r.Body, &doc)
	if len(doc.Data) != 1 || doc.Data[0].ID != u.ID || doc.Links == nil || doc.Links.Next == "" {
		t.Fatalf("first members page: %s", r.Body)
	}
	r = call(t, srv, req{method: "GET", path: strings.TrimPrefix(doc.Links.Next, srv.URL), token: admin})
	mustStatus(t, r, 200)
	doc = api.RelationshipDocument{}
	json.Unmarshal(r.Body, &doc)
	if len(doc.Data) != 1 || doc.Data[0].ID != v.ID || doc.Links.Next != "" {
		t.Fatalf("second members page: %s", r.Body)
	}

	// Mistakes: wrong type, unknown id, missing data, not an array.
	r = send("POST", userSide, "users", g1.ID)
	wantError(t, r, 422, api.CodeInvalidValue, "/data/0/type")
	missing := "11111111-2222-4333-8444-555555555555"
	r = send("POST", userSide, "groups", g1.ID, missing)
	e := wantError(t, r, 422, api.CodeInvalidReference, "/data/1/id")
	if !strings.Contains(e.Detail, missing) {
		t.Fatalf("detail does not name %s: %s", missing, e.Detail)
	}
	r = send("PATCH", groupSide, "users", missing)
	wantError(t, r, 422, api.CodeInvalidReference, "/data/0/id")
	r = call(t, srv, req{method: "PATCH", path: groupSide, token: admin, body: `{"data":null}`})
	wantError(t, r, 400, api.CodeInvalidDocument, "/data")
	r = call(t, srv, req{method: "PATCH", path: groupSide, token: admin, body: `{"data":{"type":"users","id":"x"}}`})
	wantError(t, r, 400, api.CodeInvalidType, "/data")
	r = call(t, srv, req{method: "POST", path: "/api/v1/groups/" + missing + "/relationships/members", token: admin, body: map[string]any{"data": []any{}}})
	wantError(t, r, 404, api.CodeNotFound, "")
	// Nothing of the refused changes happened.
	expect(call(t, srv, req{method: "GET", path: userSide, token: admin}), g1.ID, g3.ID)

	// include=groups on the user shows member counts that match.
	r = call(t, srv, req{method: "GET", path: "/api/v1/users/" + u.ID + "?include=groups", token: admin})
	mustStatus(t, r, 200)
	if !strings.Contains(string(r.Body), `"name":"g1"`) || !strings.Contains(string(r.Body), `"member-count":2`) {
		t.Fatalf("include=groups: %s", r.Body)
	}
}

func TestAuditEvents(t *testing.T) {
	testserver.Backends(t, func(t *testing.T, backend testserver.Option) {
		srv := testserver.Start(t, backend)
		admin := srv.AdminToken
		acct := decodeUser(t, call(t, srv, req{method: "GET", path: "/api/v1/account", token: admin}))
		u := createUser(t, srv, map[string]any{"username": "audited", "email": "audited@example.com", "title": "Dev"})
		r := call(t, srv, req{method: "PATCH", path: "/api/v1/users/" + u.ID, token: admin, header: map[string]string{"X-Request-Id": "req-audit-1"},
			body: map[string]any{"data": map[string]any{"type": "users", "attributes": map[string]any{"title": "Lead"}}}})
		mustStatus(t, r, 200)
		g := createGroup(t, srv, "audited-group", u.ID)
		r = call(t, srv, req{method: "POST", path: "/api/v1/api-tokens", token: admin,
			body: map[string]any{"data": map[string]any{"type": "api-tokens", "attributes": map[string]any{"name": "ci"}}}})
		mustStatus(t, r, 201)
		secret := decodeToken(t, r).Attributes.Token
		mustStatus(t, call(t, srv, req{method: "DELETE", path: "/api/v1/groups/" + g.ID, token: admin}), 204)

		events := func(query string) []api.AuditEvent {
			t.Helper()
			r := call(t, srv, req{method: "GET", path: "/api/v1/audit-events?" + query, token: admin})
			mustStatus(t, r, 200)
			if strings.Contains(string(r.Body), secret) {
				t.Fatal("a token secret appears in the audit log")
			}
			var doc api.Document[[]api.AuditEvent]
			if err := json.Unmarshal(r.Body, &doc); err != nil {
				t.Fatal(err)
			}
			return doc.Data
		}
		upd := events("filter[target]=" + u.ID + "&filter[action]=user.update")
		if len(upd) != 1 {
			t.Fatalf("want one user.update for the user, got %+v", upd)
		}
		e := upd[0].Attributes
		if e.ActorID == nil || *e.ActorID != acct.ID || e.ActorName != "bootstrap-admin" || e.RequestID != "req-audit-1" || e.ClientIP != "127.0.0.1" ||
			!strings.Contains(string(e.Before), `"Dev"`) || !strings.Contains(string(e.After), `"Lead"`) || e.TargetName != "audited" {
			t.Fatalf("user.update event: %+v before=%s after=%s", e, e.Before, e.After)
		}
		all := events("filter[actor]=" + acct.ID)
		if len(all) < 4 || !all[0].Attributes.CreatedAt.After(all[len(all)-1].Attributes.CreatedAt) && len(all) > 1 && all[0].Attributes.Action != "group.delete" {
			t.Fatalf("events are not newest first: %+v", all)
		}
		if all[0].Attributes.Action != "group.delete" {
			t.Fatalf("newest event is %s, want group.delete", all[0].Attributes.Action)
		}
		if n := len(events("filter[action]=user.")); n < 2 {
			t.Fatalf("action prefix filter found %d events", n)
		}
		future := "2999-01-01T00:00:00Z"
		if n := len(events("filter[since]=" + future)); n != 0 {
			t.Fatalf("filter[since] in the future found %d events", n)
		}
		if n := len(events("filter[until]=2000-01-01T00:00:00Z")); n != 0 {
			t.Fatalf("filter[until] in the past found %d events", n)
		}
		// Paging to the end.
		total, next := 0, "/api/v1/audit-events?page[size]=2"
		for next != "" {
			r := call(t, srv, req{method: "GET", path: next, token: admin})
			mustStatus(t, r, 200)
			var doc api.Document[[]api.AuditEvent]
			json.Unmarshal(r.Body, &doc)
			total += len(doc.Data)
			next = strings.TrimPrefix(doc.Links.Next, srv.URL)
		}
		if total != len(events("")) {
			t.Fatalf("paging found %d events, one page of all found %d", total, len(events("")))
		}
		r = call(t, srv, req{method: "GET", path: "/api/v1/audit-events?filter[since]=yesterday", token: admin})
		if r.Status != 400 || r.Errors(t)[0].Source.Parameter != "filter[since]" {
			t.Fatalf("bad since: %d %s", r.Status, r.Body)
		}
	})
}

func decodeToken(t testing.TB, r resp) api.APIToken {
	t.Helper()
	var doc api.Document[api.APIToken]
	if err := json.Unmarshal(r.Body, &doc); err != nil {
		t.Fatalf("not a token document: %v: %s", err, r.Body)
	}
	return doc.Data
}

func TestAPITokens(t *testing.T) {
	srv := testserver.Start(t)
	testAPITokens(t, srv)
}

func testAPITokens(t *testing.T, srv *testserver.Server) {
	admin := srv.AdminToken
	svc := createUser(t, srv, map[string]any{"username": "terraform", "email": "terraform@example.com", "service-account": true, "is-admin": true})
	r := call(t, srv, req{method: "POST", path: "/api/v1/api-tokens", token: admin, body: map[string]any{"data": map[string]any{
		"type": "api-tokens", "attributes": map[string]any{"name": "terraform", "expires-at": "2999-01-01T00:00:00Z"},
		"relationships": map[string]any{"user": map[string]any{"data": map[string]any{"type": "users", "id": svc.ID}}}}}})
	mustStatus(t, r, 201)
	tok := decodeToken(t, r)
	secret := tok.Attributes.Token
	if !strings.HasPrefix(secret, "rc_") || len(secret) != 46 || tok.Attributes.Prefix != secret[:len(tok.Attributes.Prefix)] ||
		tok.Relationships.User.Data.ID != svc.ID || tok.Attributes.ExpiresAt == nil || r.Header.Get("Location") == "" {
		t.Fatalf("created token: %s", r.Body)
	}
	// The new token works as the service account.
	r = call(t, srv, req{method: "GET", path: "/api/v1/account", token: secret})
	mustStatus(t, r, 200)
	if decodeUser(t, r).ID != svc.ID {
		t.Fatalf("token acts as %s", r.Body)
	}
	// The secret is never shown again.
	r = call(t, srv, req{method: "GET", path: "/api/v1/api-tokens/" + tok.ID, token: admin})
	mustStatus(t, r, 200)
	if strings.Contains(string(r.Body), secret) || strings.Contains(string(r.Body), `"token"`) {
		t.Fatalf("secret shown on read: %s", r.Body)
	}
	r = call(t, srv, req{method: "GET", path: "/api/v1/api-tokens?filter[user]=" + svc.ID, token: admin})
	mustStatus(t, r, 200)
	if strings.Count(string(r.Body), `"type":"api-tokens"`) != 1 || strings.Contains(string(r.Body), secret) {
		t.Fatalf("list: %s", r.Body)
	}
	// Paging through all tokens.
	for i := range 3 {
		mustStatus(t, call(t, srv, req{method: "POST", path: "/api/v1/api-tokens", token: admin,
			body: map[string]any{"data": map[string]any{"type": "api-tokens", "attributes": map[string]any{"name": fmt.Sprint("t", i)}}}}), 201)
	}
	count, next := 0, "/api/v1/api-tokens?page[size]=2"
	for next != "" {
		r := call(t, srv, req{method: "GET", path: next, token: admin})
		mustStatus(t, r, 200)
		count += strings.Count(string(r.Body), `"type":"api-tokens"`)
		var doc api.Document[[]api.APIToken]
		json.Unmarshal(r.Body, &doc)
		next = strings.TrimPrefix(doc.Links.Next, srv.URL)
	}
	if count != 5 { // bootstrap, terraform, t0..t2
		t.Fatalf("paged through %d tokens, want 5", count)
	}
	// Revoke: the token stops working at once.
	mustStatus(t, call(t, srv, req{method: "DELETE", path: "/api/v1/api-tokens/" + tok.ID, token: admin}), 204)
	wantError(t, call(t, srv, req{method: "GET", path: "/api/v1/account", token: secret}), 401, api.CodeUnauthorized, "")
	wantError(t, call(t, srv, req{method: "GET", path: "/api/v1/api-tokens/" + tok.ID, token: admin}), 404, api.CodeNotFound, "")
}

// TestEveryChangeIsAudited makes one change of each kind through the API
// and checks each left an event with the change's before and after.
func TestEveryChangeIsAudited(t *testing.T) {
	testserver.Backends(t, func(t *testing.T, backend testserver.Option) {
		srv := testserver.Start(t, backend)
		admin := srv.AdminToken
		u := createUser(t, srv, map[string]any{"username": "trail", "email": "trail@example.com"})
		g := createGroup(t, srv, "trail-group")
		send := func(method, path string, body any, want int) resp {
			t.Helper()
			r := call(t, srv, req{method: method, path: path, token: admin, body: body})
			mustStatus(t, r, want)
			return r
		}
		send("PATCH", "/api/v1/users/"+u.ID, map[string]any{"data": map[string]any{"type": "users", "attributes": map[string]any{"department": "Ops"}}}, 200)
		send("PATCH", "/api/v1/groups/"+g.ID, map[string]any{"data": map[string]any{"type": "groups", "attributes": map[string]any{"description": "d"}}}, 200)
		send("POST", "/api/v1/users/"+u.ID+"/relationships/groups", map[string]any{"data": api.Identifiers("groups", []string{g.ID})}, 200)
		send("DELETE", "/api/v1/groups/"+g.ID+"/relationships/members", map[string]any{"data": api.Identifiers("users", []string{u.ID})}, 200)
		tok := decodeToken(t, send("POST", "/api/v1/api-tokens", map[string]any{"data": map[string]any{"type": "api-tokens", "attributes": map[string]any{"name": "x"}}}, 201))
		send("DELETE", "/api/v1/api-tokens/"+tok.ID, nil, 204)
		send("DELETE", "/api/v1/groups/"+g.ID, nil, 204)
		send("DELETE", "/api/v1/users/"+u.ID, nil, 204)

		r := send("GET", "/api/v1/audit-events?page[size]=1000", nil, 200)
		var doc api.Document[[]api.AuditEvent]
		json.Unmarshal(r.Body, &doc)
		byAction := map[string]api.AuditEventAttributes{}
		for _, e := range doc.Data {
			if _, seen := byAction[e.Attributes.Action]; !seen {
				byAction[e.Attributes.Action] = e.Attributes
			}
		}
		for _, tc := range []struct{ action, before, after string }{
			{"user.create", "", `"trail"`},
			{"user.update", "", `"Ops"`},
			{"group.create", "", `"trail-group"`},
			{"group.update", "", `"d"`},
			{"user.groups.update", "", g.ID},
			{"group.members.update", u.ID, ""},
			{"token.create", "", `"x"`},
			{"token.delete", `"x"`, ""},
			{"group.delete", `"trail-group"`, ""},
			{"user.delete", `"trail"`, ""},
		} {
			e, ok := byAction[tc.action]
			if !ok {
				t.Errorf("no %s event", tc.action)
				continue
			}
			if e.ActorName != "bootstrap-admin" || e.RequestID == "" || e.ClientIP == "" {
				t.Errorf("%s: actor %q request %q ip %q", tc.action, e.ActorName, e.RequestID, e.ClientIP)
			}
			if !strings.Contains(string(e.Before), tc.before) || !strings.Contains(string(e.After), tc.after) {
				t.Errorf("%s: before %s after %s; want %s in before and %s in after", tc.action, e.Before, e.After, tc.before, tc.after)
			}
		}
	})
}

// TestGroupCustomClaims checks that custom-claims round-trip as compact
// JSON with sorted keys, that null clears them, and that a claim Rollcall
// sets itself is refused with a detail naming it.
func TestGroupCustomClaims(t *testing.T) {
	srv := testserver.Start(t)
	admin := srv.AdminToken
	r := call(t, srv, req{method: "POST", path: "/api/v1/groups", token: admin, body: map[string]any{"data": map[string]any{
		"type": "groups", "attributes": map[string]any{"name": "ops", "custom-claims": map[string]any{"role": "ops", "level": 3, "tags": []string{"a", "b"}}},
	}}})
	mustStatus(t, r, 201)
	g := decodeGroup(t, r)
	if b, _ := json.Marshal(g.Attributes.CustomClaims); string(b) != `{"level":3,"role":"ops","tags":["a","b"]}` {
		t.Errorf("created custom-claims %s", b)
	}
	r = call(t, srv, req{method: "PATCH", path: "/api/v1/groups/" + g.ID, token: admin, body: map[string]any{"data": map[string]any{
		"type": "groups", "attributes": map[string]any{"custom-claims": map[string]any{"role": "admin", "iss": "https://evil.example"}},
	}}})
	e := wantError(t, r, 422, api.CodeInvalidValue, "/data/attributes/custom-claims/iss")
	if !strings.Contains(e.Detail, `"iss"`) {
		t.Errorf("detail does not name the claim: %q", e.Detail)
	}
	r = call(t, srv, req{method: "PATCH", path: "/api/v1/groups/" + g.ID, token: admin, body: map[string]any{"data": map[string]any{
		"type": "groups", "attributes": map[string]any{"custom-claims": nil},
	}}})
	mustStatus(t, r, 200)
	if g := decodeGroup(t, r); g.Attributes.CustomClaims == nil || len(g.Attributes.CustomClaims) != 0 {
		t.Errorf("custom-claims after null: %s", r.Body)
	}
	r = call(t, srv, req{method: "GET", path: "/api/v1/audit-events?filter%5Btarget%5D=" + g.ID, token: admin})
	mustStatus(t, r, 200)
	if !strings.Contains(string(r.Body), `custom-claims`) {
		t.Errorf("the audit does not show custom-claims: %s", r.Body)
	}
}
