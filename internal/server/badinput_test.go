package server_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/rollcall/rollcall/api"
	"github.com/rollcall/rollcall/internal/testserver"
)

// badCase is one entry of the bad-input catalogue: a request the API must
// refuse with status and code, pointing at pointer or parameter.
type badCase struct {
	name        string
	method      string
	path        string // {user} and {group} are replaced by the fixture's ids
	contentType string // "" sends application/vnd.api+json when there is a body; "-" sends none
	body        []byte
	chunked     bool   // send the body without a Content-Length
	accept      string // an Accept header to send
	header      map[string]string
	token       string
	status      int
	code        string
	pointer     string
	parameter   string
}

// TestBadInputCatalogue sends malformed, oversized, mistyped and hostile
// requests over real HTTP and checks that each gets its documented 4xx
// with a complete JSON:API error object, that the database is exactly as
// before, and that the server still answers normally afterwards.
func TestBadInputCatalogue(t *testing.T) {
	testserver.Backends(t, func(t *testing.T, backend testserver.Option) {
		srv := testserver.Start(t, backend)
		user := createUser(t, srv, map[string]any{"username": "fixture", "email": "fixture@example.com"})
		group := createGroup(t, srv, "fixture-group")
		before := dbSnapshot(t, srv.DSN)
		for _, c := range badCatalogue() {
			t.Run(c.name, func(t *testing.T) {
				c.path = strings.NewReplacer("{user}", user.ID, "{group}", group.ID).Replace(c.path)
				if c.token == "" {
					c.token = srv.AdminToken
				}
				status, header, body := badSend(t, srv.URL, c)
				checkErrorResponse(t, c, status, header, body)
			})
		}
		if after := dbSnapshot(t, srv.DSN); after != before {
			t.Errorf("the refused requests changed the database:\nbefore:\n%s\nafter:\n%s", before, after)
		}
		status, _, body := badSend(t, srv.URL, badCase{method: http.MethodGet, path: "/healthz"})
		if status != http.StatusOK {
			t.Errorf("GET /healthz after the catalogue: %d %s", status, body)
		}
		status, _, body = badSend(t, srv.URL, badCase{method: http.MethodGet, path: "/api/v1/users/" + user.ID, token: srv.AdminToken})
		if status != http.StatusOK || !bytes.Contains(body, []byte(`"fixture"`)) {
			t.Errorf("GET the fixture user after the catalogue: %d %s", status, body)
		}
		if logs := srv.Logs(); strings.Contains(logs, "panic") || strings.Contains(logs, "level=ERROR") {
			t.Errorf("the catalogue made the server log an error or a panic:\n%s", logs)
		}
	})
}

