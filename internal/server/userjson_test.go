package server

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/rollcall/rollcall/api"
	"github.com/rollcall/rollcall/internal/config"
	"github.com/rollcall/rollcall/internal/store"
)

// oddStrings are strings whose JSON encoding takes every path of
// appendJSONString: HTML metacharacters, quotes, every control character,
// U+2028/U+2029, other non-ASCII text, invalid UTF-8 and a NUL.
func oddStrings() []string {
	out := []string{"", "plain", `<script>alert("x")</script>`, "a&b", `back\slash`, "tab\tnew\nline\rcr\bbs\fff",
		"line\u2028para\u2029end", "Zoë Ångström 日本語 😀", "bad\xffutf8\xc3", "nul\x00byte", "\x7f del", "\xed\xa0\x80 surrogate"}
	var ctl strings.Builder
	for c := range 0x20 {
		ctl.WriteByte(byte(c))
	}
	out = append(out, ctl.String())
	var ascii strings.Builder
	for c := 0x20; c < utf8.RuneSelf; c++ {
		ascii.WriteByte(byte(c))
	}
	return append(out, ascii.String())
}

func TestAppendJSONStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range oddStrings() {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendJSONString(nil, s); !bytes.Equal(got, want) {
			t.Errorf("appendJSONString(%q) = %s, encoding/json gives %s", s, got, want)
		}
	}
}

// FuzzAppendJSONString checks any string against encoding/json.
func FuzzAppendJSONString(f *testing.F) {
	for _, s := range oddStrings() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		if got := appendJSONString(nil, s); !bytes.Equal(got, want) {
			t.Errorf("appendJSONString(%q) = %s, encoding/json gives %s", s, got, want)
		}
	})
}

// testUsers are users with every attribute set, none set, and odd text in
// every string field and attribute key.
func testUsers() []store.User {
	at := time.Date(2026, 11, 23, 17, 4, 5, 123456000, time.UTC)
	whole := time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("CET", 3600))
	full := store.User{ID: "0196a9e2-0000-7000-8000-000000000001", Username: "jane.doe", Email: "jane@example.com",
		EmailVerified: true, FirstName: "Jane", LastName: "Doe", DisplayName: "Jane D.", Locale: "de-DE", IsAdmin: true,
		Phone: "+4930123456", Mobile: "+491701234567", Title: "Engineer", Department: "R&D", AvatarURL: "https://example.com/a.png?x=1&y=<2>",
		ExternalID: "E-1", ExternalSource: "hr", Attributes: map[string]string{"b": "2", "a": "1", "": "empty key", "é": "accent", "<k>": "&v"},
		GroupIDs:     []string{"0196a9e2-0000-7000-8000-00000000000a", "0196a9e2-0000-7000-8000-00000000000b"},
		PasskeyCount: 3, LastSignInAt: &at, Version: 7, CreatedAt: whole, UpdatedAt: at}
	bare := store.User{ID: "0196a9e2-0000-7000-8000-000000000002", Username: "svc", Email: "svc@example.com",
		ServiceAccount: true, CreatedAt: at, UpdatedAt: at}
	names := store.User{ID: "0196a9e2-0000-7000-8000-000000000003", Username: "x", Email: "x@example.com",
		FirstName: "Only", Disabled: true, Attributes: map[string]string{}, GroupIDs: []string{}, CreatedAt: at, UpdatedAt: at}
	users := []store.User{full, bare, names}
	for i, s := range oddStrings() {
		u := full
		u.Username, u.Email, u.FirstName, u.LastName, u.DisplayName = s, s, s, s+"x", ""
		u.Phone, u.Mobile, u.Title, u.Department, u.AvatarURL, u.ExternalID, u.ExternalSource = s, s, s, s, s, s, s
		u.Attributes = map[string]string{s: s, s + "2": "v", "z": s}
		if i%2 == 1 {
			u.PasskeyCount, u.LastSignInAt = 0, nil
		}
		users = append(users, u)
	}
	return users
}

func testServer(publicURL string) *Server {
	return &Server{cfg: config.Config{PublicURL: publicURL}}
}

func TestUserEncoderMatchesEncodingJSON(t *testing.T) {
	for _, publicURL := range []string{"http://localhost:8080", "https://id.example.com/a&b"} {
		s := testServer(publicURL)
		users := testUsers()
		for _, u := range users {
			want, err := json.Marshal(s.userResource(u))
			if err != nil {
				t.Fatal(err)
			}
			if got := s.appendUser(nil, &u); !bytes.Equal(got, want) {
				t.Errorf("user %q:\n got %s\nwant %s", u.Username, got, want)
			}
		}

		// Whole documents, with and without included resources and a next link.
		inc := []json.RawMessage{json.RawMessage(`{"type":"groups","id":"g1"}`), json.RawMessage(`{"type":"groups","id":"g2"}`)}
		for _, included := range [][]json.RawMessage{nil, inc} {
			u := users[0]
			var want bytes.Buffer
			json.NewEncoder(&want).Encode(api.Document[api.User]{Data: s.userResource(u), Included: included,
				Links: &api.Links{Self: s.link("/api/v1/users/" + u.ID)}})
			if got := s.appendUserDocument(nil, &u, included); !bytes.Equal(got, want.Bytes()) {
				t.Errorf("user document:\n got %s\nwant %s", got, want.Bytes())
			}
			for _, page := range [][]store.User{users, {}} {
				for _, next := range []string{"", publicURL + "/api/v1/users?page%5Bafter%5D=abc&page%5Bsize%5D=2"} {
					data := make([]api.User, len(page))
					for i, u := range page {
						data[i] = s.userResource(u)
					}
					self := publicURL + "/api/v1/users?filter%5Bq%5D=<a>"
					want.Reset()
					json.NewEncoder(&want).Encode(api.Document[[]api.User]{Data: data, Included: included,
						Links: &api.Links{Self: self, Next: next}})
					if got := s.appendUserListDocument(nil, page, included, self, next); !bytes.Equal(got, want.Bytes()) {
						t.Errorf("list of %d, next %q:\n got %s\nwant %s", len(page), next, got, want.Bytes())
					}
				}
			}
		}
	}
}
