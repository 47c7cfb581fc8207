package server_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/rollcall/rollcall/api"
	"github.com/rollcall/rollcall/internal/config"
	"github.com/rollcall/rollcall/internal/testserver"
)

// issuedSecrets are the secrets a test obtained through the API.
type issuedSecrets struct {
	tokens       []string // whole API tokens, rc_…
	setupSecrets []string // the secret part of setup-link URLs
	setupURLs    []string
}

// issueSecrets creates API tokens (for the admin and for another user)
// and setup links through the API.
func issueSecrets(t *testing.T, srv *testserver.Server) issuedSecrets {
	t.Helper()
	s := issuedSecrets{tokens: []string{srv.AdminToken}}
	ada := createUser(t, srv, map[string]any{"username": "ada", "email": "ada@example.com"})
	for _, body := range []string{
		`{"data":{"type":"api-tokens","attributes":{"name":"ci"}}}`,
		`{"data":{"type":"api-tokens","attributes":{"name":"for ada"},"relationships":{"user":{"data":{"type":"users","id":"` + ada.ID + `"}}}}}`,
	} {
		status, _, b := badSend(t, srv.URL, badCase{method: "POST", path: "/api/v1/api-tokens", body: []byte(body), token: srv.AdminToken})
		var doc api.Document[api.APIToken]
		if status != http.StatusCreated || json.Unmarshal(b, &doc) != nil || !strings.HasPrefix(doc.Data.Attributes.Token, "rc_") {
			t.Fatalf("create token: %d %s", status, b)
		}
		s.tokens = append(s.tokens, doc.Data.Attributes.Token)
	}
	for range 2 {
		status, _, b := badSend(t, srv.URL, badCase{method: "POST", path: "/api/v1/users/" + ada.ID + "/setup-links",
			body: []byte(`{"data":{"type":"setup-links","attributes":{}}}`), token: srv.AdminToken})
		var doc api.Document[api.SetupLink]
		if status != http.StatusCreated || json.Unmarshal(b, &doc) != nil {
			t.Fatalf("create setup link: %d %s", status, b)
		}
		u := doc.Data.Attributes.URL
		secret := u[strings.LastIndex(u, "/")+1:]
		if len(secret) < 20 {
			t.Fatalf("setup link %q has no secret to speak of", u)
		}
		s.setupURLs = append(s.setupURLs, u)
		s.setupSecrets = append(s.setupSecrets, secret)
	}
	return s
}

// needles are the forms of the secrets that must appear nowhere: each
// whole, and the random part of each token on its own.
func (s issuedSecrets) needles() []string {
	var out []string
	for _, tok := range s.tokens {
		out = append(out, tok, strings.TrimPrefix(tok, "rc_"))
	}
	return append(out, s.setupSecrets...)
}

// TestSecretsStoredOnlyHashed reads every column of every table of the
// raw database after tokens and setup links were issued through the API:
// no secret may be there in any form, and the SHA-256 of each must be.
func TestSecretsStoredOnlyHashed(t *testing.T) {
	testserver.Backends(t, func(t *testing.T, backend testserver.Option) {
		srv := testserver.Start(t, backend)
		secrets := issueSecrets(t, srv)
		// Use the tokens, so that last-use bookkeeping is written too.
		for _, tok := range secrets.tokens {
			status, _, b := badSend(t, srv.URL, badCase{method: "GET", path: "/api/v1/account", token: tok})
			if status != http.StatusOK {
				t.Fatalf("GET /api/v1/account with an issued token: %d %s", status, b)
			}
		}
		if err := srv.Server.FlushTokenUse(context.Background()); err != nil {
			t.Fatal(err)
		}

		cells := dumpDatabase(t, srv.DSN)
		if len(cells) < 50 {
			t.Fatalf("read only %d values from the database; the dump is broken", len(cells))
		}
		for _, needle := range secrets.needles() {
			for _, c := range cells {
				if strings.Contains(c.text, needle) || strings.Contains(c.hex, strings.ToLower(hex.EncodeToString([]byte(needle)))) {
					t.Errorf("secret %.12s… is stored in clear in %s", needle, c.where)
				}
			}
		}
		for _, tok := range secrets.tokens {
			wantStored(t, cells, "api_tokens", tok)
		}
		for _, sec := range secrets.setupSecrets {
			wantStored(t, cells, "setup_links", sec)
		}
	})
}

// wantStored checks that the SHA-256 of secret is in table.
func wantStored(t *testing.T, cells []cell, table, secret string) {
	t.Helper()
	sum := sha256.Sum256([]byte(secret))
	h := hex.EncodeToString(sum[:])
	for _, c := range cells {
		if strings.HasPrefix(c.where, table+".") && strings.Contains(c.hex, h) {
			return
		}
	}
	t.Errorf("the SHA-256 of secret %.12s… is not in %s; how is it stored?", secret, table)
}

type cell struct {
	where string // table.column
	text  string // the value as text
	hex   string // the value's bytes in hex
}