func badCatalogue() []badCase {
	user := func(attrs string) []byte {
		return []byte(`{"data":{"type":"users","attributes":{` + attrs + `}}}`)
	}
	valid := `"username":"newbie","email":"newbie@example.com"`
	deepArray := strings.Repeat("[", 20000) + strings.Repeat("]", 20000)
	deepObject := strings.Repeat(`{"a":`, 5000) + "1" + strings.Repeat("}", 5000)
	huge := append([]byte(`{"data":{"type":"users","attributes":{`+valid+`,"first-name":"`), bytes.Repeat([]byte("x"), 10<<20)...)
	huge = append(huge, `"}}}`...)
	const (
		users = "/api/v1/users"
		one   = "/api/v1/users/{user}"
	)
	return []badCase{
		// Bodies that are not JSON, or not a JSON object.
		{name: "truncated JSON", method: "POST", path: users, body: []byte(`{"data":{"type":"users"`), status: 400, code: api.CodeInvalidJSON},
		{name: "trailing garbage", method: "POST", path: users, body: user(valid + `}}} x`), status: 400, code: api.CodeInvalidJSON},
		{name: "empty body", method: "POST", path: users, body: []byte{}, status: 400, code: api.CodeInvalidJSON},
		{name: "whitespace body", method: "POST", path: users, body: []byte(" \n\t "), status: 400, code: api.CodeInvalidJSON},
		{name: "array body", method: "POST", path: users, body: []byte(`[]`), status: 400, code: api.CodeInvalidJSON},
		{name: "null body", method: "POST", path: users, body: []byte(`null`), status: 400, code: api.CodeInvalidJSON},
		{name: "string body", method: "POST", path: users, body: []byte(`"users"`), status: 400, code: api.CodeInvalidJSON},
		{name: "single quotes", method: "POST", path: users, body: []byte(`{'data': {}}`), status: 400, code: api.CodeInvalidJSON},
		{name: "raw control character", method: "POST", path: users, body: user(valid + ",\"first-name\":\"a\x01b\""), status: 400, code: api.CodeInvalidJSON},
		{name: "raw NUL byte", method: "POST", path: users, body: user(valid + ",\"first-name\":\"a\x00b\""), status: 400, code: api.CodeInvalidJSON},
		{name: "invalid UTF-8 in a string", method: "POST", path: users, body: user(valid + ",\"first-name\":\"caf\xe9\""), status: 400, code: api.CodeInvalidJSON},
		{name: "invalid UTF-8 in a key", method: "POST", path: users, body: user(valid + ",\"\xff\":\"x\""), status: 400, code: api.CodeInvalidJSON},
		{name: "UTF-16 body", method: "POST", path: users, body: []byte("\xff\xfe{\x00}\x00"), status: 400, code: api.CodeInvalidJSON},
		{name: "deeply nested array", method: "POST", path: users, body: []byte(`{"data":{"type":"users","attributes":{"attributes":` + deepArray + `}}}`), status: 400, code: api.CodeInvalidJSON},
		{name: "deeply nested object", method: "POST", path: users, body: []byte(`{"data":{"type":"users","attributes":{"attributes":{"k":` + deepObject + `}}}}`), status: 400, code: api.CodeInvalidType, pointer: "/data/attributes/attributes"},
		{name: "no data", method: "POST", path: users, body: []byte(`{}`), status: 400, code: api.CodeInvalidDocument, pointer: "/data"},
		{name: "data null", method: "POST", path: users, body: []byte(`{"data":null}`), status: 400, code: api.CodeInvalidDocument, pointer: "/data"},

		// Wrong JSON types.
		{name: "data is a string", method: "POST", path: users, body: []byte(`{"data":"users"}`), status: 400, code: api.CodeInvalidType, pointer: "/data"},
		{name: "username is a number", method: "POST", path: users, body: user(`"username":123,"email":"a@example.com"`), status: 400, code: api.CodeInvalidType, pointer: "/data/attributes/username"},
		{name: "is-admin is a string", method: "POST", path: users, body: user(valid + `,"is-admin":"yes"`), status: 400, code: api.CodeInvalidType, pointer: "/data/attributes/is-admin"},
		{name: "is-admin is a huge number", method: "POST", path: users, body: user(valid + `,"is-admin":1e999`), status: 400, code: api.CodeInvalidJSON},
		{name: "attributes is an array", method: "POST", path: users, body: user(valid + `,"attributes":["a"]`), status: 400, code: api.CodeInvalidType, pointer: "/data/attributes/attributes"},
		{name: "attribute value is a number", method: "POST", path: users, body: user(valid + `,"attributes":{"team":7}`), status: 400, code: api.CodeInvalidType, pointer: "/data/attributes/attributes/team"},
		{name: "groups data is an object", method: "POST", path: users, body: []byte(`{"data":{"type":"users","attributes":{` + valid + `},"relationships":{"groups":{"data":{"type":"groups"}}}}}`), status: 400, code: api.CodeInvalidType, pointer: "/data/relationships/groups/data"},
		{name: "type is a number", method: "POST", path: users, body: []byte(`{"data":{"type":7,"attributes":{` + valid + `}}}`), status: 400, code: api.CodeInvalidType, pointer: "/data/type"},

		// Documents that are JSON but not what the endpoint takes.
		{name: "unknown attribute", method: "POST", path: users, body: user(valid + `,"nickname":"x"`), status: 400, code: api.CodeUnknownField, pointer: "/data/attributes/nickname"},
		{name: "unknown top-level member", method: "POST", path: users, body: []byte(`{"data":{"type":"users","attributes":{` + valid + `}},"extra":1}`), status: 400, code: api.CodeUnknownField, pointer: "/extra"},
		{name: "unknown relationship", method: "POST", path: users, body: []byte(`{"data":{"type":"users","attributes":{` + valid + `},"relationships":{"friends":{"data":[]}}}}`), status: 400, code: api.CodeUnknownField, pointer: "/data/relationships/friends"},
		{name: "wrong resource type", method: "POST", path: users, body: []byte(`{"data":{"type":"groups","attributes":{` + valid + `}}}`), status: 400, code: api.CodeInvalidDocument, pointer: "/data/type"},
		{name: "read-only attribute", method: "POST", path: users, body: user(valid + `,"status":"active"`), status: 422, code: api.CodeReadOnly, pointer: "/data/attributes/status"},
		{name: "PATCH id differs from URL", method: "PATCH", path: one, body: []byte(`{"data":{"type":"users","id":"00000000-0000-4000-8000-000000000000","attributes":{"title":"x"}}}`), status: 400, code: api.CodeInvalidDocument, pointer: "/data/id"},
		{name: "group of the wrong type", method: "POST", path: users, body: []byte(`{"data":{"type":"users","attributes":{` + valid + `},"relationships":{"groups":{"data":[{"type":"users","id":"{group}"}]}}}}`), status: 422, code: api.CodeInvalidValue, pointer: "/data/relationships/groups/data/0/type"},
		{name: "group that does not exist", method: "POST", path: users, body: []byte(`{"data":{"type":"users","attributes":{` + valid + `},"relationships":{"groups":{"data":[{"type":"groups","id":"00000000-0000-4000-8000-000000000000"}]}}}}`), status: 422, code: api.CodeInvalidReference, pointer: "/data/relationships/groups/data/0/id"},
		{name: "proposed id not a UUID", method: "POST", path: users, body: []byte(`{"data":{"type":"users","id":"1 OR 1=1","attributes":{` + valid + `}}}`), status: 422, code: api.CodeInvalidID, pointer: "/data/id"},

		// Values the rules refuse.
		{name: "NUL escaped in a name", method: "POST", path: users, body: user(valid + `,"first-name":"a\u0000b"`), status: 422, code: api.CodeInvalidValue, pointer: "/data/attributes/first-name"},
		{name: "NUL in an attribute value", method: "POST", path: users, body: user(valid + `,"attributes":{"team":"a\u0000"}`), status: 422, code: api.CodeInvalidValue, pointer: "/data/attributes/attributes/team"},
		{name: "lone high surrogate escape", method: "POST", path: users, body: user(valid + `,"first-name":"\ud800"`), status: 400, code: api.CodeInvalidJSON, pointer: "/data/attributes/first-name"},
		{name: "lone low surrogate escape", method: "POST", path: users, body: user(valid + `,"last-name":"x\udc00y"`), status: 400, code: api.CodeInvalidJSON, pointer: "/data/attributes/last-name"},
		{name: "surrogate pair reversed", method: "PATCH", path: one, body: []byte(`{"data":{"type":"users","attributes":{"title":"\ude00\ud83d"}}}`), status: 400, code: api.CodeInvalidJSON, pointer: "/data/attributes/title"},
		{name: "lone surrogate in an attribute value", method: "POST", path: users, body: user(valid + `,"attributes":{"team":"\ud800"}`), status: 400, code: api.CodeInvalidJSON, pointer: "/data/attributes/attributes/team"},
		{name: "lone surrogate in a group description", method: "PATCH", path: "/api/v1/groups/{group}", body: []byte(`{"data":{"type":"groups","attributes":{"description":"\udc00"}}}`), status: 400, code: api.CodeInvalidJSON, pointer: "/data/attributes/description"},
		{name: "lone surrogate in a token name", method: "POST", path: "/api/v1/api-tokens", body: []byte(`{"data":{"type":"api-tokens","attributes":{"name":"ci\ud800"}}}`), status: 400, code: api.CodeInvalidJSON, pointer: "/data/attributes/name"},
		{name: "lone surrogate in a bulk operation", method: "POST", path: "/api/v1/operations", contentType: api.AtomicMediaType, body: []byte(`{"atomic:operations":[{"op":"add","data":{"type":"users","attributes":{"username":"ok-two","email":"ok2@example.com"}}},{"op":"add","data":{"type":"users","attributes":{"username":"bulk","email":"bulk@example.com","first-name":"\ud800"}}}]}`), status: 400, code: api.CodeInvalidJSON, pointer: "/atomic:operations/1/data/attributes/first-name"},
		{name: "SQL in the username", method: "POST", path: users, body: user(`"username":"x'; DROP TABLE users; --","email":"x@example.com"`), status: 422, code: api.CodeInvalidUsername, pointer: "/data/attributes/username"},
		{name: "HTML in the email", method: "POST", path: users, body: user(`"username":"html","email":"<script>@example.com"`), status: 422, code: api.CodeInvalidEmail, pointer: "/data/attributes/email"},
		{name: "900 KB first name", method: "POST", path: users, body: user(valid + `,"first-name":"` + strings.Repeat("é", 400_000) + `"`), status: 422, code: api.CodeTooLong, pointer: "/data/attributes/first-name"},
		{name: "javascript avatar URL", method: "POST", path: users, body: user(valid + `,"avatar-url":"javascript:alert(1)"`), status: 422, code: api.CodeInvalidURL, pointer: "/data/attributes/avatar-url"},
		{name: "attribute key with SQL", method: "POST", path: users, body: user(valid + `,"attributes":{"a'--":"x"}`), status: 422, code: api.CodeInvalidAttributeKey},

		// Sizes.
		{name: "10 MB string", method: "POST", path: users, body: huge, status: 413, code: api.CodeBodyTooLarge},
		{name: "10 MB string chunked", method: "POST", path: users, body: huge, chunked: true, status: 413, code: api.CodeBodyTooLarge},
		{name: "just over 1 MiB", method: "PATCH", path: one, body: append(append([]byte(`{"data":{"type":"users","attributes":{"title":"`), bytes.Repeat([]byte("a"), 1<<20)...), `"}}}`...), status: 413, code: api.CodeBodyTooLarge},

		// Media types.
		{name: "text/plain", method: "POST", path: users, contentType: "text/plain", body: user(valid), status: 415, code: api.CodeUnsupportedMediaType},
		{name: "form encoded", method: "POST", path: users, contentType: "application/x-www-form-urlencoded", body: []byte("username=x"), status: 415, code: api.CodeUnsupportedMediaType},
		{name: "no Content-Type", method: "POST", path: users, contentType: "-", body: user(valid), status: 415, code: api.CodeUnsupportedMediaType},
		{name: "JSON:API with a charset", method: "POST", path: users, contentType: api.MediaType + "; charset=utf-8", body: user(valid), status: 415, code: api.CodeUnsupportedMediaType},
		{name: "unparsable Content-Type", method: "PATCH", path: one, contentType: "application/;;", body: user(valid), status: 415, code: api.CodeUnsupportedMediaType},
		{name: "JSON in Latin-1", method: "POST", path: users, contentType: "application/json; charset=latin1", body: user(valid), status: 415, code: api.CodeUnsupportedMediaType},

		// Methods and paths.
		{name: "PUT a user", method: "PUT", path: one, body: user(valid), status: 405, code: api.CodeMethodNotAllowed},
		{name: "DELETE the collection", method: "DELETE", path: users, status: 405, code: api.CodeMethodNotAllowed},
		{name: "PATCH the collection", method: "PATCH", path: users, body: user(valid), status: 405, code: api.CodeMethodNotAllowed},
		{name: "id that is not a UUID", method: "GET", path: "/api/v1/users/1%27%20OR%20%271%27=%271", status: 404, code: api.CodeNotFound},
		{name: "unknown path", method: "GET", path: "/api/v1/people", status: 404, code: api.CodeNotFound},
		{name: "If-Match garbage", method: "PATCH", path: one, body: []byte(`{"data":{"type":"users","attributes":{"title":"x"}}}`), status: 412, code: api.CodePreconditionFailed},
		{name: "If-Match garbage on a group's members", method: "PATCH", path: "/api/v1/groups/{group}/relationships/members", body: []byte(`{"data":[{"type":"users","id":"{user}"}]}`), status: 412, code: api.CodePreconditionFailed},
		{name: "If-Match stale on a group's members", method: "PATCH", path: "/api/v1/groups/{group}/relationships/members", body: []byte(`{"data":[]}`), status: 412, code: api.CodePreconditionFailed},
		{name: "If-Match stale on adding a group's member", method: "POST", path: "/api/v1/groups/{group}/relationships/members", body: []byte(`{"data":[]}`), status: 412, code: api.CodePreconditionFailed},
		{name: "If-Match stale on a user's groups", method: "PATCH", path: "/api/v1/users/{user}/relationships/groups", body: []byte(`{"data":[]}`), status: 412, code: api.CodePreconditionFailed},
		{name: "If-Match stale on removing a user's group", method: "DELETE", path: "/api/v1/users/{user}/relationships/groups", body: []byte(`{"data":[]}`), status: 412, code: api.CodePreconditionFailed},

		// Query parameters.
		{name: "page size zero", method: "GET", path: users + "?page%5Bsize%5D=0", status: 400, code: api.CodeInvalidParameter, parameter: "page[size]"},
		{name: "page size too big", method: "GET", path: users + "?page%5Bsize%5D=1001", status: 400, code: api.CodeInvalidParameter, parameter: "page[size]"},
		{name: "page size not a number", method: "GET", path: users + "?page%5Bsize%5D=1e3", status: 400, code: api.CodeInvalidParameter, parameter: "page[size]"},
		{name: "page size overflow", method: "GET", path: users + "?page%5Bsize%5D=99999999999999999999999", status: 400, code: api.CodeInvalidParameter, parameter: "page[size]"},
		{name: "cursor not base64", method: "GET", path: users + "?page%5Bafter%5D=%27%3B--", status: 400, code: api.CodeInvalidCursor, parameter: "page[after]"},
		{name: "cursor of invalid UTF-8", method: "GET", path: users + "?page%5Bafter%5D=_w", status: 400, code: api.CodeInvalidCursor, parameter: "page[after]"},
		{name: "cursor holding a NUL", method: "GET", path: users + "?page%5Bafter%5D=AA", status: 400, code: api.CodeInvalidCursor, parameter: "page[after]"},
		{name: "unknown filter", method: "GET", path: users + "?filter%5Bpassword%5D=x", status: 400, code: api.CodeInvalidParameter, parameter: "filter[password]"},
		{name: "unknown include", method: "GET", path: users + "?include=tokens", status: 400, code: api.CodeInvalidParameter, parameter: "include"},
		{name: "unknown parameter", method: "GET", path: users + "?sort=-username", status: 400, code: api.CodeInvalidParameter, parameter: "sort"},
		{name: "parameter given twice", method: "GET", path: users + "?filter%5Bq%5D=a&filter%5Bq%5D=b", status: 400, code: api.CodeInvalidParameter, parameter: "filter[q]"},
		{name: "search of invalid UTF-8", method: "GET", path: users + "?filter%5Bq%5D=%FF", status: 400, code: api.CodeInvalidParameter, parameter: "filter[q]"},
		{name: "search holding a NUL", method: "GET", path: users + "?filter%5Bq%5D=a%00b", status: 400, code: api.CodeInvalidParameter, parameter: "filter[q]"},
		{name: "email filter holding a NUL", method: "GET", path: users + "?filter%5Bemail%5D=%00", status: 400, code: api.CodeInvalidParameter, parameter: "filter[email]"},
		{name: "group filter of invalid UTF-8", method: "GET", path: users + "?filter%5Bgroup%5D=%C3%28", status: 400, code: api.CodeInvalidParameter, parameter: "filter[group]"},
		{name: "page parameter on a single read", method: "GET", path: one + "?page%5Bsize%5D=5", status: 400, code: api.CodeInvalidParameter, parameter: "page[size]"},

		// Groups, memberships, tokens and bulk operations.
		{name: "group name with SQL", method: "POST", path: "/api/v1/groups", body: []byte(`{"data":{"type":"groups","attributes":{"name":"g'; DELETE FROM groups;--"}}}`), status: 422, code: api.CodeInvalidGroupName, pointer: "/data/attributes/name"},
		{name: "group description too long", method: "PATCH", path: "/api/v1/groups/{group}", body: []byte(`{"data":{"type":"groups","attributes":{"description":"` + strings.Repeat("d", 1001) + `"}}}`), status: 422, code: api.CodeTooLong, pointer: "/data/attributes/description"},
		{name: "group custom-claims not an object", method: "PATCH", path: "/api/v1/groups/{group}", body: []byte(`{"data":{"type":"groups","attributes":{"custom-claims":["role"]}}}`), status: 422, code: api.CodeInvalidValue, pointer: "/data/attributes/custom-claims"},
		{name: "group custom-claims a string", method: "POST", path: "/api/v1/groups", body: []byte(`{"data":{"type":"groups","attributes":{"name":"claims","custom-claims":"{\"role\":\"x\"}"}}}`), status: 422, code: api.CodeInvalidValue, pointer: "/data/attributes/custom-claims"},
		{name: "group custom claim sub", method: "PATCH", path: "/api/v1/groups/{group}", body: []byte(`{"data":{"type":"groups","attributes":{"custom-claims":{"role":"x","sub":"someone-else"}}}}`), status: 422, code: api.CodeInvalidValue, pointer: "/data/attributes/custom-claims/sub"},
		{name: "oidc client without a name", method: "POST", path: "/api/v1/oidc-clients", body: []byte(`{"data":{"type":"oidc-clients","attributes":{"redirect-uris":["https://app.example/cb"]}}}`), status: 422, code: api.CodeRequired, pointer: "/data/attributes/name"},
		{name: "oidc client allowed group not an id", method: "POST", path: "/api/v1/oidc-clients", body: []byte(`{"data":{"type":"oidc-clients","attributes":{"name":"app","redirect-uris":["https://app.example/cb"],"allowed-groups":["xx"]}}}`), status: 422, code: api.CodeInvalidID, pointer: "/data/attributes/allowed-groups/0"},
		{name: "oidc client unknown access token format", method: "POST", path: "/api/v1/oidc-clients", body: []byte(`{"data":{"type":"oidc-clients","attributes":{"name":"app","redirect-uris":["https://app.example/cb"],"access-token-format":"paseto"}}}`), status: 422, code: api.CodeInvalidValue, pointer: "/data/attributes/access-token-format"},
		{name: "oidc client id malformed", method: "GET", path: "/api/v1/oidc-clients/not-a-uuid", status: 404, code: api.CodeNotFound},
		{name: "oidc client duplicate member", method: "POST", path: "/api/v1/oidc-clients", body: []byte(`{"data":{"type":"oidc-clients","attributes":{"name":"a","name":"b","redirect-uris":["https://app.example/cb"]}}}`), status: 400, code: api.CodeDuplicateMember, pointer: "/data/attributes/name"},
		{name: "group custom claim groups", method: "POST", path: "/api/v1/groups", body: []byte(`{"data":{"type":"groups","attributes":{"name":"claims","custom-claims":{"groups":["admins"]}}}}`), status: 422, code: api.CodeInvalidValue, pointer: "/data/attributes/custom-claims/groups"},
		{name: "group custom claim email", method: "PATCH", path: "/api/v1/groups/{group}", body: []byte(`{"data":{"type":"groups","attributes":{"custom-claims":{"email":"boss@example.com"}}}}`), status: 422, code: api.CodeInvalidValue, pointer: "/data/attributes/custom-claims/email"},
		{name: "group custom claim null", method: "PATCH", path: "/api/v1/groups/{group}", body: []byte(`{"data":{"type":"groups","attributes":{"custom-claims":{"role":null}}}}`), status: 422, code: api.CodeInvalidValue, pointer: "/data/attributes/custom-claims/role"},
		{name: "group custom claim name with a space", method: "PATCH", path: "/api/v1/groups/{group}", body: []byte(`{"data":{"type":"groups","attributes":{"custom-claims":{"my role":"x"}}}}`), status: 422, code: api.CodeInvalidAttributeKey, pointer: "/data/attributes/custom-claims/my role"},
		{name: "group custom-claims over 4 KiB", method: "PATCH", path: "/api/v1/groups/{group}", body: []byte(`{"data":{"type":"groups","attributes":{"custom-claims":{"big":"` + strings.Repeat("x", 4096) + `"}}}}`), status: 422, code: api.CodeTooLong, pointer: "/data/attributes/custom-claims"},
		{name: "group members not an array", method: "PATCH", path: "/api/v1/groups/{group}/relationships/members", body: []byte(`{"data":{"type":"users","id":"{user}"}}`), status: 400, code: api.CodeInvalidType, pointer: "/data"},
		{name: "member of the wrong type", method: "POST", path: "/api/v1/groups/{group}/relationships/members", body: []byte(`{"data":[{"type":"groups","id":"{group}"}]}`), status: 422, code: api.CodeInvalidValue, pointer: "/data/0/type"},
		{name: "member that does not exist", method: "POST", path: "/api/v1/groups/{group}/relationships/members", body: []byte(`{"data":[{"type":"users","id":"00000000-0000-4000-8000-000000000000"}]}`), status: 422, code: api.CodeInvalidReference, pointer: "/data/0/id"},
		{name: "user groups with a bad id", method: "PATCH", path: "/api/v1/users/{user}/relationships/groups", body: []byte(`{"data":[{"type":"groups","id":"' OR 1=1"}]}`), status: 422, code: api.CodeInvalidID, pointer: "/data/0/id"},
		{name: "relationship without data", method: "PATCH", path: "/api/v1/users/{user}/relationships/groups", body: []byte(`{}`), status: 400, code: api.CodeInvalidDocument, pointer: "/data"},
		{name: "token without a name", method: "POST", path: "/api/v1/api-tokens", body: []byte(`{"data":{"type":"api-tokens","attributes":{}}}`), status: 422, code: api.CodeRequired, pointer: "/data/attributes/name"},
		{name: "token expiring in the past", method: "POST", path: "/api/v1/api-tokens", body: []byte(`{"data":{"type":"api-tokens","attributes":{"name":"x","expires-at":"2001-01-01T00:00:00Z"}}}`), status: 422, code: api.CodeInvalidValue, pointer: "/data/attributes/expires-at"},
		{name: "token expiry not a time", method: "POST", path: "/api/v1/api-tokens", body: []byte(`{"data":{"type":"api-tokens","attributes":{"name":"x","expires-at":"tomorrow"}}}`), status: 400, code: api.CodeInvalidType, pointer: "/data/attributes/expires-at"},
		{name: "setup link of the wrong type", method: "POST", path: "/api/v1/users/{user}/setup-links", body: []byte(`{"data":{"type":"users"}}`), status: 400, code: api.CodeInvalidDocument, pointer: "/data/type"},
		{name: "revoke a setup link that does not exist", method: "DELETE", path: "/api/v1/users/{user}/setup-links/00000000-0000-4000-8000-000000000000", status: 404, code: api.CodeNotFound},
		{name: "revoke a setup link with SQL for its id", method: "DELETE", path: "/api/v1/users/{user}/setup-links/1%27%20OR%20%271%27=%271", status: 404, code: api.CodeNotFound},
		{name: "setup links of a user that does not exist", method: "GET", path: "/api/v1/users/00000000-0000-4000-8000-000000000000/setup-links", status: 404, code: api.CodeNotFound},
		{name: "revoke the setup links of a user that does not exist", method: "DELETE", path: "/api/v1/users/00000000-0000-4000-8000-000000000000/setup-links", status: 404, code: api.CodeNotFound},
		{name: "setup links with an include", method: "GET", path: "/api/v1/users/{user}/setup-links?include=user", status: 400, code: api.CodeInvalidParameter, parameter: "include"},
		{name: "PUT a setup link", method: "PUT", path: "/api/v1/users/{user}/setup-links/00000000-0000-4000-8000-000000000000", body: []byte(`{}`), status: 405, code: api.CodeMethodNotAllowed},
		{name: "operations not an array", method: "POST", path: "/api/v1/operations", contentType: api.AtomicMediaType, body: []byte(`{"atomic:operations":{}}`), status: 400, code: api.CodeInvalidType},
		{name: "operations of plain JSON:API", method: "POST", path: "/api/v1/operations", contentType: "text/csv", body: []byte(`a,b`), status: 415, code: api.CodeUnsupportedMediaType},
		{name: "operation with a bad user", method: "POST", path: "/api/v1/operations", contentType: api.AtomicMediaType, body: []byte(`{"atomic:operations":[{"op":"add","data":{"type":"users","attributes":{"username":"ok-one","email":"ok@example.com"}}},{"op":"add","data":{"type":"users","attributes":{"username":"<b>","email":"b@example.com"}}}]}`), status: 422, code: api.CodeInvalidUsername, pointer: "/atomic:operations/1/data/attributes/username"},

		// Members named twice (encoding/json would keep the last).
		{name: "is-admin given twice", method: "POST", path: users, body: user(valid + `,"is-admin":false,"is-admin":true`), status: 400, code: api.CodeDuplicateMember, pointer: "/data/attributes/is-admin"},
		{name: "duplicate spelt with an escape", method: "POST", path: users, body: user(valid + `,"is-admin":false,"is-\u0061dmin":true`), status: 400, code: api.CodeDuplicateMember, pointer: "/data/attributes/is-admin"},
		{name: "duplicate attribute key", method: "PATCH", path: one, body: []byte(`{"data":{"type":"users","attributes":{"attributes":{"team":"a","team":"b"}}}}`), status: 400, code: api.CodeDuplicateMember, pointer: "/data/attributes/attributes/team"},
		{name: "duplicate data", method: "POST", path: "/api/v1/groups", body: []byte(`{"data":{"type":"groups","attributes":{"name":"one"}},"data":{"type":"groups","attributes":{"name":"two"}}}`), status: 400, code: api.CodeDuplicateMember, pointer: "/data"},
		{name: "duplicate token name", method: "POST", path: "/api/v1/api-tokens", body: []byte(`{"data":{"type":"api-tokens","attributes":{"name":"a","name":"b"}}}`), status: 400, code: api.CodeDuplicateMember, pointer: "/data/attributes/name"},
		{name: "duplicate identifier id", method: "POST", path: "/api/v1/groups/{group}/relationships/members", body: []byte(`{"data":[{"type":"users","id":"{user}","id":"00000000-0000-4000-8000-000000000000"}]}`), status: 400, code: api.CodeDuplicateMember, pointer: "/data/0/id"},
		{name: "duplicate in a bulk operation", method: "POST", path: "/api/v1/operations", contentType: api.AtomicMediaType, body: []byte(`{"atomic:operations":[{"op":"add","data":{"type":"users","attributes":{"username":"dup","email":"dup@example.com","is-admin":false,"is-admin":true}}}]}`), status: 400, code: api.CodeDuplicateMember, pointer: "/atomic:operations/0/data/attributes/is-admin"},
		{name: "duplicate op", method: "POST", path: "/api/v1/operations", contentType: api.AtomicMediaType, body: []byte(`{"atomic:operations":[{"op":"add","op":"remove","data":{"type":"groups","attributes":{"name":"dup"}}}]}`), status: 400, code: api.CodeDuplicateMember, pointer: "/atomic:operations/0/op"},

		// Filters that name a resource: malformed is 400, unknown is 404.
		{name: "group filter that is no name", method: "GET", path: users + "?filter%5Bgroup%5D=x%27%20OR%201%3D1%20--", status: 400, code: api.CodeInvalidParameter, parameter: "filter[group]"},
		{name: "group filter naming no group", method: "GET", path: users + "?filter%5Bgroup%5D=nosuch", status: 404, code: api.CodeNotFound, parameter: "filter[group]"},
		{name: "group filter with an unknown id", method: "GET", path: users + "?filter%5Bgroup%5D=00000000-0000-4000-8000-000000000000", status: 404, code: api.CodeNotFound, parameter: "filter[group]"},
		{name: "member filter that is no name", method: "GET", path: "/api/v1/groups?filter%5Bmember%5D=a%20b", status: 400, code: api.CodeInvalidParameter, parameter: "filter[member]"},
		{name: "member filter naming no user", method: "GET", path: "/api/v1/groups?filter%5Bmember%5D=nosuch", status: 404, code: api.CodeNotFound, parameter: "filter[member]"},
		{name: "token user filter that is no name", method: "GET", path: "/api/v1/api-tokens?filter%5Buser%5D=xx%2F", status: 400, code: api.CodeInvalidParameter, parameter: "filter[user]"},
		{name: "token user filter naming no user", method: "GET", path: "/api/v1/api-tokens?filter%5Buser%5D=nosuch", status: 404, code: api.CodeNotFound, parameter: "filter[user]"},
		{name: "audit actor that is not an id", method: "GET", path: "/api/v1/audit-events?filter%5Bactor%5D=xx", status: 400, code: api.CodeInvalidParameter, parameter: "filter[actor]"},
		{name: "audit target that is not an id", method: "GET", path: "/api/v1/audit-events?filter%5Btarget%5D=%27", status: 400, code: api.CodeInvalidParameter, parameter: "filter[target]"},

		// Content negotiation comes before anything is done.
		{name: "operations with an unacceptable Accept", method: "POST", path: "/api/v1/operations", contentType: api.AtomicMediaType, accept: api.MediaType + "; charset=utf-8", body: []byte(`{"atomic:operations":[{"op":"add","data":{"type":"groups","attributes":{"name":"negotiated"}}}]}`), status: 406, code: api.CodeNotAcceptable},
		{name: "operations accepting an unknown extension", method: "POST", path: "/api/v1/operations", contentType: api.AtomicMediaType, accept: `application/vnd.api+json; ext="https://example.com/ext"`, body: []byte(`{"atomic:operations":[{"op":"add","data":{"type":"groups","attributes":{"name":"negotiated"}}}]}`), status: 406, code: api.CodeNotAcceptable},
		{name: "create with an unacceptable Accept", method: "POST", path: "/api/v1/groups", accept: api.MediaType + "; charset=utf-8", body: []byte(`{"data":{"type":"groups","attributes":{"name":"negotiated"}}}`), status: 406, code: api.CodeNotAcceptable},

		// Limits on the request line and header fields.
		{name: "query over 64 KiB", method: "GET", path: users + "?filter%5Bq%5D=" + strings.Repeat("q", 66<<10), status: 414, code: api.CodeURITooLong},
		{name: "header fields over 64 KiB", method: "GET", path: users, header: map[string]string{"X-Filler": strings.Repeat("h", 70<<10)}, status: 431, code: api.CodeHeadersTooLarge},
		{name: "header fields over 256 KiB", method: "GET", path: users, header: map[string]string{"X-Filler": strings.Repeat("h", 300<<10)}, status: 431, code: api.CodeHeadersTooLarge},

		// Authentication.
		{name: "no token", method: "GET", path: users, token: "-", status: 401, code: api.CodeUnauthorized},
		{name: "token with SQL", method: "GET", path: users, token: "rc_' OR '1'='1", status: 401, code: api.CodeUnauthorized},
		{name: "well-formed unknown token", method: "GET", path: users, token: "rc_" + strings.Repeat("A", 43), status: 401, code: api.CodeUnauthorized},
	}
}

