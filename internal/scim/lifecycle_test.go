package scim_test

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rollcall/rollcall/internal/store"
	"github.com/rollcall/rollcall/internal/testserver"
)

// TestDeactivateEndsSessions: Okta's {"active": false} disables the person
// and ends their browser sessions in the same change, and both are in the
// audit log with the token's user as actor.
func TestDeactivateEndsSessions(t *testing.T) {
	testserver.Backends(t, func(t *testing.T, backend testserver.Option) {
		srv := testserver.Start(t, backend)
		c := &client{t: t, srv: srv, token: scimToken(t, srv)}
		r := c.do("POST", "/scim/v2/Users", map[string]any{"userName": "ada@example.com",
			"emails": []any{map[string]any{"value": "ada@example.com", "primary": true}}})
		wantStatus(t, "create", r, 201)
		id := r.JSON(t)["id"].(string)

		ctx := t.Context()
		auth := srv.Store.(store.AuthStore)
		meta := store.Meta{ActorName: "test"}
		pk, err := auth.CreatePasskey(ctx, store.Passkey{UserID: id, CredentialID: []byte("cred"), PublicKey: []byte("key"),
			AAGUID: make([]byte, 16), Name: "Laptop"}, meta)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256([]byte("cookie"))
		now := time.Now()
		se := store.Session{Hash: sum[:], UserID: id, CreatedAt: now, ExpiresAt: now.Add(time.Hour), LastSeenAt: now}
		if err := auth.RecordSignIn(ctx, store.SignIn{UserID: id, PasskeyID: pk.ID, SignCount: 1, Session: se, At: now}, meta); err != nil {
			t.Fatal(err)
		}

		r = c.do("PATCH", "/scim/v2/Users/"+id, map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
			"Operations": []any{map[string]any{"op": "replace", "value": map[string]any{"active": false}}}})
		wantStatus(t, "deactivate", r, 200)
		if r.JSON(t)["active"] != false {
			t.Errorf("deactivated user is active: %s", r.Body)
		}
		ss, err := auth.ListSessions(ctx, id, time.Now())
		if err != nil || len(ss) != 0 {
			t.Errorf("sessions after deactivation: %d, %v; want none", len(ss), err)
		}
		events, _, err := srv.Store.ListAuditEvents(ctx, store.AuditFilter{TargetID: id}, store.Page{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, e := range events {
			if e.ActorName == "bootstrap-admin" {
				seen[e.Action] = true
			}
		}
		for _, a := range []string{"user.create", "user.update", "session.revoke"} {
			if !seen[a] {
				t.Errorf("no %s event with the token's user as actor among %+v", a, events)
			}
		}
	})
}

// TestBadInput: each mistake is a SCIM error with the right scimType,
// never a 500, and nothing is written.
func TestBadInput(t *testing.T) {
	testserver.Backends(t, func(t *testing.T, backend testserver.Option) {
		srv := testserver.Start(t, backend)
		c := &client{t: t, srv: srv, token: scimToken(t, srv)}
		r := c.do("POST", "/scim/v2/Users", map[string]any{"userName": "ada", "emails": []any{map[string]any{"value": "ada@example.com"}}})
		wantStatus(t, "create", r, 201)
		id := r.JSON(t)["id"].(string)
		version := r.Header.Get("ETag")
		patch := func(ops ...any) map[string]any {
			return map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"}, "Operations": ops}
		}
		user := func(extra map[string]any) map[string]any {
			m := map[string]any{"userName": "bob", "emails": []any{map[string]any{"value": "bob@example.com"}}}
			for k, v := range extra {
				m[k] = v
			}
			return m
		}
		for _, tc := range []struct {
			name, method, path string
			body               any
			header             []string
			status             int
			scimType           string
			detail             string
		}{
			{"malformed filter", "GET", "/scim/v2/Users?filter=" + esc(`userName eq`), nil, nil, 400, "invalidFilter", "not a SCIM filter"},
			{"filter on an unknown attribute", "GET", "/scim/v2/Users?filter=" + esc(`shoeSize eq "9"`), nil, nil, 400, "invalidFilter", "filter by userName"},
			{"filter comparing a date with text", "GET", "/scim/v2/Users?filter=" + esc(`meta.lastModified gt "yesterday"`), nil, nil, 400, "invalidFilter", "date-time"},
			{"unknown attribute", "POST", "/scim/v2/Users", user(map[string]any{"shoeSize": 9}), nil, 400, "invalidSyntax", "shoeSize"},
			{"duplicate userName in another case", "POST", "/scim/v2/Users", user(map[string]any{"userName": "ADA"}), nil, 409, "uniqueness", "username"},
			{"duplicate email in another case", "POST", "/scim/v2/Users", user(map[string]any{"emails": []any{map[string]any{"value": "ADA@example.com"}}}), nil, 409, "uniqueness", "email"},
			{"userName of the wrong type", "POST", "/scim/v2/Users", user(map[string]any{"userName": 7}), nil, 400, "invalidValue", "userName must be a string"},
			{"active of the wrong type", "POST", "/scim/v2/Users", user(map[string]any{"active": "maybe"}), nil, 400, "invalidValue", "active must be true or false"},
			{"bad email, in the JSON:API's words", "POST", "/scim/v2/Users", user(map[string]any{"emails": []any{map[string]any{"value": "a b@c"}}}), nil, 400, "invalidValue", "not a valid address"},
			{"bad userName", "POST", "/scim/v2/Users", user(map[string]any{"userName": "-x-"}), nil, 400, "invalidValue", "userName"},
			{"missing email", "POST", "/scim/v2/Users", map[string]any{"userName": "carl"}, nil, 400, "invalidValue", "email"},
			{"id on create", "POST", "/scim/v2/Users", user(map[string]any{"id": "8f1c3a52-8a51-4c8b-9d8b-3d9b1f1f1f1f"}), nil, 400, "mutability", "id"},
			{"not JSON", "POST", "/scim/v2/Users", "{", nil, 400, "invalidSyntax", "not valid JSON"},
			{"empty body", "POST", "/scim/v2/Users", "", nil, 400, "invalidSyntax", "JSON object"},
			{"huge body", "POST", "/scim/v2/Users", `{"userName":"` + strings.Repeat("a", 2<<20) + `"}`, nil, 413, "", "larger"},
			{"PATCH of id", "PATCH", "/scim/v2/Users/" + id, patch(map[string]any{"op": "replace", "path": "id", "value": "x"}), nil, 400, "mutability", "id"},
			{"PATCH of meta", "PATCH", "/scim/v2/Users/" + id, patch(map[string]any{"op": "replace", "path": "meta.created", "value": "2020-01-01T00:00:00Z"}), nil, 400, "mutability", "meta"},
			{"PATCH with an unknown op", "PATCH", "/scim/v2/Users/" + id, patch(map[string]any{"op": "merge", "path": "title", "value": "x"}), nil, 400, "invalidSyntax", "add, replace or remove"},
			{"PATCH with a bad path", "PATCH", "/scim/v2/Users/" + id, patch(map[string]any{"op": "replace", "path": "emails[type eq", "value": "x"}), nil, 400, "invalidPath", "path"},
			{"PATCH without Operations", "PATCH", "/scim/v2/Users/" + id, map[string]any{"op": "replace"}, nil, 400, "invalidSyntax", "Operations"},
			{"PATCH to an unknown attribute", "PATCH", "/scim/v2/Users/" + id, patch(map[string]any{"op": "add", "path": "shoeSize", "value": "9"}), nil, 400, "invalidSyntax", "shoeSize"},
			{"PATCH with a stale If-Match", "PATCH", "/scim/v2/Users/" + id, patch(map[string]any{"op": "replace", "path": "title", "value": "x"}), []string{"If-Match", `"999"`}, 412, "", "If-Match"},
			{"PUT naming another id", "PUT", "/scim/v2/Users/" + id, user(map[string]any{"id": "8f1c3a52-8a51-4c8b-9d8b-3d9b1f1f1f1f"}), nil, 400, "mutability", "id"},
			{"unknown user", "GET", "/scim/v2/Users/8f1c3a52-8a51-4c8b-9d8b-3d9b1f1f1f1f", nil, nil, 404, "", "not found"},
			{"not an id", "GET", "/scim/v2/Users/nope", nil, nil, 404, "", "no user"},
			{"group member that does not exist", "POST", "/scim/v2/Groups", map[string]any{"displayName": "x", "members": []any{map[string]any{"value": "8f1c3a52-8a51-4c8b-9d8b-3d9b1f1f1f1f"}}}, nil, 400, "invalidValue", "no user"},
			{"group member that is not an id", "POST", "/scim/v2/Groups", map[string]any{"displayName": "x", "members": []any{map[string]any{"value": "ada"}}}, nil, 400, "invalidValue", "UUID"},
			{"wrong media type", "POST", "/scim/v2/Users", nil, []string{"Content-Type", "text/plain"}, 415, "", "Content-Type"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				c.t = t
				r := c.do(tc.method, tc.path, tc.body, tc.header...)
				m := wantSCIMError(t, tc.name, r, tc.status, tc.scimType)
				if d, _ := m["detail"].(string); m != nil && !strings.Contains(strings.ToLower(d), strings.ToLower(tc.detail)) {
					t.Errorf("detail %q does not mention %q", d, tc.detail)
				}
			})
		}
		c.t = t
		// Nothing was written: ada (and the bootstrap admin) only, ada unchanged; no group.
		r = c.do("GET", "/scim/v2/Users", nil)
		if m := r.JSON(t); m["totalResults"] != float64(2) {
			t.Errorf("users after the bad requests: %s", r.Body)
		}
		r = c.do("GET", "/scim/v2/Users/"+id, nil)
		if r.Header.Get("ETag") != version {
			t.Errorf("ada's version changed from %s to %s", version, r.Header.Get("ETag"))
		}
		r = c.do("GET", "/scim/v2/Groups", nil)
		if m := r.JSON(t); m["totalResults"] != float64(0) {
			t.Errorf("groups after the bad requests: %s", r.Body)
		}
	})
}

