package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/rollcall/rollcall/api"
	"github.com/rollcall/rollcall/internal/mail"
	"github.com/rollcall/rollcall/internal/store"
	"github.com/rollcall/rollcall/internal/web"
)

// mountWeb adds the browser pages (sign-in, setup, account, admin console)
// and POST /api/v1/users/{id}/setup-links when the store also keeps
// sign-in state (store.AuthStore, which sqlstore does). It returns the
// pages' handler, or nil without an AuthStore.
func (s *Server) mountWeb(mux *http.ServeMux) (*web.Handler, error) {
	auth, ok := s.store.(store.AuthStore)
	if !ok {
		return nil, nil
	}
	var mailer web.Mailer
	if s.cfg.SMTPURL != "" {
		m, err := mail.Parse(s.cfg.SMTPURL)
		if err != nil {
			return nil, fmt.Errorf("environment variable ROLLCALL_SMTP_URL: %w", err)
		}
		mailer = m
	}
	h, err := web.New(web.Options{
		Store:        s.store,
		Auth:         auth,
		PublicURL:    s.cfg.PublicURL,
		SetupLinkTTL: s.cfg.SetupLinkTTL,
		Mailer:       mailer,
		Logger:       s.log,
		RequestMeta:  func(r *http.Request) (string, string) { return requestID(r.Context()), clientIP(r) },
	})
	if err != nil {
		return nil, err
	}
	h.Register(mux)
	mux.Handle("POST /api/v1/users/{id}/setup-links", s.api(s.createSetupLink(h.SetupLinks())))
	mux.Handle("GET /api/v1/users/{id}/setup-links", s.api(s.listSetupLinks(auth)))
	mux.Handle("DELETE /api/v1/users/{id}/setup-links", s.api(s.revokeSetupLinks(auth)))
	mux.Handle("DELETE /api/v1/users/{id}/setup-links/{link}", s.api(s.revokeSetupLink(auth)))
	if err := s.mountOIDC(mux, h); err != nil {
		return nil, err
	}
	return h, nil
}

// POST /api/v1/users/{id}/setup-links — admins only. The body is optional:
// {"data": {"type": "setup-links", "attributes": {"send-email": true}}}
// emails the link to the user as well.
func (s *Server) createSetupLink(links *web.SetupLinks) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p := caller(r)
		id, ok := pathID(r)
		if !ok || (!p.admin() && id != p.user.ID) {
			s.writeError(w, r, errNotFound("user "+r.PathValue("id")))
			return
		}
		if !p.admin() {
			s.writeError(w, r, errAdminOnly())
			return
		}
		var attrs api.SetupLinkWriteAttributes
		if r.ContentLength != 0 {
			data, err := decodeData[api.SetupLinkWrite](r)
			if err != nil {
				s.writeError(w, r, err)
				return
			}
			if err := checkType(data.Type, "setup-links"); err != nil {
				s.writeError(w, r, err)
				return
			}
			attrs = data.Attributes
		}
		u, err := s.store.GetUser(r.Context(), id)
		if err != nil {
			s.writeError(w, r, notFoundAs(err, "user "+id))
			return
		}
		issued, err := links.Issue(r.Context(), u, attrs.SendEmail, p.meta(r))
		if errors.Is(err, web.ErrNoMailer) {
			s.writeError(w, r, &api.Error{Status: "422", Code: api.CodeEmailUnavailable, Title: "Email not configured",
				Detail: err.Error() + "; leave send-email out to get the link in the response", Source: &api.ErrorSource{Pointer: "/data/attributes/send-email"}})
			return
		}
		if err != nil && issued.URL == "" {
			s.writeError(w, r, err)
			return
		}
		doc := api.Document[api.SetupLink]{Data: api.SetupLink{
			Type: "setup-links", ID: issued.Link.ID,
			Attributes: api.SetupLinkAttributes{URL: issued.URL, ExpiresAt: issued.Link.ExpiresAt,
				EmailSent: issued.Emailed, CreatedAt: issued.Link.CreatedAt, FirstAdmin: issued.Link.FirstAdmin},
			Relationships: api.SetupLinkRelationships{User: api.ToOne{Data: &api.ResourceIdentifier{Type: "users", ID: u.ID}}},
		}}
		if err != nil {
			// The link exists but the email failed: hand the link over and
			// say why it was not sent.
			doc.Meta = map[string]any{"warning": err.Error()}
		}
		writeJSON(w, http.StatusCreated, doc)
	}
}

