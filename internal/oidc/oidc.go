// Package oidc is Rollcall's OpenID Connect provider. The protocol is
// github.com/zitadel/oidc/v3's op package (discovery, JWKS, authorize,
// token, userinfo, revocation, introspection, end_session); this package
// gives it Rollcall's state (op.Storage over store.OIDCStore, so several
// instances on one database act as one provider) and Rollcall's pages: the
// authorize endpoint hands the browser to the passkey sign-in of
// internal/web, then to a consent page, and back.
//
// Tokens: ID tokens are signed with an RS256 key kept in the database.
// Access tokens are opaque by default: the library encrypts a random id
// (with a key also in the database) and only the id's SHA-256 is stored, so
// revocation takes effect at once. A client may ask for RFC 9068 JWT access
// tokens instead (atjwt.go), for APIs that verify tokens themselves. Refresh tokens rotate on every use; presenting a
// rotated-away one revokes every token of that sign-in.
package oidc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/rollcall/rollcall/internal/store"
	"github.com/rollcall/rollcall/internal/web"
)

// Paths of the provider under the issuer.
const (
	pathPrefix    = "/oauth2/"
	loginPath     = "/oauth2/login"
	consentPath   = "/oauth2/consent"
	authorizePath = "/oauth2/authorize"
	// DiscoveryPath is where relying parties read the configuration.
	DiscoveryPath = "/.well-known/openid-configuration"
)

// amrPasskey says how Rollcall signs people in (RFC 8176): a key held in
// hardware or a platform authenticator ("hwk"), with the person present
// and verified by the authenticator ("user").
var amrPasskey = []string{"hwk", "user"}

// purgeEvery is how often, at most, expired requests and tokens are
// deleted by each instance.
const purgeEvery = 10 * time.Minute

// Options configure the provider.
type Options struct {
	// Store must also implement store.OIDCStore (sqlstore does).
	Store store.Store
	// Issuer is the public URL (--url): the iss of every token.
	Issuer string
	// Pages are the browser pages whose sign-in, session and look the
	// provider uses.
	Pages *web.Handler
	// RequestMeta returns the request id and client address for audit events.
	RequestMeta func(*http.Request) (requestID, clientIP string)
	Logger      *slog.Logger
	Now         func() time.Time
}

// Provider is the OpenID Connect provider.
type Provider struct {
	op        *op.Provider
	st        store.Store
	o         store.OIDCStore
	storage   *storage
	pages     *web.Handler
	issuer    string
	meta      func(*http.Request) (string, string)
	log       *slog.Logger
	now       func() time.Time
	lastPurge atomic.Int64
	stop      context.CancelFunc // ends the back-channel logout deliveries
	stopped   chan struct{}
}

