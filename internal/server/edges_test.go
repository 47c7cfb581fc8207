package server_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rollcall/rollcall/api"
	"github.com/rollcall/rollcall/internal/testserver"
)

// TestReferenceFiltersOneRule: every filter that names one resource takes
// its id or its name; a malformed value is 400 invalid_parameter, a value
// that names nothing is 404 not_found, both pointing at the parameter; a
// resource that exists but matches nothing is an empty list.
func TestReferenceFiltersOneRule(t *testing.T) {
	srv := testserver.Start(t)
	empty := createGroup(t, srv, "empty-group")
	full := createGroup(t, srv, "full-group")
	u := createUser(t, srv, map[string]any{"username": "filtered", "email": "filtered@example.com"})
	lonely := createUser(t, srv, map[string]any{"username": "lonely", "email": "lonely@example.com"})
	mustStatus(t, call(t, srv, req{method: "POST", path: "/api/v1/groups/" + full.ID + "/relationships/members", token: srv.AdminToken,
		body: map[string]any{"data": api.Identifiers("users", []string{u.ID})}}), 200)
	const nobody = "00000000-0000-4000-8000-00000000abcd"
	count := func(path string) int {
		t.Helper()
		r := call(t, srv, req{method: "GET", path: path, token: srv.AdminToken})
		mustStatus(t, r, 200)
		return len(r.JSON(t)["data"].([]any))
	}
	for _, tc := range []struct {
		path string
		want int
	}{
		{"/api/v1/users?filter%5Bgroup%5D=full-group", 1},
		{"/api/v1/users?filter%5Bgroup%5D=" + full.ID, 1},
		{"/api/v1/users?filter%5Bgroup%5D=Empty-Group", 0},
		{"/api/v1/users?filter%5Bgroup%5D=" + strings.ToUpper(empty.ID), 0},
		{"/api/v1/groups?filter%5Bmember%5D=filtered", 1},
		{"/api/v1/groups?filter%5Bmember%5D=" + u.ID, 1},
		{"/api/v1/groups?filter%5Bmember%5D=" + lonely.ID, 0},
		{"/api/v1/api-tokens?filter%5Buser%5D=lonely", 0},
		{"/api/v1/api-tokens?filter%5Buser%5D=bootstrap-admin", 1},
		{"/api/v1/audit-events?filter%5Btarget%5D=" + nobody, 0},
	} {
		if got := count(tc.path); got != tc.want {
			t.Errorf("GET %s: %d results, want %d", tc.path, got, tc.want)
		}
	}
	for _, tc := range []struct {
		path, param string
		status      int
	}{
		{"/api/v1/users?filter%5Bgroup%5D=nosuch", "filter[group]", 404},
		{"/api/v1/users?filter%5Bgroup%5D=xx", "filter[group]", 404},
		{"/api/v1/users?filter%5Bgroup%5D=" + nobody, "filter[group]", 404},
		{"/api/v1/users?filter%5Bgroup%5D=not+a+name", "filter[group]", 400},
		{"/api/v1/users?filter%5Bgroup%5D=-x", "filter[group]", 400},
		{"/api/v1/groups?filter%5Bmember%5D=nosuch", "filter[member]", 404},
		{"/api/v1/groups?filter%5Bmember%5D=" + nobody, "filter[member]", 404},
		{"/api/v1/groups?filter%5Bmember%5D=a%2Fb", "filter[member]", 400},
		{"/api/v1/api-tokens?filter%5Buser%5D=nosuch", "filter[user]", 404},
		{"/api/v1/api-tokens?filter%5Buser%5D=" + nobody, "filter[user]", 404},
		{"/api/v1/api-tokens?filter%5Buser%5D=x%20y", "filter[user]", 400},
		{"/api/v1/audit-events?filter%5Bactor%5D=xx", "filter[actor]", 400},
		{"/api/v1/audit-events?filter%5Btarget%5D=xx", "filter[target]", 400},
	} {
		r := call(t, srv, req{method: "GET", path: tc.path, token: srv.AdminToken})
		code := api.CodeNotFound
		if tc.status == 400 {
			code = api.CodeInvalidParameter
		}
		e := wantError(t, r, tc.status, code, "")
		if e.Source == nil || e.Source.Parameter != tc.param {
			t.Errorf("GET %s: error points at %+v, want parameter %s", tc.path, e.Source, tc.param)
		}
	}

	// A non-admin sees only itself: another user's tokens and a user that
	// does not exist are the same 404.
	tok := srv.NewUserToken(t, "plain", false)
	for _, v := range []string{"plain", "bootstrap-admin", "nosuch", u.ID} {
		r := call(t, srv, req{method: "GET", path: "/api/v1/api-tokens?filter%5Buser%5D=" + url.QueryEscape(v), token: tok})
		if v == "plain" {
			mustStatus(t, r, 200)
			continue
		}
		wantError(t, r, 404, api.CodeNotFound, "")
	}
}

