package web

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/rollcall/rollcall/internal/store"
)

// newSecret returns 32 random bytes as base64url: session cookies and setup
// link secrets. Only its SHA-256 is stored.
func newSecret() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("web: crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func hashSecret(s string) []byte {
	sum := sha256.Sum256([]byte(s))
	return sum[:]
}

// maxUserAgent bounds the User-Agent kept with a session: enough for any
// real browser's, and a client cannot fill the table with a huge header.
const maxUserAgent = 512

// newSession makes a session for userID, signing in with request r, and
// returns it with the cookie secret that the browser keeps. The browser's
// User-Agent and address are kept so the account page can list the
// person's devices.
func (h *Handler) newSession(r *http.Request, userID string) (store.Session, string) {
	secret := newSecret()
	now := h.now().UTC()
	_, ip := h.meta(r)
	return store.Session{
		Hash: hashSecret(secret), UserID: userID,
		CreatedAt: now, ExpiresAt: now.Add(h.sessTTL), LastSeenAt: now,
		UserAgent: truncateUTF8(strings.ToValidUTF8(r.UserAgent(), "\uFFFD"), maxUserAgent), ClientIP: ip,
	}, secret
}

// truncateUTF8 cuts s to at most n bytes without splitting a character.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// setSessionCookie hands the browser its session secret.
func (h *Handler) setSessionCookie(w http.ResponseWriter, s store.Session, secret string) {
	http.SetCookie(w, &http.Cookie{
		Name:     h.cookie,
		Value:    secret,
		Path:     "/",
		Expires:  s.ExpiresAt,
		HttpOnly: true,
		Secure:   h.secure,
		SameSite: http.SameSiteLaxMode,
	})
}

func (h *Handler) clearSessionCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{
		Name: h.cookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteLaxMode,
	})
}

// loadSession returns the signed-in viewer, or nil. A session of a user
// who was disabled or deleted meanwhile ends here.
func (h *Handler) loadSession(w http.ResponseWriter, r *http.Request) *viewer {
	c, err := r.Cookie(h.cookie)
	if err != nil || c.Value == "" || len(c.Value) > 100 {
		return nil
	}
	hash := hashSecret(c.Value)
	now := h.now().UTC()
	s, err := h.auth.GetSession(r.Context(), hash, now)
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			h.log.Warn("loading session", slog.Any("error", err))
		}
		h.clearSessionCookie(w)
		return nil
	}
	u, err := h.st.GetUser(r.Context(), s.UserID)
	if err != nil || u.Disabled {
		if err == nil || errors.Is(err, store.ErrNotFound) {
			_ = h.auth.DeleteSession(r.Context(), hash, h.metaOf(r))
		}
		h.clearSessionCookie(w)
		return nil
	}
	if now.Sub(s.LastSeenAt) > sessionTouchEvery {
		if err := h.auth.TouchSession(r.Context(), hash, now); err != nil {
			h.log.Warn("recording session use", slog.Any("error", err))
		}
	}
	return &viewer{user: u, session: s}
}
