package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/mail"
	"time"

	rcmail "github.com/rollcall/rollcall/internal/mail"
	"github.com/rollcall/rollcall/internal/passkey"
	"github.com/rollcall/rollcall/internal/store"
)

// ErrNoMailer is returned when a setup link should be emailed but SMTP is
// not configured.
var ErrNoMailer = errors.New("email is not configured on this server (set ROLLCALL_SMTP_URL such as smtp://user:password@mail.example.com:587?from=rollcall@example.com); the link was not sent")

// SetupLinks issues setup links: one-time URLs that let a person register a
// passkey without signing in. The API, the admin console and the serve
// command's first-admin link all use it.
type SetupLinks struct {
	Auth      store.AuthStore
	PublicURL string
	TTL       time.Duration // DefaultSetupLinkTTL when zero
	Mailer    Mailer        // nil when SMTP is not configured
	Now       func() time.Time
	// FirstAdmin marks the links as the first admin's (see
	// store.SetupLink.FirstAdmin).
	FirstAdmin bool
}

// IssuedLink is a new setup link. URL holds the secret and is shown once.
type IssuedLink struct {
	Link    store.SetupLink
	URL     string
	Emailed bool
}

// CanEmail reports whether links can be sent by email.
func (s *SetupLinks) CanEmail() bool { return s.Mailer != nil }

