package oidc

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/rollcall/rollcall/internal/store"
	"github.com/rollcall/rollcall/internal/web"
)

// The device authorization grant (RFC 8628): a CLI or TV asks
// /oauth2/device_authorization for a user code, the person opens
// /oauth2/device on a signed-in browser, enters it and agrees, and the
// device's next poll of the token endpoint gets the tokens, once.
const (
	devicePath       = "/oauth2/device"
	deviceDecidePath = "/oauth2/device/decide"
	deviceTTL        = 10 * time.Minute
	devicePoll       = 5 * time.Second
)

var _ op.DeviceAuthorizationStorage = (*storage)(nil)

// StoreDeviceAuthorization stores a new device authorization; only its
// device code's hash is kept.
func (s *storage) StoreDeviceAuthorization(ctx context.Context, clientID, deviceCode, userCode string, expires time.Time, scopes []string) error {
	err := s.o.CreateOIDCDeviceAuth(ctx, store.OIDCDeviceAuth{DeviceHash: hash(deviceCode), UserCode: normUserCode(userCode),
		ClientID: clientID, Scopes: scopes, ExpiresAt: expires})
	var ce *store.ConflictError
	if errors.As(err, &ce) && ce.Field == "user_code" {
		return op.ErrDuplicateUserCode
	}
	return err
}

// GetDeviceAuthorizatonState answers the device's poll. The store marks
// an approved authorization redeemed as it answers, so a second poll gets
// nothing more.
func (s *storage) GetDeviceAuthorizatonState(ctx context.Context, clientID, deviceCode string) (*op.DeviceAuthorizationState, error) {
	d, err := s.o.PollOIDCDeviceAuth(ctx, hash(deviceCode))
	if err != nil {
		return nil, err
	}
	if d.ClientID != clientID {
		return nil, errors.New("the device code belongs to another client")
	}
	if d.State == store.OIDCDeviceRedeemed {
		return nil, errors.New("the device code was already used")
	}
	return &op.DeviceAuthorizationState{
		ClientID: d.ClientID, Audience: []string{d.ClientID}, Scopes: d.Scopes, Expires: d.ExpiresAt,
		Done: d.State == store.OIDCDeviceApproved, Denied: d.State == store.OIDCDeviceDenied,
		Subject: d.UserID, AMR: d.AMR, AuthTime: d.AuthTime,
	}, nil
}

// normUserCode is a user code as stored: upper case, with the dash after
// four characters, whatever the person typed.
func normUserCode(s string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		if r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	c := b.String()
	if len(c) == 8 {
		return c[:4] + "-" + c[4:]
	}
	return c
}

// device is the page where the person enters the user code (prefilled
// from verification_uri_complete) and is asked to agree.
func (p *Provider) device(w http.ResponseWriter, r *http.Request) {
	code := r.URL.Query().Get("user_code")
	v := web.VisitorOf(r)
	if v == nil {
		http.Redirect(w, r, "/signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return
	}
	if code == "" {
		p.pages.RenderDevice(w, r, http.StatusOK, "", "")
		return
	}
	if len(code) > 20 {
		p.pages.RenderDevice(w, r, http.StatusBadRequest, code[:20], "That is not a code Rollcall gave out. Check the code your device shows.")
		return
	}
	d, err := p.o.GetOIDCDeviceAuthByUserCode(r.Context(), normUserCode(code), p.now())
	if errors.Is(err, store.ErrNotFound) {
		p.pages.RenderDevice(w, r, http.StatusNotFound, code, "No device is waiting for this code: check it, or start again on the device (codes last ten minutes).")
		return
	}
	if err != nil {
		p.serverError(w, r, err)
		return
	}
	if d.State != store.OIDCDevicePending {
		p.pageError(w, r, http.StatusBadRequest, "Code already used", "This code was already answered. Start again on the device if it did not sign in.")
		return
	}
	cl, err := p.storage.client(r.Context(), d.ClientID)
	if err != nil {
		p.serverError(w, r, err)
		return
	}
	if !allowed(v.User, cl.c) {
		p.pages.RenderStatus(w, r, http.StatusForbidden, "You don't have access to "+cl.c.Name,
			"You are signed in as "+v.User.Username+", but "+cl.c.Name+" is open only to members of certain groups, and you are in none of them. Ask your administrator if you need it.", "", "")
		return
	}
	var lines []string
	for _, sw := range scopeWords {
		if slices.Contains(d.Scopes, sw.scope) {
			lines = append(lines, sw.words)
		}
	}
	p.pages.RenderConsent(w, r, web.ConsentPage{
		ClientName: cl.c.Name + " on your device", LogoURL: cl.c.LogoURL, Scopes: lines,
		Action: deviceDecidePath, RequestID: d.UserCode,
	})
}

// deviceDecide is the answer of the device consent form.
func (p *Provider) deviceDecide(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		p.pageError(w, r, http.StatusBadRequest, "Form not readable", "Start again on the device.")
		return
	}
	v := web.VisitorOf(r)
	if v == nil {
		p.pageError(w, r, http.StatusUnauthorized, "Signed out", "Your Rollcall session has ended. Sign in and enter the code again.")
		return
	}
	code := normUserCode(r.PostForm.Get("id"))
	d, err := p.o.GetOIDCDeviceAuthByUserCode(r.Context(), code, p.now())
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			p.pageError(w, r, http.StatusBadRequest, "Code expired", "This code has expired or was already answered. Start again on the device.")
			return
		}
		p.serverError(w, r, err)
		return
	}
	cl, err := p.storage.client(r.Context(), d.ClientID)
	if err != nil {
		p.serverError(w, r, err)
		return
	}
	approve := r.PostForm.Get("decision") == "allow" && allowed(v.User, cl.c)
	done := store.OIDCAuthDone{UserID: v.User.ID, SessionID: v.Session.ID, AuthTime: v.Session.CreatedAt, AMR: amrPasskey}
	if err := p.o.DecideOIDCDeviceAuth(r.Context(), code, approve, done, p.pages.Meta(r)); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			p.pageError(w, r, http.StatusBadRequest, "Code expired", "This code has expired or was already answered. Start again on the device.")
			return
		}
		p.serverError(w, r, err)
		return
	}
	if !approve {
		p.pageError(w, r, http.StatusOK, "Device not signed in", cl.c.Name+" on your device was not signed in. You can close this window.")
		return
	}
	p.pageError(w, r, http.StatusOK, "Device signed in", cl.c.Name+" on your device is signed in as "+v.User.Username+". You can close this window.")
}
