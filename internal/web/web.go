// Package web serves Rollcall's browser pages: passkey sign-in, setup from
// a setup link, the account page and the admin console. Pages are rendered
// on the server with html/template; the only JavaScript is one small static
// file that runs the WebAuthn ceremonies, so a strict Content-Security-Policy
// (no inline scripts or styles) holds on every page.
//
// State-changing requests are protected from cross-site forgery by
// net/http's CrossOriginProtection (Sec-Fetch-Site / Origin checks), and the
// session cookie is HttpOnly, SameSite=Lax, and Secure with the __Host-
// prefix when the public URL is https. Sessions live in the database
// (store.AuthStore), so any server instance can serve any request.
package web

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/rollcall/rollcall/internal/mail"
	"github.com/rollcall/rollcall/internal/passkey"
	"github.com/rollcall/rollcall/internal/store"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// ContentSecurityPolicy is sent with every page: scripts, styles and form
// targets from this origin only, no plugins, no framing.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

// Defaults for Options left zero.
const (
	DefaultSessionTTL   = 12 * time.Hour
	DefaultSetupLinkTTL = 72 * time.Hour
	// purgeEvery is how often expired challenges, sessions and setup links
	// are deleted, at most, by each server instance.
	purgeEvery = 10 * time.Minute
	// sessionTouchEvery limits how often a session's last-seen time is
	// written, so page views do not queue on the database's writer.
	sessionTouchEvery = 5 * time.Minute
)

// Mailer sends one email; *mail.Sender is the real one.
type Mailer interface {
	Send(ctx context.Context, m mail.Message) error
}

// Options configure the pages.
type Options struct {
	Store     store.Store
	Auth      store.AuthStore
	PublicURL string // ROLLCALL_URL: origin of the pages and the passkey relying party
	// SetupLinkTTL is how long a setup link stays valid (ROLLCALL_SETUP_LINK_TTL).
	SetupLinkTTL time.Duration
	SessionTTL   time.Duration
	// Mailer sends setup links; nil when SMTP is not configured.
	Mailer Mailer
	Logger *slog.Logger
	// RequestMeta returns the request id and client address recorded in
	// audit events; the API server passes its own so both agree.
	RequestMeta func(r *http.Request) (requestID, clientIP string)
	// Now replaces time.Now in tests.
	Now func() time.Time
}

// Handler serves the pages. Create it with New and add its routes to a mux
// with Register.
type Handler struct {
	st        store.Store
	auth      store.AuthStore
	passkeys  *passkey.Service
	links     *SetupLinks
	log       *slog.Logger
	secure    bool // https: Secure cookies with the __Host- prefix
	cookie    string
	sessTTL   time.Duration
	meta      func(*http.Request) (string, string)
	now       func() time.Time
	pages     map[string]*template.Template
	cop       *http.CrossOriginProtection
	mux       *http.ServeMux // the pages alone, for ServeHTTP
	lastPurge atomic.Int64   // unix seconds of the last purge of expired rows
	limit     ceremonyLimiter
}

