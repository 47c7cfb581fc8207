package server_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/rollcall/rollcall/api"
	"github.com/rollcall/rollcall/internal/testserver"
	"github.com/rollcall/rollcall/internal/testutil/pgtest"
)

// TestMain runs the tests, then, on a full run, checks that every
// operation in api/openapi.json was exercised and validated at least once.
func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if code == 0 && flag.Lookup("test.run").Value.String() == "" {
		if missing := unexercisedOperations(); len(missing) > 0 {
			fmt.Fprintf(os.Stderr, "FAIL: these operations of api/openapi.json were never exercised by a test:\n  %s\n", strings.Join(missing, "\n  "))
			code = 1
		}
	}
	pgtest.Cleanup()
	os.Exit(code)
}

// exercised records the operations ("GET /api/v1/users/{id}") whose
// exchanges were checked against the description.
var exercised sync.Map

// operationOf finds the described operation a request path belongs to.
func operationOf(method, path string) string {
	for _, tmpl := range describedPaths() {
		re := "^" + regexp.MustCompile(`\\\{[^}]+\\\}`).ReplaceAllString(regexp.QuoteMeta(tmpl), `[^/]+`) + "$"
		if regexp.MustCompile(re).MatchString(path) {
			return method + " " + tmpl
		}
	}
	return ""
}

var describedPaths = sync.OnceValue(func() []string {
	var doc struct {
		Paths map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(api.OpenAPI, &doc); err != nil {
		panic(err)
	}
	var out []string
	for p := range doc.Paths {
		out = append(out, p)
	}
	// Literal paths before templated ones, so /users/{id} does not swallow more specific paths.
	sort.Slice(out, func(i, j int) bool {
		return strings.Count(out[i], "{") < strings.Count(out[j], "{") || strings.Count(out[i], "{") == strings.Count(out[j], "{") && out[i] < out[j]
	})
	return out
})

func unexercisedOperations() []string {
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(api.OpenAPI, &doc); err != nil {
		return []string{err.Error()}
	}
	var missing []string
	for path, item := range doc.Paths {
		for method := range item {
			if method == "parameters" {
				continue
			}
			op := strings.ToUpper(method) + " " + path
			if _, ok := exercised.Load(op); !ok {
				missing = append(missing, op)
			}
		}
	}
	sort.Strings(missing)
	return missing
}

// openAPIValidator is built once from api/openapi.json; every exchange the
// tests make goes through it (see call), so the description is checked
// against the real requests and responses of every endpoint exercised.
var openAPIValidator = sync.OnceValues(func() (validator.Validator, error) {
	doc, err := libopenapi.NewDocument(api.OpenAPI)
	if err != nil {
		return nil, err
	}
	v, errs := validator.NewValidator(doc)
	if len(errs) > 0 {
		return nil, fmt.Errorf("%v", errs)
	}
	if ok, verrs := v.ValidateDocument(); !ok {
		var b strings.Builder
		for _, e := range verrs {
			fmt.Fprintf(&b, "%s: %s\n", e.Message, e.Reason)
		}
		return nil, fmt.Errorf("api/openapi.json is not a valid OpenAPI document:\n%s", b.String())
	}
	return v, nil
})

// validatorMu serialises validation: the validator's caches are not
// documented as safe for concurrent use.
var validatorMu sync.Mutex

// resp is a response as a test sees it.
type resp struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into a generic value.
func (r resp) JSON(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("response body is not a JSON object: %v\n%s", err, r.Body)
	}
	return m
}

// Errors decodes an error document.
func (r resp) Errors(t testing.TB) []api.Error {
	t.Helper()
	var doc api.ErrorDocument
	if err := json.Unmarshal(r.Body, &doc); err != nil || len(doc.Errors) == 0 {
		t.Fatalf("response is not an error document (%v): %s", err, r.Body)
	}
	return doc.Errors
}

// req describes one request.
type req struct {
	method, path, token string
	body                any // string and []byte are sent as is, anything else as JSON
	header              map[string]string
	noValidate          bool // the request is deliberately outside the API description
}

// call sends rq to srv and checks the exchange against the OpenAPI
// description: the response always, the request when the server accepted it.
func call(t testing.TB, srv *testserver.Server, rq req) resp {
	t.Helper()
	var raw []byte
	switch b := rq.body.(type) {
	case nil:
	case string:
		raw = []byte(b)
	case []byte:
		raw = b
	default:
		var err error
		if raw, err = json.Marshal(b); err != nil {
			t.Fatal(err)
		}
	}
	var body io.Reader
	if raw != nil {
		body = bytes.NewReader(raw)
	}
	hr, err := http.NewRequest(rq.method, srv.URL+rq.path, body)
	if err != nil {
		t.Fatal(err)
	}
	if raw != nil {
		hr.Header.Set("Content-Type", api.MediaType)
	}
	hr.Header.Set("Accept", api.MediaType)
	if rq.token != "" {
		hr.Header.Set("Authorization", "Bearer "+rq.token)
	}
	for k, v := range rq.header {
		if v == "" {
			hr.Header.Del(k)
		} else {
			hr.Header.Set(k, v)
		}
	}
	res, err := http.DefaultClient.Do(hr)
	if err != nil {
		t.Fatalf("%s %s: %v", rq.method, rq.path, err)
	}
	defer res.Body.Close()
	got, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	out := resp{Status: res.StatusCode, Header: res.Header, Body: got}
	if !rq.noValidate {
		checkAgainstOpenAPI(t, rq, hr, raw, res, got)
		if op := operationOf(rq.method, hr.URL.Path); op != "" {
			exercised.Store(op, true)
		}
	}
	return out
}

