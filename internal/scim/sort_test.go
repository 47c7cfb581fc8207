package scim_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rollcall/rollcall/internal/testserver"
)

// TestSortBy: what a SCIM client gets back for each sortBy Rollcall takes,
// ascending and descending, with a filter and paging, on both databases;
// and the invalidValue naming the sortable attributes for one it does not.
func TestSortBy(t *testing.T) {
	testserver.Backends(t, func(t *testing.T, backend testserver.Option) {
		srv := testserver.Start(t, backend)
		c := &client{t: t, srv: srv, token: scimToken(t, srv)}
		ids := map[string]string{}
		for _, u := range []map[string]any{
			{"userName": "ada", "externalId": "e3", "displayName": "Countess", "name": map[string]any{"givenName": "Ada", "familyName": "Lovelace"}},
			{"userName": "grace", "externalId": "e1", "name": map[string]any{"givenName": "Grace", "familyName": "Hopper"}},
			{"userName": "alan", "externalId": "e2", "displayName": "alan t", "name": map[string]any{"givenName": "Alan", "familyName": "Turing"}},
		} {
			u["emails"] = []any{map[string]any{"value": u["userName"].(string) + "@example.com"}}
			r := c.do("POST", "/scim/v2/Users", u)
			wantStatus(t, "create "+u["userName"].(string), r, 201)
			ids[u["userName"].(string)] = r.JSON(t)["id"].(string)
			time.Sleep(2 * time.Millisecond)
		}
		// grace changes last: meta.lastModified orders her after alan.
		r := c.do("PATCH", "/scim/v2/Users/"+ids["grace"], map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
			"Operations": []any{map[string]any{"op": "replace", "path": "title", "value": "Rear Admiral"}}})
		wantStatus(t, "patch grace", r, 200)

		names := func(path string) string {
			t.Helper()
			r := c.do("GET", path, nil)
			wantStatus(t, path, r, 200)
			var out []string
			for _, x := range r.JSON(t)["Resources"].([]any) {
				m := x.(map[string]any)
				if n, ok := m["userName"].(string); ok {
					out = append(out, n)
				} else {
					out = append(out, m["displayName"].(string))
				}
			}
			return strings.Join(out, ",")
		}
		q := func(params string) string {
			return "/scim/v2/Users?filter=" + url.QueryEscape("externalId pr") + "&" + params
		}
		for _, tc := range []struct{ params, want string }{
			{"sortBy=userName", "ada,alan,grace"},
			{"sortBy=name.familyName", "grace,ada,alan"},
			{"sortBy=name.familyName&sortOrder=descending", "alan,ada,grace"},
			{"sortBy=NAME.FAMILYNAME&startIndex=2&count=1", "ada"},
			{"sortBy=displayName", "alan,ada,grace"}, // "alan t", "Countess", "Grace Hopper" (her name: no displayName)
			{"sortBy=externalId", "grace,alan,ada"},
			{"sortBy=externalId&sortOrder=descending&startIndex=3", "grace"},
			{"sortBy=meta.lastModified", "ada,alan,grace"},
			{"sortBy=meta.lastModified&sortOrder=descending&count=2", "grace,alan"},
		} {
			if got := names(q(tc.params)); got != tc.want {
				t.Errorf("%s: %s, want %s", tc.params, got, tc.want)
			}
		}
		// Without a filter: bea, and the bootstrap admin, have no
		// externalId and no familyName, bea no displayName either. They
		// come last when ascending, first when descending (RFC 7644
		// §3.4.2.3), between themselves by userName; pages that straddle
		// the line hold the right users.
		r = c.do("POST", "/scim/v2/Users", map[string]any{"userName": "bea", "emails": []any{map[string]any{"value": "bea@example.com"}}})
		wantStatus(t, "create bea", r, 201)
		for _, tc := range []struct{ params, want string }{
			{"sortBy=externalId", "grace,alan,ada,bea,bootstrap-admin"},
			{"sortBy=externalId&startIndex=3&count=2", "ada,bea"},
			{"sortBy=externalId&sortOrder=descending", "bootstrap-admin,bea,ada,alan,grace"},
			{"sortBy=externalId&sortOrder=descending&startIndex=2&count=2", "bea,ada"},
			{"sortBy=name.familyName", "grace,ada,alan,bea,bootstrap-admin"},
			{"sortBy=name.familyName&startIndex=3&count=2", "alan,bea"},
			{"sortBy=name.familyName&sortOrder=descending&count=3", "bootstrap-admin,bea,alan"},
			{"sortBy=displayName", "alan,bootstrap-admin,ada,grace,bea"}, // "alan t", "bootstrap admin", "Countess", "Grace Hopper"
			{"sortBy=displayName&startIndex=4&count=2", "grace,bea"},
			{"sortBy=displayName&sortOrder=descending&count=2", "bea,grace"},
		} {
			if got := names("/scim/v2/Users?" + tc.params); got != tc.want {
				t.Errorf("%s: %s, want %s", tc.params, got, tc.want)
			}
		}
		// The same through POST /.search.
		r = c.do("POST", "/scim/v2/Users/.search", map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:SearchRequest"},
			"sortBy": "externalId", "sortOrder": "descending", "count": 3})
		wantStatus(t, ".search sortBy", r, 200)
		if res := r.JSON(t)["Resources"].([]any); len(res) != 3 || res[0].(map[string]any)["userName"] != "bootstrap-admin" ||
			res[1].(map[string]any)["userName"] != "bea" || res[2].(map[string]any)["userName"] != "ada" {
			t.Errorf(".search sortBy externalId descending: %s", r.Body)
		}

		for _, bad := range []string{"/scim/v2/Users?sortBy=emails", "/scim/v2/Users?sortBy=name.givenName", "/scim/v2/Groups?sortBy=externalId"} {
			e := wantSCIMError(t, bad, c.do("GET", bad, nil), 400, "invalidValue")
			if d, _ := e["detail"].(string); !strings.Contains(d, "displayName") || (strings.Contains(bad, "Users") && !strings.Contains(d, "name.familyName, displayName, meta.lastModified or externalId")) {
				t.Errorf("%s: detail %q does not name the sortable attributes", bad, d)
			}
		}

		// Groups: displayName as shown (a renamed group keeps its name).
		gids := map[string]string{}
		for _, d := range []string{"Zeta", "alpha", "Mid"} {
			r := c.do("POST", "/scim/v2/Groups", map[string]any{"displayName": d})
			wantStatus(t, "create group "+d, r, 201)
			gids[d] = r.JSON(t)["id"].(string)
		}
		r = c.do("PATCH", "/scim/v2/Groups/"+gids["Zeta"], map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
			"Operations": []any{map[string]any{"op": "replace", "path": "displayName", "value": "Aardvark"}}})
		if r.Status != 200 && r.Status != 204 {
			t.Fatalf("rename group: %d %s", r.Status, r.Body)
		}
		for _, tc := range []struct{ params, want string }{
			{"excludedAttributes=members", "alpha,Mid,Aardvark"}, // by name: alpha, mid, zeta
			{"sortBy=displayName&excludedAttributes=members", "Aardvark,alpha,Mid"},
			{"sortBy=displayName&sortOrder=descending&count=2", "Mid,alpha"},
		} {
			if got := names("/scim/v2/Groups?" + tc.params); got != tc.want {
				t.Errorf("groups %s: %s, want %s", tc.params, got, tc.want)
			}
		}
	})
}
