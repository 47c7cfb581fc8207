package client

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"

	"github.com/rollcall/rollcall/api"
)

// Sentinel errors matched with errors.Is against any error the client
// returns. An *APIError matches the one for its status code.
var (
	ErrNotFound           = errors.New("rollcall: not found")
	ErrConflict           = errors.New("rollcall: conflict")
	ErrUnauthorized       = errors.New("rollcall: unauthorized")
	ErrForbidden          = errors.New("rollcall: forbidden")
	ErrPreconditionFailed = errors.New("rollcall: precondition failed")
)

// APIError is an error answer of the server: its HTTP status, the JSON:API
// error objects it sent and the request id to quote to the operator.
type APIError struct {
	StatusCode int
	Errors     []api.Error
	RequestID  string

	method      string
	url         string
	host        string
	path        string
	contentType string
	body        string // start of a non-JSON:API body, for errors from proxies
}

func newAPIError(method string, u *url.URL, r *response) *APIError {
	e := &APIError{StatusCode: r.status, RequestID: r.header.Get("X-Request-Id"), method: method, url: u.Redacted(),
		host: u.Host, path: u.Path, contentType: mediaType(r.header.Get("Content-Type"))}
	var doc api.ErrorDocument
	if err := json.Unmarshal(r.raw, &doc); err == nil && len(doc.Errors) > 0 {
		e.Errors = doc.Errors
	} else {
		b := strings.TrimSpace(string(r.raw))
		if len(b) > 200 {
			b = b[:200] + "…"
		}
		e.body = b
	}
	return e
}

// Error says what the server refused and why, in the server's words:
// "invalid_email at /data/attributes/email: email "x" is not a valid address…".
func (e *APIError) Error() string {
	if e.Foreign() && e.StatusCode < 500 {
		return fmt.Sprintf("%s is not a Rollcall server: %s %s answered %d %s with %s, not a JSON:API document; check the URL (the server's address, such as https://rollcall.example.com)",
			e.host, e.method, e.path, e.StatusCode, http.StatusText(e.StatusCode), e.contentTypeOrNone())
	}
	if len(e.Errors) == 0 {
		msg := fmt.Sprintf("%s %s: server answered %d %s", e.method, e.url, e.StatusCode, http.StatusText(e.StatusCode))
		if e.body != "" {
			msg += ": " + e.body
		}
		if e.Foreign() {
			msg += " (" + e.contentTypeOrNone() + " rather than a Rollcall error: from a proxy or load balancer in front of the server?)"
		}
		return msg
	}
	parts := make([]string, len(e.Errors))
	for i, x := range e.Errors {
		parts[i] = FormatError(x)
	}
	return strings.Join(parts, "; ")
}

// FormatError renders one JSON:API error object as
// "code at pointer: detail" (falling back to the title without a detail).
func FormatError(x api.Error) string {
	var b strings.Builder
	b.WriteString(x.Code)
	if x.Code == "" {
		b.WriteString(x.Status)
	}
	if x.Source != nil {
		switch {
		case x.Source.Pointer != "":
			b.WriteString(" at " + x.Source.Pointer)
		case x.Source.Parameter != "":
			b.WriteString(" in parameter " + x.Source.Parameter)
		case x.Source.Header != "":
			b.WriteString(" in header " + x.Source.Header)
		}
	}
	b.WriteString(": ")
	if x.Detail != "" {
		b.WriteString(x.Detail)
	} else {
		b.WriteString(x.Title)
	}
	return b.String()
}

// Foreign reports whether the answer came from something other than a
// Rollcall server: an error status with a body that is not a JSON:API
// error document, such as a web server's HTML page or a proxy's.
func (e *APIError) Foreign() bool { return len(e.Errors) == 0 && e.body != "" }

func (e *APIError) contentTypeOrNone() string {
	if e.contentType == "" {
		return "no Content-Type"
	}
	return e.contentType
}

// Is matches the sentinel errors by status code. A foreign answer
// matches none: another web server's 404 says nothing about Rollcall's
// users.
func (e *APIError) Is(target error) bool {
	if e.Foreign() {
		return false
	}
	switch target {
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound
	case ErrConflict:
		return e.StatusCode == http.StatusConflict
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized
	case ErrForbidden:
		return e.StatusCode == http.StatusForbidden
	case ErrPreconditionFailed:
		return e.StatusCode == http.StatusPreconditionFailed
	}
	return false
}

func (e *APIError) first() *api.Error {
	if len(e.Errors) == 0 {
		return nil
	}
	return &e.Errors[0]
}

// Code is the machine code of the first error ("username_taken"), or "".
func (e *APIError) Code() string {
	if f := e.first(); f != nil {
		return f.Code
	}
	return ""
}

