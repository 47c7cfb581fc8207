package server

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/rollcall/rollcall/api"
	"github.com/rollcall/rollcall/internal/store"
)

// Page sizes of lists.
const (
	defaultPageSize = 100
	maxPageSize     = 1000
)

// listQuery is a parsed list request: the page, the filters and includes.
type listQuery struct {
	page    store.Page
	filter  map[string]string
	include map[string]bool
}

// parseListQuery reads page[size], page[after], filter[...] and include.
// Parameters the route does not support are refused rather than ignored,
// so a misspelt filter cannot silently return everything.
func parseListQuery(r *http.Request, filters, includes []string) (listQuery, error) {
	q := listQuery{page: store.Page{Limit: defaultPageSize}, filter: map[string]string{}, include: map[string]bool{}}
	values := r.URL.Query()
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var errs api.Errors
	for _, k := range keys {
		v := values.Get(k)
		if len(values[k]) > 1 {
			errs = append(errs, errBadParameter(k, k+" is given more than once; give it once"))
			continue
		}
		if !utf8.ValidString(v) || strings.IndexByte(v, 0) >= 0 {
			// PostgreSQL refuses such text outright; no stored value can match it.
			errs = append(errs, errBadParameter(k, k+" must be UTF-8 text without NUL characters; percent-encode the UTF-8 bytes of the value"))
			continue
		}
		switch {
		case k == "page[size]":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > maxPageSize {
				errs = append(errs, errBadParameter(k, fmt.Sprintf("page[size] %q must be a whole number from 1 to %d", v, maxPageSize)))
				continue
			}
			q.page.Limit = n
		case k == "page[after]":
			q.page.After = v
		case strings.HasPrefix(k, "filter[") && strings.HasSuffix(k, "]"):
			name := k[len("filter[") : len(k)-1]
			if !slices.Contains(filters, name) {
				errs = append(errs, errBadParameter(k, fmt.Sprintf("%s is not a filter of this list; the filters are %s", k, describeList("filter[%s]", filters))))
				continue
			}
			q.filter[name] = v
		case k == "include":
			for inc := range strings.SplitSeq(v, ",") {
				inc = strings.TrimSpace(inc)
				if inc == "" {
					continue
				}
				if !slices.Contains(includes, inc) {
					errs = append(errs, errBadParameter(k, fmt.Sprintf("include=%s is not supported here; %s", inc, describeIncludes(includes))))
					continue
				}
				q.include[inc] = true
			}
		default:
			errs = append(errs, errBadParameter(k, fmt.Sprintf("%s is not a parameter of this endpoint; it accepts page[size], page[after]%s%s", k,
				prefixIf(", ", describeList("filter[%s]", filters)), prefixIf(", ", describeList("include=%s", includes)))))
		}
	}
	if len(errs) > 0 {
		return q, errs
	}
	return q, nil
}

// parseIncludeOnly reads the include parameter of a single-resource read.
func parseIncludeOnly(r *http.Request, includes []string) (map[string]bool, error) {
	if r.URL.RawQuery == "" { // the usual read of one resource
		return nil, nil
	}
	q, err := parseListQuery(r, nil, includes)
	if err != nil {
		return nil, err
	}
	for k := range r.URL.Query() {
		if strings.HasPrefix(k, "page[") {
			return nil, errBadParameter(k, k+" applies to lists only")
		}
	}
	return q.include, nil
}

func describeList(format string, names []string) string {
	if len(names) == 0 {
		return ""
	}
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf(format, n)
	}
	return strings.Join(parts, ", ")
}

func describeIncludes(includes []string) string {
	if len(includes) == 0 {
		return "this endpoint includes nothing"
	}
	return "supported: " + strings.Join(includes, ", ")
}

func prefixIf(prefix, s string) string {
	if s == "" {
		return ""
	}
	return prefix + s
}

// nextLink is the URL of the page after this one, or "" on the last page.
func (s *Server) nextLink(r *http.Request, next string) string {
	if next == "" {
		return ""
	}
	v := url.Values{}
	for k, vs := range r.URL.Query() {
		v[k] = vs
	}
	v.Set("page[after]", next)
	return s.link(r.URL.EscapedPath()) + "?" + v.Encode()
}

// selfLink is the URL of this request, for top-level links.self. The query
// is encoded again from its parsed values, as nextLink's is, rather than
// echoed: a client may send page[size] with bare brackets, which are not
// allowed in a URI (RFC 3986), and links must be URIs.
func (s *Server) selfLink(r *http.Request) string {
	if r.URL.RawQuery == "" {
		return s.link(r.URL.EscapedPath())
	}
	return s.link(r.URL.EscapedPath()) + "?" + r.URL.Query().Encode()
}

// pathID returns the {id} path value canonicalised, or false when it is
// not a UUID (no resource can have it, so the caller answers 404).
func pathID(r *http.Request) (string, bool) {
	u, err := uuid.Parse(r.PathValue("id"))
	if err != nil || len(r.PathValue("id")) != 36 {
		return "", false
	}
	return u.String(), true
}

// etag is the entity tag of a resource version.
func etag(version int64) string { return `"` + strconv.FormatInt(version, 10) + `"` }

