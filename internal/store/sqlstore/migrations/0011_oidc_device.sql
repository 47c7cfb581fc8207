-- The device authorization grant (RFC 8628): a device shows a user code,
-- the person enters it on a signed-in browser and agrees, and the device,
-- polling with its device code, gets tokens once. device_hash is the
-- SHA-256 of the device code; the code itself is never stored.

CREATE TABLE oidc_device_auths (
    device_hash ${bytes} PRIMARY KEY,
    user_code   ${key} NOT NULL UNIQUE,
    client_id   ${key} NOT NULL REFERENCES oidc_clients (id) ON DELETE CASCADE,
    scopes      ${text} NOT NULL DEFAULT '[]',
    state       ${key} NOT NULL,
    user_id     ${key} NOT NULL DEFAULT '',
    session_id  ${key} NOT NULL DEFAULT '',
    auth_time   ${time},
    amr         ${text} NOT NULL DEFAULT '[]',
    created_at  ${time} NOT NULL,
    expires_at  ${time} NOT NULL
);

CREATE INDEX oidc_device_auths_expires_idx ON oidc_device_auths (expires_at);
