-- Indexes that let every page of a list or search be read in order from
-- one index (see ListUsers).

-- Search by name pages in (name, username) order.
DROP INDEX users_first_name_lower_idx;
DROP INDEX users_last_name_lower_idx;
CREATE INDEX users_first_name_search_idx ON users (first_name_lower, username);
CREATE INDEX users_last_name_search_idx ON users (last_name_lower, username);

-- A group's members page in username order: memberships keep a copy of the
-- username, changed with it.
ALTER TABLE memberships ADD COLUMN username ${key} NOT NULL DEFAULT '';
UPDATE memberships SET username = (SELECT username FROM users WHERE users.id = memberships.user_id);
DROP INDEX memberships_group_idx;
CREATE INDEX memberships_group_idx ON memberships (group_id, username, user_id);
