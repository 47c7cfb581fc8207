package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/rollcall/rollcall/api"
	"github.com/rollcall/rollcall/internal/store"
	"github.com/rollcall/rollcall/internal/token"
)

// tokenResource converts a stored token. The secret is never stored, so it
// can only appear in the create response (secret != "").
func (s *Server) tokenResource(t store.Token, secret string) api.APIToken {
	return api.APIToken{
		Type: api.TypeAPITokens,
		ID:   t.ID,
		Attributes: api.APITokenAttributes{
			Name:       t.Name,
			Token:      secret,
			Prefix:     t.Prefix,
			Scopes:     store.NormalizeScopes(t.Scopes),
			ExpiresAt:  utcPtr(t.ExpiresAt),
			LastUsedAt: utcPtr(t.LastUsedAt),
			CreatedAt:  t.CreatedAt.UTC(),
		},
		Relationships: api.APITokenRelationships{User: api.ToOne{Data: &api.ResourceIdentifier{Type: api.TypeUsers, ID: t.UserID}}},
		Links:         &api.Links{Self: s.link("/api/v1/api-tokens/" + t.ID)},
	}
}

// newToken makes a token for userID and stores its hash. It returns the
// stored token and the secret, which exists nowhere else afterwards.
func newToken(ctx context.Context, st store.Store, m store.Meta, userID, name string, expires *time.Time, scopes ...string) (store.Token, string, error) {
	return newTokenWithin(ctx, st, m, userID, name, expires, 0, scopes...)
}

// newTokenWithin is newToken unless the user holds maxLive live tokens
// already (maxLive <= 0: no cap), which is store.ErrTooManyTokens.
func newTokenWithin(ctx context.Context, st store.Store, m store.Meta, userID, name string, expires *time.Time, maxLive int, scopes ...string) (store.Token, string, error) {
	secret := token.Generate()
	t, err := st.CreateTokenWithin(ctx, store.Token{
		ID:        uuid.NewString(),
		UserID:    userID,
		Name:      name,
		Hash:      token.Hash(secret),
		Prefix:    token.DisplayPrefix(secret),
		ExpiresAt: expires,
		Scopes:    scopes,
	}, maxLive, m)
	return t, secret, err
}

// errTooManyTokens explains the cap on a non-admin's live tokens.
func errTooManyTokens(max int, self bool) *api.Error {
	who := "this user holds"
	if self {
		who = "you hold"
	}
	return &api.Error{Status: "409", Code: api.CodeTooManyTokens, Title: "Too many API tokens",
		Detail: fmt.Sprintf("%s %d live API tokens, the most a non-admin may hold (--max-tokens-per-user); "+
			"revoke one you no longer use with DELETE /api/v1/api-tokens/{id} (rollcall tokens list, then rollcall tokens revoke ID), "+
			"or let one expire, then create this one again", who, max)}
}

