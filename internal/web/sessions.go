package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/rollcall/rollcall/internal/store"
)

// sessionRow is one signed-in browser as the account page and the admin
// console list it. It holds the session's non-secret id, never the cookie
// or its hash.
type sessionRow struct {
	ID        string
	Device    string // "Chrome on Linux", from the User-Agent at sign-in
	ClientIP  string
	CreatedAt time.Time
	LastSeen  time.Time
	Current   bool // the browser looking at the page
}

// sessionRows turns stored sessions (most recently seen first) into rows,
// the viewer's own marked and put first, where a person looks for it.
func sessionRows(ss []store.Session, current string) []sessionRow {
	rows := make([]sessionRow, 0, len(ss))
	for _, s := range ss {
		row := sessionRow{
			ID: s.ID, Device: deviceName(s.UserAgent, "Unknown browser"), ClientIP: s.ClientIP,
			CreatedAt: s.CreatedAt, LastSeen: s.LastSeenAt, Current: s.ID == current,
		}
		if row.Current {
			rows = slices.Insert(rows, 0, row)
		} else {
			rows = append(rows, row)
		}
	}
	return rows
}

// userSessions lists the live sessions of userID as rows.
func (h *Handler) userSessions(r *http.Request, userID string) ([]sessionRow, error) {
	ss, err := h.auth.ListSessions(r.Context(), userID, h.now().UTC())
	if err != nil {
		return nil, err
	}
	current := ""
	if v := viewerOf(r); v != nil {
		current = v.session.ID
	}
	return sessionRows(ss, current), nil
}

// devices says "1 other device" or "3 other devices".
func devices(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}

// countNotice is the notice after sessions were ended, from the query the
// redirect carries (done=others&n=2).
func countNotice(q url.Values) string {
	n, err := strconv.Atoi(q.Get("n"))
	if err != nil || n < 0 {
		return ""
	}
	switch q.Get("done") {
	case "others":
		if n == 0 {
			return "No other device was signed in."
		}
		return "Signed out of " + devices(n, "other device") + "."
	case "ended":
		return fmt.Sprintf("Ended %s of this user: they must sign in again on every device.", devices(n, "session"))
	case "ended-others":
		return fmt.Sprintf("Ended %s of yours on other devices; this browser stays signed in.", devices(n, "session"))
	}
	return ""
}

// signOutOthers ends every session of the viewer except the one of this
// browser: for a person whose laptop was stolen, or who signed in on a
// shared computer and left.
func (h *Handler) signOutOthers(w http.ResponseWriter, r *http.Request) {
	v := viewerOf(r)
	n, err := h.auth.DeleteUserSessions(r.Context(), v.user.ID, v.session.Hash, h.metaOf(r))
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	http.Redirect(w, r, "/account?done=others&n="+strconv.Itoa(n), http.StatusSeeOther)
}

// signOutSession ends one of the viewer's sessions by its id. Its own
// session is signed out as with the sign-out button.
func (h *Handler) signOutSession(w http.ResponseWriter, r *http.Request) {
	v := viewerOf(r)
	id := r.PathValue("id")
	if id == v.session.ID {
		h.signOut(w, r)
		return
	}
	err := h.auth.DeleteUserSession(r.Context(), v.user.ID, id, h.metaOf(r))
	if errors.Is(err, store.ErrNotFound) {
		h.redirect(w, r, "/account", flash{Error: "That device is not signed in any more."})
		return
	}
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	http.Redirect(w, r, "/account?done=signedout", http.StatusSeeOther)
}

// adminEndSessions ends every session of a user (an admin offboarding
// someone, or acting on a stolen device). An admin ending their own keeps
// this browser's session, as "sign out of all other devices" does.
func (h *Handler) adminEndSessions(w http.ResponseWriter, r *http.Request) {
	u, ok := h.loadUser(w, r)
	if !ok {
		return
	}
	v := viewerOf(r)
	var keep []byte
	done := "ended"
	if u.ID == v.user.ID {
		keep, done = v.session.Hash, "ended-others"
	}
	n, err := h.auth.DeleteUserSessions(r.Context(), u.ID, keep, h.metaOf(r))
	if errors.Is(err, store.ErrInvalidReference) {
		h.loadUser(w, r) // deleted meanwhile: says so
		return
	}
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/users/"+url.PathEscape(u.ID)+"?done="+done+"&n="+strconv.Itoa(n), http.StatusSeeOther)
}

// adminDeletePasskey removes one of a user's passkeys and ends all of the
// user's sessions: an admin removes a passkey because its device is lost or
// no longer trusted, and a session does not record which passkey started
// it, so any of them may be on that device. The user signs in again with
// another passkey.
func (h *Handler) adminDeletePasskey(w http.ResponseWriter, r *http.Request) {
	u, ok := h.loadUser(w, r)
	if !ok {
		return
	}
	m := h.metaOf(r)
	err := h.auth.DeletePasskey(r.Context(), u.ID, r.PathValue("passkey"), m)
	if errors.Is(err, store.ErrNotFound) {
		h.redirect(w, r, userPath(u.ID), flash{Error: "That passkey was already removed."})
		return
	}
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	var keep []byte
	if v := viewerOf(r); u.ID == v.user.ID {
		keep = v.session.Hash
	}
	if _, err := h.auth.DeleteUserSessions(r.Context(), u.ID, keep, m); err != nil {
		h.serverError(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/users/"+url.PathEscape(u.ID)+"?done=pkremoved", http.StatusSeeOther)
}
