package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rollcall/rollcall/api"
)

// scripted is a server answering each request with the next status of a
// script (the last one repeats) and counting the requests it saw.
type scripted struct {
	statuses   []int
	retryAfter string
	count      atomic.Int32
}

func (s *scripted) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := int(s.count.Add(1)) - 1
	st := s.statuses[min(n, len(s.statuses)-1)]
	w.Header().Set("Content-Type", api.MediaType)
	w.Header().Set("X-Request-Id", fmt.Sprintf("req-%d", n))
	if st >= 400 {
		if s.retryAfter != "" {
			w.Header().Set("Retry-After", s.retryAfter)
		}
		w.WriteHeader(st)
		fmt.Fprintf(w, `{"errors":[{"status":"%d","code":"boom","title":"Boom","detail":"try again"}]}`, st)
		return
	}
	w.WriteHeader(st)
	fmt.Fprint(w, `{"data":{"type":"users","id":"u1","attributes":{"username":"jane"}}}`)
}

func newTestClient(t *testing.T, url string, opts ...Option) *Client {
	t.Helper()
	c, err := New(url, append([]Option{WithToken("rc_test"), WithRetries(3, time.Millisecond)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestRetryPolicy(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name       string
		statuses   []int
		retryAfter string
		post       bool
		wantCalls  int32
		wantErr    bool
	}{
		{"GET retried on 503 until it works", []int{503, 503, 200}, "", false, 3, false},
		{"GET retried on 502 and 504", []int{502, 504, 200}, "", false, 3, false},
		{"GET gives up after max retries", []int{503}, "", false, 4, true},
		{"GET not retried on 500", []int{500, 200}, "", false, 1, true},
		{"GET not retried on 404", []int{404}, "", false, 1, true},
		{"POST never retried after 500", []int{500, 201}, "", true, 1, true},
		{"POST not retried on 502", []int{502, 201}, "", true, 1, true},
		{"POST not retried on 504", []int{504, 201}, "", true, 1, true},
		{"POST not retried on 503 without Retry-After", []int{503, 201}, "", true, 1, true},
		{"POST retried on 503 with Retry-After", []int{503, 201}, "0", true, 2, false},
		{"POST retried on 429", []int{429, 429, 201}, "0", true, 3, false},
		{"POST not retried on 409", []int{409, 201}, "", true, 1, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := &scripted{statuses: tc.statuses, retryAfter: tc.retryAfter}
			srv := httptest.NewServer(s)
			defer srv.Close()
			c := newTestClient(t, srv.URL)
			var err error
			if tc.post {
				_, err = c.Users.Create(ctx, api.UserWriteAttributes{Username: api.Some("jane")}, nil, "")
			} else {
				_, err = c.Users.Get(ctx, "u1")
			}
			if got := s.count.Load(); got != tc.wantCalls {
				t.Errorf("server saw %d requests, want %d", got, tc.wantCalls)
			}
			if (err != nil) != tc.wantErr {
				t.Errorf("err = %v, want error: %v", err, tc.wantErr)
			}
		})
	}
}

func TestPOSTNotRetriedAfterTimeout(t *testing.T) {
	var count atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		count.Add(1)
		select {
		case <-r.Context().Done():
		case <-time.After(2 * time.Second):
		}
	}))
	defer srv.Close()
	c := newTestClient(t, srv.URL, WithTimeout(50*time.Millisecond))
	_, err := c.Users.Create(context.Background(), api.UserWriteAttributes{Username: api.Some("jane")}, nil, "")
	if err == nil {
		t.Fatal("Create succeeded against a server that never answers")
	}
	if got := count.Load(); got != 1 {
		t.Errorf("a timed-out POST was sent %d times; it must be sent once", got)
	}
}

// countingTransport counts round trips, including those that never reach
// a server.
type countingTransport struct{ n atomic.Int32 }

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return http.DefaultTransport.RoundTrip(r)
}

func TestPOSTRetriedWhenConnectionRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now: every dial is refused
	tr := &countingTransport{}
	c := newTestClient(t, "http://"+addr, WithHTTPClient(&http.Client{Transport: tr}))
	_, err = c.Users.Create(context.Background(), api.UserWriteAttributes{Username: api.Some("jane")}, nil, "")
	if err == nil {
		t.Fatal("Create succeeded with nothing listening")
	}
	if got := tr.n.Load(); got != 4 {
		t.Errorf("POST tried %d times against a refused connection, want 1 + 3 retries", got)
	}
	if !strings.Contains(err.Error(), "refused") {
		t.Errorf("error %q does not say the connection was refused", err)
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	s := &scripted{statuses: []int{429, 200}, retryAfter: "1"}
	srv := httptest.NewServer(s)
	defer srv.Close()
	c := newTestClient(t, srv.URL)
	start := time.Now()
	if _, err := c.Users.Get(context.Background(), "u1"); err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(start); waited < 900*time.Millisecond {
		t.Errorf("retried after %v; the server asked for Retry-After: 1", waited)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Duration{
		"3":                             3 * time.Second,
		"Mon, 23 Nov 2026 12:00:10 GMT": 10 * time.Second,
		"Mon, 23 Nov 2026 11:00:00 GMT": 0,
		"99999":                         5 * time.Minute,
	} {
		got, ok := parseRetryAfter(in, now)
		if !ok || got != want {
			t.Errorf("parseRetryAfter(%q) = %v, %v; want %v", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "soon", "-1"} {
		if _, ok := parseRetryAfter(in, now); ok {
			t.Errorf("parseRetryAfter(%q) accepted a bad value", in)
		}
	}
}

func TestAPIErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Request-Id", "req-42")
		switch r.URL.Path {
		case "/api/v1/users/missing":
			w.WriteHeader(404)
			fmt.Fprint(w, `{"errors":[{"status":"404","code":"not_found","title":"Not found","detail":"no user has id missing"}]}`)
		case "/api/v1/users":
			w.WriteHeader(422)
			fmt.Fprint(w, `{"errors":[{"status":"422","code":"invalid_email","title":"Invalid email address","detail":"email \"x\" is not a valid address","source":{"pointer":"/data/attributes/email"}}]}`)
		default:
			w.WriteHeader(502)
			fmt.Fprint(w, `<html>bad gateway</html>`)
		}
	}))
	defer srv.Close()
	c := newTestClient(t, srv.URL, WithRetries(0, 0))
	ctx := context.Background()

	_, err := c.Users.Get(ctx, "missing")
	if !errors.Is(err, ErrNotFound) || !IsNotFound(err) {
		t.Errorf("404 error %v does not match ErrNotFound", err)
	}
	ae, ok := AsAPIError(err)
	if !ok || ae.StatusCode != 404 || ae.RequestID != "req-42" || ae.Code() != "not_found" {
		t.Errorf("404 error = %#v", ae)
	}

	_, err = c.Users.Create(ctx, api.UserWriteAttributes{Email: api.Some("x")}, nil, "")
	ae, ok = AsAPIError(err)
	if !ok || ae.Code() != "invalid_email" || ae.Pointer() != "/data/attributes/email" || ae.Detail() != `email "x" is not a valid address` {
		t.Fatalf("422 error = %#v", err)
	}
	if want := `invalid_email at /data/attributes/email: email "x" is not a valid address`; err.Error() != want {
		t.Errorf("error text = %q, want %q", err, want)
	}
	if IsNotFound(err) || IsConflict(err) || IsUnauthorized(err) {
		t.Errorf("422 matched another kind of error")
	}

	_, err = c.Groups.Get(ctx, "g1")
	if err == nil || !strings.Contains(err.Error(), "502 Bad Gateway: <html>bad gateway</html>") {
		t.Errorf("non-JSON:API error = %v, want the status and the body", err)
	}
}

