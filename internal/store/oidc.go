package store

import (
	"context"
	"errors"
	"time"
)

// Errors of the OpenID Connect provider's state.
var (
	// ErrOIDCCodeUsed is a second redemption of an authorization code. The
	// store has already revoked every token issued from it (RFC 6749
	// section 4.1.2: the code was stolen, or the first redemption was).
	ErrOIDCCodeUsed = errors.New("store: authorization code already used")
	// ErrOIDCRefreshReused is a refresh token presented after it was
	// rotated away. The store has already revoked its whole family: one of
	// the two holders is not the client it was issued to.
	ErrOIDCRefreshReused = errors.New("store: refresh token reused")
)

// OIDCClient is an application that signs people in with Rollcall.
type OIDCClient struct {
	ID                     string
	Name                   string
	RedirectURIs           []string // exact match only; never nil when read
	PostLogoutRedirectURIs []string // never nil when read
	// Public clients (single-page and native apps) have no secret and must
	// use PKCE with S256; confidential ones authenticate with a secret.
	Public          bool
	GrantTypes      []string // "authorization_code", "refresh_token", ...; never nil when read
	AllowedGroupIDs []string // empty: everyone may sign in; sorted, never nil when read
	SkipConsent     bool
	// Token lifetimes; zero means the provider's default.
	AccessTokenTTL  time.Duration
	IDTokenTTL      time.Duration
	RefreshTokenTTL time.Duration
	LogoURL         string
	LaunchURL       string
	// BackchannelLogoutURI, when set, receives a logout token when a browser
	// session the client signed someone in from ends.
	BackchannelLogoutURI string
	// AccessTokenFormat is "opaque" (the default; "" reads as it) or "jwt".
	AccessTokenFormat string
	// AttributeClaims maps claim names to keys of the person's attributes:
	// the client's ID tokens, JWT access tokens, userinfo and the
	// introspection of its tokens carry those attributes as claims.
	// Never nil when read.
	AttributeClaims map[string]string
	// Secrets are the SHA-256 hashes of the client's secrets, at most two
	// (so a rotation needs no downtime), newest first; never nil when read.
	Secrets   []OIDCClientSecret
	CreatedAt time.Time
	UpdatedAt time.Time
	Version   int64
}

// OIDCClientSecret is one secret of a client; only its hash is kept.
type OIDCClientSecret struct {
	ID        string
	Hash      []byte // SHA-256 of the secret
	CreatedAt time.Time
}

// MaxOIDCClientSecrets is how many secrets a client may hold at once.
const MaxOIDCClientSecrets = 2

// OIDCAuthRequest is an authorization request between the authorize
// endpoint and the code's redemption. Params holds the request as the
// provider parsed it (opaque to the store); the rest is what the store
// needs to find, complete and expire it.
type OIDCAuthRequest struct {
	ID       string
	ClientID string
	Params   []byte // JSON, owned by internal/oidc
	// Set by CompleteOIDCAuthRequest once the person signed in and agreed.
	UserID    string
	SessionID string // the browser session's id: the sid claim
	AuthTime  time.Time
	AMR       []string
	Done      bool
	// CodeHash is the SHA-256 of the issued code, once there is one.
	CodeHash   []byte
	CodeUsedAt *time.Time
	CreatedAt  time.Time
	ExpiresAt  time.Time
}

// OIDCAuthDone is what completes an authorization request.
type OIDCAuthDone struct {
	UserID    string
	SessionID string
	AuthTime  time.Time
	AMR       []string
}

// OIDCAccessToken is an issued access token, found by the SHA-256 of its
// secret identifier.
type OIDCAccessToken struct {
	Hash      []byte
	ClientID  string
	UserID    string
	Scopes    []string
	Audience  []string
	FamilyID  string // the authorization request it descends from, or what the caller named it (a client credentials token has no request)
	ExpiresAt time.Time
	CreatedAt time.Time
}

