package server_test

import (
	"strings"
	"testing"

	"github.com/rollcall/rollcall/api"
	"github.com/rollcall/rollcall/internal/testserver"
)

// TestUserValidationRules sends one bad value per rule and checks the
// status, the code and the pointer a client would use to fix it.
func TestUserValidationRules(t *testing.T) {
	srv := testserver.Start(t)
	long := func(n int) string { return strings.Repeat("a", n) }
	base := func(extra map[string]any) map[string]any {
		m := map[string]any{"username": "valid", "email": "valid@example.com"}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	many := map[string]any{}
	for i := range 65 {
		many["k"+strings.Repeat("x", i%10)+string(rune('a'+i%26))+strings.Repeat("y", i/26)] = "v"
	}
	for _, tc := range []struct {
		name    string
		attrs   map[string]any
		code    string
		pointer string
	}{
		{"username missing", map[string]any{"email": "a@example.com"}, api.CodeRequired, "/data/attributes/username"},
		{"username empty", base(map[string]any{"username": ""}), api.CodeRequired, "/data/attributes/username"},
		{"username null", base(map[string]any{"username": nil}), api.CodeRequired, "/data/attributes/username"},
		{"username charset", base(map[string]any{"username": "jane doe"}), api.CodeInvalidUsername, "/data/attributes/username"},
		{"username leading dot", base(map[string]any{"username": ".jane"}), api.CodeInvalidUsername, "/data/attributes/username"},
		{"username trailing dash", base(map[string]any{"username": "jane-"}), api.CodeInvalidUsername, "/data/attributes/username"},
		{"username too long", base(map[string]any{"username": long(65)}), api.CodeTooLong, "/data/attributes/username"},
		{"email missing", map[string]any{"username": "x"}, api.CodeRequired, "/data/attributes/email"},
		{"email no at", base(map[string]any{"email": "jane.example.com"}), api.CodeInvalidEmail, "/data/attributes/email"},
		{"email display name", base(map[string]any{"email": "Jane <jane@example.com>"}), api.CodeInvalidEmail, "/data/attributes/email"},
		{"email two addresses", base(map[string]any{"email": "a@example.com, b@example.com"}), api.CodeInvalidEmail, "/data/attributes/email"},
		{"email too long", base(map[string]any{"email": long(250) + "@example.com"}), api.CodeTooLong, "/data/attributes/email"},
		{"locale invalid", base(map[string]any{"locale": "not a locale"}), api.CodeInvalidLocale, "/data/attributes/locale"},
		{"avatar not a url", base(map[string]any{"avatar-url": "picture.png"}), api.CodeInvalidURL, "/data/attributes/avatar-url"},
		{"avatar ftp", base(map[string]any{"avatar-url": "ftp://example.com/a.png"}), api.CodeInvalidURL, "/data/attributes/avatar-url"},
		{"avatar too long", base(map[string]any{"avatar-url": "https://example.com/" + long(240)}), api.CodeTooLong, "/data/attributes/avatar-url"},
		{"first-name too long", base(map[string]any{"first-name": long(251)}), api.CodeTooLong, "/data/attributes/first-name"},
		{"last-name too long", base(map[string]any{"last-name": long(251)}), api.CodeTooLong, "/data/attributes/last-name"},
		{"display-name too long", base(map[string]any{"display-name": long(251)}), api.CodeTooLong, "/data/attributes/display-name"},
		{"title too long", base(map[string]any{"title": long(129)}), api.CodeTooLong, "/data/attributes/title"},
		{"department too long", base(map[string]any{"department": long(101)}), api.CodeTooLong, "/data/attributes/department"},
		{"phone too long", base(map[string]any{"phone": long(101)}), api.CodeTooLong, "/data/attributes/phone"},
		{"mobile too long", base(map[string]any{"mobile": long(101)}), api.CodeTooLong, "/data/attributes/mobile"},
		{"external-id too long", base(map[string]any{"external-id": long(251)}), api.CodeTooLong, "/data/attributes/external-id"},
		{"external-source too long", base(map[string]any{"external-source": long(251)}), api.CodeTooLong, "/data/attributes/external-source"},
		{"attribute key", base(map[string]any{"attributes": map[string]any{"Cost-Center": "1"}}), api.CodeInvalidAttributeKey, "/data/attributes/attributes/Cost-Center"},
		{"attribute value too long", base(map[string]any{"attributes": map[string]any{"bio": long(2049)}}), api.CodeTooLong, "/data/attributes/attributes/bio"},
		{"too many attributes", base(map[string]any{"attributes": many}), api.CodeTooManyAttributes, "/data/attributes/attributes"},
		{"read-only status", base(map[string]any{"status": "active"}), api.CodeReadOnly, "/data/attributes/status"},
		{"read-only passkey-count", base(map[string]any{"passkey-count": 3}), api.CodeReadOnly, "/data/attributes/passkey-count"},
		{"read-only last-sign-in-at", base(map[string]any{"last-sign-in-at": "2020-01-01T00:00:00Z"}), api.CodeReadOnly, "/data/attributes/last-sign-in-at"},
		{"read-only updated-at", base(map[string]any{"updated-at": "2020-01-01T00:00:00Z"}), api.CodeReadOnly, "/data/attributes/updated-at"},
		{"read-only created-at", base(map[string]any{"created-at": "2020-01-01T00:00:00Z"}), api.CodeReadOnly, "/data/attributes/created-at"},
		{"NUL in a name", base(map[string]any{"first-name": "a\x00b"}), api.CodeInvalidValue, "/data/attributes/first-name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := call(t, srv, req{method: "POST", path: "/api/v1/users", token: srv.AdminToken, body: userBody(tc.attrs)})
			wantError(t, r, 422, tc.code, tc.pointer)
		})
	}

	// All problems are reported at once.
	r := call(t, srv, req{method: "POST", path: "/api/v1/users", token: srv.AdminToken,
		body: userBody(map[string]any{"username": "bad name", "email": "bad", "locale": "??"})})
	if r.Status != 422 || len(r.Errors(t)) != 3 {
		t.Fatalf("want 3 errors at once: %d %s", r.Status, r.Body)
	}

	// A bad id.
	r = call(t, srv, req{method: "POST", path: "/api/v1/users", token: srv.AdminToken,
		body: map[string]any{"data": map[string]any{"type": "users", "id": "42", "attributes": base(nil)}}})
	wantError(t, r, 422, api.CodeInvalidID, "/data/id")
}