// TestDuplicateMembersRefused: a body that names a member twice in one
// object is refused with 400 duplicate_member pointing at the member, on
// every route that takes a body, at any depth, through the fast decode
// paths too, and nothing is written.
func TestDuplicateMembersRefused(t *testing.T) {
	srv := testserver.Start(t)
	user := createUser(t, srv, map[string]any{"username": "target", "email": "target@example.com"})
	group := createGroup(t, srv, "target-group")
	before := dbSnapshot(t, srv.DSN)
	ops := api.AtomicMediaType
	for _, tc := range []struct {
		method, path, contentType, body, pointer string
	}{
		{"POST", "/api/v1/users", "", `{"data":{"type":"users","attributes":{"username":"sneaky","email":"sneaky@example.com","is-admin":false,"is-admin":true}}}`, "/data/attributes/is-admin"},
		{"POST", "/api/v1/users", "", `{"data":{"type":"users","attributes":{"username":"sneaky","email":"sneaky@example.com"},"type":"users"}}`, "/data/type"},
		{"POST", "/api/v1/users", "", `{"data":{"type":"users","attributes":{"username":"sneaky","email":"sneaky@example.com","attributes":{"team":"a","team":"b"}}}}`, "/data/attributes/attributes/team"},
		{"POST", "/api/v1/users", "", `{"data":{"type":"users","attributes":{"username":"sneaky","email":"sneaky@example.com","Title":"x","Title":"y"}}}`, "/data/attributes/Title"},
		{"POST", "/api/v1/users", "", `{"data":{"type":"users","attributes":{"username":"sneaky","email":"sneaky@example.com","is-admin":false,"is-\u0061dmin":true}}}`, "/data/attributes/is-admin"},
		{"POST", "/api/v1/users", "", `{"data":{"type":"users","attributes":{"username":"sneaky","email":"sneaky@example.com"}},"data":{"type":"users","attributes":{"username":"sneaky2","email":"sneaky2@example.com"}}}`, "/data"},
		{"POST", "/api/v1/users", "", `{"data":{"type":"users","attributes":{"username":"sneaky","email":"sneaky@example.com"},"relationships":{"groups":{"data":[{"type":"groups","id":"{group}","id":"{group}"}]}}}}`, "/data/relationships/groups/data/0/id"},
		{"PATCH", "/api/v1/users/{user}", "", `{"data":{"type":"users","attributes":{"is-admin":true,"is-admin":false}}}`, "/data/attributes/is-admin"},
		{"POST", "/api/v1/groups", "", `{"data":{"type":"groups","attributes":{"name":"a","name":"b"}}}`, "/data/attributes/name"},
		{"PATCH", "/api/v1/groups/{group}", "", `{"data":{"type":"groups","attributes":{"description":"a"},"attributes":{"description":"b"}}}`, "/data/attributes"},
		{"POST", "/api/v1/api-tokens", "", `{"data":{"type":"api-tokens","attributes":{"name":"a","name":"b"}}}`, "/data/attributes/name"},
		{"PATCH", "/api/v1/users/{user}/relationships/groups", "", `{"data":[{"type":"groups","id":"{group}","type":"users"}]}`, "/data/0/type"},
		{"POST", "/api/v1/groups/{group}/relationships/members", "", `{"data":[],"data":[{"type":"users","id":"{user}"}]}`, "/data"},
		{"DELETE", "/api/v1/groups/{group}/relationships/members", "", `{"data":[{"type":"users","id":"{user}","id":"{user}"}]}`, "/data/0/id"},
		{"POST", "/api/v1/operations", ops, `{"atomic:operations":[{"op":"add","data":{"type":"users","attributes":{"username":"bulk","email":"bulk@example.com","is-admin":false,"is-admin":true}}}]}`, "/atomic:operations/0/data/attributes/is-admin"},
		{"POST", "/api/v1/operations", ops, `{"atomic:operations":[{"op":"add","op":"remove","data":{"type":"users","attributes":{"username":"bulk","email":"bulk@example.com"}}}]}`, "/atomic:operations/0/op"},
		{"POST", "/api/v1/operations", ops, `{"atomic:operations":[],"atomic:operations":[{"op":"add","data":{"type":"groups","attributes":{"name":"bulk"}}}]}`, "/atomic:operations"},
		{"POST", "/api/v1/users/{user}/setup-links", "", `{"data":{"type":"setup-links","type":"setup-links"}}`, "/data/type"},
	} {
		path := strings.NewReplacer("{user}", user.ID, "{group}", group.ID).Replace(tc.path)
		body := strings.NewReplacer("{user}", user.ID, "{group}", group.ID).Replace(tc.body)
		h := map[string]string{}
		if tc.contentType != "" {
			h["Content-Type"] = tc.contentType
		}
		r := call(t, srv, req{method: tc.method, path: path, token: srv.AdminToken, body: body, header: h})
		e := wantError(t, r, http.StatusBadRequest, api.CodeDuplicateMember, tc.pointer)
		if !strings.Contains(e.Detail, "more than once") {
			t.Errorf("%s %s: detail %q", tc.method, tc.path, e.Detail)
		}
	}
	if after := dbSnapshot(t, srv.DSN); after != before {
		t.Errorf("refused bodies changed the database:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

// TestLinksAreEncodedURIs: links.self and links.next are URIs (format: uri
// in the description) however the client spelt the query: brackets and
// other characters a URI does not allow are percent-encoded in both.
func TestLinksAreEncodedURIs(t *testing.T) {
	srv := testserver.Start(t)
	createGroup(t, srv, "linked")
	createUser(t, srv, map[string]any{"username": "linked-user", "email": "linked@example.com"})
	for _, path := range []string{
		"/api/v1/users?page[size]=1",
		"/api/v1/users?page[size]=1&filter[q]=l+i|n^k",
		"/api/v1/groups?page[size]=1&filter[q]=",
		"/api/v1/audit-events?page[size]=1",
		"/api/v1/api-tokens?page[size]=1",
	} {
		r := call(t, srv, req{method: "GET", path: path, token: srv.AdminToken})
		mustStatus(t, r, 200)
		links, _ := r.JSON(t)["links"].(map[string]any)
		for _, name := range []string{"self", "next"} {
			link, ok := links[name].(string)
			if !ok {
				if name == "self" {
					t.Errorf("GET %s: no links.self: %s", path, r.Body)
				}
				continue
			}
			if strings.ContainsAny(link, "[]| ^") {
				t.Errorf("GET %s: links.%s %q holds characters a URI does not allow", path, name, link)
			}
			u, err := url.Parse(link)
			if err != nil || !u.IsAbs() || u.Query().Get("page[size]") != "1" {
				t.Errorf("GET %s: links.%s %q does not parse back to the same query (%v)", path, name, link, err)
			}
		}
	}
}

// recordingTB is a testing.TB that keeps what Errorf reports.
type recordingTB struct {
	testing.TB
	errors []string
}

func (r *recordingTB) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

// TestValidatingTransportCatchesDrift: the transport every test request
// goes through reports a described route that answers outside its
// description, and an API route that answers with anything but a JSON:API
// error document.
func TestValidatingTransportCatchesDrift(t *testing.T) {
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/v1/account":
			w.Header().Set("Content-Type", api.MediaType)
			_, _ = w.Write([]byte(`{"data":{"type":"users","id":"x"}}`))
		case "/api/v1/users":
			w.Header().Set("Content-Type", api.MediaType)
			_, _ = w.Write([]byte(`{"data":[],"links":{"self":"http://x/api/v1/users?page[size]=1"}}`))
		default:
			http.Error(w, "431 Request Header Fields Too Large", http.StatusRequestHeaderFieldsTooLarge)
		}
	}))
	defer fake.Close()
	for _, path := range []string{"/api/v1/account", "/api/v1/users", "/api/v1/nothing"} {
		rec := &recordingTB{TB: t}
		hr, _ := http.NewRequest("GET", fake.URL+path, nil)
		hr.Header.Set("Authorization", "Bearer rc_x")
		res, err := http.DefaultClient.Do(withTest(hr, rec))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if len(rec.errors) == 0 {
			t.Errorf("GET %s: a response outside the description passed", path)
		}
	}
}