// notModified answers 304 Not Modified (with the ETag, and no body) when
// the request's If-None-Match names this version or is "*", and reports
// whether it did. Entity tags compare weakly, as RFC 9110 says for GET, so
// W/"3" matches "3"; a list of tags matches when any of them does.
func notModified(w http.ResponseWriter, r *http.Request, version int64) bool {
	values := r.Header.Values("If-None-Match")
	if len(values) == 0 {
		return false
	}
	tag := etag(version)
	for _, v := range values {
		for part := range strings.SplitSeq(v, ",") {
			part = strings.TrimSpace(part)
			if part == "*" || strings.TrimPrefix(part, "W/") == tag {
				w.Header().Set("ETag", tag)
				w.Header().Set("Cache-Control", "no-store")
				w.WriteHeader(http.StatusNotModified)
				return true
			}
		}
	}
	return false
}

// ifMatch reads If-Match. It returns 0 when the header is absent or "*"
// (no precondition), the version it names otherwise, and a 412 error for a
// value that no version of this server ever had.
func ifMatch(r *http.Request) (int64, error) {
	h := strings.TrimSpace(r.Header.Get("If-Match"))
	if h == "" || h == "*" {
		return 0, nil
	}
	h = strings.TrimPrefix(h, "W/")
	if len(h) >= 2 && h[0] == '"' && h[len(h)-1] == '"' {
		if v, err := strconv.ParseInt(h[1:len(h)-1], 10, 64); err == nil && v > 0 {
			return v, nil
		}
	}
	return 0, &api.Error{Status: "412", Code: api.CodePreconditionFailed, Title: "Precondition failed",
		Detail: "If-Match must be an ETag this server sent, such as \"3\"", Source: &api.ErrorSource{Header: "If-Match"}}
}

// Filters that name one resource follow one rule on every list:
// filter[group] on /users, filter[member] on /groups and filter[user] on
// /api-tokens take the resource's id (a UUID) or its name (a group name,
// a username). A value that is neither is malformed: 400 invalid_parameter.
// A well-formed id or name that names no resource, or none the caller may
// see, is 404 not_found. Both point at the parameter (source.parameter),
// so a client can tell "fix the value" from "that group does not exist"
// and neither is mistaken for "no members". The audit log's filter[actor]
// and filter[target] take ids only, of resources that may have been
// deleted since, so any well-formed id is accepted there.

// refKind describes the kind of resource a reference filter names.
type refKind struct {
	noun     string                            // "group", "user"
	nameWord string                            // "group name", "username"
	validate func(string) (string, *api.Error) // the name rule
}

var (
	groupRef = refKind{noun: "group", nameWord: "group name", validate: api.ValidateGroupName}
	userRef  = refKind{noun: "user", nameWord: "username", validate: api.ValidateUsername}
)

// parseRef reads the value v of the reference filter param: an id, or
// else a name (normalised). It is 400 when v is neither.
func parseRef(param, v string, kind refKind) (id, name string, err error) {
	if id, e := api.ValidateID(v); e == nil {
		return id, "", nil
	}
	if name, e := kind.validate(v); e == nil {
		return "", name, nil
	}
	return "", "", errBadParameter(param, fmt.Sprintf("%s %q is neither a %s id (a UUID) nor a %s (lower-case letters, digits and . _ @ -); give one of them",
		param, truncateValue(v), kind.noun, kind.nameWord))
}

// errUnknownRef is the 404 of a reference filter naming no resource.
func errUnknownRef(param, v string, kind refKind) *api.Error {
	return &api.Error{Status: "404", Code: api.CodeNotFound, Title: "Not found",
		Detail: fmt.Sprintf("%s %q names no %s visible to this token: there is no %s with that id or %s; check the value, or list the %ss to find it",
			param, truncateValue(v), kind.noun, kind.noun, kind.nameWord, kind.noun),
		Source: &api.ErrorSource{Parameter: param}}
}

// resolveUserFilter turns a user reference filter, a user id or username,
// into an id (see parseRef). An id is checked only when the list comes
// back empty (checkUserExists).
func (s *Server) resolveUserFilter(ctx context.Context, param, v string) (string, error) {
	id, name, err := parseRef(param, v, userRef)
	if err != nil || id != "" {
		return id, err
	}
	u, err := s.store.GetUserByUsername(ctx, name)
	if isNotFound(err) {
		return "", errUnknownRef(param, v, userRef)
	}
	if err != nil {
		return "", err
	}
	return u.ID, nil
}

// checkUserExists is the 404 of a user reference filter whose id names no
// user; nil when the user exists.
func (s *Server) checkUserExists(ctx context.Context, param, v, id string) error {
	_, err := s.store.GetUser(ctx, id)
	if isNotFound(err) {
		return errUnknownRef(param, v, userRef)
	}
	return err
}

// truncateValue keeps an echoed parameter value short.
func truncateValue(v string) string {
	if len(v) <= 100 {
		return v
	}
	cut := 100
	for cut > 0 && !utf8.RuneStart(v[cut]) {
		cut--
	}
	return v[:cut] + "…"
}

// parseIDFilter reads an id-only filter such as the audit log's
// filter[actor]: 400 unless v is a UUID.
func parseIDFilter(param, v, noun string) (string, error) {
	if v == "" {
		return "", nil
	}
	id, e := api.ValidateID(v)
	if e != nil {
		return "", errBadParameter(param, fmt.Sprintf("%s %q is not %s id (a UUID such as 2f1e6a52-7c1d-4e53-9b5c-0c8d3f0e4a71)", param, truncateValue(v), noun))
	}
	return id, nil
}
