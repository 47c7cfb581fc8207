-- Users, groups, memberships, API tokens and the audit log.

CREATE TABLE users (
    id               ${key} PRIMARY KEY,
    username         ${key} NOT NULL UNIQUE,
    email            ${text} NOT NULL,
    email_lower      ${key} NOT NULL UNIQUE,
    email_verified   ${bool} NOT NULL DEFAULT FALSE,
    first_name       ${text} NOT NULL DEFAULT '',
    first_name_lower ${key} NOT NULL DEFAULT '',
    last_name        ${text} NOT NULL DEFAULT '',
    last_name_lower  ${key} NOT NULL DEFAULT '',
    display_name     ${text} NOT NULL DEFAULT '',
    locale           ${text} NOT NULL DEFAULT '',
    is_admin         ${bool} NOT NULL DEFAULT FALSE,
    disabled         ${bool} NOT NULL DEFAULT FALSE,
    service_account  ${bool} NOT NULL DEFAULT FALSE,
    phone            ${text} NOT NULL DEFAULT '',
    mobile           ${text} NOT NULL DEFAULT '',
    title            ${text} NOT NULL DEFAULT '',
    department       ${text} NOT NULL DEFAULT '',
    avatar_url       ${text} NOT NULL DEFAULT '',
    external_id      ${key} NOT NULL DEFAULT '',
    external_source  ${text} NOT NULL DEFAULT '',
    attributes       ${text} NOT NULL DEFAULT '{}',
    passkey_count    INTEGER NOT NULL DEFAULT 0,
    last_sign_in_at  ${time},
    version          BIGINT NOT NULL,
    created_at       ${time} NOT NULL,
    updated_at       ${time} NOT NULL
);

-- Prefix search (filter[q]) is a range scan on each of these.
CREATE INDEX users_first_name_lower_idx ON users (first_name_lower);
CREATE INDEX users_last_name_lower_idx ON users (last_name_lower);
CREATE INDEX users_external_id_idx ON users (external_id);
CREATE INDEX users_admins_idx ON users (disabled) WHERE is_admin;

CREATE TABLE groups (
    id                  ${key} PRIMARY KEY,
    name                ${key} NOT NULL UNIQUE,
    friendly_name       ${text} NOT NULL DEFAULT '',
    friendly_name_lower ${key} NOT NULL DEFAULT '',
    description         ${text} NOT NULL DEFAULT '',
    attributes          ${text} NOT NULL DEFAULT '{}',
    version             BIGINT NOT NULL,
    created_at          ${time} NOT NULL,
    updated_at          ${time} NOT NULL
);

CREATE INDEX groups_friendly_name_lower_idx ON groups (friendly_name_lower);

CREATE TABLE memberships (
    user_id  ${key} NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    group_id ${key} NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, group_id)
);

CREATE INDEX memberships_group_idx ON memberships (group_id, user_id);

CREATE TABLE api_tokens (
    id           ${key} PRIMARY KEY,
    user_id      ${key} NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         ${text} NOT NULL,
    hash         ${bytes} NOT NULL UNIQUE,
    prefix       ${text} NOT NULL,
    expires_at   ${time},
    last_used_at ${time},
    created_at   ${time} NOT NULL
);

CREATE INDEX api_tokens_user_idx ON api_tokens (user_id, created_at, id);
CREATE INDEX api_tokens_created_idx ON api_tokens (created_at, id);

CREATE TABLE audit_events (
    seq         ${seq},
    id          ${key} NOT NULL UNIQUE,
    action      ${key} NOT NULL,
    actor_id    ${key} NOT NULL DEFAULT '',
    actor_name  ${text} NOT NULL DEFAULT '',
    target_type ${text} NOT NULL,
    target_id   ${key} NOT NULL,
    target_name ${text} NOT NULL DEFAULT '',
    before_data ${text},
    after_data  ${text},
    request_id  ${text} NOT NULL DEFAULT '',
    client_ip   ${text} NOT NULL DEFAULT '',
    created_at  ${time} NOT NULL
);

CREATE INDEX audit_events_actor_idx ON audit_events (actor_id, seq);
CREATE INDEX audit_events_target_idx ON audit_events (target_id, seq);
CREATE INDEX audit_events_action_idx ON audit_events (action, seq);
CREATE INDEX audit_events_created_idx ON audit_events (created_at);
