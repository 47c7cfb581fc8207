package sqlstore

import (
	"context"
	"time"

	"github.com/rollcall/rollcall/internal/store"
)

// maxLogoutAttempts is how often a logout token is offered before it is
// given up: with the provider's backoff (doubling from ten seconds, at most
// an hour), some five hours.
const maxLogoutAttempts = 12

var (
	qHoldSession = stmt(`INSERT INTO oidc_client_sessions (client_id, session_id, user_id, attempts, next_attempt_at, last_error, created_at)
 VALUES (?, ?, ?, 0, ?, '', ?) ON CONFLICT (client_id, session_id) DO NOTHING`)
	// A logout is due when its browser session is gone or expired, or its
	// person is gone or disabled.
	qDueLogouts = stmt(`SELECT cs.client_id, cs.session_id, cs.user_id, cs.attempts, cs.next_attempt_at, c.backchannel_logout_uri
 FROM oidc_client_sessions cs
 JOIN oidc_clients c ON c.id = cs.client_id
 LEFT JOIN sessions s ON s.id = cs.session_id AND s.expires_at > ?
 LEFT JOIN users u ON u.id = cs.user_id
 WHERE cs.next_attempt_at <= ? AND (s.id IS NULL OR u.id IS NULL OR u.disabled = ?)
 ORDER BY cs.next_attempt_at LIMIT ?`)
	qClaimLogout = stmt(`UPDATE oidc_client_sessions SET next_attempt_at = ?
 WHERE client_id = ? AND session_id = ? AND next_attempt_at = ?`)
	qDropLogout  = stmt(`DELETE FROM oidc_client_sessions WHERE client_id = ? AND session_id = ?`)
	qRetryLogout = stmt(`UPDATE oidc_client_sessions SET attempts = attempts + 1, next_attempt_at = ?, last_error = ?
 WHERE client_id = ? AND session_id = ?`)
)

// holdSession records that clientID signed a person in from the browser
// session of d, for back-channel logout.
func (c *conn) holdSession(ctx context.Context, clientID string, d store.OIDCAuthDone, now time.Time) error {
	if d.SessionID == "" {
		return nil
	}
	_, err := c.exec(ctx, qHoldSession, clientID, d.SessionID, d.UserID, c.t(now), c.t(now))
	return err
}

// ClaimOIDCLogouts finds and claims due logouts; see store.OIDCStore.
func (s *Store) ClaimOIDCLogouts(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]store.OIDCLogout, error) {
	var out []store.OIDCLogout
	err := s.write(ctx, func(c *conn) error {
		out = nil
		rows, err := c.query(ctx, qDueLogouts, c.t(now), c.t(now), true, limit)
		if err != nil {
			return err
		}
		type due struct {
			l    store.OIDCLogout
			next time.Time
		}
		var all []due
		for rows.Next() {
			var d due
			if err := rows.Scan(&d.l.ClientID, &d.l.SessionID, &d.l.UserID, &d.l.Attempts, timeCol{&d.next}, &d.l.URI); err != nil {
				rows.Close()
				return err
			}
			all = append(all, d)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, d := range all {
			if d.l.URI == "" {
				if _, err := c.exec(ctx, qDropLogout, d.l.ClientID, d.l.SessionID); err != nil {
					return err
				}
				continue
			}
			res, err := c.exec(ctx, qClaimLogout, c.t(now.Add(lease)), d.l.ClientID, d.l.SessionID, c.t(d.next))
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil {
				return err
			} else if n == 1 {
				out = append(out, d.l)
			}
		}
		return nil
	})
	return out, err
}

// FinishOIDCLogout records a delivery attempt; see store.OIDCStore.
func (s *Store) FinishOIDCLogout(ctx context.Context, l store.OIDCLogout, done bool, retryAt time.Time, lastError string) error {
	return s.write(ctx, func(c *conn) error {
		if done || l.Attempts+1 >= maxLogoutAttempts {
			_, err := c.exec(ctx, qDropLogout, l.ClientID, l.SessionID)
			return err
		}
		if len(lastError) > 500 {
			lastError = lastError[:500]
		}
		_, err := c.exec(ctx, qRetryLogout, c.t(retryAt), lastError, l.ClientID, l.SessionID)
		return err
	})
}