func TestListFollowsNextLinks(t *testing.T) {
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, r.URL.RawQuery)
		doc := api.Document[[]api.User]{Data: []api.User{}, Links: &api.Links{}}
		switch r.URL.Query().Get("page[after]") {
		case "":
			if r.URL.Query().Get("filter[q]") != "ja" || r.URL.Query().Get("page[size]") != "2" {
				t.Errorf("first request query = %q", r.URL.RawQuery)
			}
			doc.Data = append(doc.Data, api.User{ID: "1"}, api.User{ID: "2"})
			doc.Links.Next = "/api/v1/users?filter[q]=ja&page[size]=2&page[after]=c2"
		case "c2":
			doc.Data = append(doc.Data, api.User{ID: "3"}, api.User{ID: "4"})
			doc.Links.Next = "http://" + r.Host + "/api/v1/users?filter[q]=ja&page[size]=2&page[after]=c4"
		case "c4":
			doc.Data = append(doc.Data, api.User{ID: "5"})
		}
		json.NewEncoder(w).Encode(doc)
	}))
	defer srv.Close()
	c := newTestClient(t, srv.URL)
	users, err := c.Users.List(context.Background(), ListUsersOptions{Query: "ja", PageSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, u := range users {
		ids = append(ids, u.ID)
	}
	if strings.Join(ids, ",") != "1,2,3,4,5" || len(seen) != 3 {
		t.Errorf("List read ids %v in %d requests, want 1..5 in 3", ids, len(seen))
	}

	// Stopping the iterator stops fetching.
	seen = nil
	for u, err := range c.Users.All(context.Background(), ListUsersOptions{Query: "ja", PageSize: 2}) {
		if err != nil {
			t.Fatal(err)
		}
		if u.ID == "2" {
			break
		}
	}
	if len(seen) != 1 {
		t.Errorf("breaking after the first page made %d requests, want 1", len(seen))
	}
}

func TestGetByUsernameNotFound(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("filter[username]") != "nobody" {
			t.Errorf("query = %q", r.URL.RawQuery)
		}
		fmt.Fprint(w, `{"data":[],"links":{}}`)
	}))
	defer srv.Close()
	c := newTestClient(t, srv.URL)
	_, err := c.Users.GetByUsername(context.Background(), "nobody")
	if !IsNotFound(err) || !strings.Contains(err.Error(), `no user has username "nobody"`) {
		t.Errorf("err = %v, want a not-found error naming the username", err)
	}
}

func TestRequestHeadersAndBody(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if got := r.Header.Get("Authorization"); got != "Bearer rc_test" {
			t.Errorf("Authorization = %q", got)
		}
		if got := r.Header.Get("User-Agent"); got != "test-agent" {
			t.Errorf("User-Agent = %q", got)
		}
		switch r.URL.Path {
		case "/api/v1/users/u1":
			if r.Header.Get("If-Match") != `"7"` || r.Header.Get("Content-Type") != api.MediaType {
				t.Errorf("headers = %v", r.Header)
			}
			var body map[string]any
			json.NewDecoder(r.Body).Decode(&body)
			b, _ := json.Marshal(body)
			want := `{"data":{"attributes":{"first-name":null,"title":"CTO"},"id":"u1","relationships":{"groups":{"data":[]}},"type":"users"}}`
			if string(b) != want {
				t.Errorf("PATCH body = %s\nwant %s", b, want)
			}
			fmt.Fprint(w, `{"data":{"type":"users","id":"u1"}}`)
		case "/api/v1/operations":
			if r.Header.Get("Content-Type") != api.AtomicMediaType {
				t.Errorf("operations Content-Type = %q", r.Header.Get("Content-Type"))
			}
			fmt.Fprint(w, `{"atomic:results":[{"data":{"type":"users","id":"u9"}},{}]}`)
		}
	}))
	defer srv.Close()
	c := newTestClient(t, srv.URL, WithUserAgent("test-agent"))
	ctx := context.Background()
	none := []string{}
	if _, err := c.Users.Update(ctx, "u1", api.UserWriteAttributes{FirstName: api.Null[string](), Title: api.Some("CTO")}, &none, `"7"`); err != nil {
		t.Fatal(err)
	}
	res, err := c.Operations(ctx, []Operation{AddUser(api.UserWriteAttributes{Username: api.Some("x")}, nil, ""), RemoveUser("u2")})
	if err != nil || len(res) != 2 || !strings.Contains(string(res[0].Data), "u9") {
		t.Errorf("Operations = %v, %v", res, err)
	}
	if _, err := c.Operations(ctx, make([]Operation, api.MaxAtomicOperations+1)); err == nil {
		t.Error("1001 operations were sent in one request")
	}
}

func TestOperationIndex(t *testing.T) {
	for ptr, want := range map[string]int{"/atomic:operations/12/data/attributes/email": 12, "/atomic:operations/0": 0, "/data": -1} {
		if got := OperationIndex(api.Error{Source: &api.ErrorSource{Pointer: ptr}}); got != want {
			t.Errorf("OperationIndex(%q) = %d, want %d", ptr, got, want)
		}
	}
}

func TestNewRejectsBadURL(t *testing.T) {
	for _, u := range []string{"", "localhost:8080", "ftp://x"} {
		if _, err := New(u); err == nil {
			t.Errorf("New(%q) accepted a bad URL", u)
		}
	}
}