// TestUserNormalisation checks values are stored in canonical form.
func TestUserNormalisation(t *testing.T) {
	srv := testserver.Start(t)
	u := createUser(t, srv, map[string]any{"username": "MiXeD.Case@Corp", "email": "m@example.com", "locale": "de_de",
		"phone": "+1 (415) 555-2671", "mobile": "ext. 1234", "avatar-url": "https://example.com/a.png"})
	a := u.Attributes
	if a.Username != "mixed.case@corp" || *a.Locale != "de-DE" || *a.Phone != "+14155552671" || *a.Mobile != "ext. 1234" {
		t.Fatalf("normalised: %+v", a)
	}
	for _, loc := range []struct{ in, want string }{{"en_us", "en-US"}, {"EN-gb", "en-GB"}, {"zh-hant-tw", "zh-Hant-TW"}} {
		r := call(t, srv, req{method: "PATCH", path: "/api/v1/users/" + u.ID, token: srv.AdminToken,
			body: map[string]any{"data": map[string]any{"type": "users", "attributes": map[string]any{"locale": loc.in}}}})
		mustStatus(t, r, 200)
		if got := *decodeUser(t, r).Attributes.Locale; got != loc.want {
			t.Fatalf("locale %q stored as %q, want %q", loc.in, got, loc.want)
		}
	}
	// Unicode: NFC then lower case, then the charset applies. The Kelvin
	// sign U+212A is canonically K, so it becomes "kate" and collides.
	kate := createUser(t, srv, map[string]any{"username": "\u212Aate", "email": "kate@example.com"})
	if kate.Attributes.Username != "kate" {
		t.Fatalf("U+212A ate stored as %q, want kate", kate.Attributes.Username)
	}
	r0 := call(t, srv, req{method: "POST", path: "/api/v1/users", token: srv.AdminToken,
		body: userBody(map[string]any{"username": "KATE", "email": "kate2@example.com"})})
	wantError(t, r0, 409, api.CodeUsernameTaken, "/data/attributes/username")
	r := call(t, srv, req{method: "POST", path: "/api/v1/users", token: srv.AdminToken,
		body: userBody(map[string]any{"username": "jose\u0301", "email": "j@example.com"})})
	wantError(t, r, 422, api.CodeInvalidUsername, "/data/attributes/username")
}

