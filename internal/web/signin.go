package web

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/rollcall/rollcall/api"

	"github.com/rollcall/rollcall/internal/passkey"
	"github.com/rollcall/rollcall/internal/store"
)

// ceremonyResult is the JSON answer to a ceremony's finish request: where
// the browser goes next, or a message to show.
type ceremonyResult struct {
	Location string `json:"location,omitempty"`
	Error    string `json:"error,omitempty"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (h *Handler) ceremonyError(w http.ResponseWriter, r *http.Request, status int, msg string, err error) {
	if err != nil {
		h.log.Info("passkey ceremony refused", slog.String("path", LogPath(r)), slog.Any("error", err))
	}
	writeJSON(w, status, ceremonyResult{Error: msg})
}

// passkeyRefusedMessage is what a person reads when the WebAuthn library
// refuses the browser's new passkey. The library's own words (about
// attestation formats, flags and origins) are logged by ceremonyError, not
// shown: the person can only try again or try another device.
const passkeyRefusedMessage = "Your browser's passkey could not be registered. Try again; if it fails again, " +
	"try another browser or device (passkeys need a browser that supports them, such as a current Chrome, Safari, Edge or Firefox), " +
	"and if that fails too, tell your administrator the time it happened."

// readCredential reads the browser's PublicKeyCredential JSON.
func readCredential(r *http.Request) ([]byte, error) {
	return io.ReadAll(io.LimitReader(r.Body, 64<<10))
}

type signInData struct {
	Next string
}

func (h *Handler) signInPage(w http.ResponseWriter, r *http.Request) {
	next := safeNext(r.URL.Query().Get("next"))
	// reauth=1 asks a signed-in person to use their passkey again: an
	// application sent prompt=login or max_age (internal/oidc).
	if viewerOf(r) != nil && r.URL.Query().Get("reauth") != "1" {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	v := view{Title: "Sign in", Data: signInData{Next: next}}
	if r.URL.Query().Get("signedout") == "1" {
		v.Notice = "You are signed out."
	}
	if h.passkeys == nil {
		v.Error = passkeysOffMessage
	}
	h.render(w, r, http.StatusOK, "signin", v)
}

func (h *Handler) signInBegin(w http.ResponseWriter, r *http.Request) {
	if h.passkeysOff(w, r) {
		return
	}
	h.purgeExpired()
	conditional := r.URL.Query().Get("mediation") == "conditional"
	var req struct {
		Username string `json:"username"`
	}
	_ = json.NewDecoder(io.LimitReader(r.Body, 4<<10)).Decode(&req)
	var opts passkey.Options
	var err error
	if pks := h.signInPasskeys(r, req.Username); !conditional && len(pks) > 0 {
		opts, err = h.passkeys.BeginSignInFor(r.Context(), pks)
	} else {
		opts, err = h.passkeys.BeginSignIn(r.Context(), conditional)
	}
	if err != nil {
		h.log.Error("begin sign-in", slog.Any("error", err))
		h.ceremonyError(w, r, http.StatusInternalServerError, "The server could not start a sign-in. Try again in a moment.", nil)
		return
	}
	writeJSON(w, http.StatusOK, opts)
}

// signInPasskeys are the passkeys of the person whose username was typed
// on the sign-in page, so the browser is asked for one of theirs only; none
// for an empty, unknown or disabled name, which signs in with any passkey
// the browser offers, as without a name.
func (h *Handler) signInPasskeys(r *http.Request, username string) []store.Passkey {
	name, verr := api.ValidateUsername(strings.TrimSpace(username))
	if username == "" || verr != nil {
		return nil
	}
	u, err := h.st.GetUserByUsername(r.Context(), name)
	if err != nil || u.Disabled {
		return nil
	}
	pks, err := h.auth.ListPasskeys(r.Context(), u.ID)
	if err != nil {
		h.log.Warn("listing passkeys for sign-in", slog.Any("error", err))
		return nil
	}
	return pks
}

func (h *Handler) signInFinish(w http.ResponseWriter, r *http.Request) {
	if h.passkeysOff(w, r) {
		return
	}
	body, err := readCredential(r)
	if err != nil {
		h.ceremonyError(w, r, http.StatusBadRequest, "The browser's answer could not be read. Try again.", err)
		return
	}
	m := h.metaOf(r)
	res, err := h.passkeys.FinishSignIn(r.Context(), r.URL.Query().Get("ceremony"), body, h.st.GetUser)
	var fail *passkey.Failure
	switch {
	case errors.Is(err, passkey.ErrCeremonyExpired):
		h.ceremonyError(w, r, http.StatusBadRequest, "The sign-in took too long or was already used. Try again.", err)
		return
	case errors.As(err, &fail):
		if aerr := h.auth.RecordSignInFailure(r.Context(), fail.UserID, fail.Reason, m); aerr != nil {
			h.log.Error("auditing sign-in failure", slog.Any("error", aerr))
		}
		msg := "That passkey was not accepted. If it was deleted from your account, sign in with another one or ask an administrator for a setup link."
		if fail.Cloned {
			msg = clonedMessage
		}
		h.ceremonyError(w, r, http.StatusUnauthorized, msg, err)
		return
	case err != nil:
		h.log.Error("finish sign-in", slog.Any("error", err))
		h.ceremonyError(w, r, http.StatusInternalServerError, "The server could not finish the sign-in. Try again in a moment.", nil)
		return
	}
	if res.User.Disabled {
		if aerr := h.auth.RecordSignInFailure(r.Context(), res.User.ID, "account is disabled", m); aerr != nil {
			h.log.Error("auditing sign-in failure", slog.Any("error", aerr))
		}
		writeJSON(w, http.StatusForbidden, ceremonyResult{Location: "/signin/disabled"})
		return
	}
	sess, secret := h.newSession(r, res.User.ID)
	m.ActorID, m.ActorName = res.User.ID, res.User.Username
	if err := h.auth.RecordSignIn(r.Context(), store.SignIn{
		UserID: res.User.ID, PasskeyID: res.Passkey.ID, SignCount: res.Passkey.SignCount,
		BackupState: res.Passkey.BackupState, Session: sess, At: sess.CreatedAt,
	}, m); err != nil {
		h.log.Error("recording sign-in", slog.Any("error", err))
		h.ceremonyError(w, r, http.StatusInternalServerError, "The server could not finish the sign-in. Try again in a moment.", nil)
		return
	}
	h.endPreviousSession(r)
	h.setSessionCookie(w, sess, secret)
	writeJSON(w, http.StatusOK, ceremonyResult{Location: safeNext(r.URL.Query().Get("next"))})
}

// clonedMessage is shown when a passkey's signature counter went back: the
// same words as the audit log's reason ("may have been cloned").
const clonedMessage = "That passkey was refused because it may have been cloned: its signature counter went backwards, " +
	"which happens when a copy of the passkey is used on another device. Sign in with another passkey, and tell your administrator, " +
	"who can remove this one."

// endPreviousSession ends the session the browser had before a new sign-in
// replaced its cookie, so it does not linger until it expires.
func (h *Handler) endPreviousSession(r *http.Request) {
	v := viewerOf(r)
	if v == nil {
		return
	}
	if err := h.auth.DeleteSession(r.Context(), v.session.Hash, h.metaOf(r)); err != nil && !errors.Is(err, store.ErrNotFound) {
		h.log.Warn("ending the previous session", slog.Any("error", err))
	}
}

func (h *Handler) signInDisabled(w http.ResponseWriter, r *http.Request) {
	h.renderStatusAction(w, r, http.StatusForbidden, statusData{
		Heading: "Your account is disabled",
		Message: "Your passkey is valid, but an administrator has disabled this account, so you cannot sign in. " +
			"If you think this is a mistake, contact your administrator.",
	})
}

func (h *Handler) signOut(w http.ResponseWriter, r *http.Request) {
	if v := viewerOf(r); v != nil {
		if err := h.auth.DeleteSession(r.Context(), v.session.Hash, h.metaOf(r)); err != nil && !errors.Is(err, store.ErrNotFound) {
			h.serverError(w, r, err)
			return
		}
	}
	h.clearSessionCookie(w)
	http.Redirect(w, r, "/signin?signedout=1", http.StatusSeeOther)
}
