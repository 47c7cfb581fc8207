package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
	"github.com/rollcall/rollcall/api"
	"github.com/rollcall/rollcall/internal/testserver"
	"github.com/rollcall/rollcall/internal/testutil/pgtest"
)

// TestMain runs the tests, then, on a full run, checks that every
// operation in api/openapi.json was exercised and validated at least once.
func TestMain(m *testing.M) {
	flag.Parse()
	// Every request the tests send with http.DefaultClient (call, badSend
	// and any other) is checked against the description on its way back.
	http.DefaultClient.Transport = validatingTransport{base: http.DefaultTransport}
	code := m.Run()
	if code == 0 && flag.Lookup("test.run").Value.String() == "" {
		if missing := unexercisedOperations(); len(missing) > 0 {
			fmt.Fprintf(os.Stderr, "FAIL: these operations of api/openapi.json were never exercised by a test:\n  %s\n", strings.Join(missing, "\n  "))
			code = 1
		}
	}
	if orphans := orphanProblems(); len(orphans) > 0 {
		fmt.Fprintf(os.Stderr, "FAIL: responses outside any test's call did not match api/openapi.json:\n  %s\n", strings.Join(orphans, "\n  "))
		code = 1
	}
	pgtest.Cleanup()
	os.Exit(code)
}

// testKey and skipRequestKey are context keys of requests the tests send.
type (
	testKey        struct{}
	skipRequestKey struct{}
)

// withTest attaches t to a request, so that validatingTransport reports a
// mismatch on t; without it the mismatch fails the run in TestMain.
func withTest(r *http.Request, t testing.TB) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), testKey{}, t))
}

// validatingTransport checks every exchange against api/openapi.json: the
// response always; the request too when the server accepted it, unless the
// request is deliberately outside the description (skipRequestKey). A
// route the description does not have (an unknown path or method under
// /api/v1) must still answer with a complete JSON:API error document.
// Paths outside the API (the web pages) are not checked.
type validatingTransport struct{ base http.RoundTripper }

func (v validatingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	var raw []byte
	if r.Body != nil && r.GetBody != nil {
		if b, err := r.GetBody(); err == nil {
			raw, _ = io.ReadAll(b)
			b.Close()
		}
	}
	res, err := v.base.RoundTrip(r)
	if err != nil {
		return res, err
	}
	got, err := io.ReadAll(res.Body)
	res.Body.Close()
	res.Body = io.NopCloser(bytes.NewReader(got))
	if err != nil {
		return res, nil // the caller sees the short body
	}
	problems := exchangeProblems(r, raw, res, got)
	if len(problems) == 0 {
		return res, nil
	}
	msg := fmt.Sprintf("%s %s → %d does not match api/openapi.json:\n  %s\nrequest body: %s\nresponse body: %s",
		r.Method, r.URL.RequestURI(), res.StatusCode, strings.Join(problems, "\n  "), truncate(raw), truncate(got))
	if t, ok := r.Context().Value(testKey{}).(testing.TB); ok {
		t.Errorf("%s", msg)
	} else {
		orphanMu.Lock()
		orphans = append(orphans, msg)
		orphanMu.Unlock()
	}
	return res, nil
}

var (
	orphanMu sync.Mutex
	orphans  []string
)

func orphanProblems() []string {
	orphanMu.Lock()
	defer orphanMu.Unlock()
	return orphans
}

// describedOperation returns the described operation ("GET
// /api/v1/users/{id}") of a request, or "" when the description has none.
func describedOperation(method, path string) string {
	op := operationOf(method, path)
	if op == "" {
		return ""
	}
	if _, ok := describedOps()[op]; !ok {
		return ""
	}
	return op
}

var describedOps = sync.OnceValue(func() map[string]bool {
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(api.OpenAPI, &doc); err != nil {
		panic(err)
	}
	out := map[string]bool{}
	for path, item := range doc.Paths {
		for method := range item {
			out[strings.ToUpper(method)+" "+path] = true
		}
	}
	return out
})