// TestHTTPEdgesAreJSONAPI sends requests over a bare TCP connection that
// net/http or the server's limits refuse before any route sees them: each
// answer is a JSON:API error document with status, code, title and
// detail, never net/http's plain text.
func TestHTTPEdgesAreJSONAPI(t *testing.T) {
	srv := testserver.Start(t)
	host := strings.TrimPrefix(srv.URL, "http://")
	auth := "Authorization: Bearer " + srv.AdminToken + "\r\n"
	long := func(n int) string { return strings.Repeat("a", n) }
	headers := func(total int) string {
		var b strings.Builder
		for i := 0; b.Len() < total; i++ {
			fmt.Fprintf(&b, "X-Filler-%d: %s\r\n", i, long(4000))
		}
		return b.String()
	}
	for _, tc := range []struct {
		name, request string
		status        int
		code          string
	}{
		{"query over 64 KiB", "GET /api/v1/users?filter%5Bq%5D=" + long(66<<10) + " HTTP/1.1\r\nHost: " + host + "\r\n" + auth + "\r\n", 414, api.CodeURITooLong},
		{"URI over 32 KiB", "GET /api/v1/users?filter%5Bq%5D=" + long(33<<10) + " HTTP/1.1\r\nHost: " + host + "\r\n" + auth + "\r\n", 414, api.CodeURITooLong},
		{"header fields over 64 KiB", "GET /api/v1/users HTTP/1.1\r\nHost: " + host + "\r\n" + auth + headers(80<<10) + "\r\n", 431, api.CodeHeadersTooLarge},
		{"header fields over net/http's limit", "GET /api/v1/users HTTP/1.1\r\nHost: " + host + "\r\n" + auth + headers(400<<10) + "\r\n", 431, api.CodeHeadersTooLarge},
		{"URI over net/http's limit", "GET /api/v1/users?filter%5Bq%5D=" + long(300<<10) + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n", 431, api.CodeHeadersTooLarge},
		{"malformed request line", "GARBAGE\r\n\r\n", 400, api.CodeMalformedRequest},
		{"malformed header line", "GET /api/v1/users HTTP/1.1\r\nHost: " + host + "\r\nNo colon here\r\n\r\n", 400, api.CodeMalformedRequest},
		{"no Host header", "GET /api/v1/users HTTP/1.1\r\n" + auth + "\r\n", 400, api.CodeMalformedRequest},
		{"two Content-Lengths", "POST /api/v1/groups HTTP/1.1\r\nHost: " + host + "\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}", 400, api.CodeMalformedRequest},
		{"unknown transfer coding", "POST /api/v1/groups HTTP/1.1\r\nHost: " + host + "\r\n" + auth + "Transfer-Encoding: gzip\r\n\r\n", 501, api.CodeNotImplemented},
		{"unknown HTTP version", "GET /api/v1/users HTTP/4.0\r\nHost: " + host + "\r\n\r\n", 505, api.CodeMalformedRequest},
		{"unknown expectation", "GET /api/v1/users HTTP/1.1\r\nHost: " + host + "\r\n" + auth + "Expect: the-unexpected\r\n\r\n", 417, api.CodeMalformedRequest},
		{"unknown route", "GET /api/v1/nothing-here HTTP/1.1\r\nHost: " + host + "\r\n" + auth + "\r\n", 404, api.CodeNotFound},
		{"unknown method", "PUT /api/v1/users HTTP/1.1\r\nHost: " + host + "\r\n" + auth + "Content-Length: 0\r\n\r\n", 405, api.CodeMethodNotAllowed},
		{"body over the limit", "POST /api/v1/groups HTTP/1.1\r\nHost: " + host + "\r\n" + auth + "Content-Type: application/vnd.api+json\r\nContent-Length: 99999999\r\n\r\n{", 413, api.CodeBodyTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", host)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			_ = conn.SetDeadline(time.Now().Add(20 * time.Second))
			// The server may answer and close before it has read all of a
			// request over its limits, so the request is written aside.
			go func() { _, _ = io.WriteString(conn, tc.request) }()
			res, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatalf("read the answer: %v", err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", res.StatusCode, tc.status, body)
			}
			if problems := errorDocumentProblems(res.StatusCode, res.Header, body); len(problems) > 0 {
				t.Fatalf("%s\n%s", strings.Join(problems, "\n"), body)
			}
			if !strings.Contains(string(body), `"code":"`+tc.code+`"`) {
				t.Errorf("no error with code %s: %s", tc.code, body)
			}
			if len(body) > 2000 {
				t.Errorf("the answer echoes the request: %d bytes", len(body))
			}
		})
	}
	// The server is fine afterwards.
	mustStatus(t, call(t, srv, req{method: "GET", path: "/api/v1/account", token: srv.AdminToken}), 200)
}
