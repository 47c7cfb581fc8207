package scim

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/rollcall/rollcall/api"
	"github.com/rollcall/rollcall/internal/store"
)

// Error is a SCIM error response (RFC 7644 §3.12). Detail uses the same
// words the JSON:API gives for the same mistake, with the SCIM attribute
// name in place of the JSON:API one, so a person reading either log learns
// the same rule.
type Error struct {
	Status   int
	ScimType string // invalidFilter, uniqueness, mutability, invalidValue, noTarget, invalidSyntax, invalidPath, tooMany, invalidVers
	Detail   string
}

func (e *Error) Error() string {
	return "scim: " + strconv.Itoa(e.Status) + " " + e.ScimType + ": " + e.Detail
}

func errf(status int, scimType, detail string) *Error {
	return &Error{Status: status, ScimType: scimType, Detail: detail}
}

const errorSchema = "urn:ietf:params:scim:api:messages:2.0:Error"

// WriteError writes e as a SCIM error document. The server uses it for the
// errors it gives before a request reaches this package (401, 403, 429).
func WriteError(w http.ResponseWriter, e *Error) {
	body := map[string]any{"schemas": []string{errorSchema}, "status": strconv.Itoa(e.Status), "detail": e.Detail}
	if e.ScimType != "" {
		body["scimType"] = e.ScimType
	}
	writeJSON(w, e.Status, body)
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	b, err := json.Marshal(body)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"schemas":["`+errorSchema+`"],"status":"500","detail":"the server failed to encode its answer"}`)
	}
	w.Header().Set("Content-Type", MediaType)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// FromAPI turns a JSON:API error object into a SCIM error with the same
// status and detail; scimType follows from the JSON:API code.
func FromAPI(e *api.Error) *Error {
	status, _ := strconv.Atoi(e.Status)
	if status == 0 {
		status = http.StatusInternalServerError
	}
	return &Error{Status: status, ScimType: scimTypeOf(e.Code, status), Detail: e.Detail}
}

func scimTypeOf(code string, status int) string {
	switch code {
	case api.CodeUsernameTaken, api.CodeEmailTaken, api.CodeGroupNameTaken, api.CodeIDTaken, api.CodeConflict:
		return "uniqueness"
	case api.CodeReadOnly:
		return "mutability"
	case api.CodeInvalidJSON, api.CodeInvalidType, api.CodeDuplicateMember, api.CodeUnknownField:
		return "invalidSyntax"
	}
	if status == http.StatusUnprocessableEntity || status == http.StatusBadRequest {
		return "invalidValue"
	}
	return ""
}

// scimAttr maps a JSON:API attribute name in an error detail to the SCIM
// attribute a SCIM client sent.
var scimAttr = map[string]string{
	"username": "userName", "email": "emails", "first-name": "name.givenName", "last-name": "name.familyName",
	"display-name": "displayName", "locale": "locale", "phone": "phoneNumbers[type eq \"work\"]",
	"mobile": "phoneNumbers[type eq \"mobile\"]", "title": "title", "department": "department",
	"external-id": "externalId", "attributes": "enterprise extension", "name": "displayName",
}

// fromValidation turns api validation errors into one SCIM 400 naming
// each problem with its SCIM attribute.
func fromValidation(errs api.Errors) *Error {
	var parts []string
	for _, e := range errs {
		d := e.Detail
		if e.Source != nil && strings.HasPrefix(e.Source.Pointer, "/data/attributes/") {
			attr, _, _ := strings.Cut(strings.TrimPrefix(e.Source.Pointer, "/data/attributes/"), "/")
			if s, ok := scimAttr[attr]; ok && s != attr {
				d = s + ": " + d
			}
		}
		parts = append(parts, d)
	}
	scimType := "invalidValue"
	if len(errs) > 0 {
		scimType = scimTypeOf(errs[0].Code, http.StatusUnprocessableEntity)
	}
	return errf(http.StatusBadRequest, scimType, strings.Join(parts, "; "))
}

// fromStore turns a store error into a SCIM error; ok is false for errors
// that are the server's fault (logged, answered 500).
func fromStore(err error, what string) (*Error, bool) {
	var (
		se       *Error
		apiErrs  api.Errors
		apiErr   *api.Error
		conflict *store.ConflictError
		ref      *store.ReferenceError
	)
	switch {
	case errors.As(err, &se):
		return se, true
	case errors.As(err, &apiErrs):
		return fromValidation(apiErrs), true
	case errors.As(err, &apiErr):
		return FromAPI(apiErr), true
	case errors.As(err, &conflict):
		switch conflict.Field {
		case "username":
			return errf(409, "uniqueness", "userName: another user already has this username"), true
		case "email":
			return errf(409, "uniqueness", "emails: another user already has this email address (compared without regard to case)"), true
		case "name":
			return errf(409, "uniqueness", "displayName: another group already has this name"), true
		case "id":
			return errf(409, "uniqueness", "a resource with this id already exists"), true
		}
		return errf(409, "uniqueness", "the change conflicts with an existing resource"), true
	case errors.As(err, &ref):
		return errf(400, "invalidValue", "no "+ref.Kind+" has id "+strings.Join(quoteAll(ref.IDs), ", ")), true
	case errors.Is(err, store.ErrNotFound):
		return errf(404, "", what+" not found"), true
	case errors.Is(err, store.ErrLastAdmin):
		// Only a race reaches this: the token's own user, an admin, is
		// never disabled or deleted through SCIM (errSelf).
		return errf(409, "mutability", "this change would leave no enabled admin; make another user an admin first"), true
	case errors.Is(err, store.ErrPreconditionFailed):
		return errf(412, "", "the resource changed since the version named in If-Match; read it again and retry with its new ETag (meta.version)"), true
	}
	return errf(500, "", "the server failed to handle the request; the request id in X-Request-Id finds it in the server log"), false
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strconv.Quote(s)
	}
	return out
}
