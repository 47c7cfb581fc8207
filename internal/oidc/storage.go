package oidc

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"

	"github.com/rollcall/rollcall/api"
	"github.com/rollcall/rollcall/internal/store"
)

// storage is the OP library's op.Storage over Rollcall's store.
type storage struct {
	st   store.Store
	o    store.OIDCStore
	keys *keyring
	now  func() time.Time
	// seal encrypts with the provider's key (set once the provider exists).
	seal func(string) (string, error)
}

var (
	_ op.Storage                        = (*storage)(nil)
	_ op.CanSetUserinfoFromRequest      = (*storage)(nil)
	_ op.CanGetPrivateClaimsFromRequest = (*storage)(nil)
)

// refreshIDPrefix marks the token id GetRefreshTokenInfo hands to
// RevokeToken, which the library calls with a user id for both kinds.
const refreshIDPrefix = "rt."

func hash(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

// newSecret returns 32 random bytes as base64url: access token ids and
// refresh tokens. Only their SHA-256 is stored.
func newSecret() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("oidc: crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

type ctxKey int

const metaKey ctxKey = 0

// metaOf is the audit actor and request of a library call: the provider's
// interceptor puts it in every request's context.
func metaOf(ctx context.Context) store.Meta {
	ri, _ := ctx.Value(metaKey).(reqInfo)
	return ri.meta
}

// notFound is an error the library treats as the client's fault, not the
// server's.
type notFound struct{ what string }

func (e notFound) Error() string { return e.what + " not found" }
func (notFound) IsNotFound()     {}

// serverError marks a genuine fault for the library, which answers it with
// a 500 and logs it; every other error is the request's fault.
func serverError(err error) error {
	return oidc.ErrServerError().WithParent(err)
}

func (s *storage) client(ctx context.Context, id string) (*client, error) {
	m := memoOf(ctx)
	if c, ok := m.client(id); ok {
		return &client{c: c}, nil
	}
	c, err := s.o.GetOIDCClient(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		// An *oidc.Error of the client's fault: the library turns any
		// other error into a server_error (500) where it meets it.
		return nil, oidc.ErrInvalidClient().WithDescription("No application is registered with this client_id.").WithParent(notFound{"client"})
	}
	if err != nil {
		return nil, serverError(err)
	}
	m.putClient(c)
	return &client{c: c}, nil
}

// user reads a person, once per request (see memo).
func (s *storage) user(ctx context.Context, id string) (store.User, error) {
	p, err := s.person(ctx, id)
	return p.user, err
}

// person is user with the person's groups and their claims, read in the
// same query (store.OIDCStore.GetUserForClaims): a token request first
// asks whether the person may have one, then describes them.
func (s *storage) person(ctx context.Context, id string) (person, error) {
	m := memoOf(ctx)
	if p, ok := m.person(id); ok {
		return p, nil
	}
	u, gs, err := s.o.GetUserForClaims(ctx, id)
	if err != nil {
		return person{}, err
	}
	p := person{user: u, groups: gs}
	m.putPerson(p)
	return p, nil
}

// CreateAuthRequest stores an authorization request that passed the
// library's checks, after Rollcall's own on PKCE: S256 only ("plain"
// protects nothing against a stolen code, and an absent method means
// plain), and required for public clients.
func (s *storage) CreateAuthRequest(ctx context.Context, req *oidc.AuthRequest, _ string) (op.AuthRequest, error) {
	cl, err := s.client(ctx, req.ClientID)
	if err != nil {
		return nil, err
	}
	if req.CodeChallenge != "" && req.CodeChallengeMethod != oidc.CodeChallengeMethodS256 {
		return nil, oidc.ErrInvalidRequest().WithDescription("code_challenge_method must be S256: plain PKCE is refused.")
	}
	if cl.c.Public && req.CodeChallenge == "" {
		return nil, oidc.ErrInvalidRequest().WithDescription("This application is public: it must send a PKCE code_challenge with code_challenge_method S256.")
	}
	if !cl.hasGrant(GrantAuthorizationCode) {
		return nil, oidc.ErrUnauthorizedClient().WithDescription("This application may not use the authorization code flow; an administrator can allow the authorization_code grant type.")
	}
	p := authParams{
		RedirectURI: req.RedirectURI, State: req.State, Nonce: req.Nonce, Scopes: req.Scopes,
		ResponseType: string(req.ResponseType), ResponseMode: string(req.ResponseMode),
		CodeChallenge: req.CodeChallenge, CodeChallengeMethod: string(req.CodeChallengeMethod),
		Prompt: req.Prompt, MaxAge: req.MaxAge, LoginHint: req.LoginHint,
	}
	b, err := json.Marshal(p)
	if err != nil {
		return nil, serverError(err)
	}
	rec, err := s.o.CreateOIDCAuthRequest(ctx, store.OIDCAuthRequest{ClientID: cl.c.ID, Params: b, ExpiresAt: s.now().Add(authRequestTTL)})
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound{"client " + req.ClientID}
	}
	if err != nil {
		return nil, serverError(err)
	}
	return &authRequest{rec: rec, p: p}, nil
}

func (s *storage) AuthRequestByID(ctx context.Context, id string) (op.AuthRequest, error) {
	rec, err := s.o.GetOIDCAuthRequest(ctx, id, s.now())
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound{"authorization request"}
	}
	if err != nil {
		return nil, serverError(err)
	}
	return newAuthRequest(rec)
}

