-- A setup link can be revoked: by an admin, by a newer link for the same
-- person, or because the person registered a passkey by any route. A link
-- that serve prints for the first admin is marked, so that it also dies once
-- any admin has a passkey.
ALTER TABLE setup_links ADD COLUMN revoked_at ${time};
ALTER TABLE setup_links ADD COLUMN first_admin ${bool} NOT NULL DEFAULT FALSE;

-- The hashes of the tokens ROLLCALL_BOOTSTRAP_TOKEN has given, so that a
-- bootstrap token an admin revoked (or whose account was deleted) is not
-- created again at the next start while the variable is still set.
CREATE TABLE bootstrap_tokens (
    hash       ${bytes} PRIMARY KEY,
    created_at ${time} NOT NULL
);
