package web

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/rollcall/rollcall/api"
	"github.com/rollcall/rollcall/internal/store"
)

// The admin console's applications (OpenID Connect clients), when the store
// keeps them: a list with a form to register one, and a page per
// application where its secret is shown once (on registration and on
// rotation), rotated or the application deleted. Everything else about a
// client is changed through the API, the CLI or Terraform.

type clientForm struct {
	Name, RedirectURIs  string
	Public, SkipConsent bool
}

type adminClientsData struct {
	Clients []store.OIDCClient
	Form    clientForm
	Errors  map[string]string
}

type adminClientData struct {
	Client store.OIDCClient
	Secret string // shown once
}

func (h *Handler) oidcStore(w http.ResponseWriter, r *http.Request) (store.OIDCStore, bool) {
	o, ok := h.st.(store.OIDCStore)
	if !ok {
		h.renderStatus(w, r, http.StatusNotFound, "No applications here", "This server does not keep OpenID Connect applications.")
	}
	return o, ok
}

func (h *Handler) adminClients(w http.ResponseWriter, r *http.Request) {
	v := view{}
	if r.URL.Query().Get("done") == "cdeleted" {
		v.Notice = "Application deleted; its tokens no longer work."
	}
	h.renderClients(w, r, http.StatusOK, v, clientForm{}, nil)
}

func (h *Handler) renderClients(w http.ResponseWriter, r *http.Request, status int, v view, form clientForm, errs map[string]string) {
	o, ok := h.oidcStore(w, r)
	if !ok {
		return
	}
	list, err := o.ListOIDCClients(r.Context())
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	v.Title, v.Section = "Applications", "clients"
	v.Data = adminClientsData{Clients: list, Form: form, Errors: errs}
	h.render(w, r, status, "admin_clients", v)
}

// newClientSecret is a client secret and what is stored of it, as the API
// makes them: 32 random bytes, kept as SHA-256.
func newClientSecret() (string, store.OIDCClientSecret) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("web: crypto/rand failed: " + err.Error())
	}
	s := base64.RawURLEncoding.EncodeToString(b)
	h := sha256.Sum256([]byte(s))
	return s, store.OIDCClientSecret{Hash: h[:]}
}

func (h *Handler) adminCreateClient(w http.ResponseWriter, r *http.Request) {
	o, ok := h.oidcStore(w, r)
	if !ok {
		return
	}
	form := clientForm{
		Name:         strings.TrimSpace(r.PostFormValue("name")),
		RedirectURIs: r.PostFormValue("redirect-uris"),
		Public:       r.PostFormValue("public") == "on",
		SkipConsent:  r.PostFormValue("skip-consent") == "on",
	}
	uris := strings.Fields(form.RedirectURIs)
	wa := api.OIDCClientWriteAttributes{Name: api.Some(form.Name), RedirectURIs: api.Some(uris)}
	errs := wa.Validate(true)
	grants := []string{"authorization_code", "refresh_token"}
	if len(errs) == 0 {
		errs = api.ValidateOIDCClient(form.Public, grants, uris)
	}
	if len(errs) > 0 {
		h.renderClients(w, r, http.StatusUnprocessableEntity, view{Error: "The application was not registered: correct the fields marked below."}, form, fieldErrors(errs))
		return
	}
	c := store.OIDCClient{Name: form.Name, RedirectURIs: uris, Public: form.Public, SkipConsent: form.SkipConsent, GrantTypes: grants}
	secret := ""
	if !c.Public {
		var sec store.OIDCClientSecret
		secret, sec = newClientSecret()
		c.Secrets = []store.OIDCClientSecret{sec}
	}
	c, err := o.CreateOIDCClient(r.Context(), c, h.metaOf(r))
	var ce *store.ConflictError
	if errors.As(err, &ce) && ce.Field == "name" {
		h.renderClients(w, r, http.StatusConflict, view{Error: "The application was not registered: correct the fields marked below."}, form,
			map[string]string{"name": "another application already has this name"})
		return
	}
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	h.renderClient(w, r, http.StatusCreated, c, secret, view{Notice: "Application registered. Copy its secret now: it is not shown again."})
}

func (h *Handler) loadClient(w http.ResponseWriter, r *http.Request) (store.OIDCStore, store.OIDCClient, bool) {
	o, ok := h.oidcStore(w, r)
	if !ok {
		return nil, store.OIDCClient{}, false
	}
	c, err := o.GetOIDCClient(r.Context(), r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		h.renderStatusAction(w, r, http.StatusNotFound, statusData{Heading: "No such application",
			Message: "This application does not exist; it may have been deleted.", Action: "/admin/clients", Label: "Back to applications"})
		return nil, c, false
	}
	if err != nil {
		h.serverError(w, r, err)
		return nil, c, false
	}
	return o, c, true
}

func (h *Handler) renderClient(w http.ResponseWriter, r *http.Request, status int, c store.OIDCClient, secret string, v view) {
	v.Title, v.Section = c.Name, "clients"
	v.Data = adminClientData{Client: c, Secret: secret}
	h.render(w, r, status, "admin_client", v)
}

func (h *Handler) adminClient(w http.ResponseWriter, r *http.Request) {
	_, c, ok := h.loadClient(w, r)
	if !ok {
		return
	}
	h.renderClient(w, r, http.StatusOK, c, "", view{})
}

// adminRotateClientSecret replaces the client's secrets by a new one
// beside the newest old one (two at most), and shows the new one once.
func (h *Handler) adminRotateClientSecret(w http.ResponseWriter, r *http.Request) {
	o, c, ok := h.loadClient(w, r)
	if !ok {
		return
	}
	if c.Public {
		h.renderClient(w, r, http.StatusConflict, c, "", view{Error: "A public application has no secret."})
		return
	}
	secret, sec := newClientSecret()
	c, err := o.UpdateOIDCClient(r.Context(), c.ID, 0, func(cl *store.OIDCClient) error {
		keep := cl.Secrets
		if len(keep) > store.MaxOIDCClientSecrets-1 {
			keep = keep[:store.MaxOIDCClientSecrets-1]
		}
		cl.Secrets = append([]store.OIDCClientSecret{sec}, keep...)
		return nil
	}, h.metaOf(r))
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	h.renderClient(w, r, http.StatusOK, c, secret, view{Notice: "New secret made. Copy it now: it is not shown again. The previous one keeps working until you rotate again."})
}

func (h *Handler) adminDeleteClient(w http.ResponseWriter, r *http.Request) {
	o, c, ok := h.loadClient(w, r)
	if !ok {
		return
	}
	if err := o.DeleteOIDCClient(r.Context(), c.ID, h.metaOf(r)); err != nil && !errors.Is(err, store.ErrNotFound) {
		h.serverError(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/clients?"+url.Values{"done": {"cdeleted"}}.Encode(), http.StatusSeeOther)
}
