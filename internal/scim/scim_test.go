package scim_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/rollcall/rollcall/internal/testserver"
	"github.com/rollcall/rollcall/internal/testutil/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// client sends SCIM requests to a real server with one token.
type client struct {
	t     testing.TB
	srv   *testserver.Server
	token string
	// record, when set, sees every exchange (the oracle test collects the
	// responses to validate them).
	record func(method, path string, r response)
}

type response struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r response) JSON(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("body is not a JSON object (%v): %s", err, r.Body)
	}
	return m
}

func (c *client) do(method, path string, body any, header ...string) response {
	c.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, c.srv.URL+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	req.Header.Set("Accept", "application/scim+json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	if res.StatusCode >= 500 && res.StatusCode != http.StatusNotImplemented {
		c.t.Errorf("%s %s: %d %s", method, path, res.StatusCode, b)
	}
	if len(b) > 0 && strings.HasPrefix(path, "/scim/") {
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/scim+json") {
			c.t.Errorf("%s %s: Content-Type %q, want application/scim+json", method, path, ct)
		}
	}
	out := response{Status: res.StatusCode, Header: res.Header, Body: b}
	if c.record != nil {
		c.record(method, path, out)
	}
	return out
}

// scimToken makes a token with scope scim for the bootstrap admin through
// the REST API, as `rollcall tokens create --scope scim` does.
func scimToken(t testing.TB, srv *testserver.Server) string {
	t.Helper()
	body := `{"data":{"type":"api-tokens","attributes":{"name":"okta","scopes":["scim"]}}}`
	req, _ := http.NewRequest("POST", srv.URL+"/api/v1/api-tokens", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/vnd.api+json")
	req.Header.Set("Authorization", "Bearer "+srv.AdminToken)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var doc struct {
		Data struct {
			Attributes struct {
				Token string `json:"token"`
			} `json:"attributes"`
		} `json:"data"`
	}
	if err := json.NewDecoder(res.Body).Decode(&doc); err != nil || res.StatusCode != 201 {
		t.Fatalf("create scim token: %d %v", res.StatusCode, err)
	}
	return doc.Data.Attributes.Token
}

func wantStatus(t testing.TB, what string, r response, status int) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("%s: status %d, want %d: %s", what, r.Status, status, r.Body)
	}
}

// wantSCIMError checks a SCIM error document with this status and scimType.
func wantSCIMError(t testing.TB, what string, r response, status int, scimType string) map[string]any {
	t.Helper()
	if r.Status != status {
		t.Errorf("%s: status %d, want %d: %s", what, r.Status, status, r.Body)
		return nil
	}
	m := r.JSON(t)
	if s, _ := m["schemas"].([]any); len(s) != 1 || s[0] != "urn:ietf:params:scim:api:messages:2.0:Error" {
		t.Errorf("%s: not a SCIM error: %s", what, r.Body)
	}
	if m["scimType"] != nil && m["scimType"] != scimType || scimType != "" && m["scimType"] != scimType {
		t.Errorf("%s: scimType %v, want %q: %s", what, m["scimType"], scimType, r.Body)
	}
	if d, _ := m["detail"].(string); d == "" {
		t.Errorf("%s: no detail: %s", what, r.Body)
	}
	return m
}

// TestAuth: only admin users' tokens with scope scim or admin reach SCIM;
// refusals are SCIM errors.
func TestAuth(t *testing.T) {
	srv := testserver.Start(t)
	anon := &client{t: t, srv: srv}
	wantSCIMError(t, "no token", anon.do("GET", "/scim/v2/Users", nil), 401, "")
	plain := &client{t: t, srv: srv, token: srv.NewUserToken(t, "plain", false)}
	m := wantSCIMError(t, "a non-admin's token", plain.do("GET", "/scim/v2/Users", nil), 403, "")
	if d, _ := m["detail"].(string); !strings.Contains(d, "admin") {
		t.Errorf("non-admin detail %q does not say an admin's token is needed", d)
	}
	sc := &client{t: t, srv: srv, token: scimToken(t, srv)}
	wantStatus(t, "scim token on /scim/v2", sc.do("GET", "/scim/v2/Users", nil), 200)
	admin := &client{t: t, srv: srv, token: srv.AdminToken}
	wantStatus(t, "admin token on /scim/v2", admin.do("GET", "/scim/v2/ServiceProviderConfig", nil), 200)
	wantSCIMError(t, "/Me", sc.do("GET", "/scim/v2/Me", nil), 501, "")

	// The token's own user cannot be disabled or deleted through it.
	r := sc.do("GET", "/scim/v2/Users?filter="+esc(`userName eq "bootstrap-admin"`), nil)
	self := r.JSON(t)["Resources"].([]any)[0].(map[string]any)["id"].(string)
	wantSCIMError(t, "deleting the token's user", sc.do("DELETE", "/scim/v2/Users/"+self, nil), 403, "")
	wantSCIMError(t, "disabling the token's user", sc.do("PATCH", "/scim/v2/Users/"+self, map[string]any{
		"Operations": []any{map[string]any{"op": "replace", "value": map[string]any{"active": false}}}}), 403, "")
	wantStatus(t, "the token still works", sc.do("GET", "/scim/v2/Users/"+self, nil), 200)
	wantSCIMError(t, "/Bulk", sc.do("POST", "/scim/v2/Bulk", "{}"), 501, "")
	wantSCIMError(t, "an unknown endpoint", sc.do("GET", "/scim/v2/Widgets", nil), 404, "")
	wantSCIMError(t, "a method no endpoint takes", sc.do("PATCH", "/scim/v2/Users", "{}"), 404, "")
}
