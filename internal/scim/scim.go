// Package scim is Rollcall's SCIM 2.0 service provider (RFC 7643, 7644):
// /scim/v2/Users and /Groups for Okta, Entra ID and HR systems that push
// people into Rollcall. It maps SCIM resources onto the user model by hand,
// runs filters in the database (store.Searcher) and applies PATCH the way
// those clients send it. Every change goes through store.Store, so it is
// audited with the token's user as actor like any other change.
//
// Filters are parsed with github.com/scim2/filter-parser/v2 only; see the
// README's architecture section for why not github.com/elimity-com/scim.
package scim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/rollcall/rollcall/internal/store"
)

// MediaType is the SCIM media type (RFC 7644 §3.1).
const MediaType = "application/scim+json"

// Actor is who makes a SCIM change: the user of the bearer token, and the
// provisioning source external-source is set to.
type Actor struct {
	Meta   store.Meta
	Source string // external-source of users SCIM creates; "scim" when empty
}

type actorKey struct{}

// WithActor returns ctx carrying a, as the server's authentication puts it
// there before the request reaches the Handler.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

func actor(r *http.Request) Actor {
	a, _ := r.Context().Value(actorKey{}).(Actor)
	if a.Source == "" {
		a.Source = "scim"
	}
	return a
}

// Store is what the SCIM endpoint needs of the database: the directory and
// searches that run filters in SQL.
type Store interface {
	store.Store
	store.Searcher
}

// Handler serves /scim/v2. It does not authenticate: the server wraps it
// with the token check and puts an Actor in the context.
type Handler struct {
	st        Store
	base      string // public URL of /scim/v2, for meta.location
	bodyLimit int64
	log       *slog.Logger
	mux       *http.ServeMux
	cursors   cursors
}

// New returns the SCIM handler. publicURL is the server's --url; bodies
// over bodyLimit bytes are refused with 413.
func New(st Store, publicURL string, bodyLimit int64, log *slog.Logger) *Handler {
	h := &Handler{st: st, base: strings.TrimRight(publicURL, "/") + "/scim/v2", bodyLimit: bodyLimit, log: log, mux: http.NewServeMux()}
	m := h.mux
	m.HandleFunc("GET /scim/v2/ServiceProviderConfig", h.serviceProviderConfig)
	m.HandleFunc("GET /scim/v2/ResourceTypes", h.resourceTypes)
	m.HandleFunc("GET /scim/v2/ResourceTypes/{name}", h.resourceType)
	m.HandleFunc("GET /scim/v2/Schemas", h.schemas)
	m.HandleFunc("GET /scim/v2/Schemas/{id}", h.schema)

	m.HandleFunc("GET /scim/v2/Users", listing(h.findUsers))
	m.HandleFunc("POST /scim/v2/Users/.search", h.searching(h.findUsers))
	m.HandleFunc("POST /scim/v2/Users", h.createUser)
	m.HandleFunc("GET /scim/v2/Users/{id}", h.getUser)
	m.HandleFunc("PUT /scim/v2/Users/{id}", h.replaceUser)
	m.HandleFunc("PATCH /scim/v2/Users/{id}", h.patchUser)
	m.HandleFunc("DELETE /scim/v2/Users/{id}", h.deleteUser)

	m.HandleFunc("GET /scim/v2/Groups", listing(h.findGroups))
	m.HandleFunc("POST /scim/v2/Groups/.search", h.searching(h.findGroups))
	m.HandleFunc("POST /scim/v2/Groups", h.createGroup)
	m.HandleFunc("GET /scim/v2/Groups/{id}", h.getGroup)
	m.HandleFunc("PUT /scim/v2/Groups/{id}", h.replaceGroup)
	m.HandleFunc("PATCH /scim/v2/Groups/{id}", h.patchGroup)
	m.HandleFunc("DELETE /scim/v2/Groups/{id}", h.deleteGroup)

	m.HandleFunc("POST /scim/v2/.search", h.searchRoot)
	// Optional parts of RFC 7644 this server does not do; 501 says so
	// (ServiceProviderConfig says bulk is not supported).
	for _, p := range []string{"/scim/v2/Me", "/scim/v2/Bulk"} {
		m.HandleFunc(p, func(w http.ResponseWriter, r *http.Request) {
			WriteError(w, errf(http.StatusNotImplemented, "", r.URL.Path+" is not implemented: use /scim/v2/Users and /Groups one request at a time"))
		})
	}
	m.HandleFunc("/scim/v2/", func(w http.ResponseWriter, r *http.Request) {
		WriteError(w, errf(http.StatusNotFound, "", "no SCIM endpoint "+r.Method+" "+r.URL.Path+"; this server serves /scim/v2/Users, /Groups, /ServiceProviderConfig, /ResourceTypes, /Schemas and /.search"))
	})
	return h
}

