package sqlstore

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/rollcall/rollcall/internal/store"
)

// A setup link works while it is outstanding: not used, not revoked, not
// expired. Every statement that uses or revokes a link repeats that
// condition, so of two concurrent changes to one link only one takes
// effect (on PostgreSQL the second UPDATE waits for the first's row lock
// and then finds the condition false).
const setupLinkCols = `id, user_id, hash, created_at, expires_at, used_at, revoked_at, first_admin`

const outstanding = `used_at IS NULL AND revoked_at IS NULL AND expires_at > ?`

var (
	qInsertSetupLink   = stmt(`INSERT INTO setup_links (` + setupLinkCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
	qSetupLink         = stmt(`SELECT ` + setupLinkCols + ` FROM setup_links WHERE hash = ?`)
	qLinksOf           = stmt(`SELECT ` + setupLinkCols + ` FROM setup_links WHERE user_id = ? AND ` + outstanding + ` ORDER BY created_at DESC, id`)
	qFirstAdminLinks   = stmt(`SELECT ` + setupLinkCols + ` FROM setup_links WHERE first_admin AND ` + outstanding + ` ORDER BY created_at DESC, id`)
	qUseSetupLink      = stmt(`UPDATE setup_links SET used_at = ? WHERE hash = ? AND ` + outstanding)
	qRevokeSetupLink   = stmt(`UPDATE setup_links SET revoked_at = ? WHERE id = ? AND ` + outstanding)
	qAdminHasPasskey   = stmt(`SELECT COUNT(*) FROM users WHERE is_admin AND NOT disabled AND passkey_count > 0`)
	qAdminState        = stmt(`SELECT is_admin, disabled FROM users WHERE id = ?`)
	qRememberBootstrap = stmt(`INSERT INTO bootstrap_tokens (hash, created_at) VALUES (?, ?) ON CONFLICT (hash) DO NOTHING`)
	qBootstrapKnown    = stmt(`SELECT COUNT(*) FROM bootstrap_tokens WHERE hash = ?`)
)

func scanSetupLink(row interface{ Scan(...any) error }) (store.SetupLink, error) {
	var l store.SetupLink
	err := row.Scan(&l.ID, &l.UserID, &l.Hash, timeCol{&l.CreatedAt}, timeCol{&l.ExpiresAt}, nullTimeCol{&l.UsedAt},
		nullTimeCol{&l.RevokedAt}, &l.FirstAdmin)
	return l, err
}

func (c *conn) setupLinks(ctx context.Context, q statement, args ...any) ([]store.SetupLink, error) {
	out, err := queryAll(ctx, c, q, scanSetupLink, args...)
	return out, err
}

func (c *conn) setupLink(ctx context.Context, hash []byte) (store.SetupLink, error) {
	ls, err := c.setupLinks(ctx, qSetupLink, hash)
	if err != nil {
		return store.SetupLink{}, err
	}
	if len(ls) == 0 {
		return store.SetupLink{}, store.ErrNotFound
	}
	return ls[0], nil
}

// revokeLinks revokes each of ls that is still outstanding and audits
// setup_link.revoke with the reason, inside c's transaction. It returns
// how many it revoked: a link used or revoked meanwhile is skipped.
func (c *conn) revokeLinks(ctx context.Context, ls []store.SetupLink, reason string, m store.Meta, now time.Time) (int, error) {
	n := 0
	names := map[string]string{}
	for _, l := range ls {
		res, err := c.exec(ctx, qRevokeSetupLink, c.t(now), l.ID, c.t(now))
		if err != nil {
			return n, err
		}
		if k, err := res.RowsAffected(); err != nil {
			return n, err
		} else if k == 0 {
			continue
		}
		n++
		name, ok := names[l.UserID]
		if !ok {
			if name, err = c.username(ctx, l.UserID); err != nil {
				return n, err
			}
			names[l.UserID] = name
		}
		if err := c.audit(ctx, m, now, event{action: "setup_link.revoke", targetType: "user", targetID: l.UserID,
			targetName: name, after: snapshot([]field{{"setup-link-id", l.ID}, {"reason", reason}})}); err != nil {
			return n, err
		}
	}
	return n, nil
}

// passkeyAdded revokes what a new passkey of userID makes unnecessary: the
// user's outstanding setup links and, when the user is an enabled admin,
// every outstanding first-admin link.
func (c *conn) passkeyAdded(ctx context.Context, userID string, m store.Meta, now time.Time) error {
	ls, err := c.setupLinks(ctx, qLinksOf, userID, c.t(now))
	if err != nil {
		return err
	}
	if _, err := c.revokeLinks(ctx, ls, store.RevokedPasskey, m, now); err != nil {
		return err
	}
	var admin, disabled bool
	if err := c.queryRow(ctx, qAdminState, []any{userID}, &admin, &disabled); err != nil {
		return err
	}
	if !admin || disabled {
		return nil
	}
	ls, err = c.setupLinks(ctx, qFirstAdminLinks, c.t(now))
	if err != nil {
		return err
	}
	_, err = c.revokeLinks(ctx, ls, store.RevokedAdminReady, m, now)
	return err
}

func (c *conn) adminHasPasskey(ctx context.Context) (bool, error) {
	var n int64
	err := c.queryRow(ctx, qAdminHasPasskey, nil, &n)
	return n > 0, err
}

// CreateSetupLink stores a setup link, revoking the user's older
// outstanding ones, and audits setup_link.create.
func (s *Store) CreateSetupLink(ctx context.Context, l store.SetupLink, m store.Meta) (store.SetupLink, error) {
	now := s.now()
	l.ID = newID(l.ID)
	l.Hash = slices.Clone(l.Hash)
	l.CreatedAt = now
	l.ExpiresAt = l.ExpiresAt.UTC().Truncate(time.Microsecond)
	l.UsedAt, l.RevokedAt = nil, nil
	err := s.write(ctx, func(c *conn) error {
		uname, err := c.username(ctx, l.UserID)
		if err != nil {
			return err
		}
		older, err := c.setupLinks(ctx, qLinksOf, l.UserID, c.t(now))
		if err != nil {
			return err
		}
		if l.FirstAdmin {
			// At most one first-admin link works, whoever it was for (the
			// first admin may have been renamed and another made).
			firsts, err := c.setupLinks(ctx, qFirstAdminLinks, c.t(now))
			if err != nil {
				return err
			}
			older = append(older, firsts...)
		}
		if _, err := c.revokeLinks(ctx, older, store.RevokedReplaced, m, now); err != nil {
			return err
		}
		if _, err := c.exec(ctx, qInsertSetupLink, l.ID, l.UserID, l.Hash, c.t(l.CreatedAt), c.t(l.ExpiresAt), nil, nil,
			l.FirstAdmin); err != nil {
			return err
		}
		after := []field{{"setup-link-id", l.ID}, {"expires-at", l.ExpiresAt}}
		if l.FirstAdmin {
			after = append(after, field{"first-admin", true})
		}
		return c.audit(ctx, m, now, event{action: "setup_link.create", targetType: "user", targetID: l.UserID,
			targetName: uname, after: snapshot(after)})
	})
	if err != nil {
		return store.SetupLink{}, err
	}
	return l, nil
}

// GetSetupLink returns a setup link by the hash of its secret.
func (s *Store) GetSetupLink(ctx context.Context, hash []byte) (store.SetupLink, error) {
	return s.read().setupLink(ctx, hash)
}

// ListSetupLinks returns a user's outstanding setup links, newest first.
func (s *Store) ListSetupLinks(ctx context.Context, userID string, now time.Time) ([]store.SetupLink, error) {
	c := s.read()
	return c.setupLinks(ctx, qLinksOf, userID, c.t(now))
}

// RevokeSetupLink revokes one of a user's outstanding links.
func (s *Store) RevokeSetupLink(ctx context.Context, userID, id string, m store.Meta) error {
	now := s.now()
	return s.write(ctx, func(c *conn) error {
		ls, err := c.setupLinks(ctx, qLinksOf, userID, c.t(now))
		if err != nil {
			return err
		}
		ls = slices.DeleteFunc(ls, func(l store.SetupLink) bool { return l.ID != id })
		n, err := c.revokeLinks(ctx, ls, store.RevokedByAdmin, m, now)
		if err == nil && n == 0 {
			return store.ErrNotFound
		}
		return err
	})
}

// RevokeSetupLinks revokes all of a user's outstanding links.
func (s *Store) RevokeSetupLinks(ctx context.Context, userID string, m store.Meta) (int, error) {
	now := s.now()
	n := 0
	err := s.write(ctx, func(c *conn) error {
		if _, err := c.username(ctx, userID); err != nil {
			return err
		}
		ls, err := c.setupLinks(ctx, qLinksOf, userID, c.t(now))
		if err != nil {
			return err
		}
		n, err = c.revokeLinks(ctx, ls, store.RevokedByAdmin, m, now)
		return err
	})
	return n, err
}

// AdminHasPasskey reports whether an enabled admin has a passkey.
func (s *Store) AdminHasPasskey(ctx context.Context) (bool, error) {
	return s.read().adminHasPasskey(ctx)
}

// CompleteSetup uses the link, stores the passkey and starts the session in
// one transaction. The link is claimed by a conditional UPDATE, so of two
// concurrent uses exactly one succeeds, and a link revoked meanwhile is not
// used; storing the passkey revokes the user's other links.
func (s *Store) CompleteSetup(ctx context.Context, linkHash []byte, p store.Passkey, se store.Session, m store.Meta) (store.Passkey, error) {
	now := s.now()
	p = preparePasskey(p, now)
	err := s.write(ctx, func(c *conn) error {
		l, err := c.setupLink(ctx, linkHash)
		if err != nil {
			return err
		}
		if l.FirstAdmin && l.Outstanding(now) {
			if done, err := c.adminHasPasskey(ctx); err != nil {
				return err
			} else if done {
				return store.ErrSetupLinkRevoked
			}
		}
		res, err := c.exec(ctx, qUseSetupLink, c.t(now), linkHash, c.t(now))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n != 1 {
			l, err := c.setupLink(ctx, linkHash)
			switch {
			case err != nil:
				return err
			case l.UsedAt != nil:
				return store.ErrSetupLinkUsed
			case l.RevokedAt != nil:
				return store.ErrSetupLinkRevoked
			default:
				return store.ErrSetupLinkExpired
			}
		}
		if l.UserID != p.UserID {
			return errors.New("sqlstore: the setup link belongs to another user than the passkey")
		}
		// Checked here, not only by the page, so that a user disabled
		// during the ceremony gets no passkey.
		var admin, disabled bool
		if err := c.queryRow(ctx, qAdminState, []any{l.UserID}, &admin, &disabled); err != nil {
			return err
		}
		if disabled {
			return store.ErrSetupLinkUserDisabled
		}
		uname, err := c.username(ctx, l.UserID)
		if err != nil {
			return err
		}
		if err := c.audit(ctx, m, now, event{action: "setup_link.use", targetType: "user", targetID: l.UserID,
			targetName: uname, after: snapshot([]field{{"setup-link-id", l.ID}})}); err != nil {
			return err
		}
		if err := c.insertPasskey(ctx, &p, m, now); err != nil {
			return err
		}
		if se.Hash != nil {
			return c.insertSession(ctx, se)
		}
		return nil
	})
	if err != nil {
		return store.Passkey{}, err
	}
	return p, nil
}

// RememberBootstrapToken records the hash of a bootstrap token.
func (s *Store) RememberBootstrapToken(ctx context.Context, hash []byte) error {
	now := s.now()
	return s.write(ctx, func(c *conn) error {
		_, err := c.exec(ctx, qRememberBootstrap, hash, c.t(now))
		return err
	})
}

// BootstrapTokenRemembered reports whether the hash was remembered.
func (s *Store) BootstrapTokenRemembered(ctx context.Context, hash []byte) (bool, error) {
	var n int64
	err := s.read().queryRow(ctx, qBootstrapKnown, []any{hash}, &n)
	return n > 0, err
}