func esc(s string) string {
	return strings.NewReplacer(" ", "%20", `"`, "%22", "[", "%5B", "]", "%5D").Replace(s)
}

// TestPagingAndIfMatch: startIndex/count pages in userName order with the
// total of all matches; meta.version is the ETag and If-Match guards writes.
func TestPagingAndIfMatch(t *testing.T) {
	srv := testserver.Start(t)
	c := &client{t: t, srv: srv, token: scimToken(t, srv)}
	var ids []string
	for _, n := range []string{"erin", "ada", "dan", "bob", "cy"} {
		r := c.do("POST", "/scim/v2/Users", map[string]any{"userName": n, "emails": []any{map[string]any{"value": n + "@example.com"}}})
		wantStatus(t, "create "+n, r, 201)
		ids = append(ids, r.JSON(t)["id"].(string))
	}
	names := func(m map[string]any) []string {
		var out []string
		for _, r := range m["Resources"].([]any) {
			out = append(out, r.(map[string]any)["userName"].(string))
		}
		return out
	}
	filter := "&filter=" + esc(`userName ne "bootstrap-admin"`)
	m := c.do("GET", "/scim/v2/Users?startIndex=2&count=2&sortBy=userName"+filter, nil).JSON(t)
	if got := strings.Join(names(m), ","); got != "bob,cy" || m["totalResults"] != float64(5) || m["itemsPerPage"] != float64(2) || m["startIndex"] != float64(2) {
		t.Errorf("page 2 of 2: %v %v", got, m)
	}
	m = c.do("GET", "/scim/v2/Users?startIndex=5&count=10"+filter, nil).JSON(t)
	if got := strings.Join(names(m), ","); got != "erin" {
		t.Errorf("last page: %v", got)
	}
	m = c.do("GET", "/scim/v2/Users?count=0"+filter, nil).JSON(t)
	if len(m["Resources"].([]any)) != 0 || m["totalResults"] != float64(5) {
		t.Errorf("count=0: %v", m)
	}
	m = c.do("GET", "/scim/v2/Users?attributes=userName,name.familyName&count=1"+filter, nil).JSON(t)
	if res := m["Resources"].([]any)[0].(map[string]any); len(res) != 3 || res["userName"] == nil || res["id"] == nil || res["schemas"] == nil {
		t.Errorf("attributes=userName,name.familyName (none has a name): %v", res)
	}
	m = c.do("GET", "/scim/v2/Users?excludedAttributes=emails,meta&count=1"+filter, nil).JSON(t)
	if res := m["Resources"].([]any)[0].(map[string]any); res["emails"] != nil || res["meta"] != nil || res["userName"] == nil {
		t.Errorf("excludedAttributes=emails,meta: %v", res)
	}
	m = c.do("GET", "/scim/v2/Users?sortBy=userName&sortOrder=descending&startIndex=2&count=2"+filter, nil).JSON(t)
	if got := strings.Join(names(m), ","); got != "dan,cy" {
		t.Errorf("descending, page 2 of 2: %v", got)
	}
	m = c.do("GET", "/scim/v2/Users?sortOrder=descending&startIndex=4&count=2"+filter, nil).JSON(t)
	if got := strings.Join(names(m), ","); got != "bob,ada" {
		t.Errorf("descending, from the 4th (after the cursor of the page before): %v", got)
	}
	wantSCIMError(t, "sortOrder sideways", c.do("GET", "/scim/v2/Users?sortOrder=sideways", nil), 400, "invalidValue")
	wantSCIMError(t, "sort by title", c.do("GET", "/scim/v2/Users?sortBy=title", nil), 400, "invalidValue")
	wantSCIMError(t, "count not a number", c.do("GET", "/scim/v2/Users?count=many", nil), 400, "invalidValue")

	r := c.do("GET", "/scim/v2/Users/"+ids[0], nil)
	etag := r.Header.Get("ETag")
	if v := r.JSON(t)["meta"].(map[string]any)["version"]; v != etag || etag == "" {
		t.Errorf("meta.version %v, ETag %q", v, etag)
	}
	op := map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": []any{map[string]any{"op": "replace", "path": "title", "value": "CTO"}}}
	r = c.do("PATCH", "/scim/v2/Users/"+ids[0], op, "If-Match", etag)
	wantStatus(t, "PATCH with the current ETag", r, 200)
	wantSCIMError(t, "PATCH with the old ETag", c.do("PATCH", "/scim/v2/Users/"+ids[0], op, "If-Match", etag), 412, "")
	wantSCIMError(t, "DELETE with the old ETag", c.do("DELETE", "/scim/v2/Users/"+ids[0], nil, "If-Match", etag), 412, "")
	wantStatus(t, "DELETE with the new ETag", c.do("DELETE", "/scim/v2/Users/"+ids[0], nil, "If-Match", r.Header.Get("ETag")), 204)

	// A member PATCH with If-Match is checked without reading the members.
	r = c.do("POST", "/scim/v2/Groups", map[string]any{"displayName": "Staff"})
	wantStatus(t, "create group", r, 201)
	gid, getag := r.JSON(t)["id"].(string), r.Header.Get("ETag")
	add := map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": []any{map[string]any{"op": "add", "path": "members", "value": []any{map[string]any{"value": ids[1]}}}}}
	wantSCIMError(t, "member PATCH with a stale ETag", c.do("PATCH", "/scim/v2/Groups/"+gid, add, "If-Match", `"99"`), 412, "")
	r = c.do("PATCH", "/scim/v2/Groups/"+gid, add, "If-Match", getag)
	wantStatus(t, "member PATCH with the current ETag", r, 204)
	if r.Header.Get("ETag") == getag {
		t.Errorf("the ETag did not change with the members: %s", getag)
	}
	m = c.do("GET", "/scim/v2/Groups/"+gid+"?excludedAttributes=members", nil).JSON(t)
	if m["members"] != nil || m["meta"].(map[string]any)["version"] != r.Header.Get("ETag") {
		t.Errorf("group without members: %v", m)
	}
}

