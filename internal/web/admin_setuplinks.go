package web

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/rollcall/rollcall/internal/store"
)

// adminRevokeSetupLink revokes one of the user's outstanding setup links
// from the user page: a link handed to the wrong person, or one that should
// not be used any more. The store audits setup_link.revoke.
func (h *Handler) adminRevokeSetupLink(w http.ResponseWriter, r *http.Request) {
	u, ok := h.loadUser(w, r)
	if !ok {
		return
	}
	err := h.auth.RevokeSetupLink(r.Context(), u.ID, r.PathValue("link"), h.metaOf(r))
	if errors.Is(err, store.ErrNotFound) {
		h.redirect(w, r, userPath(u.ID), flash{Error: "That setup link no longer works: it was used, expired, replaced or revoked already."})
		return
	}
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/users/"+url.PathEscape(u.ID)+"?done=linkrevoked", http.StatusSeeOther)
}
