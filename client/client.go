// Package client is the public Go client of the Rollcall REST API
// (JSON:API, /api/v1). The rollcall CLI and the Terraform provider are built
// on it.
//
// Every call takes a context. Failed requests come back as *APIError
// carrying the server's error code, detail and source pointer; a 404 also
// matches ErrNotFound with errors.Is. Requests are retried with exponential
// backoff and jitter, honouring Retry-After, but a request that is not
// idempotent (POST, PATCH) is retried only when the server provably did not
// act on it: the connection was refused, or the server answered 429, or
// 503 with Retry-After. A POST that timed out or got a 500 is never sent
// twice, so retries cannot create a user twice.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/rollcall/rollcall/api"
)

// APIPrefix is the path of the API under the server's address; New drops
// it from a base URL that ends in it.
const APIPrefix = "/api/v1"

// DefaultUserAgent is sent when WithUserAgent is not used.
const DefaultUserAgent = "rollcall-go-client/1"

// Defaults of the retry policy; see WithRetries.
const (
	DefaultMaxRetries = 4
	DefaultBackoff    = 250 * time.Millisecond
	maxBackoff        = 30 * time.Second
	maxResponseBody   = 64 << 20
)

// Client talks to one Rollcall server. It is safe for concurrent use.
type Client struct {
	base       *url.URL
	token      string
	http       *http.Client
	userAgent  string
	timeout    time.Duration
	maxRetries int
	backoff    time.Duration

	// Users manages users and their group memberships.
	Users *UsersService
	// Groups manages groups and their members.
	Groups *GroupsService
	// Tokens manages API tokens.
	Tokens *TokensService
	// Audit reads the audit log.
	Audit *AuditService
	// OIDCClients manages the applications that sign people in with Rollcall.
	OIDCClients *OIDCClientsService
}

// Option configures a Client.
type Option func(*Client)

// WithToken sets the API token sent as "Authorization: Bearer".
func WithToken(token string) Option { return func(c *Client) { c.token = token } }

// WithHTTPClient replaces the HTTP client (transport, proxies, TLS).
func WithHTTPClient(h *http.Client) Option { return func(c *Client) { c.http = h } }

// WithTimeout bounds each HTTP attempt; retries get their own budget, and
// the caller's context bounds the whole call. Zero means no per-attempt
// limit.
func WithTimeout(d time.Duration) Option { return func(c *Client) { c.timeout = d } }

// WithUserAgent sets the User-Agent header, so server logs can tell the CLI,
// the Terraform provider and scripts apart.
func WithUserAgent(ua string) Option { return func(c *Client) { c.userAgent = ua } }

// WithRetries sets how many times a failed request may be retried (0
// disables retries) and the base of the exponential backoff.
func WithRetries(max int, backoff time.Duration) Option {
	return func(c *Client) {
		if max < 0 {
			max = 0
		}
		c.maxRetries = max
		if backoff > 0 {
			c.backoff = backoff
		}
	}
}