// AuthRequestByCode finds the request of a code. A code redeemed before
// is refused, and the store has revoked what the first redemption got.
func (s *storage) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	rec, err := s.o.GetOIDCAuthRequestByCode(ctx, hash(code), s.now(), metaOf(ctx))
	switch {
	case errors.Is(err, store.ErrOIDCCodeUsed):
		return nil, oidc.ErrInvalidGrant().WithDescription("This code was used before; the tokens issued for it are revoked.")
	case errors.Is(err, store.ErrNotFound):
		return nil, notFound{"code"}
	case err != nil:
		return nil, serverError(err)
	}
	memoOf(ctx).markCode(rec.ID)
	return newAuthRequest(rec)
}

func (s *storage) SaveAuthCode(ctx context.Context, id, code string) error {
	err := s.o.SaveOIDCAuthCode(ctx, id, hash(code), s.now().Add(codeTTL))
	if errors.Is(err, store.ErrNotFound) {
		return oidc.ErrInvalidRequest().WithDescription("The sign-in for this request is not finished, or it already has a code.")
	}
	if err != nil {
		return serverError(err)
	}
	return nil
}

// DeleteAuthRequest forgets a request that got no code. The library also
// calls it after redeeming a code, when the store would delete nothing (a
// request with a code is kept to recognise a replay): that write is
// skipped.
func (s *storage) DeleteAuthRequest(ctx context.Context, id string) error {
	if memoOf(ctx).hasCode(id) {
		return nil
	}
	if err := s.o.DeleteOIDCAuthRequest(ctx, id); err != nil {
		return serverError(err)
	}
	return nil
}

// grantError turns the store's verdict on a grant into the token
// endpoint's answer.
func grantError(err error) error {
	switch {
	case errors.Is(err, store.ErrOIDCCodeUsed):
		return oidc.ErrInvalidGrant().WithDescription("This code was used before; the tokens issued for it are revoked.")
	case errors.Is(err, store.ErrOIDCRefreshReused):
		return oidc.ErrInvalidGrant().WithDescription("This refresh token was used before; every token of this sign-in is revoked. Sign in again.")
	case errors.Is(err, store.ErrNotFound):
		return oidc.ErrInvalidGrant().WithDescription("The code or refresh token has expired or was revoked.")
	}
	return serverError(err)
}

