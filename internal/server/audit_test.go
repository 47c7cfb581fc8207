package server_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/rollcall/rollcall/api"
	"github.com/rollcall/rollcall/internal/testserver"
)

// TestAuditActionFilter: filter[action] takes a known action or a family
// ("user."); anything else is refused with the list, not answered with an
// empty page that reads as "nothing happened".
func TestAuditActionFilter(t *testing.T) {
	srv := testserver.Start(t)
	for _, good := range []string{"user.create", "user.", "user.groups.", "token.delete"} {
		mustStatus(t, call(t, srv, req{method: "GET", path: "/api/v1/audit-events?filter[action]=" + good, token: srv.AdminToken}), 200)
	}
	for _, bad := range []string{"bogus", "user.frobnicate", "user", "users."} {
		r := call(t, srv, req{method: "GET", path: "/api/v1/audit-events?filter[action]=" + bad, token: srv.AdminToken})
		e := wantError(t, r, http.StatusBadRequest, api.CodeInvalidParameter, "")
		if e.Source == nil || e.Source.Parameter != "filter[action]" || !strings.Contains(e.Detail, "user.create") || !strings.Contains(e.Detail, "group.") {
			t.Errorf("filter[action]=%s: %+v", bad, e)
		}
	}
}