// badSend sends c over real HTTP.
func badSend(t *testing.T, base string, c badCase) (int, http.Header, []byte) {
	t.Helper()
	var body io.Reader
	if c.body != nil {
		body = bytes.NewReader(c.body)
		if c.chunked {
			body = io.MultiReader(bytes.NewReader(c.body)) // hides the length
		}
	}
	req, err := http.NewRequest(c.method, base+c.path, body)
	if err != nil {
		t.Fatal(err)
	}
	req = withTest(req, t)
	if c.chunked {
		req.ContentLength = -1
	}
	switch {
	case c.contentType == "-":
	case c.contentType != "":
		req.Header.Set("Content-Type", c.contentType)
	case c.body != nil:
		req.Header.Set("Content-Type", api.MediaType)
	}
	if c.token != "" && c.token != "-" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if c.accept != "" {
		req.Header.Set("Accept", c.accept)
	}
	for k, v := range c.header {
		req.Header.Set(k, v)
	}
	switch {
	case strings.HasPrefix(c.name, "If-Match garbage"):
		req.Header.Set("If-Match", `"1 OR 1=1"`)
	case strings.HasPrefix(c.name, "If-Match stale"):
		req.Header.Set("If-Match", `"99999"`)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", c.method, c.path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read the answer: %v", c.method, c.path, err)
	}
	return resp.StatusCode, resp.Header, b
}