// TestPagingWalk walks all users page by page, as an import does, and
// gets each once in userName order: the pages after the first come from
// the cursors the earlier pages left.
func TestPagingWalk(t *testing.T) {
	testserver.Backends(t, func(t *testing.T, backend testserver.Option) {
		srv := testserver.Start(t, backend)
		c := &client{t: t, srv: srv, token: scimToken(t, srv)}
		for i := range 23 {
			n := fmt.Sprintf("walker.%02d", (i*7)%23)
			wantStatus(t, n, c.do("POST", "/scim/v2/Users", map[string]any{"userName": n, "emails": []any{map[string]any{"value": n + "@example.com"}}}), 201)
		}
		filter := "&filter=" + esc(`userName sw "walker."`)
		var got []string
		for start := 1; ; start += 5 {
			m := c.do("GET", fmt.Sprintf("/scim/v2/Users?startIndex=%d&count=5%s", start, filter), nil).JSON(t)
			if m["totalResults"] != float64(23) {
				t.Fatalf("totalResults %v", m["totalResults"])
			}
			res := m["Resources"].([]any)
			for _, r := range res {
				got = append(got, r.(map[string]any)["userName"].(string))
			}
			if len(res) < 5 {
				break
			}
		}
		if len(got) != 23 || !slices.IsSorted(got) || slices.Compact(slices.Clone(got))[22] != got[22] {
			t.Errorf("walk gave %d users: %v", len(got), got)
		}
		// A page asked for again, after the walk, is the same page.
		m := c.do("GET", "/scim/v2/Users?startIndex=6&count=5"+filter, nil).JSON(t)
		if first := m["Resources"].([]any)[0].(map[string]any)["userName"]; first != got[5] {
			t.Errorf("startIndex=6 again starts with %v, want %s", first, got[5])
		}
	})
}

