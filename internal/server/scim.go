package server

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/rollcall/rollcall/api"
	"github.com/rollcall/rollcall/internal/scim"
	"github.com/rollcall/rollcall/internal/store"
)

// mountSCIM serves the SCIM 2.0 endpoint at /scim/v2 for tokens with scope
// scim (or admin) whose user is an admin: SCIM provisions everyone, so a
// non-admin's token has no business there. Refusals are SCIM error
// documents, as a SCIM client expects.
func (s *Server) mountSCIM(mux *http.ServeMux) {
	st, ok := s.store.(scim.Store)
	if !ok {
		return
	}
	// GETs take their turn with the REST API's reads on SQLite (admit.go).
	h := s.reads.admit(scim.New(st, s.cfg.PublicURL, s.cfg.BodyLimit, s.log))
	mux.Handle("/scim/v2/", s.authenticateAs(store.ScopeSCIM, s.writeSCIMError, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := caller(r)
		if !p.admin() {
			scim.WriteError(w, &scim.Error{Status: http.StatusForbidden,
				Detail: "SCIM creates and changes every user, so it needs the token of an admin; this token's user " + strconv.Quote(p.user.Username) + " is not one (make the token for an admin service account: rollcall tokens create --scope scim --user NAME)"})
			return
		}
		ctx := scim.WithActor(r.Context(), scim.Actor{Meta: p.meta(r), Source: provisioningSource(p.token)})
		h.ServeHTTP(w, r.WithContext(ctx))
	})))
}

// provisioningSource is the external-source of the users a token's SCIM
// client creates or updates: the name of a token with scope scim (the
// client it was made for, such as "okta"), so users from two clients can be
// told apart; "scim" for an admin-scope token, whose name says nothing
// about a provisioning client.
func provisioningSource(t store.Token) string {
	if t.Name != "" && t.HasScope(store.ScopeSCIM) {
		return t.Name
	}
	return "scim"
}

// writeSCIMError writes the errors authentication gives (401, 403, 429,
// and a failing database) as SCIM error documents.
func (s *Server) writeSCIMError(w http.ResponseWriter, r *http.Request, err error) {
	var e *api.Error
	if !errors.As(err, &e) {
		_, objs, internal := errorObjects(err)
		if internal {
			s.log.LogAttrs(r.Context(), slog.LevelError, "request failed", slog.String("request_id", requestID(r.Context())),
				slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Any("error", err))
		}
		e = &objs[0]
	}
	if e.Status == "401" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="rollcall"`)
	}
	scim.WriteError(w, scim.FromAPI(e))
}
