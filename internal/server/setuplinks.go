package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"

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
				EmailSent: issued.Emailed, CreatedAt: issued.Link.CreatedAt},
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

// FirstAdminUsername is the admin user serve creates on first start, when
// no person can administer Rollcall yet.
const FirstAdminUsername = "admin"

// FirstAdminLink returns a setup link for the first administrator when
// there is no enabled admin at all, or only the first admin, who has not
// registered a passkey yet (their earlier link may have expired). It
// creates the admin user "admin" (email from ROLLCALL_ADMIN_EMAIL) when
// missing. An admin service account (ROLLCALL_BOOTSTRAP_TOKEN, `rollcall
// admin create-token`) counts as an admin: whoever holds its token creates
// people through the API. It returns a zero IssuedLink when nothing is
// needed. serve prints the link: it is the way in to a new installation.
func (s *Server) FirstAdminLink(ctx context.Context) (web.IssuedLink, error) {
	auth, ok := s.store.(store.AuthStore)
	if !ok {
		return web.IssuedLink{}, nil
	}
	admins, err := s.store.CountAdmins(ctx)
	if err != nil {
		return web.IssuedLink{}, err
	}
	first, err := s.store.GetUserByUsername(ctx, FirstAdminUsername)
	switch {
	case err == nil:
		if !first.IsAdmin || first.Disabled || first.PasskeyCount > 0 || admins > 1 {
			return web.IssuedLink{}, nil
		}
	case errors.Is(err, store.ErrNotFound):
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
	links := &web.SetupLinks{Auth: auth, PublicURL: s.cfg.PublicURL, TTL: s.cfg.SetupLinkTTL}
	return links.Issue(ctx, first, false, systemMeta)
}