// exchangeProblems lists how one exchange departs from the description.
func exchangeProblems(hr *http.Request, raw []byte, res *http.Response, got []byte) []string {
	path := hr.URL.Path
	api1 := path == "/api/v1" || strings.HasPrefix(path, "/api/v1/")
	op := describedOperation(hr.Method, path)
	var problems []string
	if api1 && res.StatusCode >= 400 {
		problems = append(problems, errorDocumentProblems(res.StatusCode, res.Header, got)...)
	}
	if op == "" {
		if api1 && res.StatusCode < 400 {
			problems = append(problems, "a route the description does not have answered "+res.Status)
		}
		return problems
	}
	exercised.Store(op, true)
	v, err := openAPIValidator()
	if err != nil {
		return append(problems, err.Error())
	}
	validatorMu.Lock()
	defer validatorMu.Unlock()
	// Rebuild bodies: the validator reads them.
	vreq := hr.Clone(context.Background())
	vreq.URL.Host, vreq.URL.Scheme = "", ""
	if raw != nil {
		vreq.Body = io.NopCloser(bytes.NewReader(raw))
	}
	vres := *res
	vres.Body = io.NopCloser(bytes.NewReader(got))
	vres.Request = vreq
	_, skipRequest := hr.Context().Value(skipRequestKey{}).(bool)
	// A body sent from a plain reader cannot be read again to check it.
	skipRequest = skipRequest || hr.Body != nil && hr.Body != http.NoBody && hr.GetBody == nil
	if res.StatusCode < 300 && !skipRequest {
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
	return problems
}

// errorDocumentProblems checks that an error answer of the API is a
// JSON:API error document whose every error object has the status of the
// answer, a code, a title and a detail.
func errorDocumentProblems(status int, h http.Header, body []byte) []string {
	if ct := h.Get("Content-Type"); ct != api.MediaType {
		return []string{fmt.Sprintf("an error answer of the API has Content-Type %q, want %s", ct, api.MediaType)}
	}
	var doc api.ErrorDocument
	if err := json.Unmarshal(body, &doc); err != nil || len(doc.Errors) == 0 {
		return []string{fmt.Sprintf("an error answer of the API is not a JSON:API error document (%v)", err)}
	}
	var problems []string
	for _, e := range doc.Errors {
		if e.Status != strconv.Itoa(status) || e.Code == "" || e.Title == "" || e.Detail == "" {
			problems = append(problems, fmt.Sprintf("incomplete error object %+v: status %d, code, title and detail are all required", e, status))
		}
	}
	return problems
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
	v, errs := validator.NewValidator(doc, config.WithFormatAssertions(), config.WithCustomFormat("uri", strictURI))
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

// strictURI is the "uri" format as RFC 3986 has it: an absolute URI of only
// the characters a URI may hold, with every percent sign starting an
// escape. The validator's own check (net/url) lets "[" in a query pass,
// which stricter clients and generators refuse.
func strictURI(v any) error {
	s, ok := v.(string)
	if !ok {
		return nil
	}
	u, err := url.Parse(s)
	if err != nil || !u.IsAbs() {
		return fmt.Errorf("%q is not an absolute URI", s)
	}
	if strings.HasPrefix(u.Host, "[") { // an IPv6 literal keeps its brackets
		s = strings.Replace(s, u.Host, "host", 1)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', strings.IndexByte("-._~:/?#@!$&'()*+,;=", c) >= 0:
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
		default:
			return fmt.Errorf("%q holds %q, which a URI must percent-encode (RFC 3986)", s, c)
		}
	}
	return nil
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

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
	noValidate          bool // the request is deliberately outside the API description: check the response only
}

// call sends rq to srv; validatingTransport checks the exchange against the
// OpenAPI description: the response always, the request when the server
// accepted it.
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
	hr = withTest(hr, t)
	if rq.noValidate {
		hr = hr.WithContext(context.WithValue(hr.Context(), skipRequestKey{}, true))
	}
	res, err := http.DefaultClient.Do(hr) // validatingTransport checks the exchange
	if err != nil {
		t.Fatalf("%s %s: %v", rq.method, rq.path, err)
	}
	defer res.Body.Close()
	got, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp{Status: res.StatusCode, Header: res.Header, Body: got}
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