// New builds the provider, creating its keys in the database on the first
// start.
func New(ctx context.Context, o Options) (*Provider, error) {
	ost, ok := o.Store.(store.OIDCStore)
	if !ok {
		return nil, errors.New("oidc: the store does not keep OpenID Connect state")
	}
	if o.Pages == nil {
		return nil, errors.New("oidc: Pages are required for sign-in")
	}
	u, err := url.Parse(o.Issuer)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("oidc: issuer %q must be an absolute http:// or https:// URL without query or fragment", o.Issuer)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.RequestMeta == nil {
		o.RequestMeta = func(r *http.Request) (string, string) { return r.Header.Get("X-Request-Id"), r.RemoteAddr }
	}
	installLibraryLogs()
	enc, err := ensureKeys(ctx, ost)
	if err != nil {
		return nil, err
	}
	seal, err := newSealer(enc)
	if err != nil {
		return nil, fmt.Errorf("oidc: %w", err)
	}
	p := &Provider{
		st: o.Store, o: ost, pages: o.Pages, issuer: strings.TrimRight(o.Issuer, "/"),
		meta: o.RequestMeta, log: o.Logger, now: o.Now,
	}
	p.storage = &storage{st: o.Store, o: ost, keys: &keyring{st: ost, now: o.Now}, now: o.Now}
	cfg := &op.Config{
		CryptoKey:                         enc,
		CryptoKeyId:                       encryptionKeyID,
		CodeMethodS256:                    true,
		AuthMethodPost:                    true,
		GrantTypeRefreshToken:             true,
		SupportedScopes:                   []string{oidc.ScopeOpenID, oidc.ScopeProfile, oidc.ScopeEmail, oidc.ScopePhone, ScopeGroups, oidc.ScopeOfflineAccess},
		SupportedClaims:                   append(slices.Clone(op.DefaultSupportedClaims), "sid", "groups", "picture", "updated_at"),
		DefaultLogoutRedirectURI:          "/signin?signedout=1",
		BackChannelLogoutSupported:        true,
		BackChannelLogoutSessionSupported: true,
		DeviceAuthorization: op.DeviceAuthorizationConfig{
			Lifetime: deviceTTL, PollInterval: devicePoll, UserFormPath: devicePath, UserCode: op.UserCodeBase20,
		},
	}
	opts := []op.Option{
		op.WithCustomAuthEndpoint(op.NewEndpoint("oauth2/authorize")),
		op.WithCustomTokenEndpoint(op.NewEndpoint("oauth2/token")),
		op.WithCustomIntrospectionEndpoint(op.NewEndpoint("oauth2/introspect")),
		op.WithCustomUserinfoEndpoint(op.NewEndpoint("oauth2/userinfo")),
		op.WithCustomRevocationEndpoint(op.NewEndpoint("oauth2/revoke")),
		op.WithCustomEndSessionEndpoint(op.NewEndpoint("oauth2/end_session")),
		op.WithCustomKeysEndpoint(op.NewEndpoint("oauth2/keys")),
		op.WithCustomDeviceAuthorizationEndpoint(op.NewEndpoint("oauth2/device_authorization")),
		op.WithHttpInterceptors(p.withMeta),
		op.WithCrypto(seal),
	}
	if u.Scheme == "http" {
		opts = append(opts, op.WithAllowInsecure())
	}
	p.op, err = op.NewProvider(cfg, p.storage, op.StaticIssuer(p.issuer), opts...)
	if err != nil {
		return nil, fmt.Errorf("oidc: %w", err)
	}
	p.storage.seal = p.op.Crypto().Encrypt
	bg, stop := context.WithCancel(context.Background())
	p.stop, p.stopped = stop, make(chan struct{})
	go func() {
		defer close(p.stopped)
		p.runBackchannel(bg)
	}()
	return p, nil
}

// Register adds the provider's routes to mux: the library's endpoints
// under /oauth2/ and discovery, and Rollcall's sign-in hand-off and
// consent, which are pages like the others.
func (p *Provider) Register(mux *http.ServeMux) {
	mux.Handle("GET "+DiscoveryPath, p.op)
	mux.Handle(pathPrefix, p.op)
	mux.Handle(userinfoPath, p.userinfo())
	mux.Handle("POST "+tokenPath, refuseClientAssertions(p.jwtAccessTokens(p.op)))
	// The authorize endpoint's own error answers are plain text; these
	// routes show them as a page. A request whose redirect URI is not
	// registered must never be sent back to it.
	// (A POST to authorize comes from the relying party's own page, so it
	// is left to the library: the pages refuse cross-origin POSTs.)
	mux.Handle("GET "+authorizePath, p.pages.Page(p.friendlyErrors(p.op)))
	mux.Handle("GET "+loginPath, p.pages.Page(p.login))
	mux.Handle("POST "+consentPath, p.pages.Page(p.consent))
	mux.Handle("GET "+devicePath, p.pages.Page(p.device))
	mux.Handle("GET "+logoutPath, p.pages.Page(p.logoutPage))
	mux.Handle("POST "+logoutPath, p.pages.Page(p.logout))
	mux.Handle("POST "+deviceDecidePath, p.pages.Page(p.deviceDecide))
}

// refuseClientAssertions answers a token request that authenticates with
// a client assertion (private_key_jwt, RFC 7523) with invalid_client, as
// the discovery document's token_endpoint_auth_methods_supported
// (client_secret_basic and client_secret_post) says: Rollcall's clients
// authenticate with secrets, and the library answers a refresh_token
// request with an assertion with a 500.
func refuseClientAssertions(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ParseForm() == nil && (r.PostForm.Has("client_assertion") || r.PostForm.Has("client_assertion_type")) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Cache-Control", "no-store")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"error":"invalid_client","error_description":"Client assertions (private_key_jwt) are not supported: authenticate with the client secret."}`))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// Close stops the back-channel logout deliveries and waits for them.
func (p *Provider) Close() error {
	p.stop()
	<-p.stopped
	return nil
}

// Handler is the library's handler, for tests that mount it alone.
func (p *Provider) Handler() http.Handler { return p.op }

// withMeta puts the audit meta of the request into its context for the
// storage methods, which the library calls with a context only, and the
// provider's logger for the library's own log lines (logs.go).
func (p *Provider) withMeta(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(p.withMetaCtx(r)))
	})
}

