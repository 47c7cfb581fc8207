-- The OpenID Connect provider: clients, authorization requests, tokens,
-- keys and consents. Lists are JSON arrays in ${text} columns; secrets and
-- tokens are kept only as SHA-256 hashes.

CREATE TABLE oidc_clients (
    id                  ${key} PRIMARY KEY,
    name                ${text} NOT NULL,
    redirect_uris       ${text} NOT NULL DEFAULT '[]',
    post_logout_uris    ${text} NOT NULL DEFAULT '[]',
    public              ${bool} NOT NULL DEFAULT FALSE,
    grant_types         ${text} NOT NULL DEFAULT '[]',
    allowed_groups      ${text} NOT NULL DEFAULT '[]',
    skip_consent        ${bool} NOT NULL DEFAULT FALSE,
    access_token_ttl    BIGINT NOT NULL DEFAULT 0,
    id_token_ttl        BIGINT NOT NULL DEFAULT 0,
    refresh_token_ttl   BIGINT NOT NULL DEFAULT 0,
    logo_url            ${text} NOT NULL DEFAULT '',
    launch_url          ${text} NOT NULL DEFAULT '',
    secrets             ${text} NOT NULL DEFAULT '[]',
    created_at          ${time} NOT NULL,
    updated_at          ${time} NOT NULL,
    version             BIGINT NOT NULL DEFAULT 1
);

CREATE UNIQUE INDEX oidc_clients_name_key ON oidc_clients (name);

CREATE TABLE oidc_auth_requests (
    id           ${key} PRIMARY KEY,
    client_id    ${key} NOT NULL REFERENCES oidc_clients (id) ON DELETE CASCADE,
    params       ${text} NOT NULL,
    user_id      ${key} NOT NULL DEFAULT '',
    session_id   ${key} NOT NULL DEFAULT '',
    auth_time    ${time},
    amr          ${text} NOT NULL DEFAULT '[]',
    done         ${bool} NOT NULL DEFAULT FALSE,
    code_hash    ${bytes} UNIQUE,
    code_used_at ${time},
    created_at   ${time} NOT NULL,
    expires_at   ${time} NOT NULL
);

CREATE INDEX oidc_auth_requests_expires_idx ON oidc_auth_requests (expires_at);

CREATE TABLE oidc_access_tokens (
    hash       ${bytes} PRIMARY KEY,
    client_id  ${key} NOT NULL REFERENCES oidc_clients (id) ON DELETE CASCADE,
    user_id    ${key} NOT NULL,
    scopes     ${text} NOT NULL DEFAULT '[]',
    audience   ${text} NOT NULL DEFAULT '[]',
    family_id  ${key} NOT NULL DEFAULT '',
    created_at ${time} NOT NULL,
    expires_at ${time} NOT NULL
);

CREATE INDEX oidc_access_tokens_family_idx ON oidc_access_tokens (family_id);
CREATE INDEX oidc_access_tokens_user_idx ON oidc_access_tokens (user_id);
CREATE INDEX oidc_access_tokens_expires_idx ON oidc_access_tokens (expires_at);

CREATE TABLE oidc_refresh_tokens (
    id         ${key} PRIMARY KEY,
    hash       ${bytes} NOT NULL UNIQUE,
    family_id  ${key} NOT NULL,
    client_id  ${key} NOT NULL REFERENCES oidc_clients (id) ON DELETE CASCADE,
    user_id    ${key} NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    scopes     ${text} NOT NULL DEFAULT '[]',
    audience   ${text} NOT NULL DEFAULT '[]',
    amr        ${text} NOT NULL DEFAULT '[]',
    auth_time  ${time} NOT NULL,
    session_id ${key} NOT NULL DEFAULT '',
    created_at ${time} NOT NULL,
    expires_at ${time} NOT NULL,
    rotated_at ${time},
    revoked_at ${time}
);

CREATE INDEX oidc_refresh_tokens_family_idx ON oidc_refresh_tokens (family_id);
CREATE INDEX oidc_refresh_tokens_user_idx ON oidc_refresh_tokens (user_id);
CREATE INDEX oidc_refresh_tokens_expires_idx ON oidc_refresh_tokens (expires_at);

CREATE TABLE oidc_keys (
    id          ${key} PRIMARY KEY,
    key_use     ${key} NOT NULL,
    algorithm   ${key} NOT NULL,
    private_key ${bytes} NOT NULL,
    created_at  ${time} NOT NULL,
    retired_at  ${time}
);

CREATE TABLE oidc_consents (
    user_id    ${key} NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    client_id  ${key} NOT NULL REFERENCES oidc_clients (id) ON DELETE CASCADE,
    scopes     ${text} NOT NULL DEFAULT '[]',
    created_at ${time} NOT NULL,
    updated_at ${time} NOT NULL,
    PRIMARY KEY (user_id, client_id)
);

CREATE INDEX oidc_consents_client_idx ON oidc_consents (client_id);