// ServeHTTP serves the SCIM routes; a path or method that none takes gets
// a SCIM 404 naming the endpoints there are.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// fail writes err as a SCIM error; an error that is not the client's
// fault is logged with the request.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error, what string) {
	se, ok := fromStore(err, what)
	if !ok && h.log != nil {
		h.log.Error("scim request failed", slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Any("error", err))
	}
	WriteError(w, se)
}

// decodeBody reads a JSON object body of at most bodyLimit bytes. SCIM
// attribute names are case-insensitive (RFC 7643 §2.1), so callers look
// members up with get.
func (h *Handler) decodeBody(r *http.Request) (map[string]any, *Error) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != MediaType && mt != "application/json") {
			return nil, errf(http.StatusUnsupportedMediaType, "", "Content-Type must be "+MediaType+" (or application/json), not "+strconv.Quote(ct))
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, h.bodyLimit))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return nil, errf(http.StatusRequestEntityTooLarge, "", "the request body is larger than the server takes ("+strconv.FormatInt(h.bodyLimit, 10)+" bytes)")
	}
	if err != nil {
		return nil, errf(http.StatusBadRequest, "invalidSyntax", "the request body could not be read: "+err.Error())
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, errf(http.StatusBadRequest, "invalidSyntax", "the request needs a JSON object as its body")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil || m == nil {
		msg := "the body must be one JSON object"
		if err != nil {
			msg = "the body is not valid JSON: " + err.Error()
		}
		return nil, errf(http.StatusBadRequest, "invalidSyntax", msg)
	}
	if dec.More() {
		return nil, errf(http.StatusBadRequest, "invalidSyntax", "the body must be one JSON object, with nothing after it")
	}
	return m, nil
}

// get finds attribute name in m without regard to case.
func get(m map[string]any, name string) (any, bool) {
	if v, ok := m[name]; ok {
		return v, true
	}
	for k, v := range m {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return nil, false
}

// ifMatch returns the version an If-Match header names, 0 when there is
// none or it is "*".
func ifMatch(r *http.Request) (int64, *Error) {
	v := strings.TrimSpace(r.Header.Get("If-Match"))
	if v == "" || v == "*" {
		return 0, nil
	}
	v = strings.TrimPrefix(v, "W/")
	n, err := strconv.ParseInt(strings.Trim(v, `"`), 10, 64)
	if err != nil || n <= 0 || !strings.HasPrefix(v, `"`) {
		return 0, errf(http.StatusBadRequest, "invalidValue", `If-Match must be an ETag this server sent (meta.version), such as "3"`)
	}
	return n, nil
}

func etag(version int64) string { return `"` + strconv.FormatInt(version, 10) + `"` }

func writeResource(w http.ResponseWriter, status int, version int64, location string, body any) {
	w.Header().Set("ETag", etag(version))
	if status == http.StatusCreated {
		w.Header().Set("Location", location)
	}
	writeJSON(w, status, body)
}