func (p *Provider) withMetaCtx(r *http.Request) context.Context {
	id, ip := p.meta(r)
	m := store.Meta{RequestID: id, ClientIP: ip}
	if v := web.VisitorOf(r); v != nil {
		m.ActorID, m.ActorName = v.User.ID, v.User.Username
	}
	return context.WithValue(withMemo(r.Context()), metaKey, reqInfo{meta: m, log: p.log})
}

// errorRecorder holds back a plain-text error answer so that it can be
// shown as a page instead.
type errorRecorder struct {
	http.ResponseWriter
	status int
	held   bool
	body   bytes.Buffer
}

func (e *errorRecorder) WriteHeader(status int) {
	if status >= 400 && strings.HasPrefix(e.Header().Get("Content-Type"), "text/plain") {
		e.status, e.held = status, true
		return
	}
	e.ResponseWriter.WriteHeader(status)
}

func (e *errorRecorder) Write(b []byte) (int, error) {
	if e.held {
		return e.body.Write(b)
	}
	return e.ResponseWriter.Write(b)
}

// friendlyErrors shows the library's plain-text refusals (unknown client,
// unregistered redirect URI, malformed request) on Rollcall's status page.
func (p *Provider) friendlyErrors(next http.Handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rec := &errorRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		if !rec.held {
			return
		}
		msg := strings.TrimSpace(rec.body.String())
		if msg == "" {
			msg = "The request was not valid."
		}
		w.Header().Del("Content-Type")
		p.pages.RenderStatus(w, r, rec.status, "This sign-in cannot continue",
			"The application sent a request Rollcall cannot accept: "+msg+" Tell the application's administrator; signing in again from the application will not help until it is fixed.", "", "")
	}
}

// pageError shows a refusal to the person.
func (p *Provider) pageError(w http.ResponseWriter, r *http.Request, status int, heading, msg string) {
	p.pages.RenderStatus(w, r, status, heading, msg, "", "")
}

// loadRequest reads the authorization request named by the id parameter,
// and its client.
func (p *Provider) loadRequest(w http.ResponseWriter, r *http.Request, id string) (*authRequest, *client, bool) {
	if id == "" || len(id) > 100 {
		p.pageError(w, r, http.StatusBadRequest, "Sign-in link not valid", "This address is not a sign-in request. Go back to the application and start again.")
		return nil, nil, false
	}
	ar, err := p.storage.AuthRequestByID(r.Context(), id)
	if err != nil {
		var nf notFound
		if errors.As(err, &nf) {
			p.pageError(w, r, http.StatusBadRequest, "Sign-in expired",
				"This sign-in took too long or was already finished. Go back to the application and sign in again.")
			return nil, nil, false
		}
		p.serverError(w, r, err)
		return nil, nil, false
	}
	a := ar.(*authRequest)
	cl, err := p.storage.client(r.Context(), a.rec.ClientID)
	if err != nil {
		p.serverError(w, r, err)
		return nil, nil, false
	}
	return a, cl, true
}

func (p *Provider) serverError(w http.ResponseWriter, r *http.Request, err error) {
	id, _ := p.meta(r)
	p.log.Error("oidc page failed", slog.String("path", r.URL.Path), slog.String("request_id", id), slog.Any("error", err))
	p.pageError(w, r, http.StatusInternalServerError, "Something went wrong",
		"The server could not finish this sign-in. Try again in a moment; if it keeps failing, tell your administrator (request id "+id+").")
}

// errorURL is the relying party's redirect URI carrying an error answer
// (for a registered redirect URI only: the request passed the library's
// checks before it was stored).
func (p *Provider) errorURL(a *authRequest, e *oidc.Error) (string, error) {
	e.State = a.p.State
	return op.AuthResponseURL(a.p.RedirectURI, a.GetResponseType(), oidc.ResponseModeQuery, e, p.op.Encoder())
}

// redirectError sends the browser back to the relying party with an error,
// as the request's response_mode asks.
func (p *Provider) redirectError(w http.ResponseWriter, r *http.Request, a *authRequest, e *oidc.Error) {
	if a.GetResponseMode() == oidc.ResponseModeFormPost {
		params := []web.FormParam{{Name: "error", Value: string(e.ErrorType)}}
		if e.Description != "" {
			params = append(params, web.FormParam{Name: "error_description", Value: e.Description})
		}
		if a.p.State != "" {
			params = append(params, web.FormParam{Name: "state", Value: a.p.State})
		}
		p.formPost(w, r, a, params)
		return
	}
	u, err := p.errorURL(a, e)
	if err != nil {
		p.serverError(w, r, err)
		return
	}
	http.Redirect(w, r, u, http.StatusSeeOther)
}

