package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

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

	method string
	url    string
	body   string // start of a non-JSON:API body, for errors from proxies
}

func newAPIError(method string, u *url.URL, r *response) *APIError {
	e := &APIError{StatusCode: r.status, RequestID: r.header.Get("X-Request-Id"), method: method, url: u.Redacted()}
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
	if len(e.Errors) == 0 {
		msg := fmt.Sprintf("%s %s: server answered %d %s", e.method, e.url, e.StatusCode, http.StatusText(e.StatusCode))
		if e.body != "" {
			msg += ": " + e.body
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

// Is matches the sentinel errors by status code.
func (e *APIError) Is(target error) bool {
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