// issue stores one grant and returns the access token's id (which the
// library encrypts into the opaque access token) and the new refresh
// token, if any.
func (s *storage) issue(ctx context.Context, request op.TokenRequest, currentRefresh string, withRefresh bool) (string, string, time.Time, error) {
	var clientID, familyID, sid string
	var amr []string
	var authTime time.Time
	var g store.OIDCTokenGrant
	switch r := request.(type) {
	case *authRequest:
		clientID, familyID, sid, amr, authTime = r.rec.ClientID, r.rec.ID, r.rec.SessionID, r.rec.AMR, r.rec.AuthTime
		g.RedeemCode = r.rec.ID
	case *refreshRequest:
		clientID, familyID, sid, amr, authTime = r.rec.ClientID, r.rec.FamilyID, r.rec.SessionID, r.rec.AMR, r.rec.AuthTime
		g.RotateRefresh = hash(currentRefresh)
	case *op.DeviceAuthorizationState:
		// Each device sign-in starts a token family of its own; the store
		// already let only one poll through.
		clientID, familyID, amr, authTime = r.ClientID, "device-"+newSecret()[:22], r.AMR, r.AuthTime
	case *machineRequest:
		clientID, familyID = r.clientID, machineFamily
	default:
		return "", "", time.Time{}, oidc.ErrUnsupportedGrantType()
	}
	cl, err := s.client(ctx, clientID)
	if err != nil {
		return "", "", time.Time{}, err
	}
	if familyID != machineFamily {
		if err := s.mayUse(ctx, request.GetSubject(), cl); err != nil {
			return "", "", time.Time{}, err
		}
	}
	now := s.now()
	id := newSecret()
	exp := now.Add(cl.accessTokenTTL())
	g.Access = store.OIDCAccessToken{Hash: hash(id), ClientID: clientID, UserID: request.GetSubject(), Scopes: request.GetScopes(),
		Audience: request.GetAudience(), FamilyID: familyID, ExpiresAt: exp}
	var refresh string
	if withRefresh {
		refresh = newSecret()
		scopes := request.GetScopes()
		if r, ok := request.(*refreshRequest); ok {
			scopes = r.rec.Scopes // a narrowed refresh keeps what was granted
		}
		g.Refresh = &store.OIDCRefreshToken{Hash: hash(refresh), FamilyID: familyID, ClientID: clientID, UserID: request.GetSubject(),
			Scopes: scopes, Audience: request.GetAudience(), AMR: amr, AuthTime: authTime, SessionID: sid,
			ExpiresAt: now.Add(cl.refreshTokenTTL())}
	}
	if err := s.o.CreateOIDCTokens(ctx, g, metaOf(ctx)); err != nil {
		return "", "", time.Time{}, grantError(err)
	}
	return id, refresh, exp, nil
}

func (s *storage) CreateAccessToken(ctx context.Context, request op.TokenRequest) (string, time.Time, error) {
	id, _, exp, err := s.issue(ctx, request, "", false)
	return id, exp, err
}

func (s *storage) CreateAccessAndRefreshTokens(ctx context.Context, request op.TokenRequest, currentRefreshToken string) (string, string, time.Time, error) {
	return s.issue(ctx, request, currentRefreshToken, true)
}

// TokenRequestByRefreshToken finds a refresh token. A rotated-away one is
// refused and its family revoked (by the store); so is one whose person
// was disabled or deleted, or left the client's allowed groups.
func (s *storage) TokenRequestByRefreshToken(ctx context.Context, token string) (op.RefreshTokenRequest, error) {
	rec, err := s.o.GetOIDCRefreshToken(ctx, hash(token), s.now(), metaOf(ctx))
	if err != nil {
		return nil, grantError(err)
	}
	cl, err := s.client(ctx, rec.ClientID)
	if err != nil {
		return nil, err
	}
	if err := s.mayUse(ctx, rec.UserID, cl); err != nil {
		return nil, err
	}
	return &refreshRequest{rec: rec, scopes: rec.Scopes}, nil
}