// Issue makes a setup link for u, revoking u's older links, and, when email
// is true, emails it to u.
// When the email fails the link still exists and is returned along with
// the error, so the caller can hand it over another way.
func (s *SetupLinks) Issue(ctx context.Context, u store.User, email bool, m store.Meta) (IssuedLink, error) {
	if email && s.Mailer == nil {
		return IssuedLink{}, ErrNoMailer
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	ttl := s.TTL
	if ttl <= 0 {
		ttl = DefaultSetupLinkTTL
	}
	secret := newSecret()
	at := now().UTC()
	link, err := s.Auth.CreateSetupLink(ctx, store.SetupLink{
		UserID: u.ID, Hash: hashSecret(secret), CreatedAt: at, ExpiresAt: at.Add(ttl), FirstAdmin: s.FirstAdmin,
	}, m)
	if err != nil {
		return IssuedLink{}, err
	}
	out := IssuedLink{Link: link, URL: s.PublicURL + "/setup/" + secret}
	if email {
		if err := s.Mailer.Send(ctx, setupMail(u, out)); err != nil {
			return out, fmt.Errorf("the setup link was created but could not be emailed to %s: %w", u.Email, err)
		}
		out.Emailed = true
	}
	return out, nil
}

// setupMailHTML is the HTML part of the setup mail: the same words as the
// text part, with the link as a button. Mail programs drop <style>, so the
// few styles are inline; no images, nothing loaded from elsewhere.
var setupMailHTML = template.Must(template.New("mail").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Set up your Rollcall passkey</title></head>
<body style="margin:0;padding:24px;background:#f5f6f8;font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;color:#1c2230;line-height:1.5">
<div style="max-width:480px;margin:0 auto;background:#ffffff;border:1px solid #dfe3ea;border-radius:10px;padding:24px">
<p>Hello {{.Name}},</p>
<p>an account with the username <strong>{{.Username}}</strong> has been created for you on Rollcall.
Open this link to create the passkey you will sign in with:</p>
<p><a href="{{.URL}}" style="display:inline-block;background:#4f46e5;color:#ffffff;padding:10px 18px;border-radius:8px;text-decoration:none;font-weight:600">Set up your passkey</a></p>
<p style="font-size:14px;color:#5d6678;word-break:break-all">Or copy this address into your browser:<br>{{.URL}}</p>
<p>The link works once and expires on {{.Expires}}.
If it has expired, ask your administrator for a new one.</p>
</div>
</body></html>
`))

func setupMail(u store.User, l IssuedLink) rcmail.Message {
	name := displayName(u)
	expires := l.Link.ExpiresAt.UTC().Format("2 January 2006 at 15:04 UTC")
	var html bytes.Buffer
	if err := setupMailHTML.Execute(&html, struct{ Name, Username, URL, Expires string }{name, u.Username, l.URL, expires}); err != nil {
		html.Reset() // the text part alone still carries the link
	}
	return rcmail.Message{
		HTML:    html.String(),
		To:      mail.Address{Name: name, Address: u.Email},
		Subject: "Set up your Rollcall passkey",
		Body: fmt.Sprintf(`Hello %s,

an account with the username %q has been created for you on Rollcall.
Open this link to create the passkey you will sign in with:

%s

The link works once and expires on %s.
If it has expired, ask your administrator for a new one.
`, name, u.Username, l.URL, expires),
	}
}

// revokedLinkMessage explains a revoked setup link: the three ways a link
// dies before it is used.
const revokedLinkMessage = "It was replaced by a newer link, revoked by an administrator, or a passkey has been set up for this account since. " +
	"If you set up your passkey, sign in with it. Otherwise ask your administrator for a new setup link, and use the newest one you get."

// setupData is the setup page's content.
type setupData struct {
	User   store.User
	Secret string
}

// setupLink loads the link of the request and the user it belongs to, or
// renders the page that says why it cannot be used.
func (h *Handler) setupLink(w http.ResponseWriter, r *http.Request, asJSON bool) (store.SetupLink, store.User, bool) {
	secret := r.PathValue("secret")
	refuse := func(status int, heading, msg string) {
		if asJSON {
			writeJSON(w, status, ceremonyResult{Error: heading + ". " + msg})
			return
		}
		h.renderStatus(w, r, status, heading, msg)
	}
	link, err := h.auth.GetSetupLink(r.Context(), hashSecret(secret))
	if errors.Is(err, store.ErrNotFound) {
		refuse(http.StatusNotFound, "This setup link is not valid",
			"Check that you opened the whole link from your email or message. If it still does not work, ask your administrator for a new setup link.")
		return link, store.User{}, false
	}
	if err != nil {
		h.serverError(w, r, err)
		return link, store.User{}, false
	}
	if link.UsedAt != nil {
		refuse(http.StatusGone, "This setup link has already been used",
			"Each setup link works once, and this one was used on "+link.UsedAt.UTC().Format("2 Jan 2006 at 15:04 UTC")+
				". If you set up your passkey then, sign in with it. Otherwise ask your administrator for a new setup link.")
		return link, store.User{}, false
	}
	if link.RevokedAt != nil {
		refuse(http.StatusGone, "This setup link is no longer valid", revokedLinkMessage)
		return link, store.User{}, false
	}
	if !h.now().Before(link.ExpiresAt) {
		refuse(http.StatusGone, "This setup link has expired",
			"It was valid until "+link.ExpiresAt.UTC().Format("2 Jan 2006 at 15:04 UTC")+
				". Ask your administrator for a new setup link.")
		return link, store.User{}, false
	}
	if link.FirstAdmin {
		// A first-admin link is needed only while no admin can sign in.
		done, err := h.auth.AdminHasPasskey(r.Context())
		if err != nil {
			h.serverError(w, r, err)
			return link, store.User{}, false
		}
		if done {
			refuse(http.StatusGone, "This setup link is no longer valid",
				"It was the first administrator's link, and an administrator has set up a passkey since. Sign in with your passkey, or ask an administrator for a new setup link.")
			return link, store.User{}, false
		}
	}
	u, err := h.st.GetUser(r.Context(), link.UserID)
	if errors.Is(err, store.ErrNotFound) {
		refuse(http.StatusNotFound, "This setup link is not valid", "The account it was made for no longer exists. Ask your administrator.")
		return link, u, false
	}
	if err != nil {
		h.serverError(w, r, err)
		return link, u, false
	}
	if u.Disabled {
		refuse(http.StatusForbidden, "Your account is disabled",
			"An administrator has disabled this account, so its setup link cannot be used. Contact your administrator.")
		return link, u, false
	}
	return link, u, true
}

// setupNoSecret answers /setup/ without a link's secret (a link cut short
// when it was copied) with a page, not the API's JSON 404.
func (h *Handler) setupNoSecret(w http.ResponseWriter, r *http.Request) {
	h.renderStatus(w, r, http.StatusNotFound, "This setup link is incomplete",
		"The address ends after /setup/: the rest of the link is missing. Copy the whole link from the email or message you received, "+
			"or ask your administrator for a new setup link.")
}

func (h *Handler) setupPage(w http.ResponseWriter, r *http.Request) {
	_, u, ok := h.setupLink(w, r, false)
	if !ok {
		return
	}
	v := view{Title: "Set up your passkey", Data: setupData{User: u, Secret: r.PathValue("secret")}}
	if h.passkeys == nil {
		v.Error = passkeysOffMessage
	}
	h.render(w, r, http.StatusOK, "setup", v)
}

func (h *Handler) setupBegin(w http.ResponseWriter, r *http.Request) {
	if h.passkeysOff(w, r) {
		return
	}
	_, u, ok := h.setupLink(w, r, true)
	if !ok {
		return
	}
	existing, err := h.auth.ListPasskeys(r.Context(), u.ID)
	if err != nil {
		h.log.Error("listing passkeys", slog.Any("error", err))
		h.ceremonyError(w, r, http.StatusInternalServerError, "The server could not start the registration. Try again in a moment.", nil)
		return
	}
	opts, err := h.passkeys.BeginRegistration(r.Context(), u, existing)
	if err != nil {
		h.log.Error("begin registration", slog.Any("error", err))
		h.ceremonyError(w, r, http.StatusInternalServerError, "The server could not start the registration. Try again in a moment.", nil)
		return
	}
	writeJSON(w, http.StatusOK, opts)
}

func (h *Handler) setupFinish(w http.ResponseWriter, r *http.Request) {
	if h.passkeysOff(w, r) {
		return
	}
	link, u, ok := h.setupLink(w, r, true)
	if !ok {
		return
	}
	body, err := readCredential(r)
	if err != nil {
		h.ceremonyError(w, r, http.StatusBadRequest, "The browser's answer could not be read. Try again.", err)
		return
	}
	pk, err := h.passkeys.FinishRegistration(r.Context(), r.URL.Query().Get("ceremony"), u, body)
	if errors.Is(err, passkey.ErrCeremonyExpired) {
		h.ceremonyError(w, r, http.StatusBadRequest, "The registration took too long. Try again.", err)
		return
	}
	if err != nil {
		h.ceremonyError(w, r, http.StatusBadRequest, passkeyRefusedMessage, err)
		return
	}
	pk.Name = uniqueName(deviceName(r.UserAgent(), pk.Name), existingNames(r, h, u.ID))
	sess, secret := h.newSession(r, u.ID)
	m := h.metaOf(r)
	m.ActorID, m.ActorName = u.ID, u.Username
	_, err = h.auth.CompleteSetup(r.Context(), link.Hash, pk, sess, m)
	switch {
	case errors.Is(err, store.ErrSetupLinkUsed):
		h.ceremonyError(w, r, http.StatusGone, "This setup link has already been used. Ask your administrator for a new one.", err)
		return
	case errors.Is(err, store.ErrSetupLinkExpired):
		h.ceremonyError(w, r, http.StatusGone, "This setup link has expired. Ask your administrator for a new one.", err)
		return
	case errors.Is(err, store.ErrSetupLinkUserDisabled):
		h.ceremonyError(w, r, http.StatusForbidden, "Your account is disabled, so its setup link cannot be used. Contact your administrator.", err)
		return
	case errors.Is(err, store.ErrSetupLinkRevoked):
		h.ceremonyError(w, r, http.StatusGone, "This setup link is no longer valid. "+revokedLinkMessage, err)
		return
	case errors.Is(err, store.ErrConflict):
		h.ceremonyError(w, r, http.StatusConflict, "This passkey is already registered. Sign in with it instead.", err)
		return
	case err != nil:
		h.log.Error("completing setup", slog.Any("error", err))
		h.ceremonyError(w, r, http.StatusInternalServerError, "The server could not save your passkey. Try again in a moment.", nil)
		return
	}
	h.endPreviousSession(r)
	h.setSessionCookie(w, sess, secret)
	writeJSON(w, http.StatusOK, ceremonyResult{Location: "/account?welcome=1"})
}