// Detail is the human detail of the first error, or its title.
func (e *APIError) Detail() string {
	if f := e.first(); f != nil {
		if f.Detail != "" {
			return f.Detail
		}
		return f.Title
	}
	return http.StatusText(e.StatusCode)
}

// Pointer is the JSON pointer of the first error's source, or "".
func (e *APIError) Pointer() string {
	if f := e.first(); f != nil && f.Source != nil {
		return f.Source.Pointer
	}
	return ""
}

// IsNotFound reports whether err is a 404 or a lookup that found nothing.
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }

// IsConflict reports whether err is a 409 (a name, email or id is taken).
func IsConflict(err error) bool { return errors.Is(err, ErrConflict) }

// IsUnauthorized reports whether err is a 401: no, bad, expired or revoked token.
func IsUnauthorized(err error) bool { return errors.Is(err, ErrUnauthorized) }

// IsPreconditionFailed reports whether err is a 412: the If-Match sent no
// longer names the resource's version, because it changed since it was read.
func IsPreconditionFailed(err error) bool { return errors.Is(err, ErrPreconditionFailed) }

// AsAPIError returns the *APIError in err's chain, if any.
func AsAPIError(err error) (*APIError, bool) {
	var e *APIError
	ok := errors.As(err, &e)
	return e, ok
}

// mediaType is the media type of a Content-Type header, without
// parameters.
func mediaType(ct string) string {
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	return strings.TrimSpace(ct)
}

// ConnectionError is a request that got no HTTP answer: nothing listens at
// the address, the host name does not resolve, TLS failed, or the server
// did not answer in time. Its message says which, in words a person can
// act on; Unwrap gives the network error.
type ConnectionError struct {
	Method string
	URL    string // redacted
	Host   string // host:port as in the URL
	Err    error
}

func (e *ConnectionError) Unwrap() error { return e.Err }

func (e *ConnectionError) Error() string {
	host := e.Host
	name := host
	if h, _, err := net.SplitHostPort(host); err == nil {
		name = h
	}
	var dns *net.DNSError
	var unknownCA x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	var verify *tls.CertificateVerificationError
	var record tls.RecordHeaderError
	var ne net.Error
	switch {
	case errors.Is(e.Err, syscall.ECONNREFUSED):
		return fmt.Sprintf("cannot connect to %s: connection refused; is the Rollcall server running there?", host)
	case errors.As(e.Err, &dns) && dns.IsNotFound:
		return fmt.Sprintf("cannot find the host %q: DNS lookup failed (no such host); check the URL", name)
	case errors.As(e.Err, &dns):
		return fmt.Sprintf("cannot find the host %q: DNS lookup failed: %v", name, dns.Err)
	case errors.As(e.Err, &unknownCA), errors.As(e.Err, &hostname), errors.As(e.Err, &invalid), errors.As(e.Err, &verify):
		return fmt.Sprintf("the TLS certificate of %s is not trusted: %v", host, innermost(e.Err))
	case errors.As(e.Err, &record), strings.Contains(e.Err.Error(), "server gave HTTP response to HTTPS client"):
		return fmt.Sprintf("%s does not speak TLS (HTTPS); is the URL http://%s?", host, host)
	case errors.Is(e.Err, syscall.ECONNRESET):
		return fmt.Sprintf("%s closed the connection while %s %s was under way", host, e.Method, e.URL)
	case errors.Is(e.Err, context.DeadlineExceeded), errors.As(e.Err, &ne) && ne.Timeout():
		return fmt.Sprintf("no answer from %s in time (%s %s): the server is slow or unreachable", host, e.Method, e.URL)
	}
	return fmt.Sprintf("cannot reach %s (%s %s): %v", host, e.Method, e.URL, innermost(e.Err))
}

// permanent reports whether sending the request again cannot help: TLS
// that fails to verify or is not spoken at all.
func (e *ConnectionError) permanent() bool {
	var unknownCA x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	var verify *tls.CertificateVerificationError
	var record tls.RecordHeaderError
	return errors.As(e.Err, &unknownCA) || errors.As(e.Err, &hostname) || errors.As(e.Err, &invalid) ||
		errors.As(e.Err, &verify) || errors.As(e.Err, &record) ||
		strings.Contains(e.Err.Error(), "server gave HTTP response to HTTPS client")
}

// innermost drops the layers of *url.Error and *net.OpError that repeat
// the method, URL and address the message already gives.
func innermost(err error) error {
	for {
		switch x := err.(type) {
		case *url.Error:
			err = x.Err
		case *net.OpError:
			err = x.Err
		case *tls.CertificateVerificationError:
			err = x.Err
		default:
			return err
		}
	}
}

// IsConnectionError reports whether err is a request that got no answer.
func IsConnectionError(err error) bool {
	var ce *ConnectionError
	return errors.As(err, &ce)
}