func checkAgainstOpenAPI(t testing.TB, rq req, hr *http.Request, raw []byte, res *http.Response, got []byte) {
	t.Helper()
	v, err := openAPIValidator()
	if err != nil {
		t.Fatal(err)
	}
	validatorMu.Lock()
	defer validatorMu.Unlock()
	// Rebuild bodies: the validator reads them.
	vreq := hr.Clone(hr.Context())
	vreq.URL.Host, vreq.URL.Scheme = "", ""
	if raw != nil {
		vreq.Body = io.NopCloser(bytes.NewReader(raw))
	}
	vres := *res
	vres.Body = io.NopCloser(bytes.NewReader(got))
	vres.Request = vreq
	var problems []string
	if res.StatusCode < 300 {
		if ok, errs := v.ValidateHttpRequestSync(vreq); !ok {
			for _, e := range errs {
				problems = append(problems, "request: "+describe(e.Message, e.Reason, e.SchemaValidationErrors))
			}
		}
		if raw != nil {
			vreq.Body = io.NopCloser(bytes.NewReader(raw))
		}
	}
	if ok, errs := v.ValidateHttpResponse(vreq, &vres); !ok {
		for _, e := range errs {
			problems = append(problems, "response: "+describe(e.Message, e.Reason, e.SchemaValidationErrors))
		}
	}
	if len(problems) > 0 {
		t.Errorf("%s %s → %d does not match api/openapi.json:\n  %s\nrequest body: %s\nresponse body: %s",
			rq.method, rq.path, res.StatusCode, strings.Join(problems, "\n  "), truncate(raw), truncate(got))
	}
}

func describe[E any](msg, reason string, details []E) string {
	s := msg
	if reason != "" {
		s += ": " + reason
	}
	for _, d := range details {
		s += fmt.Sprintf("\n    %+v", d)
	}
	return s
}

func truncate(b []byte) string {
	if len(b) > 2000 {
		return string(b[:2000]) + "…"
	}
	return string(b)
}

// userBody is a POST /users document with the given attributes.
func userBody(attrs map[string]any) map[string]any {
	return map[string]any{"data": map[string]any{"type": "users", "attributes": attrs}}
}

// mustStatus fails the test when r's status is not want.
func mustStatus(t testing.TB, r resp, want int) {
	t.Helper()
	if r.Status != want {
		t.Fatalf("status %d, want %d; body: %s", r.Status, want, truncate(r.Body))
	}
}

// createUser creates a user through the API and returns its resource.
func createUser(t testing.TB, srv *testserver.Server, attrs map[string]any) api.User {
	t.Helper()
	r := call(t, srv, req{method: "POST", path: "/api/v1/users", token: srv.AdminToken, body: userBody(attrs)})
	mustStatus(t, r, http.StatusCreated)
	var doc api.Document[api.User]
	if err := json.Unmarshal(r.Body, &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Data
}

// createGroup creates a group through the API and returns its resource.
func createGroup(t testing.TB, srv *testserver.Server, name string, members ...string) api.Group {
	t.Helper()
	data := map[string]any{"type": "groups", "attributes": map[string]any{"name": name}}
	if members != nil {
		data["relationships"] = map[string]any{"members": map[string]any{"data": api.Identifiers("users", members)}}
	}
	r := call(t, srv, req{method: "POST", path: "/api/v1/groups", token: srv.AdminToken, body: map[string]any{"data": data}})
	mustStatus(t, r, http.StatusCreated)
	var doc api.Document[api.Group]
	if err := json.Unmarshal(r.Body, &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Data
}

// firstError returns the only (or first) error object and checks its code
// and pointer.
func wantError(t testing.TB, r resp, status int, code, pointer string) api.Error {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d (%s); body: %s", r.Status, status, code, truncate(r.Body))
	}
	for _, e := range r.Errors(t) {
		if e.Code == code {
			ptr := ""
			if e.Source != nil {
				ptr = e.Source.Pointer
			}
			if ptr != pointer {
				t.Fatalf("error %s has pointer %q, want %q: %s", code, ptr, pointer, r.Body)
			}
			if e.Detail == "" || e.Title == "" || e.Status != fmt.Sprint(status) {
				t.Fatalf("error %s lacks title, detail or status: %+v", code, e)
			}
			return e
		}
	}
	t.Fatalf("no error with code %s in %s", code, r.Body)
	return api.Error{}
}