// New returns a client for the server at baseURL, such as
// "https://rollcall.example.com" (the /api/v1 prefix is added by the
// client).
func New(baseURL string, opts ...Option) (*Client, error) {
	u, err := url.Parse(strings.TrimSpace(baseURL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("rollcall: server URL %q must be an absolute http:// or https:// URL such as https://rollcall.example.com", baseURL)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	// The client adds /api/v1 itself; a URL that already ends in it is the
	// common mistake of giving the API's base rather than the server's.
	u.Path = strings.TrimSuffix(u.Path, APIPrefix)
	u.RawPath = ""
	u.RawQuery, u.Fragment = "", ""
	c := &Client{
		base:       u,
		http:       &http.Client{},
		userAgent:  DefaultUserAgent,
		maxRetries: DefaultMaxRetries,
		backoff:    DefaultBackoff,
	}
	for _, o := range opts {
		o(c)
	}
	if c.http == nil {
		c.http = &http.Client{}
	}
	c.Users = &UsersService{c: c}
	c.Groups = &GroupsService{c: c}
	c.Tokens = &TokensService{c: c}
	c.OIDCClients = &OIDCClientsService{c: c}
	c.Audit = &AuditService{c: c}
	return c, nil
}

// BaseURL returns the server URL the client was made with.
func (c *Client) BaseURL() string { return c.base.String() }

// Account returns the user the token belongs to (GET /api/v1/account).
func (c *Client) Account(ctx context.Context) (*api.User, error) {
	doc, _, err := getOne[api.User](ctx, c, "/api/v1/account", nil)
	if err != nil {
		return nil, err
	}
	return &doc.Data, nil
}

// AccountWithGroups returns the token's user and the groups it is a
// member of, in one request (include=groups). Unlike listing groups, this
// works for a non-admin token too.
func (c *Client) AccountWithGroups(ctx context.Context) (*api.User, []api.Group, error) {
	return withGroups(getOne[api.User](ctx, c, "/api/v1/account", includeGroups(nil)))
}

// getOne reads the single resource at path and returns its document and
// ETag: the one read every Get, GetWithETag and Account shares.
func getOne[T any](ctx context.Context, c *Client, path string, q url.Values) (*api.Document[T], string, error) {
	var doc api.Document[T]
	r, err := c.do(ctx, request{method: http.MethodGet, path: path, query: q}, &doc)
	if err != nil {
		return nil, "", err
	}
	return &doc, r.header.Get("ETag"), nil
}

// withGroups splits a user document read with include=groups into the
// user and its groups.
func withGroups(doc *api.Document[api.User], _ string, err error) (*api.User, []api.Group, error) {
	if err != nil {
		return nil, nil, err
	}
	groups, err := includedGroups(doc.Included)
	if err != nil {
		return nil, nil, err
	}
	return &doc.Data, groups, nil
}

// request is one API call, kept whole so that it can be sent again.
type request struct {
	method      string
	path        string // under the base URL, or an absolute URL (links.next)
	query       url.Values
	body        any
	contentType string
	ifMatch     string
}

// response is what do hands back besides the decoded body.
type response struct {
	status int
	header http.Header
	raw    []byte
}

// do sends r, retrying as the policy allows, and decodes a successful JSON
// body into out (when out is not nil and the body is not empty).
func (c *Client) do(ctx context.Context, r request, out any) (*response, error) {
	target, err := c.resolve(r.path, r.query)
	if err != nil {
		return nil, err
	}
	var body []byte
	if r.body != nil {
		if body, err = json.Marshal(r.body); err != nil {
			return nil, fmt.Errorf("rollcall: encoding %s %s request: %w", r.method, r.path, err)
		}
	}
	idempotent := isIdempotent(r.method)
	for attempt := 0; ; attempt++ {
		resp, err := c.attempt(ctx, r, target, body)
		retry, wait := false, time.Duration(0)
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return nil, fmt.Errorf("rollcall: %s %s: %w", r.method, target.Redacted(), ctx.Err())
			}
			ce := &ConnectionError{Method: r.method, URL: target.Redacted(), Host: target.Host, Err: err}
			retry = (idempotent || notSent(err)) && !ce.permanent()
			err = ce
		case resp.status >= 200 && resp.status < 300:
			if out != nil && len(bytes.TrimSpace(resp.raw)) > 0 {
				if err := json.Unmarshal(resp.raw, out); err != nil {
					if ct := mediaType(resp.header.Get("Content-Type")); !strings.Contains(ct, "json") {
						if ct == "" {
							ct = "no Content-Type"
						}
						return resp, fmt.Errorf("%s is not a Rollcall server: %s %s answered %d %s with %s, not a JSON:API document; check the URL (the server's address, such as https://rollcall.example.com)",
							target.Host, r.method, target.Path, resp.status, http.StatusText(resp.status), ct)
					}
					return resp, fmt.Errorf("rollcall: %s %s: the server's answer is not the expected JSON:API document: %w", r.method, target.Redacted(), err)
				}
			}
			return resp, nil
		default:
			err = newAPIError(r.method, target, resp)
			retryAfter, hasRetryAfter := parseRetryAfter(resp.header.Get("Retry-After"), time.Now())
			switch resp.status {
			case http.StatusTooManyRequests:
				retry = true
			case http.StatusServiceUnavailable:
				retry = idempotent || hasRetryAfter
			case http.StatusBadGateway, http.StatusGatewayTimeout:
				retry = idempotent
			}
			if hasRetryAfter {
				wait = retryAfter
			}
		}
		if !retry || attempt >= c.maxRetries {
			return resp, err
		}
		if wait == 0 {
			wait = c.backoffFor(attempt)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return resp, err
		case <-t.C:
		}
	}
}

