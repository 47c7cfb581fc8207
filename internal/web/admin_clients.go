package web

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/rollcall/rollcall/api"
	"github.com/rollcall/rollcall/internal/store"
)

// The admin console's applications (OpenID Connect clients), when the store
// keeps them: a list with a form to register one, and a page per
// application where its secret is shown once (on registration and on
// rotation), rotated, every setting the API changes changed (with the
// API's rules and words; the store audits each change as it does the
// API's) or the application deleted.

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
	Form   clientEditForm
	Errors map[string]string
}

// clientEditForm is the settings form of an application's page, as typed:
// lists one entry per line, lifetimes in seconds (empty for the default),
// allowed groups by name, attribute claims one "claim = attribute" a line.
type clientEditForm struct {
	RedirectURIs, PostLogoutRedirectURIs, AllowedGroups        string
	AccessTokenLifetime, IDTokenLifetime, RefreshTokenLifetime string
	LogoURL, LaunchURL                                         string
	SkipConsent                                                bool
	GrantTypes                                                 []string
	ClientType                                                 string // "public" or "confidential"
	BackchannelLogoutURI, AccessTokenFormat, AttributeClaims   string
}

// grantChoice is one grant type's checkbox.
type grantChoice struct {
	Key, Value, Label string
	Checked           bool
}

// grantLabels say what each of api.OIDCGrantTypes is for.
var grantLabels = map[string]struct{ key, label string }{
	"authorization_code": {"authorization-code", "Authorization code: people sign in in the browser"},
	"refresh_token":      {"refresh-token", "Refresh token: stay signed in (with authorization code or device code)"},
	api.GrantDeviceCode:  {"device-code", "Device code: CLIs and TVs, the code entered at /oauth2/device"},
	"client_credentials": {"client-credentials", "Client credentials: a machine client gets tokens for itself (confidential only)"},
}

// Grants are the grant type checkboxes, in the API's order.
func (f clientEditForm) Grants() []grantChoice {
	out := make([]grantChoice, len(api.OIDCGrantTypes))
	for i, g := range api.OIDCGrantTypes {
		out[i] = grantChoice{Key: grantLabels[g].key, Value: g, Label: grantLabels[g].label, Checked: slices.Contains(f.GrantTypes, g)}
	}
	return out
}

// parseAttributeClaims reads the attribute claims field: one
// "claim = attribute" a line. The names are checked by the API's rules
// afterwards; this only refuses what is not a mapping.
func parseAttributeClaims(s string) (map[string]string, string) {
	m := map[string]string{}
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		claim, key, ok := strings.Cut(line, "=")
		claim, key = strings.TrimSpace(claim), strings.TrimSpace(key)
		if !ok || claim == "" || key == "" {
			return nil, fmt.Sprintf("%q is not a mapping: write one a line as claim = attribute, such as employee_number = employee_id", line)
		}
		if _, dup := m[claim]; dup {
			return nil, fmt.Sprintf("claim %q is mapped twice; keep one line for it", claim)
		}
		m[claim] = key
	}
	return m, ""
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
	form, err := h.clientFormOf(r.Context(), c)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	h.renderClientForm(w, r, status, c, secret, v, form, nil)
}

func (h *Handler) renderClientForm(w http.ResponseWriter, r *http.Request, status int, c store.OIDCClient, secret string, v view, form clientEditForm, errs map[string]string) {
	v.Title, v.Section = c.Name, "clients"
	v.Data = adminClientData{Client: c, Secret: secret, Form: form, Errors: errs}
	h.render(w, r, status, "admin_client", v)
}

// clientFormOf is the settings form filled with the client's settings.
func (h *Handler) clientFormOf(ctx context.Context, c store.OIDCClient) (clientEditForm, error) {
	gs, err := h.st.GroupLabels(ctx, c.AllowedGroupIDs)
	if err != nil {
		return clientEditForm{}, err
	}
	names := make([]string, len(gs))
	for i, g := range gs {
		names[i] = g.Name
	}
	slices.Sort(names)
	secs := func(d time.Duration) string {
		if d == 0 {
			return ""
		}
		return strconv.FormatInt(int64(d/time.Second), 10)
	}
	claims := make([]string, 0, len(c.AttributeClaims))
	for _, claim := range slices.Sorted(maps.Keys(c.AttributeClaims)) {
		claims = append(claims, claim+" = "+c.AttributeClaims[claim])
	}
	typ := "confidential"
	if c.Public {
		typ = "public"
	}
	format := c.AccessTokenFormat
	if format == "" {
		format = "opaque"
	}
	return clientEditForm{
		RedirectURIs:           strings.Join(c.RedirectURIs, "\n"),
		PostLogoutRedirectURIs: strings.Join(c.PostLogoutRedirectURIs, "\n"),
		AllowedGroups:          strings.Join(names, "\n"),
		AccessTokenLifetime:    secs(c.AccessTokenTTL),
		IDTokenLifetime:        secs(c.IDTokenTTL),
		RefreshTokenLifetime:   secs(c.RefreshTokenTTL),
		LogoURL:                c.LogoURL,
		LaunchURL:              c.LaunchURL,
		SkipConsent:            c.SkipConsent,
		GrantTypes:             c.GrantTypes,
		ClientType:             typ,
		BackchannelLogoutURI:   c.BackchannelLogoutURI,
		AccessTokenFormat:      format,
		AttributeClaims:        strings.Join(claims, "\n"),
	}, nil
}

