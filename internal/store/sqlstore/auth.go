package sqlstore

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"time"

	"github.com/rollcall/rollcall/internal/store"
)

// The auth tables' unique keys, added to the maps dialect.go and
// sqlstore.go keep for the directory's tables.
func init() {
	postgresConstraints["passkeys_pkey"] = "passkeys.id"
	postgresConstraints["passkeys_credential_id_key"] = "passkeys.credential_id"
	postgresConstraints["setup_links_pkey"] = "setup_links.id"
	postgresConstraints["setup_links_hash_key"] = "setup_links.hash"
	postgresConstraints["sessions_pkey"] = "sessions.hash"
	postgresConstraints["webauthn_challenges_pkey"] = "webauthn_challenges.id"
	conflictFields["passkeys.id"] = "id"
	conflictFields["passkeys.credential_id"] = "credential_id"
	conflictFields["setup_links.id"] = "id"
	conflictFields["setup_links.hash"] = "setup_link"
	conflictFields["sessions.hash"] = "session"
	conflictFields["webauthn_challenges.id"] = "challenge"
}

var _ store.AuthStore = (*Store)(nil)

// setupLinkRetention is how long an expired setup link is kept, so that a
// late click says "expired" rather than "unknown".
const setupLinkRetention = 30 * 24 * time.Hour

const sessionCols = `id, hash, user_id, created_at, expires_at, last_seen_at, user_agent, client_ip`

const passkeyCols = `id, user_id, credential_id, public_key, attestation_type, aaguid, sign_count, transports,
 backup_eligible, backup_state, name, created_at, last_used_at`