// attempt sends the request once and reads the whole response body.
func (c *Client) attempt(ctx context.Context, r request, target *url.URL, body []byte) (*response, error) {
	if c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, target.String(), rd)
	if err != nil {
		return nil, err
	}
	accept := api.MediaType
	if body != nil {
		ct := r.contentType
		if ct == "" {
			ct = api.MediaType
		}
		req.Header.Set("Content-Type", ct)
		accept = ct
	}
	req.Header.Set("Accept", accept)
	req.Header.Set("User-Agent", c.userAgent)
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if r.ifMatch != "" {
		req.Header.Set("If-Match", r.ifMatch)
	}
	res, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, maxResponseBody))
	if err != nil {
		// The server answered, so it may have acted: only idempotent
		// requests may be retried, which the caller decides from the
		// error (not a dial error).
		return nil, fmt.Errorf("reading the response: %w", err)
	}
	return &response{status: res.StatusCode, header: res.Header, raw: raw}, nil
}

func (c *Client) resolve(path string, q url.Values) (*url.URL, error) {
	ref, err := url.Parse(path)
	if err != nil {
		return nil, fmt.Errorf("rollcall: bad request path %q: %w", path, err)
	}
	var u *url.URL
	if ref.IsAbs() {
		u = ref
	} else {
		b := *c.base
		b.Path = c.base.Path + ref.Path
		b.RawPath = ""
		b.RawQuery = ref.RawQuery
		u = &b
	}
	if len(q) > 0 {
		merged := u.Query()
		for k, vs := range q {
			merged[k] = vs
		}
		u.RawQuery = merged.Encode()
	}
	return u, nil
}

// isIdempotent reports whether sending the request twice has the effect of
// sending it once. PATCH is not: with relationship replaces and counters a
// repeated PATCH is not guaranteed harmless, even with If-Match.
func isIdempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}

// notSent reports whether err proves the request never reached the server:
// the TCP connection could not be made (refused, unreachable, DNS). A
// timeout or a reset after connecting proves nothing.
func notSent(err error) bool {
	if errors.Is(err, syscall.ECONNREFUSED) {
		return true
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" && !op.Timeout() {
		return true
	}
	var dns *net.DNSError
	return errors.As(err, &dns) && dns.IsNotFound
}

// backoffFor is exponential backoff with full jitter: a random wait in
// [base*2^attempt/2, base*2^attempt), capped.
func (c *Client) backoffFor(attempt int) time.Duration {
	d := c.backoff << min(attempt, 16)
	if d <= 0 || d > maxBackoff {
		d = maxBackoff
	}
	half := d / 2
	return half + rand.N(half+1)
}

// parseRetryAfter reads a Retry-After header in seconds or as an HTTP date.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	var d time.Duration
	if s, err := strconv.Atoi(v); err == nil {
		if s < 0 {
			return 0, false
		}
		d = time.Duration(s) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = max(t.Sub(now), 0)
	} else {
		return 0, false
	}
	return min(d, 5*time.Minute), true
}