// OIDCTokenHolder is a person's access token with what the userinfo and
// introspection endpoints answer from, read together: the person it was
// issued to (with their group ids), their groups' names and custom claims,
// and its client's attribute claims.
type OIDCTokenHolder struct {
	Token OIDCAccessToken
	User  User
	// Groups are the person's groups in id order with ID, Name and
	// CustomClaims only (what claims are made of); never nil.
	Groups          []Group
	AttributeClaims map[string]string // the client's; never nil
}

// OIDCRefreshToken is an issued refresh token. Each rotation replaces it
// with a new one of the same family; the old one is kept, marked
// rotated, so that presenting it again is recognised as reuse.
type OIDCRefreshToken struct {
	ID        string // not secret: the token id of introspection and audit
	Hash      []byte // SHA-256 of the token
	FamilyID  string // the authorization request the family started from
	ClientID  string
	UserID    string
	Scopes    []string
	Audience  []string
	AMR       []string
	AuthTime  time.Time
	SessionID string
	CreatedAt time.Time
	ExpiresAt time.Time
	RotatedAt *time.Time
	RevokedAt *time.Time
}

// OIDCTokenGrant is one issue of tokens at the token endpoint, stored in
// one transaction with what it consumes.
type OIDCTokenGrant struct {
	Access  OIDCAccessToken
	Refresh *OIDCRefreshToken // nil when no refresh token is issued
	// RedeemCode, when set, is the authorization request whose code this
	// grant redeems: it is marked used in the same transaction, and if it
	// already was, nothing is stored, the tokens issued from it are
	// revoked and the error is ErrOIDCCodeUsed.
	RedeemCode string
	// RotateRefresh, when set, is the hash of the refresh token this grant
	// replaces: it is marked rotated, and if it already was (or was
	// revoked), nothing is stored, its family is revoked and the error is
	// ErrOIDCRefreshReused.
	RotateRefresh []byte
}

// OIDCKey is a key of the provider: "sig" keys sign ID tokens and are
// published in JWKS; the "enc" key encrypts codes and opaque access tokens.
type OIDCKey struct {
	ID         string
	Use        string // "sig" or "enc"
	Algorithm  string // "RS256", "ES256", "A256" (the enc key)
	PrivateKey []byte // PKCS #8 DER for signing keys, 32 raw bytes for the enc key
	CreatedAt  time.Time
	// RetiredAt, when set, is when the key stopped signing; it stays in
	// JWKS until the tokens it signed have expired.
	RetiredAt *time.Time
}

