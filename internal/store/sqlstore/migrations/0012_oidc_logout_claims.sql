-- Clients: back-channel logout, the access token format and claims from
-- attributes.
--
-- Back-channel logout (OpenID Connect Back-Channel Logout 1.0). A client
-- that registers backchannel_logout_uri is told, with a signed logout
-- token, when a browser session it signed someone in from ends: sign-out,
-- "sign out everywhere", the person disabled or deleted, or expiry.
-- oidc_client_sessions records which client holds which session; once the
-- session has ended, the row is the durable queue entry of its logout
-- token (attempts, next_attempt_at), deleted when delivered. No foreign
-- key to users or sessions: the row must outlive them.

ALTER TABLE oidc_clients ADD COLUMN backchannel_logout_uri ${text} NOT NULL DEFAULT '';

-- "opaque" access tokens are looked up by hash; "jwt" ones are signed
-- JWTs an API can verify itself (and still looked up at userinfo).
ALTER TABLE oidc_clients ADD COLUMN access_token_format ${key} NOT NULL DEFAULT 'opaque';

-- Claims the client gets from the person's attributes: a JSON object of
-- claim name to attribute key.
ALTER TABLE oidc_clients ADD COLUMN attribute_claims ${text} NOT NULL DEFAULT '{}';

CREATE TABLE oidc_client_sessions (
    client_id       ${key} NOT NULL REFERENCES oidc_clients (id) ON DELETE CASCADE,
    session_id      ${key} NOT NULL,
    user_id         ${key} NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at ${time} NOT NULL,
    last_error      ${text} NOT NULL DEFAULT '',
    created_at      ${time} NOT NULL,
    PRIMARY KEY (client_id, session_id)
);

CREATE INDEX oidc_client_sessions_due_idx ON oidc_client_sessions (next_attempt_at);
CREATE INDEX oidc_client_sessions_user_idx ON oidc_client_sessions (user_id);