// dumpDatabase returns every value of every table.
func dumpDatabase(t *testing.T, dsn string) []cell {
	t.Helper()
	db := openRaw(t, dsn)
	defer db.Close()
	listTables := "SELECT name FROM sqlite_master WHERE type = 'table'"
	if strings.HasPrefix(dsn, "postgres") {
		listTables = "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
	}
	rows, err := db.Query(listTables)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, name)
	}
	rows.Close()
	var out []cell
	for _, table := range tables {
		rows, err := db.Query(`SELECT * FROM "` + table + `"`)
		if err != nil {
			t.Fatalf("dump %s: %v", table, err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for i, v := range vals {
				var text string
				switch v := v.(type) {
				case []byte:
					text = string(v)
				case nil:
					continue
				default:
					text = fmt.Sprint(v)
				}
				out = append(out, cell{where: table + "." + cols[i], text: text, hex: hex.EncodeToString([]byte(text))})
			}
		}
		rows.Close()
	}
	return out
}

// TestSecretsNeverLogged captures everything the server logs at debug
// level while requests carry tokens (good, unknown, malformed, misplaced in
// the query string), setup-link URLs and passkey ceremonies, and checks
// that no secret appears in the log.
func TestSecretsNeverLogged(t *testing.T) {
	// Passkeys work only on a domain name, so the server's public URL
	// says localhost; requests go to the same port.
	srv := testserver.Start(t, testserver.WithConfig(func(c *config.Config) {
		c.PublicURL = strings.Replace(c.PublicURL, "127.0.0.1", "localhost", 1)
	}))
	secrets := issueSecrets(t, srv)
	unknown := "rc_" + strings.Repeat("Z", 43)
	malformed := "rc_" + strings.Repeat("q", 20) + "'--"
	bad := []string{unknown, malformed, "Bearer-in-body-" + secrets.tokens[1]}
	for _, tok := range append(append([]string{}, secrets.tokens...), bad...) {
		for _, path := range []string{"/api/v1/account", "/api/v1/users?page%5Bsize%5D=1", "/api/v1/nowhere", "/api/v1/api-tokens"} {
			badSend(t, srv.URL, badCase{method: "GET", path: path, token: tok})
		}
		// A client that puts its token in the URL by mistake.
		badSend(t, srv.URL, badCase{method: "GET", path: "/api/v1/account?access_token=" + tok, token: tok})
		badSend(t, srv.URL, badCase{method: "GET", path: "/api/v1/users/" + tok, token: tok})
		// Or in a body the server refuses.
		badSend(t, srv.URL, badCase{method: "POST", path: "/api/v1/users", token: tok,
			body: []byte(`{"data":{"type":"users","attributes":{"username":"` + tok + `","password":"` + tok + `"}}}`)})
	}
	base := srv.Config.PublicURL
	for _, u := range secrets.setupURLs {
		path := strings.TrimPrefix(u, base)
		for _, rq := range []badCase{
			{method: "GET", path: path},
			{method: "POST", path: path + "/begin", contentType: "application/json", body: []byte(`{}`)},
			{method: "POST", path: path + "/finish", contentType: "application/json", body: []byte(`{"id":"x","rawId":"x","type":"public-key","response":{}}`)},
			{method: "POST", path: path + "/finish", contentType: "application/json", body: []byte(`not json`)},
			{method: "GET", path: path + "x"},                                      // a mistyped link
			{method: "GET", path: strings.Replace(path, "/setup/", "/setup//", 1)}, // a mangled one
		} {
			rq.token = "-"
			passkeySend(t, base, rq)
		}
	}
	for _, rq := range []badCase{
		{method: "POST", path: "/signin/begin", contentType: "application/json", body: []byte(`{}`)},
		{method: "POST", path: "/signin/finish", contentType: "application/json", body: []byte(`{"id":"` + secrets.tokens[0] + `","rawId":"eA","type":"public-key","response":{"clientDataJSON":"e30","authenticatorData":"AA","signature":"AA","userHandle":"AA"}}`)},
		{method: "GET", path: "/account"},
	} {
		rq.token = "-"
		passkeySend(t, base, rq)
	}
	if err := srv.Server.FlushTokenUse(context.Background()); err != nil {
		t.Fatal(err)
	}

	logs := srv.Logs()
	if !strings.Contains(logs, "/setup/") || !strings.Contains(logs, "/api/v1/account") || !strings.Contains(logs, "status=401") {
		t.Fatalf("the captured log does not show the requests; is logging on?\n%s", logs)
	}
	if !strings.Contains(logs, "passkey ceremony refused") || !strings.Contains(logs, "/setup/REDACTED/begin") {
		t.Fatalf("the passkey ceremonies did not run (no refused ceremony or setup begin in the log):\n%s", logs)
	}
	for _, needle := range append(secrets.needles(), strings.TrimPrefix(unknown, "rc_"), strings.TrimPrefix(malformed, "rc_")) {
		if i := strings.Index(logs, needle); i >= 0 {
			start := strings.LastIndex(logs[:i], "\n") + 1
			end := strings.Index(logs[i:], "\n")
			if end < 0 {
				end = len(logs) - i
			}
			t.Errorf("secret %.12s… is in the server log:\n%s", needle, logs[start:i+end])
		}
	}
}

// passkeySend sends a browser-style request to the pages: same-origin, so
// that cross-origin protection lets it through to the handlers.
func passkeySend(t *testing.T, base string, c badCase) {
	t.Helper()
	req, err := http.NewRequest(c.method, base+c.path, strings.NewReader(string(c.body)))
	if err != nil {
		t.Fatal(err)
	}
	if c.contentType != "" {
		req.Header.Set("Content-Type", c.contentType)
	}
	req.Header.Set("Origin", base)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", c.method, c.path, err)
	}
	resp.Body.Close()
}
