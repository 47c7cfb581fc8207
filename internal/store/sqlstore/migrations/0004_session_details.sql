-- What the account page lists about each signed-in browser: a non-secret id
-- (the cookie's hash is the key, and neither it nor the secret is ever shown),
-- and the User-Agent and client address the sign-in came from.

ALTER TABLE sessions ADD COLUMN id ${key} NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN user_agent ${text} NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN client_ip ${text} NOT NULL DEFAULT '';

-- Sessions started before this migration get an id too. random() exists on
-- both databases (an integer on SQLite, a fraction on PostgreSQL); the
-- prefix keeps these apart from the UUIDs new sessions get.
UPDATE sessions SET id = 'old-' || CAST(random() AS TEXT) WHERE id = '';

CREATE UNIQUE INDEX sessions_id_idx ON sessions (id);