// mayUse refuses tokens to a person who may not sign in to the client
// (any more): disabled, deleted, or outside its allowed groups.
func (s *storage) mayUse(ctx context.Context, userID string, cl *client) error {
	u, err := s.user(ctx, userID)
	if errors.Is(err, store.ErrNotFound) {
		return oidc.ErrInvalidGrant().WithDescription("The person of this grant no longer exists.")
	}
	if err != nil {
		return serverError(err)
	}
	if u.Disabled {
		return oidc.ErrInvalidGrant().WithDescription("The person of this grant is disabled.")
	}
	if !allowed(u, cl.c) {
		return oidc.ErrAccessDenied().WithDescription("The person of this grant is not in a group allowed to use this application.")
	}
	return nil
}

// allowed reports whether u may sign in to c: c has no allowed groups, or
// u is in one of them.
func allowed(u store.User, c store.OIDCClient) bool {
	if len(c.AllowedGroupIDs) == 0 {
		return true
	}
	for _, g := range u.GroupIDs {
		if slices.Contains(c.AllowedGroupIDs, g) {
			return true
		}
	}
	return false
}

// TerminateSession is called by end_session. Ending Rollcall's own browser
// session there is not done yet (the library passes no request); the
// person stays signed in to Rollcall.
func (s *storage) TerminateSession(context.Context, string, string) error { return nil }

// RevokeToken revokes an access token (by its id) or a refresh token's
// whole family (by the id GetRefreshTokenInfo gave). Unknown tokens are
// not an error (RFC 7009 section 2.2); another client's tokens are.
func (s *storage) RevokeToken(ctx context.Context, tokenOrID, _ string, clientID string) *oidc.Error {
	m := metaOf(ctx)
	if family, ok := strings.CutPrefix(tokenOrID, refreshIDPrefix); ok {
		if err := s.o.RevokeOIDCFamily(ctx, family, "revoked by the client", m); err != nil {
			return oidc.ErrServerError().WithParent(err)
		}
		return nil
	}
	t, err := s.o.GetOIDCAccessToken(ctx, hash(tokenOrID), s.now())
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return oidc.ErrServerError().WithParent(err)
	}
	if t.ClientID != clientID {
		return oidc.ErrInvalidClient().WithDescription("This token was issued to another application.")
	}
	if err := s.o.RevokeOIDCAccessToken(ctx, hash(tokenOrID), m); err != nil && !errors.Is(err, store.ErrNotFound) {
		return oidc.ErrServerError().WithParent(err)
	}
	return nil
}

func (s *storage) GetRefreshTokenInfo(ctx context.Context, clientID, token string) (string, string, error) {
	rec, err := s.o.GetOIDCRefreshToken(ctx, hash(token), s.now(), metaOf(ctx))
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrOIDCRefreshReused) {
		return "", "", op.ErrInvalidRefreshToken
	}
	if err != nil {
		return "", "", err
	}
	if rec.ClientID != clientID {
		return "", "", op.ErrInvalidRefreshToken
	}
	return rec.UserID, refreshIDPrefix + rec.FamilyID, nil
}

func (s *storage) SigningKey(ctx context.Context) (op.SigningKey, error) {
	k, _, err := s.keys.load(ctx)
	if err != nil {
		return nil, err
	}
	return k, nil
}

func (s *storage) SignatureAlgorithms(ctx context.Context) ([]jose.SignatureAlgorithm, error) {
	pub, err := s.keys.published(ctx)
	if err != nil {
		return nil, err
	}
	var algs []jose.SignatureAlgorithm
	for _, k := range pub {
		if !slices.Contains(algs, k.Algorithm()) {
			algs = append(algs, k.Algorithm())
		}
	}
	return algs, nil
}

func (s *storage) KeySet(ctx context.Context) ([]op.Key, error) {
	return s.keys.published(ctx)
}

