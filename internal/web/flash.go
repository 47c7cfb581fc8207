package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
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
}

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
// to be shown there once.
func (h *Handler) redirect(w http.ResponseWriter, r *http.Request, path string, f flash) {
	if f != (flash{}) && viewerOf(r) != nil {
		b, _ := json.Marshal(f)
		payload := base64.RawURLEncoding.EncodeToString(b)
		http.SetCookie(w, &http.Cookie{
			Name: h.flashCookieName(), Value: payload + "." + flashMAC(r, payload), Path: "/",
			MaxAge: int(flashMaxAge / time.Second), HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteStrictMode,
		})
	}
	http.Redirect(w, r, path, http.StatusSeeOther)
}

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
