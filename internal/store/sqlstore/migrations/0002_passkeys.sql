-- Passkeys, WebAuthn ceremonies in progress, browser sessions and setup
-- links: everything passkey sign-in keeps, in the database so that several
-- server instances can share it.

CREATE TABLE passkeys (
    id               ${key} PRIMARY KEY,
    user_id          ${key} NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    credential_id    ${bytes} NOT NULL UNIQUE,
    public_key       ${bytes} NOT NULL,
    attestation_type ${text} NOT NULL DEFAULT '',
    aaguid           ${bytes},
    sign_count       BIGINT NOT NULL DEFAULT 0,
    transports       ${text} NOT NULL DEFAULT '[]',
    backup_eligible  ${bool} NOT NULL DEFAULT FALSE,
    backup_state     ${bool} NOT NULL DEFAULT FALSE,
    name             ${text} NOT NULL,
    created_at       ${time} NOT NULL,
    last_used_at     ${time}
);

CREATE INDEX passkeys_user_idx ON passkeys (user_id, created_at);

-- A ceremony's state between its begin and finish requests; single use.
CREATE TABLE webauthn_challenges (
    id         ${key} PRIMARY KEY,
    user_id    ${key} NOT NULL DEFAULT '',
    purpose    ${key} NOT NULL,
    data       ${bytes} NOT NULL,
    expires_at ${time} NOT NULL,
    created_at ${time} NOT NULL
);

CREATE INDEX webauthn_challenges_expires_idx ON webauthn_challenges (expires_at);

-- hash is the SHA-256 of the cookie secret; the secret is never stored.
CREATE TABLE sessions (
    hash         ${bytes} PRIMARY KEY,
    user_id      ${key} NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   ${time} NOT NULL,
    expires_at   ${time} NOT NULL,
    last_seen_at ${time} NOT NULL
);

CREATE INDEX sessions_user_idx ON sessions (user_id);
CREATE INDEX sessions_expires_idx ON sessions (expires_at);

-- hash is the SHA-256 of the link's secret.
CREATE TABLE setup_links (
    id         ${key} PRIMARY KEY,
    user_id    ${key} NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    hash       ${bytes} NOT NULL UNIQUE,
    created_at ${time} NOT NULL,
    expires_at ${time} NOT NULL,
    used_at    ${time}
);

CREATE INDEX setup_links_user_idx ON setup_links (user_id);
CREATE INDEX setup_links_expires_idx ON setup_links (expires_at);
