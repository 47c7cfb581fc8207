package api

import (
	"fmt"
	"strings"
)

// Stable machine-readable error codes. Clients switch on these; the title
// and detail are for people and may be reworded.
const (
	CodeInvalidJSON          = "invalid_json"           // 400: body is not JSON or not the expected shape
	CodeUnknownField         = "unknown_field"          // 400: a member the resource does not have
	CodeInvalidType          = "invalid_type"           // 400: a member of the wrong JSON type
	CodeInvalidDocument      = "invalid_document"       // 400: JSON:API structure is wrong (missing data, wrong type member)
	CodeInvalidParameter     = "invalid_parameter"      // 400: a query parameter is malformed
	CodeInvalidCursor        = "invalid_cursor"         // 400: page[after] was not issued by this server
	CodeDuplicateMember      = "duplicate_member"       // 400: an object names the same member twice
	CodeMalformedRequest     = "malformed_request"      // 400, 417, 505: not a valid HTTP/1.1 request (request line, header fields)
	CodeURITooLong           = "uri_too_long"           // 414: the request URI is longer than the server takes
	CodeHeadersTooLarge      = "headers_too_large"      // 431: the request line and header fields are too large
	CodeNotImplemented       = "not_implemented"        // 501: a transfer coding the server does not support
	CodeUnauthorized         = "unauthorized"           // 401: no, bad, expired or revoked token
	CodeForbidden            = "forbidden"              // 403: visible but not allowed
	CodeNotFound             = "not_found"              // 404
	CodeMethodNotAllowed     = "method_not_allowed"     // 405
	CodeConflict             = "conflict"               // 409: generic uniqueness conflict
	CodeUsernameTaken        = "username_taken"         // 409
	CodeEmailTaken           = "email_taken"            // 409
	CodeGroupNameTaken       = "group_name_taken"       // 409
	CodeIDTaken              = "id_taken"               // 409: client-proposed id already exists
	CodePreconditionFailed   = "precondition_failed"    // 412: If-Match did not match
	CodeBodyTooLarge         = "body_too_large"         // 413
	CodeUnsupportedMediaType = "unsupported_media_type" // 415
	CodeNotAcceptable        = "not_acceptable"         // 406
	CodeRequired             = "required"               // 422: a required attribute is missing or empty
	CodeInvalidUsername      = "invalid_username"       // 422
	CodeInvalidGroupName     = "invalid_group_name"     // 422
	CodeInvalidEmail         = "invalid_email"          // 422
	CodeInvalidLocale        = "invalid_locale"         // 422
	CodeInvalidURL           = "invalid_url"            // 422
	CodeInvalidPhone         = "invalid_phone"          // 422
	CodeInvalidID            = "invalid_id"             // 422: not a UUID
	CodeTooLong              = "too_long"               // 422
	CodeInvalidAttributeKey  = "invalid_attribute_key"  // 422
	CodeTooManyAttributes    = "too_many_attributes"    // 422
	CodeInvalidValue         = "invalid_value"          // 422: any other rule (bad time, bad enum)
	CodeReadOnly             = "read_only"              // 422: a read-only attribute was sent
	CodeInvalidReference     = "invalid_reference"      // 422: a relationship names a resource that does not exist
	CodeLastAdmin            = "last_admin"             // 409: the change would leave no enabled admin
	CodeTooManyTokens        = "too_many_tokens"        // 409: a non-admin already holds as many live API tokens as allowed
	CodeRateLimited          = "rate_limited"           // 429
	CodeInternal             = "internal_error"         // 500
	CodeUnavailable          = "unavailable"            // 503
)

// ErrorSource points at the part of the request an error is about.
type ErrorSource struct {
	Pointer   string `json:"pointer,omitempty"`
	Parameter string `json:"parameter,omitempty"`
	Header    string `json:"header,omitempty"`
}

// Error is a JSON:API error object. It is also a Go error, so validation
// functions return it directly and the client decodes it back.
type Error struct {
	Status string       `json:"status"`
	Code   string       `json:"code"`
	Title  string       `json:"title"`
	Detail string       `json:"detail,omitempty"`
	Source *ErrorSource `json:"source,omitempty"`
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Title)
	if e.Detail != "" {
		b.WriteString(": ")
		b.WriteString(e.Detail)
	}
	if e.Source != nil && e.Source.Pointer != "" {
		fmt.Fprintf(&b, " (at %s)", e.Source.Pointer)
	}
	return b.String()
}

// Errors is a list of validation errors; a request is refused with all of
// them at once so a person can fix everything in one go.
type Errors []*Error

func (es Errors) Error() string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "; ")
}

// Err returns es as an error, or nil when it is empty.
func (es Errors) Err() error {
	if len(es) == 0 {
		return nil
	}
	return es
}

// titles gives each validation code its short human title.
var titles = map[string]string{
	CodeRequired:            "Required attribute missing",
	CodeInvalidUsername:     "Invalid username",
	CodeInvalidGroupName:    "Invalid group name",
	CodeInvalidEmail:        "Invalid email address",
	CodeInvalidLocale:       "Invalid locale",
	CodeInvalidURL:          "Invalid URL",
	CodeInvalidPhone:        "Invalid phone number",
	CodeInvalidID:           "Invalid id",
	CodeTooLong:             "Value too long",
	CodeInvalidAttributeKey: "Invalid attribute key",
	CodeTooManyAttributes:   "Too many attributes",
	CodeInvalidValue:        "Invalid value",
	CodeReadOnly:            "Read-only attribute",
	CodeInvalidReference:    "Unknown related resource",
}

// Invalid builds a 422 validation error for the attribute at pointer.
func Invalid(code, pointer, detail string) *Error {
	title := titles[code]
	if title == "" {
		title = "Invalid value"
	}
	return &Error{Status: "422", Code: code, Title: title, Detail: detail, Source: &ErrorSource{Pointer: pointer}}
}

// AttrPointer is the JSON pointer of a resource attribute in a request body.
func AttrPointer(name string) string { return "/data/attributes/" + name }