// checkErrorResponse checks that an answer is the expected JSON:API error
// document: status, media type, and one error object with every member a
// client needs (status, code, title, detail, and where the problem is).
func checkErrorResponse(t *testing.T, c badCase, status int, header http.Header, body []byte) {
	t.Helper()
	if status != c.status {
		t.Fatalf("%s %s answered %d, want %d: %.500s", c.method, c.path, status, c.status, body)
	}
	if ct := header.Get("Content-Type"); ct != api.MediaType {
		t.Errorf("Content-Type %q, want %q", ct, api.MediaType)
	}
	var doc api.ErrorDocument
	if err := json.Unmarshal(body, &doc); err != nil || len(doc.Errors) == 0 {
		t.Fatalf("the answer is not a JSON:API error document (%v): %.500s", err, body)
	}
	for _, e := range doc.Errors {
		if e.Status != fmt.Sprint(c.status) || e.Title == "" || e.Detail == "" || e.Code == "" {
			t.Errorf("incomplete error object %+v: status, code, title and detail are all required", e)
		}
	}
	var found bool
	for _, e := range doc.Errors {
		if e.Code != c.code {
			continue
		}
		found = true
		if c.pointer != "" && (e.Source == nil || e.Source.Pointer != c.pointer) {
			t.Errorf("error %q points at %+v, want pointer %s", e.Code, e.Source, c.pointer)
		}
		if c.parameter != "" && (e.Source == nil || e.Source.Parameter != c.parameter) {
			t.Errorf("error %q points at %+v, want parameter %s", e.Code, e.Source, c.parameter)
		}
		if len(e.Detail) > 2000 {
			t.Errorf("error detail is %d bytes long; it should not echo the whole input", len(e.Detail))
		}
	}
	if !found {
		t.Errorf("no error with code %q in %s", c.code, body)
	}
	if status == http.StatusMethodNotAllowed && header.Get("Allow") == "" {
		t.Errorf("405 without an Allow header")
	}
	if status == http.StatusUnauthorized && header.Get("WWW-Authenticate") == "" {
		t.Errorf("401 without a WWW-Authenticate header")
	}
}

