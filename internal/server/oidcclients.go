package server

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rollcall/rollcall/api"
	"github.com/rollcall/rollcall/internal/store"
)

// The /api/v1/oidc-clients routes, admins only: the applications that sign
// people in with Rollcall. Each change is audited by the store.
func (s *Server) oidcClientRoutes(mux *http.ServeMux) {
	if _, ok := s.store.(store.OIDCStore); !ok {
		return
	}
	mux.Handle("GET /api/v1/oidc-clients", s.api(s.listOIDCClients))
	mux.Handle("POST /api/v1/oidc-clients", s.api(s.createOIDCClient))
	mux.Handle("GET /api/v1/oidc-clients/{id}", s.api(s.getOIDCClient))
	mux.Handle("PATCH /api/v1/oidc-clients/{id}", s.api(s.updateOIDCClient))
	mux.Handle("DELETE /api/v1/oidc-clients/{id}", s.api(s.deleteOIDCClient))
	mux.Handle("POST /api/v1/oidc-clients/{id}/secrets", s.api(s.rotateOIDCClientSecret))
	mux.Handle("DELETE /api/v1/oidc-clients/{id}/secrets/{secret}", s.api(s.deleteOIDCClientSecret))
}

func (s *Server) oidcStore() store.OIDCStore { return s.store.(store.OIDCStore) }

// newClientSecret returns a new secret (32 random bytes, base64url) and the
// stored form: only the SHA-256 is kept, as for API tokens, since the
// secret is random enough that a slow hash would add nothing.
func newClientSecret() (string, store.OIDCClientSecret) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("server: crypto/rand failed: " + err.Error())
	}
	secret := base64.RawURLEncoding.EncodeToString(b)
	h := sha256.Sum256([]byte(secret))
	return secret, store.OIDCClientSecret{Hash: h[:]}
}