// TestPatchDerivedAttributes: a PATCH sees what is stored, so a computed
// displayName stays computed, preferredLanguage changes the locale, and an
// added primary email or mobile number replaces the one kept.
func TestPatchDerivedAttributes(t *testing.T) {
	srv := testserver.Start(t)
	c := &client{t: t, srv: srv, token: scimToken(t, srv)}
	r := c.do("POST", "/scim/v2/Users", map[string]any{"userName": "ada", "name": map[string]any{"givenName": "Ada", "familyName": "Byron"},
		"emails": []any{map[string]any{"value": "ada@example.com", "primary": true}}, "locale": "en-GB",
		"phoneNumbers": []any{map[string]any{"value": "+44 20 7946 0000", "type": "mobile"}}})
	wantStatus(t, "create", r, 201)
	id := r.JSON(t)["id"].(string)
	patch := func(ops ...any) map[string]any {
		r := c.do("PATCH", "/scim/v2/Users/"+id, map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"}, "Operations": ops})
		wantStatus(t, "patch", r, 200)
		return r.JSON(t)
	}
	m := patch(map[string]any{"op": "replace", "path": "name.familyName", "value": "Lovelace"})
	if m["displayName"] != "Ada Lovelace" {
		t.Errorf("displayName after the family name changed: %v", m["displayName"])
	}
	m = patch(map[string]any{"op": "replace", "path": "preferredLanguage", "value": "de-DE"})
	if m["locale"] != "de-DE" || m["preferredLanguage"] != "de-DE" {
		t.Errorf("locale after preferredLanguage: %v / %v", m["locale"], m["preferredLanguage"])
	}
	m = patch(map[string]any{"op": "add", "path": "emails", "value": []any{map[string]any{"value": "countess@example.com", "type": "work", "primary": true}}},
		map[string]any{"op": "add", "path": "phoneNumbers", "value": []any{map[string]any{"value": "+44 20 7946 0001", "type": "mobile"}}})
	if e := m["emails"].([]any)[0].(map[string]any)["value"]; e != "countess@example.com" {
		t.Errorf("email after adding a primary one: %v", e)
	}
	if p := m["phoneNumbers"].([]any)[0].(map[string]any)["value"]; p != "+442079460001" {
		t.Errorf("mobile after adding one: %v", p)
	}
}

// TestSeenByTheAPI: a user SCIM creates is an ordinary user of the REST
// API, with external-source the name of the scim token that made it
// ("okta"), or "scim" through an admin-scope token.
func TestSeenByTheAPI(t *testing.T) {
	testserver.Backends(t, func(t *testing.T, backend testserver.Option) {
		srv := testserver.Start(t, backend)
		c := &client{t: t, srv: srv, token: scimToken(t, srv)}
		r := c.do("POST", "/scim/v2/Users", map[string]any{"userName": "ada", "externalId": "00u1", "emails": []any{map[string]any{"value": "ada@example.com"}}})
		wantStatus(t, "create", r, 201)
		id := r.JSON(t)["id"].(string)
		api := &client{t: t, srv: srv, token: srv.AdminToken}
		doc := api.do("GET", "/api/v1/users/"+id, nil)
		var m struct {
			Data struct {
				Attributes map[string]any `json:"attributes"`
			} `json:"data"`
		}
		if err := json.Unmarshal(doc.Body, &m); err != nil || doc.Status != 200 {
			t.Fatalf("JSON:API read: %d %s", doc.Status, doc.Body)
		}
		if a := m.Data.Attributes; a["username"] != "ada" || a["external-id"] != "00u1" || a["external-source"] != "okta" {
			t.Errorf("the SCIM user through the JSON:API: %v", a)
		}
		// The same client's externalId filter finds it; an admin token's SCIM
		// user has external-source scim.
		if r := c.do("GET", "/scim/v2/Users?filter="+url.QueryEscape(`externalId eq "00u1"`), nil); r.Status != 200 || r.JSON(t)["totalResults"] != float64(1) {
			t.Errorf("externalId eq: %d %s", r.Status, r.Body)
		}
		r = api.do("POST", "/scim/v2/Users", map[string]any{"userName": "grace", "externalId": "e-2", "emails": []any{map[string]any{"value": "grace@example.com"}}})
		wantStatus(t, "create with an admin token", r, 201)
		doc = api.do("GET", "/api/v1/users/"+r.JSON(t)["id"].(string), nil)
		if err := json.Unmarshal(doc.Body, &m); err != nil || m.Data.Attributes["external-source"] != "scim" {
			t.Errorf("external-source of a user an admin token provisioned: %s", doc.Body)
		}
	})
}