// New checks the options and parses the templates.
func New(o Options) (*Handler, error) {
	if o.Store == nil || o.Auth == nil {
		return nil, errors.New("web: Store and Auth are required")
	}
	u, err := url.Parse(o.PublicURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("web: public URL %q must be an absolute http:// or https:// URL", o.PublicURL)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	// Browsers allow passkeys only on a domain name, never on an IP
	// address. The pages still serve (setup links can be made), and the
	// passkey buttons explain what to change.
	var pk *passkey.Service
	if net.ParseIP(u.Hostname()) == nil {
		if pk, err = passkey.New(o.PublicURL, "Rollcall", o.Auth); err != nil {
			return nil, err
		}
	} else {
		o.Logger.Warn("passkeys are off: the public URL's host is an IP address, and browsers allow passkeys only on a domain name; set ROLLCALL_URL to a name such as http://localhost:8080 or https://id.example.com",
			slog.String("url", o.PublicURL))
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.SessionTTL <= 0 {
		o.SessionTTL = DefaultSessionTTL
	}
	if o.RequestMeta == nil {
		o.RequestMeta = func(r *http.Request) (string, string) { return r.Header.Get("X-Request-Id"), peerIP(r) }
	}
	h := &Handler{
		st:       o.Store,
		auth:     o.Auth,
		passkeys: pk,
		links:    &SetupLinks{Auth: o.Auth, PublicURL: strings.TrimRight(o.PublicURL, "/"), TTL: o.SetupLinkTTL, Mailer: o.Mailer, Now: o.Now},
		log:      o.Logger,
		secure:   u.Scheme == "https",
		cookie:   "rollcall_session",
		sessTTL:  o.SessionTTL,
		meta:     o.RequestMeta,
		now:      o.Now,
		cop:      http.NewCrossOriginProtection(),
	}
	if h.secure {
		h.cookie = "__Host-rollcall_session"
	}
	if err := h.cop.AddTrustedOrigin(u.Scheme + "://" + u.Host); err != nil {
		return nil, fmt.Errorf("web: trusted origin: %w", err)
	}
	h.cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.renderStatus(w, r, http.StatusForbidden, "Request refused",
			"This form was sent from another site, or your browser did not say where it came from. Go back, reload the page and try again.")
	}))
	if err := h.parseTemplates(); err != nil {
		return nil, err
	}
	h.mux = http.NewServeMux()
	h.Register(h.mux)
	return h, nil
}

// SetupLinks returns the setup-link issuer the pages use, for the API and
// the serve command's first-admin link.
func (h *Handler) SetupLinks() *SetupLinks { return h.links }

// Register adds every page route to mux. Each is wrapped with the security
// headers, cross-origin protection and session loading.
func (h *Handler) Register(mux *http.ServeMux) {
	page := func(pattern string, fn http.HandlerFunc) { mux.Handle(pattern, h.wrap(fn)) }

	mux.Handle("GET /static/", h.static())
	page("GET /{$}", h.home)
	page("GET /signin", h.signInPage)
	page("POST /signin/begin", h.limited(h.signInBegin))
	page("POST /signin/finish", h.limited(h.signInFinish))
	page("GET /signin/disabled", h.signInDisabled)
	page("POST /signout", h.signOut)

	page("GET /setup/{$}", h.setupNoSecret)
	page("GET /setup", h.setupNoSecret)
	page("GET /setup/{secret}", h.setupPage)
	mux.Handle("GET /favicon.ico", h.wrap(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/static/favicon.svg", http.StatusMovedPermanently)
	}))
	page("POST /setup/{secret}/begin", h.limited(h.setupBegin))
	page("POST /setup/{secret}/finish", h.limited(h.setupFinish))

	page("GET /account", h.signedIn(h.accountPage))
	page("POST /account/passkeys/begin", h.signedIn(h.addPasskeyBegin))
	page("POST /account/passkeys/finish", h.signedIn(h.addPasskeyFinish))
	page("POST /account/passkeys/{id}/rename", h.signedIn(h.renamePasskey))
	page("POST /account/passkeys/{id}/delete", h.signedIn(h.deletePasskey))
	page("POST /account/sessions/signout-others", h.signedIn(h.signOutOthers))
	page("POST /account/sessions/{id}/signout", h.signedIn(h.signOutSession))
	page("POST /account/apps/{id}/forget", h.signedIn(h.forgetApp))

	page("GET /admin", h.admin(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/admin/users", http.StatusSeeOther)
	}))
	page("GET /admin/users", h.admin(h.adminUsers))
	page("GET /admin/users/new", h.admin(h.adminNewUser))
	page("GET /admin/users/suggest", h.admin(h.adminSuggestUsers))
	page("POST /admin/users", h.admin(h.adminCreateUser))
	page("GET /admin/users/{id}", h.admin(h.adminUser))
	page("POST /admin/users/{id}", h.admin(h.adminEditUser))
	page("GET /admin/users/{id}/disable", h.admin(h.adminConfirmDisable))
	page("GET /admin/users/{id}/revoke-passkeys", h.admin(h.adminConfirmRevokePasskeys))
	page("POST /admin/users/{id}/disable", h.admin(h.adminSetDisabled(true)))
	page("POST /admin/users/{id}/enable", h.admin(h.adminSetDisabled(false)))
	page("POST /admin/users/{id}/delete", h.admin(h.adminDeleteUser))
	page("POST /admin/users/{id}/setup-link", h.admin(h.adminSetupLink))
	page("POST /admin/users/{id}/setup-links/{link}/revoke", h.admin(h.adminRevokeSetupLink))
	page("POST /admin/users/{id}/revoke-passkeys", h.admin(h.adminRevokePasskeys))
	page("POST /admin/users/{id}/passkeys/{passkey}/delete", h.admin(h.adminDeletePasskey))
	page("POST /admin/users/{id}/end-sessions", h.admin(h.adminEndSessions))
	page("POST /admin/users/{id}/groups", h.admin(h.adminUserGroups))

	page("GET /admin/groups", h.admin(h.adminGroups))
	page("POST /admin/groups", h.admin(h.adminCreateGroup))
	page("GET /admin/groups/{id}", h.admin(h.adminGroup))
	page("POST /admin/groups/{id}", h.admin(h.adminEditGroup))
	page("POST /admin/groups/{id}/delete", h.admin(h.adminDeleteGroup))
	page("POST /admin/groups/{id}/members", h.admin(h.adminGroupMembers))

	page("GET /admin/audit", h.admin(h.adminAudit))

	page("GET /admin/clients", h.admin(h.adminClients))
	page("POST /admin/clients", h.admin(h.adminCreateClient))
	page("GET /admin/clients/{id}", h.admin(h.adminClient))
	page("POST /admin/clients/{id}", h.admin(h.adminEditClient))
	page("POST /admin/clients/{id}/rotate-secret", h.admin(h.adminRotateClientSecret))
	page("POST /admin/clients/{id}/delete", h.admin(h.adminDeleteClient))
}

