package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/rollcall/rollcall/api"
	"github.com/rollcall/rollcall/internal/config"
	"github.com/rollcall/rollcall/internal/server"
	"github.com/rollcall/rollcall/internal/store"
	"github.com/rollcall/rollcall/internal/store/sqlstore"
	"github.com/rollcall/rollcall/internal/token"
)

// fuzzServer is a real server over a real SQLite file, shared by the
// iterations of one fuzz target and driven through its http.Handler
// (httptest), so that millions of inputs go through the whole decode,
// validate, store and respond path without a socket each.
type fuzzServer struct {
	h      http.Handler
	st     store.Store
	token  string
	userID string
	mu     sync.Mutex
}

func newFuzzServer(f *testing.F) *fuzzServer {
	f.Helper()
	ctx := context.Background()
	st, err := sqlstore.Open(ctx, filepath.Join(f.TempDir(), "fuzz.db"))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { st.Close() })
	cfg := config.Default()
	cfg.Addr, cfg.PublicURL, cfg.Database = "127.0.0.1:0", "http://127.0.0.1:1", "fuzz.db"
	cfg.RateLimit = 0
	cfg.BootstrapToken = token.Generate()
	srv, err := server.New(cfg, st, slog.New(slog.DiscardHandler))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { srv.Close() })
	u, err := st.CreateUser(ctx, store.User{Username: "fuzz-target", Email: "fuzz-target@example.com"}, store.Meta{})
	if err != nil {
		f.Fatal(err)
	}
	if _, err := st.CreateGroup(ctx, store.Group{Name: "fuzz-group"}, store.Meta{}); err != nil {
		f.Fatal(err)
	}
	return &fuzzServer{h: srv.Handler(), st: st, token: cfg.BootstrapToken, userID: u.ID}
}

// serve sends one request and checks what every answer must be: never a
// 5xx, always JSON, and an error document with complete error objects
// whenever the status is 4xx.
func (s *fuzzServer) serve(t *testing.T, method, target string, body []byte) (int, []byte) {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		return 0, nil // no client could send it
	}
	req := httptest.NewRequest(method, "http://127.0.0.1:1/", bytes.NewReader(body))
	req.URL, req.RequestURI = u, u.RequestURI()
	req.Header.Set("Authorization", "Bearer "+s.token)
	if body != nil {
		req.Header.Set("Content-Type", api.MediaType)
	}
	rec := httptest.NewRecorder()
	s.h.ServeHTTP(rec, req)
	out := rec.Body.Bytes()
	if rec.Code >= 500 {
		t.Fatalf("%s %s answered %d: %s\nbody: %q", method, target, rec.Code, out, body)
	}
	if rec.Code != http.StatusNoContent && !json.Valid(out) {
		t.Fatalf("%s %s answered %d with a body that is not JSON: %q", method, target, rec.Code, out)
	}
	if rec.Code >= 400 {
		var doc api.ErrorDocument
		if err := json.Unmarshal(out, &doc); err != nil || len(doc.Errors) == 0 {
			t.Fatalf("%s %s answered %d without an error document: %s", method, target, rec.Code, out)
		}
		for _, e := range doc.Errors {
			if e.Status == "" || e.Code == "" || e.Title == "" || e.Detail == "" {
				t.Fatalf("%s %s: incomplete error object %+v", method, target, e)
			}
		}
	}
	return rec.Code, out
}

