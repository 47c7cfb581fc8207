package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/rollcall/rollcall/api"
	"github.com/rollcall/rollcall/internal/store"
	"github.com/rollcall/rollcall/internal/web"
)

// errLastAdmin refuses a change that would leave no enabled admin, since
// then nobody could manage the directory through the API any more.
var errLastAdmin = &api.Error{Status: "409", Code: api.CodeLastAdmin, Title: "Last admin",
	Detail: "this change would leave no enabled admin; make another user an admin first"}

// errNotFound is the 404 for any resource the caller cannot see, so that a
// non-admin cannot tell a missing user from another person's.
func errNotFound(what string) *api.Error {
	return &api.Error{Status: "404", Code: api.CodeNotFound, Title: "Not found",
		Detail: what + " does not exist or is not visible to this token"}
}

func errForbidden(detail string) *api.Error {
	return &api.Error{Status: "403", Code: api.CodeForbidden, Title: "Forbidden", Detail: detail}
}

func errAdminOnly() *api.Error {
	return errForbidden("this needs an admin token; a non-admin token can read only its own user at /api/v1/account")
}

func errBadParameter(param, detail string) *api.Error {
	return &api.Error{Status: "400", Code: api.CodeInvalidParameter, Title: "Invalid query parameter",
		Detail: detail, Source: &api.ErrorSource{Parameter: param}}
}

func errBadDocument(pointer, detail string) *api.Error {
	return &api.Error{Status: "400", Code: api.CodeInvalidDocument, Title: "Invalid JSON:API document",
		Detail: detail, Source: &api.ErrorSource{Pointer: pointer}}
}

// errorObjects turns any error from decoding, validation or the store into
// the JSON:API error objects a client sees, and the HTTP status. Errors it
// does not know are 500 internal_error and are logged by the caller.
func errorObjects(err error) (status int, objs []api.Error, internal bool) {
	var (
		apiErr   *api.Error
		apiErrs  api.Errors
		conflict *store.ConflictError
		ref      *store.ReferenceError
	)
	switch {
	case errors.As(err, &apiErrs):
		for _, e := range apiErrs {
			objs = append(objs, *e)
		}
	case errors.As(err, &apiErr):
		objs = []api.Error{*apiErr}
	case errors.As(err, &conflict):
		objs = []api.Error{conflictError(conflict.Field)}
	case errors.As(err, &ref):
		for _, e := range referenceErrors(ref, "", nil) {
			objs = append(objs, *e)
		}
	case errors.Is(err, store.ErrNotFound):
		objs = []api.Error{*errNotFound("the resource")}
	case errors.Is(err, store.ErrLastAdmin):
		objs = []api.Error{*errLastAdmin}
	case errors.Is(err, store.ErrPreconditionFailed):
		objs = []api.Error{{Status: "412", Code: api.CodePreconditionFailed, Title: "Precondition failed",
			Detail: "the resource changed since the version named in If-Match; read it again and retry with its new ETag",
			Source: &api.ErrorSource{Header: "If-Match"}}}
	case errors.Is(err, store.ErrInvalidCursor):
		objs = []api.Error{{Status: "400", Code: api.CodeInvalidCursor, Title: "Invalid page cursor",
			Detail: "page[after] is not a cursor this server issued for this list; start again from the first page",
			Source: &api.ErrorSource{Parameter: "page[after]"}}}
	case errors.Is(err, store.ErrConflict):
		objs = []api.Error{conflictError("")}
	case errors.Is(err, context.DeadlineExceeded):
		objs = []api.Error{{Status: "503", Code: api.CodeUnavailable, Title: "Service unavailable", Detail: "the request took too long; try again"}}
		internal = true
	default:
		objs = []api.Error{{Status: "500", Code: api.CodeInternal, Title: "Internal server error",
			Detail: "the server failed to handle the request; the request id in X-Request-Id finds it in the server log"}}
		internal = true
	}
	status, _ = strconv.Atoi(objs[0].Status)
	if status == 0 {
		status = http.StatusInternalServerError
	}
	return status, objs, internal
}

func conflictError(field string) api.Error {
	e := api.Error{Status: "409", Code: api.CodeConflict, Title: "Conflict"}
	switch field {
	case "username":
		e.Code, e.Title, e.Detail = api.CodeUsernameTaken, "Username taken", "another user already has this username"
		e.Source = &api.ErrorSource{Pointer: api.AttrPointer("username")}
	case "email":
		e.Code, e.Title, e.Detail = api.CodeEmailTaken, "Email taken", "another user already has this email address (compared without regard to case)"
		e.Source = &api.ErrorSource{Pointer: api.AttrPointer("email")}
	case "name":
		e.Code, e.Title, e.Detail = api.CodeGroupNameTaken, "Group name taken", "another group already has this name"
		e.Source = &api.ErrorSource{Pointer: api.AttrPointer("name")}
	case "id":
		e.Code, e.Title, e.Detail = api.CodeIDTaken, "Id taken", "a resource with this id already exists; leave id out to have one assigned"
		e.Source = &api.ErrorSource{Pointer: "/data/id"}
	default:
		e.Detail = "the change conflicts with an existing resource"
	}
	return e
}

// referenceErrors builds one 422 invalid_reference per unknown id. When
// sent lists the ids in request order, each error points at the id's place
// under base (base + "/" + index + "/id").
func referenceErrors(ref *store.ReferenceError, base string, sent []string) api.Errors {
	var errs api.Errors
	for _, id := range ref.IDs {
		ptr := ""
		for i, s := range sent {
			if s == id {
				ptr = fmt.Sprintf("%s/%d/id", base, i)
				break
			}
		}
		e := &api.Error{Status: "422", Code: api.CodeInvalidReference, Title: "Unknown related resource",
			Detail: fmt.Sprintf("no %s has id %q", ref.Kind, id)}
		if ptr != "" {
			e.Source = &api.ErrorSource{Pointer: ptr}
		}
		errs = append(errs, e)
	}
	if len(errs) == 0 {
		errs = append(errs, &api.Error{Status: "422", Code: api.CodeInvalidReference, Title: "Unknown related resource",
			Detail: "a related " + ref.Kind + " does not exist"})
	}
	return errs
}

// mapReference rewrites a *store.ReferenceError into errors that point at
// where the ids were in the request; other errors pass through.
func mapReference(err error, base string, sent []string) error {
	var ref *store.ReferenceError
	if errors.As(err, &ref) {
		return referenceErrors(ref, base, sent)
	}
	return err
}

// writeError answers with err as a JSON:API error document.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status, objs, internal := errorObjects(err)
	if internal {
		s.log.LogAttrs(r.Context(), slog.LevelError, "request failed",
			slog.String("request_id", requestID(r.Context())), slog.String("method", r.Method),
			slog.String("path", web.LogPath(r)), slog.Any("error", err))
	}
	if status == http.StatusMethodNotAllowed || status == http.StatusUnauthorized {
		if status == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Bearer realm="rollcall"`)
		}
	}
	writeJSON(w, status, api.ErrorDocument{Errors: objs})
}

// joinPointer joins JSON pointer segments, escaping each.
func joinPointer(segs ...string) string {
	var b strings.Builder
	for _, s := range segs {
		b.WriteByte('/')
		b.WriteString(strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1"))
	}
	return b.String()
}
