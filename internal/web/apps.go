package web

import (
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/rollcall/rollcall/internal/store"
)

// The account page's applications (when the store keeps OpenID Connect
// state): "Your applications", those the person may open (a launch URL,
// and in the allowed groups), and "Apps you signed in to", each consent
// given, which the person can withdraw, revoking the application's tokens.

// appRow is one application on the account page.
type appRow struct {
	ID        string
	Name      string
	LogoURL   string
	LaunchURL string
	Since     time.Time // the consent, for "Apps you signed in to"
}

// accountApps lists the launcher's applications and the consents of u.
func (h *Handler) accountApps(r *http.Request, u store.User) (launch, consented []appRow, err error) {
	o, ok := h.st.(store.OIDCStore)
	if !ok {
		return nil, nil, nil
	}
	clients, err := o.ListOIDCClients(r.Context())
	if err != nil {
		return nil, nil, err
	}
	byID := map[string]store.OIDCClient{}
	for _, c := range clients {
		byID[c.ID] = c
		allowed := len(c.AllowedGroupIDs) == 0 || slices.ContainsFunc(u.GroupIDs, func(g string) bool { return slices.Contains(c.AllowedGroupIDs, g) })
		if c.LaunchURL != "" && allowed {
			launch = append(launch, appRow{ID: c.ID, Name: c.Name, LogoURL: c.LogoURL, LaunchURL: c.LaunchURL})
		}
	}
	consents, err := o.ListOIDCConsents(r.Context(), u.ID)
	if err != nil {
		return nil, nil, err
	}
	for _, co := range consents {
		if c, ok := byID[co.ClientID]; ok {
			consented = append(consented, appRow{ID: c.ID, Name: c.Name, LogoURL: c.LogoURL, LaunchURL: c.LaunchURL, Since: co.UpdatedAt})
		}
	}
	return launch, consented, nil
}

// forgetApp withdraws the viewer's consent for an application and revokes
// its tokens: the application must ask again at the next sign-in.
func (h *Handler) forgetApp(w http.ResponseWriter, r *http.Request) {
	o, ok := h.st.(store.OIDCStore)
	if !ok {
		http.NotFound(w, r)
		return
	}
	v := viewerOf(r)
	id := r.PathValue("id")
	err := o.DeleteOIDCConsent(r.Context(), v.user.ID, id, h.metaOf(r))
	if errors.Is(err, store.ErrNotFound) {
		h.renderAccount(w, r, http.StatusNotFound, view{Error: "That application has no access to your account any more."}, "")
		return
	}
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	if _, err := o.RevokeOIDCUserTokens(r.Context(), v.user.ID, id, "access withdrawn by the person", h.metaOf(r)); err != nil {
		h.serverError(w, r, err)
		return
	}
	http.Redirect(w, r, "/account?done=appforgotten", http.StatusSeeOther)
}