func (s *storage) GetClientByClientID(ctx context.Context, clientID string) (op.Client, error) {
	return s.client(ctx, clientID)
}

// AuthorizeClientIDSecret compares the secret's hash with each of the
// client's (at most two, for rotation) in constant time.
func (s *storage) AuthorizeClientIDSecret(ctx context.Context, clientID, secret string) error {
	cl, err := s.client(ctx, clientID)
	if err != nil {
		return err
	}
	if cl.c.Public {
		return errors.New("public clients have no secret")
	}
	h := hash(secret)
	ok := 0
	for _, sec := range cl.c.Secrets {
		ok |= subtle.ConstantTimeCompare(h, sec.Hash)
	}
	if ok != 1 {
		return errors.New("wrong client secret")
	}
	return nil
}

// SetUserinfoFromScopes is deprecated in the library, which calls
// SetUserinfoFromRequest instead.
func (s *storage) SetUserinfoFromScopes(context.Context, *oidc.UserInfo, string, string, []string) error {
	return nil
}

// SetUserinfoFromRequest fills the ID token's claims, with sid from the
// browser session the sign-in started.
func (s *storage) SetUserinfoFromRequest(ctx context.Context, info *oidc.UserInfo, request op.IDTokenRequest, scopes []string) error {
	u, gs, err := s.userinfo(ctx, info, request.GetSubject(), scopes)
	if err != nil {
		return err
	}
	if err := s.customClaims(ctx, info, u, gs, request.GetClientID()); err != nil {
		return err
	}
	if sb, ok := request.(sessionBound); ok && sb.sessionID() != "" {
		info.AppendClaims("sid", sb.sessionID())
	}
	return nil
}

func (s *storage) SetUserinfoFromToken(ctx context.Context, info *oidc.UserInfo, tokenID, subject, _ string) error {
	h, err := s.tokenHolder(ctx, tokenID, subject)
	if err != nil {
		return err
	}
	if err := claimsOf(info, h.User, h.Groups, h.Token.Scopes); err != nil {
		return err
	}
	addCustomClaims(info, h.User, h.Groups, h.AttributeClaims)
	return nil
}

// tokenHolder reads a person's access token with the person and the
// client's attribute claims in one query, which is all userinfo reads.
// When that finds nothing it says why: the token expired or was revoked,
// belongs to a machine client, or its person was deleted.
func (s *storage) tokenHolder(ctx context.Context, tokenID, subject string) (store.OIDCTokenHolder, error) {
	h, err := s.o.GetOIDCTokenHolder(ctx, hash(tokenID), s.now())
	if err == nil && (h.Token.UserID != subject || h.Token.FamilyID == machineFamily) {
		err = store.ErrNotFound // let the reads below give the reason
	}
	if !errors.Is(err, store.ErrNotFound) {
		if err != nil {
			return h, serverError(err)
		}
		return h, nil
	}
	t, err := s.o.GetOIDCAccessToken(ctx, hash(tokenID), s.now())
	switch {
	case errors.Is(err, store.ErrNotFound):
		return h, oidc.ErrAccessDenied().WithDescription("The access token has expired or was revoked.")
	case err != nil:
		return h, serverError(err)
	case t.UserID != subject:
		return h, oidc.ErrAccessDenied().WithDescription("The access token is not valid.")
	case t.FamilyID == machineFamily:
		return h, oidc.ErrAccessDenied().WithDescription(machineTokenRefusal)
	}
	// The token is there, so its person is not: no user has its id any
	// more.
	return h, oidc.ErrAccessDenied().WithDescription("This person no longer exists.")
}

// introspectionMembers are the members of an introspection answer (RFC
// 7662) that are not among api.ReservedClaims; a custom claim never
// stands in for them.
var introspectionMembers = []string{"active", "token_type", "username"}