// setupLinkAdmin resolves the user of a setup-links route for an admin
// caller: a non-admin gets 404 for another user and 403 for itself, like
// POST.
func (s *Server) setupLinkAdmin(w http.ResponseWriter, r *http.Request) (string, bool) {
	p := caller(r)
	id, ok := pathID(r)
	if !ok || (!p.admin() && id != p.user.ID) {
		s.writeError(w, r, errNotFound("user "+r.PathValue("id")))
		return "", false
	}
	if !p.admin() {
		s.writeError(w, r, errAdminOnly())
		return "", false
	}
	return id, true
}

// setupLinkResource is a stored link as the API shows it: never its URL,
// which only the response that creates it holds.
func setupLinkResource(l store.SetupLink) api.SetupLink {
	return api.SetupLink{
		Type: "setup-links", ID: l.ID,
		Attributes:    api.SetupLinkAttributes{ExpiresAt: l.ExpiresAt.UTC(), CreatedAt: l.CreatedAt.UTC(), FirstAdmin: l.FirstAdmin},
		Relationships: api.SetupLinkRelationships{User: api.ToOne{Data: &api.ResourceIdentifier{Type: "users", ID: l.UserID}}},
	}
}

// GET /api/v1/users/{id}/setup-links — admins only. The user's
// outstanding (usable) setup links, newest first: at most one, since a new
// link revokes the older ones.
func (s *Server) listSetupLinks(auth store.AuthStore) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, ok := s.setupLinkAdmin(w, r)
		if !ok {
			return
		}
		if _, err := parseIncludeOnly(r, nil); err != nil {
			s.writeError(w, r, err)
			return
		}
		if _, err := s.store.GetUser(r.Context(), id); err != nil {
			s.writeError(w, r, notFoundAs(err, "user "+id))
			return
		}
		links, err := auth.ListSetupLinks(r.Context(), id, time.Now())
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		data := []api.SetupLink{}
		for _, l := range links {
			data = append(data, setupLinkResource(l))
		}
		writeJSON(w, http.StatusOK, api.Document[[]api.SetupLink]{Data: data, Links: &api.Links{Self: s.selfLink(r)}})
	}
}