// dbSnapshot describes every row the API can change, by id and version,
// and the sizes of the audit log, tokens and memberships, read straight
// from the database.
func dbSnapshot(t *testing.T, dsn string) string {
	t.Helper()
	db := openRaw(t, dsn)
	defer db.Close()
	var b strings.Builder
	for _, q := range []string{
		"SELECT id, CAST(version AS TEXT) FROM users ORDER BY id",
		"SELECT id, CAST(version AS TEXT) FROM groups ORDER BY id",
		"SELECT user_id, group_id FROM memberships ORDER BY user_id, group_id",
		"SELECT CAST(COUNT(*) AS TEXT), '' FROM audit_events",
		"SELECT CAST(COUNT(*) AS TEXT), '' FROM api_tokens",
	} {
		rows, err := db.QueryContext(context.Background(), q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		for rows.Next() {
			var a, c string
			if err := rows.Scan(&a, &c); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "%s %s\n", a, c)
		}
		rows.Close()
	}
	return b.String()
}

// openRaw opens the test server's database with database/sql, bypassing
// the store, to see exactly what is stored.
func openRaw(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	driver, name := "sqlite", "file:"+dsn+"?mode=ro"
	if u, err := url.Parse(dsn); err == nil && strings.HasPrefix(u.Scheme, "postgres") {
		driver, name = "pgx", dsn
	}
	db, err := sql.Open(driver, name)
	if err != nil {
		t.Fatalf("open %s: %v", dsn, err)
	}
	return db
}