// POST /api/v1/api-tokens — anyone creates tokens for itself; an admin may
// name another user (typically a service account) as the owner.
func (s *Server) createToken(w http.ResponseWriter, r *http.Request) {
	p := caller(r)
	data, err := decodeData[api.APITokenWrite](r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := checkType(data.Type, api.TypeAPITokens); err != nil {
		s.writeError(w, r, err)
		return
	}
	data.Attributes.Name = strings.TrimSpace(data.Attributes.Name)
	errs := data.Attributes.Validate(time.Now())
	owner := p.user.ID
	if data.Relationships != nil && data.Relationships.User != nil && data.Relationships.User.Data != nil {
		ri := data.Relationships.User.Data
		const ptr = "/data/relationships/user/data"
		if ri.Type != api.TypeUsers {
			errs = append(errs, &api.Error{Status: "422", Code: api.CodeInvalidValue, Title: "Invalid value",
				Detail: "the owner of a token must be of type users", Source: &api.ErrorSource{Pointer: ptr + "/type"}})
		} else if id, e := api.ValidateID(ri.ID); e != nil {
			e.Source = &api.ErrorSource{Pointer: ptr + "/id"}
			errs = append(errs, e)
		} else {
			owner = id
		}
	}
	if len(errs) > 0 {
		s.writeError(w, r, errs)
		return
	}
	// A non-admin may hold at most MaxTokensPerUser live tokens, however
	// they were made: otherwise one user could spread its requests over
	// hundreds of self-minted tokens, each with its own rate limit.
	ownerAdmin := p.admin()
	if owner != p.user.ID {
		if !p.admin() {
			s.writeError(w, r, errForbidden("a non-admin token can create tokens only for its own user; leave relationships.user out"))
			return
		}
		u, err := s.store.GetUser(r.Context(), owner)
		ownerAdmin = err == nil && u.IsAdmin
		if err != nil {
			if isNotFound(err) {
				err = api.Errors{{Status: "422", Code: api.CodeInvalidReference, Title: "Unknown related resource",
					Detail: "no user has id " + owner, Source: &api.ErrorSource{Pointer: "/data/relationships/user/data/id"}}}
			}
			s.writeError(w, r, err)
			return
		}
	}
	maxLive := 0
	if !ownerAdmin {
		maxLive = s.cfg.MaxTokensPerUser
	}
	t, secret, err := newTokenWithin(r.Context(), s.store, p.meta(r), owner, data.Attributes.Name, data.Attributes.ExpiresAt, maxLive, data.Attributes.Scopes...)
	if errors.Is(err, store.ErrTooManyTokens) {
		err = errTooManyTokens(maxLive, owner == p.user.ID)
	}
	if err != nil {
		var ref *store.ReferenceError
		if errors.As(err, &ref) {
			err = api.Errors{{Status: "422", Code: api.CodeInvalidReference, Title: "Unknown related resource",
				Detail: "no user has id " + owner, Source: &api.ErrorSource{Pointer: "/data/relationships/user/data/id"}}}
		}
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Location", s.link("/api/v1/api-tokens/"+t.ID))
	writeJSON(w, http.StatusCreated, api.Document[api.APIToken]{Data: s.tokenResource(t, secret), Links: &api.Links{Self: s.link("/api/v1/api-tokens/" + t.ID)}})
}

// GET /api/v1/api-tokens — an admin sees all (filter[user] narrows), others
// their own.
func (s *Server) listTokens(w http.ResponseWriter, r *http.Request) {
	p := caller(r)
	q, err := parseListQuery(r, []string{"user"}, nil)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	f := store.TokenFilter{}
	if u := q.filter["user"]; u != "" {
		if p.admin() {
			if f.UserID, err = s.resolveUserFilter(r.Context(), "filter[user]", u); err != nil {
				s.writeError(w, r, err)
				return
			}
		} else {
			// Anyone else sees only themselves: another user, or one that
			// does not exist, is the same 404 (no lookup, nothing learnt).
			id, name, err := parseRef("filter[user]", u, userRef)
			if err != nil {
				s.writeError(w, r, err)
				return
			}
			if id != p.user.ID && name != p.user.Username {
				s.writeError(w, r, errUnknownRef("filter[user]", u, userRef))
				return
			}
		}
	}
	if !p.admin() {
		f.UserID = p.user.ID
	}
	list, next, err := s.store.ListTokens(r.Context(), f, q.page)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if len(list) == 0 && p.admin() && f.UserID != "" && q.page.After == "" {
		if err := s.checkUserExists(r.Context(), "filter[user]", q.filter["user"], f.UserID); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	data := make([]api.APIToken, len(list))
	for i, t := range list {
		data[i] = s.tokenResource(t, "")
	}
	writeJSON(w, http.StatusOK, api.Document[[]api.APIToken]{Data: data, Links: &api.Links{Self: s.selfLink(r), Next: s.nextLink(r, next)}})
}

// visibleToken loads {id} if the caller may see it: admins any, others their own.
func (s *Server) visibleToken(w http.ResponseWriter, r *http.Request) (store.Token, bool) {
	p := caller(r)
	id, ok := pathID(r)
	if ok {
		t, err := s.store.GetToken(r.Context(), id)
		if err == nil && (p.admin() || t.UserID == p.user.ID) {
			return t, true
		}
		if err != nil && !isNotFound(err) {
			s.writeError(w, r, err)
			return store.Token{}, false
		}
	}
	s.writeError(w, r, errNotFound("api-token "+r.PathValue("id")))
	return store.Token{}, false
}

// GET /api/v1/api-tokens/{id}
func (s *Server) getToken(w http.ResponseWriter, r *http.Request) {
	t, ok := s.visibleToken(w, r)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, api.Document[api.APIToken]{Data: s.tokenResource(t, ""), Links: &api.Links{Self: s.link("/api/v1/api-tokens/" + t.ID)}})
}

// DELETE /api/v1/api-tokens/{id} revokes the token at once.
func (s *Server) deleteToken(w http.ResponseWriter, r *http.Request) {
	t, ok := s.visibleToken(w, r)
	if !ok {
		return
	}
	if err := s.store.DeleteToken(r.Context(), t.ID, caller(r).meta(r)); err != nil {
		s.writeError(w, r, notFoundAs(err, "api-token "+t.ID))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
