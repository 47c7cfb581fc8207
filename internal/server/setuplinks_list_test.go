package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rollcall/rollcall/api"
	"github.com/rollcall/rollcall/internal/store"
	"github.com/rollcall/rollcall/internal/testserver"
)

// newSetupLink stores a setup link for userID directly and returns its id.
func newSetupLink(t *testing.T, srv *testserver.Server, userID string) string {
	t.Helper()
	l, err := srv.Store.(store.AuthStore).CreateSetupLink(context.Background(), store.SetupLink{
		UserID: userID, Hash: []byte(time.Now().String() + userID), ExpiresAt: time.Now().Add(time.Hour)}, store.Meta{ActorName: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return l.ID
}

func listLinks(t *testing.T, srv *testserver.Server, userID string) []api.SetupLink {
	t.Helper()
	r := call(t, srv, req{method: "GET", path: "/api/v1/users/" + userID + "/setup-links", token: srv.AdminToken})
	mustStatus(t, r, http.StatusOK)
	var doc api.Document[[]api.SetupLink]
	if err := json.Unmarshal(r.Body, &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Data
}

// TestSetupLinkListAndRevoke (issue 16 A): an admin sees a person's
// outstanding setup link (only the newest: creating one revokes the older),
// never its URL, and revokes it, one or all; each revocation is audited
// and the revoked link's page says it is no longer valid.
func TestSetupLinkListAndRevoke(t *testing.T) {
	srv := testserver.Start(t)
	ada := createUser(t, srv, map[string]any{"username": "ada", "email": "ada@example.com"})
	path := "/api/v1/users/" + ada.ID + "/setup-links"
	create := func() api.SetupLink {
		t.Helper()
		r := call(t, srv, req{method: "POST", path: path, token: srv.AdminToken, body: setupLinkBody(false)})
		mustStatus(t, r, http.StatusCreated)
		var doc api.Document[api.SetupLink]
		if err := json.Unmarshal(r.Body, &doc); err != nil {
			t.Fatal(err)
		}
		return doc.Data
	}
	if got := listLinks(t, srv, ada.ID); len(got) != 0 {
		t.Fatalf("links of a new user: %+v", got)
	}
	l1, l2 := create(), create()
	got := listLinks(t, srv, ada.ID)
	if len(got) != 1 || got[0].ID != l2.ID || got[0].Attributes.URL != "" || !got[0].Attributes.ExpiresAt.Equal(l2.Attributes.ExpiresAt) ||
		got[0].Relationships.User.Data.ID != ada.ID {
		t.Fatalf("outstanding links after two were made: %+v; want only the newer %s, without its URL", got, l2.ID)
	}
	// The older one was revoked by the newer; revoking it again is 404.
	wantError(t, call(t, srv, req{method: "DELETE", path: path + "/" + l1.ID, token: srv.AdminToken}), http.StatusNotFound, api.CodeNotFound, "")
	res, err := http.Get(l1.Attributes.URL)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusGone {
		t.Fatalf("the replaced link's page: %d, want 410", res.StatusCode)
	}
	mustStatus(t, call(t, srv, req{method: "DELETE", path: path + "/" + l2.ID, token: srv.AdminToken}), http.StatusNoContent)
	if got := listLinks(t, srv, ada.ID); len(got) != 0 {
		t.Fatalf("links after revoking: %+v", got)
	}
	res, err = http.Get(l2.Attributes.URL)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusGone {
		t.Fatalf("the revoked link's page: %d, want 410", res.StatusCode)
	}
	create()
	mustStatus(t, call(t, srv, req{method: "DELETE", path: path, token: srv.AdminToken}), http.StatusNoContent)
	mustStatus(t, call(t, srv, req{method: "DELETE", path: path, token: srv.AdminToken}), http.StatusNoContent)
	if got := listLinks(t, srv, ada.ID); len(got) != 0 {
		t.Fatalf("links after revoking all: %+v", got)
	}
	r := call(t, srv, req{method: "GET", path: "/api/v1/audit-events?filter[target]=" + ada.ID + "&filter[action]=setup_link.", token: srv.AdminToken})
	mustStatus(t, r, http.StatusOK)
	var evs api.Document[[]struct {
		Attributes struct {
			Action string         `json:"action"`
			After  map[string]any `json:"after"`
		} `json:"attributes"`
	}]
	if err := json.Unmarshal(r.Body, &evs); err != nil {
		t.Fatal(err)
	}
	var seen []string
	for _, e := range evs.Data {
		seen = append(seen, e.Attributes.Action+":"+strings.TrimSpace(toString(e.Attributes.After["reason"])))
	}
	want := "setup_link.revoke:revoked setup_link.create: setup_link.revoke:revoked setup_link.create: setup_link.revoke:replaced setup_link.create:"
	if strings.Join(seen, " ") != want {
		t.Fatalf("audit log of ada's links, newest first:\n%s\nwant\n%s", strings.Join(seen, " "), want)
	}
}

func toString(v any) string {
	if v == nil {
		return ""
	}
	s, _ := v.(string)
	return s
}
