-- The admin console's user list sorts by last sign-in and by status and
-- filters by status (ListUsersPage). status_rank is the status as the
-- console shows it, ranked in the alphabetical order of its labels
-- (0 active, 1 disabled, 2 pending setup, 3 service account), computed by
-- the database from the columns it depends on. Each order is one index
-- holding the username, so a page and the total are index range walks at
-- 100,000 users (index-only on PostgreSQL).
ALTER TABLE users ADD COLUMN status_rank INTEGER GENERATED ALWAYS AS
    (CASE WHEN disabled THEN 1 WHEN service_account THEN 3 WHEN passkey_count = 0 THEN 2 ELSE 0 END) ${generated};
CREATE INDEX users_sign_in_idx ON users (last_sign_in_at${nulls_first}, username);
CREATE INDEX users_status_idx ON users (status_rank, username);
CREATE INDEX users_status_sign_in_idx ON users (status_rank, last_sign_in_at${nulls_first}, username);