// DELETE /api/v1/users/{id}/setup-links — admins only. Revokes every
// outstanding setup link of the user (audited setup_link.revoke each);
// 204 also when there was none.
func (s *Server) revokeSetupLinks(auth store.AuthStore) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, ok := s.setupLinkAdmin(w, r)
		if !ok {
			return
		}
		if _, err := auth.RevokeSetupLinks(r.Context(), id, caller(r).meta(r)); err != nil {
			if errors.Is(err, store.ErrInvalidReference) {
				err = errNotFound("user " + id)
			}
			s.writeError(w, r, notFoundAs(err, "user "+id))
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

// DELETE /api/v1/users/{id}/setup-links/{link} — admins only. Revokes one
// outstanding link; a link that is used, expired, revoked or not the
// user's is 404.
func (s *Server) revokeSetupLink(auth store.AuthStore) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, ok := s.setupLinkAdmin(w, r)
		if !ok {
			return
		}
		if _, err := s.store.GetUser(r.Context(), id); err != nil {
			s.writeError(w, r, notFoundAs(err, "user "+id))
			return
		}
		link := r.PathValue("link")
		if err := auth.RevokeSetupLink(r.Context(), id, link, caller(r).meta(r)); err != nil {
			s.writeError(w, r, notFoundAs(err, "outstanding setup link "+link+" of user "+id))
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

// FirstAdminUsername is the admin user serve creates on first start, when
// no person can administer Rollcall yet.
const FirstAdminUsername = "admin"

// FirstAdminLink returns a fresh setup link for the first administrator,
// the user "admin", while no enabled admin has a passkey, or a zero
// IssuedLink when none is needed. serve prints it: it is the way in to a
// new installation. Each call (each start) makes a new link, which revokes
// the one before, so at most one first-admin link works at a time; it
// lives cfg.FirstAdminLinkTTL (1 hour by default), and dies once any admin
// registers a passkey.
//
// The user "admin" (email from ROLLCALL_ADMIN_EMAIL) is created when there
// is no enabled admin at all. When there is one, such as the service
// account of ROLLCALL_BOOTSTRAP_TOKEN or `rollcall admin create-token`, and
// no "admin" user, none is created: whoever holds the token creates people
// through the API. An "admin" user that exists but is not an enabled admin
// gets no link.
func (s *Server) FirstAdminLink(ctx context.Context) (web.IssuedLink, error) {
	auth, ok := s.store.(store.AuthStore)
	if !ok {
		return web.IssuedLink{}, nil
	}
	if done, err := auth.AdminHasPasskey(ctx); err != nil || done {
		return web.IssuedLink{}, err
	}
	first, err := s.store.GetUserByUsername(ctx, FirstAdminUsername)
	switch {
	case err == nil:
		if !first.IsAdmin || first.Disabled || first.ServiceAccount {
			return web.IssuedLink{}, nil
		}
	case errors.Is(err, store.ErrNotFound):
		admins, err := s.store.CountAdmins(ctx)
		if err != nil {
			return web.IssuedLink{}, err
		}
		if admins > 0 {
			return web.IssuedLink{}, nil
		}
		first, err = s.store.CreateUser(ctx, store.User{
			Username: FirstAdminUsername, Email: s.cfg.AdminEmail, IsAdmin: true, DisplayName: "Administrator",
		}, systemMeta)
		if errors.Is(err, store.ErrConflict) {
			// Another instance created it at the same moment; it prints the link.
			return web.IssuedLink{}, nil
		}
		if err != nil {
			return web.IssuedLink{}, fmt.Errorf("creating the first admin %q (email %s from ROLLCALL_ADMIN_EMAIL): %w", FirstAdminUsername, s.cfg.AdminEmail, err)
		}
	default:
		return web.IssuedLink{}, err
	}
	links := &web.SetupLinks{Auth: auth, PublicURL: s.cfg.PublicURL, TTL: s.cfg.FirstAdminLinkTTL, FirstAdmin: true}
	return links.Issue(ctx, first, false, systemMeta)
}

// IssueSetupLink makes a fresh setup link for the user ref (a username or
// id), revoking the user's older links, for `rollcall admin setup-link`:
// the way back in for an admin who lost their passkey, without a running
// server or an API token. publicURL is the server's public URL, which the
// link starts with.
func IssueSetupLink(ctx context.Context, st store.Store, ref, publicURL string, ttl time.Duration) (store.User, web.IssuedLink, error) {
	auth, ok := st.(store.AuthStore)
	if !ok {
		return store.User{}, web.IssuedLink{}, errors.New("this store keeps no sign-in state")
	}
	u, err := st.GetUserByUsername(ctx, strings.ToLower(ref))
	if errors.Is(err, store.ErrNotFound) {
		u, err = st.GetUser(ctx, ref)
	}
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrInvalidReference) {
		return u, web.IssuedLink{}, noSuchUser(ref)
	}
	if err != nil {
		return u, web.IssuedLink{}, err
	}
	links := &web.SetupLinks{Auth: auth, PublicURL: strings.TrimRight(publicURL, "/"), TTL: ttl}
	l, err := links.Issue(ctx, u, false, store.Meta{ActorName: "rollcall admin setup-link"})
	return u, l, err
}

// noSuchUser is a user that IssueSetupLink cannot find; it is
// store.ErrNotFound, so that the CLI exits with its not-found code.
type noSuchUser string

func (e noSuchUser) Error() string {
	return fmt.Sprintf("no user has the username or id %q", string(e))
}
func (e noSuchUser) Is(target error) bool { return target == store.ErrNotFound }