func optURL(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func (s *Server) oidcClientResource(c store.OIDCClient, secret string) api.OIDCClient {
	secrets := make([]api.OIDCClientSecretInfo, len(c.Secrets))
	for i, sec := range c.Secrets {
		secrets[i] = api.OIDCClientSecretInfo{ID: sec.ID, CreatedAt: sec.CreatedAt.UTC()}
	}
	return api.OIDCClient{
		Type: api.TypeOIDCClients,
		ID:   c.ID,
		Attributes: api.OIDCClientAttributes{
			Name: c.Name, ClientSecret: secret, RedirectURIs: c.RedirectURIs, PostLogoutRedirectURIs: c.PostLogoutRedirectURIs,
			Public: c.Public, GrantTypes: c.GrantTypes, AllowedGroups: c.AllowedGroupIDs, SkipConsent: c.SkipConsent,
			AccessTokenLifetime: int64(c.AccessTokenTTL / time.Second), IDTokenLifetime: int64(c.IDTokenTTL / time.Second),
			RefreshTokenLifetime: int64(c.RefreshTokenTTL / time.Second), LogoURL: optURL(c.LogoURL), LaunchURL: optURL(c.LaunchURL),
			BackchannelLogoutURI: optURL(c.BackchannelLogoutURI), AccessTokenFormat: c.AccessTokenFormat,
			AttributeClaims: c.AttributeClaims,
			Secrets:         secrets, CreatedAt: c.CreatedAt.UTC(), UpdatedAt: c.UpdatedAt.UTC(),
		},
		Links: &api.Links{Self: s.link("/api/v1/oidc-clients/" + c.ID)},
	}
}

func (s *Server) writeOIDCClient(w http.ResponseWriter, status int, c store.OIDCClient, secret string) {
	w.Header().Set("ETag", etag(c.Version))
	if status == http.StatusCreated {
		w.Header().Set("Location", s.link("/api/v1/oidc-clients/"+c.ID))
	}
	if secret != "" {
		w.Header().Set("Cache-Control", "no-store")
	}
	writeJSON(w, status, api.Document[api.OIDCClient]{Data: s.oidcClientResource(c, secret), Links: &api.Links{Self: s.link("/api/v1/oidc-clients/" + c.ID)}})
}

// clientError maps the store's errors about clients to API errors.
func clientError(err error, id string) error {
	var ce *store.ConflictError
	if errors.As(err, &ce) && ce.Field == "name" {
		return &api.Error{Status: "409", Code: api.CodeClientNameTaken, Title: "Application name taken",
			Detail: "another application already has this name", Source: &api.ErrorSource{Pointer: api.AttrPointer("name")}}
	}
	return notFoundAs(err, "oidc-client "+id)
}

// applyClient copies the attributes sent onto c.
func applyClient(c *store.OIDCClient, a *api.OIDCClientWriteAttributes) {
	if a.Name.Set {
		c.Name = strings.TrimSpace(a.Name.Value)
	}
	a.RedirectURIs.ApplyTo(&c.RedirectURIs)
	a.PostLogoutRedirectURIs.ApplyTo(&c.PostLogoutRedirectURIs)
	a.Public.ApplyTo(&c.Public)
	a.GrantTypes.ApplyTo(&c.GrantTypes)
	if a.AllowedGroups.Set {
		c.AllowedGroupIDs = make([]string, len(a.AllowedGroups.Value))
		for i, g := range a.AllowedGroups.Value {
			c.AllowedGroupIDs[i], _ = api.ValidateID(g)
		}
	}
	a.SkipConsent.ApplyTo(&c.SkipConsent)
	if a.AccessTokenLifetime.Set {
		c.AccessTokenTTL = time.Duration(a.AccessTokenLifetime.Value) * time.Second
	}
	if a.IDTokenLifetime.Set {
		c.IDTokenTTL = time.Duration(a.IDTokenLifetime.Value) * time.Second
	}
	if a.RefreshTokenLifetime.Set {
		c.RefreshTokenTTL = time.Duration(a.RefreshTokenLifetime.Value) * time.Second
	}
	a.LogoURL.ApplyTo(&c.LogoURL)
	a.LaunchURL.ApplyTo(&c.LaunchURL)
	a.BackchannelLogoutURI.ApplyTo(&c.BackchannelLogoutURI)
	a.AccessTokenFormat.ApplyTo(&c.AccessTokenFormat)
	a.AttributeClaims.ApplyTo(&c.AttributeClaims)
}

// checkAllowedGroups refuses group ids that name no group.
func (s *Server) checkAllowedGroups(r *http.Request, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	gs, err := s.store.GroupLabels(r.Context(), ids)
	if err != nil {
		return err
	}
	var errs api.Errors
	for i, id := range ids {
		if !slices.ContainsFunc(gs, func(g store.GroupLabel) bool { return g.ID == id }) {
			errs = append(errs, &api.Error{Status: "422", Code: api.CodeInvalidReference, Title: "Unknown related resource",
				Detail: "no group has id " + id, Source: &api.ErrorSource{Pointer: api.AttrPointer("allowed-groups") + "/" + strconv.Itoa(i)}})
		}
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// decodeClient reads and checks a write of a client.
func (s *Server) decodeClient(r *http.Request, create bool) (*api.OIDCClientWrite, error) {
	data, err := decodeData[api.OIDCClientWrite](r)
	if err != nil {
		return nil, err
	}
	if err := checkType(data.Type, api.TypeOIDCClients); err != nil {
		return nil, err
	}
	if errs := data.Attributes.Validate(create); len(errs) > 0 {
		return nil, errs
	}
	return data, nil
}

// POST /api/v1/oidc-clients — the answer holds the client secret of a
// confidential client, this once.
func (s *Server) createOIDCClient(w http.ResponseWriter, r *http.Request) {
	p := caller(r)
	if !p.admin() {
		s.writeError(w, r, errAdminOnly())
		return
	}
	data, err := s.decodeClient(r, true)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	c := store.OIDCClient{GrantTypes: []string{"authorization_code", "refresh_token"}}
	applyClient(&c, &data.Attributes)
	if errs := api.ValidateOIDCClient(c.Public, c.GrantTypes, c.RedirectURIs); len(errs) > 0 {
		s.writeError(w, r, errs)
		return
	}
	if err := s.checkAllowedGroups(r, c.AllowedGroupIDs); err != nil {
		s.writeError(w, r, err)
		return
	}
	secret := ""
	if !c.Public {
		var sec store.OIDCClientSecret
		secret, sec = newClientSecret()
		c.Secrets = []store.OIDCClientSecret{sec}
	}
	c, err = s.oidcStore().CreateOIDCClient(r.Context(), c, p.meta(r))
	if err != nil {
		s.writeError(w, r, clientError(err, ""))
		return
	}
	s.writeOIDCClient(w, http.StatusCreated, c, secret)
}

// GET /api/v1/oidc-clients — every client, by name (there are few).
func (s *Server) listOIDCClients(w http.ResponseWriter, r *http.Request) {
	if !caller(r).admin() {
		s.writeError(w, r, errAdminOnly())
		return
	}
	list, err := s.oidcStore().ListOIDCClients(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	data := make([]api.OIDCClient, len(list))
	for i, c := range list {
		data[i] = s.oidcClientResource(c, "")
	}
	writeJSON(w, http.StatusOK, api.Document[[]api.OIDCClient]{Data: data, Links: &api.Links{Self: s.selfLink(r)}})
}

// clientID checks the caller is an admin and reads {id}.
func (s *Server) clientID(w http.ResponseWriter, r *http.Request) (string, bool) {
	if !caller(r).admin() {
		s.writeError(w, r, errAdminOnly())
		return "", false
	}
	id, ok := pathID(r)
	if !ok {
		s.writeError(w, r, errNotFound("oidc-client "+r.PathValue("id")))
		return "", false
	}
	return id, true
}

// GET /api/v1/oidc-clients/{id}
func (s *Server) getOIDCClient(w http.ResponseWriter, r *http.Request) {
	id, ok := s.clientID(w, r)
	if !ok {
		return
	}
	c, err := s.oidcStore().GetOIDCClient(r.Context(), id)
	if err != nil {
		s.writeError(w, r, clientError(err, id))
		return
	}
	if notModified(w, r, c.Version) {
		return
	}
	s.writeOIDCClient(w, http.StatusOK, c, "")
}

// PATCH /api/v1/oidc-clients/{id}
func (s *Server) updateOIDCClient(w http.ResponseWriter, r *http.Request) {
	id, ok := s.clientID(w, r)
	if !ok {
		return
	}
	ifVersion, err := ifMatch(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	data, err := s.decodeClient(r, false)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.checkAllowedGroups(r, data.Attributes.AllowedGroups.Value); err != nil {
		s.writeError(w, r, err)
		return
	}
	c, err := s.oidcStore().UpdateOIDCClient(r.Context(), id, ifVersion, func(c *store.OIDCClient) error {
		applyClient(c, &data.Attributes)
		if c.Public {
			c.Secrets = nil // a public client has no secret
		}
		if errs := api.ValidateOIDCClient(c.Public, c.GrantTypes, c.RedirectURIs); len(errs) > 0 {
			return errs
		}
		return nil
	}, caller(r).meta(r))
	if err != nil {
		s.writeError(w, r, clientError(err, id))
		return
	}
	s.writeOIDCClient(w, http.StatusOK, c, "")
}

// DELETE /api/v1/oidc-clients/{id} — its tokens stop working at once.
func (s *Server) deleteOIDCClient(w http.ResponseWriter, r *http.Request) {
	id, ok := s.clientID(w, r)
	if !ok {
		return
	}
	if err := s.oidcStore().DeleteOIDCClient(r.Context(), id, caller(r).meta(r)); err != nil {
		s.writeError(w, r, clientError(err, id))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// POST /api/v1/oidc-clients/{id}/secrets — a new secret, shown once, beside
// the newest existing one, so the application can switch without downtime;
// a client already holding two must delete one first (409).
func (s *Server) rotateOIDCClientSecret(w http.ResponseWriter, r *http.Request) {
	id, ok := s.clientID(w, r)
	if !ok {
		return
	}
	secret, sec := newClientSecret()
	c, err := s.oidcStore().UpdateOIDCClient(r.Context(), id, 0, func(c *store.OIDCClient) error {
		if c.Public {
			return &api.Error{Status: "409", Code: api.CodeConflict, Title: "Public client",
				Detail: "a public client has no secret; set public to false first to make it confidential"}
		}
		if len(c.Secrets) >= store.MaxOIDCClientSecrets {
			return &api.Error{Status: "409", Code: api.CodeTooManySecrets, Title: "Too many secrets",
				Detail: "the application has two secrets already; delete the one it no longer uses (DELETE /api/v1/oidc-clients/" + id + "/secrets/{id}) and try again"}
		}
		c.Secrets = append([]store.OIDCClientSecret{sec}, c.Secrets...)
		return nil
	}, caller(r).meta(r))
	if err != nil {
		s.writeError(w, r, clientError(err, id))
		return
	}
	s.writeOIDCClient(w, http.StatusOK, c, secret)
}

// DELETE /api/v1/oidc-clients/{id}/secrets/{secret} — the secret stops
// working at once.
func (s *Server) deleteOIDCClientSecret(w http.ResponseWriter, r *http.Request) {
	id, ok := s.clientID(w, r)
	if !ok {
		return
	}
	secretID := r.PathValue("secret")
	_, err := s.oidcStore().UpdateOIDCClient(r.Context(), id, 0, func(c *store.OIDCClient) error {
		n := len(c.Secrets)
		c.Secrets = slices.DeleteFunc(c.Secrets, func(sec store.OIDCClientSecret) bool { return sec.ID == secretID })
		if len(c.Secrets) == n {
			return errNotFound("secret " + secretID + " of oidc-client " + id)
		}
		return nil
	}, caller(r).meta(r))
	if err != nil {
		s.writeError(w, r, clientError(err, id))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