// formPost answers the relying party in response_mode=form_post with
// Rollcall's own page: the library's uses an inline script, which the
// pages' Content-Security-Policy refuses.
func (p *Provider) formPost(w http.ResponseWriter, r *http.Request, a *authRequest, params []web.FormParam) {
	name := "the application"
	if cl, err := p.storage.client(r.Context(), a.rec.ClientID); err == nil {
		name = cl.c.Name
	}
	target := ""
	if u, err := url.Parse(a.p.RedirectURI); err == nil && u.Host != "" {
		target = u.Scheme + "://" + u.Host
	}
	p.pages.RenderFormPost(w, r, web.FormPostPage{ClientName: name, Action: a.p.RedirectURI, Params: params}, target)
}

// login is where the authorize endpoint sends the browser (client.LoginURL):
// to the passkey sign-in when nobody is signed in, then through the
// checks of who may use the client and the consent page, and back to the
// relying party with a code.
func (p *Provider) login(w http.ResponseWriter, r *http.Request) {
	p.purgeExpired()
	id := r.URL.Query().Get("id")
	a, cl, ok := p.loadRequest(w, r, id)
	if !ok {
		return
	}
	if a.rec.Done {
		p.pageError(w, r, http.StatusBadRequest, "Sign-in already finished", "Go back to the application; if it did not sign you in, start again there.")
		return
	}
	v := web.VisitorOf(r)
	if v == nil {
		if slices.Contains(a.p.Prompt, oidc.PromptNone) {
			p.redirectError(w, r, a, oidc.ErrLoginRequired().WithDescription("Nobody is signed in to Rollcall in this browser."))
			return
		}
		to := "/signin?next=" + url.QueryEscape(loginPath+"?id="+url.QueryEscape(id))
		if a.p.LoginHint != "" {
			to += "&login_hint=" + url.QueryEscape(a.p.LoginHint)
		}
		http.Redirect(w, r, to, http.StatusSeeOther)
		return
	}
	if p.needsFreshSignIn(a, v) {
		if slices.Contains(a.p.Prompt, oidc.PromptNone) {
			p.redirectError(w, r, a, oidc.ErrLoginRequired().WithDescription("The application asks for a sign-in newer than max_age."))
			return
		}
		http.Redirect(w, r, "/signin?reauth=1&next="+url.QueryEscape(loginPath+"?id="+url.QueryEscape(id)), http.StatusSeeOther)
		return
	}
	if !allowed(v.User, cl.c) {
		// The page's button comes back here with return=1 and is answered
		// as the request asked (response_mode form_post or query): a plain
		// link to the redirect URI could only be a query-mode answer.
		if r.URL.Query().Get("return") == "1" {
			p.redirectError(w, r, a, oidc.ErrAccessDenied().WithDescription("The person is not in a group allowed to use this application."))
			return
		}
		p.pages.RenderStatus(w, r, http.StatusForbidden, "You don't have access to "+cl.c.Name,
			"You are signed in as "+v.User.Username+", but "+cl.c.Name+" is open only to members of certain groups, and you are in none of them. Ask your administrator if you need it.",
			loginPath+"?id="+url.QueryEscape(id)+"&return=1", "Return to "+cl.c.Name)
		return
	}
	if !cl.c.SkipConsent {
		co, err := p.o.GetOIDCConsent(r.Context(), v.User.ID, cl.c.ID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			p.serverError(w, r, err)
			return
		}
		covered := err == nil && !slices.Contains(a.p.Prompt, oidc.PromptConsent)
		for _, s := range a.p.Scopes {
			covered = covered && slices.Contains(co.Scopes, s)
		}
		if !covered {
			if slices.Contains(a.p.Prompt, oidc.PromptNone) {
				p.redirectError(w, r, a, (&oidc.Error{ErrorType: "consent_required"}).WithDescription("The person has not agreed to share this with the application."))
				return
			}
			p.showConsent(w, r, a, cl)
			return
		}
	}
	p.finish(w, r, a, v)
}

// needsFreshSignIn reports whether the application asked for a passkey
// sign-in newer than the browser's session (prompt=login, which the library
// turns into max_age 0, or max_age) and the person has not signed in since
// the request began.
func (p *Provider) needsFreshSignIn(a *authRequest, v *web.Visitor) bool {
	if a.p.MaxAge == nil || !v.Session.CreatedAt.Before(a.rec.CreatedAt) {
		return false
	}
	return p.now().Sub(v.Session.CreatedAt) > time.Duration(*a.p.MaxAge)*time.Second
}

