package scim_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/rollcall/rollcall/internal/store"
	"github.com/rollcall/rollcall/internal/testserver"
)

// TestGroupWholeMemberList: a PUT with members, a replace of members
// (followed by an add and a remove in the same PATCH), a path-less replace
// and a remove of all members leave the group with the members said and a
// new ETag, move the ETags of the users who joined or left, and are in the
// audit log; a stale If-Match or an unknown user changes nothing.
func TestGroupWholeMemberList(t *testing.T) {
	testserver.Backends(t, func(t *testing.T, backend testserver.Option) {
		srv := testserver.Start(t, backend)
		c := &client{t: t, srv: srv, token: scimToken(t, srv)}
		ids, names := map[string]string{}, map[string]string{}
		for _, n := range []string{"ada", "bob", "cy", "dan"} {
			r := c.do("POST", "/scim/v2/Users", map[string]any{"userName": n, "emails": []any{map[string]any{"value": n + "@example.com"}}})
			wantStatus(t, "create "+n, r, 201)
			ids[n] = r.JSON(t)["id"].(string)
			names[ids[n]] = n
		}
		members := func(ns ...string) []any {
			out := []any{}
			for _, n := range ns {
				out = append(out, map[string]any{"value": ids[n]})
			}
			return out
		}
		r := c.do("POST", "/scim/v2/Groups", map[string]any{"displayName": "Eng", "members": members("ada", "bob")})
		wantStatus(t, "create group", r, 201)
		gid := r.JSON(t)["id"].(string)
		path := "/scim/v2/Groups/" + gid
		// group reads the group as a client does: displayName, the members
		// by userName, and the ETag.
		group := func() (display, ms, etag string) {
			t.Helper()
			r := c.do("GET", path, nil)
			wantStatus(t, "GET group", r, 200)
			m := r.JSON(t)
			var got []string
			list, _ := m["members"].([]any)
			for _, x := range list {
				got = append(got, names[x.(map[string]any)["value"].(string)])
			}
			slices.Sort(got)
			return m["displayName"].(string), strings.Join(got, ","), r.Header.Get("ETag")
		}
		userETag := func(n string) string {
			t.Helper()
			r := c.do("GET", "/scim/v2/Users/"+ids[n], nil)
			wantStatus(t, "GET "+n, r, 200)
			return r.Header.Get("ETag")
		}
		want := func(what, display, ms string) string {
			t.Helper()
			d, got, etag := group()
			if d != display || got != ms {
				t.Errorf("%s: %q with %q, want %q with %q", what, d, got, display, ms)
			}
			return etag
		}
		patch := func(ops ...any) map[string]any {
			return map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"}, "Operations": ops}
		}
		etag := want("created", "Eng", "ada,bob")
		adaTag, bobTag := userETag("ada"), userETag("bob")

		// PUT: renamed, ada leaves, bob stays, cy joins.
		r = c.do("PUT", path, map[string]any{"displayName": "Engineering", "members": members("bob", "cy")}, "If-Match", etag)
		wantStatus(t, "PUT", r, 200)
		if ms, _ := r.JSON(t)["members"].([]any); len(ms) != 2 || r.JSON(t)["displayName"] != "Engineering" {
			t.Errorf("PUT answered %s", r.Body)
		}
		put := want("after the PUT", "Engineering", "bob,cy")
		if put == etag || r.Header.Get("ETag") != put {
			t.Errorf("ETag %q after the PUT (answered %q), was %q", put, r.Header.Get("ETag"), etag)
		}
		if userETag("ada") == adaTag || userETag("bob") != bobTag {
			t.Errorf("user ETags: ada %q (was %q, should move), bob %q (was %q, should stay)", userETag("ada"), adaTag, userETag("bob"), bobTag)
		}
		events, _, err := srv.Store.ListAuditEvents(t.Context(), store.AuditFilter{TargetID: gid}, store.Page{Limit: 10})
		if err != nil || len(events) < 2 {
			t.Fatalf("audit events of the group: %+v, %v", events, err)
		}
		seen := map[string]string{}
		for _, e := range events[:2] {
			seen[e.Action] = string(e.Before) + " " + string(e.After)
		}
		if d := seen["group.members.update"]; !strings.Contains(d, ids["ada"]) || !strings.Contains(d, ids["cy"]) || strings.Contains(d, ids["bob"]) {
			t.Errorf("the PUT's member event %q should name ada and cy only (events %+v)", d, seen)
		}
		if d := seen["group.update"]; !strings.Contains(d, "Engineering") {
			t.Errorf("the PUT's group.update %q should have the new name", d)
		}

		// A stale If-Match and an unknown user change nothing.
		wantSCIMError(t, "stale If-Match", c.do("PUT", path, map[string]any{"displayName": "X", "members": members("dan")}, "If-Match", etag), 412, "")
		wantSCIMError(t, "an unknown member", c.do("PUT", path, map[string]any{"displayName": "Y",
			"members": []any{map[string]any{"value": ids["dan"]}, map[string]any{"value": uuid.NewString()}}}), 400, "invalidValue")
		wantSCIMError(t, "an unknown member in a replace", c.do("PATCH", path, patch(map[string]any{"op": "replace", "path": "members",
			"value": []any{map[string]any{"value": uuid.NewString()}}})), 400, "invalidValue")
		if again := want("after refused changes", "Engineering", "bob,cy"); again != put {
			t.Errorf("refused changes moved the ETag from %q to %q", put, again)
		}

		// A replace, then an add and a remove in the same PATCH.
		r = c.do("PATCH", path, patch(
			map[string]any{"op": "replace", "path": "members", "value": members("ada", "dan")},
			map[string]any{"op": "add", "path": "members", "value": members("cy")},
			map[string]any{"op": "remove", "path": `members[value eq "` + ids["dan"] + `"]`}), "If-Match", put)
		wantStatus(t, "PATCH replace", r, 204)
		replaced := want("after the replace", "Engineering", "ada,cy")
		if r.Header.Get("ETag") != replaced || replaced == put {
			t.Errorf("ETag %q after the replace (answered %q), was %q", replaced, r.Header.Get("ETag"), put)
		}

		// A path-less replace of the name and the members.
		r = c.do("PATCH", path, patch(map[string]any{"op": "replace", "value": map[string]any{"displayName": "Eng 2", "members": members("bob")}}))
		wantStatus(t, "path-less replace", r, 204)
		pathless := want("after the path-less replace", "Eng 2", "bob")
		if r.Header.Get("ETag") != pathless {
			t.Errorf("path-less replace answered ETag %q, the group has %q", r.Header.Get("ETag"), pathless)
		}

		// Everyone out, then again: the second changes nothing.
		bobTag = userETag("bob")
		r = c.do("PATCH", path, patch(map[string]any{"op": "remove", "path": "members"}), "If-Match", pathless)
		wantStatus(t, "remove all", r, 204)
		empty := want("after removing all", "Eng 2", "")
		if empty == pathless || r.Header.Get("ETag") != empty || userETag("bob") == bobTag {
			t.Errorf("remove all: ETag %q (answered %q, was %q); bob's ETag %q, was %q", empty, r.Header.Get("ETag"), pathless, userETag("bob"), bobTag)
		}
		r = c.do("PATCH", path, patch(map[string]any{"op": "remove", "path": "members"}))
		wantStatus(t, "remove all again", r, 204)
		if r.Header.Get("ETag") != empty {
			t.Errorf("removing the members of an empty group moved the ETag to %q from %q", r.Header.Get("ETag"), empty)
		}
		events, _, err = srv.Store.ListAuditEvents(t.Context(), store.AuditFilter{TargetID: gid}, store.Page{Limit: 1})
		if err != nil || len(events) != 1 || events[0].Action != "group.members.update" || !strings.Contains(string(events[0].Before), ids["bob"]) {
			t.Errorf("the last event should be bob's removal: %+v, %v", events, err)
		}
	})
}