// TestMalformedBodies covers what a client can get wrong before validation.
func TestMalformedBodies(t *testing.T) {
	srv := testserver.Start(t)
	u := createUser(t, srv, map[string]any{"username": "frank", "email": "frank@example.com"})
	for _, tc := range []struct {
		name, body, code, pointer string
		status                    int
	}{
		{"empty body", "", api.CodeInvalidJSON, "", 400},
		{"whitespace body", "  \n", api.CodeInvalidJSON, "", 400},
		{"not JSON", "{data: users}", api.CodeInvalidJSON, "", 400},
		{"truncated", `{"data":{"type":"users"`, api.CodeInvalidJSON, "", 400},
		{"trailing garbage", `{"data":{"type":"users","attributes":{}}} x`, api.CodeInvalidJSON, "", 400},
		{"array body", `[1,2]`, api.CodeInvalidJSON, "", 400},
		{"no data", `{"meta":{}}`, api.CodeInvalidDocument, "/data", 400},
		{"data array", `{"data":[]}`, api.CodeInvalidType, "/data", 400},
		{"wrong type member", `{"data":{"type":"groups","attributes":{}}}`, api.CodeInvalidDocument, "/data/type", 400},
		{"missing type", `{"data":{"attributes":{}}}`, api.CodeInvalidDocument, "/data/type", 400},
		{"unknown attribute", `{"data":{"type":"users","attributes":{"first-nmae":"x"}}}`, api.CodeUnknownField, "/data/attributes/first-nmae", 400},
		{"member name in the wrong case", `{"data":{"type":"users","attributes":{"First-Name":"x"}}}`, api.CodeUnknownField, "/data/attributes/First-Name", 400},
		{"unknown top-level", `{"data":{"type":"users","attributes":{}},"extra":1}`, api.CodeUnknownField, "/extra", 400},
		{"unknown in relationships", `{"data":{"type":"users","relationships":{"teams":{"data":[]}}}}`, api.CodeUnknownField, "/data/relationships/teams", 400},
		{"string for bool", `{"data":{"type":"users","attributes":{"is-admin":"yes"}}}`, api.CodeInvalidType, "/data/attributes/is-admin", 400},
		{"number for string", `{"data":{"type":"users","attributes":{"first-name":5}}}`, api.CodeInvalidType, "/data/attributes/first-name", 400},
		{"number in attributes map", `{"data":{"type":"users","attributes":{"attributes":{"a":"x","b":7}}}}`, api.CodeInvalidType, "/data/attributes/attributes/b", 400},
		{"array for attributes", `{"data":{"type":"users","attributes":{"attributes":["x"]}}}`, api.CodeInvalidType, "/data/attributes/attributes", 400},
		{"number for group id", `{"data":{"type":"users","relationships":{"groups":{"data":[{"type":"groups","id":"` + u.ID + `"},{"type":"groups","id":7}]}}}}`, api.CodeInvalidType, "/data/relationships/groups/data/1/id", 400},
		{"wrong relationship type", `{"data":{"type":"users","relationships":{"groups":{"data":[{"type":"users","id":"` + u.ID + `"}]}}}}`, api.CodeInvalidValue, "/data/relationships/groups/data/0/type", 422},
		{"id mismatch", `{"data":{"type":"users","id":"2f1e6a52-7c1d-4e53-9b5c-0c8d3f0e4a71","attributes":{}}}`, api.CodeInvalidDocument, "/data/id", 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := call(t, srv, req{method: "PATCH", path: "/api/v1/users/" + u.ID, token: srv.AdminToken, body: tc.body,
				header: map[string]string{"Content-Type": api.MediaType}})
			e := wantError(t, r, tc.status, tc.code, tc.pointer)
			if tc.code == api.CodeUnknownField && !strings.Contains(e.Detail, tc.pointer[strings.LastIndex(tc.pointer, "/")+1:]) {
				t.Fatalf("detail does not name the field: %q", e.Detail)
			}
			if tc.code == api.CodeInvalidType && !strings.Contains(e.Detail, "must be") {
				t.Fatalf("detail does not name the expected type: %q", e.Detail)
			}
		})
	}
	// Nothing above changed the user.
	r := call(t, srv, req{method: "GET", path: "/api/v1/users/" + u.ID, token: srv.AdminToken})
	if r.Header.Get("ETag") != `"1"` {
		t.Fatalf("a refused request changed the user: ETag %s", r.Header.Get("ETag"))
	}
}

