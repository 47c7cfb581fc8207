package web

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/rollcall/rollcall/internal/passkey"
	"github.com/rollcall/rollcall/internal/store"
)

// maxPasskeyName bounds a passkey's name.
const maxPasskeyName = 100

type accountData struct {
	User     store.User
	Groups   []store.GroupLabel
	Passkeys []store.Passkey
	// Sessions are the browsers signed in as this person, this one marked.
	Sessions []sessionRow
	// ConfirmDelete is the passkey whose deletion waits for the owner to
	// confirm that it is their last one.
	ConfirmDelete string
	// Launch are the applications the person may open; Apps those they
	// agreed to share their details with (see apps.go).
	Launch, Apps []appRow
}

var accountNotices = map[string]string{
	"welcome":      "Your passkey is set up. From now on, sign in with it.",
	"added":        "Passkey added.",
	"renamed":      "Passkey renamed.",
	"deleted":      "Passkey deleted. If it was on a lost or stolen device, also use “Sign out of all other devices” below.",
	"signedout":    "That device is signed out.",
	"appforgotten": "The application has no access to your account any more; it will ask again the next time you sign in to it.",
}

func (h *Handler) accountPage(w http.ResponseWriter, r *http.Request) {
	v := view{Title: "Your account", Section: "account"}
	q := r.URL.Query()
	if q.Get("welcome") == "1" {
		v.Notice = accountNotices["welcome"]
	} else {
		v.Notice = accountNotices[q.Get("done")]
	}
	if n := countNotice(q); n != "" {
		v.Notice = n
	}
	h.withFlash(w, r, &v)
	// confirm-delete names the passkey whose deletion waits for its owner
	// to confirm that it is their last one (the delete POST sends here).
	h.renderAccount(w, r, http.StatusOK, v, q.Get("confirm-delete"))
}

func (h *Handler) renderAccount(w http.ResponseWriter, r *http.Request, status int, v view, confirm string) {
	u := viewerOf(r).user
	pks, err := h.auth.ListPasskeys(r.Context(), u.ID)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	groups, err := h.st.GroupLabels(r.Context(), u.GroupIDs)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	sessions, err := h.userSessions(r, u.ID)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	launch, apps, err := h.accountApps(r, u)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	if confirm != "" {
		if len(pks) == 1 && pks[0].ID == confirm {
			if v.Error == "" {
				v.Error = lastPasskeyMessage
			}
		} else {
			confirm = ""
		}
	}
	if v.Notice == accountNotices["deleted"] && len(sessions) <= 1 {
		// No other device is signed in: no button to point to.
		v.Notice = "Passkey deleted."
	}
	v.Title, v.Section = "Your account", "account"
	v.Data = accountData{User: u, Groups: groups, Passkeys: pks, Sessions: sessions, ConfirmDelete: confirm, Launch: launch, Apps: apps}
	h.render(w, r, status, "account", v)
}