var (
	qInsertPasskey = stmt(`INSERT INTO passkeys (` + passkeyCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	qPasskeysOf    = stmt(`SELECT ` + passkeyCols + ` FROM passkeys WHERE user_id = ? ORDER BY created_at, id`)
	qPasskeyByCred = stmt(`SELECT ` + passkeyCols + ` FROM passkeys WHERE credential_id = ?`)
	qPasskeyOf     = stmt(`SELECT ` + passkeyCols + ` FROM passkeys WHERE id = ? AND user_id = ?`)
	qRenamePasskey = stmt(`UPDATE passkeys SET name = ? WHERE id = ? AND user_id = ?`)
	qDeletePasskey = stmt(`DELETE FROM passkeys WHERE id = ? AND user_id = ?`)
	qUsePasskey    = stmt(`UPDATE passkeys SET sign_count = ?, backup_state = ?, last_used_at = ? WHERE id = ? AND user_id = ?`)
	qCountPasskeys = stmt(`UPDATE users SET passkey_count = (SELECT COUNT(*) FROM passkeys WHERE user_id = ?),
 version = version + 1, updated_at = ? WHERE id = ?`)
	qLockPasskeyOwner = lockStmt(`SELECT id FROM users WHERE id = ?`)
	qSignedIn         = stmt(`UPDATE users SET last_sign_in_at = ? WHERE id = ?`)
	qUsername         = stmt(`SELECT username FROM users WHERE id = ?`)
	qInsertChallenge  = stmt(`INSERT INTO webauthn_challenges (id, user_id, purpose, data, expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?)`)
	qConsumeChallenge = stmt(`DELETE FROM webauthn_challenges WHERE id = ? RETURNING id, user_id, purpose, data, expires_at, created_at`)
	qInsertSession    = stmt(`INSERT INTO sessions (` + sessionCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
	qSession          = stmt(`SELECT ` + sessionCols + ` FROM sessions WHERE hash = ? AND expires_at > ?`)
	qSessionsOf       = stmt(`SELECT ` + sessionCols + ` FROM sessions WHERE user_id = ? AND expires_at > ?
 ORDER BY last_seen_at DESC, created_at DESC, id`)
	qEndSessions      = stmt(`DELETE FROM sessions WHERE user_id = ? AND expires_at > ?`)
	qEndOtherSessions = stmt(`DELETE FROM sessions WHERE user_id = ? AND expires_at > ? AND hash <> ?`)
	qEndSession       = stmt(`DELETE FROM sessions WHERE user_id = ? AND id = ?`)
	qTouchSession     = stmt(`UPDATE sessions SET last_seen_at = ? WHERE hash = ?`)
	qDeleteSession    = stmt(`DELETE FROM sessions WHERE hash = ? RETURNING user_id, id`)
	qExpireChallenges = stmt(`DELETE FROM webauthn_challenges WHERE expires_at <= ?`)
	qExpireSessions   = stmt(`DELETE FROM sessions WHERE expires_at <= ?`)
	qEndAllSessions   = stmt(`DELETE FROM sessions WHERE user_id = ?`)
	qExpireLinks      = stmt(`DELETE FROM setup_links WHERE expires_at <= ?`)
)

func scanPasskey(row interface{ Scan(...any) error }) (store.Passkey, error) {
	var p store.Passkey
	var transports string
	var count int64
	err := row.Scan(&p.ID, &p.UserID, &p.CredentialID, &p.PublicKey, &p.AttestationType, &p.AAGUID, &count,
		&transports, &p.BackupEligible, &p.BackupState, &p.Name, timeCol{&p.CreatedAt}, nullTimeCol{&p.LastUsedAt})
	if err != nil {
		return p, err
	}
	p.SignCount = uint32(count)
	p.Transports = []string{}
	if transports != "" {
		if err := json.Unmarshal([]byte(transports), &p.Transports); err != nil {
			return p, errors.New("sqlstore: stored passkey transports are not a JSON array")
		}
	}
	return p, nil
}

func encodeTransports(ts []string) string {
	if len(ts) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(ts)
	return string(b)
}

// passkeyFields are what the audit log records of a passkey: never the key.
func passkeyFields(p *store.Passkey) []field {
	return []field{{"passkey-id", p.ID}, {"name", p.Name}}
}

// username returns the name of a user for audit events; a missing user is
// a *store.ReferenceError.
func (c *conn) username(ctx context.Context, userID string) (string, error) {
	var name string
	err := c.queryRow(ctx, qUsername, []any{userID}, &name)
	if errors.Is(err, store.ErrNotFound) {
		return "", &store.ReferenceError{Kind: "user", IDs: []string{userID}}
	}
	return name, err
}

func (c *conn) passkeys(ctx context.Context, q statement, args ...any) ([]store.Passkey, error) {
	out, err := queryAll(ctx, c, q, scanPasskey, args...)
	return out, err
}

func (c *conn) passkey(ctx context.Context, q statement, args ...any) (store.Passkey, error) {
	ps, err := c.passkeys(ctx, q, args...)
	if err != nil {
		return store.Passkey{}, err
	}
	if len(ps) == 0 {
		return store.Passkey{}, store.ErrNotFound
	}
	return ps[0], nil
}

// insertPasskey stores p, recounts the owner's passkeys, audits
// passkey.add and revokes the setup links the new passkey makes
// unnecessary (passkeyAdded), inside c's transaction. Every way a passkey
// is registered goes through here.
func (c *conn) insertPasskey(ctx context.Context, p *store.Passkey, m store.Meta, now time.Time) error {
	name, err := c.username(ctx, p.UserID)
	if err != nil {
		return err
	}
	if _, err := c.exec(ctx, qInsertPasskey, p.ID, p.UserID, p.CredentialID, p.PublicKey, p.AttestationType,
		p.AAGUID, int64(p.SignCount), encodeTransports(p.Transports), p.BackupEligible, p.BackupState, p.Name,
		c.t(p.CreatedAt), c.nt(p.LastUsedAt)); err != nil {
		return err
	}
	if err := c.recountPasskeys(ctx, p.UserID, now); err != nil {
		return err
	}
	if err := c.audit(ctx, m, now, event{action: "passkey.add", targetType: "user", targetID: p.UserID,
		targetName: name, after: snapshot(passkeyFields(p))}); err != nil {
		return err
	}
	return c.passkeyAdded(ctx, p.UserID, m, now)
}

func preparePasskey(p store.Passkey, now time.Time) store.Passkey {
	p.ID = newID(p.ID)
	p.CreatedAt = now
	p.LastUsedAt = truncTime(p.LastUsedAt)
	p.CredentialID = slices.Clone(p.CredentialID)
	p.PublicKey = slices.Clone(p.PublicKey)
	p.AAGUID = slices.Clone(p.AAGUID)
	if p.Transports == nil {
		p.Transports = []string{}
	}
	return p
}

// CreatePasskey stores a passkey; see store.AuthStore.
func (s *Store) CreatePasskey(ctx context.Context, p store.Passkey, m store.Meta) (store.Passkey, error) {
	now := s.now()
	p = preparePasskey(p, now)
	if err := s.write(ctx, func(c *conn) error { return c.insertPasskey(ctx, &p, m, now) }); err != nil {
		return store.Passkey{}, err
	}
	return p, nil
}

// ListPasskeys returns a user's passkeys, oldest first.
func (s *Store) ListPasskeys(ctx context.Context, userID string) ([]store.Passkey, error) {
	return s.read().passkeys(ctx, qPasskeysOf, userID)
}

// GetPasskeyByCredentialID finds a passkey by its WebAuthn credential id.
func (s *Store) GetPasskeyByCredentialID(ctx context.Context, credentialID []byte) (store.Passkey, error) {
	return s.read().passkey(ctx, qPasskeyByCred, credentialID)
}

// RenamePasskey renames one of a user's passkeys, auditing passkey.rename.
func (s *Store) RenamePasskey(ctx context.Context, userID, id, name string, m store.Meta) (store.Passkey, error) {
	now := s.now()
	var out store.Passkey
	err := s.write(ctx, func(c *conn) error {
		p, err := c.passkey(ctx, qPasskeyOf, id, userID)
		if err != nil {
			return err
		}
		uname, err := c.username(ctx, userID)
		if err != nil {
			return err
		}
		before := passkeyFields(&p)
		p.Name = name
		if _, err := c.exec(ctx, qRenamePasskey, name, id, userID); err != nil {
			return err
		}
		out = p
		b, a := diff(before, passkeyFields(&p))
		if a == nil {
			return nil
		}
		return c.audit(ctx, m, now, event{action: "passkey.rename", targetType: "user", targetID: userID,
			targetName: uname, before: b, after: a})
	})
	return out, err
}

// removePasskey deletes one passkey and audits passkey.remove, without
// recounting (callers recount once).
func (c *conn) removePasskey(ctx context.Context, p store.Passkey, uname string, m store.Meta, now time.Time) error {
	if _, err := c.exec(ctx, qDeletePasskey, p.ID, p.UserID); err != nil {
		return err
	}
	return c.audit(ctx, m, now, event{action: "passkey.remove", targetType: "user", targetID: p.UserID,
		targetName: uname, before: snapshot(passkeyFields(&p))})
}

// DeletePasskey removes one of a user's passkeys.
func (s *Store) DeletePasskey(ctx context.Context, userID, id string, m store.Meta) error {
	now := s.now()
	return s.write(ctx, func(c *conn) error {
		p, err := c.passkey(ctx, qPasskeyOf, id, userID)
		if err != nil {
			return err
		}
		uname, err := c.username(ctx, userID)
		if err != nil {
			return err
		}
		if err := c.removePasskey(ctx, p, uname, m, now); err != nil {
			return err
		}
		return c.recountPasskeys(ctx, userID, now)
	})
}

// DeleteUserPasskeys removes all of a user's passkeys and sessions.
func (s *Store) DeleteUserPasskeys(ctx context.Context, userID string, m store.Meta) (int, error) {
	now := s.now()
	n := 0
	err := s.write(ctx, func(c *conn) error {
		uname, err := c.username(ctx, userID)
		if err != nil {
			return err
		}
		ps, err := c.passkeys(ctx, qPasskeysOf, userID)
		if err != nil {
			return err
		}
		for _, p := range ps {
			if err := c.removePasskey(ctx, p, uname, m, now); err != nil {
				return err
			}
		}
		n = len(ps)
		if err := c.recountPasskeys(ctx, userID, now); err != nil {
			return err
		}
		_, err = c.endSessions(ctx, userID, nil, uname, m, now)
		return err
	})
	return n, err
}

// SaveChallenge stores a ceremony in progress.
func (s *Store) SaveChallenge(ctx context.Context, ch store.Challenge) error {
	return s.write(ctx, func(c *conn) error {
		_, err := c.exec(ctx, qInsertChallenge, ch.ID, ch.UserID, ch.Purpose, ch.Data, c.t(ch.ExpiresAt), c.t(ch.CreatedAt))
		return err
	})
}

// ConsumeChallenge deletes and returns a challenge in one statement, so two
// answers to one challenge cannot both find it.
func (s *Store) ConsumeChallenge(ctx context.Context, id string, now time.Time) (store.Challenge, error) {
	var ch store.Challenge
	err := s.write(ctx, func(c *conn) error {
		return c.queryRow(ctx, qConsumeChallenge, []any{id}, &ch.ID, &ch.UserID, &ch.Purpose, &ch.Data,
			timeCol{&ch.ExpiresAt}, timeCol{&ch.CreatedAt})
	})
	if err != nil {
		return store.Challenge{}, err
	}
	if !now.Before(ch.ExpiresAt) {
		return store.Challenge{}, store.ErrNotFound
	}
	return ch, nil
}

func (c *conn) insertSession(ctx context.Context, se store.Session) error {
	_, err := c.exec(ctx, qInsertSession, newID(se.ID), se.Hash, se.UserID, c.t(se.CreatedAt), c.t(se.ExpiresAt),
		c.t(se.LastSeenAt), se.UserAgent, se.ClientIP)
	return err
}

// RecordSignIn stores a successful sign-in; see store.SignIn.
func (s *Store) RecordSignIn(ctx context.Context, in store.SignIn, m store.Meta) error {
	now := s.now()
	at := in.At.UTC().Truncate(time.Microsecond)
	if in.At.IsZero() {
		at = now
	}
	return s.write(ctx, func(c *conn) error {
		p, err := c.passkey(ctx, qPasskeyOf, in.PasskeyID, in.UserID)
		if err != nil {
			return err
		}
		uname, err := c.username(ctx, in.UserID)
		if err != nil {
			return err
		}
		if _, err := c.exec(ctx, qUsePasskey, int64(in.SignCount), in.BackupState, c.t(at), in.PasskeyID, in.UserID); err != nil {
			return err
		}
		// last-sign-in-at does not bump the user's version: it changes on
		// every sign-in, and an ETag that moved with it would make
		// If-Match writes from Terraform fail for no reason a person made.
		if _, err := c.exec(ctx, qSignedIn, c.t(at), in.UserID); err != nil {
			return err
		}
		if in.Session.Hash != nil {
			if err := c.insertSession(ctx, in.Session); err != nil {
				return err
			}
		}
		return c.audit(ctx, m, now, event{action: "signin.success", targetType: "user", targetID: in.UserID,
			targetName: uname, after: snapshot(passkeyFields(&p))})
	})
}

// RecordSignInFailure audits a failed sign-in.
func (s *Store) RecordSignInFailure(ctx context.Context, userID, reason string, m store.Meta) error {
	now := s.now()
	return s.write(ctx, func(c *conn) error {
		uname := ""
		if userID != "" {
			n, err := c.username(ctx, userID)
			if err != nil && !errors.Is(err, store.ErrInvalidReference) {
				return err
			}
			uname = n
		}
		return c.audit(ctx, m, now, event{action: "signin.failure", targetType: "user", targetID: userID,
			targetName: uname, after: snapshot([]field{{"reason", reason}})})
	})
}

func scanSession(row interface{ Scan(...any) error }) (store.Session, error) {
	var se store.Session
	err := row.Scan(&se.ID, &se.Hash, &se.UserID, timeCol{&se.CreatedAt}, timeCol{&se.ExpiresAt}, timeCol{&se.LastSeenAt},
		&se.UserAgent, &se.ClientIP)
	return se, err
}

// GetSession returns an unexpired session by the hash of its secret.
func (s *Store) GetSession(ctx context.Context, hash []byte, now time.Time) (store.Session, error) {
	c := s.read()
	return queryOne(ctx, c, qSession, scanSession, hash, c.t(now))
}

// TouchSession records the session's last use.
func (s *Store) TouchSession(ctx context.Context, hash []byte, now time.Time) error {
	return s.write(ctx, func(c *conn) error {
		_, err := c.exec(ctx, qTouchSession, c.t(now), hash)
		return err
	})
}

// DeleteSession ends a session and audits session.signout.
func (s *Store) DeleteSession(ctx context.Context, hash []byte, m store.Meta) error {
	now := s.now()
	return s.write(ctx, func(c *conn) error {
		var userID, id string
		if err := c.queryRow(ctx, qDeleteSession, []any{hash}, &userID, &id); err != nil {
			return err
		}
		if err := c.queueLogouts(ctx, now, bySession, id); err != nil {
			return err
		}
		uname, err := c.username(ctx, userID)
		if err != nil && !errors.Is(err, store.ErrInvalidReference) {
			return err
		}
		return c.audit(ctx, m, now, event{action: "session.signout", targetType: "user", targetID: userID, targetName: uname})
	})
}

// ListSessions returns a user's unexpired sessions, most recently seen first.
func (s *Store) ListSessions(ctx context.Context, userID string, now time.Time) ([]store.Session, error) {
	c := s.read()
	out, err := queryAll(ctx, c, qSessionsOf, scanSession, userID, c.t(now))
	return out, err
}

// DeleteUserSessions ends a user's live sessions, all or all but one, and
// audits session.revoke with how many ended. Expired rows are left to
// DeleteExpired, so the count is of sessions that could still be used.
func (s *Store) DeleteUserSessions(ctx context.Context, userID string, exceptHash []byte, m store.Meta) (int, error) {
	now := s.now()
	n := 0
	err := s.write(ctx, func(c *conn) error {
		uname, err := c.username(ctx, userID)
		if err != nil {
			return err
		}
		n, err = c.endSessions(ctx, userID, exceptHash, uname, m, now)
		return err
	})
	return n, err
}

// endSessions deletes the user's live sessions but the one hashing to
// exceptHash (nil: all of them) and audits session.revoke, inside c's
// transaction; expired rows are left to DeleteExpired.
func (c *conn) endSessions(ctx context.Context, userID string, exceptHash []byte, uname string, m store.Meta, now time.Time) (int, error) {
	q, args := qEndSessions, []any{userID, c.t(now)}
	if exceptHash != nil {
		q, args = qEndOtherSessions, append(args, exceptHash)
		if err := c.queueLogouts(ctx, now, byUserExcept, userID, exceptHash); err != nil {
			return 0, err
		}
	} else if err := c.queueLogouts(ctx, now, byUser, userID); err != nil {
		return 0, err
	}
	res, err := c.exec(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	ended, err := res.RowsAffected()
	if err != nil {
		return 0, err
	}
	n := int(ended)
	return n, c.audit(ctx, m, now, event{action: "session.revoke", targetType: "user", targetID: userID, targetName: uname,
		after: snapshot([]field{{"sessions-ended", n}, {"kept-current", exceptHash != nil}})})
}

// DeleteUserSession ends one of a user's sessions by its id and audits
// session.revoke.
func (s *Store) DeleteUserSession(ctx context.Context, userID, id string, m store.Meta) error {
	now := s.now()
	return s.write(ctx, func(c *conn) error {
		uname, err := c.username(ctx, userID)
		if err != nil {
			return err
		}
		res, err := c.exec(ctx, qEndSession, userID, id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return store.ErrNotFound
		}
		if err := c.queueLogouts(ctx, now, bySession, id); err != nil {
			return err
		}
		return c.audit(ctx, m, now, event{action: "session.revoke", targetType: "user", targetID: userID, targetName: uname,
			after: snapshot([]field{{"session-id", id}, {"sessions-ended", 1}})})
	})
}

// DeleteExpired removes expired challenges and sessions, and setup links
// expired for longer than 30 days.
func (s *Store) DeleteExpired(ctx context.Context, now time.Time) error {
	return s.write(ctx, func(c *conn) error {
		if _, err := c.exec(ctx, qExpireChallenges, c.t(now)); err != nil {
			return err
		}
		if err := c.queueLogouts(ctx, now, byExpiry, c.t(now)); err != nil {
			return err
		}
		if _, err := c.exec(ctx, qExpireSessions, c.t(now)); err != nil {
			return err
		}
		_, err := c.exec(ctx, qExpireLinks, c.t(now.Add(-setupLinkRetention)))
		return err
	})
}

// recountPasskeys sets users.passkey_count from the passkeys table after a
// change to it. On PostgreSQL the user's row is locked first, as a
// statement of its own: under READ COMMITTED an UPDATE that waits for a
// concurrent passkey change of the same user would count with the snapshot
// it started with and miss that change, while the statement after the lock
// starts with a fresh one that sees it.
func (c *conn) recountPasskeys(ctx context.Context, userID string, now time.Time) error {
	if _, err := c.exec(ctx, qLockPasskeyOwner, userID); err != nil {
		return err
	}
	_, err := c.exec(ctx, qCountPasskeys, userID, c.t(now), userID)
	return err
}
