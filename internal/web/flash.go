package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// flash is the result of a form POST, carried across its 303 redirect to
// the GET page that shows it once (post/redirect/get): a reload of that
// page neither repeats the change nor shows the result again. It travels
// in a short-lived cookie, MAC'd with the session's key, so no other site
// or sibling host can plant one; the setup link it may carry is the one
// the admin just made, and the cookie is cleared by the page that shows it.
type flash struct {
	Notice string `json:"n,omitempty"`
	Error  string `json:"e,omitempty"`
	// A setup link just made, shown on the user's page this once.
	LinkUser    string    `json:"lu,omitempty"`
	LinkURL     string    `json:"l,omitempty"`
	LinkExpires time.Time `json:"x,omitzero"`
	LinkEmailed bool      `json:"m,omitempty"`
	// A refused form: what was typed, and the message of each field.
	Form   map[string]string `json:"f,omitempty"`
	Errors map[string]string `json:"fe,omitempty"`
}

func (f flash) isZero() bool {
	return f.Notice == "" && f.Error == "" && f.LinkURL == "" && len(f.Form) == 0 && len(f.Errors) == 0
}

// maxFlashCookie keeps the flash cookie well inside the 4 KB browsers keep.
const maxFlashCookie = 3800

// flashMaxAge bounds how long a flash waits for its page.
const flashMaxAge = 2 * time.Minute

func (h *Handler) flashCookieName() string {
	if h.secure {
		return "__Host-rollcall_flash"
	}
	return "rollcall_flash"
}

// flashKey is the MAC key of the viewer's flash: the session's stored hash,
// which the browser never sees.
func flashMAC(r *http.Request, payload string) string {
	v := viewerOf(r)
	if v == nil {
		return ""
	}
	m := hmac.New(sha256.New, v.session.Hash)
	m.Write([]byte("rollcall-flash\x00" + payload))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// redirect answers a form POST with 303 to path (a GET page), carrying f
// to be shown there once. It reports false, and writes nothing, when f is
// too big for a cookie (a refused form with very long values): the caller
// then shows its page at once.
func (h *Handler) redirect(w http.ResponseWriter, r *http.Request, path string, f flash) bool {
	if !f.isZero() && viewerOf(r) != nil {
		b, _ := json.Marshal(f)
		payload := base64.RawURLEncoding.EncodeToString(b)
		if len(payload) > maxFlashCookie {
			return false
		}
		http.SetCookie(w, &http.Cookie{
			Name: h.flashCookieName(), Value: payload + "." + flashMAC(r, payload), Path: "/",
			MaxAge: int(flashMaxAge / time.Second), HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteStrictMode,
		})
	}
	http.Redirect(w, r, path, http.StatusSeeOther)
	return true
}

// refuseForm answers a refused form POST with 303 back to its page (path),
// which shows msg and the form again with what was typed and errs beside
// the fields, once. Values too long for the flash cookie are shown by
// render at once instead, with the refusal's status.
func (h *Handler) refuseForm(w http.ResponseWriter, r *http.Request, path, msg string, errs map[string]string, render func()) {
	vals := map[string]string{}
	for k, v := range r.PostForm {
		if k != "confirm" && len(v) > 0 {
			vals[k] = v[0]
		}
	}
	if len(vals) == 0 {
		vals["-"] = "" // a refused empty form still comes back as a form
	}
	if !h.redirect(w, r, path, flash{Error: msg, Form: vals, Errors: errs}) {
		render()
	}
}

// param is a query parameter as the console's lists use it: trimmed, and
// without NUL bytes or invalid UTF-8, which a link can carry but a
// PostgreSQL text value cannot (the query would fail, not match nothing).
func param(q url.Values, k string) string {
	return strings.TrimSpace(strings.ToValidUTF8(strings.ReplaceAll(q.Get(k), "\x00", ""), ""))
}

// formValue reads a refused form's value from a flash, as PostFormValue
// reads it from a request.
func (f flash) formValue(k string) string { return f.Form[k] }

// takeFlash reads and clears the flash of the request; the zero flash
// when there is none or it does not verify.
func (h *Handler) takeFlash(w http.ResponseWriter, r *http.Request) flash {
	var f flash
	c, err := r.Cookie(h.flashCookieName())
	if err != nil {
		return f
	}
	http.SetCookie(w, &http.Cookie{Name: h.flashCookieName(), Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteStrictMode})
	payload, mac, ok := strings.Cut(c.Value, ".")
	want := flashMAC(r, payload)
	if !ok || want == "" || !hmac.Equal([]byte(mac), []byte(want)) {
		return f
	}
	b, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil || json.Unmarshal(b, &f) != nil {
		return flash{}
	}
	return f
}

// withFlash takes the request's flash into the page's notice and error,
// and returns it for the parts a page shows itself (a setup link).
func (h *Handler) withFlash(w http.ResponseWriter, r *http.Request, v *view) flash {
	f := h.takeFlash(w, r)
	if f.Notice != "" {
		v.Notice = f.Notice
	}
	if f.Error != "" {
		v.Error = f.Error
	}
	return f
}