// OIDCConsent is a person's agreement that a client may have the scopes.
type OIDCConsent struct {
	UserID    string
	ClientID  string
	Scopes    []string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// States of a device authorization.
const (
	OIDCDevicePending  = "pending"  // waiting for the person
	OIDCDeviceApproved = "approved" // agreed; the next poll gets tokens
	OIDCDeviceDenied   = "denied"   // declined
	OIDCDeviceRedeemed = "redeemed" // the device got its tokens
)

// OIDCDeviceAuth is a device authorization (RFC 8628) in progress.
type OIDCDeviceAuth struct {
	DeviceHash []byte // SHA-256 of the device code
	UserCode   string // what the person types, such as BCDF-GHJK
	ClientID   string
	Scopes     []string
	State      string
	// Set when the person agrees.
	UserID    string
	SessionID string
	AuthTime  time.Time
	AMR       []string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// OIDCLogout is a back-channel logout due: the browser session SessionID,
// from which ClientID signed UserID in, has ended.
type OIDCLogout struct {
	ClientID  string
	SessionID string
	UserID    string
	URI       string // the client's backchannel_logout_uri
	Attempts  int    // deliveries tried before this one
}

// OIDCStore keeps the OpenID Connect provider's state: clients, requests in
// progress, tokens, keys and consents. Everything lives in the database, so
// several server instances on one PostgreSQL behave as one provider.
type OIDCStore interface {
	// CreateOIDCClient stores a client (ID generated when empty) and audits
	// oidc_client.create, never with the secrets' hashes.
	CreateOIDCClient(ctx context.Context, c OIDCClient, m Meta) (OIDCClient, error)
	GetOIDCClient(ctx context.Context, id string) (OIDCClient, error)
	// ListOIDCClients returns every client, by name.
	ListOIDCClients(ctx context.Context) ([]OIDCClient, error)
	// UpdateOIDCClient loads, mutates and stores a client as UpdateUser
	// does, auditing oidc_client.update with the changed fields.
	UpdateOIDCClient(ctx context.Context, id string, ifVersion int64, mutate func(*OIDCClient) error, m Meta) (OIDCClient, error)
	// DeleteOIDCClient removes the client with its tokens, consents and
	// requests in progress, auditing oidc_client.delete.
	DeleteOIDCClient(ctx context.Context, id string, m Meta) error

	CreateOIDCAuthRequest(ctx context.Context, r OIDCAuthRequest) (OIDCAuthRequest, error)
	// GetOIDCAuthRequest returns an unexpired request.
	GetOIDCAuthRequest(ctx context.Context, id string, now time.Time) (OIDCAuthRequest, error)
	// CompleteOIDCAuthRequest records who signed in for the request and
	// audits oidc.signin (who, which client, from where). With a session id,
	// it records that the client holds that session, until the session
	// ends and its logout is queued (see ClaimOIDCLogouts).
	CompleteOIDCAuthRequest(ctx context.Context, id string, d OIDCAuthDone, m Meta) error
	// SaveOIDCAuthCode stores the hash of the code issued for a completed
	// request and shortens the request's life to expiresAt.
	SaveOIDCAuthCode(ctx context.Context, id string, codeHash []byte, expiresAt time.Time) error
	// GetOIDCAuthRequestByCode finds the request by its code's hash. A code
	// already redeemed is ErrOIDCCodeUsed, after the tokens issued from it
	// were revoked (audited as oidc.code_reuse); an expired one ErrNotFound.
	GetOIDCAuthRequestByCode(ctx context.Context, codeHash []byte, now time.Time, m Meta) (OIDCAuthRequest, error)
	// DeleteOIDCAuthRequest forgets a request that has no code; a redeemed
	// one is kept until it expires, to recognise a replay of its code.
	DeleteOIDCAuthRequest(ctx context.Context, id string) error

	// CreateOIDCTokens stores one grant; see OIDCTokenGrant.
	CreateOIDCTokens(ctx context.Context, g OIDCTokenGrant, m Meta) error
	// GetOIDCAccessToken returns an unexpired access token by its hash.
	GetOIDCAccessToken(ctx context.Context, hash []byte, now time.Time) (OIDCAccessToken, error)
	// GetOIDCTokenHolder returns an unexpired access token by its hash
	// with its person, their groups and its client's attribute claims, in
	// one read.
	// ErrNotFound when there is no such token, or no user has the token's
	// UserID (a client credentials token, or a person since deleted).
	GetOIDCTokenHolder(ctx context.Context, hash []byte, now time.Time) (OIDCTokenHolder, error)
	// GetUserForClaims returns a user, as GetUser does, with their groups
	// in id order carrying ID, Name and CustomClaims only (never nil): what
	// a token's claims are made of, in one read.
	GetUserForClaims(ctx context.Context, id string) (User, []Group, error)
	// GetOIDCRefreshToken returns a usable refresh token by its hash. One
	// already rotated away is ErrOIDCRefreshReused, after its family was
	// revoked (audited as oidc.refresh_reuse); a revoked or expired one is
	// ErrNotFound.
	GetOIDCRefreshToken(ctx context.Context, hash []byte, now time.Time, m Meta) (OIDCRefreshToken, error)
	// RevokeOIDCAccessToken deletes one access token, auditing oidc.revoke.
	RevokeOIDCAccessToken(ctx context.Context, hash []byte, m Meta) error
	// RevokeOIDCFamily revokes every refresh and access token of a family,
	// auditing oidc.revoke with the reason.
	RevokeOIDCFamily(ctx context.Context, familyID, reason string, m Meta) error

	// OIDCKeys returns every key, newest first.
	OIDCKeys(ctx context.Context) ([]OIDCKey, error)
	// CreateOIDCKey stores k unless a key with its ID exists, and returns
	// the stored key either way: instances starting at once agree on one.
	CreateOIDCKey(ctx context.Context, k OIDCKey) (OIDCKey, error)
	// RotateOIDCSigningKey stores k (a "sig" key) and retires every other
	// signing key in the same transaction, auditing oidc.key_rotate.
	RotateOIDCSigningKey(ctx context.Context, k OIDCKey, m Meta) (OIDCKey, error)

	GetOIDCConsent(ctx context.Context, userID, clientID string) (OIDCConsent, error)
	// SaveOIDCConsent records (or widens) a consent, auditing oidc.consent.
	SaveOIDCConsent(ctx context.Context, c OIDCConsent, m Meta) error
	// DeleteOIDCConsent withdraws a consent, auditing oidc.consent_revoke.
	DeleteOIDCConsent(ctx context.Context, userID, clientID string, m Meta) error
	// ListOIDCConsents returns a person's consents, most recent first.
	ListOIDCConsents(ctx context.Context, userID string) ([]OIDCConsent, error)
	// RevokeOIDCUserTokens revokes every access and refresh token of the
	// person for the client, auditing oidc.revoke, and returns how many.
	RevokeOIDCUserTokens(ctx context.Context, userID, clientID, reason string, m Meta) (int, error)

	// CreateOIDCDeviceAuth stores a new device authorization; a user code
	// in use is a *ConflictError on "user_code".
	CreateOIDCDeviceAuth(ctx context.Context, d OIDCDeviceAuth) error
	// GetOIDCDeviceAuthByUserCode returns an unexpired device
	// authorization by its user code.
	GetOIDCDeviceAuthByUserCode(ctx context.Context, userCode string, now time.Time) (OIDCDeviceAuth, error)
	// DecideOIDCDeviceAuth records the person's answer to a pending,
	// unexpired authorization (ErrNotFound otherwise), auditing oidc.signin
	// or oidc.device_deny.
	DecideOIDCDeviceAuth(ctx context.Context, userCode string, approve bool, d OIDCAuthDone, m Meta) error
	// PollOIDCDeviceAuth is the device's poll. An approved authorization is
	// marked redeemed in the same statement and returned as approved, so
	// exactly one poll gets tokens; later polls see redeemed.
	PollOIDCDeviceAuth(ctx context.Context, deviceHash []byte) (OIDCDeviceAuth, error)

	// ClaimOIDCLogouts returns up to limit queued logouts that are due at
	// now and claims each until now+lease, so that of several instances one
	// delivers it. Logouts are queued in the transaction that ends the
	// browser session (DeleteSession, DeleteUserSessions, DeleteUserSession,
	// DeleteUserPasskeys, UpdateUser disabling, DeleteUser), for clients
	// with a back-channel URI, and by QueueExpiredOIDCLogouts and
	// DeleteExpired for sessions that expired.
	ClaimOIDCLogouts(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]OIDCLogout, error)
	// QueueExpiredOIDCLogouts queues the logouts of the browser sessions
	// that expired by now. It reads expired sessions only (by expiry), so
	// it is cheap to run often.
	QueueExpiredOIDCLogouts(ctx context.Context, now time.Time) error
	// FinishOIDCLogout records a delivery: delivered (or given up) deletes
	// the entry; otherwise the next attempt is at retryAt.
	FinishOIDCLogout(ctx context.Context, l OIDCLogout, done bool, retryAt time.Time, lastError string) error

	// DeleteExpiredOIDC removes expired requests and tokens.
	DeleteExpiredOIDC(ctx context.Context, now time.Time) error
}