func TestGroupValidationRules(t *testing.T) {
	srv := testserver.Start(t)
	for _, tc := range []struct {
		name    string
		attrs   map[string]any
		code    string
		pointer string
	}{
		{"name missing", map[string]any{}, api.CodeRequired, "/data/attributes/name"},
		{"name charset", map[string]any{"name": "Team A"}, api.CodeInvalidGroupName, "/data/attributes/name"},
		{"name too long", map[string]any{"name": strings.Repeat("g", 65)}, api.CodeTooLong, "/data/attributes/name"},
		{"friendly-name too long", map[string]any{"name": "g", "friendly-name": strings.Repeat("f", 251)}, api.CodeTooLong, "/data/attributes/friendly-name"},
		{"description too long", map[string]any{"name": "g", "description": strings.Repeat("d", 1001)}, api.CodeTooLong, "/data/attributes/description"},
		{"attribute key", map[string]any{"name": "g", "attributes": map[string]any{"9x": "1"}}, api.CodeInvalidAttributeKey, "/data/attributes/attributes/9x"},
		{"read-only member-count", map[string]any{"name": "g", "member-count": 4}, api.CodeReadOnly, "/data/attributes/member-count"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := call(t, srv, req{method: "POST", path: "/api/v1/groups", token: srv.AdminToken,
				body: map[string]any{"data": map[string]any{"type": "groups", "attributes": tc.attrs}}})
			wantError(t, r, 422, tc.code, tc.pointer)
		})
	}
}

func TestTokenValidationRules(t *testing.T) {
	srv := testserver.Start(t)
	for _, tc := range []struct {
		name, body, code, pointer string
		status                    int
	}{
		{"name missing", `{"data":{"type":"api-tokens","attributes":{}}}`, api.CodeRequired, "/data/attributes/name", 422},
		{"name too long", `{"data":{"type":"api-tokens","attributes":{"name":"` + strings.Repeat("n", 101) + `"}}}`, api.CodeTooLong, "/data/attributes/name", 422},
		{"expiry in the past", `{"data":{"type":"api-tokens","attributes":{"name":"x","expires-at":"2001-01-01T00:00:00Z"}}}`, api.CodeInvalidValue, "/data/attributes/expires-at", 422},
		{"expiry not a time", `{"data":{"type":"api-tokens","attributes":{"name":"x","expires-at":"tomorrow"}}}`, api.CodeInvalidType, "/data/attributes/expires-at", 400},
		{"owner wrong type", `{"data":{"type":"api-tokens","attributes":{"name":"x"},"relationships":{"user":{"data":{"type":"groups","id":"2f1e6a52-7c1d-4e53-9b5c-0c8d3f0e4a71"}}}}}`, api.CodeInvalidValue, "/data/relationships/user/data/type", 422},
		{"owner unknown", `{"data":{"type":"api-tokens","attributes":{"name":"x"},"relationships":{"user":{"data":{"type":"users","id":"2f1e6a52-7c1d-4e53-9b5c-0c8d3f0e4a71"}}}}}`, api.CodeInvalidReference, "/data/relationships/user/data/id", 422},
		{"wrong type", `{"data":{"type":"tokens","attributes":{"name":"x"}}}`, api.CodeInvalidDocument, "/data/type", 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := call(t, srv, req{method: "POST", path: "/api/v1/api-tokens", token: srv.AdminToken, body: tc.body})
			wantError(t, r, tc.status, tc.code, tc.pointer)
		})
	}
}