// SetIntrospectionFromToken answers for a person's token with the claims
// of its scopes and the custom claims (the client's attribute-claims and
// the person's groups' custom claims), with the ID token's precedence.
func (s *storage) SetIntrospectionFromToken(ctx context.Context, resp *oidc.IntrospectionResponse, tokenID, subject, _ string) error {
	// A person's token is read with the person (one query, as userinfo);
	// a machine client's, or one whose person is gone, on its own.
	h, err := s.o.GetOIDCTokenHolder(ctx, hash(tokenID), s.now())
	person := err == nil
	if errors.Is(err, store.ErrNotFound) {
		h.Token, err = s.o.GetOIDCAccessToken(ctx, hash(tokenID), s.now())
	}
	if errors.Is(err, store.ErrNotFound) {
		return notFound{"token"}
	}
	if err != nil {
		return serverError(err)
	}
	t := h.Token
	// Any authenticated client may introspect (a resource server checks
	// the tokens it is sent, RFC 7662); the answer names the token's client.
	if t.UserID != subject {
		return notFound{"token"}
	}
	if t.FamilyID != machineFamily {
		if !person {
			return oidc.ErrAccessDenied().WithDescription("This person no longer exists.")
		}
		var info oidc.UserInfo
		if err := claimsOf(&info, h.User, h.Groups, t.Scopes); err != nil {
			return err
		}
		addCustomClaims(&info, h.User, h.Groups, h.AttributeClaims)
		for _, name := range introspectionMembers {
			delete(info.Claims, name)
		}
		resp.SetUserInfo(&info)
	}
	resp.Active = true
	resp.Scope = t.Scopes
	resp.ClientID = t.ClientID
	resp.TokenType = oidc.BearerToken
	resp.Subject = t.UserID
	resp.Audience = t.Audience
	resp.Expiration = oidc.FromTime(t.ExpiresAt)
	resp.IssuedAt = oidc.FromTime(t.CreatedAt)
	return nil
}

// userinfo fills the claims of the scopes and returns the person with
// their groups (read with the person). sub is always the user's id, never
// the username: a rename keeps the subject.
func (s *storage) userinfo(ctx context.Context, info *oidc.UserInfo, userID string, scopes []string) (u store.User, groups []store.Group, err error) {
	p, err := s.person(ctx, userID)
	if errors.Is(err, store.ErrNotFound) {
		return p.user, nil, oidc.ErrAccessDenied().WithDescription("This person no longer exists.")
	}
	if err != nil {
		return p.user, nil, serverError(err)
	}
	return p.user, p.groups, claimsOf(info, p.user, p.groups, scopes)
}

// claimsOf is userinfo for a person and their groups already read.
func claimsOf(info *oidc.UserInfo, u store.User, groups []store.Group, scopes []string) error {
	if u.Disabled {
		return oidc.ErrAccessDenied().WithDescription("This person is disabled.")
	}
	info.Subject = u.ID
	for _, sc := range scopes {
		switch sc {
		case oidc.ScopeProfile:
			info.PreferredUsername = u.Username
			info.Name = displayName(u)
			info.GivenName = u.FirstName
			info.FamilyName = u.LastName
			info.Picture = u.AvatarURL
			info.UpdatedAt = oidc.FromTime(u.UpdatedAt)
			if u.Locale != "" {
				if tag, err := language.Parse(u.Locale); err == nil {
					info.Locale = oidc.NewLocale(tag)
				}
			}
		case oidc.ScopeEmail:
			info.Email = u.Email
			info.EmailVerified = oidc.Bool(u.EmailVerified)
		case oidc.ScopePhone:
			info.PhoneNumber = u.Phone
			if info.PhoneNumber == "" {
				info.PhoneNumber = u.Mobile
			}
		case ScopeGroups:
			names := make([]string, 0, len(groups))
			for _, g := range groups {
				names = append(names, g.Name)
			}
			slices.Sort(names)
			info.AppendClaims("groups", names)
		}
	}
	return nil
}