// scopeWords are the consent page's lines, in the order shown.
var scopeWords = []struct{ scope, words string }{
	{oidc.ScopeOpenID, "Who you are (an identifier that stays the same)"},
	{oidc.ScopeProfile, "Your name, username, picture and language"},
	{oidc.ScopeEmail, "Your email address"},
	{oidc.ScopePhone, "Your phone number"},
	{ScopeGroups, "The names of your groups"},
	{oidc.ScopeOfflineAccess, "Stay signed in to it while you are away"},
}

func (p *Provider) showConsent(w http.ResponseWriter, r *http.Request, a *authRequest, cl *client) {
	var lines []string
	for _, sw := range scopeWords {
		if slices.Contains(a.p.Scopes, sw.scope) {
			lines = append(lines, sw.words)
		}
	}
	target := ""
	if u, err := url.Parse(a.p.RedirectURI); err == nil && u.Host != "" {
		target = u.Scheme + "://" + u.Host
	}
	p.pages.RenderConsent(w, r, web.ConsentPage{
		ClientName: cl.c.Name, LogoURL: cl.c.LogoURL, Scopes: lines,
		Action: consentPath, RequestID: a.rec.ID, FormTarget: target,
	})
}

// consent is the consent form's answer.
func (p *Provider) consent(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		p.pageError(w, r, http.StatusBadRequest, "Form not readable", "Go back to the application and sign in again.")
		return
	}
	a, cl, ok := p.loadRequest(w, r, r.PostForm.Get("id"))
	if !ok {
		return
	}
	v := web.VisitorOf(r)
	if v == nil {
		p.pageError(w, r, http.StatusUnauthorized, "Signed out", "Your Rollcall session has ended. Go back to the application and sign in again.")
		return
	}
	if a.rec.Done {
		p.pageError(w, r, http.StatusBadRequest, "Sign-in already finished", "Go back to the application; if it did not sign you in, start again there.")
		return
	}
	if !allowed(v.User, cl.c) {
		p.redirectError(w, r, a, oidc.ErrAccessDenied().WithDescription("The person is not in a group allowed to use this application."))
		return
	}
	if r.PostForm.Get("decision") != "allow" {
		p.redirectError(w, r, a, oidc.ErrAccessDenied().WithDescription("The person declined."))
		return
	}
	if err := p.o.SaveOIDCConsent(r.Context(), store.OIDCConsent{UserID: v.User.ID, ClientID: cl.c.ID, Scopes: a.p.Scopes}, p.pages.Meta(r)); err != nil {
		p.serverError(w, r, err)
		return
	}
	p.finish(w, r, a, v)
}

// finish records who signed in and answers the relying party with a code,
// through the library (which stores the code's hash via SaveAuthCode).
func (p *Provider) finish(w http.ResponseWriter, r *http.Request, a *authRequest, v *web.Visitor) {
	d := store.OIDCAuthDone{UserID: v.User.ID, SessionID: v.Session.ID, AuthTime: v.Session.CreatedAt, AMR: amrPasskey}
	if err := p.o.CompleteOIDCAuthRequest(r.Context(), a.rec.ID, d, p.pages.Meta(r)); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			p.pageError(w, r, http.StatusBadRequest, "Sign-in expired",
				"This sign-in took too long or was already finished. Go back to the application and sign in again.")
			return
		}
		p.serverError(w, r, err)
		return
	}
	done, err := p.storage.AuthRequestByID(r.Context(), a.rec.ID)
	if err != nil {
		p.serverError(w, r, err)
		return
	}
	ctx := op.ContextWithIssuer(p.withMetaCtx(r), p.issuer)
	if a.GetResponseMode() == oidc.ResponseModeFormPost {
		res, err := op.BuildAuthResponseCodeResponsePayload(ctx, done, p.op)
		if err != nil {
			p.serverError(w, r, err)
			return
		}
		params := []web.FormParam{{Name: "code", Value: res.Code}}
		if res.State != "" {
			params = append(params, web.FormParam{Name: "state", Value: res.State})
		}
		p.formPost(w, r, a, params)
		return
	}
	op.AuthResponse(done, p.op, w, r.WithContext(ctx))
}

// purgeExpired deletes expired requests and tokens in the background, at
// most once per purgeEvery per instance.
func (p *Provider) purgeExpired() {
	now := p.now()
	last := p.lastPurge.Load()
	if now.Unix()-last < int64(purgeEvery/time.Second) || !p.lastPurge.CompareAndSwap(last, now.Unix()) {
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := p.o.DeleteExpiredOIDC(ctx, now.UTC()); err != nil {
			p.log.Warn("deleting expired OpenID Connect requests and tokens", slog.Any("error", err))
		}
	}()
}
