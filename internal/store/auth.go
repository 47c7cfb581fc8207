package store

import (
	"context"
	"errors"
	"time"
)

// Errors of the sign-in state. A setup link that does not exist at all is
// ErrNotFound; one that exists but cannot be used says why, so the page can
// tell the person what to do.
var (
	ErrSetupLinkUsed    = errors.New("store: setup link already used")
	ErrSetupLinkExpired = errors.New("store: setup link expired")
	// ErrSetupLinkRevoked is a link that died before it was used: an admin
	// revoked it, a newer link was issued for the same person, the person
	// registered a passkey another way, or (a first-admin link) an admin
	// has a passkey now.
	ErrSetupLinkRevoked = errors.New("store: setup link revoked")
	// ErrSetupLinkUserDisabled is a link of a disabled user: it keeps
	// until the user is enabled again, but registers nothing meanwhile.
	ErrSetupLinkUserDisabled = errors.New("store: the setup link's user is disabled")
)

// Why a setup link was revoked, as the audit log's setup_link.revoke
// records it in "reason".
const (
	RevokedByAdmin    = "revoked"           // an admin revoked it
	RevokedReplaced   = "replaced"          // a newer link was issued for the person
	RevokedPasskey    = "passkey-added"     // the person registered a passkey
	RevokedAdminReady = "admin-has-passkey" // a first-admin link, and an admin has a passkey now
)

// Passkey is a registered WebAuthn credential. The credential id is unique
// across all users: it is how a discoverable sign-in finds its owner.
type Passkey struct {
	ID              string
	UserID          string
	CredentialID    []byte
	PublicKey       []byte // COSE key as the authenticator sent it
	AttestationType string
	AAGUID          []byte
	SignCount       uint32
	Transports      []string // never nil when read
	BackupEligible  bool
	BackupState     bool
	Name            string
	CreatedAt       time.Time
	LastUsedAt      *time.Time
}

// Challenge is the server half of one WebAuthn ceremony: the go-webauthn
// session data, kept in the database (not in process memory) so that the
// ceremony may finish on another server instance. It is single use.
type Challenge struct {
	ID        string
	UserID    string // the user registering a passkey; "" for a sign-in
	Purpose   string // "register" or "signin"
	Data      []byte // the serialised ceremony state
	ExpiresAt time.Time
	CreatedAt time.Time
}

// Session is a signed-in browser. Only the SHA-256 of the cookie secret is
// stored, so a leaked database does not leak live sessions. ID is a
// separate random id (generated when empty) by which pages name a session:
// neither the secret nor its hash ever leaves the server.
type Session struct {
	ID         string
	Hash       []byte
	UserID     string
	CreatedAt  time.Time
	ExpiresAt  time.Time
	LastSeenAt time.Time
	// UserAgent and ClientIP are what the browser sent and where from when
	// the session started, so a person can recognise their devices.
	UserAgent string
	ClientIP  string
}

// SetupLink lets a person register a first (or replacement) passkey without
// signing in. Only the SHA-256 of the link's secret is stored. A link is
// outstanding (usable) until it is used, expires or is revoked; at most one
// of a person's links is outstanding at a time.
type SetupLink struct {
	ID        string
	UserID    string
	Hash      []byte
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    *time.Time
	RevokedAt *time.Time
	// FirstAdmin marks the link serve prints for the first admin: it also
	// dies once any enabled admin has a passkey.
	FirstAdmin bool
}

// Outstanding reports whether the link can still be used at now, as far
// as the link itself says (a first-admin link may still be refused).
func (l SetupLink) Outstanding(now time.Time) bool {
	return l.UsedAt == nil && l.RevokedAt == nil && now.Before(l.ExpiresAt)
}

// SignIn describes a successful passkey sign-in, recorded in one
// transaction: the passkey's counter and last use, the user's
// last-sign-in-at, the new session and the audit event.
type SignIn struct {
	UserID      string
	PasskeyID   string
	SignCount   uint32
	BackupState bool
	Session     Session
	At          time.Time
}

