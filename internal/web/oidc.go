package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/rollcall/rollcall/internal/store"
)

// This file is what the OpenID Connect provider (internal/oidc) uses of the
// pages: the signed-in person, the page wrapper (headers, cross-origin
// protection, session) and the page look, so that its sign-in hand-off and
// consent page behave like every other page.

// Visitor is the signed-in person of a request and their browser session.
type Visitor struct {
	User    store.User
	Session store.Session
}

// VisitorOf returns the signed-in person of a request served through
// Page, or nil.
func VisitorOf(r *http.Request) *Visitor {
	v := viewerOf(r)
	if v == nil {
		return nil
	}
	return &Visitor{User: v.user, Session: v.session}
}

// Page wraps a handler another package registers like the pages' own:
// security headers, cross-origin protection of POSTs, and the session.
func (h *Handler) Page(fn http.HandlerFunc) http.Handler { return h.wrap(fn) }

// Meta is the audit actor of a request served through Page.
func (h *Handler) Meta(r *http.Request) store.Meta { return h.metaOf(r) }

// RenderStatus shows the one-message page (refusals and errors); action
// and label, when set, add a button linking to action.
func (h *Handler) RenderStatus(w http.ResponseWriter, r *http.Request, status int, heading, message, action, label string) {
	h.renderStatusAction(w, r, status, statusData{Heading: heading, Message: message, Action: action, Label: label})
}

// ConsentPage is what the consent page shows.
type ConsentPage struct {
	ClientName string
	LogoURL    string
	Scopes     []string // one line each, already in words
	Action     string   // where the form posts
	RequestID  string   // the authorization request, posted back
	// FormTarget is the origin of the application's redirect URI. The
	// answer to the form's POST redirects there, and Chromium applies
	// CSP form-action to every redirect after a form submission, so the
	// page allows it beside 'self'.
	FormTarget string
}

// RenderConsent shows the consent page.
func (h *Handler) RenderConsent(w http.ResponseWriter, r *http.Request, p ConsentPage) {
	if p.FormTarget != "" && !strings.ContainsAny(p.FormTarget, " ;,'\"\r\n") {
		w.Header().Set("Content-Security-Policy", ContentSecurityPolicy+" "+p.FormTarget)
	}
	h.render(w, r, http.StatusOK, "consent", view{Title: "Sign in to " + p.ClientName, Data: p})
}

// deviceData is the device code page's content.
type deviceData struct {
	Code string
}

// RenderDevice shows the page where a person enters the code a device
// shows (the device authorization grant), with msg as an error when set.
func (h *Handler) RenderDevice(w http.ResponseWriter, r *http.Request, status int, code, msg string) {
	h.render(w, r, status, "device", view{Title: "Sign in on a device", Error: msg, Data: deviceData{Code: code}})
}

// EndSession signs the browser of r out of Rollcall, as the Sign out
// button does (OpenID Connect RP-initiated logout).
func (h *Handler) EndSession(w http.ResponseWriter, r *http.Request) error {
	if v := viewerOf(r); v != nil {
		if err := h.auth.DeleteSession(r.Context(), v.session.Hash, h.metaOf(r)); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	h.clearSessionCookie(w)
	return nil
}

// LogoutPage is what the sign-out confirmation an application asks for
// shows.
type LogoutPage struct {
	ClientName string // "" when the application did not say who it is
	Action     string
	Token      string // posted back: where to go afterwards, sealed
	// FormTarget is the origin the answer redirects to (see ConsentPage).
	FormTarget string
}

// RenderLogout asks the person to confirm signing out of Rollcall.
func (h *Handler) RenderLogout(w http.ResponseWriter, r *http.Request, p LogoutPage) {
	if p.FormTarget != "" && !strings.ContainsAny(p.FormTarget, " ;,'\"\r\n") {
		w.Header().Set("Content-Security-Policy", ContentSecurityPolicy+" "+p.FormTarget)
	}
	h.render(w, r, http.StatusOK, "logout", view{Title: "Sign out", Data: p})
}

// FormPostPage is an answer to an application in response_mode=form_post:
// the parameters, posted to its redirect URI.
type FormPostPage struct {
	ClientName string
	Action     string // the redirect URI
	Params     []FormParam
}

// FormParam is one hidden field of a FormPostPage.
type FormParam struct{ Name, Value string }

// RenderFormPost shows a page whose form posts the parameters to the
// application as soon as it loads (passkey.js submits it; a button does
// without script). Its CSP allows the form to go to the application.
func (h *Handler) RenderFormPost(w http.ResponseWriter, r *http.Request, p FormPostPage, target string) {
	if target != "" && !strings.ContainsAny(target, " ;,'\"\r\n") {
		w.Header().Set("Content-Security-Policy", ContentSecurityPolicy+" "+target)
	}
	h.render(w, r, http.StatusOK, "formpost", view{Title: "Back to " + p.ClientName, Data: p})
}
