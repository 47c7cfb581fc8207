-- The admin console's user list sorts by last sign-in and by status and
-- filters by status (ListUsersPage); each order is one index, so a page and
-- the total are index range walks at 100,000 users. The status expression
-- is written exactly as userlist.go writes it, so SQLite matches it.
CREATE INDEX users_sign_in_idx ON users (last_sign_in_at${nulls_first}, username);
CREATE INDEX users_status_idx ON users ((CASE WHEN disabled THEN 1 WHEN service_account THEN 3 WHEN passkey_count = 0 THEN 2 ELSE 0 END), username);
CREATE INDEX users_status_sign_in_idx ON users ((CASE WHEN disabled THEN 1 WHEN service_account THEN 3 WHEN passkey_count = 0 THEN 2 ELSE 0 END), last_sign_in_at${nulls_first}, username);
