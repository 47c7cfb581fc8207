-- The back-channel logout queue, filled by the events that end a browser
-- session (sign-out, sessions ended by an admin or by revoking passkeys,
-- the person disabled or deleted, RP-initiated logout) in their own
-- transaction, and by a sweep of expired sessions over sessions_expires_idx.
-- oidc_client_sessions keeps only which client holds which live session;
-- when the session ends, its rows move here with what the logout token
-- needs (aud = client_id, sub = user_id, sid = session_id, and where to
-- send it), so an entry outlives the person, the session and any later
-- change of the client's URI. Deleting the client drops its entries.

CREATE TABLE oidc_logout_queue (
    client_id       ${key} NOT NULL REFERENCES oidc_clients (id) ON DELETE CASCADE,
    session_id      ${key} NOT NULL,
    user_id         ${key} NOT NULL,
    uri             ${text} NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at ${time} NOT NULL,
    last_error      ${text} NOT NULL DEFAULT '',
    created_at      ${time} NOT NULL,
    PRIMARY KEY (client_id, session_id)
);

CREATE INDEX oidc_logout_queue_due_idx ON oidc_logout_queue (next_attempt_at);

-- Sessions end by id: find their clients without a scan.
CREATE INDEX oidc_client_sessions_session_idx ON oidc_client_sessions (session_id);

-- Logouts the poll of earlier versions had not yet delivered: the session
-- is gone or the person gone or disabled. (Expired sessions still in the
-- table are left to the sweep.)
INSERT INTO oidc_logout_queue (client_id, session_id, user_id, uri, attempts, next_attempt_at, last_error, created_at)
SELECT cs.client_id, cs.session_id, cs.user_id, c.backchannel_logout_uri, cs.attempts, cs.next_attempt_at, cs.last_error, cs.created_at
FROM oidc_client_sessions cs JOIN oidc_clients c ON c.id = cs.client_id
WHERE c.backchannel_logout_uri <> ''
  AND (NOT EXISTS (SELECT 1 FROM sessions s WHERE s.id = cs.session_id)
       OR NOT EXISTS (SELECT 1 FROM users u WHERE u.id = cs.user_id AND NOT u.disabled));

DELETE FROM oidc_client_sessions
WHERE NOT EXISTS (SELECT 1 FROM sessions s WHERE s.id = oidc_client_sessions.session_id)
   OR NOT EXISTS (SELECT 1 FROM users u WHERE u.id = oidc_client_sessions.user_id AND NOT u.disabled);