// customClaims adds the claims that do not come from scopes, in this
// order of precedence (README, "Sign in to an application"): Rollcall's
// own claims (already in info; their names are api.ReservedClaims and
// neither source below may use them), then the client's attribute-claims
// (store.OIDCClient.AttributeClaims; an attribute the person does not have
// adds nothing), then the custom claims of the person's groups, which only
// fill names still free (mergeGroupClaims). gs are the person's groups.
func (s *storage) customClaims(ctx context.Context, info *oidc.UserInfo, u store.User, gs []store.Group, clientID string) error {
	cl, err := s.client(ctx, clientID)
	if err != nil {
		return err
	}
	addCustomClaims(info, u, gs, cl.c.AttributeClaims)
	return nil
}

// addCustomClaims is customClaims with the client's attribute claims
// already read.
func addCustomClaims(info *oidc.UserInfo, u store.User, gs []store.Group, attributeClaims map[string]string) {
	for claim, key := range attributeClaims {
		if v, ok := u.Attributes[key]; ok && !slices.Contains(api.ReservedClaims, claim) {
			info.AppendClaims(claim, v)
		}
	}
	mergeGroupClaims(info, gs)
}

// mergeGroupClaims adds the groups' custom claims to info where the name
// is neither reserved nor already set. Groups are taken in name order, so
// when two of a person's groups set the same claim the group whose name
// sorts first wins, whatever order memberships were made in; values are
// not merged (two arrays are not joined).
func mergeGroupClaims(info *oidc.UserInfo, gs []store.Group) {
	gs = slices.Clone(gs)
	slices.SortFunc(gs, func(a, b store.Group) int { return strings.Compare(a.Name, b.Name) })
	for _, g := range gs {
		for _, name := range slices.Sorted(maps.Keys(g.CustomClaims)) {
			if _, taken := info.Claims[name]; taken || slices.Contains(api.ReservedClaims, name) {
				continue
			}
			info.AppendClaims(name, g.CustomClaims[name])
		}
	}
}

func displayName(u store.User) string {
	if u.DisplayName != "" {
		return u.DisplayName
	}
	if n := strings.TrimSpace(u.FirstName + " " + u.LastName); n != "" {
		return n
	}
	return u.Username
}

// GetPrivateClaimsFromScopes is not called: the library prefers
// GetPrivateClaimsFromRequest.
func (s *storage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

// GetPrivateClaimsFromRequest gives a JWT access token (RFC 9068) of a
// person the custom claims of their ID token: the client's
// attribute-claims and their groups' custom claims, with the same
// precedence; and, when the token has the groups scope, the names of
// their groups as `groups` (RFC 9068 section 2.2.3.1), which an API
// checks access with. The profile, email and phone claims stay in the ID
// token and userinfo: an access token is sent to every API the client
// calls. A machine client's token has no person and gets none.
func (s *storage) GetPrivateClaimsFromRequest(ctx context.Context, request op.TokenRequest, _ []string) (map[string]any, error) {
	r, ok := request.(interface{ GetClientID() string })
	if !ok {
		return nil, nil
	}
	var scopes []string
	if slices.Contains(request.GetScopes(), ScopeGroups) {
		scopes = []string{ScopeGroups}
	}
	var info oidc.UserInfo
	u, gs, err := s.userinfo(ctx, &info, request.GetSubject(), scopes)
	if err != nil {
		return nil, err
	}
	if err := s.customClaims(ctx, &info, u, gs, r.GetClientID()); err != nil {
		return nil, err
	}
	return info.Claims, nil
}

// GetKeyByIDAndClientID would verify JWT client assertions; Rollcall's
// clients authenticate with secrets.
func (s *storage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errors.New("JWT client authentication is not supported")
}

func (s *storage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, errors.New("the JWT profile grant is not supported")
}

func (s *storage) Health(ctx context.Context) error { return s.st.Ping(ctx) }