// TestHostileStringsStoredVerbatim writes SQL, HTML, LIKE and shell
// metacharacters into every free-text field of a user and a group: they
// are ordinary text, so they must be stored and returned byte for byte,
// found by the filters, and break nothing.
func TestHostileStringsStoredVerbatim(t *testing.T) {
	testserver.Backends(t, func(t *testing.T, backend testserver.Option) {
		srv := testserver.Start(t, backend)
		hostile := func(field string) string {
			return field + `'); DROP TABLE users;-- <script>alert("` + field + `")</script> %_\ ?$1 ` + "`id` Zoë 🙂"
		}
		userFields := []string{"first-name", "last-name", "display-name", "title", "department", "phone", "mobile", "external-id", "external-source"}
		attrs := map[string]any{"username": "hostile", "email": "hostile@example.com",
			"attributes": map[string]string{"note": hostile("note"), "html": "<img src=x onerror=alert(1)>"}}
		for _, f := range userFields {
			attrs[f] = hostile(f)
		}
		created := createUser(t, srv, attrs)
		status, _, body := badSend(t, srv.URL, badCase{method: "GET", path: "/api/v1/users/" + created.ID, token: srv.AdminToken})
		if status != http.StatusOK {
			t.Fatalf("GET the user: %d %s", status, body)
		}
		var doc struct {
			Data struct {
				Attributes map[string]any `json:"attributes"`
			} `json:"data"`
		}
		if err := json.Unmarshal(body, &doc); err != nil {
			t.Fatal(err)
		}
		for _, f := range userFields {
			if got := doc.Data.Attributes[f]; got != hostile(f) {
				t.Errorf("%s came back as %q, want %q", f, got, hostile(f))
			}
		}
		if got := fmt.Sprint(doc.Data.Attributes["attributes"]); got != fmt.Sprint(map[string]any{"note": hostile("note"), "html": "<img src=x onerror=alert(1)>"}) {
			t.Errorf("attributes came back as %s", got)
		}

		// The filters treat the text as text: no wildcard, no injection.
		for _, tc := range []struct {
			query string
			want  int
		}{
			{"filter[q]=" + url.QueryEscape("FIRST-NAME'); DROP"), 1},
			{"filter[q]=" + url.QueryEscape("%"), 0},
			{"filter[q]=" + url.QueryEscape("_"), 0},
			{"filter[q]=" + url.QueryEscape("'"), 0},
			{"filter[q]=" + url.QueryEscape(`\`), 0},
			{"filter[external-id]=" + url.QueryEscape(hostile("external-id")), 1},
			{"filter[external-id]=" + url.QueryEscape("external-id'); DROP TABLE users;-- %"), 0},
			{"filter[email]=" + url.QueryEscape("' OR '1'='1"), 0},
			{"filter[username]=" + url.QueryEscape("hostile' --"), 0},
		} {
			status, _, body := badSend(t, srv.URL, badCase{method: "GET", path: "/api/v1/users?" + tc.query, token: srv.AdminToken})
			var list struct {
				Data []struct{ ID string } `json:"data"`
			}
			if status != http.StatusOK || json.Unmarshal(body, &list) != nil {
				t.Errorf("GET /api/v1/users?%s: %d %s", tc.query, status, body)
				continue
			}
			if len(list.Data) != tc.want {
				t.Errorf("GET /api/v1/users?%s found %d users, want %d", tc.query, len(list.Data), tc.want)
			}
		}

		// A group's free text too.
		group := createGroup(t, srv, "hostile-group")
		patch := fmt.Sprintf(`{"data":{"type":"groups","attributes":{"friendly-name":%q,"description":%q}}}`, hostile("friendly"), hostile("description"))
		status, _, body = badSend(t, srv.URL, badCase{method: "PATCH", path: "/api/v1/groups/" + group.ID, body: []byte(patch), token: srv.AdminToken})
		if status != http.StatusOK {
			t.Fatalf("PATCH the group: %d %s", status, body)
		}
		status, _, body = badSend(t, srv.URL, badCase{method: "GET", path: "/api/v1/groups/" + group.ID, token: srv.AdminToken})
		if status != http.StatusOK || !bytes.Contains(body, mustJSON(hostile("friendly"))) || !bytes.Contains(body, mustJSON(hostile("description"))) {
			t.Errorf("GET the group: %d %s", status, body)
		}

		// The database holds the text itself, not an escaped form, and is whole.
		db := openRaw(t, srv.DSN)
		defer db.Close()
		var title string
		var n int
		if err := db.QueryRow("SELECT title FROM users WHERE username = 'hostile'").Scan(&title); err != nil || title != hostile("title") {
			t.Errorf("stored title %q (%v), want %q", title, err, hostile("title"))
		}
		if err := db.QueryRow("SELECT COUNT(*) FROM users").Scan(&n); err != nil || n != 2 {
			t.Errorf("users table holds %d rows (%v), want the admin and the hostile user", n, err)
		}
	})
}

func mustJSON(s string) []byte {
	b, _ := json.Marshal(s)
	return b
}

// TestSurrogatePairsAccepted is the other side of the catalogue's lone
// surrogate cases: a character beyond U+FFFF escaped as a high-low pair is
// valid Unicode text, stored and returned as that character.
func TestSurrogatePairsAccepted(t *testing.T) {
	srv := testserver.Start(t)
	body := []byte(`{"data":{"type":"users","attributes":{"username":"smiley","email":"smiley@example.com",` +
		`"first-name":"\ud83d\ude00","last-name":"\uD83D\uDE00 Zo\u00eb","attributes":{"mood":"\ud83d\ude00"}}}}`)
	status, _, resp := badSend(t, srv.URL, badCase{method: "POST", path: "/api/v1/users", body: body, token: srv.AdminToken})
	if status != http.StatusCreated {
		t.Fatalf("POST a user with escaped surrogate pairs: %d %s", status, resp)
	}
	var doc api.Document[api.User]
	if err := json.Unmarshal(resp, &doc); err != nil {
		t.Fatal(err)
	}
	a := doc.Data.Attributes
	if a.FirstName == nil || *a.FirstName != "😀" || a.LastName == nil || *a.LastName != "😀 Zoë" || a.Attributes["mood"] != "😀" {
		t.Errorf("stored first-name %v, last-name %v, attributes %v; want 😀, \"😀 Zoë\" and mood 😀", a.FirstName, a.LastName, a.Attributes)
	}
}