// FuzzUserWrite sends arbitrary bodies to POST /api/v1/users and PATCH
// /api/v1/users/{id}. A created or updated user must read back exactly as
// the write answered.
func FuzzUserWrite(f *testing.F) {
	for _, s := range []string{
		`{"data":{"type":"users","attributes":{"username":"ada","email":"ada@example.com"}}}`,
		`{"data":{"type":"users","attributes":{"username":"Bob","email":"bob@example.com","first-name":"Bob","locale":"en_gb","phone":"+44 20 7946 0958","attributes":{"team":"x"}},"relationships":{"groups":{"data":[]}}}}`,
		`{"data":{"type":"users","id":"2f1e6a52-7c1d-4e53-9b5c-0c8d3f0e4a71","attributes":{"username":"c","email":"c@example.com","title":"'; DROP TABLE users;--"}}}`,
		`{"data":{"type":"users","attributes":{"title":null,"display-name":"","is-admin":false}}}`,
		`{"data":{"type":"users","attributes":{"username":123}}}`,
		`{"data":{"type":"users","attributes":{"status":"active","nick":"x"}},"meta":{}}`,
		`{"data":[{"type":"users"}]}`,
		`{"data":{"type":"users","attributes":{"attributes":{"a":{"b":[1,2,{"c":null}]}}}}}`,
		`{"data":{"type":"users","relationships":{"groups":{"data":[{"type":"groups","id":"not-a-uuid"},{"type":"users","id":"x"}]}}}}`,
		"{\"data\":{\"type\":\"users\",\"attributes\":{\"username\":\"\xff\"}}}",
		// Members named twice, at every level and spelt with an escape.
		`{"data":{"type":"users","attributes":{"username":"dup","email":"dup@example.com","is-admin":false,"is-admin":true}}}`,
		`{"data":{"type":"users","attributes":{"username":"dup","email":"dup@example.com","is-admin":false,"is-\u0061dmin":true}}}`,
		`{"data":{"type":"users","attributes":{"username":"dup","email":"dup@example.com","attributes":{"k":"a","k":"b"}}}}`,
		`{"data":{"type":"users","attributes":{"username":"a","email":"a@example.com"}},"data":{"type":"users","attributes":{"username":"b","email":"b@example.com"}}}`,
		`{"data":{"type":"users","type":"groups","attributes":{"username":"dup","email":"dup@example.com"}}}`,
		`[]`, `null`, ``, `{"data":`,
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	srv := newFuzzServer(f)
	f.Fuzz(func(t *testing.T, body []byte, patch bool) {
		srv.mu.Lock()
		defer srv.mu.Unlock()
		method, path := http.MethodPost, "/api/v1/users"
		if patch {
			method, path = http.MethodPatch, "/api/v1/users/"+srv.userID
		}
		status, out := srv.serve(t, method, path, body)
		if status/100 != 2 {
			return
		}
		if json.Valid(body) && api.CheckDuplicateMembers(body) != nil {
			t.Fatalf("%s accepted a body that names a member twice: %s", method, body)
		}
		var doc api.Document[api.User]
		if err := json.Unmarshal(out, &doc); err != nil {
			t.Fatalf("%s answered %d with %s: %v", method, status, out, err)
		}
		st2, again := srv.serve(t, http.MethodGet, "/api/v1/users/"+doc.Data.ID, nil)
		var read api.Document[api.User]
		if st2 != http.StatusOK || json.Unmarshal(again, &read) != nil {
			t.Fatalf("the written user %s does not read back: %d %s", doc.Data.ID, st2, again)
		}
		w, _ := json.Marshal(doc.Data.Attributes)
		r, _ := json.Marshal(read.Data.Attributes)
		if string(w) != string(r) {
			t.Fatalf("the write answered\n%s\nbut the user reads back as\n%s", w, r)
		}
		if !patch {
			// Keep the database small and the next create's username free.
			if s, b := srv.serve(t, http.MethodDelete, "/api/v1/users/"+doc.Data.ID, nil); s != http.StatusNoContent && s != http.StatusConflict {
				t.Fatalf("delete the created user: %d %s", s, b)
			}
		}
	})
}

// FuzzGroupWrite sends arbitrary bodies to POST /api/v1/groups.
func FuzzGroupWrite(f *testing.F) {
	for _, s := range []string{
		`{"data":{"type":"groups","attributes":{"name":"eng","friendly-name":"Engineering","description":"<b>x</b>"}}}`,
		`{"data":{"type":"groups","attributes":{"name":"ops","attributes":{"k":"v"}},"relationships":{"members":{"data":[]}}}}`,
		`{"data":{"type":"groups","attributes":{"name":"Ω"}}}`,
		`{"data":{"type":"groups","attributes":{"member-count":1}}}`,
	} {
		f.Add([]byte(s))
	}
	srv := newFuzzServer(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		srv.mu.Lock()
		defer srv.mu.Unlock()
		status, out := srv.serve(t, http.MethodPost, "/api/v1/groups", body)
		if status != http.StatusCreated {
			return
		}
		var doc api.Document[api.Group]
		if err := json.Unmarshal(out, &doc); err != nil {
			t.Fatal(err)
		}
		if s, b := srv.serve(t, http.MethodDelete, "/api/v1/groups/"+doc.Data.ID, nil); s != http.StatusNoContent {
			t.Fatalf("delete the created group: %d %s", s, b)
		}
	})
}

// FuzzListQuery sends arbitrary query strings (filters, page parameters,
// cursors, includes) to the list endpoints. Any answer but a 5xx is fine;
// a 200 must be a list document.
func FuzzListQuery(f *testing.F) {
	for _, s := range []string{
		"page[size]=2", "page%5Bsize%5D=1000&page%5Bafter%5D=Zm9v", "filter[q]=fu", "filter%5Bq%5D=%FF",
		"filter[email]=FUZZ-TARGET@example.com&include=groups", "filter[group]=fuzz-group", "filter[external-id]=%00",
		"page[after]=eyJwIjoxLCJrIjoiYSIsInUiOiJiIn0", "page[after]=AA", "include=groups,groups", "filter[username]=Fuzz-Target",
		"filter[actor]=x&filter[since]=2020-01-01T00:00:00Z", "filter[action]=user.", "filter[until]=yesterday", "a=b&a=c", "%zz",
		"filter[group]=nosuch", "filter[group]=00000000-0000-4000-8000-000000000000", "filter[group]=not%20a%20name",
		"filter[member]=fuzz-target", "filter[user]=fuzz-target", "filter[user]=xx%2F", "filter[target]=xx",
	} {
		f.Add(s, uint8(0))
		f.Add(s, uint8(1))
		f.Add(s, uint8(2))
	}
	srv := newFuzzServer(f)
	paths := []string{"/api/v1/users", "/api/v1/groups", "/api/v1/audit-events", "/api/v1/api-tokens"}
	f.Fuzz(func(t *testing.T, query string, which uint8) {
		if strings.ContainsAny(query, "# \t\r\n") {
			return // not something an HTTP client can send as a query
		}
		path := paths[int(which)%len(paths)]
		status, out := srv.serve(t, http.MethodGet, path+"?"+query, nil)
		if status != http.StatusOK {
			return
		}
		var doc struct {
			Data []json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal(out, &doc); err != nil || doc.Data == nil {
			t.Fatalf("GET %s?%s answered 200 without a list: %s", path, query, out)
		}
	})
}
