package oidc

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/rollcall/rollcall/internal/web"
)

// RP-initiated logout: end_session (the library) checks the id_token_hint
// and that post_logout_redirect_uri is registered, then sends the browser
// to Rollcall's page that asks whether to sign out of Rollcall too, and
// from there to the application.

const logoutPath = "/oauth2/logout"

var _ op.CanTerminateSessionFromRequest = (*storage)(nil)

// TerminateSessionFromRequest seals the validated redirect (with the
// provider's encryption key, so the logout page cannot be made into an
// open redirect) and sends the browser to the logout page.
func (s *storage) TerminateSessionFromRequest(_ context.Context, req *op.EndSessionRequest) (string, error) {
	if s.seal == nil {
		return req.RedirectURI, nil
	}
	tok, err := s.seal(req.ClientID + " " + req.RedirectURI)
	if err != nil {
		return "", err
	}
	return logoutPath + "?r=" + url.QueryEscape(tok), nil
}

// unsealLogout returns the client id and redirect sealed by
// TerminateSessionFromRequest, or the default after sign-out.
func (p *Provider) unsealLogout(tok string) (clientID, redirect string) {
	if tok != "" && len(tok) < 4096 {
		if s, err := p.op.Crypto().Decrypt(tok); err == nil {
			if id, to, ok := strings.Cut(s, " "); ok {
				return id, to
			}
		}
	}
	return "", "/signin?signedout=1"
}

// logoutPage asks the person whether to sign out of Rollcall as well.
func (p *Provider) logoutPage(w http.ResponseWriter, r *http.Request) {
	tok := r.URL.Query().Get("r")
	clientID, redirect := p.unsealLogout(tok)
	if web.VisitorOf(r) == nil {
		http.Redirect(w, r, redirect, http.StatusSeeOther)
		return
	}
	name := ""
	if clientID != "" {
		if cl, err := p.storage.client(r.Context(), clientID); err == nil {
			name = cl.c.Name
		}
	}
	target := ""
	if u, err := url.Parse(redirect); err == nil && u.Host != "" {
		target = u.Scheme + "://" + u.Host
	}
	p.pages.RenderLogout(w, r, web.LogoutPage{ClientName: name, Action: logoutPath, Token: tok, FormTarget: target})
}

// logout is the confirmation's answer.
func (p *Provider) logout(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		p.pageError(w, r, http.StatusBadRequest, "Form not readable", "Go back to the application.")
		return
	}
	_, redirect := p.unsealLogout(r.PostForm.Get("r"))
	if r.PostForm.Get("decision") == "signout" {
		if err := p.pages.EndSession(w, r); err != nil {
			p.serverError(w, r, err)
			return
		}
	}
	http.Redirect(w, r, redirect, http.StatusSeeOther)
}