func (h *Handler) addPasskeyBegin(w http.ResponseWriter, r *http.Request) {
	if h.passkeysOff(w, r) {
		return
	}
	u := viewerOf(r).user
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

func (h *Handler) addPasskeyFinish(w http.ResponseWriter, r *http.Request) {
	if h.passkeysOff(w, r) {
		return
	}
	u := viewerOf(r).user
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
	if _, err := h.auth.CreatePasskey(r.Context(), pk, h.metaOf(r)); err != nil {
		if errors.Is(err, store.ErrConflict) {
			h.ceremonyError(w, r, http.StatusConflict, "This passkey is already registered.", err)
			return
		}
		h.log.Error("saving passkey", slog.Any("error", err))
		h.ceremonyError(w, r, http.StatusInternalServerError, "The server could not save your passkey. Try again in a moment.", nil)
		return
	}
	writeJSON(w, http.StatusOK, ceremonyResult{Location: "/account?done=added"})
}

func (h *Handler) renamePasskey(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimSpace(r.PostFormValue("name"))
	if name == "" || utf8.RuneCountInString(name) > maxPasskeyName || !utf8.ValidString(name) {
		h.redirect(w, r, "/account", flash{Error: "A passkey name must be 1 to 100 characters, such as “Work laptop”."})
		return
	}
	_, err := h.auth.RenamePasskey(r.Context(), viewerOf(r).user.ID, r.PathValue("id"), name, h.metaOf(r))
	if errors.Is(err, store.ErrNotFound) {
		h.redirect(w, r, "/account", flash{Error: "That passkey does not exist any more."})
		return
	}
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	http.Redirect(w, r, "/account?done=renamed", http.StatusSeeOther)
}

// deviceName names a new passkey after the browser and system that made
// it ("Chrome on Android"), so a person can tell their passkeys apart
// before renaming them; fallback is used when the User-Agent says nothing
// recognisable.
func deviceName(userAgent, fallback string) string {
	ua := userAgent
	os := ""
	for _, c := range []struct{ token, name string }{
		{"iPhone", "iPhone"}, {"iPad", "iPad"}, {"Android", "Android"}, {"CrOS", "ChromeOS"},
		{"Mac OS X", "macOS"}, {"Windows", "Windows"}, {"Linux", "Linux"},
	} {
		if strings.Contains(ua, c.token) {
			os = c.name
			break
		}
	}
	browser := ""
	for _, c := range []struct{ token, name string }{
		{"Edg/", "Edge"}, {"Firefox/", "Firefox"}, {"Chrome/", "Chrome"}, {"Chromium/", "Chromium"}, {"Safari/", "Safari"},
	} {
		if strings.Contains(ua, c.token) {
			browser = c.name
			break
		}
	}
	switch {
	case browser != "" && os != "":
		return browser + " on " + os
	case os != "":
		return os
	}
	return fallback
}

const lastPasskeyMessage = "This is your only passkey. Without it you cannot sign in until an administrator sends you a new setup link. Confirm below to delete it anyway."

// existingNames are the names of the user's passkeys, for uniqueName; none
// when they cannot be read (a repeated name is only a nuisance).
func existingNames(r *http.Request, h *Handler, userID string) map[string]bool {
	out := map[string]bool{}
	pks, err := h.auth.ListPasskeys(r.Context(), userID)
	if err != nil {
		h.log.Warn("listing passkeys to name a new one", slog.Any("error", err))
		return out
	}
	for _, p := range pks {
		out[p.Name] = true
	}
	return out
}

// uniqueName is name, or name with the first free number after it ("Chrome
// on Linux 2"), so two passkeys made in the same kind of browser can be
// told apart.
func uniqueName(name string, taken map[string]bool) string {
	if !taken[name] {
		return name
	}
	for i := 2; ; i++ {
		if n := fmt.Sprintf("%s %d", name, i); !taken[n] {
			return n
		}
	}
}

// deletePasskey removes one of the viewer's passkeys. Removing the last one
// would leave no way to sign in, so it needs an explicit confirmation.
func (h *Handler) deletePasskey(w http.ResponseWriter, r *http.Request) {
	u := viewerOf(r).user
	id := r.PathValue("id")
	pks, err := h.auth.ListPasskeys(r.Context(), u.ID)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	if len(pks) == 1 && pks[0].ID == id && r.PostFormValue("confirm-last") != "yes" {
		http.Redirect(w, r, "/account?confirm-delete="+url.QueryEscape(id)+"#passkey-"+url.PathEscape(id), http.StatusSeeOther)
		return
	}
	err = h.auth.DeletePasskey(r.Context(), u.ID, id, h.metaOf(r))
	if errors.Is(err, store.ErrNotFound) {
		h.redirect(w, r, "/account", flash{Error: "That passkey does not exist any more."})
		return
	}
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	http.Redirect(w, r, "/account?done=deleted", http.StatusSeeOther)
}