// ServeHTTP serves the pages on their own, for tests and for embedding
// without the API.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

func (h *Handler) static() http.Handler {
	sub, _ := fs.Sub(staticFiles, "static")
	files := http.StripPrefix("/static/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		securityHeaders(w)
		w.Header().Set("Cache-Control", "no-cache")
		files.ServeHTTP(w, r)
	})
}

func securityHeaders(w http.ResponseWriter) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", ContentSecurityPolicy)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "same-origin")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
}

type ctxKey int

const viewerKey ctxKey = 0

// viewer is the signed-in person of a request, if any.
type viewer struct {
	user    store.User
	session store.Session
}

func viewerOf(r *http.Request) *viewer {
	v, _ := r.Context().Value(viewerKey).(*viewer)
	return v
}

// wrap adds the headers every page sends, refuses cross-origin
// state-changing requests, and loads the session.
func (h *Handler) wrap(next http.HandlerFunc) http.Handler {
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		if v := h.loadSession(w, r); v != nil {
			r = r.WithContext(context.WithValue(r.Context(), viewerKey, v))
		}
		next(w, r)
	})
	protected := h.cop.Handler(inner)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		securityHeaders(w)
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, 256<<10)
		}
		protected.ServeHTTP(w, r)
	})
}

// signedIn sends visitors without a session to the sign-in page.
func (h *Handler) signedIn(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if viewerOf(r) == nil {
			if r.Method == http.MethodGet {
				http.Redirect(w, r, "/signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			h.renderStatus(w, r, http.StatusUnauthorized, "Signed out", "Your session has ended. Sign in again, then repeat what you were doing.")
			return
		}
		next(w, r)
	}
}

// admin lets only signed-in, enabled admins through.
func (h *Handler) admin(next http.HandlerFunc) http.HandlerFunc {
	return h.signedIn(func(w http.ResponseWriter, r *http.Request) {
		if !viewerOf(r).user.IsAdmin {
			h.renderStatus(w, r, http.StatusForbidden, "Administrators only",
				"The admin console is for Rollcall administrators. Ask an administrator if you need something changed.")
			return
		}
		next(w, r)
	})
}

// metaOf is the audit actor of a request.
func (h *Handler) metaOf(r *http.Request) store.Meta {
	id, ip := h.meta(r)
	m := store.Meta{RequestID: id, ClientIP: ip}
	if v := viewerOf(r); v != nil {
		m.ActorID, m.ActorName = v.user.ID, v.user.Username
	}
	return m
}

func (h *Handler) home(w http.ResponseWriter, r *http.Request) {
	if viewerOf(r) != nil {
		http.Redirect(w, r, "/account", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
}

// peerIP is the address of the connection's peer.
func peerIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// serverError logs err and shows a page that does not leak it.
func (h *Handler) serverError(w http.ResponseWriter, r *http.Request, err error) {
	id, _ := h.meta(r)
	h.log.Error("web page failed", slog.String("path", LogPath(r)), slog.String("request_id", id), slog.Any("error", err))
	h.renderStatus(w, r, http.StatusInternalServerError, "Something went wrong",
		"The server could not finish this request. Try again in a moment; if it keeps failing, tell your administrator (request id "+id+").")
}

// purgeExpired deletes expired ceremonies, sessions and old setup links in
// the background, at most once per purgeEvery; ceremonies call it, so the
// tables stay small without a timer of their own.
func (h *Handler) purgeExpired() {
	now := h.now()
	last := h.lastPurge.Load()
	if now.Unix()-last < int64(purgeEvery/time.Second) || !h.lastPurge.CompareAndSwap(last, now.Unix()) {
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := h.auth.DeleteExpired(ctx, now.UTC()); err != nil {
			h.log.Warn("deleting expired sessions and challenges", slog.Any("error", err))
		}
	}()
}

// passkeysOffMessage explains why passkeys cannot work on this server's
// public URL, shown on the pages that would use them.
const passkeysOffMessage = "Passkeys do not work on this address: browsers allow them only on a domain name, not an IP address. " +
	"Open Rollcall at http://localhost:PORT, or ask the administrator to set ROLLCALL_URL to the server's name."

// passkeysOff answers a ceremony request when passkeys cannot work on this
// server's public URL, and reports whether it did.
func (h *Handler) passkeysOff(w http.ResponseWriter, r *http.Request) bool {
	if h.passkeys != nil {
		return false
	}
	h.ceremonyError(w, r, http.StatusServiceUnavailable, passkeysOffMessage, nil)
	return true
}

// safeNext keeps a post-sign-in redirect on this site: it returns s when
// s is a path on Rollcall's own origin, and /account otherwise.
//
// Browsers resolve a Location header or location.assign by the WHATWG URL
// rules, not RFC 3986: they delete tabs and newlines anywhere, strip
// leading controls and spaces, and read "\" as "/". "/\t/evil.example" and
// "/\evil.example" both lead to evil.example, past a check for a leading
// "//". So safeNext takes only printable ASCII without spaces or
// backslashes (a real next= is the percent-encoded request URI of a page),
// one "/" first and no "/" after it, and the same of the path once
// percent-decoded; it returns the parsed URL written anew, not the input.
func safeNext(s string) string {
	const home = "/account"
	if !sitePath(s) {
		return home
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" || !sitePath(u.Path) {
		return home
	}
	out := (&url.URL{Path: u.Path, RawPath: u.RawPath, RawQuery: u.RawQuery, Fragment: u.Fragment, RawFragment: u.RawFragment}).String()
	if !sitePath(out) {
		return home
	}
	return out
}

// sitePath reports whether s starts with exactly one "/" (not followed by
// "/" or "\") and holds only printable ASCII other than space and "\".
func sitePath(s string) bool {
	if len(s) == 0 || s[0] != '/' || (len(s) > 1 && (s[1] == '/' || s[1] == '\\')) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c >= 0x7f || c == '\\' {
			return false
		}
	}
	return true
}
