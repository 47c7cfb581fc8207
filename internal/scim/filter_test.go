package scim_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rollcall/rollcall/internal/testserver"
)

// TestFilters checks what each filter finds through the whole stack, on
// both databases: SCIM attribute names, case rules, value paths, times,
// logical operators.
func TestFilters(t *testing.T) {
	testserver.Backends(t, func(t *testing.T, backend testserver.Option) {
		srv := testserver.Start(t, backend)
		c := &client{t: t, srv: srv, token: scimToken(t, srv)}
		ids := map[string]string{}
		for _, u := range []map[string]any{
			{"userName": "ada", "externalId": "HR-1", "displayName": "Countess", "name": map[string]any{"givenName": "Ada", "familyName": "Lovelace"},
				"emails": []any{map[string]any{"value": "Ada@Example.com"}}},
			{"userName": "grace", "externalId": "hr-2", "name": map[string]any{"givenName": "Grace", "familyName": "Hopper"},
				"emails": []any{map[string]any{"value": "grace@navy.mil"}}, "active": false},
			{"userName": "alan", "name": map[string]any{"givenName": "Alan", "familyName": "Turing"},
				"emails": []any{map[string]any{"value": "alan@example.org"}}},
		} {
			r := c.do("POST", "/scim/v2/Users", u)
			wantStatus(t, "create", r, 201)
			ids[u["userName"].(string)] = r.JSON(t)["id"].(string)
		}
		mid := time.Now().UTC()
		time.Sleep(10 * time.Millisecond)
		r := c.do("POST", "/scim/v2/Groups", map[string]any{"displayName": "Pioneers", "members": []any{map[string]any{"value": ids["ada"]}, map[string]any{"value": ids["alan"]}}})
		wantStatus(t, "group", r, 201)
		gid := r.JSON(t)["id"].(string)
		for _, tc := range []struct {
			filter string
			want   string
		}{
			{`userName eq "ADA"`, "ada"},
			{`userName sw "a"`, "ada,alan"},
			{`userName co "RAC"`, "grace"},
			{`userName ew "n"`, "alan"},
			{`userName gt "alan" and userName lt "grace"`, ""},
			{`userName ge "alan" and userName le "grace"`, "alan,grace"},
			{`externalId eq "HR-1"`, "ada"},
			{`externalId eq "hr-1"`, ""},
			{`externalId pr`, "ada,grace"},
			{`not (externalId pr)`, "alan"},
			{`emails.value eq "ada@example.COM"`, "ada"},
			{`emails eq "grace@navy.mil"`, "grace"},
			{`emails[type eq "work" and value ew "example.org"]`, "alan"},
			{`emails[type eq "work"].value eq "ALAN@example.org"`, "alan"},
			{`emails[type eq "home"].value eq "alan@example.org"`, ""},
			{`displayName eq "countess"`, "ada"},
			{`name.familyName eq "hopper"`, "grace"},
			{`name.givenName sw "A" and not (name.familyName eq "Turing")`, "ada"},
			{`active eq false`, "grace"},
			{`active eq true and userName ne "bootstrap-admin"`, "ada,alan"},
			{`groups.value eq "` + gid + `"`, "ada,alan"},
			{`groups eq "` + gid + `" and (userName eq "alan" or userName eq "grace")`, "alan"},
			{`meta.lastModified gt "` + mid.Format(time.RFC3339Nano) + `"`, "ada,alan"},
			{`meta.created lt "` + mid.Format(time.RFC3339Nano) + `" and userName ne "bootstrap-admin"`, "ada,alan,grace"},
			{`id eq "` + ids["grace"] + `"`, "grace"},
		} {
			r := c.do("GET", "/scim/v2/Users?filter="+esc(tc.filter), nil)
			if r.Status != 200 {
				t.Errorf("%s: %d %s", tc.filter, r.Status, r.Body)
				continue
			}
			var got []string
			for _, res := range r.JSON(t)["Resources"].([]any) {
				if n := res.(map[string]any)["userName"].(string); n != "bootstrap-admin" { // the server's own admin
					got = append(got, n)
				}
			}
			slices.Sort(got)
			if strings.Join(got, ",") != tc.want {
				t.Errorf("%s: %v, want %s", tc.filter, got, tc.want)
			}
		}
		for _, tc := range []struct{ filter, want string }{
			{`displayName eq "pioneers"`, "Pioneers"},
			{`members.value eq "` + ids["ada"] + `"`, "Pioneers"},
			{`members eq "` + ids["grace"] + `"`, ""},
			{`displayName sw "Pio" and members pr`, "Pioneers"},
		} {
			r := c.do("GET", "/scim/v2/Groups?filter="+esc(tc.filter), nil)
			if r.Status != 200 {
				t.Errorf("%s: %d %s", tc.filter, r.Status, r.Body)
				continue
			}
			var got []string
			for _, res := range r.JSON(t)["Resources"].([]any) {
				got = append(got, res.(map[string]any)["displayName"].(string))
			}
			if strings.Join(got, ",") != tc.want {
				t.Errorf("groups %s: %v, want %s", tc.filter, got, tc.want)
			}
		}
	})
}