// AuthStore keeps what passkey sign-in needs, all of it in the database so
// that any number of server instances can serve the same users. It is
// separate from Store because the directory API never needs it. Every
// change is audited in the same transaction (passkey.add, passkey.remove,
// passkey.rename, signin.success, signin.failure, setup_link.create,
// setup_link.use, setup_link.revoke, session.signout, session.revoke), and users.passkey_count follows every
// passkey change in that transaction too.
type AuthStore interface {
	// CreatePasskey stores a new passkey for p.UserID (ID generated when
	// empty). A credential id already registered is a *ConflictError on
	// "credential_id". Like CompleteSetup, it revokes the user's
	// outstanding setup links and, for an enabled admin, every outstanding
	// first-admin link, in the same transaction.
	CreatePasskey(ctx context.Context, p Passkey, m Meta) (Passkey, error)
	// ListPasskeys returns a user's passkeys, oldest first.
	ListPasskeys(ctx context.Context, userID string) ([]Passkey, error)
	// GetPasskeyByCredentialID finds the passkey a sign-in presents.
	GetPasskeyByCredentialID(ctx context.Context, credentialID []byte) (Passkey, error)
	// RenamePasskey changes the name of the user's passkey id.
	RenamePasskey(ctx context.Context, userID, id, name string, m Meta) (Passkey, error)
	// DeletePasskey removes the user's passkey id.
	DeletePasskey(ctx context.Context, userID, id string, m Meta) error
	// DeleteUserPasskeys removes all of a user's passkeys and ends the
	// user's sessions (an admin revoking lost devices), returning how many
	// passkeys went. It audits passkey.remove for each and one
	// session.revoke.
	DeleteUserPasskeys(ctx context.Context, userID string, m Meta) (int, error)

	// SaveChallenge stores the state of a ceremony in progress.
	SaveChallenge(ctx context.Context, c Challenge) error
	// ConsumeChallenge removes and returns the challenge id in one step, so
	// that it can be answered once only. A missing or expired challenge is
	// ErrNotFound.
	ConsumeChallenge(ctx context.Context, id string, now time.Time) (Challenge, error)

	// RecordSignIn stores a successful sign-in (see SignIn) and audits
	// signin.success.
	RecordSignIn(ctx context.Context, s SignIn, m Meta) error
	// RecordSignInFailure audits signin.failure: userID may be "" when the
	// presented passkey is unknown; reason says what went wrong.
	RecordSignInFailure(ctx context.Context, userID, reason string, m Meta) error

	// GetSession returns the unexpired session whose cookie hashes to hash.
	GetSession(ctx context.Context, hash []byte, now time.Time) (Session, error)
	// TouchSession records that the session was seen at now.
	TouchSession(ctx context.Context, hash []byte, now time.Time) error
	// DeleteSession ends a session (sign-out) and audits session.signout.
	DeleteSession(ctx context.Context, hash []byte, m Meta) error
	// ListSessions returns the user's sessions that have not expired at
	// now, the most recently seen first.
	ListSessions(ctx context.Context, userID string, now time.Time) ([]Session, error)
	// DeleteUserSessions ends every session of the user except the one
	// whose cookie hashes to exceptHash (nil ends them all): "sign out
	// everywhere else" for the person, "end all sessions" for an admin.
	// It audits one session.revoke event with the number ended, also when
	// that is 0 (the request was made), and returns the number. A user
	// that does not exist is a *ReferenceError.
	DeleteUserSessions(ctx context.Context, userID string, exceptHash []byte, m Meta) (int, error)
	// DeleteUserSession ends the user's session id (signing out one other
	// device) and audits session.revoke; an id that is not one of the
	// user's sessions is ErrNotFound.
	DeleteUserSession(ctx context.Context, userID, id string, m Meta) error

	// CreateSetupLink stores a new link (ID generated when empty) and audits
	// setup_link.create. In the same transaction it revokes the user's
	// older outstanding links (setup_link.revoke, reason "replaced"): the
	// newest link is the only one that works. A first-admin link also
	// revokes every other outstanding first-admin link.
	CreateSetupLink(ctx context.Context, l SetupLink, m Meta) (SetupLink, error)
	// GetSetupLink returns the link whose secret hashes to hash, used or not.
	GetSetupLink(ctx context.Context, hash []byte) (SetupLink, error)
	// ListSetupLinks returns the user's outstanding links at now, newest
	// first; an unknown user has none.
	ListSetupLinks(ctx context.Context, userID string, now time.Time) ([]SetupLink, error)
	// RevokeSetupLink revokes the user's outstanding link id and audits
	// setup_link.revoke; a link that is not an outstanding one of the
	// user's is ErrNotFound.
	RevokeSetupLink(ctx context.Context, userID, id string, m Meta) error
	// RevokeSetupLinks revokes all of the user's outstanding links,
	// auditing setup_link.revoke for each, and returns how many. A user
	// that does not exist is a *ReferenceError.
	RevokeSetupLinks(ctx context.Context, userID string, m Meta) (int, error)
	// CompleteSetup marks the link used, stores the passkey and starts the
	// session in one transaction, auditing setup_link.use and passkey.add,
	// and revokes the user's other outstanding links. A used link is
	// ErrSetupLinkUsed, an expired one ErrSetupLinkExpired, a revoked one
	// (or a first-admin link when an enabled admin has a passkey)
	// ErrSetupLinkRevoked, one of a disabled user ErrSetupLinkUserDisabled,
	// an unknown one ErrNotFound; then nothing is stored.
	CompleteSetup(ctx context.Context, linkHash []byte, p Passkey, s Session, m Meta) (Passkey, error)
	// AdminHasPasskey reports whether any enabled admin has a passkey: then
	// no first-admin link is needed, and none works.
	AdminHasPasskey(ctx context.Context) (bool, error)

	// RememberBootstrapToken records that the token hashing to hash was
	// given by ROLLCALL_BOOTSTRAP_TOKEN (idempotent).
	RememberBootstrapToken(ctx context.Context, hash []byte) error
	// BootstrapTokenRemembered reports whether RememberBootstrapToken was
	// called for hash: a remembered bootstrap token that no longer exists
	// was revoked and must not be created again.
	BootstrapTokenRemembered(ctx context.Context, hash []byte) (bool, error)

	// DeleteExpired removes challenges and sessions that expired before
	// now, and setup links that expired more than 30 days before now (so a
	// late click still gets the "expired" page rather than "unknown").
	DeleteExpired(ctx context.Context, now time.Time) error
}