func (h *Handler) adminClient(w http.ResponseWriter, r *http.Request) {
	_, c, ok := h.loadClient(w, r)
	if !ok {
		return
	}
	v := view{}
	if r.URL.Query().Get("done") == "csaved" {
		v.Notice = "Settings saved."
		if !c.Public && len(c.Secrets) == 0 {
			v.Notice = "Settings saved. The application is confidential and has no secret yet: make one under Actions and give it to the application."
		}
	}
	h.renderClient(w, r, http.StatusOK, c, "", v)
}

// adminEditClient changes an application's settings from its page, with
// the API's rules and words, and redirects back to the page (post,
// redirect, get). The form's version makes a change made elsewhere since
// the page was loaded a conflict rather than something silently undone.
func (h *Handler) adminEditClient(w http.ResponseWriter, r *http.Request) {
	o, c, ok := h.loadClient(w, r)
	if !ok {
		return
	}
	form := clientEditForm{
		RedirectURIs:           r.PostFormValue("redirect-uris"),
		PostLogoutRedirectURIs: r.PostFormValue("post-logout-redirect-uris"),
		AllowedGroups:          r.PostFormValue("allowed-groups"),
		AccessTokenLifetime:    strings.TrimSpace(r.PostFormValue("access-token-lifetime")),
		IDTokenLifetime:        strings.TrimSpace(r.PostFormValue("id-token-lifetime")),
		RefreshTokenLifetime:   strings.TrimSpace(r.PostFormValue("refresh-token-lifetime")),
		LogoURL:                strings.TrimSpace(r.PostFormValue("logo-url")),
		LaunchURL:              strings.TrimSpace(r.PostFormValue("launch-url")),
		SkipConsent:            r.PostFormValue("skip-consent") == "on",
		ClientType:             r.PostFormValue("client-type"),
		BackchannelLogoutURI:   strings.TrimSpace(r.PostFormValue("backchannel-logout-uri")),
		AccessTokenFormat:      r.PostFormValue("access-token-format"),
		AttributeClaims:        r.PostFormValue("attribute-claims"),
	}
	// The grant types in the API's order; one the form does not offer is
	// kept, for the API's rule to refuse.
	sent := r.PostForm["grant-types"]
	form.GrantTypes = []string{}
	for _, g := range api.OIDCGrantTypes {
		if slices.Contains(sent, g) {
			form.GrantTypes = append(form.GrantTypes, g)
		}
	}
	for _, g := range sent {
		if !slices.Contains(form.GrantTypes, g) {
			form.GrantTypes = append(form.GrantTypes, g)
		}
	}
	wa := api.OIDCClientWriteAttributes{
		RedirectURIs:           api.Some(strings.Fields(form.RedirectURIs)),
		PostLogoutRedirectURIs: api.Some(strings.Fields(form.PostLogoutRedirectURIs)),
		SkipConsent:            api.Some(form.SkipConsent),
		LogoURL:                api.Some(form.LogoURL),
		LaunchURL:              api.Some(form.LaunchURL),
		GrantTypes:             api.Some(form.GrantTypes),
		BackchannelLogoutURI:   api.Some(form.BackchannelLogoutURI),
		AccessTokenFormat:      api.Some(form.AccessTokenFormat),
	}
	errs := map[string]string{}
	switch form.ClientType {
	case "public", "confidential":
		wa.Public = api.Some(form.ClientType == "public")
	default:
		errs["client-type"] = "the client type is public (no secret: single-page and native apps) or confidential (with a secret)"
	}
	if claims, msg := parseAttributeClaims(form.AttributeClaims); msg != "" {
		errs["attribute-claims"] = msg
	} else {
		wa.AttributeClaims = api.Some(claims)
	}
	for _, l := range []struct {
		name, value string
		dst         *api.Opt[int64]
	}{{"access-token-lifetime", form.AccessTokenLifetime, &wa.AccessTokenLifetime},
		{"id-token-lifetime", form.IDTokenLifetime, &wa.IDTokenLifetime},
		{"refresh-token-lifetime", form.RefreshTokenLifetime, &wa.RefreshTokenLifetime}} {
		if l.value == "" {
			*l.dst = api.Some(int64(0))
			continue
		}
		n, err := strconv.ParseInt(l.value, 10, 64)
		if err != nil {
			errs[l.name] = fmt.Sprintf("%s is a whole number of seconds, such as 3600; leave it empty for the default", l.name)
			continue
		}
		*l.dst = api.Some(n)
	}
	ids := []string{}
	for _, name := range strings.FieldsFunc(form.AllowedGroups, func(r rune) bool { return r == ',' || unicode.IsSpace(r) }) {
		g, err := h.st.GetGroupByName(r.Context(), api.NormalizeName(name))
		if errors.Is(err, store.ErrNotFound) {
			if errs["allowed-groups"] == "" {
				errs["allowed-groups"] = fmt.Sprintf("no group is named %q; give group names, one per line", name)
			}
			continue
		}
		if err != nil {
			h.serverError(w, r, err)
			return
		}
		if !slices.Contains(ids, g.ID) {
			ids = append(ids, g.ID)
		}
	}
	wa.AllowedGroups = api.Some(ids)
	for k, v := range fieldErrors(wa.Validate(false)) {
		if errs[k] == "" {
			errs[k] = v
		}
	}
	const failed = "Nothing was saved: correct the fields marked below."
	if len(errs) > 0 {
		h.renderClientForm(w, r, http.StatusUnprocessableEntity, c, "", view{Error: failed}, form, errs)
		return
	}
	if wa.Public.Value && !c.Public && len(c.Secrets) > 0 && !confirmed(r) {
		// Ask only about a change that would be saved: the rules that
		// look at the settings together refuse first.
		if errs := api.ValidateOIDCClient(true, wa.GrantTypes.Value, wa.RedirectURIs.Value); len(errs) > 0 {
			h.renderClientForm(w, r, http.StatusUnprocessableEntity, c, "", view{Error: failed}, form, fieldErrors(errs))
			return
		}
		h.confirmMakePublic(w, r, c)
		return
	}
	_, err := o.UpdateOIDCClient(r.Context(), c.ID, formVersion(r), func(cl *store.OIDCClient) error {
		cl.RedirectURIs, cl.PostLogoutRedirectURIs = wa.RedirectURIs.Value, wa.PostLogoutRedirectURIs.Value
		cl.AllowedGroupIDs, cl.SkipConsent = ids, form.SkipConsent
		cl.AccessTokenTTL = time.Duration(wa.AccessTokenLifetime.Value) * time.Second
		cl.IDTokenTTL = time.Duration(wa.IDTokenLifetime.Value) * time.Second
		cl.RefreshTokenTTL = time.Duration(wa.RefreshTokenLifetime.Value) * time.Second
		cl.LogoURL, cl.LaunchURL = form.LogoURL, form.LaunchURL
		cl.GrantTypes, cl.Public = wa.GrantTypes.Value, wa.Public.Value
		if cl.Public {
			cl.Secrets = nil // a public client has no secret, as in the API
		}
		cl.BackchannelLogoutURI, cl.AccessTokenFormat, cl.AttributeClaims = form.BackchannelLogoutURI, form.AccessTokenFormat, wa.AttributeClaims.Value
		if errs := api.ValidateOIDCClient(cl.Public, cl.GrantTypes, cl.RedirectURIs); len(errs) > 0 {
			return errs
		}
		return nil
	}, h.metaOf(r))
	var apiErrs api.Errors
	switch {
	case errors.As(err, &apiErrs):
		h.renderClientForm(w, r, http.StatusUnprocessableEntity, c, "", view{Error: failed}, form, fieldErrors(apiErrs))
		return
	case errors.Is(err, store.ErrPreconditionFailed):
		h.renderClientForm(w, r, http.StatusConflict, c, "", view{Error: staleMessage}, form, nil)
		return
	case errors.Is(err, store.ErrNotFound):
		h.renderStatusAction(w, r, http.StatusNotFound, statusData{Heading: "No such application",
			Message: "This application does not exist; it may have been deleted.", Action: "/admin/clients", Label: "Back to applications"})
		return
	case err != nil:
		h.serverError(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/clients/"+url.PathEscape(c.ID)+"?done=csaved", http.StatusSeeOther)
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

// confirmMakePublic shows the step before a confidential application is
// saved as public: its secrets are deleted on saving, and a server that
// signs in with one of them stops working at once.
func (h *Handler) confirmMakePublic(w http.ResponseWriter, r *http.Request, c store.OIDCClient) {
	secrets := "its secret"
	if len(c.Secrets) > 1 {
		secrets = fmt.Sprintf("its %d secrets", len(c.Secrets))
	}
	path := "/admin/clients/" + url.PathEscape(c.ID)
	h.renderConfirm(w, r, confirmData{Parent: "Applications", ParentURL: "/admin/clients", Back: c.Name, BackURL: path, Section: "clients",
		Heading: fmt.Sprintf("Make %s a public application?", c.Name),
		Points: []string{
			fmt.Sprintf("A public application has no secret: saving deletes %s at once.", secrets),
			"A server that signs in with a secret (a confidential client) is refused from then on; only apps that use PKCE without a secret (single-page and native apps) keep working.",
			"To go back, make it confidential again and make a new secret.",
		},
		Action: path, Button: "Make it public and delete " + secrets, Class: "danger", Hidden: formAsHidden(r)})
}
