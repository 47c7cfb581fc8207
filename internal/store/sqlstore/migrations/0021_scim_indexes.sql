-- SCIM clients ask for what changed since their last run
-- (filter=meta.lastModified gt "…"); without an index on updated_at that is
-- a scan of every user. Groups get the same for the same filter.
CREATE INDEX users_updated_idx ON users (updated_at);
CREATE INDEX groups_updated_idx ON groups (updated_at);
