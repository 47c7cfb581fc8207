package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/rollcall/rollcall/internal/store"
)

// maxLogoutAttempts is how often a logout token is offered before it is
// given up: with the provider's backoff (doubling from ten seconds, at most
// an hour), some five hours.
const maxLogoutAttempts = 12

// logoutWhere are the ways a browser session ends, as conditions on
// oidc_client_sessions (%[1]s its qualifier): one session by id, all of a
// person's, all of a person's but one (by hash), and the expired ones (over
// sessions_expires_idx, so the sweep reads expired sessions only).
var logoutWhere = map[logoutScope]string{
	bySession:    `%[1]ssession_id = ?`,
	byUser:       `%[1]suser_id = ?`,
	byUserExcept: `%[1]ssession_id IN (SELECT id FROM sessions WHERE user_id = ? AND hash <> ?)`,
	byExpiry:     `%[1]ssession_id IN (SELECT id FROM sessions WHERE expires_at <= ?)`,
}

// logoutScope names one of logoutWhere's conditions.
type logoutScope int

const (
	bySession logoutScope = iota
	byUser
	byUserExcept
	byExpiry
)

var (
	qHoldSession = stmt(`INSERT INTO oidc_client_sessions (client_id, session_id, user_id, attempts, next_attempt_at, last_error, created_at)
 VALUES (?, ?, ?, 0, ?, '', ?) ON CONFLICT (client_id, session_id) DO NOTHING`)
	qSessionLive = stmt(`SELECT COUNT(*) FROM sessions WHERE id = ? AND expires_at > ?`)
	// qQueueLogouts and qDropClientSessions move the client sessions of
	// ended browser sessions to the queue, for clients with a URI.
	qQueueLogouts       = map[logoutScope]statement{}
	qDropClientSessions = map[logoutScope]statement{}
	qDueLogouts         = stmt(`SELECT client_id, session_id, user_id, uri, attempts, next_attempt_at
 FROM oidc_logout_queue WHERE next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?`)
	qClaimLogout = stmt(`UPDATE oidc_logout_queue SET next_attempt_at = ?
 WHERE client_id = ? AND session_id = ? AND next_attempt_at = ?`)
	qDropLogout  = stmt(`DELETE FROM oidc_logout_queue WHERE client_id = ? AND session_id = ?`)
	qRetryLogout = stmt(`UPDATE oidc_logout_queue SET attempts = attempts + 1, next_attempt_at = ?, last_error = ?
 WHERE client_id = ? AND session_id = ?`)
)

func init() {
	for sc, where := range logoutWhere {
		qQueueLogouts[sc] = stmt(`INSERT INTO oidc_logout_queue (client_id, session_id, user_id, uri, attempts, next_attempt_at, last_error, created_at)
 SELECT cs.client_id, cs.session_id, cs.user_id, c.backchannel_logout_uri, 0, ?, '', ?
 FROM oidc_client_sessions cs JOIN oidc_clients c ON c.id = cs.client_id
 WHERE c.backchannel_logout_uri <> '' AND ` + fmt.Sprintf(where, "cs.") + `
 ON CONFLICT (client_id, session_id) DO NOTHING`)
		qDropClientSessions[sc] = stmt(`DELETE FROM oidc_client_sessions WHERE ` + fmt.Sprintf(where, ""))
	}
}

// queueLogouts queues, inside c's transaction, the logout tokens of the
// browser sessions that end with it (chosen by sc and args, see
// logoutWhere), and forgets those sessions' clients. Call it before the
// sessions (or the person) are deleted: the conditions read them.
func (c *conn) queueLogouts(ctx context.Context, now time.Time, sc logoutScope, args ...any) error {
	if _, err := c.exec(ctx, qQueueLogouts[sc], append([]any{c.t(now), c.t(now)}, args...)...); err != nil {
		return err
	}
	_, err := c.exec(ctx, qDropClientSessions[sc], args...)
	return err
}

// QueueExpiredOIDCLogouts queues the logout tokens of browser sessions that
// expired by now; see store.OIDCStore.
func (s *Store) QueueExpiredOIDCLogouts(ctx context.Context, now time.Time) error {
	return s.write(ctx, func(c *conn) error { return c.queueLogouts(ctx, now, byExpiry, c.t(now)) })
}

// holdSession records that clientID signed a person in from the browser
// session of d, for back-channel logout.
func (c *conn) holdSession(ctx context.Context, clientID string, d store.OIDCAuthDone, now time.Time) error {
	if d.SessionID == "" {
		return nil
	}
	if _, err := c.exec(ctx, qHoldSession, clientID, d.SessionID, d.UserID, c.t(now), c.t(now)); err != nil {
		return err
	}
	// A session that ended while the person was signing in to the client
	// has had its logouts queued already: queue this one now.
	var live int
	if err := c.queryRow(ctx, qSessionLive, []any{d.SessionID, c.t(now)}, &live); err != nil {
		return err
	}
	if live == 0 {
		return c.queueLogouts(ctx, now, bySession, d.SessionID)
	}
	return nil
}

// ClaimOIDCLogouts finds and claims due logouts; see store.OIDCStore.
func (s *Store) ClaimOIDCLogouts(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]store.OIDCLogout, error) {
	var out []store.OIDCLogout
	err := s.write(ctx, func(c *conn) error {
		out = nil
		rows, err := c.query(ctx, qDueLogouts, c.t(now), limit)
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
			if err := rows.Scan(&d.l.ClientID, &d.l.SessionID, &d.l.UserID, &d.l.URI, &d.l.Attempts, timeCol{&d.next}); err != nil {
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
